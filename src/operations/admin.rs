//! Rows of the client-level services: health, files, batch, and the superuser's admin
//! API (collections, settings, logs, crons, backups). None takes a `collection` path
//! argument first, so each group becomes a service of its own (`pb.settings().get_all()`).

use super::ArgType::{self, Array, Boolean, Object};
use super::{Arg, Exec, Operation, Place, Shape, ROW};

const ID_OR_NAME: Arg = Arg::path("idOrName");
const KEY: Arg = Arg::path("key");
const PAGE: Arg = Arg::query_int("page", "1");
const PER_PAGE: Arg = Arg::query_int("perPage", "30");
const BATCH: Arg = Arg::new("batch", Place::Local, ArgType::Integer).or("1000");

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "health.check",
        path: "/api/health",
        doc: "Checks that the server is up; returns `{code, message, data}`.",
        ..ROW
    },
    // Files.
    Operation {
        name: "files.getURL",
        path: "/api/files",
        args: &[
            Arg::new("record", Place::Local, Object),
            Arg::new("filename", Place::Local, ArgType::String),
            Arg::new("thumb", Place::Local, ArgType::String).or("\"\""),
            Arg::new("download", Place::Local, Boolean).or("false"),
            Arg::new("token", Place::Local, ArgType::String).or("\"\""),
        ],
        result: Shape::Text,
        exec: Exec::FileUrl,
        doc: "The URL of a record's file (no request): `thumb` (e.g. `100x100`), `download`, and a `token` from `files.getToken` for protected files; \"\" when the record or filename is empty.",
        ..ROW
    },
    Operation {
        name: "files.getToken",
        method: "POST",
        path: "/api/files/token",
        result: Shape::Text,
        exec: Exec::TokenField,
        doc: "Signed in: a short-lived token for protected files (the `token` of `files.getURL`).",
        ..ROW
    },
    // Batch.
    Operation {
        name: "batch.send",
        method: "POST",
        path: "/api/batch",
        args: &[Arg::new("requests", Place::Local, Array)],
        result: Shape::List,
        exec: Exec::Batch,
        doc: "Runs `requests` (`{action: create|update|upsert|delete, collection, id, data}`) as one transaction; returns `[{status, body}]` in order.",
        ..ROW
    },
    // Pub/sub (BosBase): subscriptions take a callback, so they are typed functions, not rows.
    Operation {
        name: "pubsub.publish",
        method: "POST",
        path: "/api/pubsub",
        args: &[Arg::new("topic", Place::Local, ArgType::String), Arg::new("data", Place::Local, ArgType::Any)],
        exec: Exec::Publish,
        doc: "Publishes `data` to `topic` over the client's pub/sub WebSocket (signed in); returns the server's acknowledgement `{id, topic, created}`.",
        ..ROW
    },
    // Collections (superusers).
    Operation {
        name: "collections.getList",
        path: "/api/collections",
        args: &[PAGE, PER_PAGE],
        doc: "Lists collections a page at a time (superusers only); returns `{page, perPage, totalItems, totalPages, items}`.",
        ..ROW
    },
    Operation {
        name: "collections.getFullList",
        path: "/api/collections",
        args: &[BATCH],
        result: Shape::List,
        exec: Exec::FullList,
        doc: "Every collection (superusers only), fetched `batch` per request; bounded as `records.getFullList`.",
        ..ROW
    },
    Operation {
        name: "collections.getOne",
        path: "/api/collections/{idOrName}",
        args: &[ID_OR_NAME],
        doc: "One collection by id or name (superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.create",
        method: "POST",
        path: "/api/collections",
        args: &[Arg::data(None)],
        doc: "Creates a collection from `data` (`{name, type, fields, …rules}`; superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.update",
        method: "PATCH",
        path: "/api/collections/{idOrName}",
        args: &[ID_OR_NAME, Arg::data(None)],
        doc: "Updates a collection with `data` (superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.delete",
        method: "DELETE",
        path: "/api/collections/{idOrName}",
        args: &[ID_OR_NAME],
        result: Shape::True,
        doc: "Deletes a collection and its records (superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.truncate",
        method: "DELETE",
        path: "/api/collections/{idOrName}/truncate",
        args: &[ID_OR_NAME],
        result: Shape::True,
        doc: "Deletes every record of a collection, keeping the collection (superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.import",
        method: "PUT",
        path: "/api/collections/import",
        args: &[Arg::new("collections", Place::Body, Array), Arg::new("deleteMissing", Place::Body, Boolean).or("false")],
        result: Shape::True,
        doc: "Imports collection definitions in one transaction; `deleteMissing` drops collections not listed (superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.getScaffolds",
        path: "/api/collections/meta/scaffolds",
        doc: "Blank collection definitions per type (`auth`, `base`, `view`; superusers only).",
        ..ROW
    },
    // Settings (superusers).
    Operation {
        name: "settings.getAll",
        path: "/api/settings",
        doc: "Every application setting, secrets masked (superusers only).",
        ..ROW
    },
    Operation {
        name: "settings.update",
        method: "PATCH",
        path: "/api/settings",
        args: &[Arg::data(None)],
        doc: "Updates settings with `data` and returns them all (superusers only).",
        ..ROW
    },
    Operation {
        name: "settings.testS3",
        method: "POST",
        path: "/api/settings/test/s3",
        args: &[Arg::body("filesystem").or("\"storage\"")],
        result: Shape::True,
        doc: "Checks the S3 settings of `filesystem` (`storage` or `backups`) by connecting (superusers only).",
        ..ROW
    },
    Operation {
        name: "settings.testEmail",
        method: "POST",
        path: "/api/settings/test/email",
        args: &[Arg::body("collection"), Arg::body("email"), Arg::body("template")],
        result: Shape::True,
        doc: "Sends a test email of `template` (`verification`, `password-reset`, `email-change`, `otp`, `login-alert`) for `collection` (superusers only).",
        ..ROW
    },
    Operation {
        name: "settings.generateAppleClientSecret",
        method: "POST",
        path: "/api/settings/apple/generate-client-secret",
        args: &[
            Arg::body("clientId"),
            Arg::body("teamId"),
            Arg::body("keyId"),
            Arg::body("privateKey"),
            Arg::new("duration", Place::Body, ArgType::Integer),
        ],
        doc: "Signs an Apple OAuth2 client secret from a private key (superusers only); returns `{secret}`.",
        ..ROW
    },
    // Logs (superusers).
    Operation {
        name: "logs.getList",
        path: "/api/logs",
        args: &[PAGE, PER_PAGE],
        doc: "One page of request logs (options `filter`, `sort`; superusers only).",
        ..ROW
    },
    Operation {
        name: "logs.getOne",
        path: "/api/logs/{id}",
        args: &[Arg::path("id")],
        doc: "One log entry (superusers only).",
        ..ROW
    },
    Operation {
        name: "logs.getStats",
        path: "/api/logs/stats",
        result: Shape::List,
        doc: "Log counts per hour, `[{date, total}]` (options `filter`; superusers only).",
        ..ROW
    },
    // Crons (superusers).
    Operation {
        name: "crons.getFullList",
        path: "/api/crons",
        result: Shape::List,
        doc: "The registered cron jobs, `[{id, expression}]` (superusers only).",
        ..ROW
    },
    Operation {
        name: "crons.run",
        method: "POST",
        path: "/api/crons/{jobId}",
        args: &[Arg::path("jobId")],
        result: Shape::True,
        doc: "Runs a cron job now (superusers only).",
        ..ROW
    },
    // Backups (superusers).
    Operation {
        name: "backups.getFullList",
        path: "/api/backups",
        result: Shape::List,
        doc: "Every backup, `[{key, size, modified}]` (superusers only).",
        ..ROW
    },
    Operation {
        name: "backups.create",
        method: "POST",
        path: "/api/backups",
        args: &[Arg::body("name").or("\"\"")],
        result: Shape::True,
        doc: "Creates a backup named `name` (a zip name; \"\" lets the server pick; superusers only).",
        ..ROW
    },
    Operation {
        name: "backups.upload",
        method: "POST",
        path: "/api/backups/upload",
        result: Shape::True,
        doc: "Uploads a backup zip, given as the file part `file` (superusers only).",
        files: true,
        ..ROW
    },
    Operation {
        name: "backups.delete",
        method: "DELETE",
        path: "/api/backups/{key}",
        args: &[KEY],
        result: Shape::True,
        doc: "Deletes a backup (superusers only).",
        ..ROW
    },
    Operation {
        name: "backups.restore",
        method: "POST",
        path: "/api/backups/{key}/restore",
        args: &[KEY],
        result: Shape::True,
        doc: "Restores a backup; the server restarts (superusers only).",
        ..ROW
    },
    Operation {
        name: "backups.getDownloadURL",
        path: "/api/backups/{key}",
        args: &[KEY, Arg::new("token", Place::Query, ArgType::String)],
        result: Shape::Text,
        exec: Exec::Url,
        doc: "The download URL of a backup (no request), with a `token` from `files.getToken`.",
        ..ROW
    },
];

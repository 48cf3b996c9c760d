//! Rows of a collection's record service (`pb.collection("users").…`): sign-in methods,
//! account flows, the custom-token trio and records CRUD. Every row's first argument is
//! the `collection` path argument; the generators turn these into record-service methods.

use super::ArgType::{self, Integer, Object};
use super::{Arg, Effect, Exec, Operation, Place, Shape, COLLECTION, ROW};

const ID: Arg = Arg::path("id");
const EMAIL: Arg = Arg::body("email");
const TOKEN: Arg = Arg::body("token");
const PASSWORD: Arg = Arg::body("password");

pub(super) const OPERATIONS: &[Operation] = &[
    // The custom-token trio (BosBase's own routes; the seeds use them).
    Operation {
        name: "records.bindCustomToken",
        method: "POST",
        path: "/api/collections/{collection}/bind-token",
        args: &[COLLECTION, EMAIL, PASSWORD, TOKEN],
        result: Shape::True,
        doc: "Binds a custom token to the account with this email and password; never changes the auth store.",
        ..ROW
    },
    Operation {
        name: "records.unbindCustomToken",
        method: "POST",
        path: "/api/collections/{collection}/unbind-token",
        args: &[COLLECTION, EMAIL, PASSWORD, TOKEN],
        result: Shape::True,
        doc: "Stops accepting a custom token for the account (also when it was not bound); never changes the auth store.",
        ..ROW
    },
    Operation {
        name: "records.authWithToken",
        method: "POST",
        path: "/api/collections/{collection}/auth-with-token",
        args: &[COLLECTION, TOKEN],
        effect: Effect::SaveAuth,
        doc: "Signs in with a bound custom token and saves `{token, record}` in the auth store.",
        ..ROW
    },
    // Sign-in methods. Each accepts `mfaId` (options) to finish a multi-factor login.
    Operation {
        name: "records.listAuthMethods",
        path: "/api/collections/{collection}/auth-methods",
        args: &[COLLECTION],
        doc: "The collection's enabled sign-in methods: `{password, oauth2, mfa, otp}`.",
        ..ROW
    },
    Operation {
        name: "records.authWithPassword",
        method: "POST",
        path: "/api/collections/{collection}/auth-with-password",
        args: &[COLLECTION, Arg::body("identity"), PASSWORD],
        effect: Effect::SaveAuth,
        doc: "Signs in with identity (email) and password and saves `{token, record}` in the auth store.",
        ..ROW
    },
    Operation {
        name: "records.requestOTP",
        method: "POST",
        path: "/api/collections/{collection}/request-otp",
        args: &[COLLECTION, EMAIL],
        doc: "Emails a one-time password to the account; returns `{otpId}` for `authWithOTP`.",
        ..ROW
    },
    Operation {
        name: "records.authWithOTP",
        method: "POST",
        path: "/api/collections/{collection}/auth-with-otp",
        args: &[COLLECTION, Arg::body("otpId"), PASSWORD],
        effect: Effect::SaveAuth,
        doc: "Signs in with the `otpId` from `requestOTP` and the emailed password; saves `{token, record}`.",
        ..ROW
    },
    Operation {
        name: "records.authWithOAuth2Code",
        method: "POST",
        path: "/api/collections/{collection}/auth-with-oauth2",
        args: &[
            COLLECTION,
            Arg::body("provider"),
            Arg::body("code"),
            Arg::body("codeVerifier"),
            Arg::body("redirectURL"),
            Arg::body("createData").of(Object).or("{}"),
        ],
        effect: Effect::SaveAuth,
        doc: "Signs in with an OAuth2 authorization code obtained by the app; saves `{token, record}` (plus `meta`).",
        ..ROW
    },
    Operation {
        name: "records.authRefresh",
        method: "POST",
        path: "/api/collections/{collection}/auth-refresh",
        args: &[COLLECTION],
        effect: Effect::SaveAuth,
        doc: "Refreshes the stored token (sent as Authorization) and saves the answer in the auth store.",
        ..ROW
    },
    Operation {
        name: "records.impersonate",
        method: "POST",
        path: "/api/collections/{collection}/impersonate/{id}",
        args: &[COLLECTION, ID, Arg::body("duration").of(Integer).or("0")],
        doc: "Superusers only: a non-refreshable `{token, record}` for the account `id` (duration in seconds, 0 = the collection's default); typed APIs return a new client signed in with it.",
        forks: true,
        ..ROW
    },
    // Account flows.
    Operation {
        name: "records.requestVerification",
        method: "POST",
        path: "/api/collections/{collection}/request-verification",
        args: &[COLLECTION, EMAIL],
        result: Shape::True,
        doc: "Emails a verification link to the account.",
        ..ROW
    },
    Operation {
        name: "records.confirmVerification",
        method: "POST",
        path: "/api/collections/{collection}/confirm-verification",
        args: &[COLLECTION, TOKEN],
        effect: Effect::MarkVerified,
        result: Shape::True,
        doc: "Verifies the account with the emailed token; a stored auth record it verifies is marked `verified`.",
        ..ROW
    },
    Operation {
        name: "records.requestPasswordReset",
        method: "POST",
        path: "/api/collections/{collection}/request-password-reset",
        args: &[COLLECTION, EMAIL],
        result: Shape::True,
        doc: "Emails a password-reset link to the account.",
        ..ROW
    },
    Operation {
        name: "records.confirmPasswordReset",
        method: "POST",
        path: "/api/collections/{collection}/confirm-password-reset",
        args: &[COLLECTION, TOKEN, PASSWORD, Arg::body("passwordConfirm")],
        result: Shape::True,
        doc: "Sets a new password with the emailed reset token.",
        ..ROW
    },
    Operation {
        name: "records.requestEmailChange",
        method: "POST",
        path: "/api/collections/{collection}/request-email-change",
        args: &[COLLECTION, Arg::body("newEmail")],
        result: Shape::True,
        doc: "Signed in: emails a confirmation link to the new address.",
        ..ROW
    },
    Operation {
        name: "records.confirmEmailChange",
        method: "POST",
        path: "/api/collections/{collection}/confirm-email-change",
        args: &[COLLECTION, TOKEN, PASSWORD],
        effect: Effect::ClearOnEmailChange,
        result: Shape::True,
        doc: "Changes the email with the emailed token and the account's password; clears a stored login of that account.",
        ..ROW
    },
    // Records. List options (`filter`, `sort`, `expand`, `fields`, `skipTotal`) go in options.
    Operation {
        name: "records.getList",
        path: "/api/collections/{collection}/records",
        args: &[COLLECTION, Arg::query_int("page", "1"), Arg::query_int("perPage", "30")],
        doc: "One page of records: `{page, perPage, totalItems, totalPages, items}`.",
        ..ROW
    },
    Operation {
        name: "records.getFullList",
        path: "/api/collections/{collection}/records",
        args: &[COLLECTION, Arg::new("batch", Place::Local, Integer).or("1000")],
        result: Shape::List,
        exec: Exec::FullList,
        doc: "Every matching record, fetched `batch` per request until a short page. One call: its deadline covers every page, and the pages may hold at most 10 times maxResponseBytes of JSON (kind `json` beyond).",
        ..ROW
    },
    Operation {
        name: "records.getFirstListItem",
        path: "/api/collections/{collection}/records",
        args: &[COLLECTION, Arg::new("filter", Place::Local, ArgType::String)],
        exec: Exec::FirstListItem,
        doc: "The first record matching `filter`; a 404 error when none does.",
        ..ROW
    },
    Operation {
        name: "records.getOne",
        path: "/api/collections/{collection}/records/{id}",
        args: &[COLLECTION, ID],
        doc: "The record `id`.",
        ..ROW
    },
    Operation {
        name: "records.getCount",
        path: "/api/collections/{collection}/records/count",
        args: &[COLLECTION],
        result: Shape::Integer,
        exec: Exec::Count,
        doc: "How many records match (options `filter`); BosBase's `records/count` route.",
        ..ROW
    },
    Operation {
        name: "records.create",
        method: "POST",
        path: "/api/collections/{collection}/records",
        args: &[COLLECTION, Arg::data(Some("{}"))],
        doc: "Creates a record from `data` (and file parts, sent as multipart) and returns it.",
        files: true,
        ..ROW
    },
    Operation {
        name: "records.update",
        method: "PATCH",
        path: "/api/collections/{collection}/records/{id}",
        args: &[COLLECTION, ID, Arg::data(Some("{}"))],
        effect: Effect::SyncAuthRecord,
        doc: "Updates record `id` with `data` (and file parts); updating the signed-in account refreshes the stored record.",
        files: true,
        ..ROW
    },
    Operation {
        name: "records.delete",
        method: "DELETE",
        path: "/api/collections/{collection}/records/{id}",
        args: &[COLLECTION, ID],
        effect: Effect::ClearAuthRecord,
        result: Shape::True,
        doc: "Deletes record `id`; deleting the signed-in account clears the auth store.",
        ..ROW
    },
];

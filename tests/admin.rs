//! The superuser's admin API against the dev server: collections, settings, logs, crons,
//! backups and health, each through its generated service.

mod common;

use std::time::{Duration, Instant};

use bosbase::{ErrorKind, FilePart, SendOptions};
use common::{admin, client, token};
use serde_json::json;

fn opts() -> SendOptions {
    SendOptions::default()
}

#[test]
fn collections_lifecycle_import_and_scaffolds() {
    let pb = admin();
    let name = format!("tmp_{}", &token()[..10].to_lowercase().replace('-', "_"));
    let created = pb
        .collections()
        .create(json!({"name": name, "type": "base", "fields": [{"name": "n", "type": "number"}]}), opts())
        .wait()
        .unwrap();
    assert_eq!(created["name"], name.as_str());
    let one = pb.collections().get_one(&name, opts()).wait().unwrap();
    assert_eq!(one["id"], created["id"]);
    let updated = fresh_collection_retry(|| pb.collections().update(&name, json!({"listRule": ""}), opts()).wait());
    assert_eq!(updated["listRule"], "");
    pb.collection(&name).create(json!({"n": 1}), opts()).wait().unwrap();
    assert_eq!(pb.collection(&name).get_count(opts()).wait().unwrap(), 1);
    assert_eq!(pb.collections().truncate(&name, opts()).wait().unwrap(), json!(true));
    assert_eq!(pb.collection(&name).get_count(opts()).wait().unwrap(), 0);

    let all = pb.collections().get_full_list(2, opts()).wait().unwrap();
    assert!(all.iter().any(|c| c["name"] == name.as_str()));
    let scaffolds = pb.collections().get_scaffolds(opts()).wait().unwrap();
    assert!(scaffolds["auth"].is_object() && scaffolds["base"].is_object());

    // Import: the current definitions plus one more, without deleting the missing.
    let imported = format!("{name}_imp");
    let defs = json!([{"name": imported, "type": "base", "fields": []}]);
    assert_eq!(pb.collections().import(defs, false, opts()).wait().unwrap(), json!(true));
    pb.collections().get_one(&imported, opts()).wait().unwrap();

    for c in [&name, &imported] {
        assert_eq!(pb.collections().delete(c, opts()).wait().unwrap(), json!(true));
    }
    assert_eq!(pb.collections().get_one(&name, opts()).wait().unwrap_err().status(), 404);
    let err = client().collections().get_one("users", opts()).wait().unwrap_err();
    assert!(matches!(err.status(), 401 | 403), "superusers only: {err}");
}

/// BosBase (build d8bc341) refuses to change a collection for about 2 s after creating it
/// (400 "relation … already exists"; a server bug, see the issue note). PocketBase does
/// not. Retries that refusal only, for at most 5 s.
fn fresh_collection_retry(call: impl Fn() -> bosbase::Result<serde_json::Value>) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match call() {
            Err(e) if e.status() == 400 && e.message().contains("already exists") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(250))
            }
            other => return other.unwrap(),
        }
    }
}

#[test]
fn settings_read_update_and_tests() {
    let pb = admin();
    let settings = pb.settings().get_all(opts()).wait().unwrap();
    assert!(settings["meta"]["appName"].is_string());
    let name = settings["meta"]["appName"].as_str().unwrap().to_owned();
    let changed = pb.settings().update(json!({"meta": {"appName": "renamed-by-test"}}), opts()).wait().unwrap();
    assert_eq!(changed["meta"]["appName"], "renamed-by-test");
    pb.settings().update(json!({"meta": {"appName": name}}), opts()).wait().unwrap();

    // S3 is not configured here: the server's test connection fails, typed.
    let err = pb.settings().test_s3("storage", opts()).wait().unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 400), "{err}");
    // A server with somewhere to deliver mail (the dev server's mailbox) sends it; one
    // without (the bare BosBase server: no SMTP, no sendmail) refuses, typed.
    let sent = pb.settings().test_email("users", "someone@example.com", "verification", opts()).wait();
    match common::mailbox(&pb, "someone@example.com") {
        Some(mails) => {
            assert_eq!(sent.unwrap(), json!(true));
            assert!(mails.iter().any(|m| m["kind"] == "verification"), "{mails:?}");
        }
        None => assert_eq!(sent.unwrap_err().status(), 400),
    }
    let err = pb
        .settings()
        .generate_apple_client_secret("client", "TEAM123456", "KEY1234567", "not a key", 3600, opts())
        .wait()
        .unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 400), "{err}");
}

#[test]
fn logs_list_one_and_stats() {
    let pb = admin();
    pb.health().check(opts()).wait().unwrap();
    // Request logs are written in batches: wait for the first one.
    let deadline = Instant::now() + Duration::from_secs(15);
    let page = loop {
        let page = pb.logs().get_list(1, 5, opts()).wait().unwrap();
        if page["items"].as_array().is_some_and(|i| !i.is_empty()) || Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    let first = &page["items"][0];
    assert!(first["id"].is_string(), "no log arrived: {page}");
    let one = pb.logs().get_one(first["id"].as_str().unwrap(), opts()).wait().unwrap();
    assert_eq!(one["id"], first["id"]);
    let stats = pb.logs().get_stats(opts()).wait().unwrap();
    assert!(stats.iter().any(|s| s["total"].as_i64() > Some(0)));
}

#[test]
fn crons_list_and_run() {
    let pb = admin();
    let jobs = pb.crons().get_full_list(opts()).wait().unwrap();
    let ids: Vec<&str> = jobs.iter().filter_map(|j| j["id"].as_str()).collect();
    assert!(!ids.is_empty(), "PocketBase registers its own cron jobs");
    let job = ids.iter().find(|id| id.contains("DBOptimize")).unwrap_or(&ids[0]);
    assert_eq!(pb.crons().run(job, opts()).wait().unwrap(), json!(true));
    assert_eq!(pb.crons().run("no-such-job", opts()).wait().unwrap_err().status(), 404);
}

#[test]
fn backups_create_list_download_upload_delete() {
    let pb = admin();
    let name = format!("t{}.zip", &token()[..8].to_lowercase().replace('-', "x"));
    assert_eq!(pb.backups().create(&name, opts()).wait().unwrap(), json!(true));
    let list = pb.backups().get_full_list(opts()).wait().unwrap();
    let entry = list.iter().find(|b| b["key"] == name.as_str()).cloned();
    assert!(entry.is_some_and(|b| b["size"].as_i64() > Some(0)), "{list:?}");

    let file_token = pb.files().get_token(opts()).wait().unwrap();
    let url = pb.backups().get_download_url(&name, &file_token, opts()).wait().unwrap();
    let url = url.as_str();
    assert!(url.contains(&format!("/api/backups/{name}?token=")), "{url}");
    let zip = common::raw_get(url);
    assert!(zip.starts_with(b"PK"), "a zip archive");

    let copy = format!("copy-{name}");
    let part = FilePart::bytes("file", &copy, zip).content_type("application/zip");
    assert_eq!(pb.backups().upload(opts().file(part)).wait().unwrap(), json!(true));
    let list = pb.backups().get_full_list(opts()).wait().unwrap();
    assert!(list.iter().any(|b| b["key"] == copy.as_str()));

    // Restoring restarts the server, so only the refusal of a missing backup is exercised.
    assert_eq!(pb.backups().restore("missing.zip", opts()).wait().unwrap_err().status(), 400);
    for key in [&name, &copy] {
        assert_eq!(pb.backups().delete(key, opts()).wait().unwrap(), json!(true));
    }
    assert_eq!(pb.backups().delete(&name, opts()).wait().unwrap_err().status(), 400);
}

#[test]
fn health_and_local_urls_need_no_request() {
    let health = client().health().check(opts()).wait().unwrap();
    assert_eq!(health["code"], 200);
    // A URL row builds its answer locally, so it works against a server that is down.
    let down = bosbase::BosBase::new(&common::dead_url());
    let url = down.backups().get_download_url("a b.zip", "t", opts()).wait().unwrap();
    assert!(url.ends_with("/api/backups/a%20b.zip?token=t"), "{url}");
    let record = json!({"id": "r1", "collectionName": "posts"});
    let file = down.files().get_url(record, "f.png", "100x100", false, "", opts()).wait().unwrap();
    assert!(file.ends_with("/api/files/posts/r1/f.png?thumb=100x100"), "{file}");
}

//! The auth store kept in a file (`ClientBuilder::auth_file`, option `authFile`): a login
//! survives a restart, the file is owner-only and replaced atomically, a bad file is reported
//! and ignored. Only the last test needs the dev server.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use bosbase::{BosBase, ErrorKind};
use serde_json::{json, Value};

/// A fresh, empty directory of its own for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bosbase-auth-file-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A client on a server nobody needs (the store works without one), kept in `file`.
fn client_on(file: &Path) -> BosBase {
    BosBase::builder("http://127.0.0.1:9").auth_file(file).build().unwrap()
}

/// Builds the client on another thread so a file that blocks on open fails the test instead of hanging it.
fn client_within(file: &Path, limit: Duration) -> BosBase {
    let (tx, rx) = mpsc::channel();
    let file = file.to_owned();
    thread::spawn(move || tx.send(client_on(&file)).unwrap());
    rx.recv_timeout(limit).expect("building the client hung on the auth file")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn on_disk(file: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn a_saved_login_is_there_for_the_next_client() {
    let dir = scratch("saved");
    let file = dir.join("auth.json");
    let pb = client_on(&file);
    assert_eq!(pb.auth_store().token(), "", "no file yet: an empty store");
    assert!(pb.auth_store().file_error().is_none(), "a missing file is no problem");
    pb.auth_store().save("tok-1", json!({"id": "r1", "email": "a@x"})).unwrap();
    assert_eq!(on_disk(&file), json!({"token": "tok-1", "record": {"id": "r1", "email": "a@x"}}));
    drop(pb);

    let again = client_on(&file);
    assert_eq!(again.auth_store().token(), "tok-1");
    assert_eq!(again.auth_store().record()["email"], "a@x");
    assert!(again.auth_store().file_error().is_none());
    // The file holds an export: `import` takes it as is.
    let plain = BosBase::new("http://127.0.0.1:9");
    plain.auth_store().import(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(plain.auth_store().token(), "tok-1");
    assert_eq!(entries(&dir), ["auth.json"], "no temporary file left behind");
}

#[test]
fn clear_and_import_and_cookies_reach_the_file() {
    let dir = scratch("clear");
    let file = dir.join("auth.json");
    let pb = client_on(&file);
    pb.auth_store().save("tok", json!({"id": "r1"})).unwrap();
    pb.auth_store().clear();
    assert_eq!(on_disk(&file), json!({"token": "", "record": null}));
    assert_eq!(client_on(&file).auth_store().token(), "", "a cleared login does not come back");

    pb.auth_store().import(r#"{"token":"imported","record":{"id":"r2"}}"#).unwrap();
    assert_eq!(on_disk(&file)["token"], "imported");
    pb.auth_store().load_from_cookie("other=1", "").unwrap(); // no pb_auth cookie: signed out
    assert_eq!(on_disk(&file)["token"], "");
    // A refused change changes neither the store nor the file.
    pb.auth_store().save("ok", Value::Null).unwrap();
    assert!(pb.auth_store().save("bad\r\n", Value::Null).is_err());
    assert_eq!(on_disk(&file)["token"], "ok");
    assert_eq!(entries(&dir), ["auth.json"]);
}

#[cfg(unix)]
#[test]
fn the_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("mode");
    let file = dir.join("auth.json");
    let pb = client_on(&file);
    pb.auth_store().save("secret-token", Value::Null).unwrap();
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    // A file the user made world-readable is replaced by an owner-only one.
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    pb.auth_store().save("secret-token-2", Value::Null).unwrap();
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(client_on(&file).auth_store().token(), "secret-token-2");
}

#[test]
fn a_corrupt_file_is_reported_and_ignored() {
    let dir = scratch("corrupt");
    let file = dir.join("auth.json");
    let cases: [&[u8]; 7] = [
        b"{\"token\": \"s3cr3t-truncated",
        b"[]",
        b"\"s3cr3t\"",
        b"{\"token\": 12, \"record\": {}}",
        b"{\"token\": \"s3cr3t\", \"record\": 5}",
        b"{\"token\": \"s3cr3t\\r\\nX: 1\", \"record\": {}}",
        b"\xff\xfe s3cr3t \x00",
    ];
    for content in cases {
        fs::write(&file, content).unwrap();
        let pb = client_on(&file);
        assert_eq!(pb.auth_store().token(), "", "{content:?}: the store starts empty");
        let problem = pb.auth_store().file_error().expect("the problem is reported");
        assert_eq!(problem.kind(), ErrorKind::InvalidArgument);
        assert!(problem.message().starts_with("authFile: "), "{problem}");
        assert!(!format!("{problem} {problem:?} {}", problem.to_json()).contains("s3cr3t"), "{problem}");
        // The next change replaces the bad file and clears the report.
        pb.auth_store().save("fresh", Value::Null).unwrap();
        assert!(pb.auth_store().file_error().is_none());
        assert_eq!(on_disk(&file)["token"], "fresh");
    }
    // Too large to be a login: refused without reading it all.
    fs::write(&file, vec![b' '; 5 * 1024 * 1024]).unwrap();
    let problem = client_on(&file).auth_store().file_error().unwrap();
    assert!(problem.message().contains("larger than"), "{problem}");
    assert_eq!(entries(&dir), ["auth.json"]);
}

#[test]
fn a_directory_at_the_path_is_reported_and_left_alone() {
    let dir = scratch("dir");
    let file = dir.join("auth.json");
    fs::create_dir(&file).unwrap();
    let pb = client_within(&file, Duration::from_secs(10));
    assert!(pb.auth_store().file_error().unwrap().message().contains("a directory"));
    pb.auth_store().save("kept-in-memory", Value::Null).unwrap();
    assert_eq!(pb.auth_store().token(), "kept-in-memory", "the store works without its file");
    let problem = pb.auth_store().file_error().unwrap();
    assert!(problem.message().contains("in memory only"), "{problem}");
    assert!(file.is_dir());
    assert_eq!(entries(&dir), ["auth.json"], "no temporary file left behind");
    // A directory that does not exist: reported at the first write.
    let lost = client_on(&dir.join("missing").join("auth.json"));
    assert!(lost.auth_store().file_error().is_none());
    lost.auth_store().save("t", Value::Null).unwrap();
    assert!(lost.auth_store().file_error().is_some());
}

#[cfg(unix)]
#[test]
fn a_fifo_at_the_path_never_hangs() {
    let dir = scratch("fifo");
    let file = dir.join("auth.json");
    assert!(std::process::Command::new("mkfifo").arg(&file).status().unwrap().success());
    let pb = client_within(&file, Duration::from_secs(10));
    assert!(pb.auth_store().file_error().unwrap().message().contains("a FIFO"));
    // Never replaced: renaming over it would also replace a device (as root, /dev/null).
    pb.auth_store().save("t", Value::Null).unwrap();
    assert!(pb.auth_store().file_error().unwrap().message().contains("a FIFO"));
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&file).unwrap().file_type().is_fifo());
    assert_eq!(entries(&dir), ["auth.json"]);
}

/// A link planted at the path is replaced by the new file; the file it pointed to is never written.
#[cfg(unix)]
#[test]
fn a_symlink_at_the_path_is_replaced_not_followed() {
    let dir = scratch("symlink");
    let victim = dir.join("victim");
    fs::write(&victim, "precious").unwrap();
    let file = dir.join("auth.json");
    std::os::unix::fs::symlink(&victim, &file).unwrap();
    let pb = client_on(&file);
    assert!(pb.auth_store().file_error().is_some(), "the victim is no export");
    pb.auth_store().save("t", Value::Null).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(fs::symlink_metadata(&file).unwrap().file_type().is_file());
    assert_eq!(entries(&dir), ["auth.json", "victim"]);
}

/// Changes from many threads, and one made by a listener inside a change: the file ends
/// with the store's final state.
#[test]
fn the_file_always_ends_with_the_final_state() {
    let dir = scratch("order");
    let file = dir.join("auth.json");
    let pb = client_on(&file);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let pb = pb.clone();
            thread::spawn(move || {
                (0..25).for_each(|i| pb.auth_store().save(&format!("t{t}-{i}"), Value::Null).unwrap())
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(on_disk(&file)["token"], pb.auth_store().token());

    let store = pb.clone();
    pb.auth_store().on_change(Arc::new(move |token, _| {
        if token == "first" {
            store.auth_store().save("second", json!({"id": "nested"})).unwrap();
        }
    }));
    pb.auth_store().save("first", Value::Null).unwrap();
    assert_eq!(on_disk(&file), json!({"token": "second", "record": {"id": "nested"}}));
    assert_eq!(entries(&dir), ["auth.json"]);
}

#[test]
fn forks_keep_their_store_in_memory() {
    let dir = scratch("fork");
    let file = dir.join("auth.json");
    let pb = client_on(&file);
    pb.auth_store().save("parent", Value::Null).unwrap();
    let fork = pb.fork(Some(&json!({"token": "child", "record": {"id": "c"}}))).unwrap();
    assert!(fork.auth_store().file_path().is_none());
    fork.auth_store().clear();
    fork.auth_store().save("child-2", Value::Null).unwrap();
    assert_eq!(on_disk(&file)["token"], "parent");
}

#[test]
fn a_relative_path_is_resolved_when_the_client_is_built() {
    // Resolved against the directory of the moment the client is built (the test's cwd);
    // nothing is written, as the store does not change.
    let pb = BosBase::builder("http://127.0.0.1:9").auth_file("relative-auth.json").build().unwrap();
    let resolved = pb.auth_store().file_path().unwrap().to_owned();
    assert!(resolved.is_absolute() && resolved.ends_with("relative-auth.json"), "{resolved:?}");
    assert_eq!(resolved, std::env::current_dir().unwrap().join("relative-auth.json"));
}

#[test]
fn an_empty_path_is_refused() {
    let err = BosBase::builder("http://127.0.0.1:9").auth_file("").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("authFile"), "{err}");
}

/// Against the dev server: a real login persists, and the next client uses it.
#[test]
fn a_login_through_the_server_persists() {
    let dir = scratch("server");
    let file = dir.join("auth.json");
    let pb = BosBase::builder(&common::url()).auth_file(&file).build().unwrap();
    let users = pb.collection("users");
    let auth = users.auth_with_password(common::USER.0, common::USER.1, Default::default(), Default::default(), None);
    let auth = auth.wait().unwrap();
    assert_eq!(on_disk(&file)["token"], auth["token"]);
    drop(pb);

    let restarted = BosBase::builder(&common::url()).auth_file(&file).build().unwrap();
    assert!(restarted.auth_store().is_valid());
    assert_eq!(restarted.auth_store().record()["email"], common::USER.0);
    // The restored token is accepted by the server, and the refresh's save reaches the file.
    let refreshed = restarted.collection("users").auth_refresh(Default::default(), Default::default()).wait().unwrap();
    assert_eq!(refreshed["record"]["email"], common::USER.0);
    assert_eq!(on_disk(&file)["token"], refreshed["token"]);
    assert_eq!(entries(&dir), ["auth.json"]);
}

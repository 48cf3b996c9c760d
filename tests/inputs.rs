//! Hostile inputs (issue 20): file parts that are FIFOs or change size during the upload,
//! tokens with control characters from the caller or from a lying server, and error URLs
//! past their documented length. Loopback canned servers only; no dev server needed.

mod common;

use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use bosbase::{BosBase, ErrorKind, FilePart, SendOptions};
use common::canned::{serve, Reply};
use serde_json::{json, Map, Value};

/// A scratch directory for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bosbase-inputs-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn upload(path: &std::path::Path, timeout_ms: u64) -> SendOptions {
    let mut options = SendOptions::new("POST").file(FilePart::path("doc", path));
    options.timeout_ms = Some(timeout_ms);
    options
}

/// Runs `f` on its own thread; panics when it is not done within `limit` (on the old code
/// these calls never returned at all).
fn bounded<T: Send + 'static>(limit: Duration, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()).ok());
    rx.recv_timeout(limit).unwrap_or_else(|_| panic!("{what} still blocked after {limit:?}"))
}

/// A FIFO with no writer used to block `open` forever, outside any deadline: a call with
/// `timeoutMs` 3000 never returned, its async form never completed, and `close` then
/// waited forever. Now it is refused at once, naming the field and what the path is.
#[cfg(unix)]
#[test]
fn a_fifo_part_is_refused_at_once_sync_async_and_close() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let url = serve(Reply::Echo);
    let pb = BosBase::new(&url);

    let (p, f) = (pb.clone(), fifo.clone());
    let started = Instant::now();
    let err =
        bounded(Duration::from_secs(6), "a blocking call", move || p.send("/up", upload(&f, 3000)).wait()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("`doc`") && err.message().contains("FIFO"), "{err}");
    assert!(!err.message().contains("pipe"), "the path stays out of the message: {err}");
    assert!(started.elapsed() < Duration::from_secs(2), "refused at once, not at the deadline");

    let (p, f) = (pb.clone(), fifo.clone());
    let err = bounded(Duration::from_secs(6), "an async call", move || {
        futures_executor::block_on(p.send("/up", upload(&f, 3000)).into_future())
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    // A call left running (its future never polled to the end) must not hold `close`.
    let call = pb.send("/up", upload(&fifo, 3000));
    let pending = thread::spawn(move || futures_executor::block_on(call.into_future()));
    bounded(Duration::from_secs(6), "close", move || pb.close());
    assert!(pending.join().unwrap().is_err());
    for (path, what) in [("/dev/zero", "device"), ("/dev/urandom", "device")] {
        let err = BosBase::new(&url).send("/up", upload(path.as_ref(), 3000)).wait().unwrap_err();
        assert!(err.kind() == ErrorKind::InvalidArgument && err.message().contains(what), "{path}: {err}");
    }
    let err = BosBase::new(&url).send("/up", upload(&dir, 3000)).wait().unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidArgument && err.message().contains("directory"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A file truncated while the server reads its body used to leave the body short of its
/// `Content-Length`: the server waited for the rest and the call ended as `timeout` at its
/// deadline. Now the short read fails the call at once as `invalid_argument`.
#[test]
fn a_file_that_shrinks_during_the_upload_fails_at_once() {
    let dir = scratch("shrink");
    let path = dir.join("big.bin");
    // Sparse: 32 MB, past what the socket buffers hold when the server pauses (a few MB),
    // so the client is still reading the file when it is cut to 16 MB.
    std::fs::File::create(&path).unwrap().set_len(32 << 20).unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let url = serve(Reply::PausedRead(256 << 10, Arc::clone(&barrier)));
    let pb = BosBase::new(&url);
    let p = path.clone();
    let call = thread::spawn(move || pb.send("/up", upload(&p, 8000)).wait());
    barrier.wait(); // the server has read 256 KiB and stopped reading
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(16 << 20).unwrap();
    let shrunk = Instant::now();
    barrier.wait(); // it reads on
    let err = call.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("`doc`") && err.message().contains("changed size"), "{err}");
    assert!(shrunk.elapsed() < Duration::from_secs(4), "reported promptly, not at the 8 s deadline");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A server (or anything in between) answering a login with a token holding CR/LF: the
/// token used to be saved, after which every request failed and the pub/sub upgrade went
/// out without its `Authorization` (anonymously). Now the answer is a `json` error and
/// the store keeps its login; a forked client (impersonation) refuses it too.
#[test]
fn a_login_answer_with_a_broken_token_is_refused() {
    let answer = r#"{"token":"abc\r\nX-Evil: 1","record":{"id":"u1","collectionName":"users"}}"#;
    let url = serve(Reply::With("200 OK", answer));
    let pb = BosBase::new(&url);
    pb.auth_store().save("kept", json!({"id": "u0"})).unwrap();
    let args: Map<String, Value> =
        serde_json::from_value(json!({"collection": "users", "identity": "a@b.c", "password": "pw"})).unwrap();
    let err = pb.operation("records.authWithPassword", args, SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Json, "{err}");
    assert!(!format!("{err:?}").contains("Evil"), "{err:?}");
    assert_eq!((pb.auth_store().token(), pb.auth_store().record()["id"].clone()), ("kept".into(), json!("u0")));

    let err = pb.fork(Some(&serde_json::from_str(answer).unwrap())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let err = pb.collection("users").impersonate("u1", 60, SendOptions::default()).wait().unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::InvalidArgument | ErrorKind::Json), "{err}");
}

/// The caller's own ways in: save, import and the auth cookie refuse such a token and
/// keep (save, import) or clear (cookie) the login, never holding the bad token.
#[test]
fn a_caller_token_with_control_characters_is_refused_everywhere() {
    let pb = BosBase::new("http://127.0.0.1:9");
    let store = pb.auth_store();
    store.save("kept", json!({"id": "u0"})).unwrap();
    let bad = "abc\r\nX-Evil: 1";
    assert_eq!(store.save(bad, json!({})).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let exported = json!({"token": bad, "record": {"id": "u1"}}).to_string();
    assert_eq!(store.import(&exported).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(store.token(), "kept");
    let cookie: String = exported.bytes().map(|b| format!("%{b:02X}")).collect();
    let err = store.load_from_cookie(&format!("pb_auth={cookie}"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(store.token(), "", "a bad cookie signs the request out");
    // `{"token":1}` is refused by the cookie as by import (it used to be loaded as OK).
    store.save("kept", Value::Null).unwrap();
    let err = store.load_from_cookie("pb_auth=%7B%22token%22%3A1%7D", "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(store.import(r#"{"token":1}"#).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

/// The error `url` is at most 256 bytes, its `…` included (it was 259), from a long path
/// to a server that answers and from a long base URL where nothing answers.
#[test]
fn error_urls_stay_within_256_bytes() {
    let url = serve(Reply::With("404 Not Found", r#"{"message":"nope"}"#));
    let pb = BosBase::new(&url);
    let id = "é".repeat(200);
    let err = pb.collection("posts").get_one(&id, SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.status(), 404);
    assert!(err.url().len() <= 256 && err.url().ends_with('…'), "{} bytes", err.url().len());
    assert!(err.to_json()["url"].as_str().unwrap().len() <= 256);
    for prefix in ["/api/x", "/api/xy"] {
        let path = format!("{prefix}{}", "é".repeat(200));
        let err = pb.send(&path, SendOptions::default()).wait().unwrap_err();
        assert!(err.url().len() <= 256 && err.url().ends_with("é…"), "{} bytes: {}", err.url().len(), err.url());
    }
    let long_base = format!("{}/{}", common::dead_url(), "base".repeat(80));
    let err = BosBase::new(&long_base).health().check(SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.url().len() <= 256 && err.url().ends_with('…'), "{} bytes: {}", err.url().len(), err.url());
}

/// Found while writing the C ABI fuzz target: a `caFile` naming a FIFO blocked the
/// constructor forever (a plain read, before any deadline), and `/dev/zero` read until
/// memory ran out. Both are refused at once now, as a directory is.
#[cfg(unix)]
#[test]
fn a_ca_file_that_is_not_a_regular_file_is_refused_at_once() {
    let dir = scratch("cafile");
    let fifo = dir.join("ca.pem");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for path in [fifo, PathBuf::from("/dev/zero"), dir.clone()] {
        let shown = path.display().to_string();
        let err = bounded(Duration::from_secs(5), "the constructor", move || {
            BosBase::builder("http://127.0.0.1:9").ca_file(&path).build().err()
        })
        .unwrap_or_else(|| panic!("{shown} accepted as a CA file"));
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.message().starts_with("caFile: not a regular file"), "{shown}: {err}");
    }
}

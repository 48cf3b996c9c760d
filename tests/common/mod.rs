//! Shared helpers for the integration tests: the dev server's URL and demo accounts.
#![allow(dead_code)]

pub mod canned;
pub mod files;
pub mod front;
pub mod hostile;
pub mod oauth2;
pub mod proxy;
pub mod script;
pub mod tls;

use bosbase::BosBase;

pub const USER: (&str, &str) = ("user@example.com", "user-password");
pub const USER2: (&str, &str) = ("user2@example.com", "user2-password");
pub const ADMIN: (&str, &str) = ("admin@example.com", "admin-password");
pub const MFA_USER: (&str, &str) = ("mfa@example.com", "mfa-password");

/// The dev server started by `scripts/devserver --demo -- cargo test` (see `make core-test`).
pub fn url() -> String {
    std::env::var("BOSBASE_URL")
        .expect("BOSBASE_URL is not set: run `make core-test` or `scripts/devserver --build --demo -- cargo test`")
}

pub fn client() -> BosBase {
    BosBase::new(&url())
}

/// A fresh random token, so tests sharing one server never collide.
pub fn token() -> String {
    bosbase::generate_token().unwrap()
}

/// A URL where nothing listens: bind a port, then close it.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A client signed in as the demo superuser.
pub fn admin() -> BosBase {
    let pb = client();
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    pb
}

/// Builds a JSON object from `(key, value)` pairs (the generated methods take `Value`s).
pub fn obj(pairs: &[(&str, serde_json::Value)]) -> serde_json::Value {
    serde_json::Value::Object(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
}

/// A throw-away account of `users` (so tests that change an account never touch the
/// shared demo ones): returns (email, password, id).
pub fn new_user(admin: &BosBase) -> (String, String, String) {
    let email = format!("u-{}@example.com", &token()[..12].to_lowercase());
    let password = "throwaway-password".to_owned();
    let data = serde_json::json!({"email": email, "password": password, "passwordConfirm": password});
    let record = admin.collection("users").create(data, Default::default()).wait().unwrap();
    (email, password, record["id"].as_str().unwrap().to_owned())
}

/// The dev server's mailbox for `to` (its `/api/_dev/mailbox`, superusers only), oldest
/// first; `None` on a server without one (the real BosBase server).
pub fn mailbox(admin: &BosBase, to: &str) -> Option<Vec<serde_json::Value>> {
    let answer = admin.send("/api/_dev/mailbox", bosbase::SendOptions::new("GET").query("to", to)).wait();
    match answer {
        Ok(serde_json::Value::Array(mails)) => Some(mails),
        Err(e) if e.status() == 404 => None,
        other => panic!("mailbox: {other:?}"),
    }
}

/// The `meta` of the newest mail of `kind` to `to`, waiting for it (up to 10 s).
pub fn last_mail(admin: &BosBase, to: &str, kind: &str) -> serde_json::Value {
    wait_mail(admin, to, kind, |_| true)
}

/// The `meta` of the newest mail of `kind` to `to` whose meta `accept`s, waiting for it (up
/// to 10 s): PocketBase sends mail in the background, so the request that triggers a mail
/// can return before the mail exists (reading right away saw the previous mail ~1 in 14 runs).
pub fn wait_mail(
    admin: &BosBase,
    to: &str,
    kind: &str,
    accept: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mails = mailbox(admin, to).expect("this server has no mailbox");
        if let Some(mail) = mails.iter().rev().find(|m| m["kind"] == kind && accept(&m["meta"])) {
            return mail["meta"].clone();
        }
        assert!(std::time::Instant::now() < deadline, "no {kind} mail to {to} within 10 s: {mails:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A client signed in as a fresh throw-away account: (client, email, password, id).
pub fn signed_in_new_user(admin: &BosBase) -> (BosBase, String, String, String) {
    let (email, password, id) = new_user(admin);
    let pb = client();
    pb.collection("users")
        .auth_with_password(&email, &password, Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    (pb, email, password, id)
}

/// A minimal HTTP/1.1 GET of a file or download URL, as a browser would fetch it (the SDK
/// decodes JSON answers; a file is not JSON). Panics unless the answer is 200.
pub fn raw_get(url: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(s, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert!(out.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&out[..split]));
    out[split + 4..].to_vec()
}

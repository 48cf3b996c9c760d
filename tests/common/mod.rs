//! Shared helpers for the integration tests: the dev server's URL and demo accounts.
#![allow(dead_code)]

pub mod canned;
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

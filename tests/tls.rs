//! HTTPS against a local TLS server whose CA is generated at test time (tests/common/tls.rs).

mod common;

use std::time::{Duration, Instant};

use bosbase::{BosBase, ClientBuilder, ErrorKind, SendOptions};
use common::tls::{serve, TlsServer, BODY};

fn health(pb: &BosBase) -> bosbase::Result<serde_json::Value> {
    pb.send("/api/health", SendOptions::new("GET")).wait()
}

fn builder(url: &str) -> ClientBuilder {
    BosBase::builder(url).timeout(Duration::from_secs(10))
}

fn server() -> &'static TlsServer {
    static SERVER: std::sync::OnceLock<TlsServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| serve(false))
}

#[test]
fn a_server_signed_by_the_extra_ca_is_trusted() {
    let s = server();
    let pb = builder(&s.url).ca_pem(&s.ca_pem).build().unwrap();
    assert_eq!(health(&pb).unwrap(), serde_json::from_str::<serde_json::Value>(BODY).unwrap());
    // And again on the same (kept-alive) TLS connection.
    assert_eq!(health(&pb).unwrap()["code"], 200);
}

#[test]
fn the_extra_ca_can_come_from_a_file() {
    let s = server();
    let path = std::env::temp_dir().join(format!("bosbase-test-ca-{}.pem", std::process::id()));
    std::fs::write(&path, &s.ca_pem).unwrap();
    let pb = builder(&s.url).ca_file(&path).build().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(health(&pb).unwrap()["code"], 200);
}

#[test]
fn an_unknown_issuer_is_a_tls_error() {
    let err = health(&builder(&server().url).build().unwrap()).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Tls, 0), "{err}");
    assert!(err.message().contains("unknown issuer"), "{err}");
}

#[test]
fn a_name_the_certificate_does_not_cover_is_a_tls_error() {
    let s = server();
    let err = health(&builder(&s.wrong_host_url).ca_pem(&s.ca_pem).build().unwrap()).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Tls, 0), "{err}");
    assert!(err.message().contains("name mismatch"), "{err}");
}

#[test]
fn an_expired_certificate_is_a_tls_error() {
    let s = serve(true);
    let err = health(&builder(&s.url).ca_pem(&s.ca_pem).build().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.message().contains("expired"), "{err}");
}

#[test]
fn skipping_verification_accepts_any_certificate() {
    let s = server();
    let pb = builder(&s.wrong_host_url).danger_accept_invalid_certs(true).build().unwrap();
    assert_eq!(health(&pb).unwrap()["code"], 200);
    let expired = serve(true);
    let pb = builder(&expired.url).danger_accept_invalid_certs(true).build().unwrap();
    assert_eq!(health(&pb).unwrap()["code"], 200);
}

#[test]
fn plain_http_to_a_tls_port_fails_fast_and_tls_to_a_plain_port_is_a_tls_error() {
    let s = server();
    let started = Instant::now();
    let plain = s.url.replace("https://", "http://");
    let err = health(&builder(&plain).timeout(Duration::from_secs(3)).build().unwrap()).unwrap_err();
    assert_ne!(err.kind(), ErrorKind::Tls);
    assert!(started.elapsed() < Duration::from_secs(4));
    let http = common::canned::serve(common::canned::Reply::With("200 OK", "{}"));
    let err = health(&builder(&http.replace("http://", "https://")).build().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
}

#[test]
fn an_unusable_ca_is_refused_at_construction_without_echoing_it() {
    let err = BosBase::builder("https://127.0.0.1:1").ca_pem("secret-not-a-pem").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("caPem") && !err.to_string().contains("secret"), "{err}");
    let err = BosBase::builder("https://127.0.0.1:1").ca_file("/nonexistent/ca.pem").build().unwrap_err();
    assert!(err.message().contains("caFile") && !err.message().contains("nonexistent"), "{err}");
}

#[test]
fn a_tls_handshake_runs_on_a_pool_worker() {
    // Workers have small stacks: the handshake and verification must fit (a debug build
    // is the hungriest).
    let s = server();
    let pb = builder(&s.url).ca_pem(&s.ca_pem).build().unwrap();
    let answer = futures_executor::block_on(std::future::IntoFuture::into_future(
        pb.send("/api/health", SendOptions::new("GET")),
    ));
    assert_eq!(answer.unwrap()["code"], 200);
}

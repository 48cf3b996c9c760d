//! The all-in-one OAuth2 sign-in under production conditions: the client (and so the
//! provider's redirect_uri) by the name `localhost`, and its calls and realtime stream
//! through an HTTP proxy from the environment. Run as tests/oauth2.rs is
//! (`scripts/devserver --demo -- scripts/oauth2-provider -- cargo test --test oauth2_paths`).

mod common;

use std::process::Command;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use bosbase::{BosBase, ClientBuilder, ErrorKind, OAuth2Options, SendOptions};
use serde_json::Value;

use common::proxy::{self, Mode};

const EMAIL: &str = "oauth2-user@example.com";

fn provider() -> String {
    std::env::var("BOSBASE_OAUTH2_PROVIDER").expect("run through scripts/oauth2-provider (see the file's header)")
}

/// The test's browser (scripts/oauth2-provider browse): 0 when the server took the redirect.
/// It connects directly, as a user's browser on this machine would.
fn browse(url: &str) -> i32 {
    let browser = std::env::var("BOSBASE_OAUTH2_BROWSER").expect("run through scripts/oauth2-provider");
    Command::new(browser).arg("browse").arg(url).status().unwrap().code().unwrap_or(-1)
}

/// `http://localhost:PORT` of the dev server.
fn localhost() -> String {
    format!("http://localhost:{}", common::url().rsplit_once(':').unwrap().1.trim_end_matches('/'))
}

/// Runs the flow on a client built from `builder`; returns the client, the URL handed
/// out and the result. One flow at a time: two first sign-ins of the provider's one user
/// race to create its account on the server, and one gets 400 "must be unique".
fn sign_in(builder: ClientBuilder) -> (BosBase, String, bosbase::Result<Value>) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let pb = builder.build().unwrap();
    let (tx, rx) = mpsc::channel();
    let mut options = SendOptions::default();
    options.timeout_ms = Some(20_000);
    let call = pb.collection("users").auth_with_oauth2(&provider(), OAuth2Options::default(), options, move |url| {
        tx.send(url.to_owned()).unwrap();
        assert_eq!(browse(url), 0, "the server did not take the redirect");
    });
    let result = call.wait();
    let url = rx.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
    (pb, url, result)
}

/// The redirect_uri the provider must send the browser to, as the URL carries it.
fn redirect_param(base: &str) -> String {
    let encoded: String = format!("{base}/api/oauth2-redirect")
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("redirect_uri={encoded}")
}

fn assert_signed_in(pb: &BosBase, result: bosbase::Result<Value>) {
    let auth = result.unwrap();
    assert_eq!(auth["record"]["email"], EMAIL);
    assert_eq!(pb.auth_store().token(), auth["token"].as_str().unwrap());
}

#[test]
fn signs_in_by_the_name_localhost() {
    let (pb, url, result) = sign_in(BosBase::builder(&localhost()));
    assert!(url.contains(&redirect_param(&localhost())), "the redirect names the client's host: {url}");
    assert_signed_in(&pb, result);
}

/// Every connection of the flow goes through the proxy: the calls' (auth methods,
/// subscription, code exchange) and the realtime stream's, which is a second connection
/// (its own agent), so a stream that bypassed the proxy leaves one tunnel, not two.
#[test]
fn signs_in_through_a_proxy_from_the_environment() {
    let p = proxy::serve(Mode::Open);
    let (pb, url, result) = sign_in(BosBase::builder(&localhost()).proxy_environment(&[("HTTP_PROXY", &p.url)]));
    assert!(url.contains(&redirect_param(&localhost())), "{url}");
    assert_signed_in(&pb, result);
    let targets: Vec<String> = p.seen().into_iter().map(|s| s.target).collect();
    assert!(p.tunnels() >= 2, "the calls and the realtime stream: {targets:?}");
    let host = localhost().trim_start_matches("http://").to_owned();
    assert!(targets.iter().all(|t| *t == host), "{targets:?}");

    // A refusing proxy fails the flow with the call's typed error and saves nothing.
    let refusing = proxy::serve(Mode::Refuse("403 Forbidden"));
    let pb = BosBase::builder(&localhost()).proxy_environment(&[("HTTP_PROXY", &refusing.url)]).build().unwrap();
    let call =
        pb.collection("users").auth_with_oauth2(&provider(), OAuth2Options::default(), SendOptions::default(), |_| {
            panic!("no URL without the auth methods")
        });
    let err = call.wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains("refused the tunnel"), "{err}");
    assert!(pb.auth_store().token().is_empty());
}

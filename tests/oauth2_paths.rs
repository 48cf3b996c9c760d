//! The all-in-one OAuth2 sign-in under production conditions: the client (and so the
//! provider's redirect_uri) by the name `localhost`, and its calls and realtime stream
//! through an HTTP proxy from the environment. Run as tests/oauth2.rs is
//! (`scripts/devserver --demo -- scripts/oauth2-provider -- cargo test --test oauth2_paths`).

mod common;

use std::future::{Future, IntoFuture};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use bosbase::{BosBase, ClientBuilder, ErrorKind, OAuth2Options, SendOptions};
use common::oauth2::{browse, provider};
use serde_json::Value;

use common::proxy::{self, Mode};

const EMAIL: &str = "oauth2-user@example.com";

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

/// A cancel shuts down the connection its call is using (so a stalled call frees its
/// worker at once), but never one the call is done with: the flow's auth-methods request
/// left its connection in the pool, a download took it, and cancelling the flow while it
/// waits for the redirect leaves that download alone.
#[test]
fn cancelling_a_flow_leaves_a_call_on_its_former_connection_alone() {
    let pb = common::admin();
    let collection = common::files::collection(&pb);
    let data = common::files::bytes(2 << 20);
    let parts = vec![bosbase::FilePart::bytes("doc", "d.bin", data.clone())];
    let record = common::files::record(&pb, &collection, parts);
    let name = record["doc"].as_str().unwrap().to_owned();

    let (url_tx, url_rx) = mpsc::channel();
    let mut options = SendOptions::default();
    options.timeout_ms = Some(20_000);
    let flow = pb.collection("users").auth_with_oauth2(&provider(), OAuth2Options::default(), options, move |url| {
        url_tx.send(url.to_owned()).unwrap();
    });
    let mut flow = Box::pin(flow.into_future());
    assert!(flow.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())).is_pending());
    url_rx.recv_timeout(Duration::from_secs(10)).expect("the flow handed out its URL");

    // The download holds the pooled connection mid-stream while the flow is cancelled.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (mid_tx, mid_rx) = mpsc::channel();
    let go = Mutex::new(Some(go_rx));
    let progress = bosbase::DownloadOptions::new().on_progress(move |_, _| {
        if let Some(go) = go.lock().unwrap().take() {
            mid_tx.send(()).unwrap();
            let _ = go.recv_timeout(Duration::from_secs(10));
        }
    });
    let out = Arc::new(Mutex::new(Vec::new()));
    let target = bosbase::DownloadTarget::writer(common::files::Shared(Arc::clone(&out)));
    let download = pb.files().download(record, &name, target, progress);
    let download = std::thread::spawn(move || download.wait());
    mid_rx.recv_timeout(Duration::from_secs(10)).expect("the download started");
    drop(flow);
    go_tx.send(()).unwrap();
    let result = download.join().unwrap();
    assert_eq!(result.unwrap()["bytes"], data.len() as u64);
    assert!(*out.lock().unwrap() == data, "the bytes differ");
}

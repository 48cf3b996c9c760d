//! The all-in-one OAuth2 sign-in, end to end: the dev server (or the real BosBase server)
//! with scripts/oauth2-provider as its "oidc" provider, and that script's `browse` as the
//! browser (GET the authorization URL, follow the provider's redirect to the server's
//! /api/oauth2-redirect). Run as `scripts/devserver --demo -- scripts/oauth2-provider --
//! cargo test --test oauth2`.

mod common;

use std::future::{Future, IntoFuture};
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bosbase::{ErrorKind, OAuth2Options, SendOptions};
use common::client;
use common::oauth2::{browse, provider};

const EMAIL: &str = "oauth2-user@example.com";

fn timeout(ms: u64) -> SendOptions {
    let mut o = SendOptions::default();
    o.timeout_ms = Some(ms);
    o
}

#[test]
fn signs_in_through_the_provider_and_saves_the_login() {
    let pb = client();
    let (seen, rx) = (pb.clone(), mpsc::channel());
    let tx = rx.0;
    let options = OAuth2Options::default().scopes(["openid", "email"]).url_query("prompt", "consent");
    let call = pb.collection("users").auth_with_oauth2(&provider(), options, timeout(20_000), move |url| {
        let state = seen.realtime().client_id().unwrap_or_default();
        tx.send((url.to_owned(), state)).unwrap();
        assert_eq!(browse(url), 0, "the server did not take the redirect");
    });
    let auth = futures_executor::block_on(call.into_future()).unwrap();
    let (url, state) = rx.1.recv().unwrap();
    assert!(!state.is_empty() && url.contains(&format!("state={state}")), "{url}");
    let redirect = format!("redirect_uri={}", percent(&format!("{}/api/oauth2-redirect", common::url())));
    assert!(url.contains(&redirect) && url.contains("scope=openid%20email") && url.contains("prompt=consent"), "{url}");
    assert_eq!(auth["record"]["email"], EMAIL);
    assert_eq!(auth["meta"]["email"], EMAIL);
    assert_eq!(pb.auth_store().token(), auth["token"].as_str().unwrap());
    assert_eq!(pb.auth_store().record()["email"], EMAIL);
    // The @oauth2 subscription is gone, and with it the realtime threads.
    let end = Instant::now() + Duration::from_secs(5);
    while pb.realtime().live_threads() > 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(pb.realtime().live_threads(), 0);

    // The blocking form signs in again (the account now exists).
    let again =
        pb.collection("users").auth_with_oauth2(&provider(), OAuth2Options::default(), timeout(20_000), |url| {
            assert_eq!(browse(url), 0);
        });
    assert_eq!(again.wait().unwrap()["record"]["id"], auth["record"]["id"]);
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_provider_refusal_is_kind_oauth2_and_changes_nothing() {
    let pb = client();
    let call = pb.collection("users").auth_with_oauth2(&provider(), OAuth2Options::default(), timeout(20_000), |url| {
        // The server takes the redirect (it hands the error to the subscriber) and shows its failure page.
        browse(&format!("{url}&deny=1"));
    });
    let err = call.wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OAuth2, "{err}");
    assert!(err.to_string().contains("access_denied"), "{err}");
    assert!(pb.auth_store().token().is_empty());
}

#[test]
fn no_redirect_within_the_deadline_is_a_timeout() {
    let pb = client();
    let started = Instant::now();
    let call = pb.collection("users").auth_with_oauth2(&provider(), OAuth2Options::default(), timeout(1_500), |_| {});
    let err = call.wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(pb.auth_store().token().is_empty());
}

#[test]
fn dropping_the_future_cancels_the_flow_and_a_late_redirect_saves_nothing() {
    let pb = client();
    let (tx, rx) = mpsc::channel();
    let call =
        pb.collection("users").auth_with_oauth2(&provider(), OAuth2Options::default(), timeout(20_000), move |url| {
            tx.send(url.to_owned()).unwrap();
        });
    let mut fut = Box::pin(call.into_future());
    assert!(matches!(fut.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop())), Poll::Pending));
    let url = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(pb.realtime().live_threads() > 0, "the flow holds its @oauth2 subscription");
    drop(fut);
    // The flow leaves at once: its subscription, and with it the realtime threads, end.
    let end = Instant::now() + Duration::from_secs(2);
    while pb.realtime().live_threads() > 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(pb.realtime().live_threads(), 0);
    browse(&url); // the user finishes at the provider anyway
    std::thread::sleep(Duration::from_millis(300));
    assert!(pb.auth_store().token().is_empty());
}

#[test]
fn an_unknown_provider_is_an_invalid_argument() {
    let call = client().collection("users").auth_with_oauth2("nope", OAuth2Options::default(), timeout(5_000), |_| {
        panic!("no URL for an unknown provider")
    });
    assert_eq!(call.wait().unwrap_err().kind(), ErrorKind::InvalidArgument);
}

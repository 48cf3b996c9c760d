//! Opt-in retries (issue 23 item 4) against the scripted fault server: which calls are
//! retried, on what, how long they wait, and that the deadline bounds it all.

mod common;

use std::time::{Duration, Instant};

use bosbase::{BosBase, ErrorKind, Retries, SendOptions};
use common::script::{serve, Step};
use serde_json::json;

const OK: Step = Step::Answer("200 OK", &[], r#"{"ok":true}"#);
const UNAVAILABLE: Step = Step::Answer("503 Service Unavailable", &[], r#"{"status":503,"message":"busy"}"#);

/// Retries with short waits, so the tests stay fast.
fn quick(attempts: u32) -> Retries {
    Retries::attempts(attempts).base_delay(Duration::from_millis(10)).max_delay(Duration::from_millis(40))
}

fn client(url: &str, retries: Retries) -> BosBase {
    BosBase::builder(url).retries(retries).build().unwrap()
}

fn get(pb: &BosBase) -> bosbase::Result<serde_json::Value> {
    pb.send("/api/x", SendOptions::new("GET")).wait()
}

#[test]
fn two_503_then_200_succeeds_in_three_attempts() {
    let server = serve(vec![UNAVAILABLE, UNAVAILABLE, OK]);
    assert_eq!(get(&client(&server.url, quick(3))).unwrap(), json!({"ok": true}));
    assert_eq!(server.requests(), 3);
}

#[test]
fn attempts_stop_at_max_attempts_and_the_error_counts_them() {
    let server = serve(vec![Step::Answer("502 Bad Gateway", &[], "<html>"), UNAVAILABLE, UNAVAILABLE]);
    let err = get(&client(&server.url, quick(3))).unwrap_err();
    assert_eq!((err.kind(), err.status(), err.attempts()), (ErrorKind::Http, 503, 3), "{err}");
    assert_eq!(err.to_json()["attempts"], 3);
    assert_eq!(server.requests(), 3);
}

#[test]
fn off_by_default_one_attempt() {
    let server = serve(vec![UNAVAILABLE, OK]);
    let err = get(&BosBase::new(&server.url)).unwrap_err();
    assert_eq!((err.status(), err.attempts()), (503, 1));
    assert_eq!(err.to_json()["attempts"], 1);
    assert_eq!(server.requests(), 1);
    // Nor are other statuses retried, with retries on.
    let server = serve(vec![Step::Answer("500 Internal Server Error", &[], "{}"), OK]);
    assert_eq!(get(&client(&server.url, quick(3))).unwrap_err().status(), 500);
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_429_waits_its_retry_after() {
    let server = serve(vec![Step::Answer("429 Too Many Requests", &["Retry-After: 1"], "{}"), OK]);
    let started = Instant::now();
    get(&client(&server.url, quick(3))).unwrap();
    let took = started.elapsed();
    let seen = server.seen();
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(950) && took < Duration::from_millis(2500), "{waited:?} {took:?}");
}

#[test]
fn a_retry_after_past_the_deadline_returns_the_429_at_once() {
    let server = serve(vec![Step::Answer("429 Too Many Requests", &["Retry-After: 10"], "{}"), OK]);
    let pb = BosBase::builder(&server.url).retries(quick(5)).timeout(Duration::from_secs(3)).build().unwrap();
    let started = Instant::now();
    let err = get(&pb).unwrap_err();
    assert_eq!((err.status(), err.attempts()), (429, 1));
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_post_is_not_retried_unless_marked_idempotent() {
    let server = serve(vec![UNAVAILABLE, OK]);
    let pb = client(&server.url, quick(3));
    let err = pb.send("/api/x", SendOptions::new("POST").body(json!({"a": 1}))).wait().unwrap_err();
    assert_eq!((err.status(), err.attempts()), (503, 1));
    assert_eq!(server.requests(), 1);

    let server = serve(vec![UNAVAILABLE, Step::Reset, OK]);
    let pb = client(&server.url, quick(3));
    pb.send("/api/x", SendOptions::new("POST").body(json!({"a": 1})).idempotent(true)).wait().unwrap();
    assert_eq!(server.seen().iter().map(|s| s.method.as_str()).collect::<Vec<_>>(), ["POST"; 3]);
}

#[test]
fn a_reset_or_close_before_any_answer_byte_is_retried() {
    for fault in [Step::Reset, Step::Close] {
        let server = serve(vec![fault.clone(), OK]);
        get(&client(&server.url, quick(2))).unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(server.requests(), 2, "{fault:?}");
    }
}

/// A keep-alive connection the server drops as the next request arrives (ureq's probe of a
/// pooled connection cannot see it coming): the retry goes out on a new connection.
#[test]
fn a_stale_keep_alive_connection_is_retried_once_on_a_new_connection() {
    let server = serve(vec![OK, Step::Close, OK]);
    let pb = client(&server.url, quick(3));
    get(&pb).unwrap();
    get(&pb).unwrap();
    let connections: Vec<usize> = server.seen().iter().map(|s| s.connection).collect();
    assert_eq!(connections, [1, 1, 2], "the first call's connection was reused, then a new one");

    // Off, the same fault is the caller's problem.
    let server = serve(vec![OK, Step::Close, OK]);
    let pb = BosBase::new(&server.url);
    get(&pb).unwrap();
    let err = get(&pb).unwrap_err();
    assert_eq!((err.kind(), err.status(), err.attempts()), (ErrorKind::Network, 0, 1), "{err}");
}

#[test]
fn a_reset_after_some_answer_bytes_is_not_retried() {
    let server = serve(vec![Step::PartialHead, OK]);
    let err = get(&client(&server.url, quick(3))).unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (ErrorKind::Network, 1), "{err}");
    assert_eq!(server.requests(), 1);

    let server = serve(vec![Step::PartialBody, OK]);
    let err = get(&client(&server.url, quick(3))).unwrap_err();
    assert_eq!((err.status(), err.attempts()), (200, 1), "{err}");
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_503_forever_stops_at_the_deadline() {
    let server = serve(vec![UNAVAILABLE]);
    let retries = Retries::attempts(100).base_delay(Duration::from_millis(50)).max_delay(Duration::from_millis(200));
    let pb = BosBase::builder(&server.url).retries(retries).timeout(Duration::from_millis(1000)).build().unwrap();
    let started = Instant::now();
    let err = get(&pb).unwrap_err();
    let took = started.elapsed();
    assert!(took <= Duration::from_millis(1600), "{took:?}");
    assert!(err.attempts() > 1 && err.attempts() as usize == server.requests(), "{err}");
    match err.kind() {
        ErrorKind::Http => assert_eq!(err.status(), 503),
        ErrorKind::Timeout => assert_eq!(err.status(), 0),
        other => panic!("{other}: {err}"),
    }
    // A call's own deadline bounds it the same way.
    let server = serve(vec![UNAVAILABLE]);
    let pb = client(&server.url, retries);
    let started = Instant::now();
    let mut o = SendOptions::new("GET");
    o.timeout_ms = Some(400);
    let err = pb.send("/api/x", o).wait().unwrap_err();
    assert!(started.elapsed() <= Duration::from_millis(1000) && err.attempts() > 1, "{err} {:?}", started.elapsed());
}

#[test]
fn a_call_s_option_replaces_the_client_s() {
    let server = serve(vec![UNAVAILABLE, OK]);
    let pb = BosBase::new(&server.url);
    pb.send("/api/x", SendOptions::new("GET").retries(quick(2))).wait().unwrap();
    assert_eq!(server.requests(), 2);

    let server = serve(vec![UNAVAILABLE, OK]);
    let pb = client(&server.url, quick(3));
    let o = SendOptions::from_json(r#"{"retries": 0}"#).unwrap();
    assert_eq!(pb.send("/api/x", o).wait().unwrap_err().attempts(), 1);
    assert_eq!(server.requests(), 1);

    let o = SendOptions::from_json(r#"{"retries": {"maxAttempts": 0}}"#).unwrap();
    assert_eq!(pb.send("/api/x", o).wait().unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(BosBase::builder(&server.url).retries(Retries::attempts(0)).build().is_err());
}

#[test]
fn awaited_calls_retry_too() {
    let server = serve(vec![UNAVAILABLE, Step::Reset, OK]);
    let pb = client(&server.url, quick(3));
    let got = futures_executor::block_on(async { pb.send("/api/x", SendOptions::new("GET")).await });
    assert_eq!(got.unwrap(), json!({"ok": true}));
    assert_eq!(server.requests(), 3);
}

#[test]
fn each_page_of_a_full_list_retries_on_its_own() {
    let page1 = Step::Answer("200 OK", &[], r#"{"items":[{"id":"a"},{"id":"b"}]}"#);
    let page2 = Step::Answer("200 OK", &[], r#"{"items":[{"id":"c"}]}"#);
    let server = serve(vec![UNAVAILABLE, page1, UNAVAILABLE, Step::Reset, page2]);
    let pb = client(&server.url, quick(3));
    let items = pb.collection("posts").get_full_list(2, SendOptions::default()).wait().unwrap();
    assert_eq!(json!(items), json!([{"id": "a"}, {"id": "b"}, {"id": "c"}]));
    let pages: Vec<bool> = server.seen().iter().map(|s| s.target.contains("page=2")).collect();
    assert_eq!(pages, [false, false, true, true, true]);
}

#[test]
fn a_cancelled_or_closed_call_stops_retrying() {
    use std::future::{Future, IntoFuture};
    let slow = Retries::attempts(100).base_delay(Duration::from_millis(100)).max_delay(Duration::from_millis(100));
    let server = serve(vec![UNAVAILABLE]);
    let pb = BosBase::builder(&server.url).retries(slow).timeout(Duration::from_secs(20)).build().unwrap();
    let mut call = Box::pin(pb.send("/api/x", SendOptions::new("GET")).into_future());
    let waker = std::task::Waker::noop();
    assert!(call.as_mut().poll(&mut std::task::Context::from_waker(waker)).is_pending());
    std::thread::sleep(Duration::from_millis(250));
    drop(call); // cancels
    std::thread::sleep(Duration::from_millis(150));
    let after_cancel = server.requests();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(server.requests(), after_cancel, "still retrying after the cancel");
    assert!(after_cancel >= 2, "{after_cancel}");

    // `close` waits for calls in flight: a retrying one ends at once, with its last failure.
    let server = serve(vec![UNAVAILABLE]);
    let pb = BosBase::builder(&server.url).retries(slow).timeout(Duration::from_secs(20)).build().unwrap();
    let waiting = std::thread::spawn({
        let pb = pb.clone();
        move || get(&pb)
    });
    std::thread::sleep(Duration::from_millis(250));
    let started = Instant::now();
    pb.close();
    assert!(started.elapsed() < Duration::from_millis(1000), "close waited {:?}", started.elapsed());
    let err = waiting.join().unwrap().unwrap_err();
    assert_eq!(err.status(), 503);
    assert!(err.attempts() >= 2, "{err}");
}

#[test]
fn a_file_part_that_cannot_be_read_is_not_an_attempt() {
    let server = serve(vec![OK]);
    let pb = client(&server.url, quick(3));
    let o = SendOptions::new("POST").idempotent(true).file(bosbase::FilePart::path("f", "/nonexistent/file"));
    let err = pb.send("/api/x", o).wait().unwrap_err();
    assert_eq!((err.kind(), err.attempts()), (ErrorKind::InvalidArgument, 0), "{err}");
    assert!(err.to_json().get("attempts").is_none());
    assert_eq!(server.requests(), 0);
}

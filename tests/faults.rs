//! Transport faults the dev server cannot produce: timeouts, garbage, 5xx, dropped connections.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bosbase::{BosBase, ErrorKind, SendOptions};
use common::canned::{serve, Reply};
use serde_json::json;

fn login(pb: &BosBase) -> bosbase::Result<serde_json::Value> {
    pb.collection("users").auth_with_token("secret-custom-token", HashMap::new(), HashMap::new(), None).wait()
}

#[test]
fn a_hung_server_times_out_as_an_abort() {
    let url = serve(Reply::Hang(Duration::from_secs(5)));
    let pb = BosBase::builder(&url).timeout(Duration::from_millis(300)).build().unwrap();
    let err = login(&pb).unwrap_err();
    assert_eq!((err.kind(), err.status(), err.is_abort()), (ErrorKind::Timeout, 0, true));
}

#[test]
fn garbage_in_a_2xx_answer_is_a_json_error_without_the_body() {
    let url = serve(Reply::With("200 OK", "{\"token\": \"leaked-secret\" garbage"));
    let err = login(&BosBase::new(&url)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Json);
    assert!(!format!("{err} {err:?}").contains("leaked-secret"));
}

#[test]
fn a_2xx_auth_answer_without_token_and_record_is_rejected() {
    let url = serve(Reply::With("200 OK", "{\"ok\": true}"));
    let pb = BosBase::new(&url);
    assert_eq!(login(&pb).unwrap_err().kind(), ErrorKind::Json);
    assert_eq!(pb.auth_store().token(), "");
}

#[test]
fn a_5xx_html_page_is_an_http_error() {
    let url = serve(Reply::With("502 Bad Gateway", "<html>bad gateway</html>"));
    let err = login(&BosBase::new(&url)).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 502));
    assert_eq!(err.response(), &serde_json::json!({}));
}

#[test]
fn a_dropped_connection_is_a_network_error() {
    let url = serve(Reply::Close);
    let err = login(&BosBase::new(&url)).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Network, 0));
    assert!(!err.to_string().contains("secret-custom-token"));
}

#[test]
fn a_malformed_base_url_is_refused_by_the_builder_and_by_each_call() {
    assert_eq!(BosBase::builder("ftp://x").build().unwrap_err().kind(), ErrorKind::InvalidArgument);
    // `new` is infallible (the seeds call it so); the first request reports the URL.
    let err = login(&BosBase::new("not a url")).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::InvalidArgument, 0));
}

// ---- every call is bounded in time ----

fn elapsed_within(started: Instant, deadline: Duration) {
    let took = started.elapsed();
    assert!(took >= deadline.mul_f32(0.9) && took < deadline + Duration::from_millis(1500), "took {took:?}");
}

#[test]
fn a_server_that_never_reads_a_large_body_times_out() {
    let url = serve(Reply::NeverRead);
    let pb = BosBase::builder(&url).timeout(Duration::from_millis(800)).build().unwrap();
    let big = "x".repeat(4 * 1024 * 1024);
    let started = Instant::now();
    let err = pb.send("/api/x", SendOptions::new("POST").body(json!({ "blob": big }))).wait().unwrap_err();
    assert_eq!((err.kind(), err.status(), err.is_abort()), (ErrorKind::Timeout, 0, true), "{err}");
    elapsed_within(started, Duration::from_millis(800));
}

#[test]
fn a_body_dripping_one_byte_a_second_times_out_keeping_its_status() {
    let url = serve(Reply::Drip);
    let pb = BosBase::builder(&url).timeout(Duration::from_millis(2500)).build().unwrap();
    let started = Instant::now();
    let err = pb.send("/api/x", SendOptions::new("GET")).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.status(), 200, "the head arrived: its status is kept");
    elapsed_within(started, Duration::from_millis(2500));
}

#[test]
fn a_call_can_set_its_own_deadline() {
    let url = serve(Reply::Hang(Duration::from_secs(10)));
    let pb = BosBase::new(&url); // default 30 s
    let started = Instant::now();
    let mut options = SendOptions::new("GET");
    options.timeout_ms = Some(400);
    assert_eq!(pb.send("/api/x", options).wait().unwrap_err().kind(), ErrorKind::Timeout);
    elapsed_within(started, Duration::from_millis(400));
}

// ---- base URL, headers, paths ----

#[test]
fn an_out_of_range_port_or_userinfo_is_refused_and_never_leaks() {
    for bad in ["http://127.0.0.1:99999", "http://bob:hunter2@127.0.0.1:8090"] {
        let err = BosBase::builder(bad).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}");
        let pb = BosBase::new(bad);
        let call = login(&pb).unwrap_err();
        assert_eq!((call.kind(), call.status()), (ErrorKind::InvalidArgument, 0), "{bad}: nothing is sent");
        let shown = format!("{err} {err:?} {call} {call:?} {} {pb:?}", call.to_json());
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn control_characters_in_the_user_agent_are_refused_up_front_and_never_panic() {
    let err = BosBase::builder("http://127.0.0.1:1").user_agent("a\u{1}b").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let url = serve(Reply::Echo);
    // The infallible constructor keeps failing each call with the same typed error, never a panic.
    let pb = BosBase::builder(&url).user_agent("a\u{1}b");
    let pb = std::panic::catch_unwind(|| pb.build()).expect("no panic");
    assert!(pb.is_err());
}

#[test]
fn framing_headers_are_refused_and_nothing_is_sent() {
    let (url, accepted) = common::canned::serve_counted(Reply::Echo);
    let pb = BosBase::new(&url);
    for name in ["Content-Length", "Host", "Transfer-Encoding", "Connection"] {
        let err = pb.send("/api/x", SendOptions::new("GET").header(name, "1")).wait().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{name}");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn dot_names_are_escaped_and_query_or_fragment_in_a_path_refused() {
    let pb = BosBase::new(&serve(Reply::Echo));
    let echo = pb.collection("..").send("/auth-methods", SendOptions::new("GET")).wait().unwrap();
    assert_eq!(echo["target"], "/api/collections/%2E%2E/auth-methods");
    let echo = pb.collection(".").send("/x", SendOptions::new("GET")).wait().unwrap();
    assert_eq!(echo["target"], "/api/collections/%2E/x");
    for path in ["/api/x?token=abc", "/api/x#frag", "/api/../admin"] {
        let err = pb.send(path, SendOptions::new("GET")).wait().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{path}");
        assert!(!err.to_string().contains("abc"), "{err}");
    }
    assert_eq!(
        pb.collection("").send("/x", SendOptions::new("GET")).wait().unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn long_request_lines_and_large_bodies_fit_the_connection_buffers() {
    // Connections have 16 KiB buffers: a 12 KiB filter still goes out in one request line,
    // and a body larger than the buffer streams through it.
    let pb = BosBase::new(&serve(Reply::Echo));
    let filter = "id!='x' && ".repeat(1100);
    let echo = pb.send("/api/x", SendOptions::new("GET").query("filter", filter.as_str())).wait().unwrap();
    assert!(echo["target"].as_str().unwrap().len() > 12 * 1024);
    let body = json!({"text": "y".repeat(300 * 1024)});
    let echo = pb.send("/api/x", SendOptions::new("POST").body(body)).wait().unwrap();
    assert_eq!(echo["headers"]["content-length"], (300 * 1024 + 11).to_string());
}

#[test]
fn the_stored_token_is_sent_even_when_the_local_clock_says_it_expired() {
    let pb = BosBase::new(&serve(Reply::Echo));
    let expired = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln"; // exp: 1
    pb.auth_store().save(expired, json!({"id": "r1"})).unwrap();
    let echo = pb.send("/api/x", SendOptions::new("GET")).wait().unwrap();
    assert_eq!(echo["headers"]["authorization"], expired);
}

#[test]
fn a_wrongly_typed_option_names_the_field_without_echoing_it() {
    let err = SendOptions::from_json(r#"{"query":"token=hunter2"}"#).unwrap_err();
    assert!(err.message().contains("query") && !err.to_string().contains("hunter2"), "{err}");
}

// ---- answers keep their status ----

#[test]
fn a_500_with_a_non_utf8_body_is_http_500() {
    let url = serve(Reply::Bytes("500 Internal Server Error", Arc::new(vec![0xff, 0xfe, b'{'])));
    let err = login(&BosBase::new(&url)).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 500), "{err}");
}

#[test]
fn an_over_limit_answer_keeps_its_status() {
    let body = Arc::new(vec![b' '; 64 * 1024]);
    let url = serve(Reply::Bytes("500 Internal Server Error", Arc::clone(&body)));
    let pb = BosBase::builder(&url).max_response_bytes(1024).build().unwrap();
    let err = login(&pb).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 500), "{err}");
    assert!(err.message().contains("limit"), "{err}");
    let url = serve(Reply::Bytes("200 OK", body));
    let pb = BosBase::builder(&url).max_response_bytes(1024).build().unwrap();
    let err = login(&pb).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Json, 200), "{err}");
}

// ---- close and the connection pool ----

#[test]
fn close_refuses_new_calls_and_waits_for_running_ones() {
    let (url, accepted) = common::canned::serve_counted(Reply::Hang(Duration::from_millis(600)));
    let pb = BosBase::builder(&url).timeout(Duration::from_millis(400)).build().unwrap();
    let running = {
        let pb = pb.clone();
        std::thread::spawn(move || login(&pb))
    };
    while accepted.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    pb.close();
    assert!(started.elapsed() >= Duration::from_millis(250), "close waited for the running call");
    assert!(running.join().unwrap().is_err());
    let err = login(&pb).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Closed, 0));
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1, "nothing sent after close");
}

#[test]
fn sixteen_threads_keep_to_their_connections() {
    let body = r#"{"token":"t","record":{"id":"r1"}}"#;
    let (url, accepted) = common::canned::serve_counted(Reply::With("200 OK", body));
    let pb = BosBase::new(&url);
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                for _ in 0..200 {
                    login(&pb).unwrap();
                }
            });
        }
    });
    let opened = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(opened <= 16 + 4, "16 threads x 200 calls opened {opened} connections");
}

//! `getFullList` bounded as a whole, against servers whose pages are always full (the dev
//! server cannot lie like that), and its C ABI text checked against the Rust values.

mod common;

use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::ptr;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bosbase::{ffi, BosBase, ErrorKind, SendOptions};
use common::canned::{serve, Reply};
use serde_json::{json, Map, Value};

/// A page of `n` records of about 100 bytes each, as PocketBase sends it.
fn full_page(n: usize) -> Arc<Vec<u8>> {
    let items: Vec<Value> = (0..n).map(|i| json!({"id": format!("r{i:05}"), "title": "x".repeat(80)})).collect();
    Arc::new(
        json!({"page": 1, "perPage": n, "totalItems": -1, "totalPages": -1, "items": items}).to_string().into_bytes(),
    )
}

/// A body for the canned replies that take text.
fn text(body: &[u8]) -> &'static str {
    String::from_utf8(body.to_vec()).unwrap().leak()
}

fn args(batch: usize) -> Map<String, Value> {
    json!({"collection": "posts", "batch": batch}).as_object().unwrap().clone()
}

/// Runs `f` on its own thread and fails the test if it has not returned within `bound`
/// (before the fix these calls never ended).
fn within<T: Send + 'static>(bound: Duration, f: impl FnOnce() -> T + Send + 'static) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let started = Instant::now();
        let out = f();
        let _ = tx.send((out, started.elapsed()));
    });
    rx.recv_timeout(bound).unwrap_or_else(|_| panic!("the full list was still running after {bound:?}"))
}

#[test]
fn a_server_whose_pages_are_always_full_ends_at_the_size_bound() {
    let page = full_page(100);
    let url = serve(Reply::Bytes("200 OK", Arc::clone(&page)));
    // 64 KiB per answer: a full list may hold 640 KiB, about 65 of these pages.
    let pb = BosBase::builder(&url).max_response_bytes(64 * 1024).build().unwrap();
    let (err, took) = within(Duration::from_secs(20), move || {
        pb.operation("records.getFullList", args(100), SendOptions::default()).wait().unwrap_err()
    });
    assert_eq!((err.kind(), err.status()), (ErrorKind::Json, 200), "{err}");
    let limit = 64 * 1024 * bosbase::operations::FULL_LIST_ANSWERS;
    assert!(err.message().contains(&format!("{limit}-byte limit")), "{err}");
    let pages = limit as usize / page.len() + 1;
    assert!(err.message().contains(&format!("at page {pages}:")), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_full_list_has_one_deadline_for_all_its_pages() {
    // Each page takes 100 ms and is full: with a deadline per page this never ended.
    let url = serve(Reply::Slow(Duration::from_millis(100), text(&full_page(2))));
    let pb = BosBase::new(&url);
    let mut options = SendOptions::default();
    options.timeout_ms = Some(700);
    let (err, took) = within(Duration::from_secs(10), move || {
        pb.operation("records.getFullList", args(2), options).wait().unwrap_err()
    });
    assert_eq!((err.kind(), err.is_abort()), (ErrorKind::Timeout, true), "{err}");
    assert!(took >= Duration::from_millis(650) && took < Duration::from_millis(1500), "{took:?}");

    // The client's own timeout bounds the whole list the same way, and so through the C ABI.
    let url = serve(Reply::Slow(Duration::from_millis(100), text(&full_page(2))));
    let (status, took) = within(Duration::from_secs(10), move || {
        let client = FfiClient::new(&url, r#"{"timeoutMs":500}"#);
        client.call("records.getFullList", r#"{"collection":"posts","batch":2}"#).0
    });
    assert_eq!(status, ffi::BosbaseStatus::Timeout);
    assert!(took < Duration::from_millis(1300), "{took:?}");
}

#[test]
fn the_c_abi_text_of_a_full_list_is_the_text_of_its_values() {
    // Key order, escapes and numbers as the server wrote them; the result is serde's text.
    let body = r#"{"page":1,"perPage":5,"items":[
        {"title":"<b>\u00e9\"\\\n","id":"r1","n":1.50,"big":12345678901234567890,"neg":-0.0,"e":1e2},
        {"z":[],"a":{"y":null,"x":true}}, 7, "s", [1,{"b":2,"a":1}]
    ]}"#;
    let url = serve(Reply::With("200 OK", text(body.replace('\n', " ").as_bytes())));
    let values = BosBase::new(&url).operation("records.getFullList", args(10), SendOptions::default()).wait().unwrap();
    assert_eq!(values.as_array().unwrap().len(), 5);
    let client = FfiClient::new(&url, "{}");
    let (status, text) = client.call("records.getFullList", r#"{"collection":"posts","batch":10}"#);
    assert_eq!(status, ffi::BosbaseStatus::Ok, "{text}");
    assert_eq!(text, values.to_string());
}

/// A loopback server that pages honestly through 5 items: page N of `perPage` as PocketBase
/// would (a page past the end is empty). Serves until the process ends.
fn paging_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut request_line = String::new();
                    let mut line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                        line.clear();
                    }
                    let query = |key: &str| -> usize {
                        let target = request_line.split(' ').nth(1).unwrap_or("");
                        let pairs = target.split_once('?').map(|(_, q)| q).unwrap_or("").split('&');
                        pairs
                            .filter_map(|p| p.strip_prefix(&format!("{key}=")))
                            .find_map(|v| v.parse().ok())
                            .unwrap_or(0)
                    };
                    let (page, per_page) = (query("page"), query("perPage"));
                    let items: Vec<Value> = (1..=5)
                        .skip((page - 1) * per_page)
                        .take(per_page)
                        .map(|i| json!({"id": format!("r{i}"), "n": i, "tags": ["a", {"z": 1, "b": [i]}]}))
                        .collect();
                    let body = json!({"page": page, "perPage": per_page, "items": items}).to_string();
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                    if reader.get_mut().write_all(format!("{head}{body}").as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[test]
fn pages_join_into_one_list_in_order_through_both_apis() {
    let url = paging_server();
    let client = FfiClient::new(&url, "{}");
    for batch in [1, 2, 5, 7] {
        let values = BosBase::new(&url).operation("records.getFullList", args(batch), SendOptions::default());
        let values = values.wait().unwrap();
        let ids: Vec<&str> = values.as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["r1", "r2", "r3", "r4", "r5"], "batch {batch}");
        let (status, text) =
            client.call("records.getFullList", &format!(r#"{{"collection":"posts","batch":{batch}}}"#));
        assert_eq!(status, ffi::BosbaseStatus::Ok, "{text}");
        assert_eq!(text, values.to_string(), "batch {batch}");
    }
    // A deadline too far to represent is no deadline, not a panic.
    let mut forever = SendOptions::default();
    forever.timeout_ms = Some(u64::MAX);
    let all = BosBase::new(&url).operation("records.getFullList", args(2), forever).wait().unwrap();
    assert_eq!(all.as_array().unwrap().len(), 5);
}

struct FfiClient(*mut ffi::BosbaseClient);

impl FfiClient {
    fn new(url: &str, options: &str) -> Self {
        let (url, options) = (CString::new(url).unwrap(), CString::new(options).unwrap());
        let mut client = ptr::null_mut();
        let status = unsafe { ffi::bosbase_client_new(url.as_ptr(), options.as_ptr(), &mut client, ptr::null_mut()) };
        assert_eq!(status, ffi::BosbaseStatus::Ok);
        FfiClient(client)
    }

    /// `bosbase_call`: the status and the result or error JSON.
    fn call(&self, op: &str, args: &str) -> (ffi::BosbaseStatus, String) {
        let (op, args) = (CString::new(op).unwrap(), CString::new(args).unwrap());
        let (mut result, mut error) = (ptr::null_mut(), ptr::null_mut());
        let status =
            unsafe { ffi::bosbase_call(self.0, op.as_ptr(), args.as_ptr(), ptr::null(), &mut result, &mut error) };
        let out = if result.is_null() { error } else { result };
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        unsafe { ffi::bosbase_string_free(out) };
        (status, text)
    }
}

impl Drop for FfiClient {
    fn drop(&mut self) {
        unsafe { ffi::bosbase_client_free(self.0) }
    }
}

//! `make bench`: the C ABI's auth_with_token round trip against raw ureq doing the same
//! request, both against one canned local responder in the same run, printed as a ratio;
//! and the TCP connections one client opens for 10,000 sequential calls.

#[allow(dead_code)] // the bench uses only part of the fault-injection server
#[path = "../../tests/common/canned.rs"]
mod canned;

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bosbase::ffi;

const ROUNDS: usize = 15;
const CALLS_PER_ROUND: usize = 1_000;
const REUSE_CALLS: usize = 10_000;

fn auth_body() -> &'static str {
    // A JWT whose exp is far away, so later calls also send Authorization like a real session.
    let claims = URL_SAFE_NO_PAD.encode(r#"{"exp":4102444800,"id":"r1","type":"auth"}"#);
    let body = format!(
        r#"{{"token":"eyJhbGciOiJIUzI1NiJ9.{claims}.c2ln","record":{{"id":"r1","email":"user@example.com","collectionName":"users","verified":true}}}}"#
    );
    Box::leak(body.into_boxed_str())
}

struct FfiClient(*mut ffi::BosbaseClient);

impl FfiClient {
    fn new(url: &str, options_json: &str) -> Self {
        let (url, options) = (CString::new(url).unwrap(), CString::new(options_json).unwrap());
        let mut client = ptr::null_mut();
        let status = unsafe { ffi::bosbase_client_new(url.as_ptr(), options.as_ptr(), &mut client, ptr::null_mut()) };
        assert_eq!(status, ffi::BosbaseStatus::Ok);
        FfiClient(client)
    }

    /// One call exactly as a C caller makes it: C strings in, JSON string out, freed.
    fn auth_with_token(&self, collection: &CStr, token: &CStr) -> usize {
        let mut result: *mut c_char = ptr::null_mut();
        let status = unsafe {
            ffi::bosbase_auth_with_token(
                self.0,
                collection.as_ptr(),
                token.as_ptr(),
                ptr::null(),
                &mut result,
                ptr::null_mut(),
            )
        };
        assert_eq!(status, ffi::BosbaseStatus::Ok);
        let len = unsafe { CStr::from_ptr(result) }.to_bytes().len();
        unsafe { ffi::bosbase_string_free(result) };
        len
    }
}

impl Drop for FfiClient {
    fn drop(&mut self) {
        unsafe { ffi::bosbase_client_free(self.0) }
    }
}

/// The baseline: what a hand-written ureq client does for the same call.
fn raw_ureq(agent: &ureq::Agent, url: &str, token: &str) -> usize {
    let body = serde_json::json!({ "token": token });
    let mut response = agent.post(url).header("Accept-Language", "en-US").send_json(&body).unwrap();
    let value: serde_json::Value = response.body_mut().read_json().unwrap();
    let saved = (value["token"].as_str().unwrap().len(), value["record"].to_string());
    saved.0 + saved.1.len()
}

fn per_call(start: Instant, calls: usize) -> Duration {
    start.elapsed() / calls as u32
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let (url, connections) = canned::serve_counted(canned::Reply::With("200 OK", auth_body()));
    let collection = CString::new("users").unwrap();
    let token = CString::new("bench-custom-token").unwrap();
    let client = FfiClient::new(&url, "{}");
    // Same client without timeouts: separates the SDK's own cost from the timeout bookkeeping.
    let untimed = FfiClient::new(&url, r#"{"timeoutMs":0}"#);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let endpoint = format!("{url}/api/collections/users/auth-with-token");

    // Warm both paths (connections, allocator) before measuring.
    for _ in 0..500 {
        client.auth_with_token(&collection, &token);
        raw_ureq(&agent, &endpoint, "bench-custom-token");
    }

    // Interleaved rounds, so machine noise hits both sides alike; compare medians.
    let (mut ffi_times, mut raw_times, mut untimed_times) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..CALLS_PER_ROUND {
            client.auth_with_token(&collection, &token);
        }
        ffi_times.push(per_call(start, CALLS_PER_ROUND));
        let start = Instant::now();
        for _ in 0..CALLS_PER_ROUND {
            untimed.auth_with_token(&collection, &token);
        }
        untimed_times.push(per_call(start, CALLS_PER_ROUND));
        let start = Instant::now();
        for _ in 0..CALLS_PER_ROUND {
            raw_ureq(&agent, &endpoint, "bench-custom-token");
        }
        raw_times.push(per_call(start, CALLS_PER_ROUND));
    }
    let (ffi_t, raw_t, untimed_t) = (median(ffi_times), median(raw_times), median(untimed_times));
    let ratio = |t: Duration| t.as_secs_f64() / raw_t.as_secs_f64();
    println!("auth_with_token per call (median of {ROUNDS} interleaved rounds x {CALLS_PER_ROUND}):");
    println!("  raw ureq (baseline, no timeouts): {raw_t:?}");
    println!("  C ABI, default 30 s timeouts:     {ffi_t:?}");
    println!("  C ABI, timeouts off:              {untimed_t:?}");
    println!(
        "ratio C ABI / raw ureq = {:.3}x (target <= 1.10x); without timeouts {:.3}x",
        ratio(ffi_t),
        ratio(untimed_t)
    );

    // Connection reuse: a fresh client, a fresh count.
    drop((client, untimed));
    let before = connections.load(Ordering::SeqCst);
    let client = FfiClient::new(&url, "{}");
    for _ in 0..REUSE_CALLS {
        client.auth_with_token(&collection, &token);
    }
    let opened = connections.load(Ordering::SeqCst) - before;
    println!("TCP connections opened for {REUSE_CALLS} sequential calls on one client: {opened} (target 1)");
}

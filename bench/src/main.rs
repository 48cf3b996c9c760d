//! `make bench`: what the SDK costs on top of a hand-written ureq call, and what its
//! transport choices buy, all against one canned local responder in the same run.
//!
//! * Per-call medians of the same request (same bytes, same headers: the SDK's session
//!   token is sent by the raw side too), one call of each variant per step in a shuffled
//!   order, so machine noise and the responder's own pauses land on all sides alike.
//! * The write-coalescing transport and the per-connection (deferred) resolver, on and off
//!   side by side; every per-call figure on `localhost` as well as on 127.0.0.1.
//! * TCP connections opened: 10,000 sequential calls, and 16 threads x 200 calls.

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
use bosbase::{ffi, BosBase};

const ROUNDS: usize = 20;
const CALLS_PER_ROUND: usize = 500;
const REUSE_CALLS: usize = 10_000;
const USER_AGENT: &str = "bosbase-bench/1";

fn session_token() -> String {
    // A JWT whose exp is far away, as a real session's.
    let claims = URL_SAFE_NO_PAD.encode(r#"{"exp":4102444800,"id":"r1","type":"auth"}"#);
    format!("eyJhbGciOiJIUzI1NiJ9.{claims}.c2ln")
}

fn auth_body() -> &'static str {
    let body = format!(
        r#"{{"token":"{}","record":{{"id":"r1","email":"user@example.com","collectionName":"users","verified":true}}}}"#,
        session_token()
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

/// The baseline: a hand-written ureq client sending the same bytes (same headers, the
/// session token included) and decoding the same answer.
fn raw_ureq(agent: &ureq::Agent, url: &str, token: &str, session: &str) -> usize {
    let body = serde_json::json!({ "token": token });
    let mut response =
        agent.post(url).header("Accept-Language", "en-US").header("Authorization", session).send_json(&body).unwrap();
    let value: serde_json::Value = response.body_mut().read_json().unwrap();
    value["token"].as_str().unwrap().len() + value["record"].to_string().len()
}

fn rust_call(pb: &BosBase) -> usize {
    let auth = pb
        .collection("users")
        .auth_with_token("bench-custom-token", Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    auth["token"].as_str().unwrap().len()
}

/// A small xorshift: the shuffle needs no statistical quality, only a different order per round.
struct Shuffle(u64);

impl Shuffle {
    fn order(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            v.swap(i, (self.0 % (i as u64 + 1)) as usize);
        }
        v
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let (url, connections) = canned::serve_counted(canned::Reply::With("200 OK", auth_body()));
    let collection = CString::new("users").unwrap();
    let token = CString::new("bench-custom-token").unwrap();
    let session = session_token();
    // The same server by name: production servers are reached by name, so every per-call
    // figure is measured on `localhost` as well as on the IP literal.
    let named = url.replace("127.0.0.1", "localhost");
    let ffi_options = format!(r#"{{"userAgent":"{USER_AGENT}"}}"#);
    let client = FfiClient::new(&url, &ffi_options);
    let named_client = FfiClient::new(&named, &ffi_options);
    let rust = |base: &str, coalesce, deferred| {
        BosBase::builder(base).user_agent(USER_AGENT).transport_tweaks(coalesce, deferred).build().unwrap()
    };
    // Rust API variants: the two transport tweaks on and off, on the literal, then by name
    // with the per-connection resolver (the default) and with ureq's stock resolver (before).
    let variants = [
        rust(&url, true, true),
        rust(&url, false, true),
        rust(&url, true, false),
        rust(&url, false, false),
        rust(&named, true, true),
        rust(&named, true, false),
    ];
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).user_agent(USER_AGENT).build().into();
    let endpoint = format!("{url}/api/collections/users/auth-with-token");
    let named_endpoint = format!("{named}/api/collections/users/auth-with-token");

    // Warm every path (connections, allocator, sessions saved) before measuring.
    for _ in 0..300 {
        client.auth_with_token(&collection, &token);
        named_client.auth_with_token(&collection, &token);
        variants.iter().for_each(|pb| {
            rust_call(pb);
        });
        raw_ureq(&agent, &endpoint, "bench-custom-token", &session);
        raw_ureq(&agent, &named_endpoint, "bench-custom-token", &session);
    }

    const NAMES: [&str; 10] = [
        "raw ureq, 127.0.0.1 (baseline)",
        "raw ureq, localhost",
        "C ABI (default client), 127.0.0.1",
        "C ABI (default client), localhost",
        "Rust API, coalescing + deferred resolver",
        "Rust API, deferred resolver only",
        "Rust API, coalescing only",
        "Rust API, neither (plain ureq transport)",
        "Rust API, localhost (default)",
        "Rust API, localhost, stock resolver (before)",
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); NAMES.len()];
    let mut shuffle = Shuffle(0x9E37_79B9_7F4A_7C15);
    // One call of every variant per step, in a fresh random order each step: load that
    // drifts over seconds (other processes on a shared machine) hits every variant alike.
    for _ in 0..ROUNDS * CALLS_PER_ROUND {
        for variant in shuffle.order(NAMES.len()) {
            let start = Instant::now();
            match variant {
                0 => raw_ureq(&agent, &endpoint, "bench-custom-token", &session),
                1 => raw_ureq(&agent, &named_endpoint, "bench-custom-token", &session),
                2 => client.auth_with_token(&collection, &token),
                3 => named_client.auth_with_token(&collection, &token),
                v => rust_call(&variants[v - 4]),
            };
            samples[variant].push(start.elapsed());
        }
    }
    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    println!(
        "auth_with_token, per-call medians of {} calls per variant, variants shuffled call by call:",
        ROUNDS * CALLS_PER_ROUND
    );
    for (name, t) in NAMES.iter().zip(&medians) {
        println!("  {name:<46} {t:?}");
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("ratio C ABI / raw ureq, 127.0.0.1 = {:.3}x (target <= 1.05x)", ratio(medians[2], medians[0]));
    println!("ratio C ABI / raw ureq, localhost = {:.3}x", ratio(medians[3], medians[1]));
    println!("ratio C ABI localhost / raw ureq 127.0.0.1 = {:.3}x", ratio(medians[3], medians[0]));
    println!("named host vs IP literal (target <= 1.10x):");
    println!("  C ABI:                          {:.3}x", ratio(medians[3], medians[2]));
    println!("  Rust API:                       {:.3}x", ratio(medians[8], medians[4]));
    println!("  Rust API, stock resolver (before): {:.3}x", ratio(medians[9], medians[4]));
    println!("  raw ureq:                       {:.3}x", ratio(medians[1], medians[0]));
    println!("transport tweaks (below 1 means the tweak pays for itself):");
    println!("  write coalescing:       {:.3}x (both / resolver only)", ratio(medians[4], medians[5]));
    println!("  deferred resolver:      {:.3}x (both / coalescing only)", ratio(medians[4], medians[6]));
    println!("  both vs plain ureq:     {:.3}x", ratio(medians[4], medians[7]));
    let lookups = BosBase::name_lookups();
    println!("name lookups in this run: {lookups} (stock-resolver variants look up on every call, the default client once per connection)");

    // Connection reuse: fresh clients, fresh counts.
    drop((client, named_client, variants));
    let before = connections.load(Ordering::SeqCst);
    let client = FfiClient::new(&url, "{}");
    for _ in 0..REUSE_CALLS {
        client.auth_with_token(&collection, &token);
    }
    let opened = connections.load(Ordering::SeqCst) - before;
    println!("TCP connections opened for {REUSE_CALLS} sequential calls on one client: {opened} (target 1)");

    let before = connections.load(Ordering::SeqCst);
    let pb = BosBase::new(&url);
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                for _ in 0..200 {
                    rust_call(&pb);
                }
            });
        }
    });
    let opened = connections.load(Ordering::SeqCst) - before;
    println!("TCP connections opened by 16 threads x 200 calls on one client: {opened} (target <= 16)");
}

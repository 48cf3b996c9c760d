//! `make bench` (memory): `records.getFullList` of 20,000 posts (about 7 MB of JSON) from
//! the dev server, each side in its own process, so a side's peak RSS growth is its own:
//!
//! * the Rust API against ureq + serde_json fetching the same pages into values;
//! * the C ABI (`bosbase_call`, the result string held as a C caller holds it) against
//!   ureq fetching the same pages and holding their bodies (what a libcurl caller holds);
//! * with `BOSBASE_BENCH_C` (bench/c/full_list.c, which `make bench` builds when libcurl's
//!   headers are there), the C ABI from a C program against libcurl holding the bodies.
//!
//! Growth is the peak resident set during the call (VmHWM after a reset through
//! /proc/self/clear_refs) minus the resident set just before it, with the result still
//! held. Sides run in a shuffled order each round; medians of the rounds.
//!
//!   full_list                         seed (if needed) and compare; needs BOSBASE_URL
//!                                     (run through `scripts/devserver --demo`)
//!   full_list measure SIDE            one measurement (BOSBASE_URL, BOSBASE_BENCH_TOKEN):
//!                                     prints `growth_kib items elapsed_ms`

use std::ffi::{CStr, CString};
use std::process::Command;
use std::ptr;
use std::time::Instant;

use bosbase::{ffi, BosBase, SendOptions};
use serde::de::IgnoredAny;
use serde_json::{json, Value};

const RECORDS: usize = 20_000;
const BATCH: usize = 1000;
const ROUNDS: usize = 5;
const SIDES: [&str; 4] = ["rust", "ureq-values", "c-abi", "ureq-bodies"];
const C_SIDES: [&str; 2] = ["c-abi", "libcurl"];

fn status_kib(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find_map(|l| l.strip_prefix(name)).unwrap_or("0");
    line.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0)
}

/// Runs `f` and returns how far the resident set rose above where it was, at its peak,
/// while `f` ran (its result is still held when the peak is read).
fn growth<T>(f: impl FnOnce() -> T) -> (u64, T) {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS (Linux >= 4.0)");
    let before = status_kib("VmRSS:");
    let out = f();
    (status_kib("VmHWM:").saturating_sub(before), out)
}

/// The pages every side requests: what the SDK sends for a full list.
fn page_url(base: &str, page: usize) -> String {
    format!("{base}/api/collections/posts/records?page={page}&perPage={BATCH}&skipTotal=1")
}

#[derive(serde::Deserialize)]
struct Page<T> {
    items: Vec<T>,
}

fn get(agent: &ureq::Agent, url: &str, token: &str) -> Vec<u8> {
    let mut response = agent.get(url).header("Authorization", token).call().unwrap();
    response.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap()
}

fn measure(side: &str) {
    let base = std::env::var("BOSBASE_URL").unwrap();
    let token = std::env::var("BOSBASE_BENCH_TOKEN").unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let pb = BosBase::new(&base);
    let options = SendOptions::default().header("Authorization", &token);
    let (c_url, c_options) = (CString::new(base.as_str()).unwrap(), CString::new("{}").unwrap());
    let mut client = ptr::null_mut();
    assert_eq!(
        unsafe { ffi::bosbase_client_new(c_url.as_ptr(), c_options.as_ptr(), &mut client, ptr::null_mut()) },
        ffi::BosbaseStatus::Ok
    );
    let (op, args) = (CString::new("records.getFullList").unwrap(), CString::new(r#"{"collection":"posts"}"#).unwrap());
    let call_options = CString::new(json!({"headers": {"Authorization": token}}).to_string()).unwrap();
    // Warm every side's connection and allocator with one small request.
    pb.collection("posts").get_list(1, 1, options.clone()).wait().unwrap();
    get(&agent, &format!("{base}/api/collections/posts/records?perPage=1"), &token);

    let started = Instant::now();
    let (kib, items) = match side {
        "rust" => {
            let (kib, all) =
                growth(|| pb.collection("posts").get_full_list(BATCH as i64, options.clone()).wait().unwrap());
            (kib, all.len())
        }
        "ureq-values" => {
            let (kib, all) = growth(|| {
                let mut all: Vec<Value> = Vec::new();
                for page in 1.. {
                    let body = get(&agent, &page_url(&base, page), &token);
                    let got: Page<Value> = serde_json::from_slice(&body).unwrap();
                    let n = got.items.len();
                    all.extend(got.items);
                    if n < BATCH {
                        break;
                    }
                }
                all
            });
            (kib, all.len())
        }
        "c-abi" => {
            let (kib, text) = growth(|| {
                let mut result = ptr::null_mut();
                let status = unsafe {
                    ffi::bosbase_call(
                        client,
                        op.as_ptr(),
                        args.as_ptr(),
                        call_options.as_ptr(),
                        &mut result,
                        ptr::null_mut(),
                    )
                };
                assert_eq!(status, ffi::BosbaseStatus::Ok);
                result
            });
            let json = unsafe { CStr::from_ptr(text) }.to_bytes();
            let n = serde_json::from_slice::<Vec<IgnoredAny>>(json).unwrap().len();
            unsafe { ffi::bosbase_string_free(text) };
            (kib, n)
        }
        "ureq-bodies" => {
            let (kib, pages) = growth(|| {
                let mut pages: Vec<Vec<u8>> = Vec::new();
                loop {
                    let body = get(&agent, &page_url(&base, pages.len() + 1), &token);
                    let n = serde_json::from_slice::<Page<IgnoredAny>>(&body).unwrap().items.len();
                    pages.push(body);
                    if n < BATCH {
                        break (pages, n);
                    }
                }
            });
            (kib, (pages.0.len() - 1) * BATCH + pages.1)
        }
        other => panic!("unknown side {other}"),
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    unsafe { ffi::bosbase_client_free(client) };
    println!("{kib} {items} {ms:.1}");
}

/// Creates the posts (superuser, batches of 1000) unless the server has them already.
fn seed(base: &str) -> String {
    let pb = BosBase::new(base);
    let auth = pb
        .collection("_superusers")
        .auth_with_password("admin@example.com", "admin-password", Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    let token = auth["token"].as_str().unwrap().to_owned();
    let count = pb.collection("posts").get_list(1, 1, SendOptions::default()).wait().unwrap()["totalItems"].as_u64();
    if count.unwrap_or(0) >= RECORDS as u64 {
        return token;
    }
    let batch = json!({"batch": {"enabled": true, "maxRequests": 1000, "timeout": 30, "maxBodySize": 0}});
    pb.settings().update(batch, SendOptions::default()).wait().unwrap();
    let user = pb.collection("users").get_first_list_item("email = 'user@example.com'", SendOptions::default());
    let author = user.wait().unwrap()["id"].as_str().unwrap().to_owned();
    let started = Instant::now();
    for chunk in 0..RECORDS / 1000 {
        let requests: Vec<Value> = (0..1000)
            .map(|i| {
                let n = chunk * 1000 + i;
                let data = json!({
                    "title": format!("Post number {n}"),
                    "body": format!("Body of post {n}: {}", "lorem ipsum dolor sit amet ".repeat(3)),
                    "author": author,
                });
                json!({"action": "create", "collection": "posts", "data": data})
            })
            .collect();
        pb.batch().send(Value::Array(requests), SendOptions::default()).wait().unwrap();
    }
    eprintln!("seeded {RECORDS} posts in {:.1} s", started.elapsed().as_secs_f64());
    token
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "measure" {
        return measure(&args[2]);
    }
    let base = std::env::var("BOSBASE_URL").expect("BOSBASE_URL (run through scripts/devserver --demo)");
    let token = seed(&base);
    let me = std::env::current_exe().unwrap();
    // With BOSBASE_BENCH_C (bench/c/full_list.c, built by `make bench`), also a C program:
    // the C ABI against libcurl holding the page bodies.
    let c_program = std::env::var("BOSBASE_BENCH_C").ok();
    let sides = SIDES.len() + if c_program.is_some() { C_SIDES.len() } else { 0 };
    let mut results: Vec<Vec<[f64; 3]>> = vec![Vec::new(); sides];
    for round in 0..ROUNDS {
        // A different order each round: warm caches and machine noise land on every side.
        let mut order: Vec<usize> = (0..sides).collect();
        order.rotate_left(round % sides);
        if round % 2 == 1 {
            order.reverse();
        }
        for side in order {
            let mut command = match side.checked_sub(SIDES.len()) {
                None => Command::new(&me),
                Some(_) => Command::new(c_program.as_deref().unwrap_or_default()),
            };
            match side.checked_sub(SIDES.len()) {
                None => command.args(["measure", SIDES[side]]),
                Some(c) => command.arg(C_SIDES[c]),
            };
            let out = command.env("BOSBASE_BENCH_TOKEN", &token).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let mut v: Vec<f64> =
                String::from_utf8(out.stdout).unwrap().split_whitespace().map(|x| x.parse().unwrap()).collect();
            v.resize(3, f64::NAN);
            assert_eq!(v[1] as usize, RECORDS, "side {side} saw every record");
            results[side].push([v[0], v[1], v[2]]);
        }
    }
    let col = |side: usize, i: usize| median(results[side].iter().map(|r| r[i]).collect());
    println!("records.getFullList of {RECORDS} posts ({BATCH} per page), each side in its own process; medians of {ROUNDS} runs:");
    println!("  {:<34} {:>16} {:>10}", "", "RSS growth MiB", "time ms");
    let names = [
        "Rust API",
        "ureq + serde_json values (peer)",
        "C ABI (result string held)",
        "ureq holding the page bodies (peer)",
    ];
    for (i, name) in names.iter().enumerate() {
        println!("  {name:<34} {:>16.1} {:>10.0}", col(i, 0) / 1024.0, col(i, 2));
    }
    println!(
        "ratios: Rust API / ureq+serde_json {:.2}x, C ABI / page bodies {:.2}x (memory, target <= 1.2x); time {:.2}x, {:.2}x",
        col(0, 0) / col(1, 0),
        col(2, 0) / col(3, 0),
        col(0, 2) / col(1, 2),
        col(2, 2) / col(3, 2)
    );
    if c_program.is_some() {
        println!(
            "C program: C ABI {:.1} MiB, libcurl holding the page bodies {:.1} MiB, ratio {:.2}x (target <= 1.2x)",
            col(4, 0) / 1024.0,
            col(5, 0) / 1024.0,
            col(4, 0) / col(5, 0)
        );
    }
}

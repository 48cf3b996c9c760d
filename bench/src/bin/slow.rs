//! `make bench` (slow servers): what a caller sees when the server takes its time.
//!
//! * Warm-pool burst: one call, 200 ms idle, then 16 calls of 300 ms submitted back to back
//!   from one thread (`bosbase_send_async`, as Godot's main thread or a C loop does, and
//!   `.await`); wall time against one call's, measured in the same run (target <= 1.2x).
//! * 256 concurrent calls to a server answering in 200 ms: the SDK's `.await` against
//!   reqwest, each side in its own process so peak RSS and threads are its own, same tokio
//!   runtime, order alternating per round, medians (targets: wall <= 1.5x, RSS <= 2x).
//!
//!   slow                         run both parts (spawns itself per measurement)
//!   slow measure SIDE URL        one 256-call measurement: prints `wall_ms peak_threads peak_rss_kib`

#[allow(dead_code)]
#[path = "../../../tests/common/canned.rs"]
mod canned;
#[path = "../sides.rs"]
mod sides;

use std::ffi::{c_void, CString};
use std::future::IntoFuture;
use std::os::raw::c_char;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bosbase::ffi;

const CONCURRENT: usize = 256;
const ROUNDS: usize = 5;
const BURST: usize = 16;
const BURST_ROUNDS: usize = 3;
const BODY: &str = r#"{"code":200,"message":"API is healthy.","data":{}}"#;

fn status_field(name: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find_map(|l| l.strip_prefix(name)).unwrap_or("0");
    line.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0)
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// 256 concurrent GETs of one side; prints wall time, peak threads and peak RSS.
fn measure(side: &str, url: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let peak_threads = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watch = {
        let (peak, done) = (Arc::clone(&peak_threads), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                // The watcher itself is one thread of the count; it is there for both sides.
                peak.fetch_max(status_field("Threads:"), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let started = Instant::now();
    match side {
        "bosbase" => {
            let pb = bosbase::BosBase::new(url);
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..CONCURRENT {
                    tasks.spawn(pb.send("/api/health", bosbase::SendOptions::new("GET")).into_future());
                }
                while let Some(t) = tasks.join_next().await {
                    assert_eq!(t.unwrap().unwrap()["code"], 200);
                }
            });
        }
        _ => {
            let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
            let endpoint = format!("{url}/api/health");
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..CONCURRENT {
                    let request = client.get(&endpoint).header("Accept-Language", "en-US").send();
                    tasks.spawn(async move {
                        let v: serde_json::Value = request.await.unwrap().json().await.unwrap();
                        assert_eq!(v["code"], 200);
                    });
                }
                while let Some(t) = tasks.join_next().await {
                    t.unwrap();
                }
            });
        }
    }
    let wall = started.elapsed();
    done.store(true, Ordering::SeqCst);
    watch.join().unwrap();
    println!("{:.1} {} {}", wall.as_secs_f64() * 1e3, peak_threads.load(Ordering::SeqCst), status_field("VmHWM:"));
}

/// `data` is an `Arc<Sender>` reference of its own (the callback may still be inside `send`
/// after the receiver got the message, so the sender must outlive it).
unsafe extern "C" fn on_done(data: *mut c_void, status: ffi::BosbaseStatus, _: *const c_char, _: *const c_char) {
    let tx = Arc::from_raw(data as *const mpsc::Sender<ffi::BosbaseStatus>);
    let _ = tx.send(status);
}

/// `n` `bosbase_send_async` calls submitted back to back from this thread; returns when
/// every callback has run.
fn c_burst(client: *mut ffi::BosbaseClient, n: usize) -> Duration {
    let (tx, rx) = mpsc::channel::<ffi::BosbaseStatus>();
    let tx = Arc::new(tx);
    let path = CString::new("/api/health").unwrap();
    let started = Instant::now();
    let mut calls = Vec::new();
    for _ in 0..n {
        let mut call = ptr::null_mut();
        let data = Arc::into_raw(Arc::clone(&tx)) as *mut c_void;
        let status = unsafe {
            ffi::bosbase_send_async(
                client,
                ptr::null(),
                path.as_ptr(),
                ptr::null(),
                Some(on_done),
                data,
                &mut call,
                ptr::null_mut(),
            )
        };
        assert_eq!(status, ffi::BosbaseStatus::Ok);
        calls.push(call);
    }
    for _ in 0..n {
        assert_eq!(rx.recv().unwrap(), ffi::BosbaseStatus::Ok);
    }
    let took = started.elapsed();
    for call in calls {
        unsafe { ffi::bosbase_call_free(call) };
    }
    took
}

/// `n` `.await`s started back to back from one thread (one task joining them all).
fn await_burst(pb: &bosbase::BosBase, n: usize) -> Duration {
    let started = Instant::now();
    let calls: Vec<_> =
        (0..n).map(|_| pb.send("/api/health", bosbase::SendOptions::new("GET")).into_future()).collect();
    futures_join(calls);
    started.elapsed()
}

/// Joins futures without a runtime's help: a current-thread tokio runtime polls them all.
fn futures_join<F: std::future::Future<Output = bosbase::Result<serde_json::Value>> + Send + 'static>(calls: Vec<F>) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for call in calls {
            set.spawn(call);
        }
        while let Some(done) = set.join_next().await {
            done.unwrap().unwrap();
        }
    });
}

fn warm_burst() {
    let url = canned::serve(canned::Reply::Slow(Duration::from_millis(300), BODY));
    let c_url = CString::new(url.as_str()).unwrap();
    let mut client = ptr::null_mut();
    let status = unsafe { ffi::bosbase_client_new(c_url.as_ptr(), ptr::null(), &mut client, ptr::null_mut()) };
    assert_eq!(status, ffi::BosbaseStatus::Ok);
    let pb = bosbase::BosBase::new(&url);
    let (mut one, mut c_ratio, mut await_ratio) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..BURST_ROUNDS {
        // One call (warming a worker), 200 ms idle, then the burst; the lone call is the unit.
        let single = c_burst(client, 1);
        std::thread::sleep(Duration::from_millis(200));
        c_ratio.push(c_burst(client, BURST).as_secs_f64() / single.as_secs_f64());
        let single_await = await_burst(&pb, 1);
        std::thread::sleep(Duration::from_millis(200));
        await_ratio.push(await_burst(&pb, BURST).as_secs_f64() / single_await.as_secs_f64());
        one.push(single);
    }
    unsafe { ffi::bosbase_client_free(client) };
    println!(
        "warm-pool burst: 1 call, 200 ms idle, {BURST} x 300 ms from one thread; medians of {BURST_ROUNDS} rounds (one call: {:?}):",
        median(one)
    );
    println!("  bosbase_send_async  {:.2}x one call's time (target <= 1.2x)", median(c_ratio));
    println!("  .await              {:.2}x one call's time (target <= 1.2x)", median(await_ratio));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "measure" {
        return measure(&args[2], &args[3]);
    }
    warm_burst();
    let url = canned::serve(canned::Reply::Slow(Duration::from_millis(200), BODY));
    let sides = ["bosbase", "reqwest"];
    let results = sides::interleaved(&sides, &url, ROUNDS);
    let col = |side: usize, i: usize| sides::column(&results[side], i);
    println!("{CONCURRENT} concurrent calls, server answers in 200 ms, tokio multi-thread; medians of {ROUNDS} runs:");
    println!("  {:<10} {:>10} {:>14} {:>14}", "", "wall ms", "peak threads", "peak RSS MiB");
    for (i, side) in sides.iter().enumerate() {
        println!("  {side:<10} {:>10.0} {:>14.0} {:>14.1}", col(i, 0), col(i, 1), col(i, 2) / 1024.0);
    }
    println!(
        "ratios bosbase / reqwest: wall {:.2}x (target <= 1.5x), peak RSS {:.2}x (target <= 2x); pool bound {}",
        col(0, 0) / col(1, 0),
        col(0, 2) / col(1, 2),
        bosbase::DEFAULT_POOL_SIZE
    );
}

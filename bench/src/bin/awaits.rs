//! `make bench` (second part): 256 concurrent awaits on one client, the SDK's `.await`
//! against reqwest doing the same GETs, each in its own process so peak RSS and thread
//! counts are the client's own. Same runtime for both (tokio, multi-thread, default size),
//! same server, same request; the order of the runs is shuffled; medians of the rounds.
//!
//!   awaits                       run the comparison (spawns itself per measurement)
//!   awaits measure SIDE URL      one measurement: prints `requests_per_s peak_threads peak_rss_kib`

#[allow(dead_code)]
#[path = "../../../tests/common/canned.rs"]
mod canned;
#[path = "../sides.rs"]
mod sides;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TASKS: usize = 256;
const CALLS_PER_TASK: usize = 20;
const ROUNDS: usize = 5;
const BODY: &str = r#"{"code":200,"message":"API is healthy.","data":{}}"#;

fn status_field(name: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find_map(|l| l.strip_prefix(name)).unwrap_or("0");
    line.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0)
}

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
                for _ in 0..TASKS {
                    let pb = pb.clone();
                    tasks.spawn(async move {
                        for _ in 0..CALLS_PER_TASK {
                            let v =
                                pb.send("/api/health", bosbase::SendOptions::new("GET")).into_future().await.unwrap();
                            assert_eq!(v["code"], 200);
                        }
                    });
                }
                while let Some(t) = tasks.join_next().await {
                    t.unwrap();
                }
            });
        }
        _ => {
            let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
            let endpoint = format!("{url}/api/health");
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for _ in 0..TASKS {
                    let (client, endpoint) = (client.clone(), endpoint.clone());
                    tasks.spawn(async move {
                        for _ in 0..CALLS_PER_TASK {
                            let v: serde_json::Value = client
                                .get(&endpoint)
                                .header("Accept-Language", "en-US")
                                .send()
                                .await
                                .unwrap()
                                .json()
                                .await
                                .unwrap();
                            assert_eq!(v["code"], 200);
                        }
                    });
                }
                while let Some(t) = tasks.join_next().await {
                    t.unwrap();
                }
            });
        }
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    watch.join().unwrap();
    let rps = (TASKS * CALLS_PER_TASK) as f64 / elapsed.as_secs_f64();
    println!("{rps:.0} {} {}", peak_threads.load(Ordering::SeqCst), status_field("VmHWM:"));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "measure" {
        return measure(&args[2], &args[3]);
    }
    let url = canned::serve(canned::Reply::With("200 OK", BODY));
    let sides = ["bosbase", "reqwest"];
    let results = sides::interleaved(&sides, &url, ROUNDS);
    let col = |side: usize, i: usize| sides::column(&results[side], i);
    println!("{TASKS} concurrent awaits x {CALLS_PER_TASK} GETs each, one client, tokio multi-thread; medians of {ROUNDS} runs:");
    println!("  {:<10} {:>12} {:>14} {:>14}", "", "requests/s", "peak threads", "peak RSS MiB");
    for (i, side) in sides.iter().enumerate() {
        println!("  {side:<10} {:>12.0} {:>14.0} {:>14.1}", col(i, 0), col(i, 1), col(i, 2) / 1024.0);
    }
    println!(
        "ratios bosbase / reqwest: throughput {:.2}x (target >= 0.9x), peak RSS {:.2}x (target <= 2x); bosbase threads {} (pool {} + runtime + watcher)",
        col(0, 0) / col(1, 0),
        col(0, 2) / col(1, 2),
        col(0, 1),
        bosbase::DEFAULT_POOL_SIZE
    );
}

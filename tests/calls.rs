//! Asynchronous calls: `.await` runs on the client's bounded worker pool (no thread per
//! call) and dropping the future cancels the call, auth-store effect included.

mod common;

use std::collections::HashMap;
use std::future::IntoFuture;
use std::time::{Duration, Instant};

use bosbase::{BosBase, ErrorKind, SendOptions};
use common::canned::{serve, Reply};

const AUTH: &str = r#"{"token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln","record":{"id":"r1"}}"#;

fn os_threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status.lines().find_map(|l| l.strip_prefix("Threads:")).unwrap().trim().parse().unwrap()
}

#[test]
fn a_timeout_around_a_login_cancels_it_and_nothing_is_saved_later() {
    let pb = BosBase::new(&serve(Reply::Slow(Duration::from_millis(300), AUTH)));
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let login = pb.collection("users").auth_with_token("t", HashMap::new(), HashMap::new(), None);
    let outcome = rt.block_on(async { tokio::time::timeout(Duration::from_millis(100), login).await });
    assert!(outcome.is_err(), "the timeout fired first");
    std::thread::sleep(Duration::from_millis(600)); // the server has answered by now
    assert_eq!(pb.auth_store().token(), "", "a cancelled login must not sign in later");
    // Uncancelled, the same login is saved.
    let auth =
        rt.block_on(async { pb.collection("users").auth_with_token("t", HashMap::new(), HashMap::new(), None).await });
    assert_eq!(auth.unwrap()["record"]["id"], "r1");
    assert!(!pb.auth_store().token().is_empty());
}

#[test]
fn many_concurrent_awaits_use_the_pool_not_a_thread_each() {
    let pb = BosBase::builder(&serve(Reply::Slow(Duration::from_millis(20), "{}"))).pool_size(8).build().unwrap();
    let before = os_threads();
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    rt.block_on(async {
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..256 {
            calls.spawn(pb.send("/api/health", SendOptions::new("GET")).into_future());
        }
        let watch = {
            let peak = std::sync::Arc::clone(&peak);
            std::thread::spawn(move || {
                while started.elapsed() < Duration::from_millis(500) {
                    peak.fetch_max(os_threads(), std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        while let Some(done) = calls.join_next().await {
            done.unwrap().unwrap();
        }
        // 256 calls of 20 ms on 8 workers: about 640 ms when they really run side by side.
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        watch.join().unwrap();
    });
    let peak = peak.load(std::sync::atomic::Ordering::SeqCst);
    // Other tests of this binary may run at once; allow them a few threads, never 256.
    assert!(peak <= before + 8 + 16, "{peak} OS threads for 256 awaits (pool of 8, {before} before)");
}

#[test]
fn operations_run_by_name_and_refuse_what_they_do_not_know() {
    let pb = BosBase::new(&serve(Reply::Echo));
    let mut args = serde_json::Map::new();
    args.insert("page".into(), 2.into());
    let echo = pb.operation("collections.getList", args, SendOptions::default()).wait().unwrap();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["target"], "/api/collections?page=2&perPage=30");
    let err = pb.operation("no.such", Default::default(), SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let mut args = serde_json::Map::new();
    args.insert("collection".into(), "users".into());
    args.insert("secret".into(), "hunter2".into());
    let err = pb.operation("records.authWithToken", args, SendOptions::default()).wait().unwrap_err();
    assert!(err.message().contains("secret") && !err.message().contains("hunter2"), "{err}");
    let mut args = serde_json::Map::new();
    args.insert("collection".into(), "users".into());
    let err = pb.operation("records.authWithToken", args, SendOptions::default()).wait().unwrap_err();
    assert!(err.message().contains("missing argument `token`"), "{err}");
}

//! Asynchronous calls: `.await` runs on the client's bounded worker pool (no thread per
//! call) and dropping the future cancels the call, auth-store effect included.

mod common;

use std::collections::HashMap;
use std::future::IntoFuture;
use std::time::{Duration, Instant};

use bosbase::{BosBase, ErrorKind, SendOptions};
use common::canned::{serve, Reply};

const AUTH: &str = r#"{"token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln","record":{"id":"r1"}}"#;

/// Tests that start many threads (or count them) run one at a time.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

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
    let _alone = one_at_a_time();
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

/// Awaits every call of `calls` side by side on one thread; returns each outcome with the
/// time from when it was submitted (all are submitted back to back on the first poll).
fn await_all<T: Send + 'static>(calls: Vec<bosbase::Call<T>>) -> Vec<(bosbase::Result<T>, Duration)> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(async {
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for (i, call) in calls.into_iter().enumerate() {
            set.spawn(async move { (i, call.await, started.elapsed()) });
        }
        let mut out: Vec<_> = std::iter::repeat_with(|| None).take(set.len()).collect();
        while let Some(done) = set.join_next().await {
            let (i, result, took) = done.unwrap();
            out[i] = Some((result, took));
        }
        out.into_iter().map(Option::unwrap).collect()
    })
}

fn health(pb: &BosBase) -> bosbase::Call<serde_json::Value> {
    pb.send("/api/health", SendOptions::new("GET"))
}

#[test]
fn a_burst_on_a_warm_idle_client_runs_side_by_side() {
    let _alone = one_at_a_time();
    let pb = BosBase::new(&serve(Reply::Slow(Duration::from_millis(300), "{}")));
    await_all(vec![health(&pb)]); // one worker, then idle
    std::thread::sleep(Duration::from_millis(200));
    let done = await_all((0..16).map(|_| health(&pb)).collect());
    let took = done.iter().map(|(_, t)| *t).max().unwrap();
    // The woken worker used to count as idle for each of the 16: they ran one by one (4.8 s).
    assert!(took < Duration::from_millis(1200), "16 calls of 300 ms took {took:?}");
    assert!(done.iter().all(|(r, _)| r.is_ok()));
}

#[test]
fn many_slow_calls_at_once_take_about_one_call_by_default() {
    let _alone = one_at_a_time();
    let pb = BosBase::new(&serve(Reply::Slow(Duration::from_millis(200), "{}")));
    let done = await_all((0..256).map(|_| health(&pb)).collect());
    let took = done.iter().map(|(_, t)| *t).max().unwrap();
    // A pool of 16 made this 3.2 s; the default bound runs all 256 at once.
    assert!(took < Duration::from_millis(1500), "256 calls of 200 ms took {took:?}");
    assert!(done.iter().all(|(r, _)| r.is_ok()));
}

#[test]
fn a_call_deadline_counts_its_time_in_the_queue() {
    let pb = BosBase::builder(&serve(Reply::Slow(Duration::from_millis(600), "{}"))).pool_size(1).build().unwrap();
    let with_timeout = |ms| {
        let mut options = SendOptions::new("GET");
        options.timeout_ms = Some(ms);
        pb.send("/api/health", options)
    };
    // Behind a 600 ms call on the only worker: one still queued at its 200 ms deadline,
    // and one that gets the worker at 600 ms with 300 ms of its 900 left (the server needs 600).
    let done = await_all(vec![health(&pb), with_timeout(200), with_timeout(900)]);
    assert!(done[0].0.is_ok());
    let (queued, at) = (done[1].0.as_ref().unwrap_err(), done[1].1);
    assert_eq!(queued.kind(), ErrorKind::Timeout, "{queued}");
    assert!(queued.message().contains("nothing was sent"), "{queued}");
    // It used to wait for the worker, then get its whole 200 ms: 800 ms after submission.
    assert!(at >= Duration::from_millis(190) && at < Duration::from_millis(550), "failed {at:?} after submission");
    let (late, at) = (done[2].0.as_ref().unwrap_err(), done[2].1);
    assert_eq!(late.kind(), ErrorKind::Timeout, "{late}");
    // It used to get its whole 900 ms once it ran: 1.5 s after submission.
    assert!(at >= Duration::from_millis(850) && at < Duration::from_millis(1300), "failed {at:?} after submission");
}

#[test]
fn a_deep_answer_decodes_on_a_worker_and_through_the_c_completion() {
    // serde_json's nesting limit is 128: the deepest answer a call can decode.
    let deep: &'static str = Box::leak(format!("{}1{}", r#"{"a":["#.repeat(63), "]}".repeat(63)).into_boxed_str());
    let pb = BosBase::new(&serve(Reply::With("200 OK", deep)));
    let done = await_all(vec![health(&pb)]);
    let mut v = done[0].0.as_ref().unwrap();
    for _ in 0..63 {
        v = &v["a"][0];
    }
    assert_eq!(*v, 1);
    // The C ABI's completion re-encodes it on the worker and calls back there.
    unsafe extern "C" fn done_cb(
        data: *mut std::ffi::c_void,
        status: bosbase::ffi::BosbaseStatus,
        result: *const std::os::raw::c_char,
        _error: *const std::os::raw::c_char,
    ) {
        let tx = &*(data as *const std::sync::mpsc::Sender<(bosbase::ffi::BosbaseStatus, usize)>);
        let len = if result.is_null() { 0 } else { std::ffi::CStr::from_ptr(result).to_bytes().len() };
        tx.send((status, len)).unwrap();
    }
    let url = std::ffi::CString::new(pb.base_url()).unwrap();
    let path = std::ffi::CString::new("/api/health").unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<(bosbase::ffi::BosbaseStatus, usize)>();
    unsafe {
        let mut client = std::ptr::null_mut();
        let status =
            bosbase::ffi::bosbase_client_new(url.as_ptr(), std::ptr::null(), &mut client, std::ptr::null_mut());
        assert_eq!(status, bosbase::ffi::BosbaseStatus::Ok);
        let mut call = std::ptr::null_mut();
        let data = &tx as *const _ as *mut std::ffi::c_void;
        let status = bosbase::ffi::bosbase_send_async(
            client,
            std::ptr::null(),
            path.as_ptr(),
            std::ptr::null(),
            Some(done_cb),
            data,
            &mut call,
            std::ptr::null_mut(),
        );
        assert_eq!(status, bosbase::ffi::BosbaseStatus::Ok);
        let (status, len) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!((status, len), (bosbase::ffi::BosbaseStatus::Ok, deep.len()));
        bosbase::ffi::bosbase_call_free(call);
        bosbase::ffi::bosbase_client_free(client);
    }
}

//! A cancel frees what a call holds at once, even when the server stalls it: the call's
//! connection is shut down, so its worker ends and `close` (which waits for the calls in
//! flight) returns now, not at the call's deadline. Canned servers (fault injection only):
//! one that never answers, one that never reads an upload. (Downloads: download_faults.rs.)

mod common;

use std::future::{Future, IntoFuture};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bosbase::{BosBase, FilePart, SendOptions};
use serde_json::json;

use common::canned::{serve, Reply};

/// Starts `call`, waits for `started` and a little more (the worker is blocked in I/O by
/// then), drops the future and returns how long `close` took.
fn cancel_then_close<T: Send + 'static>(pb: &BosBase, call: bosbase::Call<T>, started: impl FnOnce()) -> Duration {
    let mut fut = Box::pin(call.into_future());
    assert!(fut.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())).is_pending());
    started();
    std::thread::sleep(Duration::from_millis(300));
    drop(fut);
    let begun = Instant::now();
    pb.close();
    begun.elapsed()
}

fn deadline(ms: u64) -> SendOptions {
    let mut o = SendOptions::new("GET");
    o.timeout_ms = Some(ms);
    o
}

#[test]
fn a_cancelled_call_waiting_for_an_answer_frees_close_at_once() {
    let url = serve(Reply::Hang(Duration::from_secs(25)));
    let pb = BosBase::new(&url);
    let took = cancel_then_close(&pb, pb.send("/api/health", deadline(20_000)), || {});
    assert!(took < Duration::from_secs(3), "close took {took:?} (the call's deadline is 20 s)");
}

#[test]
fn a_cancelled_upload_to_a_server_that_stopped_reading_frees_close_at_once() {
    let url = serve(Reply::NeverRead);
    let pb = BosBase::new(&url);
    let (tx, rx) = mpsc::channel();
    let mut options = SendOptions::default().file(FilePart::bytes("doc", "big.bin", vec![7; 32 << 20]));
    options = options.on_progress(move |_, _| {
        let _ = tx.send(());
    });
    options.timeout_ms = Some(20_000);
    let call = pb.collection("c").create(json!({"title": "t"}), options);
    let took = cancel_then_close(&pb, call, || {
        rx.recv_timeout(Duration::from_secs(10)).expect("the upload started");
    });
    assert!(took < Duration::from_secs(3), "close took {took:?} (the call's deadline is 20 s)");
}

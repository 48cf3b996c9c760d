//! Downloads from servers that drip or lie (tests/common/hostile.rs raw servers: fault
//! injection only, every behaviour test runs against the dev server): a body slower than
//! the deadline ends `timeout` within it, a body shorter than its `Content-Length` (or a
//! chunked body cut short) is a typed error, none of them leaves a file, and bytes past the
//! `Content-Length` are never read as the next answer.

mod common;

use std::future::{Future, IntoFuture};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bosbase::{BosBase, DownloadOptions, ErrorKind};
use serde_json::json;

use common::files::{self, scratch};
use common::hostile;

/// Reads a request head (and nothing after it); false when the client left.
fn read_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).unwrap_or(0) == 0 {
            return false;
        }
        head.push(byte[0]);
    }
    true
}

/// A 200 head announcing `length` bytes.
fn head(length: usize) -> String {
    format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n")
}

fn download(url: &str, dir: &std::path::Path, options: DownloadOptions) -> bosbase::Result<serde_json::Value> {
    let record = json!({"id": "r1", "collectionId": "c1"});
    BosBase::new(url).files().download(record, "f.bin", dir.join("out.bin").as_path(), options).wait()
}

#[test]
fn a_dripping_body_times_out_within_the_deadline_and_leaves_no_file() {
    let server = hostile::raw(|_, mut s| {
        if read_head(&mut s) && s.write_all(head(1000).as_bytes()).is_ok() && s.write_all(&[7; 100]).is_ok() {
            hostile::drip(&mut s, &[7; 900], Duration::from_millis(100)); // 90 s: far past any deadline
        }
    });
    let dir = scratch("drip");
    let started = Instant::now();
    let err = download(&server.url, &dir, DownloadOptions::new().timeout(Duration::from_millis(1000))).unwrap_err();
    let took = started.elapsed();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Timeout, 200), "{err}");
    assert!(
        err.message().starts_with("the download stopped after 1") && err.message().contains(" of 1000 bytes"),
        "{err}"
    );
    assert!(took >= Duration::from_millis(1000) && took < Duration::from_millis(2500), "{took:?}");
    assert!(files::names(&dir).is_empty(), "{:?}", files::names(&dir));

    // A head that comes after the deadline: the same.
    let server = hostile::raw(|_, mut s| {
        if read_head(&mut s) {
            std::thread::sleep(Duration::from_secs(3));
            let _ = s.write_all(head(3).as_bytes()).and_then(|_| s.write_all(b"abc"));
        }
    });
    let started = Instant::now();
    let err = download(&server.url, &dir, DownloadOptions::new().timeout(Duration::from_millis(500))).unwrap_err();
    let took = started.elapsed();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Timeout, 0), "{err}");
    assert!(took >= Duration::from_millis(500) && took < Duration::from_millis(2000), "{took:?}");
    assert!(files::names(&dir).is_empty(), "{:?}", files::names(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_body_shorter_than_announced_is_a_network_error_and_leaves_no_file() {
    let cut_short: [(&[u8], &str); 2] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789", "after 10 of 1000 bytes"), // then closes
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n", "after 10 bytes"), // no last chunk
    ];
    let dir = scratch("short");
    for (answer, says) in cut_short {
        let server = hostile::raw(move |_, mut s| {
            if read_head(&mut s) {
                let _ = s.write_all(answer);
            }
        });
        let err = download(&server.url, &dir, DownloadOptions::new()).unwrap_err();
        assert_eq!((err.kind(), err.status()), (ErrorKind::Network, 200), "{err}");
        assert!(err.message().starts_with(&format!("the download stopped {says}: network error")), "{err}");
        assert!(files::names(&dir).is_empty(), "{:?}", files::names(&dir));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// HTTP/1.1 frames an answer by its `Content-Length`: bytes past it are not part of it
/// (curl, Go and browsers alike keep the announced length). What matters is that they never
/// become the next answer: a connection with bytes left over is dropped, not reused, both
/// when they came with the body and when they arrive later, while it is idle.
#[test]
fn bytes_past_the_content_length_are_never_taken_for_the_next_answer() {
    let body = files::bytes(500);
    let answer = [head(500).into_bytes(), body.clone()].concat();
    let sent = answer.clone();
    let server = hostile::raw(move |n, mut s| {
        while read_head(&mut s) {
            let excess: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nWRONG";
            if n % 2 == 0 {
                let _ = s.write_all(&[&sent[..], excess].concat()); // together with the body
            } else {
                let _ = s.write_all(&sent);
                std::thread::sleep(Duration::from_millis(100)); // once the client is done with it
                let _ = s.write_all(excess);
            }
        }
    });
    let dir = scratch("long");
    let pb = BosBase::new(&server.url);
    let record = json!({"id": "r1", "collectionId": "c1"});
    for round in 1..=4 {
        let target = dir.join("out.bin");
        let result = pb.files().download(record.clone(), "f.bin", target.as_path(), DownloadOptions::new());
        assert_eq!(result.wait().unwrap()["bytes"], 500, "round {round}");
        assert!(std::fs::read(&target).unwrap() == body, "round {round}: the bytes differ");
        assert_eq!(server.accepted(), round, "round {round}: a fresh connection each time");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(files::names(&dir), ["out.bin"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A cancel interrupts a download stuck on a server that stopped sending (directly and
/// through a proxy): `close`, which waits for the call's thread, returns at once, not at
/// the download's deadline (20 s here; before the fix `close` took those 20 s).
#[test]
fn a_cancelled_download_of_a_stalled_server_frees_close_at_once() {
    let server = hostile::raw(|_, mut s| {
        if read_head(&mut s) && s.write_all(head(100_000).as_bytes()).is_ok() && s.write_all(&[7; 50_000]).is_ok() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(25)));
            let _ = s.read(&mut [0u8; 1]); // silent until the client leaves
        }
    });
    let p = common::proxy::serve(common::proxy::Mode::Open);
    let dir = scratch("stall");
    for proxy in ["none", p.url.as_str()] {
        let pb = BosBase::builder(&server.url).proxy(proxy).build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let options = DownloadOptions::new().timeout(Duration::from_secs(20)).on_progress(move |_, _| {
            let _ = tx.send(());
        });
        let record = json!({"id": "r1", "collectionId": "c1"});
        let call = pb.files().download(record, "f.bin", dir.join("out.bin").as_path(), options);
        let mut fut = Box::pin(call.into_future());
        assert!(fut.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())).is_pending());
        rx.recv_timeout(Duration::from_secs(10)).expect("a first report");
        std::thread::sleep(Duration::from_millis(300)); // now blocked reading
        drop(fut);
        assert!(files::names(&dir).is_empty(), "{proxy}: {:?}", files::names(&dir));
        let started = Instant::now();
        pb.close();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "{proxy}: close took {took:?}");
    }
    assert_eq!((server.accepted(), p.tunnels()), (2, 1));
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Downloads under production conditions, against the dev server: through a proxy (the
//! option, and the environment's rules as ordinary calls follow them), by a named host
//! (`localhost`), over IPv6 and over TLS (a front before the dev server, tests/common/front.rs).
//! Each download checks the bytes, the final progress report and that no stray file is left.

mod common;

use std::future::{Future, IntoFuture};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bosbase::{BosBase, ClientBuilder, DownloadOptions, ErrorKind, FilePart, SendOptions};
use serde_json::Value;

use common::files::{self, bytes, scratch};
use common::proxy::{self, Mode};
use common::{admin, front};

/// One stored file for every test of this binary, and the superuser's login (exported).
struct Stored {
    record: Value,
    name: String,
    data: Vec<u8>,
    auth: String,
}

fn stored() -> &'static Stored {
    static STORED: OnceLock<Stored> = OnceLock::new();
    STORED.get_or_init(|| {
        let admin = admin();
        let collection = files::collection(&admin);
        let data = bytes(2 << 20);
        let record = files::record(&admin, &collection, vec![FilePart::bytes("doc", "data.bin", data.clone())]);
        let name = record["doc"].as_str().unwrap().to_owned();
        Stored { record, name, data, auth: admin.auth_store().export() }
    })
}

/// The dev server's port.
fn port() -> u16 {
    common::url().rsplit_once(':').unwrap().1.trim_end_matches('/').parse().unwrap()
}

/// A client from `builder`, signed in without a request: its only traffic is the test's.
fn signed_in(builder: ClientBuilder) -> BosBase {
    let pb = builder.timeout(Duration::from_secs(20)).build().unwrap();
    pb.auth_store().import(&stored().auth).unwrap();
    pb
}

/// Downloads the stored file to `dir/out.bin`; returns the result and the progress reports.
fn download(pb: &BosBase, dir: &Path) -> (bosbase::Result<Value>, Vec<(u64, u64)>) {
    let s = stored();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&seen);
    let options = DownloadOptions::new().on_progress(move |d, t| r.lock().unwrap().push((d, t)));
    let result = pb.files().download(s.record.clone(), &s.name, dir.join("out.bin").as_path(), options).wait();
    let seen = seen.lock().unwrap().clone();
    (result, seen)
}

/// The download succeeded: the file is byte-identical, alone, and progress reached the total.
fn assert_downloaded(pb: &BosBase, dir: &Path) {
    let (result, seen) = download(pb, dir);
    let result = result.unwrap();
    let data = &stored().data;
    let total = data.len() as u64;
    assert_eq!(result["bytes"], total, "{result}");
    assert!(std::fs::read(dir.join("out.bin")).unwrap() == *data, "the bytes differ");
    assert_eq!(files::names(dir), ["out.bin"], "no temporary file left");
    assert!(seen.len() >= 10 && seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert_eq!(seen.last(), Some(&(total, total)), "progress reached the total");
    std::fs::remove_file(dir.join("out.bin")).unwrap();
}

/// The download failed with `kind` and left nothing.
fn assert_failed(pb: &BosBase, dir: &Path, kind: ErrorKind, says: &str) -> bosbase::Error {
    let err = download(pb, dir).0.unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.message().contains(says), "{says:?} not in: {err}");
    assert!(files::names(dir).is_empty(), "{:?}", files::names(dir));
    err
}

fn health(pb: &BosBase) -> bosbase::Result<Value> {
    pb.send("/api/health", SendOptions::new("GET")).wait()
}

#[test]
fn a_download_goes_through_the_proxy_option() {
    let dir = scratch("proxy-option");
    let p = proxy::serve(Mode::Open);
    let pb = signed_in(BosBase::builder(&common::url()).proxy(&p.url));
    assert_downloaded(&pb, &dir);
    assert_downloaded(&pb, &dir);
    assert_eq!(p.tunnels(), 1, "the downloads were the client's only requests, in one kept-alive tunnel");
    assert_eq!(p.seen()[0].target, format!("127.0.0.1:{}", port()));

    // A proxy that refuses: the download fails naming it, and never went direct.
    let refusing = proxy::serve(Mode::Refuse("403 Forbidden"));
    let pb = signed_in(BosBase::builder(&common::url()).proxy(&refusing.url));
    let err = assert_failed(&pb, &dir, ErrorKind::Network, "refused the tunnel");
    assert!(err.message().contains(&refusing.address) && err.message().contains("403"), "{err}");
    assert_eq!((refusing.seen().len(), refusing.tunnels()), (1, 0));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The environment's variables (injected per client: the process's are tested alone in
/// `download_proxy_env.rs`) route a download exactly as they route a call.
#[test]
fn a_download_follows_the_proxy_environment_like_a_call() {
    let dir = scratch("proxy-env");
    let p = proxy::serve(Mode::Open);
    let dead = common::dead_url();
    let localhost = format!("http://localhost:{}", port());
    let with = |url: &str, vars: &[(&str, &str)]| signed_in(BosBase::builder(url).proxy_environment(vars));

    assert_downloaded(&with(&common::url(), &[("HTTP_PROXY", &p.url)]), &dir);
    assert_eq!(p.tunnels(), 1, "HTTP_PROXY");
    assert_downloaded(&with(&localhost, &[("http_proxy", &p.url), ("NO_PROXY", "127.0.0.1")]), &dir);
    assert_eq!(p.tunnels(), 2, "a name is not matched by an IP in NO_PROXY");
    assert_eq!(p.seen()[1].target, format!("localhost:{}", port()), "the proxy resolves the name");

    // Bypasses: NO_PROXY by IP, by name, `*`; HTTPS_PROXY is not for an http server.
    let bypasses: [(&str, &[(&str, &str)]); 4] = [
        (&common::url(), &[("HTTP_PROXY", &dead), ("NO_PROXY", "127.0.0.1")]),
        (&localhost, &[("HTTP_PROXY", &dead), ("no_proxy", "example.com,localhost")]),
        (&localhost, &[("ALL_PROXY", &dead), ("NO_PROXY", "*")]),
        (&localhost, &[("HTTPS_PROXY", &dead)]),
    ];
    for (url, vars) in bypasses {
        assert_downloaded(&with(url, vars), &dir);
        health(&with(url, vars)).unwrap();
    }
    assert_eq!(p.tunnels(), 2, "the bypasses opened no tunnel");

    // Loopback is not exempt by itself: the download, like a call, goes to the (dead) proxy.
    for url in [common::url(), localhost] {
        let vars = [("HTTP_PROXY", dead.as_str())];
        let err = assert_failed(&with(&url, &vars), &dir, ErrorKind::Network, "cannot connect to the proxy");
        let call = health(&with(&url, &vars)).unwrap_err();
        assert_eq!((call.kind(), call.message()), (err.kind(), err.message()), "as a call");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Dropping the future mid-stream through a proxy: no file, no temporary file, and no
/// report after the drop returned.
#[test]
fn a_download_cancelled_mid_stream_through_the_proxy_leaves_no_file() {
    let dir = scratch("proxy-cancel");
    let p = proxy::serve(Mode::Open);
    let pb = signed_in(BosBase::builder(&format!("http://localhost:{}", port())).proxy(&p.url));
    let s = stored();
    let (tx, rx) = std::sync::mpsc::channel();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&reports);
    let options = DownloadOptions::new().on_progress(move |d, t| {
        r.lock().unwrap().push((d, t));
        if r.lock().unwrap().len() == 1 {
            let _ = tx.send(());
            std::thread::sleep(Duration::from_millis(300)); // the transfer is held here: mid-stream
        }
    });
    let call = pb.files().download(s.record.clone(), &s.name, dir.join("out.bin").as_path(), options);
    let mut fut = Box::pin(call.into_future());
    assert!(fut.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())).is_pending());
    rx.recv_timeout(Duration::from_secs(10)).expect("a first report");
    assert!(files::names(&dir).iter().all(|n| n.ends_with(".part")) && files::names(&dir).len() == 1);
    drop(fut);
    let at_drop = reports.lock().unwrap().clone();
    assert!(files::names(&dir).is_empty(), "{:?}", files::names(&dir));
    let first = at_drop[0];
    assert!(first.0 < first.1 && first.1 == s.data.len() as u64, "mid-stream: {first:?}");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(*reports.lock().unwrap(), at_drop, "no report after the cancel");
    assert!(files::names(&dir).is_empty(), "{:?}", files::names(&dir));
    assert_eq!(p.tunnels(), 1, "it ran through the proxy");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_download_by_the_name_localhost() {
    let dir = scratch("localhost");
    let pb = signed_in(BosBase::builder(&format!("http://localhost:{}", port())));
    assert_downloaded(&pb, &dir);
    assert_downloaded(&pb, &dir); // again, on the kept-alive connection
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The dev server listens on 127.0.0.1 only; a plain front on `[::1]` carries its bytes.
#[test]
fn a_download_over_ipv6() {
    let Some(front) = front::plain("[::1]:0") else {
        eprintln!("NOT RUN: no IPv6 loopback here");
        return;
    };
    let dir = scratch("ipv6");
    let pb = signed_in(BosBase::builder(&format!("http://[::1]:{}", front.port)));
    assert_downloaded(&pb, &dir);
    assert_eq!(front.accepted(), 1, "over [::1]");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// HTTPS by name (a TLS front whose certificate names `localhost`), directly and inside a
/// proxy tunnel; an untrusted certificate is kind `tls` and leaves nothing; an upload's
/// progress the same way.
#[test]
fn a_download_over_tls_by_name_and_through_a_proxy() {
    let dir = scratch("tls");
    let front = front::tls();
    let url = format!("https://localhost:{}", front.port);
    assert_downloaded(&signed_in(BosBase::builder(&url).ca_pem(&front.ca_pem)), &dir);
    let p = proxy::serve(Mode::Open);
    assert_downloaded(&signed_in(BosBase::builder(&url).ca_pem(&front.ca_pem).proxy(&p.url)), &dir);
    assert_eq!(p.tunnels(), 1);
    assert_eq!(p.seen()[0].target, format!("localhost:{}", front.port));
    assert_failed(&signed_in(BosBase::builder(&url)), &dir, ErrorKind::Tls, "unknown issuer");
    assert_eq!(front.accepted(), 3, "every download reached the front");

    // An upload with progress, by name, over TLS inside the tunnel.
    let pb = signed_in(BosBase::builder(&url).ca_pem(&front.ca_pem).proxy(&p.url));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&seen);
    let options = SendOptions::default()
        .file(FilePart::bytes("doc", "up.bin", bytes(1 << 20)))
        .on_progress(move |d, t| r.lock().unwrap().push((d, t)));
    let collection = stored().record["collectionName"].as_str().unwrap();
    let record = pb.collection(collection).create(serde_json::json!({"title": "tls"}), options).wait().unwrap();
    assert!(record["doc"].as_str().is_some_and(|d| !d.is_empty()), "{record}");
    let seen = seen.lock().unwrap().clone();
    let (done, total) = *seen.last().unwrap();
    assert!(seen.len() >= 10 && done == total && total > 1 << 20, "{seen:?}");
    assert_eq!((front.accepted(), p.tunnels()), (4, 2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Many callers on one client, through a proxy, by name: every download complete and
/// byte-identical, each in a tunnel of its own at most, and not run one after another.
#[test]
fn many_downloads_at_once_through_a_proxy_by_name() {
    const CALLERS: usize = 8;
    let dir = scratch("many");
    let p = proxy::serve(Mode::Open);
    let pb = signed_in(BosBase::builder(&format!("http://localhost:{}", port())).proxy(&p.url));
    let (tx, rx) = std::sync::mpsc::channel();
    let started = std::time::Instant::now();
    let threads: Vec<_> = (0..CALLERS)
        .map(|n| {
            let (pb, dir, tx) = (pb.clone(), dir.join(n.to_string()), tx.clone());
            std::fs::create_dir(&dir).unwrap();
            std::thread::spawn(move || {
                let (result, seen) = download(&pb, &dir);
                let _ = tx.send(started.elapsed());
                (dir, result, seen)
            })
        })
        .collect();
    let total = stored().data.len() as u64;
    for t in threads {
        let (dir, result, seen) = t.join().unwrap();
        assert_eq!(result.unwrap()["bytes"], total);
        assert!(std::fs::read(dir.join("out.bin")).unwrap() == stored().data, "the bytes differ");
        assert_eq!(seen.last(), Some(&(total, total)));
        assert_eq!(files::names(&dir), ["out.bin"]);
    }
    let finished: Vec<Duration> = rx.try_iter().collect();
    let (first, last) = (finished.iter().min().unwrap(), finished.iter().max().unwrap());
    let tunnels = p.tunnels();
    assert!((2..=CALLERS).contains(&tunnels), "{tunnels} tunnels for {CALLERS} callers at once");
    assert!(*last < *first * CALLERS as u32, "serialised? first {first:?}, last {last:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Downloads on the client's own connections, against the dev server: to a path and to a
//! writer, thumbs, protected files, the byte cap, progress, cancel (issue 23, item 3).

mod common;

use std::future::{Future, IntoFuture};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bosbase::{DownloadOptions, DownloadTarget, ErrorKind, FilePart};
use common::files::{bytes, scratch, Shared};
use common::{admin, files};

#[test]
fn a_file_downloads_to_a_path_and_to_a_writer_with_progress() {
    let admin = admin();
    let name = files::collection(&admin);
    let data = bytes(3 << 20);
    let record = files::record(&admin, &name, vec![FilePart::bytes("doc", "data.bin", data.clone())]);
    let stored = record["doc"].as_str().unwrap().to_owned();
    let stored = stored.as_str();
    let dir = scratch("path");
    let target = dir.join("out.bin");
    std::fs::write(&target, b"old content").unwrap();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let options = DownloadOptions::new().on_progress(move |d, t| s.lock().unwrap().push((d, t)));
    let result = admin.files().download(record.clone(), stored, target.as_path(), options).wait().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), data, "replaced with the downloaded bytes");
    assert_eq!(result["bytes"], data.len() as u64);
    assert_eq!(result["path"], target.to_string_lossy().as_ref());
    assert!(result["contentType"].is_string(), "{result}");
    assert_eq!(files::names(&dir), ["out.bin"], "no temporary file left");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 10, "{} reports", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic: {seen:?}");
    assert!(seen.iter().all(|&(_, t)| t == data.len() as u64), "total known from Content-Length");
    assert_eq!(*seen.last().unwrap(), (data.len() as u64, data.len() as u64));

    let out = Shared::default();
    let result = futures_executor::block_on(
        admin
            .files()
            .download(record, stored, DownloadTarget::writer(out.clone()), DownloadOptions::new())
            .into_future(),
    )
    .unwrap();
    assert_eq!(*out.0.lock().unwrap(), data);
    assert!(result["path"].is_null(), "{result}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn thumbs_and_protected_files_as_get_url() {
    let admin = admin();
    let name = files::collection(&admin);
    let image = files::png(40, 30);
    let record = files::record(
        &admin,
        &name,
        vec![
            FilePart::bytes("image", "pic.png", image.clone()),
            FilePart::bytes("secret", "s.txt", b"top secret".to_vec()),
        ],
    );
    let (pic, secret) = (record["image"].as_str().unwrap().to_owned(), record["secret"].as_str().unwrap().to_owned());
    let (pic, secret) = (pic.as_str(), secret.as_str());

    let thumb = Shared::default();
    let options = DownloadOptions::new().thumb("100x100");
    admin.files().download(record.clone(), pic, DownloadTarget::writer(thumb.clone()), options).wait().unwrap();
    let thumb = thumb.0.lock().unwrap().clone();
    assert!(thumb.starts_with(b"\x89PNG") && thumb != image, "a resized image, not the original");

    let dir = scratch("protected");
    let target = dir.join("secret.txt");
    let anonymous = common::client();
    let err = anonymous.files().download(record.clone(), secret, target.as_path(), DownloadOptions::new()).wait();
    let err = err.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 404), "{err}");
    assert!(err.response().is_object() && !err.message().is_empty(), "{err:?}");
    assert!(files::names(&dir).is_empty(), "nothing written: {:?}", files::names(&dir));

    let token = admin.files().get_token(Default::default()).wait().unwrap();
    let options = DownloadOptions::new().token(&token);
    anonymous.files().download(record, secret, target.as_path(), options).wait().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"top secret");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn over_the_cap_is_too_large_and_leaves_nothing() {
    let admin = admin();
    let name = files::collection(&admin);
    let record = files::record(&admin, &name, vec![FilePart::bytes("doc", "d.bin", bytes(100_000))]);
    let stored = record["doc"].as_str().unwrap().to_owned();
    let stored = stored.as_str();
    let dir = scratch("cap");
    let target = dir.join("d.bin");
    let err =
        admin.files().download(record.clone(), stored, target.as_path(), DownloadOptions::new().max_bytes(99_999));
    let err = err.wait().unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::TooLarge, 200), "{err}");
    assert!(files::names(&dir).is_empty(), "{:?}", files::names(&dir));
    let ok =
        admin.files().download(record.clone(), stored, target.as_path(), DownloadOptions::new().max_bytes(100_000));
    assert_eq!(ok.wait().unwrap()["bytes"], 100_000);

    let bad = admin.files().download(serde_json::json!({"id": "x"}), stored, target.as_path(), DownloadOptions::new());
    assert_eq!(bad.wait().unwrap_err().kind(), ErrorKind::InvalidArgument);
    let missing_dir = dir.join("no/such/dir/file");
    let err = admin.files().download(record, stored, missing_dir.as_path(), DownloadOptions::new()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!err.to_string().contains("no/such"), "paths are not echoed: {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Dropping the future mid-download cancels it: the report in progress finishes first,
/// none follows, and neither the target nor a temporary file is left.
#[test]
fn a_cancelled_download_leaves_no_file_and_reports_nothing_after() {
    let admin = admin();
    let name = files::collection(&admin);
    let record = files::record(&admin, &name, vec![FilePart::bytes("doc", "big.bin", bytes(30 << 20))]);
    let stored = record["doc"].as_str().unwrap().to_owned();
    let stored = stored.as_str();
    let dir = scratch("cancel");
    let target = dir.join("big.bin");
    let (tx, rx) = std::sync::mpsc::channel();
    let reports = Arc::new(Mutex::new(0usize));
    let dropped = Arc::new(AtomicBool::new(false));
    let (r, d) = (Arc::clone(&reports), Arc::clone(&dropped));
    let options = DownloadOptions::new().on_progress(move |_, _| {
        assert!(!d.load(Ordering::SeqCst), "a report after the cancel returned");
        let mut n = r.lock().unwrap();
        *n += 1;
        if *n == 1 {
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300)); // the cancel waits for this
        }
    });
    let mut fut = Box::pin(admin.files().download(record, stored, target.as_path(), options).into_future());
    let noop = std::task::Waker::noop();
    assert!(fut.as_mut().poll(&mut std::task::Context::from_waker(noop)).is_pending());
    rx.recv_timeout(Duration::from_secs(10)).expect("a first report");
    drop(fut);
    dropped.store(true, Ordering::SeqCst);
    assert!(files::names(&dir).is_empty(), "removed by the cancel: {:?}", files::names(&dir));
    let at_cancel = *reports.lock().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(*reports.lock().unwrap(), at_cancel, "no report after the cancel");
    assert!(files::names(&dir).is_empty(), "{:?}", files::names(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An upload's progress counts the whole multipart body: at least 10 throttled reports,
/// monotonic, the last one `done == total` (the body's Content-Length).
#[test]
fn an_upload_reports_its_progress() {
    let admin = admin();
    let name = files::collection(&admin);
    let dir = scratch("upload");
    let source = dir.join("up.bin");
    std::fs::write(&source, bytes(4 << 20)).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let options = bosbase::SendOptions::default()
        .file(FilePart::path("doc", &source))
        .on_progress(move |d, t| s.lock().unwrap().push((d, t)));
    let record = futures_executor::block_on(
        admin.collection(&name).create(serde_json::json!({"title": "up"}), options).into_future(),
    )
    .unwrap();
    assert!(record["doc"].as_str().is_some_and(|s| !s.is_empty()), "{record}");
    let seen = seen.lock().unwrap().clone();
    let (done, total) = *seen.last().unwrap();
    assert!(seen.len() >= 10, "{} reports", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic");
    assert!(done == total && total > 4 << 20 && total < (4 << 20) + 4096, "{done}/{total}");
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Downloads and uploads with the proxy variables of the real process environment (alone
//! in this binary, one test: the variables are global to the process), by the name
//! `localhost`, against the dev server.

mod common;

use std::sync::{Arc, Mutex};

use bosbase::{BosBase, DownloadOptions, FilePart, SendOptions};

use common::files::{self, bytes, scratch};
use common::proxy::{self, Mode};

const VARS: [&str; 8] =
    ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];

#[test]
fn the_process_environment_routes_transfers() {
    for var in VARS {
        std::env::remove_var(var);
    }
    let admin = common::admin();
    let collection = files::collection(&admin);
    let data = bytes(1 << 20);
    let dir = scratch("env");
    let source = dir.join("up.bin");
    std::fs::write(&source, &data).unwrap();
    let port = common::url().rsplit_once(':').unwrap().1.trim_end_matches('/').to_owned();
    let localhost = format!("http://localhost:{port}");
    let p = proxy::serve(Mode::Open);
    std::env::set_var("HTTP_PROXY", &p.url);
    let client = || {
        let pb = BosBase::new(&localhost);
        pb.auth_store().import(&admin.auth_store().export()).unwrap();
        pb
    };

    // An upload with progress, then its download, both through the tunnel.
    let pb = client();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let options = SendOptions::default()
        .file(FilePart::path("doc", &source))
        .on_progress(move |d, t| s.lock().unwrap().push((d, t)));
    let record = pb.collection(&collection).create(serde_json::json!({"title": "env"}), options).wait().unwrap();
    let (done, total) = *seen.lock().unwrap().last().unwrap();
    assert!(done == total && total > data.len() as u64, "{done}/{total}");
    let name = record["doc"].as_str().unwrap().to_owned();
    let target = dir.join("down.bin");
    let result = pb.files().download(record.clone(), &name, target.as_path(), DownloadOptions::new()).wait().unwrap();
    assert_eq!(result["bytes"], data.len() as u64);
    assert!(std::fs::read(&target).unwrap() == data, "the bytes differ");
    assert_eq!(p.tunnels(), 1, "the upload and the download went through HTTP_PROXY, one kept-alive tunnel");
    assert_eq!(p.seen()[0].target, format!("localhost:{port}"));

    // NO_PROXY by name bypasses it; a dead proxy then proves nothing tried it.
    std::env::set_var("HTTP_PROXY", common::dead_url());
    std::env::set_var("NO_PROXY", "localhost");
    std::fs::remove_file(&target).unwrap();
    client().files().download(record.clone(), &name, target.as_path(), DownloadOptions::new()).wait().unwrap();
    assert!(std::fs::read(&target).unwrap() == data, "the bytes differ");
    std::env::remove_var("NO_PROXY");
    std::fs::remove_file(&target).unwrap();
    let err = client().files().download(record, &name, target.as_path(), DownloadOptions::new()).wait().unwrap_err();
    assert!(err.message().contains("cannot connect to the proxy"), "{err}");
    assert_eq!(files::names(&dir), ["up.bin"], "the failed download left nothing");
    for var in VARS {
        std::env::remove_var(var);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

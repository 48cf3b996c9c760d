//! What a row says about itself holds without a server: which rows take file parts (the
//! row's `files`, never guessed from the HTTP method), and the generated Rust methods'
//! typed returns (the row's `result`, `forks`).

use bosbase::{BosBase, Call, ErrorKind, FilePart, RecordService, SendOptions};
use serde_json::{json, Map, Value};

/// A client of a closed loopback port: a call that gets as far as a request fails `network`.
fn offline() -> BosBase {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    BosBase::new(&format!("http://127.0.0.1:{port}"))
}

fn args(pairs: Value) -> Map<String, Value> {
    pairs.as_object().unwrap().clone()
}

#[test]
fn rows_that_take_no_files_refuse_file_parts_before_any_request() {
    let pb = offline();
    let part = || SendOptions::new("POST").file(FilePart::bytes("f", "a.txt", b"x".to_vec()));
    for (name, a) in [
        ("sql.execute", json!({"query": "select 1"})),
        ("graphql.query", json!({"query": "{x}"})),
        ("caches.renewEntry", json!({"cache": "c", "key": "k"})),
        ("settings.update", json!({"data": {}})),
    ] {
        let err = pb.operation(name, args(a), part()).wait().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{name}: {err}");
        assert!(err.message().contains("takes no file parts"), "{name}: {err}");
    }
    // The rows that take files go on to the request (here: no server, so `network`).
    for (name, a) in [
        ("records.create", json!({"collection": "posts"})),
        ("records.update", json!({"collection": "posts", "id": "x"})),
        ("scripts.upload", json!({})),
        ("backups.upload", json!({})),
    ] {
        let err = pb.operation(name, args(a), part()).wait().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{name}: {err}");
    }
}

/// The generated methods return the row's result type (a compile-time check: with
/// `Call<Value>` for everything, as before, this does not build).
#[test]
fn generated_methods_return_the_rows_types() {
    let count: fn(&RecordService, SendOptions) -> Call<i64> = RecordService::get_count;
    let token: fn(&bosbase::FilesService, SendOptions) -> Call<String> = bosbase::FilesService::get_token;
    let full: fn(&RecordService, i64, SendOptions) -> Call<Vec<Value>> = RecordService::get_full_list;
    let delete: fn(&bosbase::CollectionsService, &str, SendOptions) -> Call<bool> = bosbase::CollectionsService::delete;
    let _ = (count, token, full, delete);
    // A local row runs without a request: its typed result is the string itself.
    let pb = offline();
    let url = pb.files().get_url(json!({"collectionId": "c", "id": "r"}), "a b.txt", "", false, "", Default::default());
    assert!(url.wait().unwrap().ends_with("/api/files/c/r/a%20b.txt"));
}

/// `bosbase_kinds_json` exports every error kind with the status code the C ABI returns for
/// it, and the event kinds 0..4 with their JSON fields (the bindings' constants come from it).
#[test]
fn the_kinds_export_matches_the_c_status_codes() {
    let mut out: *mut std::os::raw::c_char = std::ptr::null_mut();
    let status = unsafe { bosbase::ffi::bosbase_kinds_json(&mut out, std::ptr::null_mut()) };
    assert_eq!(status, bosbase::ffi::BosbaseStatus::Ok);
    let text = unsafe { std::ffi::CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    unsafe { bosbase::ffi::bosbase_string_free(out) };
    let kinds: Value = serde_json::from_str(&text).unwrap();
    let status_of = |name: &str| {
        kinds["errorKinds"].as_array().unwrap().iter().find(|k| k["name"] == name).unwrap()["status"].as_u64().unwrap()
    };
    assert_eq!(status_of("closed"), bosbase::ffi::BosbaseStatus::Closed as u64);
    assert_eq!(status_of("panic"), bosbase::ffi::BosbaseStatus::Panic as u64);
    // Every exported kind names its status exactly as the C ABI's bosbase_status_name does.
    for k in kinds["errorKinds"].as_array().unwrap() {
        let code = k["status"].as_u64().unwrap() as u32;
        let name = unsafe { std::ffi::CStr::from_ptr(bosbase::ffi::bosbase_status_name(code)) };
        assert_eq!(Some(name.to_str().unwrap()), k["name"].as_str(), "status {code}");
    }
    assert_eq!(kinds["errorKinds"].as_array().unwrap().len(), 12);
    let state = &kinds["eventKinds"][4];
    assert_eq!((state["name"].as_str(), state["fields"][1].as_str()), (Some("state"), Some("state")));
}

//! Transport faults the dev server cannot produce: timeouts, garbage, 5xx, dropped connections.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use bosbase::{BosBase, ErrorKind};
use common::canned::{serve, Reply};

fn login(pb: &BosBase) -> bosbase::Result<serde_json::Value> {
    pb.collection("users").auth_with_token("secret-custom-token", HashMap::new(), HashMap::new(), None).wait()
}

#[test]
fn a_hung_server_times_out_as_an_abort() {
    let url = serve(Reply::Hang(Duration::from_secs(5)));
    let pb = BosBase::builder(&url).timeout(Duration::from_millis(300)).build().unwrap();
    let err = login(&pb).unwrap_err();
    assert_eq!((err.kind(), err.status(), err.is_abort()), (ErrorKind::Timeout, 0, true));
}

#[test]
fn garbage_in_a_2xx_answer_is_a_json_error_without_the_body() {
    let url = serve(Reply::With("200 OK", "{\"token\": \"leaked-secret\" garbage"));
    let err = login(&BosBase::new(&url)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Json);
    assert!(!format!("{err} {err:?}").contains("leaked-secret"));
}

#[test]
fn a_2xx_auth_answer_without_token_and_record_is_rejected() {
    let url = serve(Reply::With("200 OK", "{\"ok\": true}"));
    let pb = BosBase::new(&url);
    assert_eq!(login(&pb).unwrap_err().kind(), ErrorKind::Json);
    assert_eq!(pb.auth_store().token(), "");
}

#[test]
fn a_5xx_html_page_is_an_http_error() {
    let url = serve(Reply::With("502 Bad Gateway", "<html>bad gateway</html>"));
    let err = login(&BosBase::new(&url)).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 502));
    assert_eq!(err.response(), &serde_json::json!({}));
}

#[test]
fn a_dropped_connection_is_a_network_error() {
    let url = serve(Reply::Close);
    let err = login(&BosBase::new(&url)).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Network, 0));
    assert!(!err.to_string().contains("secret-custom-token"));
}

#[test]
fn a_malformed_base_url_is_refused_by_the_builder_and_by_each_call() {
    assert_eq!(BosBase::builder("ftp://x").build().unwrap_err().kind(), ErrorKind::InvalidArgument);
    // `new` is infallible (the seeds call it so); the first request reports the URL.
    let err = login(&BosBase::new("not a url")).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::InvalidArgument, 0));
}

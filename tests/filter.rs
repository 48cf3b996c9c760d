//! `filter()` against the dev server: hostile input matches nothing instead of everything.

mod common;

use std::collections::HashMap;

use bosbase::SendOptions;
use common::*;
use serde_json::json;

#[test]
fn hostile_filter_values_stay_literals() {
    let pb = client();
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, HashMap::new(), HashMap::new(), None)
        .wait()
        .unwrap();
    let count = |value: &str| {
        let filter = bosbase::filter("email = {:e}", json!({ "e": value }).as_object().unwrap()).unwrap();
        let page = pb.send("/api/collections/users/records", SendOptions::new("GET").query("filter", filter)).wait();
        page.unwrap()["totalItems"].as_u64().unwrap()
    };
    assert_eq!(count(USER.0), 1);
    for hostile in ["' || email != '", "\\' || email != '", "' || 1=1 || '", "a\\b"] {
        assert_eq!(count(hostile), 0, "{hostile}");
    }
    // The injection a trailing backslash would allow is refused before any request.
    let two = json!({"a": "x\\", "b": " || email != "});
    let err = bosbase::filter("email = {:a} || email = {:b}", two.as_object().unwrap()).unwrap_err();
    assert_eq!(err.kind(), bosbase::ErrorKind::InvalidArgument);
}

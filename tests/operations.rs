//! Operations added as table rows only (health.check, collections.getList), through the
//! generated typed services and by name, against the dev server.

mod common;

use std::collections::HashMap;

use bosbase::{ErrorKind, SendOptions};
use common::{client, ADMIN};

#[test]
fn health_check_through_the_generated_service() {
    let pb = client();
    let health = pb.health().check(SendOptions::default()).wait().unwrap();
    assert_eq!(health["code"], 200);
    assert_eq!(health["message"], "API is healthy.");
}

#[test]
fn collections_get_list_needs_a_superuser_and_pages() {
    let pb = client();
    let err = pb.collections().get_list(1, 30, SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http);
    assert!(matches!(err.status(), 401 | 403), "{err}");
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, HashMap::new(), HashMap::new(), None)
        .wait()
        .unwrap();
    let page = pb.collections().get_list(1, 2, SendOptions::default()).wait().unwrap();
    assert_eq!(page["perPage"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let names: Vec<String> = {
        let all = pb.collections().get_list(1, 200, SendOptions::default()).wait().unwrap();
        all["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    assert!(names.iter().any(|n| n == "users") && names.iter().any(|n| n == "posts"), "{names:?}");
}

#[test]
fn operations_by_name_with_their_defaults() {
    let pb = client();
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, HashMap::new(), HashMap::new(), None)
        .wait()
        .unwrap();
    let page = pb.operation("collections.getList", Default::default(), SendOptions::default()).wait().unwrap();
    assert_eq!((page["page"].as_i64(), page["perPage"].as_i64()), (Some(1), Some(30)));
}

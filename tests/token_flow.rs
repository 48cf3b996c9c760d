//! The custom-token feature end to end against the dev server, through the crate's API.

mod common;

use std::collections::HashMap;

use bosbase::{BosBase, ErrorKind, SendOptions};
use common::*;
use serde_json::{json, Value};

fn bind(pb: &BosBase, collection: &str, (email, password): (&str, &str), token: &str) -> bosbase::Result<bool> {
    pb.collection(collection).bind_custom_token(email, password, token, HashMap::new(), HashMap::new()).wait()
}

fn unbind(pb: &BosBase, collection: &str, (email, password): (&str, &str), token: &str) -> bosbase::Result<bool> {
    pb.collection(collection).unbind_custom_token(email, password, token, HashMap::new(), HashMap::new()).wait()
}

fn login(pb: &BosBase, collection: &str, token: &str) -> bosbase::Result<Value> {
    pb.collection(collection).auth_with_token(token, HashMap::new(), HashMap::new(), None).wait()
}

fn full_flow(collection: &str, account: (&str, &str)) {
    let pb = client();
    let token = token();
    assert!(bind(&pb, collection, account, &token).unwrap());
    assert_eq!(pb.auth_store().token(), "", "bind must not touch the auth store");

    let auth = login(&pb, collection, &token).unwrap();
    assert_eq!(auth["record"]["email"], account.0);
    assert_eq!(pb.auth_store().token(), auth["token"].as_str().unwrap());
    assert_eq!(pb.auth_store().record()["email"], account.0);
    assert!(pb.auth_store().is_valid());

    assert!(unbind(&pb, collection, account, &token).unwrap());
    assert!(pb.auth_store().is_valid(), "unbind must not touch the auth store");
    let err = login(&pb, collection, &token).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 400));
    assert_eq!(err.message(), "Failed to authenticate.");
}

#[test]
fn users_bind_login_unbind() {
    full_flow("users", USER);
}

#[test]
fn superusers_bind_login_unbind() {
    full_flow("_superusers", ADMIN);
}

#[test]
fn rebinding_moves_the_token_to_the_new_user() {
    let pb = client();
    let token = token();
    bind(&pb, "users", USER, &token).unwrap();
    bind(&pb, "users", USER2, &token).unwrap();
    assert_eq!(login(&pb, "users", &token).unwrap()["record"]["email"], USER2.0);
    // Unbinding by the former owner leaves the new owner's binding in place.
    assert!(unbind(&pb, "users", USER, &token).unwrap());
    assert_eq!(login(&pb, "users", &token).unwrap()["record"]["email"], USER2.0);
}

#[test]
fn same_token_in_both_collections_is_kept_apart() {
    let pb = client();
    let token = token();
    bind(&pb, "users", USER, &token).unwrap();
    bind(&pb, "_superusers", ADMIN, &token).unwrap();
    assert_eq!(login(&pb, "users", &token).unwrap()["record"]["email"], USER.0);
    assert_eq!(login(&pb, "_superusers", &token).unwrap()["record"]["email"], ADMIN.0);
    unbind(&pb, "users", USER, &token).unwrap();
    assert_eq!(login(&pb, "users", &token).unwrap_err().status(), 400);
    assert_eq!(login(&pb, "_superusers", &token).unwrap()["record"]["email"], ADMIN.0);
}

#[test]
fn token_bound_elsewhere_or_unknown_fails() {
    let pb = client();
    let token = token();
    bind(&pb, "_superusers", ADMIN, &token).unwrap();
    assert_eq!(login(&pb, "users", &token).unwrap_err().message(), "Failed to authenticate.");
    assert_eq!(login(&pb, "users", "never-bound").unwrap_err().status(), 400);
}

#[test]
fn mfa_is_required_then_finished_with_the_password() {
    let pb = client();
    let token = token();
    bind(&pb, "mfa_users", MFA_USER, &token).unwrap();
    let err = login(&pb, "mfa_users", &token).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::MfaRequired, 401));
    let mfa_id = err.mfa_id().expect("mfaId").to_owned();
    assert_eq!(pb.auth_store().token(), "", "a challenge saves nothing");

    // Finishing with the same method is refused by the server.
    let again =
        pb.collection("mfa_users").auth_with_token(&token, HashMap::new(), HashMap::new(), Some(&mfa_id)).wait();
    assert_eq!(again.unwrap_err().status(), 400);

    let err = login(&pb, "mfa_users", &token).unwrap_err();
    let mfa_id = err.mfa_id().unwrap();
    let auth = pb
        .collection("mfa_users")
        .auth_with_password(MFA_USER.0, MFA_USER.1, HashMap::new(), HashMap::new(), Some(mfa_id))
        .wait()
        .unwrap();
    assert_eq!(auth["record"]["email"], MFA_USER.0);
    assert!(pb.auth_store().is_valid());
}

#[test]
fn wrong_credentials_fail_with_the_servers_message_and_no_secret() {
    let pb = client();
    let token = token();
    let err = bind(&pb, "users", (USER.0, "wrong-password"), &token).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 400));
    assert_eq!(err.message(), "Failed to bind token.");
    let err = unbind(&pb, "users", ("nobody@example.com", "x"), &token).unwrap_err();
    assert_eq!(err.message(), "Failed to unbind token.");
    let text = format!("{err} {err:?} {}", err.to_json());
    assert!(!text.contains(&token) && !text.contains("wrong-password"), "{text}");
}

#[test]
fn validation_data_reaches_the_caller() {
    let pb = client();
    let err = bind(&pb, "users", ("not-an-email", "pw"), "").unwrap_err();
    assert_eq!(err.status(), 400);
    let data = &err.response()["data"];
    assert_eq!(data["email"]["code"], "validation_is_email");
    assert_eq!(data["token"]["code"], "validation_required");
}

#[test]
fn unknown_and_base_collections_are_404() {
    let pb = client();
    for collection in ["no_such_collection", "posts", "a/../users"] {
        let err = bind(&pb, collection, USER, "t").unwrap_err();
        assert_eq!(err.status(), 404, "{collection}");
    }
}

#[test]
fn server_down_is_a_network_error() {
    let pb = BosBase::new(&dead_url());
    let err = login(&pb, "users", "t").unwrap_err();
    assert_eq!((err.kind(), err.status(), err.is_abort()), (ErrorKind::Network, 0, false));
    assert_eq!(err.to_json()["kind"], "network");
}

#[test]
fn auth_refresh_keeps_the_static_token_and_the_store_sends_it() {
    let pb = client();
    let token = token();
    bind(&pb, "users", USER, &token).unwrap();
    let auth = login(&pb, "users", &token).unwrap();
    let refreshed = pb.collection("users").auth_refresh(HashMap::new(), HashMap::new()).wait().unwrap();
    assert_eq!(refreshed["token"], auth["token"]);

    // Viewing one's own record needs the Authorization header taken from the store.
    let id = auth["record"]["id"].as_str().unwrap();
    let path = format!("/api/collections/users/records/{id}");
    assert_eq!(pb.send(&path, SendOptions::default()).wait().unwrap()["email"], USER.0);
    pb.auth_store().clear();
    assert_eq!(pb.send(&path, SendOptions::default()).wait().unwrap_err().status(), 404);
}

#[test]
fn generic_send_matches_the_typed_calls() {
    let pb = client();
    let token = token();
    let body = json!({"email": USER.0, "password": USER.1, "token": token});
    let users = pb.collection("users");
    assert_eq!(users.send("/bind-token", SendOptions::new("POST").body(body)).wait().unwrap(), Value::Null);
    let auth = users.send("/auth-with-token", SendOptions::new("POST").body(json!({"token": token}))).wait().unwrap();
    assert_eq!(auth["record"]["email"], USER.0);
    assert_eq!(pb.auth_store().token(), "", "send saves nothing");
    assert_eq!(pb.send("/api/health", SendOptions::default()).wait().unwrap()["code"], 200);
}

#[test]
fn one_client_many_threads() {
    let pb = client();
    let token = token();
    bind(&pb, "users", USER, &token).unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(login(&pb, "users", &token).unwrap()["record"]["email"], USER.0);
                }
            });
        }
    });
}

#[test]
fn crlf_in_headers_is_rejected_before_sending() {
    let pb = client();
    let err = pb.send("/api/health", SendOptions::new("GET").header("X-Evil", "a\r\nInjected: 1")).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

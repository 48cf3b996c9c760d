//! Records against the dev server: CRUD, the list forms and their options, the count,
//! the auth store following updates and deletes of the signed-in account, files
//! (multipart from bytes and from a path, URLs, file tokens) and batches.

mod common;

use bosbase::{BosBase, ErrorKind, FilePart, SendOptions};
use common::{admin, client, new_user, obj};
use serde_json::{json, Value};

fn opts() -> SendOptions {
    SendOptions::default()
}

/// A client signed in as a fresh account, and that account's id.
fn signed_in() -> (BosBase, String) {
    let (pb, _, _, id) = common::signed_in_new_user(&admin());
    (pb, id)
}

fn new_post(pb: &BosBase, author: &str, title: &str) -> Value {
    let data = obj(&[("title", json!(title)), ("author", json!(author))]);
    pb.collection("posts").create(data, opts()).wait().unwrap()
}

#[test]
fn crud_and_the_owner_rules() {
    let (pb, me) = signed_in();
    let post = new_post(&pb, &me, "first");
    let id = post["id"].as_str().unwrap();
    assert_eq!(post["title"], "first");
    let mut expand = opts();
    expand.expand = Some("author".into());
    let got = pb.collection("posts").get_one(id, expand).wait().unwrap();
    assert_eq!(got["expand"]["author"]["id"], me.as_str());
    let updated = pb.collection("posts").update(id, json!({"title": "second"}), opts()).wait().unwrap();
    assert_eq!(updated["title"], "second");
    let (other, other_id) = signed_in();
    let err = pb.collection("posts").update(id, json!({"author": other_id}), opts()).wait().unwrap_err();
    assert_eq!(err.status(), 404, "a post cannot be handed to someone else");

    // Another account neither sees nor changes it (owner rules); creating for someone else fails.
    assert_eq!(other.collection("posts").get_one(id, opts()).wait().unwrap_err().status(), 404);
    let err = other.collection("posts").create(json!({"title": "x", "author": me}), opts()).wait().unwrap_err();
    assert_eq!(err.status(), 400);

    assert!(pb.collection("posts").delete(id, opts()).wait().unwrap() == json!(true));
    assert_eq!(pb.collection("posts").get_one(id, opts()).wait().unwrap_err().status(), 404);
    let err = pb.collection("posts").get_one("", opts()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "an empty id never reaches the list route");
}

#[test]
fn lists_pages_filters_sorts_and_counts() {
    let (pb, me) = signed_in();
    for t in ["b", "a", "c", "d", "e"] {
        new_post(&pb, &me, t);
    }
    let mut o = opts();
    o.sort = Some("title".into());
    o.filter = Some(bosbase::filter("title != {:t}", json!({"t": "e"}).as_object().unwrap()).unwrap());
    let page = pb.collection("posts").get_list(1, 2, o.clone()).wait().unwrap();
    assert_eq!((page["totalItems"].as_i64(), page["totalPages"].as_i64()), (Some(4), Some(2)));
    let titles = |items: &Value| -> Vec<String> {
        items.as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(titles(&page["items"]), ["a", "b"]);
    let all = pb.collection("posts").get_full_list(2, o.clone()).wait().unwrap();
    assert_eq!(titles(&Value::Array(all)), ["a", "b", "c", "d"], "three requests of at most 2");
    let err = pb.collection("posts").get_full_list(0, opts()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    let mut skip = o.clone();
    skip.skip_total = Some(true);
    assert_eq!(pb.collection("posts").get_list(1, 2, skip).wait().unwrap()["totalItems"], -1);

    let first = pb.collection("posts").get_first_list_item("title ~ 'c'", opts()).wait().unwrap();
    assert_eq!(first["title"], "c");
    let none = pb.collection("posts").get_first_list_item("title = 'zzz'", opts()).wait().unwrap_err();
    assert_eq!((none.kind(), none.status()), (ErrorKind::Http, 404));

    assert_eq!(pb.collection("posts").get_count(opts()).wait().unwrap(), 5);
    let mut f = opts();
    f.filter = Some("title = 'a' || title = 'b'".into());
    assert_eq!(pb.collection("posts").get_count(f).wait().unwrap(), 2);
    assert_eq!(client().collection("posts").get_count(opts()).wait().unwrap(), 0, "guests see no posts");
}

#[test]
fn updating_or_deleting_the_signed_in_account_follows_in_the_store() {
    let (pb, me) = signed_in();
    let token = pb.auth_store().token();
    pb.collection("users").update(&me, json!({"name": "Renamed"}), opts()).wait().unwrap();
    assert_eq!(pb.auth_store().record()["name"], "Renamed");
    assert_eq!(pb.auth_store().token(), token, "the token stays");
    // Another record of the same collection leaves the store alone.
    let admin = admin();
    let (_, _, other) = new_user(&admin);
    admin.collection("users").update(&other, json!({"name": "x"}), opts()).wait().unwrap();
    assert!(admin.auth_store().is_superuser());
    pb.collection("users").delete(&me, opts()).wait().unwrap();
    assert_eq!(pb.auth_store().token(), "", "deleting the signed-in account clears the store");
}

#[test]
fn files_from_bytes_and_path_round_trip_through_get_url() {
    let (pb, me) = signed_in();
    let data = obj(&[("title", json!("with file")), ("author", json!(me))]);
    let bytes = b"hello from bytes".to_vec();
    let o = opts().file(FilePart::bytes("attachment", "hello.txt", bytes.clone()));
    let post = pb.collection("posts").create(data, o).wait().unwrap();
    let name = post["attachment"].as_str().unwrap().to_owned();
    assert!(name.starts_with("hello") && name.ends_with(".txt"), "{name}");
    let url = pb.files().get_url(post.clone(), &name, "", false, "", opts()).wait().unwrap();
    let url = url.as_str();
    assert!(url.contains("/api/files/") && url.ends_with(&name), "{url}");
    assert_eq!(common::raw_get(url), bytes);

    // A path part, streamed from disk, replacing the file in an update.
    let path = std::env::temp_dir().join(format!("bosbase-upload-{}.txt", std::process::id()));
    std::fs::write(&path, b"hello from a path").unwrap();
    let o = opts().file(FilePart::path("attachment", &path));
    let id = post["id"].as_str().unwrap();
    let updated = pb.collection("posts").update(id, json!({"title": "replaced"}), o).wait().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(updated["title"], "replaced", "the data goes with the file (@jsonPayload)");
    let name = updated["attachment"].as_str().unwrap();
    let url = pb.files().get_url(updated.clone(), name, "", true, "", opts()).wait().unwrap();
    assert!(url.ends_with("?download=1"));
    assert_eq!(common::raw_get(&url), b"hello from a path");

    let token = pb.files().get_token(opts()).wait().unwrap();
    assert!(token.len() > 20);
    let empty = pb.files().get_url(json!({}), "x.txt", "", false, "", opts()).wait().unwrap();
    assert_eq!(empty, "", "a record without id has no file URL");
    let err = pb.collection("posts").get_one(id, opts().file(FilePart::bytes("a", "b", vec![]))).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "a GET carries no files");
    let err = client().files().get_token(opts()).wait().unwrap_err();
    assert_eq!(err.status(), 401, "guests get no file token");
}

#[test]
fn a_batch_runs_as_one_transaction() {
    let admin = admin();
    admin
        .settings()
        .update(json!({"batch": {"enabled": true, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}}), opts())
        .wait()
        .unwrap();
    let (pb, me) = signed_in();
    let existing = new_post(&pb, &me, "before");
    let requests = json!([
        {"action": "create", "collection": "posts", "data": {"title": "one", "author": me}},
        {"action": "create", "collection": "posts", "data": {"title": "two", "author": me}},
        {"action": "update", "collection": "posts", "id": existing["id"], "data": {"title": "after"}},
    ]);
    let results = pb.batch().send(requests, opts()).wait().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["status"] == 200), "{results:?}");
    assert_eq!(results[2]["body"]["title"], "after");

    // One failing item (a post for another author) rolls every item back.
    let count = |pb: &BosBase| pb.collection("posts").get_count(opts()).wait().unwrap();
    let before = count(&pb);
    let bad = json!([
        {"action": "create", "collection": "posts", "data": {"title": "three", "author": me}},
        {"action": "create", "collection": "posts", "data": {"title": "x", "author": "someone-else"}},
    ]);
    let err = pb.batch().send(bad, opts()).wait().unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 400));
    assert_eq!(count(&pb), before, "nothing of the failed batch stayed");
    let err = pb.batch().send(json!([{"action": "drop", "collection": "posts"}]), opts()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

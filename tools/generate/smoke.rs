//! The smoke test's one table of examples: for every row of the operation table, the
//! arguments of one call, the client it runs on, what must come back, and the server it runs
//! on. The generated smoke tests (`tests/smoke_gen.rs`, `tests/c/smoke_gen_test.cpp`,
//! `bindings/go/smoke_gen_test.go`, the Elixir and GDScript ones) pick the examples of the
//! server they run against (`BOSBASE_SERVER_KIND=bosbase`: the real BosBase server, which
//! `scripts/bosbase-server` exports; otherwise the dev server), call each once, in this
//! order, through the binding's generated method and check the typed result; a new row needs
//! only its line here, no hand-written test code.
//!
//! Arguments are JSON; a string `"${op}"` or `"${op.field}"` is the result of an earlier row
//! of this run on the same server (or of `.field` in it), `${token}` a fresh custom token,
//! `${n}` a number unique to the run. Arguments left out take the row's default. `expect`:
//! `ok` (the row's typed result), or `http NNN` (the call must fail with kind `http` and that
//! status: the wrapper, the request and the typed error path are exercised, the server
//! refuses the example; the comment above it says why).

use serde_json::{Map, Value};

use super::Op;

/// The servers a smoke test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The PocketBase-based dev server (`scripts/devserver --demo`), in `make test`.
    Dev,
    /// The real BosBase server (`scripts/bosbase-server --demo --redis --openai`), in
    /// `make test-bosbase`.
    Real,
}

/// Where an example runs: on both servers, or on one only (a row whose expectation differs
/// between the servers has one example for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    Both,
    Only(Server),
}

const BOTH: On = On::Both;
const DEV: On = On::Only(Server::Dev);
const REAL: On = On::Only(Server::Real);

impl On {
    pub fn runs_on(self, server: Server) -> bool {
        self == On::Both || self == On::Only(server)
    }
}

/// One example: (operation, client: `admin` (superuser) | `guest` (a second client; the
/// auth rows sign it in), arguments, expect, where it runs).
pub type Example = (&'static str, &'static str, &'static str, &'static str, On);

/// Every row, in the order the smoke tests call them.
pub const EXAMPLES: &[Example] = &[
    ("health.check", "guest", "{}", "ok", BOTH),
    ("records.listAuthMethods", "guest", r#"{"collection": "users"}"#, "ok", BOTH),
    (
        "records.authWithPassword",
        "guest",
        r#"{"collection": "users", "identity": "user2@example.com", "password": "user2-password"}"#,
        "ok",
        BOTH,
    ),
    ("records.authRefresh", "guest", r#"{"collection": "users"}"#, "ok", BOTH),
    (
        "records.bindCustomToken",
        "guest",
        r#"{"collection": "users", "email": "user2@example.com", "password": "user2-password", "token": "${token}"}"#,
        "ok",
        BOTH,
    ),
    ("records.authWithToken", "guest", r#"{"collection": "users", "token": "${token}"}"#, "ok", BOTH),
    (
        "records.unbindCustomToken",
        "guest",
        r#"{"collection": "users", "email": "user2@example.com", "password": "user2-password", "token": "${token}"}"#,
        "ok",
        BOTH,
    ),
    ("records.requestOTP", "guest", r#"{"collection": "mfa_users", "email": "mfa@example.com"}"#, "ok", BOTH),
    (
        "records.authWithOTP",
        "guest",
        r#"{"collection": "mfa_users", "otpId": "${records.requestOTP.otpId}", "password": "000000x"}"#,
        "http 400",
        BOTH,
    ),
    (
        "records.authWithOAuth2Code",
        "guest",
        // _superusers: the OAuth2 tests enable OAuth2 on `users` of the same server.
        r#"{"collection": "_superusers", "provider": "google", "code": "c", "codeVerifier": "v", "redirectURL": "http://127.0.0.1/cb"}"#,
        "http 403",
        BOTH,
    ),
    ("records.requestVerification", "guest", r#"{"collection": "users", "email": "user2@example.com"}"#, "ok", BOTH),
    ("records.confirmVerification", "guest", r#"{"collection": "users", "token": "not-a-token"}"#, "http 400", BOTH),
    ("records.requestPasswordReset", "guest", r#"{"collection": "users", "email": "user2@example.com"}"#, "ok", BOTH),
    (
        "records.confirmPasswordReset",
        "guest",
        r#"{"collection": "users", "token": "not-a-token", "password": "x1234567", "passwordConfirm": "x1234567"}"#,
        "http 400",
        BOTH,
    ),
    (
        "records.requestEmailChange",
        "guest",
        r#"{"collection": "users", "newEmail": "smoke-${n}@example.com"}"#,
        "ok",
        DEV,
    ),
    // The real server sends this mail at once and its host has no mail transport (no
    // sendmail): 400 "Failed to request email change.".
    (
        "records.requestEmailChange",
        "guest",
        r#"{"collection": "users", "newEmail": "smoke-${n}@example.com"}"#,
        "http 400",
        REAL,
    ),
    (
        "records.confirmEmailChange",
        "guest",
        r#"{"collection": "users", "token": "not-a-token", "password": "user2-password"}"#,
        "http 400",
        BOTH,
    ),
    ("records.getList", "guest", r#"{"collection": "posts", "perPage": 5}"#, "ok", BOTH),
    (
        "records.create",
        "guest",
        r#"{"collection": "posts", "data": {"title": "smoke", "author": "${records.authWithPassword.record.id}"}}"#,
        "ok",
        BOTH,
    ),
    // Over the guest's pub/sub WebSocket (it is signed in as user2): the server's acknowledgement.
    ("pubsub.publish", "guest", r#"{"topic": "smoke-${n}", "data": {"n": 1}}"#, "ok", REAL),
    ("records.getFullList", "guest", r#"{"collection": "posts", "batch": 50}"#, "ok", BOTH),
    ("records.getFirstListItem", "guest", r#"{"collection": "posts", "filter": "title = 'smoke'"}"#, "ok", BOTH),
    ("records.getOne", "guest", r#"{"collection": "posts", "id": "${records.create.id}"}"#, "ok", BOTH),
    ("records.getCount", "guest", r#"{"collection": "posts"}"#, "ok", BOTH),
    (
        "records.update",
        "guest",
        r#"{"collection": "posts", "id": "${records.create.id}", "data": {"title": "smoke 2"}}"#,
        "ok",
        BOTH,
    ),
    ("files.getURL", "guest", r#"{"record": "${records.update}", "filename": "a b.txt"}"#, "ok", BOTH),
    ("files.getToken", "guest", "{}", "ok", BOTH),
    ("records.delete", "guest", r#"{"collection": "posts", "id": "${records.create.id}"}"#, "ok", BOTH),
    (
        "records.impersonate",
        "admin",
        r#"{"collection": "users", "id": "${records.authWithPassword.record.id}", "duration": 60}"#,
        "ok",
        BOTH,
    ),
    // The batch API is off by default: enable it (as the other suites do), then a batch that
    // creates a post and deletes it again.
    (
        "settings.update",
        "admin",
        r#"{"data": {"batch": {"enabled": true, "maxRequests": 50, "timeout": 3, "maxBodySize": 0}}}"#,
        "ok",
        BOTH,
    ),
    (
        "batch.send",
        "admin",
        r#"{"requests": [
            {"action": "create", "collection": "posts",
             "data": {"id": "smokebatch00001", "title": "b", "author": "${records.authWithPassword.record.id}"}},
            {"action": "delete", "collection": "posts", "id": "smokebatch00001"}]}"#,
        "ok",
        DEV,
    ),
    // The real server's record ids are 36-character UUIDs.
    (
        "batch.send",
        "admin",
        r#"{"requests": [
            {"action": "create", "collection": "posts",
             "data": {"id": "00000000-0000-7000-8000-00000000b001", "title": "b", "author": "${records.authWithPassword.record.id}"}},
            {"action": "delete", "collection": "posts", "id": "00000000-0000-7000-8000-00000000b001"}]}"#,
        "ok",
        REAL,
    ),
    ("collections.getList", "admin", r#"{"perPage": 2}"#, "ok", BOTH),
    ("collections.getFullList", "admin", "{}", "ok", BOTH),
    ("collections.getOne", "admin", r#"{"idOrName": "posts"}"#, "ok", BOTH),
    ("collections.getScaffolds", "admin", "{}", "ok", BOTH),
    ("collections.create", "admin", r#"{"data": {"name": "smoke_${n}", "type": "base"}}"#, "ok", DEV),
    // With a vector field (BosBase's pgvector) for records.vectorSearch.
    (
        "collections.create",
        "admin",
        r#"{"data": {"name": "smoke_${n}", "type": "base", "fields": [{"name": "emb", "type": "vector", "dimension": 3}]}}"#,
        "ok",
        REAL,
    ),
    ("collections.update", "admin", r#"{"idOrName": "smoke_${n}", "data": {"listRule": ""}}"#, "ok", DEV),
    // The real server refuses to change a collection for about 2 s after creating it (400
    // "relation … already exists", a server bug: see tests/admin.rs), so its example changes
    // `posts`, seeded before the run, to what it is.
    ("collections.update", "admin", r#"{"idOrName": "posts", "data": {"name": "posts"}}"#, "ok", REAL),
    ("collections.truncate", "admin", r#"{"idOrName": "smoke_${n}"}"#, "ok", BOTH),
    ("collections.import", "admin", r#"{"collections": ["${collections.update}"]}"#, "ok", BOTH),
    (
        "records.vectorSearch",
        "admin",
        r#"{"collection": "smoke_${n}", "field": "emb", "queryVector": [1, 0, 0], "limit": 2}"#,
        "ok",
        REAL,
    ),
    ("collections.delete", "admin", r#"{"idOrName": "smoke_${n}"}"#, "ok", BOTH),
    ("settings.getAll", "admin", "{}", "ok", BOTH),
    ("settings.testS3", "admin", "{}", "http 400", BOTH),
    (
        "settings.testEmail",
        "admin",
        r#"{"collection": "users", "email": "smoke@example.com", "template": "verification"}"#,
        "ok",
        DEV,
    ),
    // No mail transport on the real server's host: 400 "Failed to send the test email".
    (
        "settings.testEmail",
        "admin",
        r#"{"collection": "users", "email": "smoke@example.com", "template": "verification"}"#,
        "http 400",
        REAL,
    ),
    (
        "settings.generateAppleClientSecret",
        "admin",
        r#"{"clientId": "c", "teamId": "t", "keyId": "k", "privateKey": "not a key", "duration": 3600}"#,
        "http 400",
        BOTH,
    ),
    ("logs.getList", "admin", r#"{"perPage": 2}"#, "ok", BOTH),
    ("logs.getOne", "admin", r#"{"id": "no-such-log"}"#, "http 404", BOTH),
    ("logs.getStats", "admin", "{}", "ok", BOTH),
    ("crons.getFullList", "admin", "{}", "ok", BOTH),
    ("crons.run", "admin", r#"{"jobId": "__pbOTPCleanup__"}"#, "ok", BOTH),
    ("backups.getFullList", "admin", "{}", "ok", BOTH),
    ("backups.create", "admin", r#"{"name": "smoke_${n}.zip"}"#, "ok", BOTH),
    ("backups.getDownloadURL", "admin", r#"{"key": "smoke_${n}.zip", "token": "${files.getToken}"}"#, "ok", BOTH),
    ("backups.upload", "admin", "{}", "http 400", BOTH),
    ("backups.restore", "admin", r#"{"key": "no-such-backup.zip"}"#, "http 400", BOTH),
    ("backups.delete", "admin", r#"{"key": "smoke_${n}.zip"}"#, "ok", BOTH),
    // BosBase's own services (superusers), real server only: the launcher's --redis and
    // --openai give it Redis and the deterministic OpenAI-compatible stand-in.
    ("collections.getSchema", "admin", r#"{"idOrName": "posts"}"#, "ok", REAL),
    ("collections.getAllSchemas", "admin", "{}", "ok", REAL),
    ("vectors.createCollection", "admin", r#"{"name": "smokevec_${n}", "dimension": 3}"#, "ok", REAL),
    ("vectors.listCollections", "admin", "{}", "ok", REAL),
    ("vectors.updateCollection", "admin", r#"{"name": "smokevec_${n}", "config": {"distance": "l2"}}"#, "ok", REAL),
    // Drops the collection's ivfflat index (the wheel's pgvector dies with SIGILL planning a
    // query on it on some CPUs: see tests/bosbase_services.rs) and makes a table for the SQL
    // table rows.
    (
        "sql.execute",
        "admin",
        r#"{"query": "DROP INDEX IF EXISTS idx_smokevec_${n}_vector_cosine; DROP INDEX IF EXISTS idx_smokevec_${n}_vector_l2; CREATE TABLE smoke_sql_${n} (id TEXT PRIMARY KEY, title TEXT)"}"#,
        "ok",
        REAL,
    ),
    (
        "vectors.insert",
        "admin",
        r#"{"collection": "smokevec_${n}", "document": {"id": "d1", "vector": [1, 0, 0], "content": "one"}}"#,
        "ok",
        REAL,
    ),
    (
        "vectors.batchInsert",
        "admin",
        r#"{"collection": "smokevec_${n}", "documents": [{"id": "d2", "vector": [0, 1, 0]}]}"#,
        "ok",
        REAL,
    ),
    // Server bug (BosBase d8bc341, apis/vector.go vectorGet, see tests/bosbase_services.rs):
    // an existing document answers 404 "Vector document not found.".
    ("vectors.get", "admin", r#"{"collection": "smokevec_${n}", "id": "d1"}"#, "http 404", REAL),
    ("vectors.list", "admin", r#"{"collection": "smokevec_${n}"}"#, "ok", REAL),
    (
        "vectors.update",
        "admin",
        r#"{"collection": "smokevec_${n}", "id": "d1", "document": {"metadata": {"k": "a"}}}"#,
        "ok",
        REAL,
    ),
    ("vectors.search", "admin", r#"{"collection": "smokevec_${n}", "queryVector": [1, 0, 0]}"#, "ok", REAL),
    ("vectors.delete", "admin", r#"{"collection": "smokevec_${n}", "id": "d2"}"#, "ok", REAL),
    ("vectors.deleteCollection", "admin", r#"{"name": "smokevec_${n}"}"#, "ok", REAL),
    ("collections.registerSqlTables", "admin", r#"{"tables": ["smoke_sql_${n}"]}"#, "ok", REAL),
    (
        "collections.importSqlTables",
        "admin",
        r#"{"tables": [{"name": "smoke_imp_${n}", "sql": "CREATE TABLE smoke_imp_${n} (id TEXT PRIMARY KEY, n INTEGER)"}]}"#,
        "ok",
        REAL,
    ),
    // LLM documents without an embedding: the server embeds them through its provider.
    ("llmDocuments.createCollection", "admin", r#"{"name": "smokellm_${n}"}"#, "ok", REAL),
    ("llmDocuments.listCollections", "admin", "{}", "ok", REAL),
    (
        "llmDocuments.insert",
        "admin",
        r#"{"collection": "smokellm_${n}", "document": {"id": "paris", "content": "The capital of France is Paris."}}"#,
        "ok",
        REAL,
    ),
    ("llmDocuments.get", "admin", r#"{"collection": "smokellm_${n}", "id": "paris"}"#, "ok", REAL),
    ("llmDocuments.list", "admin", r#"{"collection": "smokellm_${n}"}"#, "ok", REAL),
    (
        "llmDocuments.update",
        "admin",
        r#"{"collection": "smokellm_${n}", "id": "paris", "document": {"metadata": {"topic": "geo"}}}"#,
        "ok",
        REAL,
    ),
    (
        "llmDocuments.query",
        "admin",
        r#"{"collection": "smokellm_${n}", "payload": {"queryText": "capital france", "limit": 1}}"#,
        "ok",
        REAL,
    ),
    ("langchaingo.completions", "admin", r#"{"payload": {"prompt": "smoke"}}"#, "ok", REAL),
    (
        "langchaingo.rag",
        "admin",
        r#"{"payload": {"collection": "smokellm_${n}", "question": "capital france", "topK": 1}}"#,
        "ok",
        REAL,
    ),
    (
        "langchaingo.queryDocuments",
        "admin",
        r#"{"payload": {"collection": "smokellm_${n}", "query": "capital france", "topK": 1}}"#,
        "ok",
        REAL,
    ),
    // The stand-in writes a SELECT of the columns the question names.
    (
        "langchaingo.sql",
        "admin",
        r#"{"payload": {"query": "title of posts", "tables": ["posts"], "topK": 1}}"#,
        "ok",
        REAL,
    ),
    ("llmDocuments.delete", "admin", r#"{"collection": "smokellm_${n}", "id": "paris"}"#, "ok", REAL),
    ("llmDocuments.deleteCollection", "admin", r#"{"name": "smokellm_${n}"}"#, "ok", REAL),
    ("caches.create", "admin", r#"{"name": "smokecache_${n}", "config": {"defaultTTLSeconds": 60}}"#, "ok", REAL),
    ("caches.list", "admin", "{}", "ok", REAL),
    ("caches.update", "admin", r#"{"name": "smokecache_${n}", "config": {"defaultTTLSeconds": 120}}"#, "ok", REAL),
    (
        "caches.setEntry",
        "admin",
        r#"{"cache": "smokecache_${n}", "key": "k", "entry": {"value": {"a": [1, 2]}}}"#,
        "ok",
        REAL,
    ),
    ("caches.getEntry", "admin", r#"{"cache": "smokecache_${n}", "key": "k"}"#, "ok", REAL),
    // ttlSeconds 0 (no expiry) is a value, not the default -1.
    ("caches.renewEntry", "admin", r#"{"cache": "smokecache_${n}", "key": "k", "ttlSeconds": 0}"#, "ok", REAL),
    ("caches.deleteEntry", "admin", r#"{"cache": "smokecache_${n}", "key": "k"}"#, "ok", REAL),
    ("caches.delete", "admin", r#"{"name": "smokecache_${n}"}"#, "ok", REAL),
    (
        "graphql.query",
        "admin",
        r#"{"query": "query Count($c: String!) { records(collection: $c) { totalItems } }", "variables": {"c": "posts"}}"#,
        "ok",
        REAL,
    ),
    ("scripts.create", "admin", r#"{"name": "smoke_${n}.py", "content": "x = 1"}"#, "ok", REAL),
    ("scripts.list", "admin", "{}", "ok", REAL),
    ("scripts.get", "admin", r#"{"name": "smoke_${n}.py"}"#, "ok", REAL),
    ("scripts.update", "admin", r#"{"name": "smoke_${n}.py", "changes": {"description": "smoke"}}"#, "ok", REAL),
    (
        "scriptPermissions.create",
        "admin",
        r#"{"data": {"script_name": "smoke_${n}.py", "content": "user"}}"#,
        "ok",
        REAL,
    ),
    ("scriptPermissions.get", "admin", r#"{"scriptName": "smoke_${n}.py"}"#, "ok", REAL),
    (
        "scriptPermissions.update",
        "admin",
        r#"{"scriptName": "smoke_${n}.py", "data": {"content": "superuser"}}"#,
        "ok",
        REAL,
    ),
    // Execution needs the separate Python functions service (FUNCTION_URL), which this
    // server does not have: 500 "Script execution failed.". The async start answers at once
    // (202) and its job ends in status "error".
    ("scripts.execute", "admin", r#"{"name": "smoke_${n}.py"}"#, "http 500", REAL),
    ("scripts.executeAsync", "admin", r#"{"name": "smoke_${n}.py"}"#, "ok", REAL),
    ("scripts.executeAsyncStatus", "admin", r#"{"id": "${scripts.executeAsync.id}"}"#, "ok", REAL),
    ("scriptPermissions.delete", "admin", r#"{"scriptName": "smoke_${n}.py"}"#, "ok", REAL),
    ("scripts.delete", "admin", r#"{"name": "smoke_${n}.py"}"#, "ok", REAL),
    // Runs in the launcher's throw-away EXECUTE_PATH.
    ("scripts.command", "admin", r#"{"command": "echo smoke", "async": true}"#, "ok", REAL),
    ("scripts.commandStatus", "admin", r#"{"id": "${scripts.command.id}"}"#, "ok", REAL),
    // The smoke test sends no file part (tests/bosbase_services.rs uploads one): 400.
    ("scripts.upload", "admin", r#"{"path": "smoke.txt"}"#, "http 400", REAL),
    // This server build has no WASM runtime: 500 "Failed to get WASM manager.", and an
    // unknown job is 404.
    ("scripts.wasm", "admin", r#"{"wasm": "smoke.wasm"}"#, "http 500", REAL),
    ("scripts.wasmAsync", "admin", r#"{"wasm": "smoke.wasm"}"#, "http 500", REAL),
    ("scripts.wasmAsyncStatus", "admin", r#"{"id": "no-such-job"}"#, "http 404", REAL),
    ("redis.createKey", "admin", r#"{"entry": {"key": "smoke:${n}", "value": {"a": 1}}}"#, "ok", REAL),
    ("redis.listKeys", "admin", r#"{"pattern": "smoke:*"}"#, "ok", REAL),
    ("redis.getKey", "admin", r#"{"key": "smoke:${n}"}"#, "ok", REAL),
    ("redis.updateKey", "admin", r#"{"key": "smoke:${n}", "entry": {"value": 2}}"#, "ok", REAL),
    ("redis.deleteKey", "admin", r#"{"key": "smoke:${n}"}"#, "ok", REAL),
];

/// The rows the smoke test does not call on `server`, with the reason.
pub fn not_here(server: Server) -> Vec<(&'static str, &'static str)> {
    let examples: Vec<&str> = EXAMPLES.iter().filter(|e| e.4.runs_on(server)).map(|e| e.0).collect();
    super::table()
        .iter()
        .filter(|op| !examples.contains(&op.name.as_str()))
        .map(|op| {
            let name: &'static str = Box::leak(op.name.clone().into_boxed_str());
            (name, reason(server, name))
        })
        .collect()
}

fn reason(server: Server, op: &str) -> &'static str {
    if server == Server::Real {
        return "no real-server example in tools/generate/smoke.rs yet";
    }
    const SERVICES: &str = "a BosBase service the dev server does not have: real server only";
    match op.split('.').next().unwrap_or_default() {
        "pubsub" => "BosBase pub/sub: real server only",
        "redis" => "BosBase Redis keys: real server (with --redis) only",
        "langchaingo" => "BosBase langchaingo: real server (with --openai) only",
        "vectors" | "llmDocuments" | "caches" | "graphql" | "sql" | "scripts" | "scriptPermissions" => SERVICES,
        _ if matches!(
            op,
            "records.vectorSearch"
                | "collections.getSchema"
                | "collections.getAllSchemas"
                | "collections.registerSqlTables"
                | "collections.importSqlTables"
        ) =>
        {
            SERVICES
        }
        _ => "no dev-server example in tools/generate/smoke.rs yet",
    }
}

/// The `${...}` references of an example's arguments.
fn references(example: &Example) -> Vec<String> {
    example.2.split("${").skip(1).map(|rest| rest[..rest.find('}').expect("`${` without `}`")].to_owned()).collect()
}

/// Checks that every `${op...}` reference is to a row that ran before on the same server, and
/// that no row runs twice on one server.
fn check_order() {
    for server in [Server::Dev, Server::Real] {
        let mut done: Vec<&str> = vec!["token", "n"];
        for e in EXAMPLES.iter().filter(|e| e.4.runs_on(server)) {
            for r in references(e) {
                let known = done.iter().any(|d| r == *d || r.starts_with(&format!("{d}.")));
                assert!(known, "{} on {server:?}: `${{{r}}}` is not a row run before it on that server", e.0);
            }
            assert!(!done.contains(&e.0), "{} runs twice on {server:?}", e.0);
            done.push(e.0);
        }
    }
}

/// An example's arguments: its JSON with the row's default for every argument it leaves out
/// (a required argument left out is an error in the table).
pub fn arguments(op: &Op, example: &Example) -> Map<String, Value> {
    let mut args: Map<String, Value> = match serde_json::from_str::<Value>(example.2) {
        Ok(Value::Object(m)) => m,
        other => panic!("{}: example arguments are not a JSON object: {other:?}", op.name),
    };
    for a in &op.args {
        if !args.contains_key(&a.name) {
            let d = a.default.clone().unwrap_or_else(|| panic!("{}: the example lacks `{}`", op.name, a.name));
            args.insert(a.name.clone(), d);
        }
    }
    args
}

/// The HTTP status an example expects, or `None` for `ok`.
pub fn expected_status(example: &Example) -> Option<u16> {
    match example.3 {
        "ok" => None,
        e => Some(e.strip_prefix("http ").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("expect {e}"))),
    }
}

/// The (row, example) pairs in smoke order (both servers' examples).
pub fn rows() -> Vec<(Op, &'static Example)> {
    check_order();
    let ops = super::table();
    EXAMPLES
        .iter()
        .map(|e| (ops.iter().find(|o| o.name == e.0).unwrap_or_else(|| panic!("no row {}", e.0)).clone(), e))
        .collect()
}

/// `tests/smoke_gen.rs`: every example row of the server it runs against once, through the typed
/// Rust method (the generic call for the rows whose Rust method is hand-written).
pub fn rust() -> String {
    let mut s = format!(
        "{}\n// From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n",
        super::MARK_SLASH
    );
    s.push_str(RUST_HEAD);
    let rows = rows();
    for (op, example) in &rows {
        let args = Value::Object(arguments(op, example));
        let client = example.1;
        let hand = super::rust::HAND_WRITTEN.contains(&op.name.as_str());
        let (ty, call) = if hand {
            ("Value".to_owned(), format!("{client}.operation(\"{}\", a.as_object().unwrap().clone(), opts())", op.name))
        } else {
            let recv = if op.on_collection() {
                format!("{client}.collection(s(&a, \"collection\"))")
            } else {
                format!("{client}.{}()", super::snake(&op.group))
            };
            let params: Vec<String> = op
                .params()
                .iter()
                .map(|p| match p.ty.as_str() {
                    "string" => format!("s(&a, \"{}\")", p.name),
                    "integer" => format!("i(&a, \"{}\")", p.name),
                    "boolean" => format!("b(&a, \"{}\")", p.name),
                    _ => format!("a[\"{}\"].clone()", p.name),
                })
                .collect();
            let params = params.iter().map(|p| format!("{p}, ")).collect::<String>();
            (
                super::rust::return_type(op).to_owned(),
                format!("{recv}.{}({params}opts())", super::rust::method_name(op)),
            )
        };
        let shape = if op.forks && !hand { "client" } else { op.result.as_str() };
        let expect = match expected_status(example) {
            Some(n) => format!("Some({n})"),
            None => "None".to_owned(),
        };
        let body = format!(
            "let a = fill(json!({args}), &r);\nlet got: bosbase::Result<{ty}> = {call}.wait();\nr.insert(\"{}\".into(), check(\"{}\", got, \"{shape}\", {expect}));\nexercised += 1;\n",
            op.name, op.name
        );
        s.push_str(&guarded("//", &op.name, example.4, &body, "    ", ["if !real {", "if real {"], Some("}")));
    }
    let listed = |server| -> String {
        not_here(server).iter().map(|(n, why)| format!("            (\"{n}\", \"{why}\"),\n")).collect()
    };
    s.push_str(&format!(
        "\n    let not_here: &[(&str, &str)] = if real {{\n        &[\n{}        ]\n    }} else {{\n        &[\n{}        ]\n    }};\n    assert_eq!(exercised + not_here.len(), {}, \"every row is exercised or listed\");\n    let (server, file) = if real {{ (\"the real BosBase server\", \"smoke-rust-bosbase.txt\") }} else {{ (\"the dev server\", \"smoke-rust.txt\") }};\n    let summary = format!(\"smoke (Rust): {{exercised}} rows exercised against {{server}}, {{}} listed as not here\\n\", not_here.len());\n    eprint!(\"{{summary}}\");\n    // `make test` prints it after the run (cargo keeps a passing test's output to itself).\n    std::fs::write(format!(\"{{}}/{{file}}\", env!(\"CARGO_TARGET_TMPDIR\")), summary).unwrap();\n    for (op, why) in not_here {{\n        eprintln!(\"  not exercised here: {{op}}: {{why}}\");\n    }}\n}}\n",
        listed(Server::Real),
        listed(Server::Dev),
        super::table().len()
    ));
    s
}

/// A row's statements `body` (one per line, not indented) after a `comment` line naming the
/// row, at the test's indentation `unit` and, for an example of one server only, inside the
/// test of the server kind (`open`: for the dev server, for the real one; `close`: the
/// block's end, none where indentation ends it).
fn guarded(comment: &str, name: &str, on: On, body: &str, unit: &str, open: [&str; 2], close: Option<&str>) -> String {
    let indent = |text: &str, depth: usize| -> String {
        text.lines()
            .map(|l| if l.is_empty() { "\n".to_owned() } else { format!("{}{l}\n", unit.repeat(depth)) })
            .collect()
    };
    let mut s = format!("\n{unit}{comment} {name}\n");
    match on {
        On::Both => s.push_str(&indent(body, 1)),
        On::Only(server) => {
            s.push_str(&format!("{unit}{}\n", open[usize::from(server == Server::Real)]));
            s.push_str(&indent(body, 2));
            if let Some(close) = close {
                s.push_str(&format!("{unit}{close}\n"));
            }
        }
    }
    s
}

const RUST_HEAD: &str = r#"//! The smoke test: every row of the operation table that the server it runs against (the
//! dev server, or the real BosBase server when BOSBASE_SERVER_KIND=bosbase) can answer is
//! called once, in the order of the examples, through its typed Rust method, and the typed
//! result (or the expected HTTP error) is checked. The rows it does not call are listed with
//! the reason and printed.

mod common;

use std::collections::HashMap;

use bosbase::{ErrorKind, SendOptions};
use serde::Serialize;
use serde_json::{json, Value};

fn opts() -> SendOptions {
    SendOptions::default()
}

fn s<'a>(a: &'a Value, name: &str) -> &'a str {
    a[name].as_str().unwrap_or_else(|| panic!("`{name}` is not a string: {a}"))
}

fn i(a: &Value, name: &str) -> i64 {
    a[name].as_i64().unwrap_or_else(|| panic!("`{name}` is not an integer: {a}"))
}

fn b(a: &Value, name: &str) -> bool {
    a[name].as_bool().unwrap_or_else(|| panic!("`{name}` is not a boolean: {a}"))
}

/// `"${op}"` / `"${op.field...}"` is an earlier result (or a part of it); inside a longer
/// string, its text.
fn fill(v: Value, r: &HashMap<String, Value>) -> Value {
    let lookup = |path: &str| -> Value {
        let key = r.keys().filter(|k| path == *k || path.starts_with(&format!("{k}."))).max_by_key(|k| k.len());
        let key = key.unwrap_or_else(|| panic!("no earlier result for ${{{path}}}"));
        let rest = path[key.len()..].trim_start_matches('.');
        rest.split('.').filter(|p| !p.is_empty()).fold(r[key].clone(), |v, p| v[p].clone())
    };
    match v {
        Value::String(t) if t.starts_with("${") && t.ends_with('}') && t.matches("${").count() == 1 => {
            lookup(&t[2..t.len() - 1])
        }
        Value::String(mut t) => {
            while let Some(start) = t.find("${") {
                let end = start + t[start..].find('}').unwrap();
                let value = lookup(&t[start + 2..end]);
                let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
                t.replace_range(start..=end, &text);
            }
            Value::String(t)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|x| fill(x, r)).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, fill(x, r))).collect()),
        other => other,
    }
}

/// The typed result as JSON after checking it has the row's shape, or `null` after checking
/// the expected HTTP error.
fn check<T: Serialize + std::fmt::Debug>(op: &str, got: bosbase::Result<T>, shape: &str, expect: Option<u16>) -> Value {
    match expect {
        Some(status) => {
            let err = got.expect_err(op);
            assert_eq!((err.kind(), err.status()), (ErrorKind::Http, status), "{op}: {err}");
            Value::Null
        }
        None => {
            let value = got.unwrap_or_else(|e| panic!("{op}: {e}"));
            let json = if shape == "client" { Value::Null } else { serde_json::to_value(&value).unwrap() };
            let ok = match shape {
                "json" => json.is_object() || json.is_null(),
                "list" => json.is_array(),
                "string" => json.as_str().is_some_and(|t| !t.is_empty()),
                "integer" => json.is_i64(),
                "true" => json == Value::Bool(true),
                _ => true,
            };
            assert!(ok, "{op}: {json} is not a {shape} result");
            json
        }
    }
}

// One statement group per row, as generated (rustfmt leaves it as it is).
#[test]
#[rustfmt::skip]
#[allow(unused_variables)]
fn every_row_once() {
    // The real BosBase server (scripts/bosbase-server) or the dev server: their examples.
    let real = std::env::var("BOSBASE_SERVER_KIND").is_ok_and(|k| k == "bosbase");
    let admin = common::admin();
    let guest = common::client();
    let mut r: HashMap<String, Value> = HashMap::new();
    r.insert("token".into(), Value::String(bosbase::generate_token().unwrap()));
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_000;
    r.insert("n".into(), Value::String(n.to_string()));
    let mut exercised = 0;
"#;

/// `bindings/go/smoke_gen_test.go`: every example row of its server once, through
/// the generated Go method.
pub fn go() -> String {
    let mut s = format!(
        "{}\n\n// From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n",
        super::MARK_SLASH
    );
    s.push_str(GO_HEAD);
    for (op, example) in rows() {
        let args = Value::Object(arguments(&op, example));
        let client = example.1;
        let recv = if op.on_collection() {
            format!("{client}.Collection(str(a, \"collection\"))")
        } else {
            format!("{client}.{}()", super::pascal(&op.group))
        };
        let mut params: Vec<String> = super::go::ordered(&op)
            .iter()
            .map(|p| match p.ty.as_str() {
                "string" => format!("str(a, \"{}\")", p.name),
                "integer" if p.zero_is_value && p.default.is_some() => format!("bosbase.Ptr(num(a, \"{}\"))", p.name),
                "integer" => format!("num(a, \"{}\")", p.name),
                "boolean" => format!("a[\"{}\"].(bool)", p.name),
                "object" => format!("obj(a, \"{}\")", p.name),
                "array" => format!("arr(a, \"{}\")", p.name),
                _ => format!("a[\"{}\"]", p.name),
            })
            .collect();
        params.extend(["nil", "nil", "nil"].map(str::to_owned));
        let shape = if op.forks { "client" } else { op.result.as_str() };
        let status = expected_status(example).unwrap_or(0);
        let template = args.to_string().replace('`', "` + \"`\" + `");
        let body = format!(
            "a = fill(t, `{template}`, r)\ngot, err = {recv}.{}({})\nr[\"{}\"] = check(t, \"{}\", got, err, \"{shape}\", {status})\nexercised++\n",
            super::pascal(&op.method),
            params.join(", "),
            op.name,
            op.name
        );
        s.push_str(&guarded("//", &op.name, example.4, &body, "\t", ["if !real {", "if real {"], Some("}")));
    }
    // A `[][2]string` literal at `indent` (gofmt's form: `{}` when empty).
    let listed = |server, indent: &str| -> String {
        let rows = not_here(server);
        if rows.is_empty() {
            return "[][2]string{}".to_owned();
        }
        let rows: String = rows.iter().map(|(n, why)| format!("{indent}\t{{\"{n}\", \"{why}\"}},\n")).collect();
        format!("[][2]string{{\n{rows}{indent}}}")
    };
    s.push_str(&format!(
        "\n\tnotHere, server, file := {}, \"the dev server\", \"smoke-go.txt\"\n\tif real {{\n\t\tnotHere, server, file = {}, \"the real BosBase server\", \"smoke-go-bosbase.txt\"\n\t}}\n\tif exercised+len(notHere) != {} {{\n\t\tt.Fatalf(\"%d rows exercised + %d listed, want every row ({})\", exercised, len(notHere))\n\t}}\n\tsummary := fmt.Sprintf(\"smoke (Go): %d rows exercised against %s, %d listed as not here\\n\", exercised, server, len(notHere))\n\tfor _, n := range notHere {{\n\t\tt.Logf(\"not exercised here: %s: %s\", n[0], n[1])\n\t}}\n\tfmt.Fprint(os.Stderr, summary)\n\t// make test prints it after the run.\n\t_ = os.MkdirAll(\"../../target/tmp\", 0o755)\n\t_ = os.WriteFile(\"../../target/tmp/\"+file, []byte(summary), 0o644)\n}}\n",
        listed(Server::Dev, "\t"),
        listed(Server::Real, "\t\t"),
        super::table().len(),
        super::table().len()
    ));
    s
}

const GO_HEAD: &str = r#"
package bosbase_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	bosbase "github.com/bosbase/bosbase-native/bindings/go"
)

func str(a map[string]any, name string) string { return a[name].(string) }

func num(a map[string]any, name string) int { return int(a[name].(float64)) }

func obj(a map[string]any, name string) map[string]any {
	m, _ := a[name].(map[string]any)
	return m
}

func arr(a map[string]any, name string) []any {
	l, _ := a[name].([]any)
	return l
}

// lookup is an earlier result ("op") or a part of it ("op.field.sub").
func lookup(t *testing.T, path string, r map[string]any) any {
	key := ""
	for k := range r {
		if (path == k || strings.HasPrefix(path, k+".")) && len(k) > len(key) {
			key = k
		}
	}
	if key == "" {
		t.Fatalf("no earlier result for ${%s}", path)
	}
	v := r[key]
	for _, p := range strings.Split(strings.TrimPrefix(path[len(key):], "."), ".") {
		if p != "" {
			v = v.(map[string]any)[p]
		}
	}
	return v
}

func substitute(t *testing.T, v any, r map[string]any) any {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "${") && strings.HasSuffix(x, "}") && strings.Count(x, "${") == 1 {
			return lookup(t, x[2:len(x)-1], r)
		}
		for strings.Contains(x, "${") {
			start := strings.Index(x, "${")
			end := start + strings.Index(x[start:], "}")
			value := lookup(t, x[start+2:end], r)
			text, ok := value.(string)
			if !ok {
				b, _ := json.Marshal(value)
				text = string(b)
			}
			x = x[:start] + text + x[end+1:]
		}
		return x
	case []any:
		for i := range x {
			x[i] = substitute(t, x[i], r)
		}
	case map[string]any:
		for k := range x {
			x[k] = substitute(t, x[k], r)
		}
	}
	return v
}

// fill is an example's arguments with earlier results in place of their ${...}.
func fill(t *testing.T, template string, r map[string]any) map[string]any {
	var a map[string]any
	if err := json.Unmarshal([]byte(template), &a); err != nil {
		t.Fatal(err)
	}
	return substitute(t, a, r).(map[string]any)
}

// check is the typed result as JSON values after checking its shape, or nil after checking
// the expected HTTP error.
func check(t *testing.T, op string, got any, err error, shape string, status int) any {
	t.Helper()
	if status != 0 {
		e := responseError(t, err)
		if e.Kind != bosbase.KindHTTP || e.Status != status {
			t.Fatalf("%s: %v, want an http %d", op, err, status)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	ok := false
	switch shape {
	case "json":
		_, ok = got.(map[string]any)
	case "list":
		_, ok = got.([]any)
	case "string":
		s, isString := got.(string)
		ok = isString && s != ""
	case "integer":
		_, ok = got.(int64)
	case "true":
		ok = got == true
	case "client":
		c, isClient := got.(*bosbase.Client)
		ok = isClient && c.AuthStore.Token() != ""
		if isClient {
			c.Close()
		}
		return nil
	}
	if !ok {
		t.Fatalf("%s: %#v is not a %s result", op, got, shape)
	}
	b, _ := json.Marshal(got)
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

// Every row of the operation table that the server it runs against (the dev server, or the
// real BosBase server when BOSBASE_SERVER_KIND=bosbase) can answer, once, in the order of
// the examples, through its generated method; the typed result (or the expected HTTP error)
// is checked. The rows not called are listed with the reason.
func TestSmokeEveryRow(t *testing.T) {
	// The real BosBase server (scripts/bosbase-server) or the dev server: their examples.
	real := os.Getenv("BOSBASE_SERVER_KIND") == "bosbase"
	guest := newClient(t)
	admin := newClient(t)
	if _, err := admin.Collection("_superusers").AuthWithPassword("admin@example.com", "admin-password", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	r := map[string]any{"token": freshToken(t), "n": fmt.Sprint(os.Getpid())}
	exercised := 0
	var a map[string]any
	var got any
	var err error
"#;

/// `bindings/elixir/test/bosbase/smoke_gen_test.exs`: every example row of its server once,
/// through the generated Elixir function (`apply/3` on the row's module and name).
/// The rows are JSON lines in a `~S` heredoc, which `mix format` leaves as they are.
pub fn elixir() -> String {
    let mut lines = String::new();
    for (op, example) in rows() {
        let args = arguments(&op, example);
        let params: Vec<Value> = op.params().iter().map(|p| Value::String(p.name.clone())).collect();
        let shape = if op.forks { "client" } else { op.result.as_str() };
        let row = serde_json::json!([
            op.name,
            example.1,
            super::elixir::module(&op),
            super::elixir::ident(&op.method),
            op.on_collection(),
            params,
            args,
            shape,
            expected_status(example).unwrap_or(0),
            match example.4 {
                On::Both => "both",
                On::Only(Server::Dev) => "dev",
                On::Only(Server::Real) => "real",
            }
        ]);
        lines.push_str(&format!("  {row}\n"));
    }
    let listed = |server| -> String { not_here(server).iter().map(|(n, why)| format!("  `{n}`: {why}\n")).collect() };
    format!(
        "{}\n# From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n{}",
        super::MARK_HASH,
        ELIXIR_TEMPLATE
            .replace("@ROWS@", &lines)
            .replace("@NOT_HERE_DEV@", &listed(Server::Dev))
            .replace("@NOT_HERE_REAL@", &listed(Server::Real))
            .replace("@TOTAL@", &super::table().len().to_string())
    )
}

const ELIXIR_TEMPLATE: &str = r##"defmodule Bosbase.SmokeGenTest do
  # Every row of the operation table that the server it runs against (the dev server, or the
  # real BosBase server when BOSBASE_SERVER_KIND=bosbase) can answer, once, in the order of
  # the examples, through its generated function; the typed result (or the expected HTTP
  # error) is checked. Each row: [operation, client, module, function, on a collection,
  # positional arguments, arguments, result shape, expected HTTP status or 0, the server it
  # runs on: both, dev or real].
  use ExUnit.Case, async: false

  alias Bosbase.{Client, ClientResponseError, RecordService}
  import Bosbase.TestSupport

  @rows ~S"""
@ROWS@  """

  @not_here_dev ~S"""
@NOT_HERE_DEV@  """

  @not_here_real ~S"""
@NOT_HERE_REAL@  """

  test "every row of the server once, through its generated function" do
    # The real BosBase server (scripts/bosbase-server) or the dev server: their examples.
    {server, name, not_here, file} =
      if System.get_env("BOSBASE_SERVER_KIND") == "bosbase",
        do: {"real", "the real BosBase server", @not_here_real, "smoke-elixir-bosbase.txt"},
        else: {"dev", "the dev server", @not_here_dev, "smoke-elixir.txt"}

    admin = client()
    {email, password} = account("_superusers")

    {:ok, _} =
      admin
      |> Client.collection("_superusers")
      |> RecordService.auth_with_password(email, password)

    clients = %{"admin" => admin, "guest" => client()}
    # Unique on a server that outlives one run too (the names it makes, e.g. SQL tables, stay).
    n = Integer.to_string(rem(System.os_time(:microsecond), 1_000_000_000))
    token = Base.url_encode64(:crypto.strong_rand_bytes(32), padding: false)

    rows =
      @rows
      |> String.split("\n", trim: true)
      |> Enum.map(&Bosbase.JSON.decode!/1)
      |> Enum.filter(&(List.last(&1) in ["both", server]))

    results =
      Enum.reduce(rows, %{"token" => token, "n" => n}, fn row, r ->
        [op, who, module, fun, on_collection, params, template, shape, status, _on] = row
        args = fill(template, r)
        target = clients[who]

        target = if on_collection, do: Client.collection(target, args["collection"]), else: target

        positional = Enum.map(params, &args[&1])
        module = String.to_existing_atom("Elixir." <> module)
        # Loaded first: its functions' names are atoms only once it is (run alone, no other
        # test has loaded it yet).
        Code.ensure_loaded!(module)
        got = apply(module, String.to_existing_atom(fun), [target | positional])
        Map.put(r, op, check(op, got, shape, status))
      end)

    not_here = String.split(not_here, "\n", trim: true)
    exercised = length(rows)
    assert map_size(results) == exercised + 2
    assert exercised + length(not_here) == @TOTAL@

    summary =
      "smoke (Elixir): #{exercised} rows exercised against #{name}, " <>
        "#{length(not_here)} listed as not here\n"

    IO.write(summary)
    File.mkdir_p!(Path.expand("../../../../target/tmp", __DIR__))
    File.write!(Path.expand("../../../../target/tmp/" <> file, __DIR__), summary)
  end

  # An earlier result (`${op}`) or a part of it (`${op.field}`), or its text inside a string.
  defp fill(value, r) when is_map(value), do: Map.new(value, fn {k, v} -> {k, fill(v, r)} end)
  defp fill(value, r) when is_list(value), do: Enum.map(value, &fill(&1, r))

  defp fill("${" <> rest = value, r) do
    if String.ends_with?(rest, "}") and length(String.split(value, "${")) == 2,
      do: lookup(String.trim_trailing(rest, "}"), r),
      else: interpolate(value, r)
  end

  defp fill(value, r) when is_binary(value), do: interpolate(value, r)
  defp fill(value, _r), do: value

  defp interpolate(text, r) do
    Regex.replace(~r/\$\{([^}]+)\}/, text, fn _, path ->
      case lookup(path, r) do
        v when is_binary(v) -> v
        v -> v |> Bosbase.JSON.encode("smoke") |> elem(1)
      end
    end)
  end

  defp lookup(path, r) do
    key =
      r
      |> Map.keys()
      |> Enum.filter(&(path == &1 or String.starts_with?(path, &1 <> ".")))
      |> Enum.max_by(&String.length/1)

    path
    |> String.replace_prefix(key, "")
    |> String.split(".", trim: true)
    |> Enum.reduce(r[key], fn part, v -> v[part] end)
  end

  defp check(op, got, _shape, status) when status > 0 do
    assert {:error, %ClientResponseError{kind: "http", status: ^status}} = got, op
    nil
  end

  defp check(op, got, shape, 0) do
    assert {:ok, value} = got, "#{op}: #{inspect(got)}"

    ok =
      case shape do
        "json" -> is_map(value) or is_nil(value)
        "list" -> is_list(value)
        "string" -> is_binary(value) and value != ""
        "integer" -> is_integer(value)
        "true" -> value == true
        "client" -> match?(%Client{}, value)
      end

    assert ok, "#{op}: #{inspect(value)} is not a #{shape} result"
    if shape == "client", do: nil, else: value
  end
end
"##;

/// `tests/c/smoke_gen_test.cpp`: every example row of its server once, through the
/// generated C++ method (`bosbase_operations_gen.hpp`).
pub fn cpp() -> String {
    let mut body = String::new();
    for (op, example) in rows() {
        let args = Value::Object(arguments(&op, example));
        let client = example.1;
        let recv = if op.on_collection() {
            format!("{client}.collection(str(a, \"collection\"))")
        } else {
            format!("{client}.{}()", super::snake(&op.group))
        };
        let params: Vec<String> = op
            .params()
            .iter()
            .map(|p| match p.ty.as_str() {
                "string" => format!("str(a, \"{}\")", p.name),
                "integer" => format!("std::stoll(field(a, \"{}\"))", p.name),
                "boolean" => format!("field(a, \"{}\") == \"true\"", p.name),
                _ => format!("field(a, \"{}\")", p.name),
            })
            .collect();
        let call = format!("{recv}.{}({})", super::cpp::ident(&op.method), params.join(", "));
        let (shape, json) = match op.result.as_str() {
            _ if op.forks => ("client", "got.auth_is_valid() ? std::string(\"null\") : std::string()"),
            "true" => ("true", "got ? std::string(\"true\") : std::string(\"false\")"),
            "integer" => ("integer", "std::to_string(got)"),
            "string" => ("string", "got.empty() ? std::string() : bosbase::detail::json_string(got)"),
            "list" => ("list", "got"),
            _ => ("json", "got"),
        };
        let status = expected_status(example).unwrap_or(0);
        let row = format!(
            "a = fill(R\"JSON({args})JSON\", r);\nrun(r, \"{}\", \"{shape}\", {status}, [&] {{\n    auto got = {call};\n    return {json};\n}});\n",
            op.name
        );
        body.push_str(&guarded("//", &op.name, example.4, &row, "    ", ["if (!real) {", "if (real) {"], Some("}")));
    }
    let listed = |server| -> String {
        not_here(server).iter().map(|(n, why)| format!("        {{\"{n}\", \"{why}\"}},\n")).collect()
    };
    format!(
        "{}\n// From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n{}",
        super::MARK_SLASH,
        CPP_TEMPLATE
            .replace("@ROWS@", &body)
            .replace("@NOT_HERE_DEV@", &listed(Server::Dev))
            .replace("@NOT_HERE_REAL@", &listed(Server::Real))
            .replace("@TOTAL@", &super::table().len().to_string())
    )
}

const CPP_TEMPLATE: &str = r##"// Every row of the operation table that the server it runs against (the dev server, or the
// real BosBase server when BOSBASE_SERVER_KIND=bosbase) can answer, once, in the order of the
// examples, through its generated C++ method; the typed result (or the expected HTTP error)
// is checked. The rows not called are listed with the reason. Needs BOSBASE_URL.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bosbase.hpp"

using Results = std::map<std::string, std::string>;

static int exercised, failed;

// The end of the JSON value that starts at `i` in `j`.
static std::size_t value_end(const std::string &j, std::size_t i) {
    int depth = 0;
    bool in_string = false;
    for (; i < j.size(); ++i) {
        char c = j[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') {
                in_string = false;
                if (depth == 0) return i + 1;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
            if (depth < 0) return i;
        } else if (depth == 0 && (c == ',' || c == ' ')) {
            return i;
        }
    }
    return i;
}

// The raw JSON of `key` in the object `j` (top level; "null" when absent).
static std::string field(const std::string &j, const std::string &key) {
    std::string quoted = bosbase::detail::json_string(key);
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < j.size(); ++i) {
        char c = j[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '{' || c == '[') ++depth;
        else if (c == '}' || c == ']') --depth;
        else if (c == '"') {
            if (depth == 1 && j.compare(i, quoted.size(), quoted) == 0 && j[i + quoted.size()] == ':') {
                std::size_t start = i + quoted.size() + 1;
                return j.substr(start, value_end(j, start) - start);
            }
            in_string = true;
        }
    }
    return "null";
}

static std::string str(const std::string &j, const std::string &key) {
    return bosbase::detail::json_unquote(field(j, key));
}

// The raw JSON of an earlier result (`op`) or of a part of it (`op.field.sub`).
static std::string lookup(const std::string &path, const Results &r) {
    std::string key;
    for (const auto &kv : r)
        if ((path == kv.first || path.rfind(kv.first + ".", 0) == 0) && kv.first.size() > key.size()) key = kv.first;
    if (key.empty()) {
        std::cerr << "no earlier result for ${" << path << "}\n";
        std::exit(1);
    }
    std::string v = r.at(key), rest = path.substr(key.size());
    while (!rest.empty()) {
        rest = rest.substr(1);
        std::size_t dot = rest.find('.');
        v = field(v, rest.substr(0, dot));
        rest = dot == std::string::npos ? "" : rest.substr(dot);
    }
    return v;
}

// The example's JSON with earlier results in place of "${...}" (a whole string: the raw
// value; inside a string: its text).
static std::string fill(std::string j, const Results &r) {
    std::size_t at;
    while ((at = j.find("${")) != std::string::npos) {
        std::size_t end = j.find('}', at);
        std::string value = lookup(j.substr(at + 2, end - at - 2), r);
        bool whole = at > 0 && j[at - 1] == '"' && j[end + 1] == '"';
        if (whole) {
            j.replace(at - 1, end - at + 3, value);
        } else {
            std::string text = value.size() > 1 && value[0] == '"' ? bosbase::detail::json_unquote(value) : value;
            j.replace(at, end - at + 1, text);
        }
    }
    return j;
}

static void run(Results &r, const std::string &op, const std::string &shape, int status,
                const std::function<std::string()> &call) {
    ++exercised;
    try {
        std::string got = call();
        if (status != 0) {
            ++failed;
            std::cerr << op << ": succeeded, want an http " << status << "\n";
            return;
        }
        bool ok = shape == "json"     ? (got == "null" || got.rfind("{", 0) == 0)
                  : shape == "list"   ? got.rfind("[", 0) == 0
                  : shape == "string" ? got.size() > 2
                  : shape == "true"   ? got == "true"
                  : shape == "client" ? got == "null"
                                      : !got.empty();
        if (!ok) {
            ++failed;
            std::cerr << op << ": " << got << " is not a " << shape << " result\n";
        }
        r[op] = got;
    } catch (const bosbase::Error &e) {
        if (status == 0 || e.status() != BOSBASE_STATUS_HTTP || field(e.json(), "status") != std::to_string(status)) {
            ++failed;
            std::cerr << op << ": " << e.what() << " (want " << (status ? "http " + std::to_string(status) : "success")
                      << ")\n";
        }
        r[op] = "null";
    }
}

int main() {
    const char *url = std::getenv("BOSBASE_URL");
    if (!url) {
        std::cerr << "BOSBASE_URL is not set\n";
        return 1;
    }
    // The real BosBase server (scripts/bosbase-server) or the dev server: their examples.
    const char *kind = std::getenv("BOSBASE_SERVER_KIND");
    const bool real = kind != nullptr && std::string(kind) == "bosbase";
    bosbase::Client admin(url), guest(url);
    admin.collection("_superusers").auth_with_password("admin@example.com", "admin-password");
    Results r;
    r["token"] = bosbase::detail::json_string(bosbase::generate_token());
    r["n"] = bosbase::detail::json_string(std::to_string(std::time(nullptr) % 100000000));
    std::string a;
@ROWS@
    const std::vector<std::pair<std::string, std::string>> not_here_dev = {
@NOT_HERE_DEV@    };
    const std::vector<std::pair<std::string, std::string>> not_here_real = {
@NOT_HERE_REAL@    };
    const auto &not_here = real ? not_here_real : not_here_dev;
    if (exercised + static_cast<int>(not_here.size()) != @TOTAL@) {
        ++failed;
        std::cerr << "every row is exercised or listed\n";
    }
    std::printf("smoke (C++): %d rows exercised against %s, %zu listed as not here, %d failed\n", exercised,
                real ? "the real BosBase server" : "the dev server", not_here.size(), failed);
    return failed == 0 ? 0 : 1;
}
"##;

/// `bindings/godot/tests/engine/smoke_gen.gd`: every example row of the server it runs against
/// once, in the engine, through the generated GDScript method (run by test_runner.gd).
pub fn gdscript() -> String {
    let mut body = String::new();
    for (op, example) in rows() {
        let args = Value::Object(arguments(&op, example));
        let client = example.1;
        let recv = if op.on_collection() {
            format!("{client}.collection(a[\"collection\"])")
        } else {
            format!("{client}.{}()", super::snake(&op.group))
        };
        let params: Vec<String> = op
            .params()
            .iter()
            .map(|p| match p.ty.as_str() {
                "integer" => format!("int(a[\"{}\"])", p.name),
                _ => format!("a[\"{}\"]", p.name),
            })
            .collect();
        let shape = if op.forks { "client" } else { op.result.as_str() };
        let status = expected_status(example).unwrap_or(0);
        // gdlint's limit is 100 columns, a tab counting 4: the row's statements are one tab
        // deeper inside the test of the server kind.
        let depth = if example.4 == On::Both { 1 } else { 2 };
        let t = |extra: usize| "\t".repeat(depth + extra);
        let fits = |line: &str| line.len() + 3 * line.chars().take_while(|c| *c == '\t').count() <= 100;
        let head = format!("{}got = await {recv}.{}(", t(0), super::gdscript::method_name(&op));
        let one = format!("{head}{})", params.join(", "));
        let call = if fits(&one) {
            one
        } else {
            format!("{head}\n{}{}\n{})", t(1), params.join(&format!(",\n{}", t(1))), t(0))
        };
        let text = args.to_string().replace('\\', "\\\\").replace('\'', "\\'");
        let parse = format!("{}a = _fill(JSON.parse_string('{text}'), r)", t(0));
        let parse = if fits(&parse) {
            parse
        } else {
            let mut chunks: Vec<String> = Vec::new();
            let mut rest = text.as_str();
            while !rest.is_empty() {
                // A chunk line: depth + 3 tabs, "+ '", the chunk, "'".
                let mut cut = rest.len().min(100 - 4 * (depth + 3) - 4);
                while !rest.is_char_boundary(cut) || rest[..cut].ends_with('\\') {
                    cut -= 1;
                }
                chunks.push(format!("'{}'", &rest[..cut]));
                rest = &rest[cut..];
            }
            format!(
                "{0}a = _fill(\n{1}JSON.parse_string(\n{2}(\n{3}{4}\n{2})\n{1}),\n{1}r\n{0})",
                t(0),
                t(1),
                t(2),
                t(3),
                chunks.join(&format!("\n{}+ ", t(3)))
            )
        };
        let store = format!("{}r[\"{}\"] = _check(\"{}\", got, \"{shape}\", {status})", t(0), op.name, op.name);
        let store = if fits(&store) {
            store
        } else {
            format!("{0}r[\"{1}\"] = _check(\n{2}\"{1}\", got, \"{shape}\", {status}\n{0})", t(0), op.name, t(1))
        };
        body.push_str(&format!("\n\t# {}\n", op.name));
        match example.4 {
            On::Both => {}
            On::Only(Server::Dev) => body.push_str("\tif not real_server:\n"),
            On::Only(Server::Real) => body.push_str("\tif real_server:\n"),
        }
        body.push_str(&format!("{parse}\n{call}\n{store}\n"));
    }
    // The names only (the reasons are in tools/generate/smoke.rs and the other smoke tests).
    let listed = |server| -> String { not_here(server).iter().map(|(n, _)| format!("\t\"{n}\",\n")).collect() };
    format!(
        "{}  # gdlint: disable=max-file-lines\n# From tools/generate/smoke.rs (the examples) and the operation table; `make generate`.\n{}",
        super::MARK_HASH,
        GD_TEMPLATE
            .replace("@ROWS@", &body)
            .replace("@NOT_HERE_DEV@", &listed(Server::Dev))
            .replace("@NOT_HERE_REAL@", &listed(Server::Real))
            .replace("@TOTAL@", &super::table().len().to_string())
    )
}

const GD_TEMPLATE: &str = r##"extends RefCounted
## Every row of the operation table that the server it runs against (the dev server, or the
## real BosBase server when BOSBASE_SERVER_KIND=bosbase) can answer, once, in the order of the
## examples, through its generated method, in the engine; the typed result (or the expected
## HTTP error) is checked. The rows not called are listed with the reason. Run by
## test_runner.gd, whose check() counts the results.

const BosBase = preload("res://addons/bosbase/bosbase.gd")

const NOT_HERE_DEV := [
@NOT_HERE_DEV@]

const NOT_HERE_REAL := [
@NOT_HERE_REAL@]

var runner = null  # test_runner.gd (a SceneTree): check(), url
var exercised := 0  # rows called (by _check)


func _init(test_runner: Variant) -> void:
	runner = test_runner


func run() -> void:
	# The real BosBase server (scripts/bosbase-server) or the dev server: their examples.
	var real_server := OS.get_environment("BOSBASE_SERVER_KIND") == "bosbase"
	var not_here: Array = NOT_HERE_REAL if real_server else NOT_HERE_DEV
	var admin = BosBase.new(runner.url)
	var guest = BosBase.new(runner.url)
	var login: Variant = await admin.collection("_superusers").auth_with_password(
		"admin@example.com", "admin-password"
	)
	runner.check(login is Dictionary, "smoke: superuser login")
	var r := {"token": admin.generate_token(), "n": str(Time.get_ticks_usec() % 100000000)}
	var a: Dictionary = {}
	var got: Variant = null
@ROWS@
	runner.check(exercised + not_here.size() == @TOTAL@, "smoke: every row exercised or listed")
	var server := "the real BosBase server" if real_server else "the dev server"
	print(
		(
			"smoke (GDScript): %d rows exercised against %s, %d listed as not here"
			% [exercised, server, not_here.size()]
		)
	)
	admin.close()
	guest.close()


## An earlier result ("${op}") or a part of it ("${op.field}"), or its text inside a string;
## integral numbers as int.
func _fill(value: Variant, r: Dictionary) -> Variant:
	if value is Dictionary:
		var out := {}
		for k in value:
			out[k] = _fill(value[k], r)
		return out
	if value is Array:
		return value.map(func(x): return _fill(x, r))
	# JSON.parse_string gives floats; the examples' numbers are integers.
	if value is float and value == floor(value):
		return int(value)
	if not value is String or not "${" in value:
		return value
	var text: String = value
	if text.begins_with("${") and text.ends_with("}") and text.count("${") == 1:
		return _lookup(text.substr(2, text.length() - 3), r)
	while "${" in text:
		var start := text.find("${")
		var end := text.find("}", start)
		var v: Variant = _lookup(text.substr(start + 2, end - start - 2), r)
		text = text.substr(0, start) + (v if v is String else JSON.stringify(v)) + text.substr(end + 1)
	return text


func _lookup(path: String, r: Dictionary) -> Variant:
	var key := ""
	for k in r:
		if (path == k or path.begins_with(k + ".")) and k.length() > key.length():
			key = k
	var v: Variant = r[key]
	for part in path.substr(key.length()).split(".", false):
		v = v[part]
	return v


func _check(op: String, got: Variant, shape: String, status: int) -> Variant:
	exercised += 1
	if status != 0:
		var refused: bool = got is ClientResponseError and got.kind == "http" and got.status == status
		runner.check(refused, "smoke: %s gives http %d (%s)" % [op, status, got])
		return null
	if got is ClientResponseError:
		runner.check(false, "smoke: %s: %s" % [op, got])
		return null
	var ok := false
	match shape:
		"json":
			ok = got is Dictionary or got == null
		"list":
			ok = got is Array
		"string":
			ok = got is String and got != ""
		"integer":
			# Godot's JSON gives floats; an integer row's method delivers an int.
			ok = got is int
		"true":
			ok = got is bool and got
		"client":
			ok = got != null and got.has_method("close")
			if ok:
				got.close()
			got = null
	runner.check(ok, "smoke: %s gives a %s result (%s)" % [op, shape, got])
	return got
"##;

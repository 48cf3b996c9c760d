//! Rows of BosBase's own REST services (PocketBase has none of them): vector search over
//! records, collection schemas and SQL tables, the pgvector document store (`vectors`),
//! LLM documents, caches, GraphQL, SQL, stored scripts and script permissions. Names follow
//! the BosBase JS SDK (`pb.vectors.search`, `pb.caches.setEntry`, …). Every route here
//! needs a superuser except `records.vectorSearch` (the collection's list rule applies) and
//! `langchaingo.*` but `langchaingo.sql` (any signed-in user).
//!
//! Rows whose service is not on a bare server (PostgreSQL + pgvector only) say so in their
//! doc: `scripts.execute*` (the separate Python functions service), `langchaingo.*` (an
//! OpenAI-compatible provider), `redis.*` (REDIS_URL).
//!
//! Groups other than `records` take their own `collection` (a vector or LLM-document
//! collection, not a record collection) as an ordinary first argument; only `records.*`
//! rows become record-service methods.
//!
//! Optional request fields that have no typed argument go in `options.body`; a typed
//! argument's default is always what the server does when the field is absent.

use super::ArgType::{self, Array, Boolean, Integer, Object};
use super::{Arg, Exec, Operation, Place, Shape, COLLECTION, ROW};

const NAME: Arg = Arg::path("name");
const ID: Arg = Arg::path("id");
const CACHE: Arg = Arg::path("cache");
const KEY: Arg = Arg::path("key");
const SCRIPT_NAME: Arg = Arg::path("scriptName");
const PAGE: Arg = Arg::query_int("page", "1");

/// A required object whose fields become the JSON body.
const fn fields(name: &'static str) -> Arg {
    Arg::new(name, Place::Fields, Object)
}

pub(super) const OPERATIONS: &[Operation] = &[
    // Records: k-nearest-neighbour search over a `vector` field.
    Operation {
        name: "records.vectorSearch",
        method: "POST",
        path: "/api/collections/{collection}/records/search",
        args: &[
            COLLECTION,
            Arg::body("field"),
            Arg::new("queryVector", Place::Body, Array),
            Arg::new("limit", Place::Body, Integer).or("20"),
            Arg::body("distance").or("\"\""),
            Arg::body("filter").or("\"\""),
        ],
        doc: "The records nearest to `queryVector` by the vector field `field` (pgvector; `limit` 1..200, `distance` `cosine|l2|inner_product|l1` or \"\" for the field's own, `filter` a record filter applied first); the collection's list rule applies. Returns a list page `{items, page, perPage, totalItems: -1, totalPages: -1}` whose items carry `_distance` and `_score` (options.body `includeDistance: false` leaves them out).",
        ..ROW
    },
    // Collections: schemas and SQL tables (superusers).
    Operation {
        name: "collections.getSchema",
        path: "/api/collections/{idOrName}/schema",
        args: &[Arg::path("idOrName")],
        doc: "A collection's simplified schema, `{name, type, fields: [{name, type, required, system, hidden}]}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.getAllSchemas",
        path: "/api/collections/schemas",
        doc: "Every collection's simplified schema, `{collections: [{name, type, fields}]}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.registerSqlTables",
        method: "POST",
        path: "/api/collections/sql/tables",
        args: &[Arg::new("tables", Place::Body, Array)],
        result: Shape::List,
        doc: "Turns existing SQL tables (`tables`: names) into collections with REST APIs, in one transaction; returns the collections created (tables that already have one are skipped; superusers only).",
        ..ROW
    },
    Operation {
        name: "collections.importSqlTables",
        method: "POST",
        path: "/api/collections/sql/import",
        args: &[Arg::new("tables", Place::Body, Array)],
        doc: "Runs each table's optional `sql` (e.g. CREATE TABLE) and registers it as a collection (`tables`: `[{name, sql}]`, one transaction); returns `{created: [collections], skipped: [names]}` (superusers only).",
        ..ROW
    },
    // Vectors: the pgvector document store (superusers).
    Operation {
        name: "vectors.listCollections",
        path: "/api/vectors/collections",
        result: Shape::List,
        doc: "Every vector collection, `[{id, name, dimension, distance, count}]` (superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.createCollection",
        method: "POST",
        path: "/api/vectors/collections/{name}",
        args: &[NAME, Arg::new("dimension", Place::Body, Integer).or("384"), Arg::body("distance").or("\"cosine\"")],
        result: Shape::True,
        doc: "Creates a vector collection of `dimension` and `distance` (`cosine|l2|inner_product|l1`; superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.updateCollection",
        method: "PATCH",
        path: "/api/vectors/collections/{name}",
        args: &[NAME, fields("config")],
        result: Shape::True,
        doc: "Changes a vector collection's `config` (`{distance, options}`; the dimension is fixed; superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.deleteCollection",
        method: "DELETE",
        path: "/api/vectors/collections/{name}",
        args: &[NAME],
        result: Shape::True,
        doc: "Deletes a vector collection and its documents (superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.insert",
        method: "POST",
        path: "/api/vectors/{collection}",
        args: &[COLLECTION, fields("document")],
        doc: "Inserts (or, with an existing `id`, replaces) a `document` `{id?, vector, metadata?, content?}`; returns `{id, success}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.batchInsert",
        method: "POST",
        path: "/api/vectors/{collection}/documents/batch",
        args: &[
            COLLECTION,
            Arg::new("documents", Place::Body, Array),
            Arg::new("skipDuplicates", Place::Body, Boolean).or("false"),
        ],
        doc: "Inserts `documents` one by one (`skipDuplicates` keeps existing ids); returns `{insertedCount, failedCount, ids, errors?}` — a failed document is reported there, not as an error (superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.get",
        path: "/api/vectors/{collection}/{id}",
        args: &[COLLECTION, ID],
        doc: "One vector document `{id, vector, metadata, content}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.list",
        path: "/api/vectors/{collection}",
        args: &[COLLECTION, PAGE, Arg::query_int("perPage", "100")],
        doc: "One page of vector documents, newest first: `{items, page, perPage, totalItems, totalPages}` (`perPage` at most 1000; superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.update",
        method: "PATCH",
        path: "/api/vectors/{collection}/{id}",
        args: &[COLLECTION, ID, fields("document")],
        doc: "Changes a vector document's `vector`, `metadata` and/or non-empty `content`; returns `{id, success}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.delete",
        method: "DELETE",
        path: "/api/vectors/{collection}/{id}",
        args: &[COLLECTION, ID],
        result: Shape::True,
        doc: "Deletes a vector document (also when there is none; superusers only).",
        ..ROW
    },
    Operation {
        name: "vectors.search",
        method: "POST",
        path: "/api/vectors/{collection}/documents/search",
        args: &[
            COLLECTION,
            Arg::new("queryVector", Place::Body, Array),
            Arg::new("limit", Place::Body, Integer).or("10"),
            Arg::new("filter", Place::Body, Object).or("{}"),
        ],
        doc: "The documents nearest to `queryVector` (`limit` 1..100; `filter`: metadata fields that must equal the given values; options.body `minScore`, `maxDistance`, `includeDistance`, `includeContent`); returns `{results: [{document, score, distance?}], queryTime}` (superusers only).",
        ..ROW
    },
    // LLM documents: a document store with client-supplied embeddings (superusers).
    Operation {
        name: "llmDocuments.listCollections",
        path: "/api/llm-documents/collections",
        result: Shape::List,
        doc: "Every LLM-document collection, `[{id, name, metadata, count}]` (superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.createCollection",
        method: "POST",
        path: "/api/llm-documents/collections/{name}",
        args: &[NAME, Arg::new("metadata", Place::Body, Object).or("{}")],
        doc: "Creates an LLM-document collection with string `metadata`; returns `{id, name}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.deleteCollection",
        method: "DELETE",
        path: "/api/llm-documents/collections/{name}",
        args: &[NAME],
        result: Shape::True,
        doc: "Deletes an LLM-document collection and its documents (superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.insert",
        method: "POST",
        path: "/api/llm-documents/{collection}",
        args: &[COLLECTION, fields("document")],
        doc: "Inserts a `document` `{id?, content, metadata?, embedding}`; returns `{id, success}`. Without an `embedding` the server computes one through its OpenAI-compatible provider (superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.get",
        path: "/api/llm-documents/{collection}/{id}",
        args: &[COLLECTION, ID],
        doc: "One LLM document `{id, content, metadata, embedding}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.list",
        path: "/api/llm-documents/{collection}",
        args: &[COLLECTION, PAGE, Arg::query_int("perPage", "50")],
        doc: "One page of LLM documents, by id: `{items, page, perPage, totalItems}` (`perPage` at most 500; superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.update",
        method: "PATCH",
        path: "/api/llm-documents/{collection}/{id}",
        args: &[COLLECTION, ID, fields("document")],
        doc: "Changes an LLM document's `content`, `metadata` and/or `embedding` (new `content` without an `embedding` needs the server's provider); returns `{success}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.delete",
        method: "DELETE",
        path: "/api/llm-documents/{collection}/{id}",
        args: &[COLLECTION, ID],
        result: Shape::True,
        doc: "Deletes an LLM document (superusers only).",
        ..ROW
    },
    Operation {
        name: "llmDocuments.query",
        method: "POST",
        path: "/api/llm-documents/{collection}/documents/query",
        args: &[COLLECTION, fields("payload")],
        doc: "The documents most similar to `payload` `{queryEmbedding | queryText, limit?, where?, negative?}` (`queryText` needs the server's provider); returns `{results: [{id, content, metadata, similarity}]}` (superusers only).",
        ..ROW
    },
    // Caches (superusers).
    Operation {
        name: "caches.list",
        path: "/api/cache",
        result: Shape::List,
        exec: Exec::Items,
        doc: "Every cache, `[{name, sizeBytes, defaultTTLSeconds, readTimeoutMs, created, updated, entryCount?, hitRate?, …}]` (superusers only).",
        ..ROW
    },
    Operation {
        name: "caches.create",
        method: "POST",
        path: "/api/cache",
        args: &[Arg::body("name"), Arg::new("config", Place::Fields, Object).or("{}")],
        doc: "Creates a cache `name` (3-64 of `A-Za-z0-9_-.`) with `config` `{sizeBytes?, defaultTTLSeconds?, readTimeoutMs?}`; returns its summary (superusers only).",
        ..ROW
    },
    Operation {
        name: "caches.update",
        method: "PATCH",
        path: "/api/cache/{name}",
        args: &[NAME, fields("config")],
        doc: "Changes a cache's `config` `{sizeBytes?, defaultTTLSeconds?, readTimeoutMs?}`; returns its summary (superusers only).",
        ..ROW
    },
    Operation {
        name: "caches.delete",
        method: "DELETE",
        path: "/api/cache/{name}",
        args: &[NAME],
        result: Shape::True,
        doc: "Deletes a cache and its entries (superusers only).",
        ..ROW
    },
    Operation {
        name: "caches.setEntry",
        method: "PUT",
        path: "/api/cache/{cache}/entries/{key}",
        args: &[CACHE, KEY, fields("entry")],
        doc: "Stores `entry` `{value, ttlSeconds?}` under `key` (`value`: any JSON; `ttlSeconds` 0 = no expiry, absent or negative = the cache's default; a missing cache is created); returns `{cache, key, value, source, expiresAt?}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "caches.getEntry",
        path: "/api/cache/{cache}/entries/{key}",
        args: &[CACHE, KEY],
        doc: "A cache entry `{cache, key, value, source: cache|database, expiresAt?}`; 404 once expired (superusers only).",
        ..ROW
    },
    Operation {
        name: "caches.renewEntry",
        method: "PATCH",
        path: "/api/cache/{cache}/entries/{key}",
        args: &[CACHE, KEY, Arg::new("ttlSeconds", Place::Body, Integer).or("-1").zero_is_value()],
        doc: "Restarts an entry's time to live with `ttlSeconds` (negative = the cache's default, 0 = no expiry) keeping its value; returns the entry (superusers only).",
        ..ROW
    },
    Operation {
        name: "caches.deleteEntry",
        method: "DELETE",
        path: "/api/cache/{cache}/entries/{key}",
        args: &[CACHE, KEY],
        result: Shape::True,
        doc: "Deletes a cache entry (superusers only).",
        ..ROW
    },
    // GraphQL and SQL (superusers).
    Operation {
        name: "graphql.query",
        method: "POST",
        path: "/api/graphql",
        args: &[
            Arg::body("query"),
            Arg::new("variables", Place::Body, Object).or("{}"),
            Arg::body("operationName").or("\"\""),
        ],
        doc: "Runs a GraphQL `query` (records, createRecord, updateRecord, deleteRecord) with `variables`; returns `{data, errors?}` — GraphQL errors arrive in `errors` with status 200 (superusers only).",
        ..ROW
    },
    Operation {
        name: "sql.execute",
        method: "POST",
        path: "/api/sql/execute",
        args: &[Arg::body("query")],
        doc: "Runs one SQL statement; returns `{columns?, rows?, rowsAffected?}` with every value as text (`NULL` for null; superusers only).",
        ..ROW
    },
    // Scripts (superusers).
    Operation {
        name: "scripts.create",
        method: "POST",
        path: "/api/scripts",
        args: &[Arg::body("name"), Arg::body("content"), Arg::body("description").or("\"\"")],
        doc: "Stores a script (version 1); returns `{id, name, content, description, version, created, updated}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "scripts.list",
        path: "/api/scripts",
        result: Shape::List,
        exec: Exec::Items,
        doc: "Every stored script, by name (superusers only).",
        ..ROW
    },
    Operation {
        name: "scripts.get",
        path: "/api/scripts/{name}",
        args: &[NAME],
        doc: "A stored script by name (superusers only).",
        ..ROW
    },
    Operation {
        name: "scripts.update",
        method: "PATCH",
        path: "/api/scripts/{name}",
        args: &[NAME, fields("changes")],
        doc: "Changes a script's `content` and/or `description` and increments its version; returns it (superusers only).",
        ..ROW
    },
    Operation {
        name: "scripts.delete",
        method: "DELETE",
        path: "/api/scripts/{name}",
        args: &[NAME],
        result: Shape::True,
        doc: "Deletes a stored script (superusers only).",
        ..ROW
    },
    Operation {
        name: "scripts.upload",
        method: "POST",
        path: "/api/scripts/upload",
        args: &[Arg::body("path").or("\"\"")],
        doc: "Writes the file part `file` to `path` (relative; \"\" = the part's filename) inside the server's EXECUTE_PATH, replacing it; returns `{output, path}` (superusers only).",
        files: true,
        ..ROW
    },
    Operation {
        name: "scripts.command",
        method: "POST",
        path: "/api/scripts/command",
        args: &[Arg::body("command"), Arg::new("async", Place::Body, Boolean).or("false")],
        doc: "Runs a shell command (bash) in the server's EXECUTE_PATH: returns `{output}`, or with `async` at once `{id, status}` for `commandStatus`; a failing command is a 500 error (superusers only).",
        ..ROW
    },
    Operation {
        name: "scripts.commandStatus",
        path: "/api/scripts/command/{id}",
        args: &[ID],
        doc: "An async command's job `{id, command, status: running|done|error, output?, error?, startedAt, finishedAt?}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "scripts.execute",
        method: "POST",
        path: "/api/scripts/{name}/execute",
        args: &[NAME, Arg::new("arguments", Place::Body, Array).or("[]"), Arg::body("function_name").or("\"\"")],
        doc: "Runs a stored script through the server's separate Python functions service (FUNCTION_URL; not tested here); returns `{output}`. Permission per script (scriptPermissions).",
        ..ROW
    },
    Operation {
        name: "scripts.executeAsync",
        method: "POST",
        path: "/api/scripts/async/{name}/execute",
        args: &[NAME, Arg::new("arguments", Place::Body, Array).or("[]"), Arg::body("function_name").or("\"\"")],
        doc: "Starts a stored script on the functions service (FUNCTION_URL; not tested here); returns `{id, status}` for `executeAsyncStatus`.",
        ..ROW
    },
    Operation {
        name: "scripts.executeAsyncStatus",
        path: "/api/scripts/async/{id}",
        args: &[ID],
        doc: "An async script execution's job (functions service; not tested here).",
        ..ROW
    },
    // WASM modules (wasmtime, in the server's EXECUTE_PATH). A server built without WASM
    // support answers 500 "Failed to get WASM manager."
    Operation {
        name: "scripts.wasm",
        method: "POST",
        path: "/api/scripts/wasm",
        args: &[Arg::body("wasm"), Arg::body("options").or("\"\""), Arg::body("params").or("\"\"")],
        doc: "Runs the WASM module `wasm` (a name under the server's EXECUTE_PATH) and waits for it: `options` selects the function (`--func=name`, `-f name`, a bare name or `--reactor`), `params` are space-separated arguments; returns `{output}`. Permission per module (scriptPermissions; superusers by default).",
        ..ROW
    },
    Operation {
        name: "scripts.wasmAsync",
        method: "POST",
        path: "/api/scripts/wasm/async",
        args: &[Arg::body("wasm"), Arg::body("options").or("\"\""), Arg::body("params").or("\"\"")],
        doc: "Starts the WASM module `wasm` like `scripts.wasm` and returns at once `{id, status}` for `wasmAsyncStatus`.",
        ..ROW
    },
    Operation {
        name: "scripts.wasmAsyncStatus",
        path: "/api/scripts/wasm/async/{id}",
        args: &[ID],
        doc: "Reads an async WASM job `{id, status: running|done|error, output?, error?, startedAt, finishedAt?}`; 404 for an unknown id.",
        ..ROW
    },
    // Script permissions (superusers).
    Operation {
        name: "scriptPermissions.create",
        method: "POST",
        path: "/api/script-permissions",
        args: &[fields("data")],
        doc: "Sets who may execute a script: `data` `{script_name, content: anonymous|user|superuser, script_id?}`; returns `{id, scriptId?, scriptName, content, version, created, updated}` (superusers only).",
        ..ROW
    },
    Operation {
        name: "scriptPermissions.get",
        path: "/api/script-permissions/{scriptName}",
        args: &[SCRIPT_NAME],
        doc: "A script's permission entry (superusers only).",
        ..ROW
    },
    Operation {
        name: "scriptPermissions.update",
        method: "PATCH",
        path: "/api/script-permissions/{scriptName}",
        args: &[SCRIPT_NAME, fields("data")],
        doc: "Changes a script's permission entry with `data` `{content?, script_name?, script_id?}`; returns it (superusers only).",
        ..ROW
    },
    Operation {
        name: "scriptPermissions.delete",
        method: "DELETE",
        path: "/api/script-permissions/{scriptName}",
        args: &[SCRIPT_NAME],
        result: Shape::True,
        doc: "Deletes a script's permission entry (superusers only).",
        ..ROW
    },
    // LangChainGo (signed-in users; sql: superusers): they need an OpenAI-compatible provider
    // configured on the server (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL; tested with
    // the stand-in tests/fixtures/openai-standin, launcher --openai, tests/bosbase_ai.rs).
    Operation {
        name: "langchaingo.completions",
        method: "POST",
        path: "/api/langchaingo/completions",
        args: &[fields("payload")],
        doc: "A chat completion from the server's LLM provider: `payload` `{prompt | messages: [{role, content}], model?: {provider?, model?, apiKey?, baseUrl?}, temperature?, maxTokens?, stop?, json?}`; returns `{content, stopReason?, generationInfo?, functionCall?, toolCalls?}`. The server accepts `topP` and `candidateCount` but does not pass them on (provider needed).",
        ..ROW
    },
    Operation {
        name: "langchaingo.rag",
        method: "POST",
        path: "/api/langchaingo/rag",
        args: &[fields("payload")],
        doc: "Answers `payload.question` from an LLM-document `collection` (`topK?` default 4, max 20; `scoreThreshold?`; `filters?` `{where?, whereDocument?}`; `promptTemplate?` a Go template over `.context` and `.question`; `returnSources?`); returns `{answer, sources?: [{content, metadata?, score}]}` (provider needed).",
        ..ROW
    },
    Operation {
        name: "langchaingo.queryDocuments",
        method: "POST",
        path: "/api/langchaingo/documents/query",
        args: &[fields("payload")],
        doc: "Answers `payload.query` from an LLM-document `collection` (otherwise as `rag`; provider needed).",
        ..ROW
    },
    Operation {
        name: "langchaingo.sql",
        method: "POST",
        path: "/api/langchaingo/sql",
        args: &[fields("payload")],
        doc: "Turns `payload.query` (natural language, over `tables?`, default every collection; `topK?` the row cap, default 10, max 100) into SQL, runs it and answers: `{sql, answer, columns?, rows?, rawResult?}`. The prompt sent to the provider holds the tables' columns and up to 5 sample rows each (superusers only; provider needed).",
        ..ROW
    },
    // Redis keys (superusers): the routes exist only when the server has REDIS_URL
    // (tests/bosbase_redis.rs, launcher --redis).
    Operation {
        name: "redis.listKeys",
        path: "/api/redis/keys",
        args: &[Arg::new("cursor", Place::Query, ArgType::String).or("\"0\""), Arg::new("pattern", Place::Query, ArgType::String).or("\"\"")],
        doc: "One SCAN step over the keys (`pattern` a glob; options.query `count`); returns `{cursor, items: [{key}]}` — continue with the answer's cursor until it is \"0\" (REDIS_URL needed).",
        ..ROW
    },
    Operation {
        name: "redis.createKey",
        method: "POST",
        path: "/api/redis/keys",
        args: &[fields("entry")],
        doc: "Creates a key that does not exist yet (409 otherwise): `entry` `{key, value, ttlSeconds?}` (`value` any JSON); returns `{key, value, ttlSeconds?}`, `ttlSeconds` only while the key has a TTL (REDIS_URL needed).",
        ..ROW
    },
    Operation {
        name: "redis.getKey",
        path: "/api/redis/keys/{key}",
        args: &[KEY],
        doc: "A key's `{key, value, ttlSeconds?}` (404 when absent; REDIS_URL needed).",
        ..ROW
    },
    Operation {
        name: "redis.updateKey",
        method: "PUT",
        path: "/api/redis/keys/{key}",
        args: &[KEY, fields("entry")],
        doc: "Replaces an existing key's value (404 when absent): `entry` `{value, ttlSeconds?}` (no `ttlSeconds` keeps the TTL, 0 removes it); returns `{key, value, ttlSeconds?}` (REDIS_URL needed).",
        ..ROW
    },
    Operation {
        name: "redis.deleteKey",
        method: "DELETE",
        path: "/api/redis/keys/{key}",
        args: &[KEY],
        result: Shape::True,
        doc: "Deletes a key (404 when absent; REDIS_URL needed).",
        ..ROW
    },
];

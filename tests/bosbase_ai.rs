//! BosBase's provider-backed services through the generated typed services, against the REAL
//! BosBase server whose external OpenAI-compatible provider is the deterministic stand-in
//! `tests/fixtures/openai-standin/server.py`:
//! `scripts/bosbase-server --demo --openai -- cargo test --test bosbase_ai` (run by
//! `make test-bosbase`). The stand-in replaces the provider, never BosBase: every ranking,
//! prompt, SQL execution and answer shape checked here is BosBase's own work.
//!
//! - content-only LLM documents (`pb.llm_documents()` without `embedding`, `queryText`): the
//!   server embeds through the provider (`POST /v1/embeddings`, model text-embedding-3-small);
//!   the stand-in's vectors are a hashed bag of words, so the nearest document is known;
//! - `pb.langchaingo()`: `completions` (the stand-in echoes the chat request it received as
//!   JSON), `rag` and `queryDocuments` (retrieval by BosBase, then the echoed prompt shows
//!   which documents reached the model), `sql` (the stand-in writes a SELECT from the schema
//!   in BosBase's prompt; BosBase runs it and returns the rows).
//!
//! Run without `BOSBASE_URL`, against a server without BosBase's routes, or against one started
//! without `--openai`, every test FAILS with a message saying which: never a silent pass.
//! Real-server only: every test is `#[ignore]`d with that reason, so a plain `cargo test` (against
//! the dev server) lists them as ignored; `make test-bosbase` runs them with `--include-ignored`.

mod common;

use std::collections::HashMap;

use bosbase::{BosBase, Error, ErrorKind, SendOptions};
use common::{ADMIN, USER};
use serde_json::{json, Value};

fn opts() -> SendOptions {
    SendOptions::default()
}

/// The model the launcher's `--openai` configures (OPENAI_MODEL).
const MODEL: &str = "standin-chat";
/// The stand-in's embedding dimension (see tests/fixtures/openai-standin/server.py).
const DIMENSION: usize = 7;
const RAG_SYSTEM: &str = "You are a knowledgeable assistant that only answers using the supplied context.";

fn url() -> String {
    std::env::var("BOSBASE_URL").unwrap_or_else(|_| {
        panic!(
            "BOSBASE_URL is not set: this suite needs the real BosBase server with the OpenAI stand-in; run \
             `make test-bosbase` or `scripts/bosbase-server --demo --openai -- cargo test --test bosbase_ai`"
        )
    })
}

/// A superuser client on a real server whose provider is the stand-in; fails clearly otherwise.
fn admin() -> BosBase {
    let url = url();
    let pb = BosBase::new(&url);
    pb.collection("_superusers")
        .auth_with_password(ADMIN.0, ADMIN.1, HashMap::new(), HashMap::new(), None)
        .wait()
        .unwrap_or_else(|e| panic!("superuser sign-in at {url} failed: {e}"));
    match pb.langchaingo().completions(json!({"prompt": "ping"}), opts()).wait() {
        Ok(answer) => assert!(
            serde_json::from_str::<Value>(answer["content"].as_str().unwrap_or("")).is_ok_and(|e| e["model"] == MODEL),
            "the server's provider is not the OpenAI stand-in (answer {answer}); start it with `scripts/bosbase-server --openai`"
        ),
        Err(e) if e.status() == 404 => panic!(
            "POST {url}/api/langchaingo/completions is 404: the server has no BosBase-only routes (is it the PocketBase \
             dev server?); this suite needs the real BosBase server"
        ),
        Err(e) => panic!(
            "POST {url}/api/langchaingo/completions failed ({e}): the server has no working provider; start it with \
             `scripts/bosbase-server --openai`"
        ),
    }
    pb
}

fn user() -> BosBase {
    let pb = BosBase::new(&url());
    pb.collection("users").auth_with_password(USER.0, USER.1, HashMap::new(), HashMap::new(), None).wait().unwrap();
    pb
}

/// A fresh lowercase name (also a valid SQL identifier), so tests sharing a server never collide.
fn uniq(prefix: &str) -> String {
    let random: String =
        common::token().chars().filter(char::is_ascii_alphanumeric).take(10).collect::<String>().to_lowercase();
    format!("{prefix}_{random}")
}

/// The error of a call that must fail with an HTTP `status` and `message`.
fn http_error(result: bosbase::Result<Value>, status: u16, message: &str) -> Error {
    let err = result.expect_err("the call should fail");
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, status), "{err}");
    assert_eq!(err.response()["message"], message, "{err}");
    err
}

/// The chat request the stand-in received, from the JSON text it answered with.
fn echoed(text: &Value) -> Value {
    serde_json::from_str(text.as_str().expect("a text answer")).unwrap_or_else(|e| panic!("not an echo ({e}): {text}"))
}

/// The `user` message the model saw.
fn user_prompt(echo: &Value) -> String {
    let messages = echo["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{echo}");
    assert_eq!(messages[0], json!({"role": "system", "content": RAG_SYSTEM}));
    assert_eq!(messages[1]["role"], "user");
    messages[1]["content"].as_str().unwrap().to_owned()
}

const PARIS: &str = "The capital of France is Paris.";
const BANANA: &str = "Bananas are a yellow fruit.";
const RUST: &str = "Rust is a systems programming language.";

/// An LLM-document collection with three content-only documents (embedded by the provider).
fn documents(pb: &BosBase) -> String {
    let name = uniq("aidocs");
    let llm = pb.llm_documents();
    llm.create_collection(&name, json!({}), opts()).wait().unwrap();
    for (id, content, topic) in [("paris", PARIS, "geo"), ("banana", BANANA, "food"), ("rust", RUST, "code")] {
        let doc = json!({"id": id, "content": content, "metadata": {"topic": topic}});
        assert_eq!(llm.insert(&name, doc, opts()).wait().unwrap(), json!({"id": id, "success": true}));
    }
    name
}

fn norm(v: &Value) -> f64 {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap().powi(2)).sum::<f64>().sqrt()
}

// ---------------------------------------------------------------- content-only LLM documents

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn content_only_llm_documents_are_embedded_by_the_provider_and_queried_by_text() {
    let pb = admin();
    let llm = pb.llm_documents();
    let name = documents(&pb);

    let paris = llm.get(&name, "paris", opts()).wait().unwrap();
    assert_eq!((paris["content"].as_str(), &paris["metadata"]), (Some(PARIS), &json!({"topic": "geo"})));
    let embedding = &paris["embedding"];
    assert_eq!(embedding.as_array().unwrap().len(), DIMENSION, "the provider's vector: {paris}");
    assert!((norm(embedding) - 1.0).abs() < 1e-4, "normalised: {embedding}");

    // queryText is embedded the same way: the nearest document is the one sharing the words.
    for (text, want) in
        [("capital france paris", "paris"), ("yellow bananas", "banana"), ("systems programming language rust", "rust")]
    {
        let found = llm.query(&name, json!({"queryText": text, "limit": 1}), opts()).wait().unwrap();
        let results = found["results"].as_array().unwrap();
        assert_eq!((results.len(), results[0]["id"].as_str()), (1, Some(want)), "{text}: {found}");
    }
    // The same words (case and punctuation aside) give the same vector: similarity 1.
    let found =
        llm.query(&name, json!({"queryText": "the CAPITAL of france, is paris", "limit": 3}), opts()).wait().unwrap();
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["id"], "paris");
    assert!((results[0]["similarity"].as_f64().unwrap() - 1.0).abs() < 1e-4, "{found}");
    assert!(results[1]["similarity"].as_f64().unwrap() < 0.9, "{found}");
    // `where` filters by metadata before ranking.
    let found = llm
        .query(&name, json!({"queryText": "capital france paris", "where": {"topic": "code"}}), opts())
        .wait()
        .unwrap();
    let ids: Vec<_> = found["results"].as_array().unwrap().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, [json!("rust")]);

    // New content without an embedding is embedded again: now "rust" holds the banana text.
    assert_eq!(llm.update(&name, "rust", json!({"content": BANANA}), opts()).wait().unwrap(), json!({"success": true}));
    let (rust, banana) =
        (llm.get(&name, "rust", opts()).wait().unwrap(), llm.get(&name, "banana", opts()).wait().unwrap());
    assert_eq!(rust["embedding"], banana["embedding"], "the same text, the same vector");
    assert_ne!(rust["embedding"], paris["embedding"]);
    let found =
        llm.query(&name, json!({"queryText": "systems programming language", "limit": 1}), opts()).wait().unwrap();
    assert_eq!(found["results"][0]["id"], "paris", "the old text is gone (rust was nearest before): {found}");

    http_error(
        llm.insert(&name, json!({"metadata": {"topic": "none"}}), opts()).wait(),
        400,
        "Either content or embedding is required.",
    );
    llm.delete_collection(&name, opts()).wait().unwrap();
}

// ---------------------------------------------------------------- completions

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn completions_send_the_prompt_messages_and_options_to_the_provider() {
    let pb = admin();
    let lc = pb.langchaingo();

    let payload = json!({"prompt": "  hello there  ", "temperature": 0.5, "maxTokens": 33, "stop": ["END"]});
    let answer = lc.completions(payload, opts()).wait().unwrap();
    assert_eq!(answer["stopReason"], "stop");
    let echo = echoed(&answer["content"]);
    assert_eq!(
        echo["messages"],
        json!([{"role": "user", "content": "hello there"}]),
        "the prompt, trimmed, as a user message"
    );
    assert_eq!(echo["model"], MODEL, "OPENAI_MODEL");
    assert_eq!(
        (&echo["temperature"], &echo["max_completion_tokens"], &echo["stop"]),
        (&json!(0.5), &json!(33), &json!(["END"]))
    );
    assert_eq!(echo["response_format"], Value::Null);

    // Messages keep their order; roles map to system/assistant/user (unknown ones to user);
    // `model.model` overrides the model; `json` asks for a JSON object.
    let payload = json!({
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
            {"role": "ai", "content": "hello"},
            {"role": "Human", "content": "again"},
            {"role": "narrator", "content": "meanwhile"},
        ],
        "model": {"model": "other-model"},
        "json": true,
    });
    let echo = echoed(&lc.completions(payload, opts()).wait().unwrap()["content"]);
    assert_eq!(
        echo["messages"],
        json!([
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {"role": "user", "content": "again"},
            {"role": "user", "content": "meanwhile"},
        ])
    );
    assert_eq!((&echo["model"], &echo["response_format"]), (&json!("other-model"), &json!({"type": "json_object"})));

    // Any signed-in user may call it.
    let echo =
        echoed(&user().langchaingo().completions(json!({"prompt": "from a user"}), opts()).wait().unwrap()["content"]);
    assert_eq!(echo["messages"][0]["content"], "from a user");
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn completions_errors_are_typed() {
    let pb = admin();
    let lc = pb.langchaingo();
    http_error(lc.completions(json!({}), opts()).wait(), 400, "Prompt or messages is required.");
    http_error(lc.completions(json!({"prompt": "   "}), opts()).wait(), 400, "Prompt or messages is required.");
    http_error(
        lc.completions(json!({"messages": [{"role": "user", "content": " "}]}), opts()).wait(),
        400,
        "Message content cannot be empty.",
    );
    http_error(
        lc.completions(json!({"prompt": "x", "model": {"provider": "nope"}}), opts()).wait(),
        400,
        "Unsupported provider \"nope\".",
    );
    // The provider fails (the stand-in answers 500): the server says so as its own 500.
    http_error(lc.completions(json!({"prompt": "standin:fail"}), opts()).wait(), 500, "Failed to generate completion.");
    // The provider refuses a wrong key (401): a 500 as well.
    http_error(
        lc.completions(json!({"prompt": "x", "model": {"apiKey": "wrong-key"}}), opts()).wait(),
        500,
        "Failed to generate completion.",
    );
    let guest = BosBase::new(&url());
    http_error(
        guest.langchaingo().completions(json!({"prompt": "x"}), opts()).wait(),
        401,
        "The request requires valid record authorization token.",
    );
}

// ---------------------------------------------------------------- rag and documents/query

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn rag_answers_from_the_nearest_documents() {
    let pb = admin();
    let lc = pb.langchaingo();
    let name = documents(&pb);

    let payload = json!({"collection": name, "question": "capital france paris", "topK": 1, "returnSources": true});
    let answer = lc.rag(payload, opts()).wait().unwrap();
    let sources = answer["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{answer}");
    assert_eq!((sources[0]["content"].as_str(), &sources[0]["metadata"]), (Some(PARIS), &json!({"topic": "geo"})));
    let score = sources[0]["score"].as_f64().unwrap();
    assert!(score > 0.8 && score < 1.0, "{answer}");
    let echo = echoed(&answer["answer"]);
    assert_eq!(echo["model"], MODEL);
    let prompt = user_prompt(&echo);
    assert!(
        prompt.contains(&format!("Context:\nSource 1 (score {score:.3}):\nMetadata:\n- topic: geo\n{PARIS}")),
        "{prompt}"
    );
    assert!(prompt.ends_with("Question: capital france paris\n\nAnswer:"), "{prompt}");
    assert!(!prompt.contains(BANANA) && !prompt.contains(RUST), "only the nearest document: {prompt}");

    // topK 3: every document, nearest first; without returnSources there are none.
    let payload = json!({"collection": name, "question": "yellow bananas", "topK": 3, "returnSources": true});
    let answer = lc.rag(payload, opts()).wait().unwrap();
    let contents: Vec<_> =
        answer["sources"].as_array().unwrap().iter().map(|s| s["content"].as_str().unwrap()).collect();
    assert_eq!(contents.len(), 3);
    assert_eq!(contents[0], BANANA);
    let prompt = user_prompt(&echoed(&answer["answer"]));
    assert!(prompt.find(BANANA).unwrap() < prompt.find(PARIS).unwrap(), "{prompt}");
    let answer = lc.rag(json!({"collection": name, "question": "yellow bananas", "topK": 1}), opts()).wait().unwrap();
    assert!(answer.get("sources").is_none(), "{answer}");
    assert!(user_prompt(&echoed(&answer["answer"])).contains(BANANA));

    // scoreThreshold drops weak matches: nothing left, and the prompt says so.
    let payload =
        json!({"collection": name, "question": "yellow bananas", "scoreThreshold": 0.99, "returnSources": true});
    let answer = lc.rag(payload, opts()).wait().unwrap();
    assert!(answer.get("sources").is_none_or(|s| s == &json!([])), "{answer}");
    assert!(user_prompt(&echoed(&answer["answer"])).contains("Context:\nNo relevant documents were retrieved."));

    // filters.where restricts by metadata before ranking.
    let payload = json!({"collection": name, "question": "capital france paris", "filters": {"where": {"topic": "food"}}, "returnSources": true});
    let answer = lc.rag(payload, opts()).wait().unwrap();
    let contents: Vec<_> =
        answer["sources"].as_array().unwrap().iter().map(|s| s["content"].as_str().unwrap()).collect();
    assert_eq!(contents, [BANANA]);

    // A custom prompt template (Go text/template with .context and .question).
    let payload = json!({"collection": name, "question": "yellow bananas", "topK": 1, "promptTemplate": "Q={{.question}}|C={{.context}}"});
    let prompt = user_prompt(&echoed(&lc.rag(payload, opts()).wait().unwrap()["answer"]));
    assert!(prompt.starts_with("Q=yellow bananas|C=Source 1 (score") && prompt.ends_with(BANANA), "{prompt}");

    http_error(
        lc.rag(json!({"collection": name, "question": "x", "promptTemplate": "{{.x"}), opts()).wait(),
        400,
        "Invalid prompt template.",
    );
    http_error(
        lc.rag(json!({"collection": uniq("none"), "question": "x"}), opts()).wait(),
        404,
        "Collection not found.",
    );
    http_error(lc.rag(json!({"collection": name, "question": " "}), opts()).wait(), 400, "Question is required.");
    http_error(lc.rag(json!({"question": "x"}), opts()).wait(), 400, "Collection is required.");
    let guest = BosBase::new(&url());
    http_error(
        guest.langchaingo().rag(json!({"collection": name, "question": "x"}), opts()).wait(),
        401,
        "The request requires valid record authorization token.",
    );
    pb.llm_documents().delete_collection(&name, opts()).wait().unwrap();
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn query_documents_is_rag_over_query() {
    let pb = admin();
    let lc = pb.langchaingo();
    let name = documents(&pb);

    let payload =
        json!({"collection": name, "query": "systems programming language rust", "topK": 1, "returnSources": true});
    let answer = lc.query_documents(payload, opts()).wait().unwrap();
    let sources = answer["sources"].as_array().unwrap();
    assert_eq!((sources.len(), sources[0]["content"].as_str()), (1, Some(RUST)), "{answer}");
    let prompt = user_prompt(&echoed(&answer["answer"]));
    assert!(prompt.contains(RUST) && !prompt.contains(PARIS) && !prompt.contains(BANANA), "{prompt}");
    assert!(prompt.ends_with("Question: systems programming language rust\n\nAnswer:"), "{prompt}");

    // An empty collection: no retrieval, the prompt says so.
    let empty = uniq("aiempty");
    pb.llm_documents().create_collection(&empty, json!({}), opts()).wait().unwrap();
    let answer = lc.query_documents(json!({"collection": empty, "query": "anything"}), opts()).wait().unwrap();
    assert!(user_prompt(&echoed(&answer["answer"])).contains("No relevant documents were retrieved."));

    http_error(lc.query_documents(json!({"collection": name}), opts()).wait(), 400, "Query is required.");
    http_error(
        lc.query_documents(json!({"collection": uniq("none"), "query": "x"}), opts()).wait(),
        404,
        "Collection not found.",
    );
    let guest = BosBase::new(&url());
    http_error(
        guest.langchaingo().query_documents(json!({"collection": name, "query": "x"}), opts()).wait(),
        401,
        "The request requires valid record authorization token.",
    );
    for c in [&name, &empty] {
        pb.llm_documents().delete_collection(c, opts()).wait().unwrap();
    }
}

// ---------------------------------------------------------------- sql

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn sql_runs_the_generated_statement_and_returns_its_rows() {
    let pb = admin();
    let lc = pb.langchaingo();
    let table = uniq("fruit");
    pb.collections()
        .create(
            json!({"name": table, "type": "base", "fields": [{"name": "name", "type": "text"}, {"name": "qty", "type": "number"}]}),
            opts(),
        )
        .wait()
        .unwrap();
    for (name, qty) in [("banana", json!(5)), ("apple", json!(3)), ("cherry", json!(12.5))] {
        pb.collection(&table).create(json!({"name": name, "qty": qty}), opts()).wait().unwrap();
    }

    // The stand-in only knows the tables and columns BosBase's prompt lists, and the row cap
    // (`topK`) it states; BosBase runs the statement and returns the rows as text.
    let payload = json!({"query": format!("name and qty of {table}"), "tables": [table], "topK": 2});
    let answer = lc.sql(payload, opts()).wait().unwrap();
    assert_eq!(answer["sql"], format!(r#"SELECT "name", "qty" FROM "{table}" ORDER BY "name" LIMIT 2"#));
    assert_eq!(answer["answer"], format!("name, qty of {table}"));
    assert_eq!(answer["columns"], json!(["name", "qty"]));
    assert_eq!(answer["rows"], json!([["apple", "3"], ["banana", "5"]]));
    assert_eq!(answer["rawResult"], "completed with 2 returned row(s)");

    // The default cap is 10 rows; numbers sort as numbers (the column is numeric).
    let answer = lc.sql(json!({"query": format!("qty of {table}"), "tables": [table]}), opts()).wait().unwrap();
    assert_eq!(answer["sql"], format!(r#"SELECT "qty" FROM "{table}" ORDER BY "qty" LIMIT 10"#));
    assert_eq!(answer["rows"], json!([["3"], ["5"], ["12.5"]]));

    http_error(
        lc.sql(json!({"query": "x", "tables": ["no_such_table"]}), opts()).wait(),
        400,
        "Table \"no_such_table\" not found.",
    );
    http_error(lc.sql(json!({"query": " ", "tables": [table]}), opts()).wait(), 400, "Query is required.");
    // The model's answer has no SQL (the stand-in finds no column named): a 500 that says so.
    http_error(
        lc.sql(json!({"query": format!("everything in {table}"), "tables": [table]}), opts()).wait(),
        500,
        "Failed to parse the generated SQL.",
    );
    // Superusers only: a signed-in user gets 401 (not 403), as does a guest.
    http_error(
        user().langchaingo().sql(json!({"query": format!("qty of {table}"), "tables": [table]}), opts()).wait(),
        401,
        "The request requires a superuser auth record.",
    );
    http_error(
        BosBase::new(&url()).langchaingo().sql(json!({"query": "x"}), opts()).wait(),
        401,
        "The request requires valid record authorization token.",
    );
    pb.collections().delete(&table, opts()).wait().unwrap();
}

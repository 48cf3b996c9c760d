//! The executor: checks a call's arguments against its row, builds the request(s), runs
//! them through the client, applies the row's auth-store effect and shapes the result.
//! Errors name arguments, never their values.

use serde_json::{json, Map, Value};

use super::{full_list, ArgType, Effect, Exec, Operation, Place, Shape};
use crate::call::Ticket;
use crate::{jwt, url, BosBase, Error, ErrorKind, Result, SendOptions};

/// A call's arguments after checking: the request parts and the values the executor reads.
#[cfg_attr(test, derive(Debug))] // values are secrets: no Debug outside tests
struct Parts {
    path: String,
    body: Map<String, Value>,
    local: Map<String, Value>,
    /// Every argument's value, for the effects (`id`, `collection`, `token`).
    values: Map<String, Value>,
}

/// Runs `op` with named `args` and the caller's `options`.
pub(crate) fn run(
    client: &BosBase,
    op: &Operation,
    args: Map<String, Value>,
    mut options: SendOptions,
    ticket: &Ticket,
) -> Result<Value> {
    let parts = check_args(op, args, &mut options)?;
    if !options.files.is_empty() && !op.files {
        return Err(Error::invalid_argument(format!("{}: takes no file parts", op.name)));
    }
    let url_of = |path: &str| format!("{}{path}", client.base_url());
    match op.exec {
        Exec::Url => {
            let options = options.merged(op.method, Map::new())?;
            Ok(Value::String(url::build(client.base_url(), &parts.path, &options.query)))
        }
        Exec::FileUrl => Ok(Value::String(file_url(client, &parts.local)?)),
        Exec::FullList => {
            let batch = batch(op, &parts)?;
            full_list::values(client, &parts.path, batch, options.merged(op.method, Map::new())?, ticket)
        }
        Exec::FirstListItem => {
            let mut options = options.merged(op.method, Map::new())?;
            options.query.insert("filter".to_owned(), parts.local["filter"].clone());
            options.query.insert("page".to_owned(), json!(1));
            options.query.insert("perPage".to_owned(), json!(1));
            options.query.insert("skipTotal".to_owned(), json!(1));
            let page = client.execute(&parts.path, options)?;
            match page.get("items").and_then(|items| items.get(0)) {
                Some(first) => Ok(first.clone()),
                None => Err(Error::from_response(
                    &url_of(&parts.path),
                    404,
                    r#"{"status":404,"message":"The requested resource wasn't found.","data":{}}"#,
                )),
            }
        }
        Exec::Publish => {
            let topic = parts.local["topic"].as_str().unwrap_or_default();
            let default = client.pubsub_state().default_deadline();
            let deadline = options.timeout_ms.map(std::time::Duration::from_millis);
            let url = url_of("/api/pubsub");
            let deadline = crate::call::charge_queue_wait(deadline, default, &url)?.unwrap_or(default);
            let data = parts.local.get("data").cloned().unwrap_or(Value::Null);
            client.pubsub_state().publish(client, topic, data, deadline)
        }
        Exec::Batch => {
            let requests = batch_requests(op, &parts.local["requests"])?;
            let body = Map::from_iter([("requests".to_owned(), requests)]);
            let answer = client.execute(&parts.path, options.merged(op.method, body)?)?;
            shape(op, answer, &url_of(&parts.path))
        }
        Exec::Request | Exec::TokenField | Exec::Count | Exec::Items => {
            let answer = client.execute(&parts.path, options.merged(op.method, parts.body)?)?;
            let url = url_of(&parts.path);
            apply_effect(client, op, &parts.values, &answer, ticket, &url)?;
            let answer = match op.exec {
                Exec::TokenField => field(answer, "token", &url)?,
                Exec::Count => field(answer, "count", &url)?,
                Exec::Items => field(answer, "items", &url)?,
                _ => answer,
            };
            shape(op, answer, &url)
        }
    }
}

/// Checks every argument's presence and type and sorts it into the request.
fn check_args(op: &Operation, mut args: Map<String, Value>, options: &mut SendOptions) -> Result<Parts> {
    if let Some(unknown) = args.keys().find(|k| !op.args.iter().any(|a| a.name == k.as_str())) {
        return Err(Error::invalid_argument(format!("{}: unknown argument `{unknown}`", op.name)));
    }
    let mut parts = Parts { path: op.path.to_owned(), body: Map::new(), local: Map::new(), values: Map::new() };
    let mut named = Map::new();
    for a in op.args {
        let value = match args.remove(a.name) {
            Some(Value::Null) | None => match a.default {
                Some(d) => serde_json::from_str(d).map_err(|_| Error::panic())?,
                None => return Err(Error::invalid_argument(format!("{}: missing argument `{}`", op.name, a.name))),
            },
            Some(v) => v,
        };
        let ok = match a.ty {
            ArgType::String => value.as_str().is_some_and(|s| a.place != Place::Path || !s.is_empty()),
            ArgType::Integer => value.is_i64() || value.is_u64(),
            ArgType::Boolean => value.is_boolean(),
            ArgType::Object => value.is_object(),
            ArgType::Array => value.is_array(),
            ArgType::Any => true,
        };
        if !ok {
            let want = match (a.ty, a.place) {
                (ArgType::String, Place::Path) => "a non-empty string",
                (ArgType::String, _) => "a string",
                (ArgType::Integer, _) => "an integer",
                (ArgType::Boolean, _) => "true or false",
                (ArgType::Object, _) => "a JSON object",
                (ArgType::Array, _) => "a JSON array",
                (ArgType::Any, _) => "JSON",
            };
            return Err(Error::invalid_argument(format!("{}: argument `{}` must be {want}", op.name, a.name)));
        }
        parts.values.insert(a.name.to_owned(), value.clone());
        match a.place {
            Place::Path => {
                parts.path = parts.path.replace(&format!("{{{}}}", a.name), &url::segment(value.as_str().unwrap_or("")))
            }
            Place::Query => {
                options.query.insert(a.name.to_owned(), value);
            }
            Place::Body => {
                named.insert(a.name.to_owned(), value);
            }
            Place::Fields => {
                if let Value::Object(fields) = value {
                    parts.body.extend(fields);
                }
            }
            Place::Local => {
                parts.local.insert(a.name.to_owned(), value);
            }
        }
    }
    // Named body arguments win over the record data, which wins over `options.body`.
    parts.body.extend(named);
    Ok(parts)
}

/// `getFullList`'s batch size, checked.
fn batch(op: &Operation, parts: &Parts) -> Result<usize> {
    match parts.local["batch"].as_u64() {
        Some(batch @ 1..=1000) => Ok(batch as usize),
        _ => Err(Error::invalid_argument(format!("{}: argument `batch` must be 1..=1000", op.name))),
    }
}

/// [`run`] with the result as JSON text, for the C ABI: a full list's text is written as
/// its pages arrive (see `full_list.rs`), never built as values first.
pub(crate) fn run_text(
    client: &BosBase,
    op: &Operation,
    args: Map<String, Value>,
    mut options: SendOptions,
    ticket: &Ticket,
) -> Result<String> {
    if op.exec != Exec::FullList || !options.files.is_empty() {
        return run(client, op, args, options, ticket).map(|v| v.to_string());
    }
    let parts = check_args(op, args, &mut options)?;
    let batch = batch(op, &parts)?;
    full_list::text(client, &parts.path, batch, options.merged(op.method, Map::new())?, ticket)
}

/// `/api/files/{collection}/{id}/{filename}?thumb=&download=1&token=`; "" when the record
/// has no id or the filename is empty (as the JS SDK).
fn file_url(client: &BosBase, local: &Map<String, Value>) -> Result<String> {
    let record = &local["record"];
    let filename = local["filename"].as_str().unwrap_or("");
    let text = |key: &str| record.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(id), Some(collection)) = (text("id"), text("collectionId").or_else(|| text("collectionName"))) else {
        return Ok(String::new());
    };
    if filename.is_empty() {
        return Ok(String::new());
    }
    let path = format!("/api/files/{}/{}/{}", url::segment(collection), url::segment(id), url::segment(filename));
    let mut query = Map::new();
    for key in ["thumb", "token"] {
        if let Some(v) = local[key].as_str().filter(|s| !s.is_empty()) {
            query.insert(key.to_owned(), json!(v));
        }
    }
    if local["download"] == Value::Bool(true) {
        query.insert("download".to_owned(), json!(1));
    }
    Ok(url::build(client.base_url(), &path, &query))
}

/// PocketBase's batch body from `{action, collection, id, data, query}` items: the client,
/// not the caller, knows each action's method and record URL.
fn batch_requests(op: &Operation, requests: &Value) -> Result<Value> {
    let items = requests.as_array().map(Vec::as_slice).unwrap_or_default();
    let bad = |i: usize, what: &str| Error::invalid_argument(format!("{}: requests[{i}] {what}", op.name));
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else { return Err(bad(i, "must be an object")) };
        if let Some(k) = item.keys().find(|k| !["action", "collection", "id", "data", "query"].contains(&k.as_str())) {
            return Err(bad(i, &format!("has an unknown field `{k}`")));
        }
        let text = |key: &str| item.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
        let collection = text("collection").ok_or_else(|| bad(i, "needs a non-empty `collection`"))?;
        let records = format!("/api/collections/{}/records", url::segment(collection));
        let one = |id: Option<&str>| -> Result<String> {
            let id = id.ok_or_else(|| bad(i, "needs a non-empty `id`"))?;
            Ok(format!("{records}/{}", url::segment(id)))
        };
        let (method, path) = match text("action") {
            Some("create") => ("POST", records.clone()),
            Some("upsert") => ("PUT", records.clone()),
            Some("update") => ("PATCH", one(text("id"))?),
            Some("delete") => ("DELETE", one(text("id"))?),
            _ => return Err(bad(i, "needs `action`: create, update, upsert or delete")),
        };
        let query = match item.get("query") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(q)) => q.clone(),
            Some(_) => return Err(bad(i, "`query` must be an object")),
        };
        let body = match item.get("data") {
            None | Some(Value::Null) => json!({}),
            Some(v @ Value::Object(_)) => v.clone(),
            Some(_) => return Err(bad(i, "`data` must be an object")),
        };
        let mut request = json!({"method": method, "url": url::build("", &path, &query)});
        if method != "DELETE" {
            request["body"] = body;
        }
        out.push(request);
    }
    if out.is_empty() {
        return Err(Error::invalid_argument(format!("{}: `requests` is empty", op.name)));
    }
    Ok(Value::Array(out))
}

/// The answer's `key` field (a token, a count).
fn field(answer: Value, key: &str, url: &str) -> Result<Value> {
    match answer {
        Value::Object(mut m) if m.contains_key(key) => Ok(m.remove(key).unwrap_or(Value::Null)),
        _ => Err(Error::new(ErrorKind::Json, url, format!("answer without `{key}`"))),
    }
}

/// Checks the answer against the row's result shape.
fn shape(op: &Operation, answer: Value, url: &str) -> Result<Value> {
    let ok = match op.result {
        Shape::True => return Ok(Value::Bool(true)),
        Shape::Json => answer.is_object() || answer.is_null(),
        Shape::List => answer.is_array(),
        Shape::Text => answer.is_string(),
        Shape::Integer => answer.is_i64() || answer.is_u64(),
    };
    if !ok {
        return Err(Error::new(ErrorKind::Json, url, "the answer does not have the operation's result type"));
    }
    Ok(answer)
}

/// True when `record` is the stored auth record: same id, and `collection` names its
/// collection (by id or name).
fn is_stored(stored: &Value, id: &str, collection: &str) -> bool {
    let text = |key: &str| stored.get(key).and_then(Value::as_str).unwrap_or("");
    !id.is_empty() && text("id") == id && (text("collectionId") == collection || text("collectionName") == collection)
}

/// Applies the row's auth-store effect. A cancel that came first wins: nothing is saved.
fn apply_effect(
    client: &BosBase,
    op: &Operation,
    values: &Map<String, Value>,
    answer: &Value,
    ticket: &Ticket,
    url: &str,
) -> Result<()> {
    let cancelled = || Error::new(ErrorKind::Cancelled, url, "the call was cancelled");
    let store = client.auth_store();
    let value = |key: &str| values.get(key).and_then(Value::as_str).unwrap_or("");
    match op.effect {
        Effect::None => {}
        Effect::SaveAuth => {
            let (Some(token), Some(record @ Value::Object(_))) =
                (answer.get("token").and_then(Value::as_str), answer.get("record"))
            else {
                return Err(Error::new(ErrorKind::Json, url, "auth response without `token` and `record`"));
            };
            // A server (or something in between) must not plant a token that breaks every
            // later request and would send the pub/sub upgrade without its Authorization.
            if crate::auth_store::check_token(token).is_err() {
                return Err(Error::new(ErrorKind::Json, url, "auth response with control characters in its `token`"));
            }
            if !ticket.commit() {
                return Err(cancelled());
            }
            store.save(token, record.clone())?;
        }
        Effect::SyncAuthRecord => {
            let id = answer.get("id").and_then(Value::as_str).unwrap_or("");
            let collection = answer.get("collectionId").and_then(Value::as_str).unwrap_or("");
            if is_stored(&store.record(), id, collection) {
                if !ticket.commit() {
                    return Err(cancelled());
                }
                // Keep fields the answer may leave out (e.g. `fields` narrowed it).
                let mut record = store.record();
                if let (Value::Object(r), Value::Object(a)) = (&mut record, answer) {
                    r.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                store.save(&store.token(), record)?;
            }
        }
        Effect::ClearAuthRecord => {
            if is_stored(&store.record(), value("id"), value("collection")) {
                if !ticket.commit() {
                    return Err(cancelled());
                }
                store.clear();
            }
        }
        Effect::MarkVerified | Effect::ClearOnEmailChange => {
            let claims = jwt::claims(value("token")).unwrap_or(Value::Null);
            let claim = |key: &str| claims.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
            let record = store.record();
            if !is_stored(&record, &claim("id"), &claim("collectionId")) {
                return Ok(());
            }
            if !ticket.commit() {
                return Err(cancelled());
            }
            if op.effect == Effect::ClearOnEmailChange {
                store.clear();
            } else if record.get("verified") != Some(&Value::Bool(true)) {
                let mut record = record;
                record["verified"] = Value::Bool(true);
                store.save(&store.token(), record)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str) -> &'static Operation {
        super::super::find(name).unwrap()
    }

    #[test]
    fn batch_items_become_pocketbase_requests() {
        let got = batch_requests(
            op("batch.send"),
            &json!([
                {"action": "create", "collection": "posts", "data": {"title": "a"}},
                {"action": "update", "collection": "posts", "id": "x/1", "data": {"title": "b"}, "query": {"expand": "author"}},
                {"action": "upsert", "collection": "posts", "data": {"id": "y", "title": "c"}},
                {"action": "delete", "collection": "po sts", "id": ".."},
            ]),
        )
        .unwrap();
        assert_eq!(
            got,
            json!([
                {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "a"}},
                {"method": "PATCH", "url": "/api/collections/posts/records/x%2F1?expand=author", "body": {"title": "b"}},
                {"method": "PUT", "url": "/api/collections/posts/records", "body": {"id": "y", "title": "c"}},
                {"method": "DELETE", "url": "/api/collections/po%20sts/records/%2E%2E"},
            ])
        );
    }

    #[test]
    fn bad_batch_items_are_named_by_index() {
        for (bad, says) in [
            (json!([]), "empty"),
            (json!([1]), "requests[0] must be an object"),
            (json!([{"action": "create"}]), "collection"),
            (json!([{"action": "update", "collection": "c"}]), "`id`"),
            (json!([{"action": "drop", "collection": "c"}]), "action"),
            (json!([{"action": "create", "collection": "c", "data": [1]}]), "`data`"),
            (json!([{"action": "create", "collection": "c", "secret": "hunter2"}]), "unknown field `secret`"),
        ] {
            let err = batch_requests(op("batch.send"), &bad).unwrap_err();
            assert!(err.message().contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn arguments_are_typed_and_sorted_into_the_request() {
        let mut options = SendOptions::default();
        let args = json!({"collection": "posts", "id": "a b", "data": {"title": "x", "id": "ignored?"}});
        let parts = check_args(op("records.update"), args.as_object().unwrap().clone(), &mut options).unwrap();
        assert_eq!(parts.path, "/api/collections/posts/records/a%20b");
        assert_eq!(parts.body, json!({"title": "x", "id": "ignored?"}).as_object().unwrap().clone());
        let bad = json!({"collection": "posts", "id": "1", "data": "x"});
        let err = check_args(op("records.update"), bad.as_object().unwrap().clone(), &mut options).unwrap_err();
        assert!(err.message().contains("`data` must be a JSON object"), "{err}");
        let bad = json!({"requests": {"not": "an array"}});
        let err = check_args(op("batch.send"), bad.as_object().unwrap().clone(), &mut options).unwrap_err();
        assert!(err.message().contains("array"), "{err}");
    }

    #[test]
    fn answers_of_the_wrong_shape_are_json_errors() {
        assert!(shape(op("records.getFullList"), json!({"items": []}), "u").is_err());
        assert!(shape(op("records.getOne"), json!([1]), "u").is_err());
        assert_eq!(shape(op("records.delete"), Value::Null, "u").unwrap(), json!(true));
        assert_eq!(field(json!({"count": 3}), "count", "u").unwrap(), json!(3));
        assert!(field(json!({}), "token", "u").is_err());
    }

    #[test]
    fn the_stored_record_is_matched_by_id_and_collection() {
        let stored = json!({"id": "u1", "collectionId": "c1", "collectionName": "users"});
        assert!(is_stored(&stored, "u1", "c1") && is_stored(&stored, "u1", "users"));
        assert!(!is_stored(&stored, "u1", "posts") && !is_stored(&stored, "u2", "users"));
        assert!(!is_stored(&Value::Null, "", ""));
    }
}

//! What a caller may set on one request: method, JSON body, query and headers.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{Error, FilePart, Progress, Result, Retries};

/// Options of [`BosBase::send`](crate::BosBase::send), of every operation, and of the C
/// ABI's `options_json` (`{"method": "POST", "body": {}, "query": {}, "headers": {},
/// "expand": "…", "fields": "…", "filter": "…", "sort": "…", "skipTotal": true,
/// "mfaId": "…", "timeoutMs": 5000, "retries": 2, "idempotent": true}`; every field optional). File parts are set in code
/// ([`SendOptions::file`]) or through the C ABI's `BosbaseFiles`, never in JSON.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SendOptions {
    /// HTTP method. Defaults to `GET`.
    #[serde(default)]
    pub method: Option<String>,
    /// JSON body. Defaults to none.
    #[serde(default)]
    pub body: Option<Value>,
    /// Query parameters; see the crate docs for how values are encoded.
    #[serde(default)]
    pub query: Map<String, Value>,
    /// Extra headers. A caller-set `Authorization` wins over the auth store.
    #[serde(default)]
    pub headers: HashMap<String, String>,
    /// `expand` query parameter, for calls that return records.
    #[serde(default)]
    pub expand: Option<String>,
    /// `fields` query parameter, for calls that return records.
    #[serde(default)]
    pub fields: Option<String>,
    /// `filter` query parameter for list calls (build it with [`filter`](crate::filter())).
    #[serde(default)]
    pub filter: Option<String>,
    /// `sort` query parameter for list calls (`-created,title`).
    #[serde(default)]
    pub sort: Option<String>,
    /// `skipTotal` query parameter: list pages without counting the total (faster).
    #[serde(default, rename = "skipTotal")]
    pub skip_total: Option<bool>,
    /// File parts: with any, the body is sent as `multipart/form-data`.
    #[serde(skip)]
    pub files: Vec<FilePart>,
    /// Upload progress of the file parts' request body (see [`Progress`]); set in code
    /// ([`SendOptions::on_progress`]) or on the C ABI's `BosbaseFiles`, never in JSON.
    #[serde(skip)]
    pub progress: Option<Progress>,
    /// MFA session id from an `mfa_required` error, to finish a login.
    #[serde(default, rename = "mfaId")]
    pub mfa_id: Option<String>,
    /// Deadline for this call in milliseconds, replacing the client's (connect, send and
    /// receive all count). Defaults to the client's timeout.
    #[serde(default, rename = "timeoutMs")]
    pub timeout_ms: Option<u64>,
    /// Retries of this call, replacing the client's ([`ClientBuilder::retries`](crate::ClientBuilder::retries)).
    /// Only `GET`/`HEAD` calls, and calls marked [`idempotent`](Self::idempotent), are ever
    /// retried. Defaults to the client's (off unless set there).
    #[serde(default)]
    pub retries: Option<Retries>,
    /// Marks a call with another method as safe to send twice, so it may be retried too
    /// (e.g. a `PUT` of a whole record, or a `POST` the server de-duplicates). Defaults to
    /// false: only `GET` and `HEAD` are retried.
    #[serde(default)]
    pub idempotent: Option<bool>,
}

/// Headers that frame the message: set by the transport from the actual body and
/// connection, never by a caller (a wrong one desynchronises or hangs the connection).
const FRAMING_HEADERS: [&str; 9] =
    ["host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "expect"];

/// True for an RFC 9110 token (a valid header name).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Refuses a header (or header-like setting) whose value holds a control character;
/// the message names `field`, never the value.
pub(crate) fn check_header_value(field: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format!("{field} must not contain control characters")));
    }
    Ok(())
}

/// Parses caller JSON into `T`. Errors say where and what was wrong, never echo a value
/// (serde's messages quote the offending input, which may be a password or token).
/// The top level must be an object (serde would also accept an array for a struct).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> Result<T> {
    let value: Value = serde_json::from_str(json).map_err(|e| {
        Error::invalid_argument(format!("{what}: malformed JSON (line {}, column {})", e.line(), e.column()))
    })?;
    if !value.is_object() {
        return Err(Error::invalid_argument(format!("{what}: must be a JSON object")));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        match inner.strip_prefix("unknown field ") {
            // Names the caller's key (a field name, not a value) and the accepted ones.
            Some(rest) => Error::invalid_argument(format!("{what}: unknown field {rest}")),
            None => Error::invalid_argument(format!("{what}: `{path}` has the wrong type or value")),
        }
    })
}

/// Shows names only: bodies carry passwords and tokens, headers carry auth tokens.
impl std::fmt::Debug for SendOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body_keys: Option<Vec<&String>> = match &self.body {
            Some(Value::Object(m)) => Some(m.keys().collect()),
            _ => None,
        };
        f.debug_struct("SendOptions")
            .field("method", &self.method)
            .field("body_keys", &body_keys)
            .field("query_keys", &self.query.keys().collect::<Vec<_>>())
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .field("expand", &self.expand)
            .field("fields", &self.fields)
            .field("filter", &self.filter.as_ref().map(|_| "<set>"))
            .field("sort", &self.sort)
            .field("skip_total", &self.skip_total)
            .field("files", &self.files)
            .field("progress", &self.progress.is_some())
            .field("mfa_id", &self.mfa_id.as_ref().map(|_| "<set>"))
            .field("timeout_ms", &self.timeout_ms)
            .field("retries", &self.retries)
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

impl SendOptions {
    /// Options for a request with the given method.
    pub fn new(method: &str) -> Self {
        SendOptions { method: Some(method.to_owned()), ..Default::default() }
    }

    /// Sets the JSON body. Defaults to none.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// Adds one query parameter.
    pub fn query(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.query.insert(key.to_owned(), value.into());
        self
    }

    /// Adds one header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Adds a file part (the call then sends `multipart/form-data`).
    pub fn file(mut self, part: FilePart) -> Self {
        self.files.push(part);
        self
    }

    /// Sets this call's retries, replacing the client's.
    pub fn retries(mut self, retries: Retries) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Marks the call as safe to send twice, so it may be retried whatever its method.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Reports the upload's progress (a call with file parts) to `f(done, total)`.
    pub fn on_progress(mut self, f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Progress::new(f));
        self
    }

    /// Parses `options_json` as the C ABI receives it; `""` means no options.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        parse_json(json, "options JSON")
    }

    pub(crate) fn method(&self) -> Result<&'static str> {
        const METHODS: [&str; 7] = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"];
        let wanted = self.method.as_deref().unwrap_or("GET");
        METHODS
            .iter()
            .find(|m| m.eq_ignore_ascii_case(wanted))
            .copied()
            .ok_or_else(|| Error::invalid_argument(format!("unsupported HTTP method {wanted:?}")))
    }

    /// Merges a typed call's fields into the caller's body, and expand/fields into the query.
    /// Typed fields win: a caller cannot accidentally override `email` through `body`.
    pub(crate) fn merged(mut self, method: &str, fields: Map<String, Value>) -> Result<Self> {
        self.method = Some(method.to_owned());
        let mut body = match self.body.take() {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(Error::invalid_argument("options body must be a JSON object")),
        };
        body.extend(fields);
        if let Some(id) = self.mfa_id.take() {
            body.insert("mfaId".to_owned(), Value::String(id));
        }
        self.body = Some(Value::Object(body));
        if let Some(expand) = self.expand.take() {
            self.query.insert("expand".to_owned(), Value::String(expand));
        }
        if let Some(fields) = self.fields.take() {
            self.query.insert("fields".to_owned(), Value::String(fields));
        }
        if let Some(filter) = self.filter.take() {
            self.query.insert("filter".to_owned(), Value::String(filter));
        }
        if let Some(sort) = self.sort.take() {
            self.query.insert("sort".to_owned(), Value::String(sort));
        }
        if let Some(skip) = self.skip_total.take() {
            self.query.insert("skipTotal".to_owned(), Value::Bool(skip));
        }
        Ok(self)
    }

    /// Refuses what would make the request other than the caller meant: header names that
    /// are not tokens, values with control characters (CR/LF/NUL would split the request,
    /// others are refused by the HTTP stack later), framing headers, and a zero timeout.
    /// Messages name the header, never its value.
    pub(crate) fn check(&self) -> Result<()> {
        for (name, value) in &self.headers {
            if !is_token(name) {
                return Err(Error::invalid_argument("a header name is empty or not a valid HTTP token"));
            }
            if FRAMING_HEADERS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
                return Err(Error::invalid_argument(format!(
                    "header `{name}` is set by the transport and may not be set by the caller"
                )));
            }
            check_header_value(&format!("header `{name}`"), value)?;
        }
        if self.timeout_ms == Some(0) {
            return Err(Error::invalid_argument("timeoutMs must be at least 1"));
        }
        if let Some(r) = &self.retries {
            r.check()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_options_json() {
        let o = SendOptions::from_json(r#"{"method":"post","body":{"a":1},"query":{"q":"x"},"headers":{"X":"y"}}"#)
            .unwrap();
        assert_eq!(o.method().unwrap(), "POST");
        assert_eq!(o.body, Some(json!({"a": 1})));
        assert_eq!(SendOptions::from_json("").unwrap(), SendOptions::default());
        assert!(SendOptions::from_json("{").is_err());
        assert!(SendOptions::from_json(r#"{"bdy":{}}"#).is_err(), "typos are reported");
        assert!(SendOptions::new("BREW").method().is_err());
    }

    #[test]
    fn typed_fields_win_and_mfa_joins_body() {
        let mut o = SendOptions::new("GET").body(json!({"email": "evil", "extra": 1}));
        o.mfa_id = Some("m1".into());
        o.expand = Some("rel".into());
        let mut typed = Map::new();
        typed.insert("email".into(), json!("a@b"));
        let m = o.merged("POST", typed).unwrap();
        assert_eq!(m.body, Some(json!({"email": "a@b", "extra": 1, "mfaId": "m1"})));
        assert_eq!(m.query["expand"], "rel");
        assert!(SendOptions::new("GET").body(json!([1])).merged("POST", Map::new()).is_err());
    }

    #[test]
    fn debug_shows_names_not_secrets() {
        let o = SendOptions::new("POST").body(json!({"password": "hunter2"})).header("Authorization", "tok-123");
        let text = format!("{o:?}");
        assert!(text.contains("password") && text.contains("Authorization"));
        assert!(!text.contains("hunter2") && !text.contains("tok-123"), "{text}");
    }

    #[test]
    fn control_characters_and_framing_headers_rejected() {
        assert!(SendOptions::new("GET").header("X", "a").check().is_ok());
        for (name, value) in
            [("X", "a\r\nB: c"), ("X\n", "a"), ("X", "a\u{1}"), ("X", "\u{7f}"), ("", "a"), ("A B", "v")]
        {
            assert!(SendOptions::new("GET").header(name, value).check().is_err(), "{name:?}");
        }
        for name in ["Host", "content-length", "Transfer-Encoding", "CONNECTION"] {
            let err = SendOptions::new("GET").header(name, "1").check().unwrap_err();
            assert!(err.message().contains(name), "{err}");
        }
        let err = SendOptions::new("GET").header("X-Secret", "tok\u{1}en").check().unwrap_err();
        assert!(!err.to_string().contains("tok"), "{err}");
    }

    #[test]
    fn parse_errors_never_echo_values() {
        let err = SendOptions::from_json(r#"{"query":"token=hunter2"}"#).unwrap_err();
        assert!(err.message().contains("query") && !err.message().contains("hunter2"), "{err}");
        let err = SendOptions::from_json(r#"{"headers":{"A":1234567}}"#).unwrap_err();
        assert!(!err.message().contains("1234567"), "{err}");
        assert!(SendOptions::from_json("[]").unwrap_err().message().contains("object"));
        assert_eq!(SendOptions::from_json(r#"{"timeoutMs":250}"#).unwrap().timeout_ms, Some(250));
    }
}

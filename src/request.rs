//! What a caller may set on one request: method, JSON body, query and headers.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// Options of [`BosBase::send`](crate::BosBase::send) and of the C ABI's `options_json`
/// (`{"method": "POST", "body": {}, "query": {}, "headers": {}}`; every field optional).
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
    /// MFA session id from an `mfa_required` error, to finish a login.
    #[serde(default, rename = "mfaId")]
    pub mfa_id: Option<String>,
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
            .field("mfa_id", &self.mfa_id.as_ref().map(|_| "<set>"))
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

    /// Parses `options_json` as the C ABI receives it; `""` means no options.
    pub fn from_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(json).map_err(|e| Error::invalid_argument(format!("options JSON: {e}")))
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
        Ok(self)
    }

    /// Rejects header names/values that could split the request (CR, LF, NUL).
    pub(crate) fn check_headers(&self) -> Result<()> {
        for (name, value) in &self.headers {
            let bad = |s: &str| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
            if name.is_empty() || bad(name) || bad(value) {
                return Err(Error::invalid_argument("header names and values must not contain CR, LF or NUL"));
            }
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
    fn crlf_headers_rejected() {
        assert!(SendOptions::new("GET").header("X", "a\r\nB: c").check_headers().is_err());
        assert!(SendOptions::new("GET").header("X\n", "a").check_headers().is_err());
        assert!(SendOptions::new("GET").header("X", "a").check_headers().is_ok());
    }
}

//! The one error type every call returns, mirroring BosBase's `ClientResponseError`.

use std::fmt;

use serde_json::{json, Map, Value};

/// What went wrong, machine-readable. Each kind has a stable string form
/// (`kind` in error JSON) and a stable C status code (see `ffi::status`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller passed something unusable (NULL, invalid UTF-8, bad JSON, CR/LF in a header).
    InvalidArgument,
    /// The server answered with a non-2xx status.
    Http,
    /// The server answered 401 with an `mfaId`: finish with a second auth method.
    MfaRequired,
    /// No HTTP response: connection refused, DNS failure, reset.
    Network,
    /// The request did not finish within the configured timeout.
    Timeout,
    /// The server answered 2xx but the body was not the JSON we expected.
    Json,
    /// The client was closed (`BosBase::close`); no request was sent.
    Closed,
    /// The TLS handshake or certificate verification failed (unknown issuer,
    /// name mismatch, expired…); no HTTP response arrived.
    Tls,
    /// The call was cancelled before it finished; it had no effect on the auth store.
    Cancelled,
    /// A bug: a panic was caught at the library boundary.
    Panic,
    /// A download was larger than its `maxBytes` cap; nothing was kept (`status` is the
    /// answer's).
    TooLarge,
    /// The OAuth2 provider refused the sign-in, or its redirect carried no code
    /// (`auth_with_oauth2`); the message names the provider's error. The auth store is unchanged.
    OAuth2,
}

impl ErrorKind {
    /// The stable string used as `kind` in error JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Http => "http",
            ErrorKind::MfaRequired => "mfa_required",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Json => "json",
            ErrorKind::Closed => "closed",
            ErrorKind::Tls => "tls",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Panic => "panic",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::OAuth2 => "oauth2",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed call: BosBase's `ClientResponseError` plus a [`ErrorKind`].
///
/// Nothing the caller sent (passwords, custom tokens, auth tokens, query
/// strings, URL userinfo, option values) is copied into an error, so `Display`
/// and `Debug` are safe to log.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    url: String,
    status: u16,
    response: Value,
    is_abort: bool,
    message: String,
    /// Attempts made to send the request (retries included); 0 when none was.
    attempts: u32,
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: ErrorKind, url: &str, message: impl Into<String>) -> Self {
        Error {
            kind,
            url: redact_url(url),
            status: 0,
            response: Value::Object(Map::new()),
            is_abort: matches!(kind, ErrorKind::Timeout | ErrorKind::Cancelled),
            message: message.into(),
            attempts: 0,
        }
    }

    /// An `invalid_argument` error with the given message.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, "", message)
    }

    pub(crate) fn closed() -> Self {
        Error::new(ErrorKind::Closed, "", "the client is closed")
    }

    /// The same error for an answer that did arrive with `status` (kept so a caller never
    /// mistakes it for "no response" and retries a request the server already handled).
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same error with `context` before its message (where a transfer stopped, …).
    pub(crate) fn in_context(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The same error, made after `attempts` requests (see [`Error::attempts`]).
    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    pub(crate) fn panic() -> Self {
        Error::new(ErrorKind::Panic, "", "internal error: a panic was caught at the library boundary")
    }

    /// Builds the error for a non-2xx answer. The body is kept as the server sent it
    /// (validation `data` intact); a body that is not JSON becomes `{}`.
    pub(crate) fn from_response(url: &str, status: u16, body: &str) -> Self {
        let response = match serde_json::from_str::<Value>(body) {
            Ok(v @ Value::Object(_)) => v,
            _ => Value::Object(Map::new()),
        };
        let is_mfa = status == 401 && response.get("mfaId").and_then(Value::as_str).is_some();
        let kind = if is_mfa { ErrorKind::MfaRequired } else { ErrorKind::Http };
        let message = match response.get("message").and_then(Value::as_str) {
            Some(m) if !m.is_empty() => m.to_owned(),
            _ if is_mfa => "Multi-factor authentication required.".to_owned(),
            _ => format!("The server answered with status {status}."),
        };
        Error { status, response, ..Error::new(kind, url, message) }
    }

    pub(crate) fn from_transport(url: &str, err: ureq::Error) -> Self {
        match err {
            ureq::Error::Timeout(t) => Error::new(ErrorKind::Timeout, url, format!("request timed out ({t})")),
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                Error::new(ErrorKind::InvalidArgument, url, "invalid request URL or header")
            }
            // A file part that could not be sent as announced (see `files::FileBody`): the
            // caller's input, reported at once, not as a network fault to retry.
            ureq::Error::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<crate::files::PartFailed>()) => {
                Error::new(ErrorKind::InvalidArgument, url, e.get_ref().map(ToString::to_string).unwrap_or_default())
            }
            // A failure the transport typed itself (proxy, name lookup) keeps its kind.
            ureq::Error::Io(e) => match (crate::net::Failure::carried(&e), crate::tls::failure(&e)) {
                (Some(ours), _) => ours.clone().into_error(url),
                (None, Some(tls)) => Error::new(ErrorKind::Tls, url, tls),
                (None, None) => Error::new(ErrorKind::Network, url, format!("network error: {e}")),
            },
            ureq::Error::Tls(what) => Error::new(ErrorKind::Tls, url, format!("TLS failed: {what}")),
            other => Error::new(ErrorKind::Network, url, format!("network error: {other}")),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The request URL without query, fragment or userinfo, at most 256 bytes
    /// (empty when no request was made).
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The HTTP status, or 0 when there was no HTTP response.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The server's JSON error body (`status`, `message`, `data`), or `{}`.
    pub fn response(&self) -> &Value {
        &self.response
    }
    /// True when the request was aborted (timed out) rather than answered.
    pub fn is_abort(&self) -> bool {
        self.is_abort
    }
    /// A short human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// How many attempts the call made to send its request (1 without retries; more when it
    /// was retried, see [`Retries`](crate::Retries)); 0 when it failed before trying (a bad
    /// argument, a closed client, a deadline spent in the queue). For a full list, the
    /// failing page's.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// The MFA session id when [`ErrorKind::MfaRequired`]; pass it to the second auth call.
    pub fn mfa_id(&self) -> Option<&str> {
        match self.kind {
            ErrorKind::MfaRequired => self.response.get("mfaId").and_then(Value::as_str),
            _ => None,
        }
    }

    /// The error as the JSON object the C ABI returns.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "kind": self.kind.as_str(),
            "url": self.url,
            "status": self.status,
            "response": self.response,
            "isAbort": self.is_abort,
            "message": self.message,
        });
        if let Some(id) = self.mfa_id() {
            v["mfaId"] = Value::String(id.to_owned());
        }
        if self.attempts > 0 {
            v["attempts"] = json!(self.attempts);
        }
        v
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error", self.kind)?;
        if self.status != 0 {
            write!(f, " (status {})", self.status)?;
        }
        write!(f, ": {}", self.message)?;
        if !self.url.is_empty() {
            write!(f, " [{}]", self.url)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Longest `url` an error carries, in bytes, `…` included; longer ones are cut on a
/// character boundary and end in `…` (they are for humans and logs). The header promises it.
const MAX_URL: usize = 256;

/// Query strings may carry caller data (filters, tokens) and userinfo carries passwords:
/// errors keep scheme, host, port and path only.
fn redact_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let mut out = match scheme.is_empty() {
        true => format!("{host}{path}"),
        false => format!("{scheme}://{host}{path}"),
    };
    truncate(&mut out, MAX_URL);
    out
}

/// Cuts `text` to at most `max` bytes, the `…` that marks the cut included, on a character
/// boundary (a multi-byte character at the cut goes whole).
fn truncate(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mfa_401_becomes_mfa_required() {
        let e = Error::from_response("http://h/api/x", 401, r#"{"mfaId":"abc"}"#);
        assert_eq!(e.kind(), ErrorKind::MfaRequired);
        assert_eq!(e.mfa_id(), Some("abc"));
        assert_eq!(e.to_json()["mfaId"], "abc");
    }

    #[test]
    fn plain_401_is_http() {
        let e = Error::from_response("http://h/api/x", 401, r#"{"message":"nope","data":{}}"#);
        assert_eq!(e.kind(), ErrorKind::Http);
        assert_eq!(e.mfa_id(), None);
        assert_eq!(e.message(), "nope");
    }

    #[test]
    fn validation_data_kept_and_garbage_body_tolerated() {
        let body = r#"{"status":400,"message":"bad","data":{"email":{"code":"validation_required"}}}"#;
        let e = Error::from_response("u", 400, body);
        assert_eq!(e.response()["data"]["email"]["code"], "validation_required");
        let g = Error::from_response("u", 502, "<html>");
        assert_eq!(g.response(), &json!({}));
        assert_eq!(g.status(), 502);
    }

    #[test]
    fn userinfo_is_dropped_and_long_urls_truncated() {
        let e = Error::new(ErrorKind::Network, "http://bob:hunter2@h:1/a/b?x=1", "m");
        assert_eq!(e.url(), "http://h:1/a/b");
        assert!(!format!("{e} {e:?} {}", e.to_json()).contains("hunter2"));
        let long = format!("http://h/{}", "é".repeat(400));
        let e = Error::new(ErrorKind::Network, &long, "m");
        assert!(e.url().len() <= MAX_URL && e.url().ends_with('…'), "{}", e.url().len());
    }

    /// At most 256 bytes with the `…`, for every length around the limit and every
    /// position of a multi-byte character at the cut; short URLs stay whole.
    #[test]
    fn error_urls_never_exceed_256_bytes() {
        for filler in ["a", "é", "€", "𝄞"] {
            for n in 200..300 {
                let url = format!("http://h/{}", filler.repeat(n / filler.len()));
                let e = Error::new(ErrorKind::Network, &url, "m");
                assert!(e.url().len() <= MAX_URL, "{filler} x{n}: {} bytes", e.url().len());
                match url.len() <= MAX_URL {
                    true => assert_eq!(e.url(), url),
                    false => assert!(e.url().ends_with('…') && url.starts_with(e.url().trim_end_matches('…'))),
                }
                assert!(e.url().len() >= MAX_URL.min(url.len()) - 6, "cut no more than needed");
            }
        }
        let json = Error::new(ErrorKind::Network, &format!("http://h/{}", "x".repeat(1000)), "m").to_json();
        assert_eq!(json["url"].as_str().unwrap().len(), MAX_URL);
    }

    #[test]
    fn url_query_is_dropped() {
        let e = Error::new(ErrorKind::Network, "http://h/a?token=secret#x", "m");
        assert_eq!(e.url(), "http://h/a");
        assert!(!format!("{e} {e:?}").contains("secret"));
    }
}

//! Base-URL normalisation, path-segment escaping and query encoding.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

use crate::{Error, Result};

/// RFC 3986 unreserved characters stay; everything else (`/`, `?`, `#`, `%`, spaces…) is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Trims whitespace and trailing slashes so `base + "/api/..."` never doubles a slash.
pub(crate) fn normalize_base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

/// Refuses a base URL that is not `http(s)://host[:port][/path]` (no query or fragment).
pub(crate) fn check_base(base: &str) -> Result<()> {
    let bad = || Error::invalid_argument("base URL must look like http://host[:port][/path]");
    let uri: ureq::http::Uri = base.parse().map_err(|_| bad())?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    if !scheme_ok || !host_ok || uri.query().is_some() || base.contains('#') {
        return Err(bad());
    }
    Ok(())
}

/// Escapes one path segment (a collection name or record id).
pub(crate) fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// `base + path + ?query`. `path` is used as given (callers escape segments).
pub(crate) fn build(base: &str, path: &str, query: &Map<String, Value>) -> String {
    let mut url = String::with_capacity(base.len() + path.len() + 1);
    url.push_str(base);
    if !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(path);
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (key, value) in query {
        for v in query_values(value) {
            url.push(sep);
            url.push_str(&utf8_percent_encode(key, SEGMENT).to_string());
            url.push('=');
            url.push_str(&utf8_percent_encode(&v, SEGMENT).to_string());
            sep = '&';
        }
    }
    url
}

/// Scalars become their text, arrays repeat the key, `null` is omitted,
/// objects are sent as JSON (PocketBase reads e.g. `filter` params as text).
fn query_values(value: &Value) -> Vec<String> {
    match value {
        Value::Null => vec![],
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(query_values).collect(),
        Value::Object(_) => vec![value.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base_is_normalised() {
        assert_eq!(normalize_base(" http://h:1/ "), "http://h:1");
        assert_eq!(normalize_base("http://h/sub//"), "http://h/sub");
    }

    #[test]
    fn base_urls_are_checked() {
        for ok in ["http://127.0.0.1:8090", "https://example.com/base", "http://[::1]:1"] {
            assert!(check_base(ok).is_ok(), "{ok}");
        }
        for bad in ["", "not a url", "ftp://x", "http://", "127.0.0.1:8090", "http://h/?q=1", "http://h/#f"] {
            assert!(check_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn segments_are_escaped() {
        assert_eq!(segment("users"), "users");
        assert_eq!(segment("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
        assert_eq!(segment("ü"), "%C3%BC");
    }

    #[test]
    fn query_encoding() {
        let q = json!({"a": "x y&z", "n": 1, "b": true, "skip": null, "arr": ["1", 2]});
        let url = build("http://h", "/api/x", q.as_object().unwrap());
        assert_eq!(url, "http://h/api/x?a=x%20y%26z&arr=1&arr=2&b=true&n=1");
    }
}

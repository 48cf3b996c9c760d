//! Base-URL normalisation, path-segment escaping and query encoding.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

/// RFC 3986 unreserved characters stay; everything else (`/`, `?`, `#`, `%`, spaces…) is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Trims whitespace and trailing slashes so `base + "/api/..."` never doubles a slash.
pub(crate) fn normalize_base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
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

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

/// Refuses a base URL that is not `http(s)://host[:port][/path]`: no userinfo (it would be
/// sent nowhere and leak into logs), a port in 1..=65535 (the `http` crate would otherwise
/// drop an out-of-range port and send the request to port 80), no query or fragment.
/// Messages never echo the URL: it may carry a password.
pub(crate) fn check_base(base: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid_argument(format!("base URL {why}; expected http(s)://host[:port][/path]"));
    if base.is_empty() {
        return Err(bad("is empty"));
    }
    if base.chars().any(|c| c.is_control() || c == ' ') {
        return Err(bad("contains a space or control character"));
    }
    let (scheme, rest) = base.split_once("://").ok_or_else(|| bad("has no scheme"))?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(bad("has a scheme other than http or https"));
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.contains('@') {
        return Err(bad("contains userinfo (user:password@), which is refused"));
    }
    if base.contains(['?', '#']) {
        return Err(bad("has a query or fragment"));
    }
    let uri: ureq::http::Uri = base.parse().map_err(|_| bad("is malformed"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    // Read the port from the text: the `http` crate reports an out-of-range port as none.
    let after_host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or("", |(_, rest)| rest),
        None => authority.find(':').map_or("", |i| &authority[i..]),
    };
    if let Some(port) = after_host.strip_prefix(':') {
        if !port.bytes().all(|b| b.is_ascii_digit()) || !port.parse::<u16>().is_ok_and(|p| p > 0) {
            return Err(bad("has a port outside 1..=65535"));
        }
    } else if !after_host.is_empty() {
        return Err(bad("is malformed"));
    }
    Ok(())
}

/// The base URL with any userinfo removed, for `Debug` output of a client whose URL was refused.
pub(crate) fn redact_base(base: &str) -> String {
    match base.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let host = rest[..end].rsplit_once('@').map_or(&rest[..end], |(_, h)| h);
            format!("{scheme}://{host}{}", &rest[end..])
        }
        None => base.to_owned(),
    }
}

/// Refuses a caller's request path that would not reach the path it names: `?`/`#` (the
/// query goes in `options.query`; a `#` would silently drop it), `.`/`..` segments, control
/// characters. Messages never echo the path.
pub(crate) fn check_path(path: &str) -> Result<()> {
    if path.contains(['?', '#']) {
        return Err(Error::invalid_argument("path must not contain `?` or `#`: pass query parameters in `query`"));
    }
    if path.chars().any(char::is_control) {
        return Err(Error::invalid_argument("path must not contain control characters"));
    }
    if path.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(Error::invalid_argument("path must not contain `.` or `..` segments"));
    }
    Ok(())
}

/// What JavaScript's `encodeURIComponent` leaves alone (the realtime topic options and
/// the auth cookie are encoded as the JS SDK encodes them).
pub(crate) const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Escapes one path segment (a collection name or record id). `.` and `..` are escaped too:
/// left as they are, they would be dot segments that move the request to another path.
pub(crate) fn segment(s: &str) -> String {
    match s {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        _ => utf8_percent_encode(s, SEGMENT).to_string(),
    }
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
        for bad in ["http://127.0.0.1:99999", "http://h:0", "http://h:65536/x", "http://h:-1", "http://h: 80"] {
            assert!(check_base(bad).is_err(), "{bad}");
        }
        let err = check_base("http://bob:hunter2@h:1").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
        assert!(check_base("http://h:65535").is_ok());
        assert_eq!(redact_base("https://bob:pw@h:1/x"), "https://h:1/x");
    }

    #[test]
    fn send_paths_are_checked() {
        assert!(check_path("/api/health").is_ok());
        for bad in ["/api/x?token=1", "/api/x#frag", "/api/../admin", "/./x", "/a\u{1}b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn segments_are_escaped() {
        assert_eq!(segment("users"), "users");
        assert_eq!(segment("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
        assert_eq!(segment("ü"), "%C3%BC");
        assert_eq!(segment("."), "%2E");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("..."), "...");
    }

    #[test]
    fn query_encoding() {
        let q = json!({"a": "x y&z", "n": 1, "b": true, "skip": null, "arr": ["1", 2]});
        let url = build("http://h", "/api/x", q.as_object().unwrap());
        assert_eq!(url, "http://h/api/x?a=x%20y%26z&arr=1&arr=2&b=true&n=1");
    }
}

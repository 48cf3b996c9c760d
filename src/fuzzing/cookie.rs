//! Cookie target: `AuthStore::load_from_cookie` on a fuzzed `Cookie` header, and the
//! `export_to_cookie` → `load_from_cookie` round trip of a fuzzed login and options.
//!
//! Input: NUL-separated fields: cookie header, key, `CookieOptions` JSON, token, record JSON.
//! Checks: loading either restores a `{token, record}` object (a string token) or clears the
//! store (a key that is no RFC 6265 token is refused and leaves it as it was); an exported cookie is one header-safe `Set-Cookie` value (no control characters,
//! its value free of `;`, `,`, spaces and quotes, attributes as asked, at most 4096 bytes
//! unless the trimmed record still does not fit) and loads back to the same login.

use serde_json::Value;

use crate::{AuthStore, CookieOptions, ErrorKind};

/// The cookie target (see the module doc).
pub fn cookie(data: &[u8]) {
    let f = super::fields(data, 5);
    let (header, key) = (super::text(f[0]), super::text(f[1]));

    // Loading a fuzzed header: a login or nothing, never half of one.
    let store = AuthStore::default();
    store.save("previous", serde_json::json!({"id": "p"})).expect("a plain token saves");
    // A key that is no RFC 6265 token is the caller's mistake, refused before the header
    // is read: the store stays as it was. Any other refusal is the cookie's and clears it.
    let key_ok = key.is_empty() || key.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    match store.load_from_cookie(&header, &key) {
        Ok(()) => assert!(key_ok, "a key that is no token was accepted: {key:?}"),
        Err(e) if !key_ok => {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert_eq!(store.token(), "previous", "a refused key must leave the store as it was");
            return;
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert_eq!((store.token(), store.record()), (String::new(), Value::Null), "a refused cookie must clear");
            let echoed = header.len() >= 16 && e.message().contains(&header) && !key.contains(&header);
            assert!(!echoed, "the error echoes the cookie");
        }
    }
    assert_ne!(store.token(), "previous", "loading must replace or clear the previous login");

    // Export → load round trip.
    let options: CookieOptions = match f[2] {
        [] => CookieOptions::default(),
        json => match serde_json::from_slice(json) {
            Ok(o) => o,
            Err(_) => return,
        },
    };
    let token = super::text(f[3]);
    let record: Value = match f[4] {
        [] => Value::Null,
        json => match serde_json::from_slice(json) {
            Ok(v) => v,
            Err(_) => return,
        },
    };
    let source = AuthStore::default();
    if source.save(&token, record.clone()).is_err() {
        return; // a token the store refuses (e.g. with CR/LF): nothing to export
    }
    let exported = match source.export_to_cookie(&options) {
        Ok(c) => c,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            return;
        }
    };
    assert!(!exported.chars().any(char::is_control), "control character in {exported:?}");
    let (pair, attributes) = exported.split_once(';').unwrap_or((&exported, ""));
    let (name, value) = pair.split_once('=').expect("name=value");
    assert_eq!(name, options.key);
    assert!(!value.contains([';', ',', ' ', '"']), "unsafe cookie value {value:?}");
    for (present, attribute) in [(options.http_only, "; HttpOnly"), (options.secure, "; Secure")] {
        assert_eq!(attributes.contains(attribute) || options.path.contains(attribute), present, "{exported:?}");
    }
    let loaded = AuthStore::default();
    // Neighbours whose names (with a space) can never be a valid key.
    let header = format!("a b=1; {pair}; c d=2");
    loaded.load_from_cookie(&header, &options.key).unwrap_or_else(|e| panic!("an exported cookie fails to load: {e}"));
    assert_eq!(loaded.token(), token, "the token did not round-trip");
    if !super::has_float(&record) {
        // The record comes back as it was (through one JSON round trip) ...
        let same = serde_json::from_str::<Value>(&record.to_string()).expect("record JSON");
        // Or, when the whole record did not fit, its identifying fields only.
        let keep = ["id", "email", "collectionId", "collectionName", "verified"];
        let trimmed: serde_json::Map<String, Value> = same
            .as_object()
            .map(|m| {
                m.iter().filter(|(k, _)| keep.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
            })
            .unwrap_or_default();
        let back = loaded.record();
        let trimmed = Value::Object(trimmed);
        assert!(back == same || back == trimmed, "the record did not round-trip");
        assert!(exported.len() <= 4096 || back == trimmed, "a cookie over 4096 bytes kept its whole record");
    }
}

//! The auth store in cookie form, for server-side rendering: what the JS SDK's
//! `exportToCookie` writes and `loadFromCookie` reads (`pb_auth=<URI-encoded JSON>`).

use percent_encoding::{percent_decode_str, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth_store::parse_export;
use crate::request::check_header_value;
use crate::{jwt, AuthStore, Error, Result};

/// The cookie's name unless the caller picks one.
pub const DEFAULT_COOKIE_KEY: &str = "pb_auth";

/// Browsers refuse cookies larger than this; the record is trimmed to fit.
const MAX_COOKIE_BYTES: usize = 4096;

/// Attributes of the exported cookie (JSON: `{"key", "path", "domain", "secure", "httpOnly",
/// "sameSite"}`; every field optional). `Expires` is the token's `exp`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct CookieOptions {
    /// Cookie name; default `pb_auth`.
    pub key: String,
    /// `Path`; default `/`.
    pub path: String,
    /// `Domain`; default none.
    pub domain: Option<String>,
    /// `Secure`; default true.
    pub secure: bool,
    /// `HttpOnly`; default true.
    #[serde(rename = "httpOnly")]
    pub http_only: bool,
    /// `SameSite` (`Strict`, `Lax`, `None`); default `Strict`.
    #[serde(rename = "sameSite")]
    pub same_site: String,
}

impl Default for CookieOptions {
    fn default() -> Self {
        CookieOptions {
            key: DEFAULT_COOKIE_KEY.to_owned(),
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: "Strict".to_owned(),
        }
    }
}

/// A cookie name or attribute value may not break the header it goes in.
fn check_attribute(what: &str, value: &str) -> Result<()> {
    check_header_value(what, value)?;
    if value.contains(';') || value.contains(',') {
        return Err(Error::invalid_argument(format!("{what} must not contain `;` or `,`")));
    }
    Ok(())
}

/// `Wed, 21 Oct 2015 07:28:00 GMT` for a Unix time (the cookie `Expires` format).
fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl AuthStore {
    /// True when the stored record is a superuser (`_superusers`).
    pub fn is_superuser(&self) -> bool {
        let record = self.record();
        let text = |key: &str| record.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
        // `pbc_3142635823` is the fixed id PocketBase gives `_superusers`.
        let by_record = text("collectionName") == "_superusers" || text("collectionId") == "pbc_3142635823";
        let claims = jwt::claims(&self.token()).unwrap_or(Value::Null);
        let by_token = claims.get("collectionId").and_then(Value::as_str) == Some("pbc_3142635823");
        !self.token().is_empty() && (by_record || by_token)
    }

    /// A `Set-Cookie` value holding the login (`pb_auth=…; Path=/; Expires=…; HttpOnly;
    /// Secure; SameSite=Strict`), as the JS SDK's `exportToCookie`. When it would exceed
    /// 4096 bytes the record is cut to `id`, `email`, `collectionId`, `collectionName`,
    /// `verified`.
    pub fn export_to_cookie(&self, options: &CookieOptions) -> Result<String> {
        check_attribute("cookie key", &options.key)?;
        if !is_cookie_name(&options.key) {
            return Err(Error::invalid_argument("cookie key must be a non-empty token (RFC 6265)"));
        }
        check_attribute("cookie path", &options.path)?;
        check_attribute("cookie sameSite", &options.same_site)?;
        if let Some(d) = &options.domain {
            check_attribute("cookie domain", d)?;
        }
        let (token, record) = (self.token(), self.record());
        let mut attributes = String::new();
        if !options.path.is_empty() {
            attributes.push_str(&format!("; Path={}", options.path));
        }
        if let Some(d) = &options.domain {
            attributes.push_str(&format!("; Domain={d}"));
        }
        let expires = jwt::expiry(&token).unwrap_or(0);
        attributes.push_str(&format!("; Expires={}", http_date(expires)));
        if options.http_only {
            attributes.push_str("; HttpOnly");
        }
        if options.secure {
            attributes.push_str("; Secure");
        }
        if !options.same_site.is_empty() {
            attributes.push_str(&format!("; SameSite={}", options.same_site));
        }
        let cookie = |record: &Value| {
            let value = json!({"token": token, "record": record}).to_string();
            format!("{}={}{attributes}", options.key, utf8_percent_encode(&value, crate::url::URI_COMPONENT))
        };
        let full = cookie(&record);
        if full.len() <= MAX_COOKIE_BYTES {
            return Ok(full);
        }
        let keep = ["id", "email", "collectionId", "collectionName", "verified"];
        let trimmed: serde_json::Map<String, Value> = record
            .as_object()
            .map(|m| {
                m.iter().filter(|(k, _)| keep.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
            })
            .unwrap_or_default();
        Ok(cookie(&Value::Object(trimmed)))
    }

    /// Loads the login from a `Cookie` header (`a=b; pb_auth=…`), as the JS SDK's
    /// `loadFromCookie`: the cookie `key` (default `pb_auth`) holds `{token, record}`. A
    /// header without that cookie clears the store (the request is signed out). A cookie
    /// that is not such an object (checked as [`import`](AuthStore::import) checks) clears
    /// the store too and is reported as `invalid_argument`. A `key` that is not an RFC 6265
    /// token is `invalid_argument` and leaves the store unchanged.
    pub fn load_from_cookie(&self, cookie_header: &str, key: &str) -> Result<()> {
        let key = if key.is_empty() { DEFAULT_COOKIE_KEY } else { key };
        if !is_cookie_name(key) {
            return Err(Error::invalid_argument("cookie key must be a token (RFC 6265)"));
        }
        let raw = cookie_header
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| name.trim() == key)
            .map(|(_, value)| value.trim().trim_matches('"'));
        let Some(raw) = raw else {
            self.clear();
            return Ok(());
        };
        let what = format!("cookie `{key}`");
        let parsed = percent_decode_str(raw)
            .decode_utf8()
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .ok_or_else(|| Error::invalid_argument(format!("{what} does not hold an auth export")))
            // The same checks as `import`: one rule for what may enter the store.
            .and_then(|data| parse_export(&data, &what));
        match parsed {
            Ok((token, record)) => self.save(&token, record),
            Err(e) => {
                self.clear();
                Err(e)
            }
        }
    }
}

/// An RFC 6265 cookie name (an RFC 7230 token): visible ASCII without separators. Anything
/// else (a space, `=`, Unicode white space…) would be trimmed or split by a reader, so the
/// exported cookie could never be loaded back and the login would be silently lost.
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `cookie` fuzz target: a key with Unicode white space was exported, but
    /// a reader trims cookie names, so the login could never be loaded back.
    #[test]
    fn keys_that_are_not_tokens_are_refused_both_ways() {
        let store = AuthStore::default();
        store.save("a.b.c", serde_json::json!({"id": "r1"})).unwrap();
        for key in ["\u{3000}k", "a b", "k=v", "", "k;", "ключ", "k\"", "k,"] {
            let options = CookieOptions { key: key.to_owned(), ..CookieOptions::default() };
            assert!(store.export_to_cookie(&options).is_err(), "{key:?} exported");
        }
        let header = store.export_to_cookie(&CookieOptions::default()).unwrap();
        let err = store.load_from_cookie(&header, "\u{3000}pb_auth").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert_eq!(store.token(), "a.b.c", "a refused key leaves the store as it was");
        let options = CookieOptions { key: "my_auth-1".to_owned(), ..CookieOptions::default() };
        store.load_from_cookie(&store.export_to_cookie(&options).unwrap(), "my_auth-1").unwrap();
        assert_eq!(store.token(), "a.b.c");
    }

    #[test]
    fn dates_are_http_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_445_412_480), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(http_date(4_102_444_800), "Fri, 01 Jan 2100 00:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn a_cookie_round_trips_and_carries_the_attributes() {
        let store = AuthStore::default();
        let token = jwt::fake(1_445_412_480);
        store.save(&token, json!({"id": "u1", "email": "a;b@x", "collectionName": "users"})).unwrap();
        let cookie = store.export_to_cookie(&CookieOptions::default()).unwrap();
        assert!(cookie.starts_with("pb_auth=%7B%22"), "{cookie}");
        assert!(cookie.ends_with("; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT; HttpOnly; Secure; SameSite=Strict"));
        assert!(!cookie.split(';').next().unwrap().contains(' '), "the value is encoded");
        let other = AuthStore::default();
        let header = format!("theme=dark; {}; lang=en", cookie.split(';').next().unwrap());
        other.load_from_cookie(&header, "").unwrap();
        assert_eq!((other.token(), other.record()), (store.token(), store.record()));
        assert!(!other.is_superuser());
    }

    #[test]
    fn big_records_are_trimmed_and_bad_cookies_clear() {
        let store = AuthStore::default();
        store
            .save(&jwt::fake(1), json!({"id": "u1", "bio": "x".repeat(5000), "collectionName": "_superusers"}))
            .unwrap();
        assert!(store.is_superuser());
        let cookie = store.export_to_cookie(&CookieOptions::default()).unwrap();
        assert!(cookie.len() < 4096 && !cookie.contains("bio"), "{}", cookie.len());
        store.load_from_cookie("pb_auth=%7Bnot-json", "pb_auth").unwrap_err();
        assert_eq!(store.token(), "");
        store.save("t", json!({})).unwrap();
        store.load_from_cookie("other=1", "pb_auth").unwrap();
        assert_eq!(store.token(), "", "no cookie: signed out");
        let bad = CookieOptions { path: "/; Domain=evil".into(), ..CookieOptions::default() };
        assert!(store.export_to_cookie(&bad).is_err());
    }

    /// A cookie goes through the same check as `import`: a non-string token, a record that
    /// is not an object, or a token with CR/LF is refused (and, as for any bad cookie, the
    /// request is signed out), where it used to be loaded as "signed out" with OK.
    #[test]
    fn cookies_are_checked_as_imports_are() {
        let store = AuthStore::default();
        for json in [r#"{"token":1,"record":{}}"#, r#"{"token":"t","record":"r"}"#, "{\"token\":\"a\\r\\nX: 1\"}"] {
            store.save("before", json!({"id": "r1"})).unwrap();
            let header = format!("pb_auth={}", utf8_percent_encode(json, crate::url::URI_COMPONENT));
            let err = store.load_from_cookie(&header, "").unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument, "{json}");
            assert!(err.message().starts_with("cookie `pb_auth`"), "{err}");
            assert_eq!(store.import(json).unwrap_err().kind(), crate::ErrorKind::InvalidArgument, "{json}");
            assert_eq!((store.token(), store.record()), (String::new(), Value::Null), "{json}: signed out");
        }
        store
            .load_from_cookie("pb_auth=%7B%22token%22%3A%22t%22%2C%22model%22%3A%7B%22id%22%3A%22m%22%7D%7D", "")
            .unwrap();
        assert_eq!((store.token(), store.record()["id"].clone()), ("t".to_owned(), json!("m")), "legacy `model`");
    }
}

//! Just enough JWT reading for `AuthStore::is_valid`: the `exp` claim, unverified.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// The `exp` claim (seconds since the epoch) of a JWT, without checking its signature:
/// the server checks signatures; the client only needs to know when to stop sending it.
pub(crate) fn expiry(token: &str) -> Option<i64> {
    claims(token)?.get("exp")?.as_f64().map(|exp| exp as i64)
}

/// The claims object of a JWT, unverified (for matching a token to the stored record).
pub(crate) fn claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Value>(&bytes).ok().filter(Value::is_object)
}

#[cfg(test)]
pub(crate) fn fake(exp: i64) -> String {
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp},"id":"x"}}"#));
    format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exp() {
        assert_eq!(expiry(&fake(1_900_000_000)), Some(1_900_000_000));
    }

    #[test]
    fn rejects_garbage() {
        for t in ["", "abc", "a.b.c", "a.!!!.c", "a.e30.c"] {
            assert_eq!(expiry(t), None, "{t}");
        }
    }
}

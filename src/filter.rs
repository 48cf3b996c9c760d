//! `filter()`: fills `{:name}` placeholders of a PocketBase filter with safely quoted values.

use serde_json::{Map, Value};

use crate::{Error, Result};

/// Replaces each `{:name}` in `expr` with `params[name]` rendered as a filter literal:
/// strings are single-quoted with each `'` written `\'`, numbers and booleans are bare,
/// `null` is `null`, arrays and objects are quoted JSON. Unknown placeholders stay as
/// they are, so a typo shows up as a server-side filter error rather than a silent match.
///
/// PocketBase's filter parser ends a string at the first quote not preceded by `\` and
/// has no escape for `\` itself. So backslashes are kept as they are (doubling them would
/// change the value), and a string ending in `\` is refused with `invalid_argument`: its
/// last backslash would escape the closing quote and let the next literal's contents be
/// parsed as filter syntax.
///
/// ```
/// let params = serde_json::json!({"title": "it's a\\b", "n": 3});
/// let f = bosbase::filter("title = {:title} && n > {:n}", params.as_object().unwrap())?;
/// assert_eq!(f, r"title = 'it\'s a\b' && n > 3");
/// # Ok::<(), bosbase::Error>(())
/// ```
pub fn filter(expr: &str, params: &Map<String, Value>) -> Result<String> {
    let mut out = String::with_capacity(expr.len());
    let mut rest = expr;
    while let Some(start) = rest.find("{:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}').map(|end| (&after[..end], end)) {
            Some((name, end)) if params.contains_key(name) => {
                out.push_str(&literal(name, &params[name])?);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("{:");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn literal(name: &str, value: &Value) -> Result<String> {
    Ok(match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.ends_with('\\') => {
            return Err(Error::invalid_argument(format!(
                "filter parameter `{name}` ends with a backslash, which PocketBase filters cannot express"
            )))
        }
        Value::String(s) => quote(s),
        // JSON text ends in `]` or `}`, never in a backslash.
        other => quote(&other.to_string()),
    })
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(expr: &str, params: Value) -> String {
        filter(expr, params.as_object().unwrap()).unwrap()
    }

    #[test]
    fn hostile_strings_cannot_escape_their_quotes() {
        assert_eq!(f("a = {:x}", json!({"x": "' || 1=1 || '"})), r"a = '\' || 1=1 || \''");
        assert_eq!(f("a = {:x}", json!({"x": "\\' || true || '"})), r"a = '\\' || true || \''");
        assert_eq!(f("a = {:x}", json!({"x": "a\\b"})), r"a = 'a\b'");
        // A trailing backslash would escape the closing quote: refused, not rendered.
        let err = filter("a = {:x} || b = {:y}", json!({"x": "x\\", "y": " || 1=1 || "}).as_object().unwrap());
        assert_eq!(err.unwrap_err().kind(), crate::ErrorKind::InvalidArgument);
    }

    #[test]
    fn scalars_arrays_and_unknown_placeholders() {
        let p = json!({"n": 1.5, "b": false, "z": null, "arr": [1, "a'b"]});
        assert_eq!(f("{:n} {:b} {:z}", p.clone()), "1.5 false null");
        assert_eq!(f("x ?= {:arr}", p.clone()), r#"x ?= '[1,"a\'b"]'"#);
        assert_eq!(f("{:missing} and {:n", p), "{:missing} and {:n");
        assert_eq!(f("{:x}{:x}", json!({"x": "v"})), "'v''v'");
    }
}

//! Filter binder target: `filter(expr, params)` with a fuzzed expression and parameters.
//!
//! Input: NUL-separated fields: the expression, the params JSON object. Checks: refused
//! (`invalid_argument`) only for a substituted string ending in `\`; otherwise, read by
//! PocketBase's rule (a literal ends at the first quote not preceded by `\`, and `\'` is a
//! quote), every quoted literal of the output decodes to one whole parameter value, their
//! number is the number of quoted substitutions and none is left open: a value can never
//! close its quotes early and inject filter syntax.

use serde_json::{Map, Value};

use crate::ErrorKind;

/// The placeholders `filter` substitutes, in order (`{:name}` with `name` in `params`).
fn substituted<'a>(expr: &str, params: &'a Map<String, Value>) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find("{:") {
        let after = &rest[start + 2..];
        match after.find('}').map(|end| (&after[..end], end)) {
            Some((name, end)) if params.contains_key(name) => {
                out.push(&params[name]);
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// PocketBase's reading of the single-quoted literals in `s` (decoded), or `None` when one
/// is left open.
fn literals(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut raw = String::new();
        let mut prev = None;
        loop {
            let c = chars.next()?;
            if c == '\'' && prev != Some('\\') {
                break;
            }
            raw.push(c);
            prev = Some(c);
        }
        out.push(raw.replace("\\'", "'"));
    }
    Some(out)
}

/// The filter target (see the module doc).
pub fn filter(data: &[u8]) {
    let f = super::fields(data, 2);
    let expr = super::text(f[0]);
    let Ok(params) = serde_json::from_slice::<Map<String, Value>>(f[1]) else { return };
    let values = substituted(&expr, &params);
    let trailing_backslash = values.iter().any(|v| v.as_str().is_some_and(|s| s.ends_with('\\')));
    let out = match crate::filter(&expr, &params) {
        Ok(out) => {
            assert!(!trailing_backslash, "a string ending in a backslash was rendered");
            out
        }
        Err(e) => {
            assert!(trailing_backslash, "refused without a trailing backslash: {e}");
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            return;
        }
    };
    // The expression's own quotes are the caller's syntax: judge the values alone.
    if expr.contains(['\'', '\\']) {
        return;
    }
    let quoted: Vec<String> = values
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(_) | Value::Object(_) => Some(v.to_string()),
            _ => None,
        })
        .collect();
    let found = literals(&out).unwrap_or_else(|| panic!("a literal is left open in {out:?}"));
    assert_eq!(found, quoted, "the literals PocketBase would read differ from the values in {out:?}");
}

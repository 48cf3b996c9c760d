//! Option and argument JSON target: `SendOptions::from_json` and an operation of the table
//! run with fuzzed arguments and options, on a client pointed at a closed loopback port.
//!
//! Input: NUL-separated fields: options JSON, operation (a name, else picked by a hash of
//! the field), arguments JSON. Checks: nothing panics; errors are typed (never `panic`)
//! and never quote a secret value (a string value of 8+ characters holding `#`, which no
//! key or template contains), neither in the message nor in the error JSON; the error `url`
//! stays within the header's 256 bytes; `Debug` of the options never shows the `mfaId` or
//! `filter` values; a URL-building operation returns a URL under the client's base.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::{BosBase, ErrorKind, SendOptions};

/// The header promises error URLs of at most 256 bytes.
pub(crate) fn url_within_bound(url: &str) -> bool {
    url.len() <= 256
}

/// String values that look like secrets (8+ characters with `#`) and are no key's substring.
pub(crate) fn secrets(values: &[&Value]) -> Vec<String> {
    fn walk(v: &Value, keys: &mut Vec<String>, strings: &mut Vec<String>) {
        match v {
            Value::String(s) => strings.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, keys, strings)),
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                keys.push(k.clone());
                walk(x, keys, strings)
            }),
            _ => {}
        }
    }
    let (mut keys, mut strings) = (Vec::new(), Vec::new());
    values.iter().for_each(|v| walk(v, &mut keys, &mut strings));
    strings.retain(|s| s.chars().count() >= 8 && s.contains('#') && !keys.iter().any(|k| k.contains(s.as_str())));
    strings
}

fn client() -> &'static BosBase {
    static CLIENT: OnceLock<BosBase> = OnceLock::new();
    CLIENT.get_or_init(|| {
        BosBase::builder(&format!("http://127.0.0.1:{}", super::closed_port()))
            .timeout(Duration::from_millis(200))
            .connect_timeout(Duration::from_millis(100))
            .build()
            .expect("client")
    })
}

/// The option/argument JSON target (see the module doc).
pub fn options(data: &[u8]) {
    let f = super::fields(data, 3);
    let options_text = super::text(f[0]);
    let options_value: Value = serde_json::from_str(&options_text).unwrap_or(Value::Null);
    let args_value: Value = serde_json::from_slice(f[2]).unwrap_or(Value::Null);
    let secret = secrets(&[&options_value, &args_value]);
    let leaks = |text: &str| secret.iter().find(|s| text.contains(s.as_str())).cloned();

    let mut options = match SendOptions::from_json(&options_text) {
        Ok(o) => o,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert_eq!(leaks(&e.to_json().to_string()), None, "an options error quotes a value");
            SendOptions::default()
        }
    };
    let debug = format!("{options:?}");
    let hidden = SendOptions { mfa_id: None, filter: None, ..options.clone() };
    for value in [&options.mfa_id, &options.filter].into_iter().flatten() {
        let shown = debug.contains(value.as_str()) && !format!("{hidden:?}").contains(value.as_str());
        assert!(value.is_empty() || !shown, "Debug shows a secret option value");
    }
    // `method`, `expand`, `fields` and `sort` are shown on purpose (not secrets).
    let shown = SendOptions { method: None, expand: None, fields: None, sort: None, ..options.clone() };
    assert_eq!(leaks(&format!("{shown:?}")), None, "Debug of the options shows a value");

    // Any operation: by name, else picked by the field's hash.
    let name = super::text(f[1]);
    let all: Vec<_> = crate::operations::all().collect();
    let op = match crate::operations::find(&name) {
        Ok(op) => op,
        Err(_) => all[f[1].iter().fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(*b))) % all.len()],
    };
    let Value::Object(args) = args_value else { return };
    // Bounded even if something ever listened on the port.
    options.timeout_ms = Some(options.timeout_ms.unwrap_or(200).clamp(1, 200));
    let result = client().operation(op.name, Map::clone(&args), options).wait();
    match result {
        Ok(v) => {
            assert_eq!(leaks(&v.to_string()).filter(|_| !v.is_string()), None, "a result quotes a secret");
            // `files.getURL` gives "" for a record or filename it cannot use (as the JS SDK).
            if let Some(url) = v.as_str().filter(|u| !u.is_empty()) {
                assert!(url.starts_with(client().base_url()), "{} built a URL off the base: {url}", op.name);
                assert!(!url.chars().any(|c| c.is_control() || c == ' '), "{} built an unencoded URL", op.name);
            }
        }
        Err(e) => {
            assert_ne!(e.kind(), ErrorKind::Panic, "{}: internal error {e}", op.name);
            let json = e.to_json().to_string();
            assert_eq!(leaks(&json), None, "{}: the error quotes a secret value: {json}", op.name);
            let url = e.to_json()["url"].as_str().unwrap_or_default().to_owned();
            assert!(url_within_bound(&url), "{}: error url of {} bytes", op.name, url.len());
        }
    }
}

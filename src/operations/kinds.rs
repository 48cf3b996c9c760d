//! The contract's other tables, exported beside the operation table (`bosbase_kinds_json`)
//! so bindings generate their constants instead of copying them: the error kinds (the
//! `kind` of error JSON, its C status code, its meaning) and the event kinds of a
//! subscription (their value, meaning and the fields of their JSON).

use serde_json::{json, Value};

use crate::ErrorKind;

/// Every error kind, in status-code order.
pub const ERROR_KINDS: [ErrorKind; 12] = [
    ErrorKind::InvalidArgument,
    ErrorKind::Http,
    ErrorKind::MfaRequired,
    ErrorKind::Network,
    ErrorKind::Timeout,
    ErrorKind::Json,
    ErrorKind::Closed,
    ErrorKind::Tls,
    ErrorKind::Cancelled,
    ErrorKind::TooLarge,
    ErrorKind::OAuth2,
    ErrorKind::Panic,
];

/// The C status code of `kind` (`BosbaseStatus`; 0 is success), never renumbered.
pub fn status_code(kind: ErrorKind) -> u32 {
    match kind {
        ErrorKind::InvalidArgument => 1,
        ErrorKind::Http => 2,
        ErrorKind::MfaRequired => 3,
        ErrorKind::Network => 4,
        ErrorKind::Timeout => 5,
        ErrorKind::Json => 6,
        ErrorKind::Closed => 7,
        ErrorKind::Tls => 8,
        ErrorKind::Cancelled => 9,
        ErrorKind::TooLarge => 10,
        ErrorKind::OAuth2 => 11,
        ErrorKind::Panic => 99,
    }
}

/// One line on what `kind` means, copied into every generated binding.
pub fn meaning(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "refused before anything was sent (NULL, invalid UTF-8, bad JSON, a bad option)",
        ErrorKind::Http => "the server answered with an error status (`status`, `response`)",
        ErrorKind::MfaRequired => "the first factor of an MFA login succeeded; finish with another method and `mfaId`",
        ErrorKind::Network => "no HTTP answer: refused, DNS, reset (`status` 0)",
        ErrorKind::Timeout => "the call's deadline passed (`isAbort`)",
        ErrorKind::Json => "a 2xx answer that is not the expected JSON (`status` kept)",
        ErrorKind::Closed => "the client was closed; nothing was sent",
        ErrorKind::Tls => "the TLS handshake or certificate verification failed (`status` 0)",
        ErrorKind::Cancelled => "the call was cancelled; no auth-store effect",
        ErrorKind::TooLarge => "a download was larger than its `maxBytes` cap; nothing was kept (`status` kept)",
        ErrorKind::OAuth2 => {
            "the OAuth2 provider refused the sign-in or its redirect carried no code; the store is unchanged"
        }
        ErrorKind::Panic => "a bug in the library, caught at the boundary; the process is intact",
    }
}

/// A subscription's event kinds (`BosbaseEventKind`, ABI 5): (name, value, meaning, JSON
/// fields). Bindings read the kind as this value, never from the JSON's text.
pub const EVENT_KINDS: [(&str, u32, &str, &[&str]); 5] = [
    ("none", 0, "nothing queued now (pull mode: the answer of next() on an empty queue)", &[]),
    (
        "event",
        1,
        "a record change `{type: \"event\", topic, event, record}`, another realtime topic's \
         `{type: \"event\", topic, data}` or a pub/sub message `{type: \"message\", topic, id, created, data}`",
        &["type", "topic", "event", "record", "data", "id", "created"],
    ),
    ("subscribed", 2, "the server accepted the subscription (first, once)", &["type", "topic"]),
    (
        "error",
        3,
        "the server refused the subscription; nothing follows (`error` is error JSON)",
        &["type", "topic", "error"],
    ),
    (
        "state",
        4,
        "the stream's state: connected, disconnected (with a `cause`) or reconnected",
        &["type", "state", "cause"],
    ),
];

/// `{"errorKinds": [{name, status, meaning}], "statusOk": 0, "eventKinds": [{name, value,
/// meaning, fields}]}`.
pub fn to_json() -> Value {
    let errors: Vec<Value> = ERROR_KINDS
        .iter()
        .map(|&k| json!({"name": k.as_str(), "status": status_code(k), "meaning": meaning(k)}))
        .collect();
    let events: Vec<Value> = EVENT_KINDS
        .iter()
        .map(|(name, value, meaning, fields)| json!({"name": name, "value": value, "meaning": meaning, "fields": fields}))
        .collect();
    json!({"errorKinds": errors, "statusOk": 0, "eventKinds": events})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_with_the_status_the_c_abi_returns() {
        let json = to_json();
        let kinds = json["errorKinds"].as_array().unwrap();
        assert_eq!(kinds.len(), ERROR_KINDS.len());
        for k in ERROR_KINDS {
            let status = crate::ffi::BosbaseStatus::from(k) as u32;
            assert_eq!(status_code(k), status, "{k}");
            assert_eq!(kinds.iter().filter(|e| e["name"] == k.as_str()).count(), 1);
        }
        let values: Vec<u64> =
            json["eventKinds"].as_array().unwrap().iter().map(|e| e["value"].as_u64().unwrap()).collect();
        assert_eq!(values, [0, 1, 2, 3, 4]);
    }
}

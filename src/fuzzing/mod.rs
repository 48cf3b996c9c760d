//! Hooks for the fuzz targets in `fuzz/` and for `tests/fuzz_seeds.rs`, built only with the
//! `fuzzing` feature; hidden, not API, no stability promise.
//!
//! Each `pub fn` here is one target's whole body: it decodes the raw input, runs the code
//! under test and panics when an invariant breaks (libFuzzer reports the panic as a crash).
//! Keeping the bodies here, not in `fuzz/`, lets the seed test run the very same checks on
//! stable Rust, and lets them reach the crate-internal parsers without widening their
//! visibility.

mod cabi;
mod cookie;
mod filter;
mod multipart;
mod options;
mod pubsub;
mod sse;

pub use cabi::cabi;
pub use cookie::cookie;
pub use filter::filter;
pub use multipart::multipart;
pub use options::options;
pub use pubsub::pubsub;
pub use sse::sse;

/// A target's body: takes the raw input, panics when a check fails.
pub type Target = fn(&[u8]);

/// Every target, by the name of its directory under `fuzz/corpus/` and its `fuzz/` binary.
pub const TARGETS: [(&str, Target); 7] = [
    ("sse", sse),
    ("pubsub_frames", pubsub),
    ("multipart", multipart),
    ("cookie", cookie),
    ("filter", filter),
    ("options", options),
    ("cabi", cabi),
];

/// Splits an input into at most `n` NUL-separated fields (the last one keeps the rest);
/// missing fields are empty. Seeds stay readable: fields are text joined by `\0`.
pub(crate) fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0).collect();
    out.resize(n, &[]);
    out
}

/// A field as text (invalid UTF-8 replaced): most entry points take `&str`.
pub(crate) fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

/// A loopback port nothing listens on (bound, then released), so calls fail at once with
/// a refused connection instead of reaching any network.
pub(crate) fn closed_port() -> u16 {
    static PORT: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    *PORT.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.local_addr().expect("local address").port()
    })
}

/// True when `v` holds a float anywhere: serde_json's default float parsing is not
/// guaranteed to round-trip bit for bit, so exact comparisons skip those values.
pub(crate) fn has_float(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(n) => n.is_f64(),
        serde_json::Value::Array(a) => a.iter().any(has_float),
        serde_json::Value::Object(m) => m.values().any(has_float),
        _ => false,
    }
}

//! Library-wide functions: version, token generation, freeing strings.

use std::ffi::CString;
use std::os::raw::c_char;

use super::panic::{guard, guard_value};
use super::strings::{arg, required, write_out};
use super::BosbaseStatus;

/// The library version (e.g. `"0.1.0"`), a static string: do not free it. Thread-safe.
#[no_mangle]
pub extern "C" fn bosbase_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The stable name of a status (`"ok"`, `"http"`, `"mfa_required"`, ...), a static
/// string: do not free it. Unknown values give `"unknown"`. Thread-safe.
#[no_mangle]
pub extern "C" fn bosbase_status_name(status: u32) -> *const c_char {
    // Takes a plain integer: a C caller may pass any value, which a Rust enum must not hold.
    const NAMES: [(BosbaseStatus, &str); 13] = [
        (BosbaseStatus::Ok, "ok\0"),
        (BosbaseStatus::InvalidArgument, "invalid_argument\0"),
        (BosbaseStatus::Http, "http\0"),
        (BosbaseStatus::MfaRequired, "mfa_required\0"),
        (BosbaseStatus::Network, "network\0"),
        (BosbaseStatus::Timeout, "timeout\0"),
        (BosbaseStatus::Json, "json\0"),
        (BosbaseStatus::Closed, "closed\0"),
        (BosbaseStatus::Tls, "tls\0"),
        (BosbaseStatus::Cancelled, "cancelled\0"),
        (BosbaseStatus::Panic, "panic\0"),
        (BosbaseStatus::TooLarge, "too_large\0"),
        (BosbaseStatus::Oauth2, "oauth2\0"),
    ];
    let name = NAMES.iter().find(|(s, _)| *s as u32 == status).map_or("unknown\0", |(_, n)| n);
    name.as_ptr().cast()
}

/// Writes a new random custom token (256 bits from the OS CSPRNG, URL-safe base64,
/// 43 characters) to `*token_out`; free with `bosbase_string_free`. Returns OK,
/// INVALID_ARGUMENT (NULL `token_out`) or PANIC (no system randomness). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_generate_token(
    token_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(token_out, "token_out")?;
        write_out(token_out, crate::generate_token()?)
    })
}

/// Fills the `{:name}` placeholders of a filter expression with the values of the JSON
/// object `params_json`, quoted so hostile input cannot break out of its literal
/// (strings single-quoted, `'` escaped; a string ending in a backslash is refused because
/// PocketBase's parser cannot express it). Writes the filter to `*filter_out`; free with
/// `bosbase_string_free`. Returns OK, INVALID_ARGUMENT (with `*error_out`) or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_filter(
    expr: *const c_char,
    params_json: *const c_char,
    filter_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let expr = arg(expr, "expr")?;
        required(filter_out, "filter_out")?;
        let params: serde_json::Map<String, serde_json::Value> =
            crate::request::parse_json(arg(params_json, "params_json")?, "params JSON")?;
        write_out(filter_out, crate::filter(expr, &params)?)
    })
}

/// Frees a string this library returned. NULL is ignored; freeing twice is undefined.
#[no_mangle]
pub unsafe extern "C" fn bosbase_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            drop(CString::from_raw(s));
        }
    })
}

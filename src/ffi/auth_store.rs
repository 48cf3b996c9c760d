//! The client's auth store: read, save, clear, persist, and change callbacks.

use std::os::raw::{c_char, c_void};
use std::sync::Arc;

use serde_json::Value;

use super::client::BosbaseClient;
use super::panic::{guard, guard_value};
use super::strings::{arg, required, write_out};
use super::{BosbaseStatus, UserData};
use crate::request::parse_json;
use crate::{CookieOptions, Error, ListenerId};

/// Called after each auth-store change with the new token (`""` after clear) and
/// record JSON (`"null"` after clear), both borrowed for the call only.
/// Runs synchronously on the thread that changed the store: the thread of a blocking auth
/// call or of `bosbase_auth_store_save/clear/import/load_cookie`, or a worker thread of the
/// client for a call started with `bosbase_call_async`. Changes and their callbacks are
/// serialised, so callbacks arrive in order and the last one carries the final state.
/// It may call any `bosbase_auth_store_*` function (a change it makes is delivered,
/// nested, before it returns), remove listeners, and close or free any client, its own
/// included (see `bosbase_client_close`: from a callback it does not wait). It must not
/// wait for another thread that changes the store, and must not unwind.
pub type BosbaseAuthChangeCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, token: *const c_char, record_json: *const c_char)>;

/// Writes the stored token (`""` when none) to `*token_out`; free with `bosbase_string_free`.
/// Returns OK, INVALID_ARGUMENT (NULL argument) or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_token(
    client: *const BosbaseClient,
    token_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        required(token_out, "token_out")?;
        write_out(token_out, pb.auth_store().token())
    })
}

/// Writes the stored auth record as JSON (`null` when none) to `*record_out`;
/// free with `bosbase_string_free`. Returns OK, INVALID_ARGUMENT or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_record(
    client: *const BosbaseClient,
    record_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        required(record_out, "record_out")?;
        write_out(record_out, pb.auth_store().record().to_string())
    })
}

/// True when the store holds a token whose JWT `exp` is in the future
/// (signature not checked). False for NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_is_valid(client: *const BosbaseClient) -> bool {
    guard_value(false, || BosbaseClient::from_ptr(client).map(|pb| pb.auth_store().is_valid()).unwrap_or(false))
}

/// Forgets token and record, then runs change callbacks. Returns OK, INVALID_ARGUMENT,
/// CLOSED (once `bosbase_client_close` began, the store no longer changes) or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_clear(
    client: *const BosbaseClient,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::open(client)?;
        pb.auth_store().clear();
        Ok(())
    })
}

/// Saves `token` and `record_json` (a JSON object or `null`; NULL meaning `null`), then
/// runs change callbacks. A token with a control character (CR, LF, NUL…) cannot be sent as
/// a header, and a record of another type could never be exported and loaded back: both
/// are refused and the store is unchanged. Returns OK, INVALID_ARGUMENT (with
/// `*error_out`), CLOSED or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_save(
    client: *const BosbaseClient,
    token: *const c_char,
    record_json: *const c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::open(client)?;
        let token = arg(token, "token")?;
        let record = match record_json.is_null() {
            true => Value::Null,
            false => serde_json::from_str(arg(record_json, "record_json")?)
                .map_err(|e| Error::invalid_argument(format!("record JSON: {e}")))?,
        };
        pb.auth_store().save(token, record)
    })
}

/// Writes `{"token": ..., "record": ...}` to `*json_out` so an app can persist the login;
/// free with `bosbase_string_free`. Returns OK, INVALID_ARGUMENT or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_export(
    client: *const BosbaseClient,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        required(json_out, "json_out")?;
        write_out(json_out, pb.auth_store().export())
    })
}

/// True when the store holds a token of a superuser (`_superusers`). False for NULL.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_is_superuser(client: *const BosbaseClient) -> bool {
    guard_value(false, || BosbaseClient::from_ptr(client).map(|pb| pb.auth_store().is_superuser()).unwrap_or(false))
}

/// Writes a `Set-Cookie` value holding the login to `*cookie_out` (JS SDK
/// `exportToCookie`): `pb_auth=<URI-encoded {token, record}>; Path=/; Expires=<token exp>;
/// HttpOnly; Secure; SameSite=Strict`. `options_json` (NULL: defaults) may set `"key"` (an
/// RFC 6265 token), `"path"`, `"domain"`, `"secure"`, `"httpOnly"`, `"sameSite"`. Over 4096 bytes, the record
/// is cut to id/email/collectionId/collectionName/verified. Free with `bosbase_string_free`.
/// Returns OK, INVALID_ARGUMENT or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_export_cookie(
    client: *const BosbaseClient,
    options_json: *const c_char,
    cookie_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        required(cookie_out, "cookie_out")?;
        let options: CookieOptions = match options_json.is_null() {
            true => CookieOptions::default(),
            false => match arg(options_json, "options_json")? {
                s if s.trim().is_empty() => CookieOptions::default(),
                s => parse_json(s, "cookie options JSON")?,
            },
        };
        write_out(cookie_out, pb.auth_store().export_to_cookie(&options)?)
    })
}

/// Loads the login from a `Cookie` request header (JS SDK `loadFromCookie`): the cookie
/// `key` (NULL or `""`: `pb_auth`) holds `{token, record}`. A header without it clears the
/// store (signed out); a cookie that does not hold such an object (checked as
/// `bosbase_auth_store_import` checks) clears the store and returns INVALID_ARGUMENT; a `key`
/// that is not an RFC 6265 token is INVALID_ARGUMENT and leaves the store unchanged. Runs
/// change callbacks. Returns OK, INVALID_ARGUMENT, CLOSED or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_load_cookie(
    client: *const BosbaseClient,
    cookie_header: *const c_char,
    key: *const c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::open(client)?;
        let key = match key.is_null() {
            true => "",
            false => arg(key, "key")?,
        };
        pb.auth_store().load_from_cookie(arg(cookie_header, "cookie_header")?, key)
    })
}

/// Restores what `bosbase_auth_store_export` wrote (a JSON object: `token` a string without
/// control characters or absent, `record` an object or absent), then runs change callbacks.
/// Anything else is INVALID_ARGUMENT and leaves the store unchanged.
/// Returns OK, INVALID_ARGUMENT, CLOSED or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_import(
    client: *const BosbaseClient,
    json: *const c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::open(client)?;
        pb.auth_store().import(arg(json, "json")?)
    })
}

/// Registers `callback` (see `BosbaseAuthChangeCallback`) with `user_data` passed through
/// untouched; writes its id to `*listener_id_out`. The callback runs for changes that start
/// after this returns. Returns OK, INVALID_ARGUMENT (NULL client, callback or out-pointer),
/// CLOSED or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_on_change(
    client: *const BosbaseClient,
    callback: BosbaseAuthChangeCallback,
    user_data: *mut c_void,
    listener_id_out: *mut u64,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::open(client)?;
        let callback = callback.ok_or_else(|| Error::invalid_argument("`callback` is NULL"))?;
        required(listener_id_out, "listener_id_out")?;
        let data = UserData(user_data);
        let id = pb.auth_store().on_change(Arc::new(move |token: &str, record: &Value| {
            let data = &data;
            // Tokens and JSON never contain NUL, so these conversions do not fail in practice.
            if let (Ok(t), Ok(r)) = (std::ffi::CString::new(token), std::ffi::CString::new(record.to_string())) {
                callback(data.0, t.as_ptr(), r.as_ptr());
            }
        }));
        *listener_id_out = id.0;
        Ok(())
    })
}

/// Unregisters a callback. Returns OK, INVALID_ARGUMENT (NULL client or unknown id) or PANIC.
/// When it returns, the callback is not running on any other thread and will never be
/// called again, so `user_data` may be freed. (Called from inside that same callback, it
/// returns at once; the callback finishes its current run.)
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_remove_listener(
    client: *const BosbaseClient,
    listener_id: u64,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        match pb.auth_store().remove_listener(ListenerId(listener_id)) {
            true => Ok(()),
            false => Err(Error::invalid_argument("unknown listener id")),
        }
    })
}

/// Writes to `*problem_out` why the client's `"authFile"` could not be used the last time
/// it was read or written, as error JSON (kind `invalid_argument`, a `message` starting
/// with `authFile:`, never quoting the file), or `null` when it was, or when the client has
/// no auth file. Set when the file found at `bosbase_client_new` was unreadable, not a
/// regular file or not an export (the store then started empty; a missing file is no
/// problem), or when writing a change failed (the store keeps the change in memory);
/// cleared by the next successful write. Free with `bosbase_string_free`.
/// Returns OK, INVALID_ARGUMENT (NULL argument) or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_store_file_error(
    client: *const BosbaseClient,
    problem_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        required(problem_out, "problem_out")?;
        let problem = pb.auth_store().file_error().map_or(Value::Null, |e| e.to_json());
        write_out(problem_out, problem.to_string())
    })
}

//! Record/auth calls and generic `send`. Each returns a status and writes JSON text.
//!
//! Common contract (each function's doc repeats what differs):
//! * `client` is a live handle; string arguments are borrowed for the call only.
//! * `options_json` may be NULL or `{"body":{}, "query":{}, "headers":{}, "expand":"",
//!   "fields":"", "mfaId":""}` (every field optional; unknown fields are rejected).
//! * On success `*result_out` (required) receives a JSON string; on failure
//!   `*error_out` (when not NULL) receives the error JSON
//!   `{"kind","url","status","response","isAbort","message"[,"mfaId"]}`.
//!   Both are owned by the caller: free with `bosbase_string_free`. Out-pointers
//!   are left untouched otherwise.
//! * Thread-safe; blocks until the server answers or the call's deadline passes.
//!   After `bosbase_client_close` every call returns BOSBASE_STATUS_CLOSED.

use std::os::raw::c_char;

use serde_json::{Map, Value};

use super::client::BosbaseClient;
use super::panic::guard;
use super::strings::{arg, options, required, write_out};
use super::BosbaseStatus;
use crate::{Call, Result};

/// Runs `call` in the guard and hands its JSON result to `result_out`.
unsafe fn respond(
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
    call: impl FnOnce() -> Result<Call<Value>>,
) -> BosbaseStatus {
    guard(error_out, || {
        required(result_out, "result_out")?;
        write_out(result_out, call()?.wait()?.to_string())
    })
}

/// The typed functions are shims over the operation table: `op` with `collection` and
/// string arguments read from C strings (each named in errors when NULL or not UTF-8).
unsafe fn shim(
    client: *const BosbaseClient,
    op: &str,
    collection: *const c_char,
    named: &[(&str, *const c_char)],
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    respond(result_out, error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        let mut args = Map::new();
        args.insert("collection".to_owned(), Value::String(arg(collection, "collection")?.to_owned()));
        for (name, ptr) in named {
            args.insert((*name).to_owned(), Value::String(arg(*ptr, name)?.to_owned()));
        }
        Ok(pb.operation(op, args, options(options_json)?))
    })
}

/// Binds `token` to the account `email`/`password` of `collection`
/// (`POST /api/collections/{collection}/bind-token`). `*result_out` is `true`.
/// Never changes the auth store. Returns OK, INVALID_ARGUMENT, HTTP, NETWORK, TLS, TIMEOUT, JSON,
/// CLOSED or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_bind_custom_token(
    client: *const BosbaseClient,
    collection: *const c_char,
    email: *const c_char,
    password: *const c_char,
    token: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    shim(
        client,
        "records.bindCustomToken",
        collection,
        &[("email", email), ("password", password), ("token", token)],
        options_json,
        result_out,
        error_out,
    )
}

/// Stops accepting `token` for the account (`POST .../unbind-token`). `*result_out` is `true`,
/// also when the token was not bound. Never changes the auth store. Statuses as for bind.
#[no_mangle]
pub unsafe extern "C" fn bosbase_unbind_custom_token(
    client: *const BosbaseClient,
    collection: *const c_char,
    email: *const c_char,
    password: *const c_char,
    token: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    shim(
        client,
        "records.unbindCustomToken",
        collection,
        &[("email", email), ("password", password), ("token", token)],
        options_json,
        result_out,
        error_out,
    )
}

/// Signs in with a bound custom token (`POST .../auth-with-token`). `*result_out` is
/// `{"token": ..., "record": {...}}`, also saved in the client's auth store.
/// `mfaId` in `options_json` finishes an MFA login. Returns OK, INVALID_ARGUMENT, HTTP,
/// MFA_REQUIRED (error JSON has `mfaId`), NETWORK, TLS, TIMEOUT, JSON, CLOSED or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_with_token(
    client: *const BosbaseClient,
    collection: *const c_char,
    token: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    shim(client, "records.authWithToken", collection, &[("token", token)], options_json, result_out, error_out)
}

/// Signs in with `identity` (email) and `password` (`POST .../auth-with-password`);
/// result and statuses as for `bosbase_auth_with_token`.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_with_password(
    client: *const BosbaseClient,
    collection: *const c_char,
    identity: *const c_char,
    password: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    shim(
        client,
        "records.authWithPassword",
        collection,
        &[("identity", identity), ("password", password)],
        options_json,
        result_out,
        error_out,
    )
}

/// Refreshes the stored token (`POST .../auth-refresh`) and saves the answer;
/// result and statuses as for `bosbase_auth_with_token`.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_refresh(
    client: *const BosbaseClient,
    collection: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    shim(client, "records.authRefresh", collection, &[], options_json, result_out, error_out)
}

/// Sends a request to `path` relative to `collection` (`"/bind-token"` →
/// `/api/collections/{collection}/bind-token`); `options_json` may set `"method"`
/// (default GET). `*result_out` is the JSON answer, `null` for an empty body.
/// Saves nothing in the auth store. Statuses as for `bosbase_auth_with_token`.
#[no_mangle]
pub unsafe extern "C" fn bosbase_collection_send(
    client: *const BosbaseClient,
    collection: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    respond(result_out, error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        Ok(pb.collection(arg(collection, "collection")?).send(arg(path, "path")?, options(options_json)?))
    })
}

/// Sends a request to any `path` of the server (e.g. `"/api/health"`); `options_json`
/// may set `"method"` (default GET). Result and statuses as for `bosbase_collection_send`.
#[no_mangle]
pub unsafe extern "C" fn bosbase_send(
    client: *const BosbaseClient,
    path: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    respond(result_out, error_out, || {
        Ok(BosbaseClient::from_ptr(client)?.send(arg(path, "path")?, options(options_json)?))
    })
}

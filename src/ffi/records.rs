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

use serde_json::Value;

use super::client::BosbaseClient;
use super::panic::guard;
use super::strings::{arg, options, required, write_out};
use super::BosbaseStatus;
use crate::{Call, RecordService, Result, SendOptions};

/// Runs `call` in the guard and hands its JSON result to `result_out`.
unsafe fn respond(
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
    call: impl FnOnce() -> Result<Value>,
) -> BosbaseStatus {
    guard(error_out, || {
        required(result_out, "result_out")?;
        write_out(result_out, call()?.to_string())
    })
}

/// The pointer arguments bind and unbind share.
struct BindingArgs {
    client: *const BosbaseClient,
    collection: *const c_char,
    email: *const c_char,
    password: *const c_char,
    token: *const c_char,
    options_json: *const c_char,
}

type BindingCall = fn(&RecordService, &str, &str, &str, SendOptions) -> Call<bool>;

impl BindingArgs {
    /// # Safety
    /// Every pointer is NULL or valid for the call (the header's contract).
    unsafe fn run(&self, call: BindingCall) -> Result<Value> {
        let service = BosbaseClient::from_ptr(self.client)?.collection(arg(self.collection, "collection")?);
        let email = arg(self.email, "email")?;
        let (password, token) = (arg(self.password, "password")?, arg(self.token, "token")?);
        call(&service, email, password, token, options(self.options_json)?).wait().map(Value::Bool)
    }
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
    let args = BindingArgs { client, collection, email, password, token, options_json };
    respond(result_out, error_out, || args.run(RecordService::bind_custom_token_with))
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
    let args = BindingArgs { client, collection, email, password, token, options_json };
    respond(result_out, error_out, || args.run(RecordService::unbind_custom_token_with))
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
    respond(result_out, error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        let service = pb.collection(arg(collection, "collection")?);
        service.auth_with_token_with(arg(token, "token")?, options(options_json)?).wait()
    })
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
    respond(result_out, error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        let service = pb.collection(arg(collection, "collection")?);
        let (identity, password) = (arg(identity, "identity")?, arg(password, "password")?);
        service.auth_with_password_with(identity, password, options(options_json)?).wait()
    })
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
    respond(result_out, error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        pb.collection(arg(collection, "collection")?).auth_refresh_with(options(options_json)?).wait()
    })
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
        let service = pb.collection(arg(collection, "collection")?);
        service.send(arg(path, "path")?, options(options_json)?).wait()
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
        let pb = BosbaseClient::from_ptr(client)?;
        pb.send(arg(path, "path")?, options(options_json)?).wait()
    })
}

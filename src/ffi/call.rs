//! The generic entry points: run any row of the operation table by name, blocking or on
//! the client's worker pool with a completion callback, and export the table.

use std::ffi::CString;
use std::os::raw::{c_char, c_void};
use std::ptr;

use serde_json::{Map, Value};

use super::client::BosbaseClient;
use super::files::BosbaseFiles;
use super::handle::{write_handle, Handle};
use super::panic::guard;
use super::strings::{arg, options, required, write_out};
use super::{BosbaseStatus, UserData};
use crate::call::Started;
use crate::request::parse_json;
use crate::{Error, Result};

/// A started asynchronous call (from `bosbase_call_async` or `bosbase_send_async`): cancel it with
/// `bosbase_call_cancel`, release it with `bosbase_call_free`.
pub struct BosbaseCall(pub(crate) Started<String>);

impl Handle for BosbaseCall {
    const NAME: &'static str = "call";
}

/// Completion of `bosbase_call_async`, invoked exactly once: `status` as
/// `bosbase_call` would return it; on success `result_json` is the result and
/// `error_json` NULL, on failure the reverse. Both are borrowed for the duration of the
/// callback only (copy what you keep). It runs on one of the client's worker threads
/// (also with BOSBASE_STATUS_TIMEOUT when the call's deadline passed while it was queued
/// behind `poolSize` running calls; nothing was sent); for a cancelled call on the thread
/// calling `bosbase_call_cancel`, before that returns; for a call the client's close refused
/// just as it started, on the thread calling `bosbase_call_async`, with CLOSED, before that
/// returns. It may call any function of this library (start other calls, read the auth
/// store, close or free any client, its own included: see `bosbase_client_close`, which does
/// not wait there), and must not unwind.
pub type BosbaseCallCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: BosbaseStatus,
        result_json: *const c_char,
        error_json: *const c_char,
    ),
>;

/// The named arguments of a call: NULL or `""` means none.
unsafe fn call_args(args_json: *const c_char) -> Result<Map<String, Value>> {
    if args_json.is_null() {
        return Ok(Map::new());
    }
    match arg(args_json, "args_json")? {
        s if s.trim().is_empty() => Ok(Map::new()),
        s => parse_json(s, "args JSON"),
    }
}

/// Runs operation `op` (a name from `bosbase_operations_json`, e.g.
/// `"records.authWithToken"`) with `args_json` (NULL or an object of named arguments, e.g.
/// `{"collection":"users","token":"…"}`) and `options_json` (see the header's preamble).
/// Blocks until the answer or the call's deadline. Writes the result JSON to `*result_out`.
/// Returns OK or the failure's status (unknown operation or argument: INVALID_ARGUMENT).
/// An operation of several requests (`*.getFullList`) is one call: its deadline covers
/// every page (TIMEOUT when the list is not complete by then), and its pages together may
/// hold at most 10 times `maxResponseBytes` of JSON (JSON beyond it, status kept): a server
/// whose pages are always full cannot keep it running or growing.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_call(
    client: *const BosbaseClient,
    op: *const c_char,
    args_json: *const c_char,
    options_json: *const c_char,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    bosbase_call_with_files(client, op, args_json, options_json, ptr::null(), result_out, error_out)
}

/// `bosbase_call` with the file parts of `files` (NULL: none), sent as
/// `multipart/form-data` with the other body fields as `@jsonPayload` (e.g.
/// `records.create`, `records.update`, `backups.upload`). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_call_with_files(
    client: *const BosbaseClient,
    op: *const c_char,
    args_json: *const c_char,
    options_json: *const c_char,
    files: *const BosbaseFiles,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(result_out, "result_out")?;
        let pb = BosbaseClient::from_ptr(client)?;
        let call = operation(&pb, op, args_json, options_json, files)?;
        write_out(result_out, call.wait()?)
    })
}

/// The call of `op` with its arguments, options and file parts, checked and not started.
/// Its result is the JSON text itself, so a big result (a full list) is written once.
unsafe fn operation(
    pb: &crate::BosBase,
    op: *const c_char,
    args_json: *const c_char,
    options_json: *const c_char,
    files: *const BosbaseFiles,
) -> Result<crate::Call<String>> {
    let row = crate::operations::find(arg(op, "op")?)?;
    let mut options = options(options_json)?;
    options.files = BosbaseFiles::parts(files);
    options.progress = BosbaseFiles::progress(files);
    let args = call_args(args_json)?;
    let deadline = pb.deadline(&options);
    Ok(pb
        .call(move |client, ticket| crate::operations::run_text(client, row, args, options, ticket))
        .with_deadline(deadline))
}

/// Starts operation `op` (as `bosbase_call`) on the client's worker pool and returns at
/// once. On OK, `callback` (see `BosbaseCallCallback`) will be invoked exactly once with
/// `user_data`, and `*call_out` receives a handle to cancel the call with and to release
/// with `bosbase_call_free` (before or after the callback). On any other status nothing was
/// started and the callback is never invoked (bad arguments, unknown operation, closed
/// client). `bosbase_client_close` waits until the callbacks of started calls have run
/// (unless it is called from a callback).
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_call_async(
    client: *const BosbaseClient,
    op: *const c_char,
    args_json: *const c_char,
    options_json: *const c_char,
    callback: BosbaseCallCallback,
    user_data: *mut c_void,
    call_out: *mut *mut BosbaseCall,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    bosbase_call_async_with_files(
        client,
        op,
        args_json,
        options_json,
        ptr::null(),
        callback,
        user_data,
        call_out,
        error_out,
    )
}

/// `bosbase_call_async` with the file parts of `files` (NULL: none), as for
/// `bosbase_call_with_files`. The call keeps its own reference to the parts: `files` may
/// be freed as soon as this returns. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_call_async_with_files(
    client: *const BosbaseClient,
    op: *const c_char,
    args_json: *const c_char,
    options_json: *const c_char,
    files: *const BosbaseFiles,
    callback: BosbaseCallCallback,
    user_data: *mut c_void,
    call_out: *mut *mut BosbaseCall,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        let call = operation(&pb, op, args_json, options_json, files)?;
        start(&pb, call, callback, user_data, call_out)
    })
}

/// `bosbase_send` / `bosbase_collection_send` without blocking: sends to `path` relative to
/// `collection` (`/api/collections/{collection}/...`), or to the server's `path` when
/// `collection` is NULL, on the client's worker pool. The callback, the handle and the
/// statuses are as for `bosbase_call_async`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_send_async(
    client: *const BosbaseClient,
    collection: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
    callback: BosbaseCallCallback,
    user_data: *mut c_void,
    call_out: *mut *mut BosbaseCall,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        let (path, options) = (arg(path, "path")?, options(options_json)?);
        let call = match collection.is_null() {
            true => pb.send(path, options),
            false => pb.collection(arg(collection, "collection")?).send(path, options),
        };
        start(&pb, call.map(|v| v.to_string()), callback, user_data, call_out)
    })
}

/// Starts `call` with the C completion. Refuses, with no callback ever, a NULL callback or
/// `call_out` and a closed client (the call was only built, nothing was sent).
pub(super) unsafe fn start(
    pb: &crate::BosBase,
    call: crate::Call<String>,
    callback: BosbaseCallCallback,
    user_data: *mut c_void,
    call_out: *mut *mut BosbaseCall,
) -> Result<()> {
    required(call_out, "call_out")?;
    let callback = callback.ok_or_else(|| Error::invalid_argument("`callback` is NULL"))?;
    if pb.is_closed() {
        return Err(Error::closed());
    }
    let data = UserData(user_data);
    let started = call.start(move |result| {
        let data = data;
        complete(callback, data.0, result);
    });
    write_handle(call_out, BosbaseCall(started));
    Ok(())
}

/// Hands one outcome to the C callback; the strings live until it returns.
pub(crate) fn complete(
    callback: unsafe extern "C" fn(*mut c_void, BosbaseStatus, *const c_char, *const c_char),
    user_data: *mut c_void,
    result: Result<String>,
) {
    let (status, text) = match result {
        Ok(text) => (BosbaseStatus::Ok, text),
        Err(e) => (BosbaseStatus::from(e.kind()), e.to_json().to_string()),
    };
    // JSON text never holds a NUL byte.
    let text = CString::new(text).unwrap_or_default();
    let (result_json, error_json) = match status {
        BosbaseStatus::Ok => (text.as_ptr(), ptr::null()),
        _ => (ptr::null(), text.as_ptr()),
    };
    // SAFETY: the caller registered a valid function; it must not unwind (documented).
    unsafe { callback(user_data, status, result_json, error_json) };
}

/// Cancels a call started by `bosbase_call_async`, unless it already finished. If this
/// cancels it, the callback runs on this thread with BOSBASE_STATUS_CANCELLED before this
/// returns, and the call applies no auth-store effect (a login it was making is not saved,
/// whatever the server answered). It shuts the call's connection down, so a call stuck on
/// a stalled server (an answer, an upload, a download) frees its thread at once, and
/// `bosbase_client_close` does not wait for it until its deadline. NULL is ignored.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_call_cancel(call: *const BosbaseCall) {
    super::panic::guard_value((), || {
        if let Ok(call) = BosbaseCall::borrow(call) {
            call.0.cancel();
        }
    })
}

/// Releases a call handle. Does not cancel: the callback still runs exactly once. NULL is
/// ignored; freeing twice is undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn bosbase_call_free(call: *mut BosbaseCall) {
    super::panic::guard_value((), || drop(BosbaseCall::from_raw(call)))
}

/// Writes the operation table to `*json_out`:
/// `[{"name","method","path","args":[{"name","in","type","required","default","zeroIsValue"}],"effect","result","local","files","forks","doc"}]`
/// (`in`: path/query/body/fields/local; `type`: string/integer/boolean/object/array;
/// `result`: json/list/string/integer/true; `local`: builds a URL without a request; `files`: takes
/// file parts (other rows refuse them); `forks`: typed APIs return a new client signed in with the
/// result; `zeroIsValue`: the type's zero value is not the default). Bindings generate their
/// wrappers from it. Free with `bosbase_string_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_operations_json(
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(json_out, "json_out")?;
        write_out(json_out, crate::operations::to_json().to_string())
    })
}

/// Writes the contract's kinds to `*json_out`: `{"errorKinds":[{"name","status","meaning"}],
/// "statusOk":0,"eventKinds":[{"name","value","meaning","fields"}]}`: each error kind (the
/// `kind` of error JSON) with its `BosbaseStatus` code, and each subscription event kind with
/// its value and the fields of its JSON. Bindings generate their kind constants from it.
/// Free with `bosbase_string_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_kinds_json(json_out: *mut *mut c_char, error_out: *mut *mut c_char) -> BosbaseStatus {
    guard(error_out, || {
        required(json_out, "json_out")?;
        write_out(json_out, crate::operations::kinds::to_json().to_string())
    })
}

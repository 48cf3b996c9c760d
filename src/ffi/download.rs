//! Downloads of a record's file to a path, blocking or on the call machinery.

use std::os::raw::{c_char, c_void};

use super::call::{start, BosbaseCall, BosbaseCallCallback};
use super::client::BosbaseClient;
use super::files::{progress, BosbaseProgressCallback};
use super::panic::guard;
use super::strings::{arg, required, write_out};
use super::BosbaseStatus;
use crate::request::parse_json;
use crate::{Call, DownloadOptions, Result};

/// The download call, checked and not started.
unsafe fn download(
    pb: &crate::BosBase,
    record_json: *const c_char,
    filename: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
    callback: BosbaseProgressCallback,
    user_data: *mut c_void,
) -> Result<Call<String>> {
    let record: serde_json::Map<String, serde_json::Value> =
        parse_json(arg(record_json, "record_json")?, "record JSON")?;
    let (filename, path) = (arg(filename, "filename")?, arg(path, "path")?);
    let mut options = match options_json.is_null() {
        true => DownloadOptions::default(),
        false => DownloadOptions::from_json(arg(options_json, "options_json")?)?,
    };
    options.progress = progress(callback, user_data);
    Ok(pb.files().download(record.into(), filename, path, options).map(|v| v.to_string()))
}

/// Downloads `filename` of the record `record_json` (its JSON, with `id` and
/// `collectionId` or `collectionName`) to the file `path` (UTF-8), streamed on the
/// client's connections (TLS trust, proxy, auth header). `options_json` (NULL: none):
/// `{"thumb": "100x100", "token": "…" (from `files.getToken`, for a protected file),
/// "download": true, "maxBytes": N (default: no cap; TOO_LARGE beyond it),
/// "timeoutMs": N (the whole download's deadline; default the client's), "headers": {}}`.
/// The bytes go to a temporary file in the same directory, renamed over `path` once all
/// arrived: a failed or cancelled download leaves no file (an existing `path` is then
/// untouched). `progress` (NULL: none) gets `user_data` (see `BosbaseProgressCallback`).
/// Blocks until done; writes `{"path": …, "bytes": N, "contentType": …}` to
/// `*result_out`. Returns OK, HTTP (the server's JSON: a missing file, a protected file
/// without a valid token), NETWORK, TIMEOUT, TLS, TOO_LARGE, CLOSED, or INVALID_ARGUMENT
/// (a bad record, filename or options, a path that cannot be written: its directory
/// must exist). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_files_download(
    client: *const BosbaseClient,
    record_json: *const c_char,
    filename: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
    progress: BosbaseProgressCallback,
    progress_user_data: *mut c_void,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(result_out, "result_out")?;
        let pb = BosbaseClient::from_ptr(client)?;
        let call = download(&pb, record_json, filename, path, options_json, progress, progress_user_data)?;
        write_out(result_out, call.wait()?)
    })
}

/// `bosbase_files_download` on the client's worker pool: returns at once; the callback,
/// the handle and the statuses are as for `bosbase_call_async` (`bosbase_call_cancel`
/// stops the download: no file is left, and no progress report runs after the cancelled
/// completion). `progress_user_data` must stay valid until the completion ran.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_files_download_async(
    client: *const BosbaseClient,
    record_json: *const c_char,
    filename: *const c_char,
    path: *const c_char,
    options_json: *const c_char,
    progress: BosbaseProgressCallback,
    progress_user_data: *mut c_void,
    callback: BosbaseCallCallback,
    user_data: *mut c_void,
    call_out: *mut *mut BosbaseCall,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        let call = download(&pb, record_json, filename, path, options_json, progress, progress_user_data)?;
        start(&pb, call, callback, user_data, call_out)
    })
}

//! Client handles: create, free, and the leak-check counter.

use std::os::raw::c_char;
use std::time::Duration;

use serde::Deserialize;

use super::panic::{guard, guard_value};
use super::strings::arg;
use super::BosbaseStatus;
use crate::{BosBase, Error, Result};

/// An opaque client handle. Thread-safe: one handle may be used from many threads
/// at once; calls block the calling thread until the server answers.
pub struct BosbaseClient(pub(crate) BosBase);

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClientOptions {
    lang: Option<String>,
    user_agent: Option<String>,
    timeout_ms: Option<u64>,
}

impl BosbaseClient {
    /// Borrows the client behind a handle.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle from `bosbase_client_new`.
    pub(crate) unsafe fn from_ptr<'a>(ptr: *const BosbaseClient) -> Result<&'a BosBase> {
        ptr.as_ref().map(|c| &c.0).ok_or_else(|| Error::invalid_argument("`client` is NULL"))
    }
}

/// Creates a client for the server at `base_url` (e.g. `"http://127.0.0.1:8090"`).
///
/// `options_json` may be NULL or `{"lang": "en-US", "userAgent": "my-binding/1.0",
/// "timeoutMs": 30000}` (every field optional; `timeoutMs` 0 waits forever).
/// On success writes a new handle to `*client_out`; free it with `bosbase_client_free`.
/// On failure writes an error JSON to `*error_out` (when not NULL; free it with
/// `bosbase_string_free`). Returns `BOSBASE_STATUS_OK`, `BOSBASE_STATUS_INVALID_ARGUMENT`
/// or `BOSBASE_STATUS_PANIC`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_new(
    base_url: *const c_char,
    options_json: *const c_char,
    client_out: *mut *mut BosbaseClient,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let base_url = arg(base_url, "base_url")?;
        if client_out.is_null() {
            return Err(Error::invalid_argument("`client_out` is NULL"));
        }
        let opts: ClientOptions = match options_json.is_null() {
            true => ClientOptions::default(),
            false => serde_json::from_str(arg(options_json, "options_json")?)
                .map_err(|e| Error::invalid_argument(format!("client options JSON: {e}")))?,
        };
        let mut builder = BosBase::builder(base_url);
        if let Some(lang) = &opts.lang {
            builder = builder.lang(lang);
        }
        if let Some(ua) = &opts.user_agent {
            builder = builder.user_agent(ua);
        }
        if let Some(ms) = opts.timeout_ms {
            builder = builder.timeout((ms > 0).then(|| Duration::from_millis(ms)));
        }
        *client_out = Box::into_raw(Box::new(BosbaseClient(builder.build()?)));
        Ok(())
    })
}

/// Frees a handle from `bosbase_client_new`. NULL is ignored. Freeing a handle twice,
/// or while another thread is still inside a call on it, is undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_free(client: *mut BosbaseClient) {
    guard_value((), || {
        if !client.is_null() {
            drop(Box::from_raw(client));
        }
    })
}

/// Number of native clients alive in this process (created and not yet freed);
/// bindings use it to prove their handles are released. Thread-safe.
#[no_mangle]
pub extern "C" fn bosbase_live_clients() -> usize {
    guard_value(0, BosBase::live_clients)
}

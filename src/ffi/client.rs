//! Client handles: create, free, and the leak-check counter.

use std::os::raw::c_char;
use std::time::Duration;

use serde::Deserialize;

use super::panic::{guard, guard_value};
use super::strings::{arg, required};
use super::BosbaseStatus;
use crate::request::parse_json;
use crate::{BosBase, Error, Result};

/// An opaque client handle. Thread-safe: one handle may be used from many threads
/// at once; calls block the calling thread until the server answers or their deadline passes.
pub struct BosbaseClient(pub(crate) BosBase);

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClientOptions {
    lang: Option<String>,
    user_agent: Option<String>,
    timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    max_response_bytes: Option<u64>,
    max_idle_connections: Option<usize>,
    pool_size: Option<usize>,
    ca_pem: Option<String>,
    ca_file: Option<String>,
    danger_accept_invalid_certs: Option<bool>,
}

impl ClientOptions {
    fn apply(self, mut b: crate::ClientBuilder) -> Result<crate::ClientBuilder> {
        let ms = |v: u64, name: &str| match v {
            0 => Err(Error::invalid_argument(format!("{name} must be at least 1"))),
            v => Ok(Duration::from_millis(v)),
        };
        if let Some(v) = &self.lang {
            b = b.lang(v);
        }
        if let Some(v) = &self.user_agent {
            b = b.user_agent(v);
        }
        if let Some(v) = self.timeout_ms {
            b = b.timeout(ms(v, "timeoutMs")?);
        }
        if let Some(v) = self.connect_timeout_ms {
            b = b.connect_timeout(ms(v, "connectTimeoutMs")?);
        }
        if let Some(v) = self.max_response_bytes {
            b = b.max_response_bytes(v);
        }
        if let Some(v) = self.max_idle_connections {
            b = b.max_idle_connections(v);
        }
        if let Some(v) = self.pool_size {
            b = b.pool_size(v);
        }
        if let Some(v) = &self.ca_pem {
            b = b.ca_pem(v);
        }
        if let Some(v) = &self.ca_file {
            b = b.ca_file(v);
        }
        if let Some(v) = self.danger_accept_invalid_certs {
            b = b.danger_accept_invalid_certs(v);
        }
        Ok(b)
    }
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

/// Creates a client for the server at `base_url` (`http(s)://host[:port][/path]`; userinfo,
/// out-of-range ports, query and fragment are refused).
///
/// `options_json` may be NULL or an object with any of:
/// `"lang"` (default `"en-US"`), `"userAgent"` (default `"bosbase-rust/<version>"`),
/// `"timeoutMs"` (deadline of each call, connect to last byte; default 30000),
/// `"connectTimeoutMs"` (default 10000), `"maxResponseBytes"` (default 10485760),
/// `"maxIdleConnections"` (keep-alive connections kept; default 64),
/// `"poolSize"` (most worker threads running `bosbase_call_async` calls at once, started on
/// demand and stopped after 10 s idle; more calls queue, their deadline running; default 256),
/// `"caPem"` (PEM text of extra trusted CA certificates), `"caFile"` (path of such a PEM file),
/// `"dangerAcceptInvalidCerts"` (**development only**: accept any certificate; default false).
/// Certificates are verified against the platform's trust store plus `caPem`/`caFile`.
/// Writes a new handle to `*client_out`; free it with `bosbase_client_free`.
/// Returns OK, INVALID_ARGUMENT (the message names the bad field, never its value) or PANIC.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_new(
    base_url: *const c_char,
    options_json: *const c_char,
    client_out: *mut *mut BosbaseClient,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(client_out, "client_out")?;
        let base_url = arg(base_url, "base_url")?;
        let opts: ClientOptions = match options_json.is_null() {
            true => ClientOptions::default(),
            false => parse_json(arg(options_json, "options_json")?, "client options JSON")?,
        };
        *client_out = Box::into_raw(Box::new(BosbaseClient(opts.apply(BosBase::builder(base_url))?.build()?)));
        Ok(())
    })
}

/// Creates a client with the settings of `client` (base URL, language, timeouts, limits,
/// TLS; connections are shared) and an auth store of its own: empty when `auth_json` is
/// NULL, else holding its `{token, record}` — e.g. the result of `records.impersonate`, to
/// act as that account while `client` stays signed in as the superuser. Writes the new
/// handle to `*client_out` (free it with `bosbase_client_free`). Returns OK,
/// INVALID_ARGUMENT (an `auth_json` without a string `token` and an object `record`),
/// CLOSED or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_fork(
    client: *const BosbaseClient,
    auth_json: *const c_char,
    client_out: *mut *mut BosbaseClient,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(client_out, "client_out")?;
        let pb = BosbaseClient::from_ptr(client)?;
        let auth: Option<serde_json::Value> = match auth_json.is_null() {
            true => None,
            false => Some(serde_json::from_str(arg(auth_json, "auth_json")?).map_err(|e| {
                Error::invalid_argument(format!("auth JSON: malformed (line {}, column {})", e.line(), e.column()))
            })?),
        };
        *client_out = Box::into_raw(Box::new(BosbaseClient(pb.fork(auth.as_ref())?)));
        Ok(())
    })
}

/// Closes a client: new calls on it fail with BOSBASE_STATUS_CLOSED without sending
/// anything, and this returns once the calls already running on other threads have
/// finished (each is bounded by its deadline), auth-store functions included (those still
/// work after close, as reads of the last state), and every call started with
/// `bosbase_call_async` has invoked its callback (queued ones run first). Idempotent; NULL is ignored. After it
/// returns, `bosbase_client_free` is safe even if other threads still hold the pointer
/// (they must not use it after the free). Must not be called from inside a callback of
/// this client's own call while expecting that call to finish first: it does not wait for
/// the calling thread's own calls. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_close(client: *const BosbaseClient) {
    guard_value((), || {
        if let Ok(pb) = BosbaseClient::from_ptr(client) {
            pb.close();
        }
    })
}

/// Frees a handle from `bosbase_client_new`, closing it first (waiting for calls in
/// flight). NULL is ignored. Freeing a handle twice is undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_free(client: *mut BosbaseClient) {
    guard_value((), || {
        if !client.is_null() {
            let owned = Box::from_raw(client);
            owned.0.close();
            drop(owned);
        }
    })
}

/// Number of native clients alive in this process (created and not yet freed);
/// bindings use it to prove their handles are released. Thread-safe.
#[no_mangle]
pub extern "C" fn bosbase_live_clients() -> usize {
    guard_value(0, BosBase::live_clients)
}

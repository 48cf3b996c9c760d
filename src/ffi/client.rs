//! Client handles: create, free, and the leak-check counter.

use std::os::raw::{c_char, c_void};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use serde::Deserialize;

use super::handle::{write_handle, Handle};
use super::panic::{guard, guard_value};
use super::strings::{arg, required};
use super::{BosbaseStatus, UserData};
use crate::client::Held;
use crate::request::parse_json;
use crate::{BosBase, Error, Result};

/// An opaque client handle. Thread-safe: one handle may be used from many threads
/// at once; calls block the calling thread until the server answers or their deadline passes.
pub struct BosbaseClient(pub(crate) BosBase);

impl Handle for BosbaseClient {
    const NAME: &'static str = "client";
}

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
    proxy: Option<String>,
    auth_file: Option<String>,
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
        if let Some(v) = &self.proxy {
            b = b.proxy(v);
        }
        if let Some(v) = &self.auth_file {
            b = b.auth_file(v);
        }
        Ok(b)
    }
}

impl BosbaseClient {
    /// The client behind a handle, held for the entry point's whole run: `close` waits for
    /// it, and its own reference keeps the core alive even if the handle is freed by a
    /// callback meanwhile. The only way entry points reach a client.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle from `bosbase_client_new`.
    pub(crate) unsafe fn from_ptr(ptr: *const BosbaseClient) -> Result<Held> {
        Self::borrow(ptr).map(|c| c.0.held())
    }

    /// [`from_ptr`](Self::from_ptr) for entry points that start or change something: CLOSED
    /// once `bosbase_client_close` began, so nothing new (no listener call, no thread)
    /// happens on the client after close returned.
    ///
    /// # Safety
    /// As for `from_ptr`.
    pub(crate) unsafe fn open(ptr: *const BosbaseClient) -> Result<Held> {
        Self::borrow(ptr)?.0.entered()
    }
}

/// Creates a client for the server at `base_url` (`http(s)://host[:port][/path]`; userinfo,
/// out-of-range ports, query and fragment are refused).
///
/// `options_json` may be NULL or an object with any of:
/// `"lang"` (default `"en-US"`), `"userAgent"` (default `"bosbase-rust/<version>"`),
/// `"timeoutMs"` (deadline of each call, connect to last byte; default 30000),
/// `"connectTimeoutMs"` (default 10000), `"maxResponseBytes"` (largest answer body read;
/// default 10485760; a full list's pages may hold 10 times it together),
/// `"maxIdleConnections"` (keep-alive connections kept; default 64),
/// `"poolSize"` (most worker threads running `bosbase_call_async` calls at once, started on
/// demand and stopped after 10 s idle; more calls queue, their deadline running; default 256),
/// `"caPem"` (PEM text of extra trusted CA certificates), `"caFile"` (path of such a PEM file),
/// `"dangerAcceptInvalidCerts"` (**development only**: accept any certificate; default false),
/// `"proxy"` (`"http://[user:password@]host[:port]"`: every connection, realtime and pub/sub
/// included, goes through that HTTP proxy as a CONNECT tunnel; `"none"`: connect directly; either
/// way HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY are not read. Default: those variables, read
/// when the client is created, lower case first, NO_PROXY honoured, loopback not exempt; SOCKS
/// and https:// proxies are INVALID_ARGUMENT; credentials never appear in errors).
/// Certificates are verified against the platform's trust store plus `caPem`/`caFile`.
/// `"authFile"` (path of a file keeping the auth store across restarts; default none): the
/// store starts with the login it holds and every change replaces it atomically (owner-only,
/// `0600`, never half-written; a missing file is an empty store; the directory must exist).
/// A file that cannot be used does not fail this call: the store starts empty and
/// `bosbase_auth_store_file_error` says why. Clients from `bosbase_client_fork` do not use it;
/// two clients on one file: the last change wins.
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
        write_handle(client_out, BosbaseClient(opts.apply(BosBase::builder(base_url))?.build()?));
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
        write_handle(client_out, BosbaseClient(pb.fork(auth.as_ref())?));
        Ok(())
    })
}

/// Closes a client: from now on calls, subscriptions, listeners and auth-store changes on
/// it fail with BOSBASE_STATUS_CLOSED without sending anything (auth-store reads still
/// work, as reads of the last state), realtime and pub/sub stop, and this returns once
/// every function already running with this handle on another thread has returned (calls
/// are bounded by their deadlines), every call started with `bosbase_call_async` has
/// invoked its callback (queued ones run first), and no realtime or pub/sub callback of
/// the client is running. No callback of the client starts after it returned.
/// Idempotent; NULL is ignored. Thread-safe.
///
/// From inside any callback of this library (of this client or another) it does not wait:
/// it refuses new calls, stops realtime and pub/sub, and returns at once, while the calls
/// still running — the one running the callback included — finish on their own and their
/// callbacks still come. Waiting there could wait for the very call that runs the callback,
/// or for another client that waits in turn (two clients closing each other from their
/// callbacks), so it never does: closing from callbacks cannot deadlock. Close again (or
/// free) outside a callback to wait for the rest.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_close(client: *const BosbaseClient) {
    guard_value((), || {
        if let Some(handle) = client.as_ref() {
            // Its own reference: a callback may free the handle while this waits.
            handle.0.clone().close();
        }
    })
}

/// Frees a handle from `bosbase_client_new` or `bosbase_client_fork`, closing it first
/// (as `bosbase_client_close`, waiting for what runs on it unless called from a callback).
/// NULL is ignored; freeing twice is undefined behaviour.
///
/// It must not race another function on the same handle (the rule wasmtime's C API states
/// too): no other thread may be inside, or later enter, a function with this handle. Use
/// `bosbase_client_close` to stop concurrent users (their calls return CLOSED at once),
/// let them stop, then free. The one exception is the call on this thread that runs the
/// current callback: a callback may free any client, its own included (the running call
/// keeps what it needs until it returns). Subscription and call handles stay valid
/// (inactive) after their client was freed, and are freed on their own.
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_free(client: *mut BosbaseClient) {
    guard_value((), || {
        if let Some(owned) = BosbaseClient::from_raw(client) {
            owned.0.close();
        }
    })
}

/// Receives the end of a `bosbase_client_release` (`user_data` as given to it).
pub type BosbaseReleaseCallback = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// Closes and frees a client without blocking the caller: it never joins a thread nor waits
/// for calls in flight. From its return, new calls, subscriptions and listeners on the
/// client fail with CLOSED (queued `bosbase_call_async` calls end CLOSED); the rest — waiting
/// for the calls already running (bounded by their deadlines) and every started async call's
/// callback, stopping realtime and pub/sub and joining their threads, freeing — happens on a
/// library thread, and then `done` (may be NULL) is called exactly once, on that thread,
/// with `user_data`. Subscription handles stay valid (inactive) and are freed on their own.
/// NULL client: `done` is called at once on the caller's thread. Safe to call from any
/// thread and from any callback of this library (a Godot main thread, a BEAM scheduler, a Go
/// finalizer). The handle must not be used after this call except by the functions already
/// running with it (the free rule); freeing or releasing it twice is undefined behaviour.
/// (The client's idle worker-pool threads exit on their own within 10 s.)
#[no_mangle]
pub unsafe extern "C" fn bosbase_client_release(
    client: *mut BosbaseClient,
    done: BosbaseReleaseCallback,
    user_data: *mut c_void,
) {
    guard_value((), || {
        let data = UserData(user_data);
        let notify = move || {
            let data = &data; // the whole wrapper moves in (it is Send), not its raw field
            if let Some(done) = done {
                // SAFETY: the caller registered `done` and `user_data` for this call.
                crate::gate::callback(|| unsafe { done(data.0) });
            }
        };
        let Some(owned) = BosbaseClient::from_raw(client) else {
            notify();
            return;
        };
        owned.0.refuse_new();
        let work = move || {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                owned.0.close_and_join();
                drop(owned);
            }));
            notify();
        };
        // One short-lived thread per release: the only way to wait for everything without
        // making the caller wait. Without a thread, do it here rather than leak the client.
        let work = Arc::new(std::sync::Mutex::new(Some(work)));
        let spawned = {
            let work = Arc::clone(&work);
            std::thread::Builder::new().name("bosbase-release".into()).spawn(move || {
                if let Some(w) = work.lock().unwrap_or_else(PoisonError::into_inner).take() {
                    w()
                }
            })
        };
        if spawned.is_err() {
            if let Some(w) = work.lock().unwrap_or_else(PoisonError::into_inner).take() {
                w()
            }
        }
    })
}

/// Number of native clients alive in this process (created and not yet freed);
/// bindings use it to prove their handles are released. Thread-safe.
#[no_mangle]
pub extern "C" fn bosbase_live_clients() -> usize {
    guard_value(0, BosBase::live_clients)
}

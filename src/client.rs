//! `BosBase`: the blocking, thread-safe client every language binding wraps.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use ureq::unversioned::transport::Connector;

use crate::auth_file::AuthFile;
use crate::call::Ticket;
use crate::gate::Gate;
use crate::net::connector::{Deferred, Dial};
use crate::net::proxy::{Environment, Proxies, ProxyOption};
use crate::net::Net;
use crate::pool::{Pool, DEFAULT_POOL_SIZE};
use crate::pubsub::{PubSub, Target as PubSubTarget};
use crate::request::check_header_value;
use crate::retry::Failed;
use crate::tls::{TlsConnector, TlsSettings};
use crate::transport::Coalescing;
use crate::{url, AuthStore, Call, Error, ErrorKind, RecordService, Result, Retries, SendOptions};

/// Read and write buffer of each connection. ureq's 128 KiB default is zero-filled, so
/// touched, for every connection: 256 concurrent slow calls held 64 MiB of buffers (7.6x
/// reqwest's whole process). 16 KiB holds a TLS record, a response head and a request line
/// of up to 16 KiB each (common servers and proxies stop at 8 KiB); bodies stream through.
const CONNECTION_BUFFER_BYTES: usize = 16 * 1024;

/// Native clients alive right now (bindings check their handles are freed).
static LIVE_CLIENTS: AtomicUsize = AtomicUsize::new(0);

/// Default deadline of one call, from connecting to the last byte of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bound on connecting (TCP and TLS handshake), within the call's deadline.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest answer body read into memory (10 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 10 * 1024 * 1024;
/// Default number of idle keep-alive connections kept (per host and in all).
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 64;

/// A BosBase client. Cheap to clone (clones share one connection pool and one
/// auth store) and safe to use from many threads at once.
#[derive(Clone)]
pub struct BosBase {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    /// Set when [`BosBase::new`] was given a URL the builder would refuse; every call returns it.
    base_error: Option<Error>,
    lang: String,
    agent: ureq::Agent,
    /// The agent's deadline per request, to charge a queued call's wait against.
    timeout: Duration,
    max_response_bytes: u64,
    /// Retries of calls that set none ([`ClientBuilder::retries`]).
    retries: Retries,
    auth_store: AuthStore,
    gate: Arc<Gate>,
    pool: Pool,
    pubsub: PubSub,
    realtime: crate::realtime::Realtime,
}

/// A client counted as in flight; see [`BosBase::held`].
pub(crate) struct Held {
    client: BosBase,
    counted: bool,
}

impl std::ops::Deref for Held {
    type Target = BosBase;

    fn deref(&self) -> &BosBase {
        &self.client
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.counted {
            self.client.inner.gate.leave();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        LIVE_CLIENTS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Configures a [`BosBase`] client; every setter says its default.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    lang: String,
    user_agent: String,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: u64,
    max_idle_connections: usize,
    pool_size: usize,
    tls: TlsSettings,
    ca_error: Option<Error>,
    coalesce_writes: bool,
    deferred_resolver: bool,
    proxy: ProxyOption,
    proxy_error: Option<Error>,
    environment: Environment,
    auth_file: Option<std::path::PathBuf>,
    retries: Retries,
}

/// Shows the URL without userinfo and no TLS material.
impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &url::redact_base(&self.base_url))
            .field("lang", &self.lang)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("pool_size", &self.pool_size)
            .field("auth_file", &self.auth_file)
            .field("tls", &self.tls)
            .field("proxy", &self.proxy)
            .field("retries", &self.retries)
            .finish()
    }
}

impl ClientBuilder {
    /// `Accept-Language` sent with every request. Defaults to `en-US`.
    pub fn lang(mut self, lang: &str) -> Self {
        self.lang = lang.to_owned();
        self
    }

    /// `User-Agent`, naming the binding in use. Defaults to `bosbase-rust/<version>`.
    pub fn user_agent(mut self, user_agent: &str) -> Self {
        self.user_agent = user_agent.to_owned();
        self
    }

    /// Deadline of each call, from connecting to the last byte of the answer (sending a
    /// slow body and reading a dripping answer included). A call may set its own with
    /// [`SendOptions::timeout_ms`]. A call of several requests (`getFullList`) has one
    /// deadline for all of them. Defaults to [`DEFAULT_TIMEOUT`] (30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Bound on connecting (TCP connect and TLS handshake), inside the call's deadline.
    /// Defaults to [`DEFAULT_CONNECT_TIMEOUT`] (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Largest answer body read; a larger one fails the call (kind `http` for an error
    /// status, `json` for a 2xx; the status is kept). A full list (`getFullList`) may read
    /// [`FULL_LIST_ANSWERS`](crate::operations::FULL_LIST_ANSWERS) times this over all its
    /// pages. Defaults to [`DEFAULT_MAX_RESPONSE_BYTES`] (10 MiB).
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Retries of idempotent calls (`GET`/`HEAD`, and calls whose options say
    /// [`idempotent`](SendOptions::idempotent)) when the connection was reset before any
    /// byte of the answer, or the server answered 502/503/504 or 429 (honouring
    /// `Retry-After`), with exponential backoff and jitter, all inside the call's one
    /// deadline; a call may set its own ([`SendOptions::retries`]). Errors say how many
    /// attempts were made ([`Error::attempts`]). Defaults to [`Retries::off`] (one attempt).
    pub fn retries(mut self, retries: Retries) -> Self {
        self.retries = retries;
        self
    }

    /// Idle keep-alive connections kept for reuse (per host and in all). Keep it at least
    /// the number of threads calling at once, or calls open new connections. Defaults to
    /// [`DEFAULT_MAX_IDLE_CONNECTIONS`] (64).
    pub fn max_idle_connections(mut self, n: usize) -> Self {
        self.max_idle_connections = n;
        self
    }

    /// Worker threads for asynchronous calls (`.await`, `bosbase_call_async`): at most this
    /// many run at once, the rest queue (their time in the queue counts against their
    /// deadline). A worker starts whenever a call finds none free, with a small (512 KiB)
    /// stack, and exits after 10 s idle. Defaults to [`DEFAULT_POOL_SIZE`] (256).
    pub fn pool_size(mut self, threads: usize) -> Self {
        self.pool_size = threads;
        self
    }

    /// Also trusts the CA certificate(s) in this PEM text, on top of the platform's trust
    /// store (for a server with a private CA). Defaults to the platform's store alone.
    pub fn ca_pem(mut self, pem: &str) -> Self {
        match crate::tls::parse_pem(pem.as_bytes(), "caPem") {
            Ok(certs) => self.tls.extra_roots.extend(certs),
            Err(e) => self.ca_error = Some(e),
        }
        self
    }

    /// Like [`ca_pem`](Self::ca_pem), reading the PEM from a file.
    ///
    /// The file must be a regular file of at most 16 MiB: a FIFO or a device is refused
    /// (`invalid_argument`) instead of blocking the constructor or reading forever.
    pub fn ca_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        match read_ca_file(path.as_ref()) {
            Ok(pem) => match crate::tls::parse_pem(&pem, "caFile") {
                Ok(certs) => self.tls.extra_roots.extend(certs),
                Err(e) => self.ca_error = Some(e),
            },
            Err(why) => self.ca_error = Some(Error::invalid_argument(format!("caFile: {why}"))),
        }
        self
    }

    /// **Development only.** Accepts any server certificate (self-signed, expired, for
    /// another host), which lets anyone on the network read and change the traffic,
    /// passwords and tokens included. Never enable it against a production server.
    /// Defaults to `false`.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.tls.accept_invalid_certs = accept;
        self
    }

    /// Keeps the auth store in the file at `path`, so a login survives a restart: the store
    /// starts with the login the file holds, and every change (an auth call, `save`,
    /// `clear`, `import`, a record refresh…) replaces the file, in order, so it always ends
    /// with the store's final state. Defaults to none (the store lives in memory only).
    ///
    /// - The file holds what [`AuthStore::export`] returns. It is replaced atomically (a new
    ///   file created owner-only, `0600` on Unix, beside it, synced, then renamed over
    ///   it), so it is never seen half-written; a symbolic link at `path` is replaced, not
    ///   followed. The directory must exist; a relative path is resolved against the
    ///   current directory when the client is built.
    /// - A missing file is an empty store. A file that cannot be used (unreadable, not a
    ///   regular file, not JSON, not `{token, record}` as [`AuthStore::import`] checks it)
    ///   is ignored: the store starts empty and [`AuthStore::file_error`] says why (and so
    ///   does a write that failed later); the file is replaced at the next change.
    /// - Two clients or processes on one file: each reads it once, at construction, and
    ///   the last one to change its store wins the file.
    /// - Clients made by [`BosBase::fork`] (what `impersonate` returns) have a store of
    ///   their own in memory and never touch the file.
    ///
    /// An empty path is refused by [`build`](Self::build).
    pub fn auth_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.auth_file = Some(path.into());
        self
    }

    /// The HTTP proxy every connection (calls, realtime, pub/sub) goes through:
    /// `http://[user:password@]host[:port]` (port 80 by default; the credentials are sent as
    /// `Proxy-Authorization: Basic` and never shown in errors or `Debug`), or `"none"` to
    /// connect directly. Either way the environment's `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/
    /// `NO_PROXY` are then not read. Every connection is a `CONNECT` tunnel (for `http`
    /// servers too), so the proxy must allow `CONNECT` to the server's port. SOCKS and
    /// `https://` proxies are refused (`invalid_argument`). Defaults to the environment's
    /// proxy variables (their rules: README, "Proxies").
    pub fn proxy(mut self, proxy: &str) -> Self {
        match ProxyOption::parse(proxy) {
            Ok(p) => {
                self.proxy = p;
                self.proxy_error = None;
            }
            Err(e) => self.proxy_error = Some(e),
        }
        self
    }

    /// Tests only: the proxy environment variables this client reads, instead of the
    /// process's (which are global to the test binary).
    #[doc(hidden)]
    pub fn proxy_environment(mut self, vars: &[(&str, &str)]) -> Self {
        let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.environment = Environment::Fixed(Arc::new(vars));
        self
    }

    /// Bench only: turns the write-coalescing transport and the per-connection resolver (see
    /// `src/transport.rs`, `src/net/connector.rs`) on or off so `make bench` can measure each
    /// side by side (off: ureq's stock resolver, a lookup per request). Defaults to `(true, true)`.
    #[doc(hidden)]
    pub fn transport_tweaks(mut self, coalesce_writes: bool, deferred_resolver: bool) -> Self {
        self.coalesce_writes = coalesce_writes;
        self.deferred_resolver = deferred_resolver;
        self
    }

    /// Builds the client. Refused with `invalid_argument`: a base URL that is not
    /// `http(s)://host[:port][/path]` (userinfo and out-of-range ports included), control
    /// characters in `lang` or `user_agent`, a zero timeout, an unreadable CA.
    pub fn build(self) -> Result<BosBase> {
        check_header_value("lang", &self.lang)?;
        check_header_value("user agent", &self.user_agent)?;
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::invalid_argument("timeouts must be greater than zero"));
        }
        if self.pool_size == 0 {
            return Err(Error::invalid_argument("pool size must be at least 1"));
        }
        self.retries.check()?;
        if let Some(e) = self.ca_error.clone().or(self.proxy_error.clone()) {
            return Err(e);
        }
        if self.auth_file.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(Error::invalid_argument("authFile must not be empty"));
        }
        url::check_base(&url::normalize_base(&self.base_url))?;
        Ok(self.finish())
    }

    /// Builds without refusing (see [`BosBase::new`]); problems surface on every call.
    fn finish(self) -> BosBase {
        let base = url::normalize_base(&self.base_url);
        let base_error = url::check_base(&base)
            .and_then(|()| check_header_value("lang", &self.lang))
            .and_then(|()| check_header_value("user agent", &self.user_agent))
            .err()
            .or(self.ca_error.clone())
            .or(self.proxy_error.clone())
            .or(self.retries.check().err());
        // A refused user agent must not reach ureq's config (it would fail every request later).
        let user_agent = if base_error.is_some() { "bosbase" } else { self.user_agent.as_str() };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.timeout))
            .timeout_connect(Some(self.connect_timeout.min(self.timeout)))
            .max_idle_connections(self.max_idle_connections)
            .max_idle_connections_per_host(self.max_idle_connections)
            .user_agent(user_agent)
            .max_redirects(0)
            .input_buffer_size(CONNECTION_BUFFER_BYTES)
            .output_buffer_size(CONNECTION_BUFFER_BYTES)
            .proxy(None) // ureq's own proxy support would read the environment; `Dial` routes
            .build();
        let net = Net::new(Proxies::new(&self.proxy, &self.environment), user_agent);
        let pubsub = PubSub::new(PubSubTarget {
            base_url: if base_error.is_some() { url::redact_base(&base) } else { base.clone() },
            tls: self.tls.clone(),
            user_agent: user_agent.to_owned(),
            lang: self.lang.clone(),
            connect_timeout: self.connect_timeout.min(self.timeout),
            timeout: self.timeout,
            net: net.clone(),
        });
        let realtime =
            crate::realtime::Realtime::new(self.tls.clone(), net.clone(), self.connect_timeout, self.timeout);
        let connector = Dial::new(net).chain(TlsConnector::new(self.tls));
        let resolver = Deferred::new(self.deferred_resolver);
        let agent =
            ureq::Agent::with_parts(config, connector.chain(Coalescing { coalesce: self.coalesce_writes }), resolver);
        LIVE_CLIENTS.fetch_add(1, Ordering::Relaxed);
        BosBase {
            inner: Arc::new(Inner {
                base_url: if base_error.is_some() { url::redact_base(&base) } else { base },
                base_error,
                lang: self.lang,
                agent,
                timeout: self.timeout,
                max_response_bytes: self.max_response_bytes,
                retries: self.retries,
                auth_store: match self.auth_file {
                    Some(path) if !path.as_os_str().is_empty() => AuthStore::with_file(AuthFile::new(path)),
                    _ => AuthStore::default(),
                },
                gate: Arc::new(Gate::default()),
                pool: Pool::new(self.pool_size),
                pubsub,
                realtime,
            }),
        }
    }
}

/// Largest `caFile` read (a full public CA bundle is well under 1 MiB).
const MAX_CA_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a `caFile`: opened without blocking and only if it is a regular file (a FIFO with
/// no writer would block the constructor forever, `/dev/zero` would never end), bounded.
fn read_ca_file(path: &std::path::Path) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let (file, len) = crate::files::open_regular(path)?;
    if len > MAX_CA_FILE_BYTES {
        return Err(format!("the file is larger than {MAX_CA_FILE_BYTES} bytes"));
    }
    let mut pem = Vec::with_capacity(len as usize);
    file.take(MAX_CA_FILE_BYTES).read_to_end(&mut pem).map_err(|e| format!("cannot read the file ({})", e.kind()))?;
    Ok(pem)
}

impl BosBase {
    /// A client for the server at `base_url` with default settings. Infallible, as the
    /// seeds use it: a malformed URL surfaces as `invalid_argument` on the first call.
    /// Use [`BosBase::builder`] to have it refused up front.
    pub fn new(base_url: &str) -> Self {
        Self::builder(base_url).finish()
    }

    /// A builder to set language, user agent, timeouts, limits and TLS trust.
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            lang: "en-US".to_owned(),
            user_agent: concat!("bosbase-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_idle_connections: DEFAULT_MAX_IDLE_CONNECTIONS,
            pool_size: DEFAULT_POOL_SIZE,
            tls: TlsSettings::default(),
            ca_error: None,
            coalesce_writes: true,
            deferred_resolver: true,
            proxy: ProxyOption::default(),
            proxy_error: None,
            environment: Environment::default(),
            auth_file: None,
            retries: Retries::off(),
        }
    }

    /// The record/auth API of one collection (by name or id).
    pub fn collection(&self, name: &str) -> RecordService {
        RecordService::new(self.clone(), name)
    }

    /// The shared login state.
    pub fn auth_store(&self) -> &AuthStore {
        &self.inner.auth_store
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends any request to `path` (e.g. `/api/health`) and returns the JSON answer
    /// (`Value::Null` for an empty body such as 204). The path may not contain `?`, `#`
    /// or `.`/`..` segments (query parameters go in `options.query`).
    pub fn send(&self, path: &str, options: SendOptions) -> Call<Value> {
        let (path, deadline) = (path.to_owned(), self.deadline(&options));
        self.call(move |client, _| {
            url::check_path(&path)?;
            client.execute(&path, options)
        })
        .with_deadline(deadline)
    }

    /// Runs the operation `name` of the [operation table](crate::operations) with named
    /// `args` (e.g. `{"collection": "users", "token": "…"}`) and `options` (extra body,
    /// query, headers, expand, fields, mfaId, timeoutMs). Unknown names and arguments are
    /// `invalid_argument`.
    pub fn operation(&self, name: &str, args: Map<String, Value>, options: SendOptions) -> Call<Value> {
        let (op, deadline) = (crate::operations::find(name), self.deadline(&options));
        self.call(move |client, ticket| crate::operations::run(client, op?, args, options, ticket))
            .with_deadline(deadline)
    }

    /// The deadline of a request call with `options`: its `timeoutMs`, else the client's.
    pub(crate) fn deadline(&self, options: &SendOptions) -> Duration {
        options.timeout_ms.map_or(self.inner.timeout, Duration::from_millis)
    }

    /// A new client with this one's settings (base URL, language, timeouts, limits, TLS;
    /// the connection pool is shared), its own worker pool and its own auth store, holding
    /// `auth`'s `{token, record}` when given (e.g. the answer of `records.impersonate`).
    /// That store lives in memory: the fork never reads or writes this client's
    /// [auth file](ClientBuilder::auth_file).
    /// An `auth` without a string `token` and an object `record` is `invalid_argument`.
    pub fn fork(&self, auth: Option<&Value>) -> Result<BosBase> {
        let login = match auth {
            None => None,
            Some(a) => match (a.get("token").and_then(Value::as_str), a.get("record")) {
                (Some(token), Some(record @ Value::Object(_))) if !token.is_empty() => Some((token, record.clone())),
                _ => return Err(Error::invalid_argument("auth must be an object with a `token` and a `record`")),
            },
        };
        if let Some((token, _)) = &login {
            crate::auth_store::check_token(token)?;
        }
        let _in_flight = self.inner.gate.enter()?;
        LIVE_CLIENTS.fetch_add(1, Ordering::Relaxed);
        let inner = &self.inner;
        let forked = BosBase {
            inner: Arc::new(Inner {
                base_url: inner.base_url.clone(),
                base_error: inner.base_error.clone(),
                lang: inner.lang.clone(),
                agent: inner.agent.clone(),
                timeout: inner.timeout,
                max_response_bytes: inner.max_response_bytes,
                retries: inner.retries,
                auth_store: AuthStore::default(),
                gate: Arc::new(Gate::default()),
                pool: Pool::new(inner.pool.max_threads()),
                pubsub: inner.pubsub.fork(),
                realtime: {
                    let t = inner.pubsub.target();
                    crate::realtime::Realtime::new(t.tls.clone(), t.net.clone(), t.connect_timeout, t.timeout)
                },
            }),
        };
        if let Some((token, record)) = login {
            forked.auth_store().save(token, record)?;
        }
        Ok(forked)
    }

    /// Closes the client: new calls (on this handle and every clone) fail with
    /// [`ErrorKind::Closed`] without sending anything, realtime and pub/sub stop, and this
    /// returns once the calls already running have finished (each is bounded by its
    /// timeout), every started `.await`/completion has been delivered and no realtime or
    /// pub/sub callback of this client is running. Idempotent.
    ///
    /// Called from inside a callback of this library — an auth-store listener, a realtime
    /// or pub/sub callback, a completion — of this client or any other, it does not wait:
    /// it refuses new calls, stops realtime and pub/sub, and returns at once; the calls
    /// still running (the one that runs the callback included) finish on their own. So a
    /// listener may close its client during an awaited or waited call, and clients may
    /// close each other from their callbacks, without deadlock. Call `close` again outside
    /// a callback to wait for what still runs.
    pub fn close(&self) {
        self.inner.realtime.close();
        self.inner.gate.close();
        self.inner.pubsub.close();
    }

    /// Fails as a call on this client would before sending anything: `closed`, or the
    /// refused base URL of [`BosBase::new`]. Waits for nothing.
    pub(crate) fn check_open(&self) -> Result<()> {
        if self.inner.gate.is_closed() {
            return Err(Error::closed());
        }
        match &self.inner.base_error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The release's two halves. First, on the caller's thread: new calls, subscriptions and
    /// listeners are refused (`closed`) from now on; nothing is waited for.
    pub(crate) fn refuse_new(&self) {
        self.inner.gate.refuse_new();
    }

    /// Second, on a library thread: [`close`](Self::close), then waits for the threads
    /// close leaves to end on their own (a pub/sub socket thread still connecting).
    pub(crate) fn close_and_join(&self) {
        self.close();
        self.inner.pubsub.join_rest();
    }

    /// This client's pub/sub connection state.
    pub(crate) fn pubsub_state(&self) -> &PubSub {
        &self.inner.pubsub
    }

    /// This client counted as in flight until the result is dropped, so `close` waits for
    /// it (every C entry point that takes a client handle holds one: after
    /// `bosbase_client_close` returns, none of them still runs on the handle, and the clone
    /// keeps the core alive for the entry point even if the handle is freed meanwhile).
    /// Admitted after close too, uncounted (see [`Gate::hold`]); calls still refuse then.
    pub(crate) fn held(&self) -> Held {
        Held { counted: self.inner.gate.hold(), client: self.clone() }
    }

    /// Like [`held`](Self::held), refused with `closed` once close began (entry points that
    /// start something: a subscription, a listener, an auth-store change).
    pub(crate) fn entered(&self) -> Result<Held> {
        self.inner.gate.try_enter()?;
        Ok(Held { counted: true, client: self.clone() })
    }

    /// Operations counted in flight on this client (tests: an entry point is held).
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.inner.gate.in_flight()
    }

    pub(crate) fn realtime_part(&self) -> &crate::realtime::Realtime {
        &self.inner.realtime
    }

    /// True once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.gate.is_closed()
    }

    /// A call that runs `job` while the client is open; every public operation is one.
    pub(crate) fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&BosBase, &Ticket) -> Result<T> + Send + 'static,
    ) -> Call<T> {
        let client = self.clone();
        Call::admitted(self.inner.pool.clone(), Arc::clone(&self.inner.gate), move |ticket| {
            let _in_flight = client.inner.gate.enter()?;
            if let Some(e) = &client.inner.base_error {
                return Err(e.clone());
            }
            job(&client, ticket)
        })
    }

    /// Worker-pool threads alive in this process, all clients together (a bench and test
    /// hook: `.await` must not cost a thread per call).
    #[doc(hidden)]
    pub fn live_workers() -> usize {
        Pool::live_workers()
    }

    /// Host-name lookups made in this process so far, all clients together (a test and
    /// bench hook: names are resolved per connection through a short cache, not per call).
    #[doc(hidden)]
    pub fn name_lookups() -> usize {
        crate::net::names::lookups()
    }

    /// How many native clients are alive in this process (a leak check for bindings).
    pub fn live_clients() -> usize {
        LIVE_CLIENTS.load(Ordering::Relaxed)
    }

    /// The one place a request is made: headers, auth, body, deadline, error decoding.
    pub(crate) fn execute(&self, path: &str, options: SendOptions) -> Result<Value> {
        self.execute_raw(path, options)?.json()
    }

    /// [`execute`](Self::execute) up to the body of a 2xx answer, read whole (bounded by
    /// `max_response_bytes`) and not parsed: callers that only pass JSON on (a full list's
    /// pages) parse it their own way.
    pub(crate) fn execute_raw(&self, path: &str, options: SendOptions) -> Result<RawAnswer> {
        options.check()?;
        let method = options.method()?;
        let url = url::build(&self.inner.base_url, path, &options.query);
        let timeout = options.timeout_ms.map(Duration::from_millis);
        let timeout = crate::call::charge_queue_wait(timeout, self.inner.timeout, &url)?;
        let idempotent = matches!(method, "GET" | "HEAD") || options.idempotent == Some(true);
        // Every current file part can be sent again (bytes, or a path reopened per attempt).
        let replayable = options.files.iter().all(crate::FilePart::replayable);
        let retries = match idempotent && replayable {
            true => options.retries.unwrap_or(self.inner.retries),
            false => Retries::off(),
        };
        let stop = || self.is_closed() || crate::call::cancelled();
        crate::retry::run(retries, timeout, self.inner.timeout, stop, |timeout| {
            self.attempt(method, &url, &options, timeout)
        })
    }

    /// One request of [`execute_raw`](Self::execute_raw), sent with `timeout` (None: the
    /// client's), its answer read whole; a failure says whether it may be retried.
    fn attempt(
        &self,
        method: &'static str,
        url: &str,
        options: &SendOptions,
        timeout: Option<Duration>,
    ) -> std::result::Result<RawAnswer, Failed> {
        let mut response = self.send_once(method, url, options, timeout)?;
        let status = response.status().as_u16();
        let retry = crate::retry::Retry::of_answer(status, response.headers());
        let limit = self.inner.max_response_bytes;
        let bytes = response.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => {
                let kind = if (200..300).contains(&status) { ErrorKind::Json } else { ErrorKind::Http };
                Error::new(kind, url, format!("the answer's body is larger than the {limit}-byte limit"))
            }
            other => Error::from_transport(url, other),
        });
        // The answer arrived: whatever happens to its body, the caller learns its status.
        let bytes = bytes.map_err(|e| Failed::answered(e.with_status(status), retry))?;
        if !(200..300).contains(&status) {
            let error = Error::from_response(url, status, &String::from_utf8_lossy(&bytes));
            return Err(Failed::answered(error, retry));
        }
        Ok(RawAnswer { url: url.to_owned(), status, bytes })
    }

    /// Sends a request once (headers, auth, body, deadline) and returns its URL and the
    /// answer, whose body is not read yet: a download streams it. Never retried (a download
    /// may have written bytes before it fails).
    pub(crate) fn send_request(
        &self,
        path: &str,
        options: SendOptions,
    ) -> Result<(String, ureq::http::Response<ureq::Body>)> {
        options.check()?;
        let method = options.method()?;
        let url = url::build(&self.inner.base_url, path, &options.query);
        let timeout = options.timeout_ms.map(Duration::from_millis);
        let timeout = crate::call::charge_queue_wait(timeout, self.inner.timeout, &url)?;
        let response = self.send_once(method, &url, &options, timeout).map_err(|f| f.error)?;
        Ok((url, response))
    }

    /// Builds and sends one request; the answer's body is left unread.
    fn send_once(
        &self,
        method: &'static str,
        url: &str,
        options: &SendOptions,
        timeout: Option<Duration>,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, Failed> {
        let refuse = Failed::fatal;
        let has = |name: &str| options.headers.keys().any(|k| k.eq_ignore_ascii_case(name));
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        if !has("accept-language") {
            req = req.header("Accept-Language", &self.inner.lang);
        }
        // The longest line of the request head: ureq writes each line whole into the buffer.
        let mut longest = url.len() + method.len() + " HTTP/1.1\r\n ".len();
        if !has("authorization") {
            if let Some(token) = self.inner.auth_store.auth_header() {
                longest = longest.max(token.len() + "Authorization: \r\n".len());
                req = req.header("Authorization", token);
            }
        }
        for (name, value) in &options.headers {
            longest = longest.max(name.len() + value.len() + ": \r\n".len());
            req = req.header(name, value);
        }
        let line = longest;
        crate::transport::forget_answer();
        let sent = if !options.files.is_empty() {
            if matches!(method, "GET" | "HEAD") {
                return Err(refuse(Error::invalid_argument("file parts need a method with a body (POST, PATCH, PUT)")));
            }
            // Streamed with its exact length: a path part is never read whole into memory.
            // A retried upload reports its progress from 0 again.
            let multipart = crate::files::multipart(options.body.as_ref(), &options.files).map_err(refuse)?;
            let req = req
                .header("Content-Type", &multipart.content_type)
                .header("Content-Length", multipart.length)
                .body(match &options.progress {
                    None => ureq::SendBody::from_owned_reader(multipart.reader),
                    Some(p) => {
                        let reporter = crate::progress::Reporter::new(p.clone(), multipart.length);
                        ureq::SendBody::from_owned_reader(crate::progress::Counted {
                            inner: multipart.reader,
                            reporter,
                        })
                    }
                });
            self.run(req.map_err(|_| refuse(invalid_request(url)))?, timeout, line)
        } else {
            let body = match (&options.body, method) {
                (None, _) | (_, "GET" | "HEAD") => None,
                (Some(b), _) => Some(
                    serde_json::to_vec(b).map_err(|_| refuse(Error::invalid_argument("body is not serialisable")))?,
                ),
            };
            match body {
                Some(bytes) => {
                    let req = req.header("Content-Type", "application/json").body(bytes);
                    self.run(req.map_err(|_| refuse(invalid_request(url)))?, timeout, line)
                }
                None => self.run(req.body(()).map_err(|_| refuse(invalid_request(url)))?, timeout, line),
            }
        };
        sent.map_err(|e| Failed::transport(url, e))
    }

    /// The deadline of a call that sets none ([`ClientBuilder::timeout`]).
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.agent.config().timeouts().global.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The largest answer body read ([`ClientBuilder::max_response_bytes`]).
    pub(crate) fn max_response_bytes(&self) -> u64 {
        self.inner.max_response_bytes
    }

    /// Sends `req` with its own deadline when `timeout` is set, and on a connection of its
    /// own whose write buffer holds its longest head line when `line` exceeds the shared
    /// connections' (a filter of many kilobytes); either way only when needed, since a
    /// request-level setting clones the agent's config.
    fn run<B: ureq::AsSendBody>(
        &self,
        req: ureq::http::Request<B>,
        timeout: Option<Duration>,
        line: usize,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let buffer = (line > CONNECTION_BUFFER_BYTES).then(|| line.next_power_of_two());
        if timeout.is_none() && buffer.is_none() {
            return self.inner.agent.run(req);
        }
        let mut req = self.inner.agent.configure_request(req);
        if let Some(t) = timeout {
            req = req.timeout_global(Some(t));
        }
        if let Some(bytes) = buffer {
            req = req.output_buffer_size(bytes);
        }
        self.inner.agent.run(req.build())
    }
}

/// The body of a 2xx answer as it arrived, with its status and URL (for errors).
pub(crate) struct RawAnswer {
    pub(crate) url: String,
    pub(crate) status: u16,
    pub(crate) bytes: Vec<u8>,
}

impl RawAnswer {
    /// The body as JSON; an empty body (e.g. 204) is `null`.
    pub(crate) fn json(self) -> Result<Value> {
        if self.bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.bytes).map_err(|e| self.invalid_json(&e))
    }

    /// A `json` error for a body that does not parse, keeping the status. The body may hold
    /// secrets (it is a success answer): the message says only where parsing failed.
    pub(crate) fn invalid_json(&self, e: &serde_json::Error) -> Error {
        let message = format!("invalid JSON in the response (line {}, column {})", e.line(), e.column());
        Error::new(ErrorKind::Json, &self.url, message).with_status(self.status)
    }
}

fn invalid_request(url: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, url, "invalid request URL or header")
}

impl fmt::Debug for BosBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BosBase")
            .field("base_url", &self.inner.base_url)
            .field("lang", &self.inner.lang)
            .field("auth_store", &self.inner.auth_store)
            .field("closed", &self.is_closed())
            .finish()
    }
}

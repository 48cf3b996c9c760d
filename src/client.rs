//! `BosBase`: the blocking, thread-safe client every language binding wraps.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use ureq::unversioned::transport::{Connector, DefaultConnector};

use crate::transport::{Coalescing, LiteralResolver};
use crate::{url, AuthStore, Call, Error, RecordService, Result, SendOptions};

/// Native clients alive right now (bindings check their handles are freed).
static LIVE_CLIENTS: AtomicUsize = AtomicUsize::new(0);

/// A BosBase client. Cheap to clone (clones share one connection pool and one
/// auth store) and safe to use from many threads at once.
#[derive(Clone)]
pub struct BosBase {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: String,
    lang: String,
    agent: ureq::Agent,
    auth_store: AuthStore,
}

impl Drop for Inner {
    fn drop(&mut self) {
        LIVE_CLIENTS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Configures a [`BosBase`] client; every setter says its default.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    base_url: String,
    lang: String,
    user_agent: String,
    timeout: Option<Duration>,
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

    /// Timeout for connecting, for the answer to start and for its body to arrive (each).
    /// Defaults to 30 seconds; `None` waits forever.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the client. Refused with `invalid_argument`: a base URL that is not
    /// `http(s)://host[:port][/path]`, and CR/LF/NUL in `lang` or `user_agent`.
    pub fn build(self) -> Result<BosBase> {
        if [&self.lang, &self.user_agent].iter().any(|s| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))) {
            return Err(Error::invalid_argument("lang and user agent must not contain CR, LF or NUL"));
        }
        url::check_base(&url::normalize_base(&self.base_url))?;
        Ok(self.finish())
    }

    /// Builds without checks (see [`BosBase::new`]).
    fn finish(self) -> BosBase {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Per-phase timeouts, not `timeout_global`: ureq re-arms socket timeouts on every
            // read/write for a global deadline, which measured 3-5x slower per call (make bench).
            .timeout_connect(self.timeout)
            .timeout_recv_response(self.timeout)
            .timeout_recv_body(self.timeout)
            .user_agent(self.user_agent.as_str())
            .max_redirects(0)
            .build();
        LIVE_CLIENTS.fetch_add(1, Ordering::Relaxed);
        BosBase {
            inner: Arc::new(Inner {
                base_url: url::normalize_base(&self.base_url),
                lang: self.lang,
                agent: ureq::Agent::with_parts(
                    config,
                    DefaultConnector::new().chain(Coalescing),
                    LiteralResolver::default(),
                ),
                auth_store: AuthStore::default(),
            }),
        }
    }
}

impl BosBase {
    /// A client for the server at `base_url` with default settings. Infallible, as the
    /// seeds use it: a malformed URL surfaces as `invalid_argument` on the first call.
    /// Use [`BosBase::builder`] to have it refused up front.
    pub fn new(base_url: &str) -> Self {
        Self::builder(base_url).finish()
    }

    /// A builder to set language, user agent and timeout.
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            lang: "en-US".to_owned(),
            user_agent: concat!("bosbase-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Some(Duration::from_secs(30)),
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
    /// (`Value::Null` for an empty body such as 204).
    pub fn send(&self, path: &str, options: SendOptions) -> Call<Value> {
        let client = self.clone();
        let path = path.to_owned();
        Call::new(move || client.execute(&path, options))
    }

    /// How many native clients are alive in this process (a leak check for bindings).
    pub fn live_clients() -> usize {
        LIVE_CLIENTS.load(Ordering::Relaxed)
    }

    /// The one place a request is made: headers, auth, body, error decoding.
    pub(crate) fn execute(&self, path: &str, options: SendOptions) -> Result<Value> {
        options.check_headers()?;
        let method = options.method()?;
        let url = url::build(&self.inner.base_url, path, &options.query);
        let has = |name: &str| options.headers.keys().any(|k| k.eq_ignore_ascii_case(name));
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if !has("accept-language") {
            req = req.header("Accept-Language", &self.inner.lang);
        }
        if !has("authorization") {
            if let Some(token) = self.inner.auth_store.valid_token() {
                req = req.header("Authorization", token);
            }
        }
        for (name, value) in &options.headers {
            req = req.header(name, value);
        }
        let body = match (&options.body, method) {
            (None, _) | (_, "GET" | "HEAD") => None,
            (Some(b), _) => Some(serde_json::to_vec(b).map_err(|e| Error::invalid_argument(e.to_string()))?),
        };
        let sent = match body {
            Some(bytes) => {
                let req = req.header("Content-Type", "application/json").body(bytes);
                self.inner.agent.run(req.map_err(|_| invalid_request(&url))?)
            }
            None => self.inner.agent.run(req.body(()).map_err(|_| invalid_request(&url))?),
        };
        let mut response = sent.map_err(|e| Error::from_transport(&url, e))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| Error::from_transport(&url, e))?;
        if !(200..300).contains(&status) {
            return Err(Error::from_response(&url, status, &text));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| {
            // The body may hold secrets (it is a success answer): report only where parsing failed.
            Error::new(
                crate::ErrorKind::Json,
                &url,
                format!("invalid JSON in the response (line {}, column {})", e.line(), e.column()),
            )
        })
    }
}

fn invalid_request(url: &str) -> Error {
    Error::new(crate::ErrorKind::InvalidArgument, url, "invalid request URL or header")
}

impl fmt::Debug for BosBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BosBase")
            .field("base_url", &self.inner.base_url)
            .field("lang", &self.inner.lang)
            .field("auth_store", &self.inner.auth_store)
            .finish()
    }
}

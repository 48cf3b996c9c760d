//! The all-in-one OAuth2 sign-in (the JS SDK's `authWithOAuth2`): list the collection's
//! auth methods, subscribe to `@oauth2` on realtime, hand the provider's URL (PKCE from the
//! server, the realtime clientId as `state`, `redirect_uri` = `<base>/api/oauth2-redirect`)
//! to the caller, wait for the redirect's message, then exchange the code and save the login.

use std::fmt;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use percent_encoding::{percent_decode_str, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::call::Ticket;
use crate::realtime::RealtimeEvent;
use crate::{BosBase, Call, Error, ErrorKind, RecordService, Result, SendOptions, SubscribeOptions};

/// The deadline of [`RecordService::auth_with_oauth2`] when the call's options set no
/// `timeoutMs`: 5 minutes, since a person signs in at the provider meanwhile.
pub const OAUTH2_DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How often a waiting flow looks at its cancellation and deadline.
const POLL: Duration = Duration::from_millis(50);

/// The realtime topic PocketBase's `/api/oauth2-redirect` publishes the redirect on.
const TOPIC: &str = "@oauth2";

/// What the OAuth2 flow takes besides the provider (all optional). The C ABI takes it as
/// `{"scopes": ["a", "b"], "createData": {...}, "urlQuery": {...}}`.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OAuth2Options {
    /// Scopes replacing the provider's defaults in the authorization URL. Defaults to none
    /// (the server's scopes).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Fields of the account created on a first sign-in. Defaults to none.
    #[serde(default, rename = "createData")]
    pub create_data: Map<String, Value>,
    /// Extra query parameters of the authorization URL (e.g. `prompt`, `login_hint`);
    /// they replace parameters of the same name. Defaults to none.
    #[serde(default, rename = "urlQuery")]
    pub url_query: Map<String, Value>,
}

/// Shows the scopes and only the names of the rest (`createData` may hold a password).
impl fmt::Debug for OAuth2Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Options")
            .field("scopes", &self.scopes)
            .field("create_data_keys", &self.create_data.keys().collect::<Vec<_>>())
            .field("url_query_keys", &self.url_query.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl OAuth2Options {
    /// Sets the scopes.
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a field of the account created on a first sign-in.
    pub fn create_data(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.create_data.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a query parameter of the authorization URL.
    pub fn url_query(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.url_query.insert(key.to_owned(), value.into());
        self
    }

    pub(crate) fn from_json(json: &str) -> Result<Self> {
        crate::request::parse_json(json, "OAuth2 options JSON")
    }
}

impl RecordService {
    /// Signs in with the OAuth2 `provider` (a name from `list_auth_methods`, e.g. `"google"`)
    /// as the JS SDK's `authWithOAuth2` does, and saves `{token, record}` (plus `meta`).
    ///
    /// `open_url` gets the provider's authorization URL once, on the thread running the call
    /// (a worker for `.await`): open it in a browser (`xdg-open`, `open`, `start`) or show it.
    /// The provider sends the browser to the server's `/api/oauth2-redirect`, which hands the
    /// code over realtime (`@oauth2`) to this client; a message whose `state` is not this
    /// client's is ignored. `options` go to the code exchange; their `timeoutMs` bounds the
    /// whole flow (default [`OAUTH2_DEFAULT_TIMEOUT`]); past it the call fails `timeout`.
    /// Dropping the future, or a cancel, ends it with `cancelled`. A refusal by the provider
    /// is kind `oauth2`; an unknown provider `invalid_argument`. On any failure the auth store
    /// is unchanged. Run one flow per client at a time (they would share one `state`).
    pub fn auth_with_oauth2(
        &self,
        provider: &str,
        oauth2: OAuth2Options,
        options: SendOptions,
        open_url: impl FnOnce(&str) + Send + 'static,
    ) -> Call<Value> {
        let (collection, provider) = (self.name.clone(), provider.to_owned());
        let deadline = options.timeout_ms.map_or(OAUTH2_DEFAULT_TIMEOUT, Duration::from_millis);
        self.client
            .call(move |client, ticket| {
                let flow = Flow { client, collection, ticket, end: Instant::now() + deadline, deadline };
                flow.run(&provider, oauth2, options, open_url)
            })
            .with_deadline(deadline)
    }
}

/// One running flow.
struct Flow<'a> {
    client: &'a BosBase,
    collection: String,
    ticket: &'a Ticket,
    end: Instant,
    deadline: Duration,
}

impl Flow<'_> {
    fn run(
        &self,
        provider: &str,
        oauth2: OAuth2Options,
        options: SendOptions,
        open_url: impl FnOnce(&str),
    ) -> Result<Value> {
        if provider.is_empty() {
            return Err(Error::invalid_argument("OAuth2 provider name is empty"));
        }
        let methods = self.operation("records.listAuthMethods", Map::new(), SendOptions::default())?;
        let info = find_provider(&methods, provider)?;
        let redirect_url = format!("{}/api/oauth2-redirect", self.client.base_url());

        let (tx, rx) = mpsc::channel();
        let sub = self.client.realtime().subscribe_nowait(
            TOPIC,
            &SubscribeOptions::default(),
            std::sync::Arc::new(move |event: &RealtimeEvent| {
                let _ = tx.send(event.clone());
            }),
        )?;
        sub.wait_ready(self.left()?)?;
        let state = self.client.realtime().client_id().ok_or_else(|| {
            Error::new(ErrorKind::Network, "", "the realtime stream closed before the OAuth2 flow began")
        })?;
        let mut params: Vec<(String, String)> =
            vec![("state".into(), state.clone()), ("redirect_uri".into(), redirect_url.clone())];
        if !oauth2.scopes.is_empty() {
            params.push(("scope".into(), oauth2.scopes.join(" ")));
        }
        for (k, v) in &oauth2.url_query {
            params.push((k.clone(), as_text(v)));
        }
        let url = with_params(&info.auth_url, &params);
        self.check()?;
        crate::gate::callback(|| open_url(&url));

        let code = self.wait_for_code(&rx, &state)?;
        drop(sub); // before the login changes: that reopens the stream under a new clientId
        let mut args = Map::new();
        args.insert("provider".into(), Value::String(info.name));
        args.insert("code".into(), Value::String(code));
        args.insert("codeVerifier".into(), Value::String(info.code_verifier));
        args.insert("redirectURL".into(), Value::String(redirect_url));
        args.insert("createData".into(), Value::Object(oauth2.create_data));
        self.operation("records.authWithOAuth2Code", args, options)
    }

    /// Runs a row with this collection under what is left of the flow's deadline (and never
    /// more than the client's per-request timeout); the flow's ticket decides the effect.
    fn operation(&self, name: &str, mut args: Map<String, Value>, mut options: SendOptions) -> Result<Value> {
        self.check()?;
        let per_request = self.client.deadline(&SendOptions::default());
        options.timeout_ms = Some(self.left()?.min(per_request).as_millis().max(1) as u64);
        args.insert("collection".into(), Value::String(self.collection.clone()));
        crate::operations::run(self.client, crate::operations::find(name)?, args, options, self.ticket)
    }

    fn wait_for_code(&self, rx: &mpsc::Receiver<RealtimeEvent>, state: &str) -> Result<String> {
        loop {
            self.check()?;
            match rx.recv_timeout(self.left()?.min(POLL)) {
                Ok(RealtimeEvent::Message { data, .. }) => match judge(&data, state) {
                    Verdict::Ignore => {}
                    Verdict::Code(code) => return Ok(code),
                    Verdict::Fail(e) => return Err(e),
                },
                Ok(RealtimeEvent::Failed { error, .. }) => return Err(error),
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::new(ErrorKind::Cancelled, "", "the OAuth2 subscription was removed"))
                }
            }
        }
    }

    /// `cancelled` once the call was cancelled, `timeout` once its deadline passed.
    fn check(&self) -> Result<()> {
        if self.ticket.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled, "", "the call was cancelled"));
        }
        self.left().map(|_| ())
    }

    fn left(&self) -> Result<Duration> {
        match self.end.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(left),
            _ => Err(Error::new(
                ErrorKind::Timeout,
                "",
                format!("no OAuth2 redirect arrived within the call's {} ms deadline", self.deadline.as_millis()),
            )),
        }
    }
}

/// The parts of a provider from `listAuthMethods` the flow needs.
struct ProviderInfo {
    name: String,
    auth_url: String,
    code_verifier: String,
}

fn find_provider(methods: &Value, name: &str) -> Result<ProviderInfo> {
    let providers = methods.pointer("/oauth2/providers").and_then(Value::as_array);
    let found = providers.into_iter().flatten().find(|p| p.get("name").and_then(Value::as_str) == Some(name));
    let Some(p) = found else {
        return Err(Error::invalid_argument(format!("no enabled OAuth2 provider named {name:?} in this collection")));
    };
    let text = |key: &str| p.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let auth_url = text("authURL");
    if !auth_url.starts_with("http://") && !auth_url.starts_with("https://") {
        return Err(Error::new(ErrorKind::Json, "", format!("the server gave provider {name:?} no usable authURL")));
    }
    Ok(ProviderInfo { name: name.to_owned(), auth_url, code_verifier: text("codeVerifier") })
}

/// What one `@oauth2` message means for a flow whose `state` is `state`.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Another flow's message (or garbage): keep waiting.
    Ignore,
    Code(String),
    Fail(Error),
}

fn judge(data: &Value, state: &str) -> Verdict {
    let field = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or_default();
    if state.is_empty() || field("state") != state {
        return Verdict::Ignore;
    }
    match (field("code"), field("error")) {
        (code, "") if !code.is_empty() => Verdict::Code(code.to_owned()),
        (_, error) => {
            // The provider's error code is no secret, but it is foreign text: bound and clean it.
            let error: String = error.chars().filter(|c| !c.is_control()).take(200).collect();
            let message = match error.is_empty() {
                true => "the OAuth2 redirect carried no code".to_owned(),
                false => format!("the OAuth2 provider refused the sign-in: {error}"),
            };
            Verdict::Fail(Error::new(ErrorKind::OAuth2, "", message))
        }
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `url` with each of `params` set: a parameter already there is replaced in place, the
/// others are appended; the rest of the query is kept as it was.
fn with_params(url: &str, params: &[(String, String)]) -> String {
    let (url, fragment) = url.split_once('#').map_or((url, None), |(u, f)| (u, Some(f)));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let encode = |s: &str| utf8_percent_encode(s, crate::url::URI_COMPONENT).to_string();
    let pair = |k: &str, v: &str| format!("{}={}", encode(k), encode(v));
    let mut done = vec![false; params.len()];
    let mut out: Vec<String> = Vec::new();
    for raw in query.split('&').filter(|p| !p.is_empty()) {
        let key = raw.split('=').next().unwrap_or_default().replace('+', " ");
        let key = percent_decode_str(&key).decode_utf8_lossy().into_owned();
        match params.iter().position(|(k, _)| *k == key) {
            Some(i) if done[i] => {} // a repeated parameter we set: drop the copy
            Some(i) => {
                done[i] = true;
                out.push(pair(&params[i].0, &params[i].1));
            }
            None => out.push(raw.to_owned()),
        }
    }
    for (i, (k, v)) in params.iter().enumerate() {
        if !done[i] {
            out.push(pair(k, v));
        }
    }
    let mut full = format!("{base}?{}", out.join("&"));
    if let Some(f) = fragment {
        full.push('#');
        full.push_str(f);
    }
    full
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_of_another_state_are_ignored() {
        assert_eq!(judge(&json!({"state": "other", "code": "c"}), "mine"), Verdict::Ignore);
        assert_eq!(judge(&json!({"code": "c"}), "mine"), Verdict::Ignore);
        assert_eq!(judge(&json!("text"), "mine"), Verdict::Ignore);
        assert_eq!(judge(&json!({"state": "", "code": "c"}), ""), Verdict::Ignore);
        assert_eq!(judge(&json!({"state": "mine", "code": "c"}), "mine"), Verdict::Code("c".into()));
    }

    #[test]
    fn a_provider_error_or_no_code_is_kind_oauth2() {
        for data in [json!({"state": "s", "error": "access_denied"}), json!({"state": "s", "code": ""})] {
            match judge(&data, "s") {
                Verdict::Fail(e) => assert_eq!(e.kind(), ErrorKind::OAuth2, "{e}"),
                other => panic!("{other:?}"),
            }
        }
        let Verdict::Fail(e) = judge(&json!({"state": "s", "code": "c", "error": "x\ny"}), "s") else { panic!() };
        assert!(e.to_string().contains("xy"), "{e}");
    }

    #[test]
    fn url_parameters_are_replaced_in_place_or_appended() {
        let url = "http://p/auth?client_id=a&scope=openid+email&state=x&redirect_uri=";
        let params = [
            ("state".to_owned(), "S1".to_owned()),
            ("redirect_uri".to_owned(), "http://h:1/api/oauth2-redirect".to_owned()),
            ("scope".to_owned(), "a b".to_owned()),
            ("prompt".to_owned(), "consent".to_owned()),
        ];
        assert_eq!(
            with_params(url, &params),
            "http://p/auth?client_id=a&scope=a%20b&state=S1&redirect_uri=http%3A%2F%2Fh%3A1%2Fapi%2Foauth2-redirect&prompt=consent"
        );
        assert_eq!(with_params("http://p/a#f", &params[..1]), "http://p/a?state=S1#f");
        assert_eq!(with_params("http://p/a?state=1&state=2", &params[..1]), "http://p/a?state=S1");
    }

    #[test]
    fn options_json_is_strict() {
        let o =
            OAuth2Options::from_json(r#"{"scopes": ["a"], "createData": {"n": 1}, "urlQuery": {"p": "x"}}"#).unwrap();
        assert_eq!(o, OAuth2Options::default().scopes(["a"]).create_data("n", 1).url_query("p", "x"));
        assert!(OAuth2Options::from_json(r#"{"scope": "a"}"#).is_err());
        let secret = OAuth2Options::default().create_data("password", "hunter2-secret");
        assert!(!format!("{secret:?}").contains("hunter2"), "{secret:?}");
    }
}

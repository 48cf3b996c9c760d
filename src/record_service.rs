//! Auth-collection endpoints: custom token binding and login, password login, refresh.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::{url, BosBase, Call, Error, ErrorKind, SendOptions};

/// The API of one collection, from [`BosBase::collection`].
///
/// Each method returns a [`Call`]: `.await` it on any executor, or `.wait()` to block.
/// The `*_with` forms take [`SendOptions`] (extra body, query, headers, expand, fields, mfaId).
#[derive(Clone, Debug)]
pub struct RecordService {
    client: BosBase,
    base_path: String,
    empty_name: bool,
}

impl RecordService {
    pub(crate) fn new(client: BosBase, collection: &str) -> Self {
        let base_path = format!("/api/collections/{}", url::segment(collection));
        RecordService { client, base_path, empty_name: collection.is_empty() }
    }

    /// A call on this collection: refused up front when the name is empty.
    fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&BosBase, &str) -> crate::Result<T> + Send + 'static,
    ) -> Call<T> {
        let (path, empty) = (self.base_path.clone(), self.empty_name);
        self.client.call(move |client| match empty {
            true => Err(Error::invalid_argument("collection name is empty")),
            false => job(client, &path),
        })
    }

    /// Binds `token` to the account `email`/`password` of this collection.
    /// Returns `true`; never touches the auth store.
    pub fn bind_custom_token(
        &self,
        email: &str,
        password: &str,
        token: &str,
        body: HashMap<String, Value>,
        query: HashMap<String, Value>,
    ) -> Call<bool> {
        self.bind_custom_token_with(email, password, token, options(body, query))
    }

    /// [`bind_custom_token`](Self::bind_custom_token) with full options.
    pub fn bind_custom_token_with(&self, email: &str, password: &str, token: &str, options: SendOptions) -> Call<bool> {
        self.token_binding("/bind-token", email, password, token, options)
    }

    /// Stops accepting `token` for the account. Returns `true` (also when it was not bound);
    /// never touches the auth store.
    pub fn unbind_custom_token(
        &self,
        email: &str,
        password: &str,
        token: &str,
        body: HashMap<String, Value>,
        query: HashMap<String, Value>,
    ) -> Call<bool> {
        self.unbind_custom_token_with(email, password, token, options(body, query))
    }

    /// [`unbind_custom_token`](Self::unbind_custom_token) with full options.
    pub fn unbind_custom_token_with(
        &self,
        email: &str,
        password: &str,
        token: &str,
        options: SendOptions,
    ) -> Call<bool> {
        self.token_binding("/unbind-token", email, password, token, options)
    }

    /// Signs in with a bound custom token and saves `{token, record}` in the auth store.
    /// Returns the server's answer (`auth["token"]`, `auth["record"]`).
    /// Pass `mfa_id` to finish an MFA login begun with another method.
    pub fn auth_with_token(
        &self,
        token: &str,
        body: HashMap<String, Value>,
        query: HashMap<String, Value>,
        mfa_id: Option<&str>,
    ) -> Call<Value> {
        self.auth_with_token_with(token, with_mfa(options(body, query), mfa_id))
    }

    /// [`auth_with_token`](Self::auth_with_token) with full options.
    pub fn auth_with_token_with(&self, token: &str, options: SendOptions) -> Call<Value> {
        self.auth("/auth-with-token", fields([("token", token)]), options)
    }

    /// Signs in with identity (email) and password and saves `{token, record}`.
    /// Pass `mfa_id` to finish an MFA login begun with another method.
    pub fn auth_with_password(
        &self,
        identity: &str,
        password: &str,
        body: HashMap<String, Value>,
        query: HashMap<String, Value>,
        mfa_id: Option<&str>,
    ) -> Call<Value> {
        self.auth_with_password_with(identity, password, with_mfa(options(body, query), mfa_id))
    }

    /// [`auth_with_password`](Self::auth_with_password) with full options.
    pub fn auth_with_password_with(&self, identity: &str, password: &str, options: SendOptions) -> Call<Value> {
        self.auth("/auth-with-password", fields([("identity", identity), ("password", password)]), options)
    }

    /// Refreshes the stored token (sent as `Authorization`) and saves the answer.
    pub fn auth_refresh(&self, body: HashMap<String, Value>, query: HashMap<String, Value>) -> Call<Value> {
        self.auth_refresh_with(options(body, query))
    }

    /// [`auth_refresh`](Self::auth_refresh) with full options.
    pub fn auth_refresh_with(&self, options: SendOptions) -> Call<Value> {
        self.auth("/auth-refresh", Map::new(), options)
    }

    /// Sends a request to `path` relative to this collection
    /// (`"/bind-token"` → `/api/collections/{name}/bind-token`). Saves nothing.
    pub fn send(&self, path: &str, options: SendOptions) -> Call<Value> {
        let path = path.to_owned();
        self.call(move |client, base| {
            url::check_path(&path)?;
            client.execute(&format!("{base}/{}", path.trim_start_matches('/')), options)
        })
    }

    fn token_binding(
        &self,
        action: &str,
        email: &str,
        password: &str,
        token: &str,
        options: SendOptions,
    ) -> Call<bool> {
        let typed = fields([("email", email), ("password", password), ("token", token)]);
        let action = action.to_owned();
        self.call(move |client, base| {
            client.execute(&format!("{base}{action}"), options.merged("POST", typed)?)?;
            Ok(true)
        })
    }

    fn auth(&self, action: &str, typed: Map<String, Value>, options: SendOptions) -> Call<Value> {
        let action = action.to_owned();
        self.call(move |client, base| {
            let path = format!("{base}{action}");
            let url = format!("{}{path}", client.base_url());
            let answer = client.execute(&path, options.merged("POST", typed)?)?;
            match (answer.get("token").and_then(Value::as_str), answer.get("record")) {
                (Some(token), Some(record @ Value::Object(_))) => {
                    client.auth_store().save(token, record.clone());
                    Ok(answer)
                }
                _ => Err(Error::new(ErrorKind::Json, &url, "auth response without `token` and `record`")),
            }
        })
    }
}

fn options(body: HashMap<String, Value>, query: HashMap<String, Value>) -> SendOptions {
    let mut o = SendOptions::new("POST");
    o.body = Some(Value::Object(body.into_iter().collect()));
    o.query = query.into_iter().collect();
    o
}

fn with_mfa(mut o: SendOptions, mfa_id: Option<&str>) -> SendOptions {
    o.mfa_id = mfa_id.map(str::to_owned);
    o
}

fn fields<const N: usize>(pairs: [(&str, &str); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), Value::String(v.to_owned()))).collect()
}

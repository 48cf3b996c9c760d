//! Typed methods of one collection; each is a row of the operation table (`operations.rs`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::{url, BosBase, Call, Error, SendOptions};

/// The API of one collection, from [`BosBase::collection`].
///
/// Each method returns a [`Call`]: `.await` it on any executor, or `.wait()` to block.
/// The `*_with` forms take [`SendOptions`] (extra body, query, headers, expand, fields, mfaId).
#[derive(Clone, Debug)]
pub struct RecordService {
    pub(crate) client: BosBase,
    pub(crate) name: String,
}

impl RecordService {
    pub(crate) fn new(client: BosBase, collection: &str) -> Self {
        RecordService { client, name: collection.to_owned() }
    }

    /// Runs a row of the operation table with this collection and `args` (name, string).
    fn op(&self, name: &str, args: &[(&str, &str)], options: SendOptions) -> Call<Value> {
        let mut named = Map::new();
        named.insert("collection".to_owned(), Value::String(self.name.clone()));
        for (k, v) in args {
            named.insert((*k).to_owned(), Value::String((*v).to_owned()));
        }
        self.client.operation(name, named, options)
    }

    /// Runs a row of the operation table with this collection and named `args` (the
    /// generated methods in `services_gen.rs`).
    pub(crate) fn operation(&self, name: &str, mut args: Map<String, Value>, options: SendOptions) -> Call<Value> {
        args.insert("collection".to_owned(), Value::String(self.name.clone()));
        self.client.operation(name, args, options)
    }

    /// A bool-returning row (`true` on success).
    fn op_true(&self, name: &str, args: &[(&str, &str)], options: SendOptions) -> Call<bool> {
        self.op(name, args, options).map(|v| v == Value::Bool(true))
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
        self.op_true("records.bindCustomToken", &[("email", email), ("password", password), ("token", token)], options)
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
        self.op_true(
            "records.unbindCustomToken",
            &[("email", email), ("password", password), ("token", token)],
            options,
        )
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
        self.op("records.authWithToken", &[("token", token)], options)
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
        self.op("records.authWithPassword", &[("identity", identity), ("password", password)], options)
    }

    /// Refreshes the stored token (sent as `Authorization`) and saves the answer.
    pub fn auth_refresh(&self, body: HashMap<String, Value>, query: HashMap<String, Value>) -> Call<Value> {
        self.auth_refresh_with(options(body, query))
    }

    /// [`auth_refresh`](Self::auth_refresh) with full options.
    pub fn auth_refresh_with(&self, options: SendOptions) -> Call<Value> {
        self.op("records.authRefresh", &[], options)
    }

    /// Superusers only: a new client, with this client's settings and its own auth store,
    /// signed in as the account `id` of this collection with a non-refreshable token
    /// (`duration` in seconds; 0 means the collection's default). This client's store is
    /// untouched.
    pub fn impersonate(&self, id: &str, duration: i64, options: SendOptions) -> Call<BosBase> {
        let mut args = Map::new();
        args.insert("collection".to_owned(), Value::String(self.name.clone()));
        args.insert("id".to_owned(), Value::String(id.to_owned()));
        args.insert("duration".to_owned(), Value::from(duration));
        let client = self.client.clone();
        self.client.operation("records.impersonate", args, options).and_then(move |auth| client.fork(Some(&auth)))
    }

    /// Sends a request to `path` relative to this collection
    /// (`"/bind-token"` → `/api/collections/{name}/bind-token`). Saves nothing.
    pub fn send(&self, path: &str, options: SendOptions) -> Call<Value> {
        let (path, name, deadline) = (path.to_owned(), self.name.clone(), self.client.deadline(&options));
        self.client
            .call(move |client, _| {
                if name.is_empty() {
                    return Err(Error::invalid_argument("collection name is empty"));
                }
                url::check_path(&path)?;
                let full = format!("/api/collections/{}/{}", url::segment(&name), path.trim_start_matches('/'));
                client.execute(&full, options)
            })
            .with_deadline(deadline)
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

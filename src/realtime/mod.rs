//! Realtime subscriptions: record changes (and custom topics) pushed by the server over
//! one server-sent-events stream per client.
//!
//! ```no_run
//! use bosbase::{BosBase, RealtimeEvent, SubscribeOptions};
//!
//! # fn demo() -> Result<(), bosbase::Error> {
//! let pb = BosBase::new("http://127.0.0.1:8090");
//! let sub = pb
//!     .collection("posts")
//!     .subscribe("*", SubscribeOptions::default(), |event: &RealtimeEvent| {
//!         if let (Some(action), Some(record)) = (event.action(), event.record()) {
//!             println!("{action}: {}", record["id"]);
//!         }
//!     })
//!     .wait()?; // returns once the server confirmed the subscription
//! // ... events arrive on the client's realtime thread ...
//! sub.unsubscribe(); // (dropping `sub` does the same)
//! # Ok(()) }
//! ```
//!
//! **Threads.** While at least one subscription exists a client runs two threads: one
//! reads the stream (it never waits for a consumer), one runs every callback of the
//! client, one at a time. Callbacks may call the client back (subscribe, unsubscribe,
//! blocking calls), but while one runs, the client's other callbacks wait.
//!
//! **Order and overflow.** Events of one subscription arrive in the server's order. Each
//! subscription queues at most [`QUEUE_CAPACITY`] undelivered events and
//! [`QUEUE_MAX_BYTES`](crate::QUEUE_MAX_BYTES) bytes; when a slow callback lets it fill up,
//! the *oldest* queued message is dropped (the newest state wins; the
//! `Subscribed`/`Failed` notices never are) and [`Subscription::dropped`] counts it.
//!
//! **Reconnecting.** A lost stream is reopened after `min(250 ms × 2ⁿ, 10 s)` scaled by a
//! random 50–100 % (n = attempts since the last healthy connection: one whose subscriptions
//! the server accepted and that stayed up 10 s), and every subscription is submitted again.
//! The stream counts as connected only once the server accepted the subscription POST: a
//! refused one (other than a 400, which fails the subscriptions it names) cuts the stream and
//! is retried with that backoff, and `subscribe(...).wait()` reports the refusal. Any login change (login, re-login, logout) reopens
//! it at once under a new clientId, so events follow the new user's access rules.
//! [`RealtimeService::on_state`] reports `Connected`, `Disconnected { cause }` and
//! `Reconnected` so an app can refetch what it may have missed. The stream has no read
//! deadline (the server closes an idle one after 5 minutes; it is then reopened).

mod engine;
mod receiver;
mod sse;
mod stream;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::utf8_percent_encode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub(crate) use engine::Realtime;
use engine::Shared;
pub use receiver::{EventReceiver, Next};

use crate::delivery::{Item, Mode, PushFn, Queued};
use crate::{BosBase, Call, Error, RecordService, Result};

/// Undelivered events a subscription queues before dropping the oldest.
pub const QUEUE_CAPACITY: usize = engine::QUEUE_CAPACITY;

/// What a subscription's callback receives.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RealtimeEvent {
    /// The server accepted the subscription; comes first, once.
    Subscribed {
        /// The subscribed topic, as given.
        topic: String,
    },
    /// A message of the topic: for record topics `{"action": "create"|"update"|"delete",
    /// "record": {...}}`, for custom topics whatever the server sent (a string when it was
    /// not JSON).
    Message {
        /// The subscribed topic, as given.
        topic: String,
        /// The message's data.
        data: Value,
    },
    /// The server refused the subscription (e.g. an invalid topic); no event follows.
    Failed {
        /// The subscribed topic, as given.
        topic: String,
        /// Why.
        error: Error,
    },
}

impl RealtimeEvent {
    /// The subscribed topic.
    pub fn topic(&self) -> &str {
        match self {
            RealtimeEvent::Subscribed { topic }
            | RealtimeEvent::Message { topic, .. }
            | RealtimeEvent::Failed { topic, .. } => topic,
        }
    }

    /// The record action (`create`, `update`, `delete`) of a record event.
    pub fn action(&self) -> Option<&str> {
        match self {
            RealtimeEvent::Message { data, .. } => data.get("action").and_then(Value::as_str),
            _ => None,
        }
    }

    /// The record of a record event.
    pub fn record(&self) -> Option<&Value> {
        match self {
            RealtimeEvent::Message { data, .. } => data.get("record").filter(|r| r.is_object()),
            _ => None,
        }
    }

    /// The JSON form the C ABI delivers:
    /// `{"type": "subscribed", "topic"}`,
    /// `{"type": "event", "topic", "event": "create", "record": {...}}` (record topics),
    /// `{"type": "event", "topic", "data": ...}` (other topics),
    /// `{"type": "error", "topic", "error": {error JSON}}`.
    pub fn to_json(&self) -> Value {
        match self {
            RealtimeEvent::Subscribed { topic } => json!({"type": "subscribed", "topic": topic}),
            RealtimeEvent::Message { topic, data } => match (self.action(), self.record()) {
                (Some(action), Some(record)) => {
                    json!({"type": "event", "topic": topic, "event": action, "record": record})
                }
                _ => json!({"type": "event", "topic": topic, "data": data}),
            },
            RealtimeEvent::Failed { topic, error } => {
                json!({"type": "error", "topic": topic, "error": error.to_json()})
            }
        }
    }
}

/// The connection's state changes, for [`RealtimeService::on_state`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// The stream is open and the server accepted the subscriptions (first time since the
    /// realtime threads started).
    Connected,
    /// The stream was lost; a reconnect follows.
    Disconnected {
        /// Why, in a short phrase (no secrets).
        cause: String,
    },
    /// The stream is open again and every subscription was submitted again; events sent
    /// while disconnected were missed.
    Reconnected,
}

impl ConnectionState {
    /// `{"state": "connected"}`, `{"state": "disconnected", "cause": "..."}` or
    /// `{"state": "reconnected"}`.
    pub fn to_json(&self) -> Value {
        match self {
            ConnectionState::Connected => json!({"state": "connected"}),
            ConnectionState::Disconnected { cause } => json!({"state": "disconnected", "cause": cause}),
            ConnectionState::Reconnected => json!({"state": "reconnected"}),
        }
    }
}

/// A subscription's callback; runs on the client's realtime dispatch thread.
pub type EventCallback = Arc<dyn Fn(&RealtimeEvent) + Send + Sync>;
/// A connection-state listener; runs on the client's realtime dispatch thread.
pub type StateListener = Arc<dyn Fn(&ConnectionState) + Send + Sync>;

/// Options of a subscription, applied by the server to the events it sends (the access
/// rules see `query` and `headers` as if they came with a request). All optional; the C
/// ABI takes them as `{"query": {}, "headers": {}, "filter": "", "expand": "", "fields": ""}`.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SubscribeOptions {
    /// Query parameters (values sent as strings). Defaults to none.
    #[serde(default)]
    pub query: Map<String, Value>,
    /// Headers. Defaults to none.
    #[serde(default)]
    pub headers: HashMap<String, String>,
    /// Only events whose record matches this filter. Defaults to none.
    #[serde(default)]
    pub filter: Option<String>,
    /// Relations to expand in the record. Defaults to none.
    #[serde(default)]
    pub expand: Option<String>,
    /// Fields of the record to send. Defaults to all.
    #[serde(default)]
    pub fields: Option<String>,
}

/// Shows names only (header values may be credentials).
impl fmt::Debug for SubscribeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscribeOptions")
            .field("query_keys", &self.query.keys().collect::<Vec<_>>())
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .field("filter", &self.filter.as_ref().map(|_| "<set>"))
            .field("expand", &self.expand)
            .field("fields", &self.fields)
            .finish()
    }
}

impl SubscribeOptions {
    /// Sets `filter`.
    pub fn filter(mut self, filter: &str) -> Self {
        self.filter = Some(filter.to_owned());
        self
    }

    /// Sets `expand`.
    pub fn expand(mut self, expand: &str) -> Self {
        self.expand = Some(expand.to_owned());
        self
    }

    /// Sets `fields`.
    pub fn fields(mut self, fields: &str) -> Self {
        self.fields = Some(fields.to_owned());
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.query.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }

    pub(crate) fn from_json(json: &str) -> Result<Self> {
        crate::request::parse_json(json, "subscribe options JSON")
    }

    /// The key PocketBase uses for a topic with options (as its JS SDK does):
    /// `topic?options=<percent-encoded {"query": {...}, "headers": {...}}>`.
    fn key(&self, topic: &str) -> String {
        let mut query: Map<String, Value> = Map::new();
        for (k, v) in &self.query {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            query.insert(k.clone(), Value::String(v));
        }
        for (k, v) in [("filter", &self.filter), ("expand", &self.expand), ("fields", &self.fields)] {
            if let Some(v) = v {
                query.insert(k.to_owned(), Value::String(v.clone()));
            }
        }
        if query.is_empty() && self.headers.is_empty() {
            return topic.to_owned();
        }
        let mut options = Map::new();
        if !query.is_empty() {
            options.insert("query".into(), Value::Object(query));
        }
        if !self.headers.is_empty() {
            let headers = self.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            options.insert("headers".into(), Value::Object(headers));
        }
        let sep = if topic.contains('?') { '&' } else { '?' };
        let encoded = utf8_percent_encode(&Value::Object(options).to_string(), crate::url::URI_COMPONENT).to_string();
        format!("{topic}{sep}options={encoded}")
    }
}

/// A live subscription. Dropping it unsubscribes (keep it as long as you want events).
/// While any subscription of a client is active, its realtime threads (which hold the
/// client) run: drop or unsubscribe them, or close the client, to end them.
pub struct Subscription {
    shared: Arc<Shared>,
    id: u64,
    topic: String,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription").field("topic", &self.topic).field("active", &self.is_active()).finish()
    }
}

impl Subscription {
    /// The topic, as given.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Stops the events. When this returns the callback is not running on another thread
    /// and never runs again (called from inside the callback itself, it returns at once and
    /// that call finishes). Idempotent; the last subscription of a client stops its
    /// realtime threads.
    pub fn unsubscribe(&self) {
        self.shared.remove(|id, _| id == self.id);
    }

    /// Events dropped because the callback fell [`QUEUE_CAPACITY`] events or
    /// [`QUEUE_MAX_BYTES`](crate::QUEUE_MAX_BYTES) bytes behind.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped(self.id)
    }

    /// False once unsubscribed (by this handle, by topic or prefix, or by closing the client).
    pub fn is_active(&self) -> bool {
        self.shared.is_active(self.id)
    }

    /// Pull mode: the oldest queued entry, or `None` (empty or gone).
    pub(crate) fn pull(&self) -> Option<Queued<RealtimeEvent>> {
        self.shared.pull(self.id)
    }

    /// Waits until the server confirmed the subscription: `Ok`, the server's refusal, or
    /// `timeout`/`closed`/`cancelled` (unsubscribed meanwhile).
    pub fn wait_ready(&self, timeout: Duration) -> Result<()> {
        self.shared.wait_ready(self.id, timeout)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.unsubscribe();
    }
}

/// Realtime API of a client, from [`BosBase::realtime`].
#[derive(Clone, Debug)]
pub struct RealtimeService {
    client: BosBase,
}

/// Identifies a listener registered with [`RealtimeService::on_state`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateListenerId(pub u64);

impl BosBase {
    /// The realtime API: subscriptions and connection state.
    pub fn realtime(&self) -> RealtimeService {
        RealtimeService { client: self.clone() }
    }
}

impl RealtimeService {
    /// Subscribes to `topic` (`"posts/*"`, `"posts/RECORD_ID"`, or a custom topic);
    /// `callback` gets a [`RealtimeEvent::Subscribed`] first, then the topic's messages.
    /// The call completes once the server confirmed the subscription (or refused it, or
    /// the client's timeout passed; the subscription is then removed).
    pub fn subscribe(
        &self,
        topic: &str,
        options: SubscribeOptions,
        callback: impl Fn(&RealtimeEvent) + Send + Sync + 'static,
    ) -> Call<Subscription> {
        let (topic, callback): (String, EventCallback) = (topic.to_owned(), Arc::new(callback));
        self.client.call(move |client, _| {
            let sub = client.realtime().subscribe_nowait(&topic, &options, callback)?;
            sub.wait_ready(sub.shared.timeout)?;
            Ok(sub)
        })
    }

    /// Like [`subscribe`](Self::subscribe), with the events pulled from an [`EventReceiver`]
    /// (blocking `recv`, or `next().await` on any executor) instead of pushed to a callback.
    /// The receiver ends once the subscription is gone.
    pub fn subscribe_receiver(&self, topic: &str, options: SubscribeOptions) -> Call<(Subscription, EventReceiver)> {
        let (tx, rx) = receiver::channel();
        self.subscribe(topic, options, move |e: &RealtimeEvent| tx.send(e)).map(|sub| (sub, rx))
    }

    /// Like [`subscribe`](Self::subscribe) without waiting for the server: returns at once
    /// (the C ABI's form). Fails only for an invalid topic, a closed client or no thread.
    pub fn subscribe_nowait(
        &self,
        topic: &str,
        options: &SubscribeOptions,
        callback: EventCallback,
    ) -> Result<Subscription> {
        // Rust callbacks get the events and notices; state changes go to `on_state`.
        let push: PushFn<RealtimeEvent> = Arc::new(move |entry: &Queued<RealtimeEvent>| {
            if let Item::Event(event) = &entry.item {
                callback(event)
            }
        });
        self.subscribe_mode(topic, options, Mode::Push(push))
    }

    /// [`subscribe_nowait`](Self::subscribe_nowait) with the delivery mode given (the C
    /// ABI's push and pull subscriptions). Waits for no thread and no worker.
    pub(crate) fn subscribe_mode(
        &self,
        topic: &str,
        options: &SubscribeOptions,
        mode: Mode<RealtimeEvent>,
    ) -> Result<Subscription> {
        self.client.check_open()?; // closed, or a refused base URL
        if topic.is_empty() {
            return Err(Error::invalid_argument("topic is empty"));
        }
        if topic.chars().any(char::is_control) {
            return Err(Error::invalid_argument("topic must not contain control characters"));
        }
        let shared = Arc::clone(&self.inner().shared);
        let id = shared.add(&self.client, topic, options.key(topic), mode)?;
        Ok(Subscription { shared, id, topic: topic.to_owned() })
    }

    fn inner(&self) -> &Realtime {
        self.client.realtime_part()
    }

    /// Removes every subscription to exactly `topic` (with any options); returns how many.
    /// Their handles stay valid but inactive. The same guarantee as
    /// [`Subscription::unsubscribe`] holds for each.
    pub fn unsubscribe(&self, topic: &str) -> usize {
        self.inner().shared.remove(|_, t| t == topic)
    }

    /// Removes every subscription whose topic starts with `prefix`; returns how many.
    pub fn unsubscribe_by_prefix(&self, prefix: &str) -> usize {
        self.inner().shared.remove(|_, t| t.starts_with(prefix))
    }

    /// Realtime threads of this client alive now (a leak-check hook for tests and bindings).
    #[doc(hidden)]
    pub fn live_threads(&self) -> usize {
        self.inner().shared.live_threads.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// (queued events, their estimated bytes) over every subscription: a test hook for the
    /// bounds.
    #[doc(hidden)]
    pub fn backlog(&self) -> (usize, usize) {
        self.inner().shared.backlog()
    }

    /// True while the stream is open (a clientId is held).
    pub fn is_connected(&self) -> bool {
        self.inner().shared.is_connected()
    }

    /// The current stream's clientId (None while disconnected); the OAuth2 flow's `state`.
    pub fn client_id(&self) -> Option<String> {
        self.inner().shared.client_id()
    }

    /// Registers a connection-state listener; it runs on the realtime dispatch thread,
    /// in order with the events.
    pub fn on_state(&self, listener: impl Fn(&ConnectionState) + Send + Sync + 'static) -> Result<StateListenerId> {
        self.inner().shared.add_state_listener(Arc::new(listener)).map(StateListenerId)
    }

    /// Unregisters a state listener; false when unknown. When this returns the listener is
    /// not running on another thread and never runs again (from inside itself: returns at once).
    pub fn remove_state_listener(&self, id: StateListenerId) -> bool {
        self.inner().shared.remove_state_listener(id.0)
    }
}

impl RecordService {
    /// Subscribes to changes of this collection's records: `topic` is `"*"` (every record
    /// the user may list) or a record id. See [`RealtimeService::subscribe`].
    pub fn subscribe(
        &self,
        topic: &str,
        options: SubscribeOptions,
        callback: impl Fn(&RealtimeEvent) + Send + Sync + 'static,
    ) -> Call<Subscription> {
        self.client.realtime().subscribe(&format!("{}/{topic}", self.name), options, callback)
    }

    /// Removes this collection's subscriptions to `topic` (`"*"` or a record id), or all of
    /// them with `None`; returns how many.
    pub fn unsubscribe(&self, topic: Option<&str>) -> usize {
        let realtime = self.client.realtime();
        match topic {
            Some(t) => realtime.unsubscribe(&format!("{}/{t}", self.name)),
            None => realtime.unsubscribe_by_prefix(&format!("{}/", self.name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_js_sdk() {
        assert_eq!(SubscribeOptions::default().key("posts/*"), "posts/*");
        let key = SubscribeOptions::default().filter("title = 'a b'").query("n", 1).key("posts/*");
        let (topic, options) = key.split_once("?options=").unwrap();
        assert_eq!(topic, "posts/*");
        let decoded = percent_encoding::percent_decode_str(options).decode_utf8().unwrap();
        let v: Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(v, json!({"query": {"filter": "title = 'a b'", "n": "1"}}));
        assert!(!options.contains(' ') && !options.contains('"') && !options.contains('&'));
        assert!(SubscribeOptions::default().header("x", "y").key("a?b=1").starts_with("a?b=1&options="));
    }

    #[test]
    fn event_json_shapes() {
        let record = RealtimeEvent::Message {
            topic: "posts/*".into(),
            data: json!({"action": "create", "record": {"id": "r1"}}),
        };
        assert_eq!(record.action(), Some("create"));
        assert_eq!(
            record.to_json(),
            json!({"type": "event", "topic": "posts/*", "event": "create", "record": {"id": "r1"}})
        );
        let custom = RealtimeEvent::Message { topic: "news".into(), data: json!("hi") };
        assert_eq!(custom.to_json(), json!({"type": "event", "topic": "news", "data": "hi"}));
        assert_eq!(
            RealtimeEvent::Subscribed { topic: "t".into() }.to_json(),
            json!({"type": "subscribed", "topic": "t"})
        );
        assert_eq!(
            ConnectionState::Disconnected { cause: "x".into() }.to_json(),
            json!({"state": "disconnected", "cause": "x"})
        );
    }

    #[test]
    fn options_json_is_strict_and_debug_hides_values() {
        assert!(SubscribeOptions::from_json(r#"{"filter": "a = 1", "headers": {"x": "secret"}}"#).is_ok());
        assert!(SubscribeOptions::from_json(r#"{"filtre": "a"}"#).is_err());
        assert!(SubscribeOptions::from_json("[]").is_err());
        let o = SubscribeOptions::default().header("Authorization", "secret-token").filter("pw = 'x'");
        let shown = format!("{o:?}");
        assert!(!shown.contains("secret-token") && !shown.contains("pw ="), "{shown}");
    }
}

//! The realtime engine of one client: the subscription table, the SSE reader thread and
//! the dispatcher thread that runs callbacks.
//!
//! * **Reader** (`bosbase-realtime-sse`): connects `GET /api/realtime`, parses the stream
//!   ([`super::sse`]), on `PB_CONNECT` submits every subscription (`POST /api/realtime`
//!   with the auth header), then routes each message into the queues of the
//!   subscriptions whose key equals the event name. It never waits for a consumer: a
//!   full queue (by count or bytes, [`EventQueue`]) drops its oldest event and counts it.
//!   The stream is `connected` only once the server accepted the subscription POST. On a
//!   lost stream it reconnects with backoff and jitter, started over only after a
//!   connection that was accepted and stayed up [`HEALTHY`]; on a login change it
//!   reconnects at once (a new clientId, authorised as the new user).
//! * **Dispatcher** (`bosbase-realtime-dispatch`): runs every event and state callback of
//!   the client, one at a time (events of one subscription in order, subscriptions served
//!   round-robin), and schedules re-submissions on the client's worker pool when the
//!   subscription set changes while connected.
//!
//! Both threads exist only while at least one subscription does. Lock order: the auth
//! store's delivery lock, then `State`; nothing here calls into the auth store or a
//! callback while holding `State`.

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use ureq::unversioned::transport::Connector;

use super::sse::Parser;
use super::stream::Cut;
use super::{ConnectionState, RealtimeEvent, StateListener};
use crate::delivery::{value_bytes, Item, Kind, Mailbox, Mode, Queued, Work as Due};
use crate::net::connector::{Deferred, Dial};
use crate::tls::{TlsConnector, TlsSettings};
use crate::{BosBase, Error, ErrorKind, Result, SendOptions};

/// Events queued per subscription before the oldest is dropped (see `QUEUE_CAPACITY` docs
/// in the crate: drop-oldest, counted by `Subscription::dropped`).
pub(crate) const QUEUE_CAPACITY: usize = crate::delivery::QUEUE_MAX_EVENTS;
/// Backoff before reconnect attempt n (0-based): `min(250 ms * 2^n, 10 s)`, then a random
/// 50–100 % of that (jitter); back to the start after a healthy connection.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// A connection whose subscriptions the server accepted and that stayed up this long was
/// healthy: the backoff starts over after it (a server that accepts and drops streams is
/// retried at the longest backoff, not every 250 ms).
const HEALTHY: Duration = BACKOFF_MAX;
/// Largest line or message accepted from the stream.
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// The realtime part of a client (a field of the client's shared state).
pub(crate) struct Realtime {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    cut: Cut,
    agent: ureq::Agent,
    /// How long `subscribe(...).wait()` waits for the server to confirm.
    pub(crate) timeout: Duration,
    /// Serialises subscription submissions so the last one sent carries the latest set.
    submit_lock: Mutex<()>,
    auth_listener: std::sync::Once,
    /// Realtime threads of this client alive now (a test hook for leak checks).
    pub(crate) live_threads: Arc<std::sync::atomic::AtomicUsize>,
    /// Tests: how long each realtime thread lingers after its loop ended (makes a join on
    /// the caller's thread observable).
    #[cfg(test)]
    pub(crate) exit_delay: Mutex<Duration>,
}

impl Shared {
    /// Tests only: the thread's exit takes `exit_delay`.
    fn linger(&self) {
        #[cfg(test)]
        thread::sleep(*self.exit_delay.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// Counts a realtime thread alive from its creation to its end.
struct Alive(Arc<std::sync::atomic::AtomicUsize>);

impl Alive {
    fn new(counter: &Arc<std::sync::atomic::AtomicUsize>) -> Self {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Alive(Arc::clone(counter))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    Sub(u64),
    State(u64),
}

#[derive(Default)]
struct State {
    closed: bool,
    subs: BTreeMap<u64, Sub>,
    next_id: u64,
    /// Bumped on every change of the set of submitted keys.
    version: u64,
    session: Option<Session>,
    session_counter: u64,
    /// Threads of stopped sessions, joined by the next start or by close.
    stale: Vec<JoinHandle<()>>,
    /// Subscriptions with queued events, each once, served round-robin.
    ready: VecDeque<u64>,
    state_queue: VecDeque<ConnectionState>,
    state_listeners: Vec<(u64, StateListener)>,
    /// Callbacks running now, and on which thread.
    running: Vec<(Target, ThreadId)>,
    /// The current stream's clientId and a counter of connections.
    client_id: Option<String>,
    conn_gen: u64,
    /// (conn_gen, version) last acknowledged by the server.
    submitted: (u64, u64),
    submit_running: bool,
    /// The token the current stream was authorised with (never shown anywhere).
    token: String,
    /// Set by a login change: reconnect without backoff.
    reconnect_now: bool,
    /// The server's last refusal of a subscription POST other than a 400 (which fails the
    /// subscriptions at once): what `wait_ready` reports instead of a bare timeout.
    refusal: Option<Error>,
}

struct Session {
    id: u64,
    threads: Vec<JoinHandle<()>>,
}

#[derive(Clone, PartialEq, Debug)]
enum Status {
    Pending,
    Ready,
    Failed(Error),
}

struct Sub {
    /// The topic as given (`posts/*`).
    topic: String,
    /// What is submitted and what the server names its events: the topic plus
    /// `?options=<JSON>` when there are options.
    key: String,
    mailbox: Mailbox<RealtimeEvent>,
    status: Status,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Realtime {
    pub(crate) fn new(tls: TlsSettings, net: crate::net::Net, connect_timeout: Duration, timeout: Duration) -> Self {
        let user_agent = net.user_agent().to_owned();
        let cut = Cut::new();
        // No overall deadline and none on the body: the stream lives until the server closes it
        // (it does after 5 idle minutes) or the client cuts it. Connecting and the response
        // head keep the client's bounds.
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(None)
            .timeout_connect(Some(connect_timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_recv_body(None)
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .user_agent(&user_agent)
            .max_redirects(0)
            .proxy(None) // routed by `Dial`, like the client's calls
            .build();
        let connector = Dial::new(net).chain(TlsConnector::new(tls)).chain(cut.clone());
        let resolver = Deferred::new(true);
        let agent = ureq::Agent::with_parts(config, connector, resolver);
        Realtime {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
                cut,
                agent,
                timeout,
                submit_lock: Mutex::new(()),
                auth_listener: std::sync::Once::new(),
                live_threads: Arc::default(),
                #[cfg(test)]
                exit_delay: Mutex::new(Duration::ZERO),
            }),
        }
    }

    /// Stops the threads (joining them, except the calling thread's own), forgets every
    /// subscription; later subscribes fail with `closed`. Idempotent.
    pub(crate) fn close(&self) {
        // Callbacks are dropped after the lock is released: one may own a Subscription, whose
        // drop takes the lock.
        let (handles, _subs, _listeners) = {
            let mut st = lock(&self.shared.state);
            st.closed = true;
            st.ready.clear();
            st.state_queue.clear();
            stop_session(&mut st);
            (std::mem::take(&mut st.stale), std::mem::take(&mut st.subs), std::mem::take(&mut st.state_listeners))
        };
        self.shared.cut.cut();
        self.shared.changed.notify_all();
        // From inside a callback, joining could wait for a thread that waits for this one
        // (clients closing each other): the threads exit by themselves (see `gate`).
        if !crate::gate::in_callback() {
            join_all(handles);
        }
        // A callback still running on another thread (its dispatcher was just joined, so only
        // one on this very thread remains) has finished.
    }
}

fn stop_session(st: &mut State) {
    if let Some(session) = st.session.take() {
        st.stale.extend(session.threads);
    }
    st.client_id = None;
}

/// Joins threads other than the calling one (a callback that unsubscribes the last
/// subscription or closes the client runs on the dispatcher it would otherwise wait for).
fn join_all(handles: Vec<JoinHandle<()>>) -> Vec<JoinHandle<()>> {
    let me = thread::current().id();
    let mut own = Vec::new();
    for h in handles {
        if h.thread().id() == me {
            own.push(h);
        } else {
            let _ = h.join();
        }
    }
    own
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn active(st: &State, session: u64) -> bool {
        !st.closed && st.session.as_ref().is_some_and(|s| s.id == session)
    }

    /// Adds a subscription and starts the threads if needed. Does not wait for the server,
    /// and joins no thread: the threads of a stopped session exit by themselves (close
    /// joins what is left), so subscribing never waits for a thread to end.
    pub(crate) fn add(
        self: &Arc<Self>,
        client: &BosBase,
        topic: &str,
        key: String,
        mode: Mode<RealtimeEvent>,
    ) -> Result<u64> {
        self.listen_to_auth(client);
        let mut st = self.lock();
        // Dropping the handle of a finished thread frees it; the others stay for close.
        st.stale.retain(|h| !h.is_finished());
        if st.closed {
            return Err(Error::closed());
        }
        st.next_id += 1;
        let id = st.next_id;
        let sub = Sub { topic: topic.to_owned(), key, mailbox: Mailbox::new(mode), status: Status::Pending };
        st.subs.insert(id, sub);
        st.version += 1;
        if st.session.is_none() {
            if let Err(e) = self.start(&mut st, client) {
                st.subs.remove(&id);
                return Err(e);
            }
        }
        drop(st);
        self.changed.notify_all();
        Ok(id)
    }

    fn start(self: &Arc<Self>, st: &mut State, client: &BosBase) -> Result<()> {
        st.session_counter += 1;
        let id = st.session_counter;
        let spawn_error = |e: std::io::Error| {
            Error::new(ErrorKind::Network, "", format!("could not start a realtime thread: {}", e.kind()))
        };
        let (shared, pb, alive) = (Arc::clone(self), client.clone(), Alive::new(&self.live_threads));
        let reader = thread::Builder::new()
            .name("bosbase-realtime-sse".into())
            .spawn(move || {
                let _alive = alive;
                read_loop(&shared, &pb, id);
                shared.linger();
            })
            .map_err(spawn_error)?;
        let (shared, pb, alive) = (Arc::clone(self), client.clone(), Alive::new(&self.live_threads));
        let dispatcher = match thread::Builder::new().name("bosbase-realtime-dispatch".into()).spawn(move || {
            let _alive = alive;
            dispatch_loop(&shared, &pb, id);
            shared.linger();
        }) {
            Ok(h) => h,
            Err(e) => {
                st.stale.push(reader);
                self.cut.cut();
                return Err(spawn_error(e));
            }
        };
        st.session = Some(Session { id, threads: vec![reader, dispatcher] });
        st.client_id = None;
        st.reconnect_now = false;
        Ok(())
    }

    /// Registers (once per client) the auth-store listener that reconnects on a login change.
    fn listen_to_auth(self: &Arc<Self>, client: &BosBase) {
        self.auth_listener.call_once(|| {
            let weak = Arc::downgrade(self);
            client.auth_store().on_change(Arc::new(move |token: &str, _record: &Value| {
                let Some(shared) = weak.upgrade() else { return };
                let mut st = shared.lock();
                if st.session.is_none() || st.token == token {
                    return;
                }
                st.reconnect_now = true;
                drop(st);
                shared.cut.cut();
                shared.changed.notify_all();
            }));
        });
    }

    /// Removes subscriptions chosen by `pick`; returns how many. When this returns, their
    /// callbacks are not running on another thread and never run again.
    pub(crate) fn remove(&self, pick: impl Fn(u64, &str) -> bool) -> usize {
        let mut st = self.lock();
        let ids: Vec<u64> = st.subs.iter().filter(|(id, s)| pick(**id, &s.topic)).map(|(id, _)| *id).collect();
        if ids.is_empty() {
            return 0;
        }
        // Dropped when this returns, after the lock is released (a callback may own a
        // Subscription, whose drop takes the lock).
        let _removed: Vec<Sub> = ids.iter().filter_map(|id| st.subs.remove(id)).collect();
        st.version += 1;
        st.ready.retain(|id| !ids.contains(id));
        let me = thread::current().id();
        if st.subs.is_empty() {
            // The threads exit within a poll slice; joining here would make the last
            // unsubscribe wait, so they end by themselves (close joins what is left).
            stop_session(&mut st);
            self.cut.cut();
        }
        self.changed.notify_all();
        // Only a push callback (or a pull subscription's ready call) of these
        // subscriptions running on another thread is waited for.
        while st.running.iter().any(|(t, th)| matches!(t, Target::Sub(id) if ids.contains(id)) && *th != me) {
            st = self.changed.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        drop(st);
        ids.len()
    }

    /// Waits until the server confirmed subscription `id` (or refused it).
    pub(crate) fn wait_ready(&self, id: u64, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if st.closed {
                return Err(Error::closed());
            }
            match st.subs.get(&id).map(|s| &s.status) {
                None => return Err(Error::new(ErrorKind::Cancelled, "", "the subscription was removed")),
                Some(Status::Ready) => return Ok(()),
                Some(Status::Failed(e)) => return Err(e.clone()),
                Some(Status::Pending) => {}
            }
            let now = Instant::now();
            if now >= deadline {
                if let Some(refusal) = &st.refusal {
                    return Err(refusal.clone());
                }
                let message = "the server did not confirm the subscription in time";
                return Err(Error::new(ErrorKind::Timeout, "", message));
            }
            st = self.changed.wait_timeout(st, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    pub(crate) fn dropped(&self, id: u64) -> u64 {
        self.lock().subs.get(&id).map_or(0, |s| s.mailbox.dropped())
    }

    /// Pull mode: the oldest queued entry of subscription `id`, or `None` (empty, which
    /// re-arms its ready call, or gone).
    pub(crate) fn pull(&self, id: u64) -> Option<Queued<RealtimeEvent>> {
        self.lock().subs.get_mut(&id).and_then(|s| s.mailbox.pull())
    }

    pub(crate) fn backlog(&self) -> (usize, usize) {
        self.lock().subs.values().fold((0, 0), |(n, b), s| (n + s.mailbox.len(), b + s.mailbox.bytes()))
    }

    pub(crate) fn is_active(&self, id: u64) -> bool {
        self.lock().subs.contains_key(&id)
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.lock().client_id.is_some()
    }

    pub(crate) fn client_id(&self) -> Option<String> {
        self.lock().client_id.clone()
    }

    pub(crate) fn add_state_listener(&self, listener: StateListener) -> Result<u64> {
        let mut st = self.lock();
        if st.closed {
            return Err(Error::closed());
        }
        st.next_id += 1;
        let id = st.next_id;
        st.state_listeners.push((id, listener));
        Ok(id)
    }

    /// False when `id` was not registered. When this returns the listener is not running
    /// on another thread and never runs again.
    pub(crate) fn remove_state_listener(&self, id: u64) -> bool {
        let mut st = self.lock();
        let removed = st.state_listeners.iter().position(|(l, _)| *l == id).map(|i| st.state_listeners.remove(i));
        let found = removed.is_some();
        let me = thread::current().id();
        while st.running.iter().any(|(t, th)| *t == Target::State(id) && *th != me) {
            st = self.changed.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        drop(st);
        drop(removed);
        found
    }

    /// Queues `event` for subscription `id`: a message of about `bytes` bytes (the queue
    /// drops its oldest message when full), or a notice (`None`), never dropped for one.
    fn push(st: &mut State, id: u64, event: RealtimeEvent, bytes: Option<usize>) {
        let kind = match &event {
            RealtimeEvent::Subscribed { .. } => Kind::Subscribed,
            RealtimeEvent::Message { .. } => Kind::Event,
            RealtimeEvent::Failed { .. } => Kind::Error,
        };
        Self::push_item(st, id, kind, Item::Event(event), bytes);
    }

    fn push_item(st: &mut State, id: u64, kind: Kind, item: Item<RealtimeEvent>, bytes: Option<usize>) {
        let Some(sub) = st.subs.get_mut(&id) else { return };
        if sub.mailbox.push(kind, item, bytes) && !st.ready.contains(&id) {
            st.ready.push_back(id);
        }
    }

    /// Tells the state listeners and every live subscription (a notice in its queue;
    /// refused ones get nothing after their error).
    fn push_state(&self, st: &mut State, event: ConnectionState) {
        let live: Vec<u64> =
            st.subs.iter().filter(|(_, s)| !matches!(s.status, Status::Failed(_))).map(|(id, _)| *id).collect();
        for id in &live {
            Self::push_item(st, *id, Kind::State, Item::State(event.clone()), None);
        }
        if !live.is_empty() {
            self.changed.notify_all();
        }
        if !st.state_listeners.is_empty() {
            // Bounded like a subscription's notices: only a listener stuck through a
            // thousand reconnects loses the oldest change (the latest state always arrives).
            if st.state_queue.len() >= crate::delivery::QUEUE_MAX_EVENTS {
                st.state_queue.pop_front();
            }
            st.state_queue.push_back(event);
            self.changed.notify_all();
        }
    }

    /// Routes one server message to the subscriptions whose key is its event name.
    fn route(&self, session: u64, name: &str, data: &str) {
        let data: Value = serde_json::from_str(data).unwrap_or_else(|_| Value::String(data.to_owned()));
        let mut st = self.lock();
        if !Self::active(&st, session) {
            return;
        }
        let ids: Vec<u64> = st.subs.iter().filter(|(_, s)| s.key == name).map(|(id, _)| *id).collect();
        let bytes = value_bytes(&data);
        for id in ids {
            let sub = &st.subs[&id];
            match sub.status {
                Status::Failed(_) => continue,
                Status::Pending => Self::confirm(&mut st, id),
                Status::Ready => {}
            }
            let topic = st.subs[&id].topic.clone();
            let bytes = bytes + topic.len();
            Self::push(&mut st, id, RealtimeEvent::Message { topic, data: data.clone() }, Some(bytes));
        }
        drop(st);
        self.changed.notify_all();
    }

    fn confirm(st: &mut State, id: u64) {
        if let Some(sub) = st.subs.get_mut(&id) {
            if sub.status == Status::Pending {
                sub.status = Status::Ready;
                let topic = sub.topic.clone();
                Self::push(st, id, RealtimeEvent::Subscribed { topic }, None);
            }
        }
    }

    /// Sends the current subscription set for the current clientId, unless the server
    /// already has it. A refusal (400) fails the subscriptions waiting for confirmation;
    /// a lost client (403 after a login change, 404, network) or any other refusal cuts the
    /// stream to reconnect with backoff. Returns false in that last case (the stream is not
    /// connected then).
    fn submit(&self, client: &BosBase) -> bool {
        let _one_at_a_time = self.submit_lock.lock().unwrap_or_else(PoisonError::into_inner);
        // The identity this clientId gets (read outside the lock: the auth store's listener
        // takes it); a later change of it means reconnecting.
        let token = client.auth_store().auth_header().unwrap_or_default();
        let (client_id, generation, version, keys) = {
            let mut st = self.lock();
            let Some(client_id) = st.client_id.clone() else { return false };
            if st.submitted == (st.conn_gen, st.version) {
                return true;
            }
            st.token = token;
            let mut keys: Vec<String> =
                st.subs.values().filter(|s| !matches!(s.status, Status::Failed(_))).map(|s| s.key.clone()).collect();
            keys.sort();
            keys.dedup();
            (client_id, st.conn_gen, st.version, keys)
        };
        let body = json!({ "clientId": client_id, "subscriptions": keys });
        let result = client.execute("/api/realtime", SendOptions::new("POST").body(body));
        let mut st = self.lock();
        if st.conn_gen != generation || st.client_id.is_none() {
            return false; // reconnected meanwhile: the new connection submits again
        }
        match result {
            Ok(_) => {
                st.submitted = (generation, version);
                st.refusal = None;
                let pending: Vec<u64> = st
                    .subs
                    .iter()
                    .filter(|(_, s)| s.status == Status::Pending && keys.contains(&s.key))
                    .map(|(id, _)| *id)
                    .collect();
                for id in pending {
                    Self::confirm(&mut st, id);
                }
            }
            Err(e) if e.status() == 400 => {
                let pending: Vec<u64> =
                    st.subs.iter().filter(|(_, s)| s.status == Status::Pending).map(|(id, _)| *id).collect();
                for id in pending {
                    let sub = st.subs.get_mut(&id).expect("listed above");
                    sub.status = Status::Failed(e.clone());
                    let topic = sub.topic.clone();
                    Self::push(&mut st, id, RealtimeEvent::Failed { topic, error: e.clone() }, None);
                }
                st.version += 1; // resubmit the others
            }
            Err(e) => {
                if e.status() != 0 {
                    st.refusal = Some(e);
                }
                // This clientId is done with: nothing submits for it again (the dispatcher
                // would, at once, while the cut stream is still being read).
                st.client_id = None;
                drop(st);
                self.cut.cut();
                self.changed.notify_all();
                return false;
            }
        }
        drop(st);
        self.changed.notify_all();
        true
    }
}

/// Opens the event stream.
fn open(shared: &Shared, client: &BosBase) -> Result<ureq::Body> {
    let url = crate::url::build(client.base_url(), "/api/realtime", &Map::new());
    let req = ureq::http::Request::get(&url)
        .header("Accept", "text/event-stream")
        .header("Cache-Control", "no-store")
        .body(())
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, &url, "invalid realtime URL"))?;
    let mut response = shared.agent.run(req).map_err(|e| Error::from_transport(&url, e))?;
    let status = response.status().as_u16();
    if status != 200 {
        let body = response.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
        return Err(Error::from_response(&url, status, &body));
    }
    Ok(response.into_body())
}

/// Reads one connection until it ends; returns why it ended, and since when it had been
/// connected (received `PB_CONNECT` and the server accepted the subscriptions), if it was.
/// `ever` says whether an earlier one had.
fn read_stream(shared: &Arc<Shared>, client: &BosBase, session: u64, ever: &mut bool) -> (String, Option<Instant>) {
    let body = match open(shared, client) {
        Ok(b) => b,
        Err(e) => return (e.message().to_owned(), None),
    };
    let mut reader = body.into_with_config().reader();
    let mut parser = Parser::new(MAX_MESSAGE);
    let mut buf = vec![0u8; 16 * 1024];
    let mut connected: Option<Instant> = None;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return ("the server closed the stream".to_owned(), connected),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                return ("the stream was cut".to_owned(), connected)
            }
            Err(e) => return (format!("stream read failed ({})", e.kind()), connected),
        };
        let mut messages = Vec::new();
        if parser.feed(&buf[..n], &mut |m| messages.push(m)).is_err() {
            return ("the stream sent an over-long line".to_owned(), connected);
        }
        for m in messages {
            if m.event == "PB_CONNECT" {
                let data: Value = serde_json::from_str(&m.data).unwrap_or(Value::Null);
                let id = data.get("clientId").and_then(Value::as_str).map(str::to_owned).unwrap_or(m.id.clone());
                if id.is_empty() {
                    return ("PB_CONNECT without a clientId".to_owned(), connected);
                }
                {
                    let mut st = shared.lock();
                    if !Shared::active(&st, session) {
                        return (String::new(), connected);
                    }
                    st.client_id = Some(id);
                    st.conn_gen += 1;
                    st.submit_running = true; // this thread submits; the dispatcher need not
                }
                let accepted = shared.submit(client);
                let mut st = shared.lock();
                st.submit_running = false;
                shared.changed.notify_all();
                if !accepted {
                    // Cut by `submit`: the next read fails; not `connected`, so the backoff grows.
                    continue;
                }
                if st.client_id.is_some() && Shared::active(&st, session) && connected.is_none() {
                    connected = Some(Instant::now());
                    let event = match std::mem::replace(ever, true) {
                        true => ConnectionState::Reconnected,
                        false => ConnectionState::Connected,
                    };
                    shared.push_state(&mut st, event);
                }
            } else {
                shared.route(session, &m.event, &m.data);
            }
        }
    }
}

fn read_loop(shared: &Arc<Shared>, client: &BosBase, session: u64) {
    let mut attempt = 0u32;
    let mut ever_connected = false;
    loop {
        if !Shared::active(&shared.lock(), session) {
            return;
        }
        let (cause, connected) = read_stream(shared, client, session, &mut ever_connected);
        let mut st = shared.lock();
        if !Shared::active(&st, session) {
            return; // (a newer session may own `client_id` by now)
        }
        st.client_id = None;
        if let Some(since) = connected {
            if since.elapsed() >= HEALTHY {
                attempt = 0;
            }
            let cause = if st.reconnect_now { "the login changed".to_owned() } else { cause };
            shared.push_state(&mut st, ConnectionState::Disconnected { cause });
        }
        if std::mem::take(&mut st.reconnect_now) {
            continue;
        }
        let delay = backoff(attempt);
        attempt = attempt.saturating_add(1).min(30);
        let until = Instant::now() + delay;
        while Shared::active(&st, session) && !st.reconnect_now {
            let now = Instant::now();
            if now >= until {
                break;
            }
            st = shared.changed.wait_timeout(st, until - now).unwrap_or_else(PoisonError::into_inner).0;
        }
        st.reconnect_now = false;
    }
}

fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE.saturating_mul(1u32 << attempt.min(6)).min(BACKOFF_MAX);
    let r = getrandom::u32().unwrap_or(u32::MAX / 4 * 3) as f64 / u32::MAX as f64;
    full.mul_f64(0.5 + 0.5 * r)
}

enum Work {
    Sub(u64, Due<RealtimeEvent>),
    State(Vec<(u64, StateListener)>, ConnectionState),
    Submit,
}

fn dispatch_loop(shared: &Arc<Shared>, client: &BosBase, session: u64) {
    let me = thread::current().id();
    loop {
        let work = {
            let mut st = shared.lock();
            loop {
                if !Shared::active(&st, session) {
                    return;
                }
                if st.client_id.is_some() && st.submitted != (st.conn_gen, st.version) && !st.submit_running {
                    st.submit_running = true;
                    break Work::Submit;
                }
                if let Some(event) = st.state_queue.pop_front() {
                    break Work::State(st.state_listeners.clone(), event);
                }
                if let Some(id) = st.ready.pop_front() {
                    let Some(sub) = st.subs.get_mut(&id) else { continue };
                    let (due, more) = sub.mailbox.work();
                    if more {
                        st.ready.push_back(id); // round-robin: the others get a turn first
                    }
                    let Some(due) = due else { continue };
                    st.running.push((Target::Sub(id), me));
                    break Work::Sub(id, due);
                }
                st = shared.changed.wait(st).unwrap_or_else(PoisonError::into_inner);
            }
        };
        match work {
            Work::Submit => {
                let s = Arc::clone(shared);
                let done = Arc::clone(shared);
                let call = client.call(move |c, _| {
                    let _accepted = s.submit(c); // (a refusal cut the stream: it reconnects)
                    Ok(())
                });
                let _started = call.start(move |_| {
                    done.lock().submit_running = false;
                    done.changed.notify_all();
                });
            }
            Work::Sub(id, due) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    crate::gate::callback(|| match due {
                        Due::Deliver(callback, entry) => callback(&entry),
                        Due::Ready(ready) => ready(),
                    })
                }));
                finish(shared, Target::Sub(id), me);
            }
            Work::State(listeners, event) => {
                for (id, listener) in listeners {
                    {
                        let mut st = shared.lock();
                        if !st.state_listeners.iter().any(|(l, _)| *l == id) {
                            continue; // removed by an earlier listener of this round
                        }
                        st.running.push((Target::State(id), me));
                    }
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        crate::gate::callback(|| listener(&event))
                    }));
                    finish(shared, Target::State(id), me);
                }
            }
        }
    }
}

fn finish(shared: &Shared, target: Target, me: ThreadId) {
    let mut st = shared.lock();
    if let Some(i) = st.running.iter().position(|r| *r == (target, me)) {
        st.running.remove(i);
    }
    drop(st);
    shared.changed.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::SubscribeOptions;

    /// The last unsubscribe stops the threads without joining them, and the next subscribe
    /// starts new ones without joining the old: both return long before a thread that takes
    /// 600 ms to exit has ended (ABI 4's subscribe joined the stopped session's threads).
    #[test]
    fn unsubscribe_and_resubscribe_never_join_a_thread() {
        let pb = BosBase::new("http://127.0.0.1:9"); // nothing listens: the reader retries
        let linger = Duration::from_millis(600);
        *pb.realtime_part().shared.exit_delay.lock().unwrap() = linger;
        let rt = pb.realtime();
        let push = || Mode::Push(Arc::new(|_: &Queued<RealtimeEvent>| {}));
        let mut longest = Duration::ZERO;
        for _ in 0..3 {
            let t = Instant::now();
            let sub = rt.subscribe_mode("t", &SubscribeOptions::default(), push()).unwrap();
            longest = longest.max(t.elapsed());
            let t = Instant::now();
            sub.unsubscribe();
            longest = longest.max(t.elapsed());
            assert!(!sub.is_active());
        }
        assert!(longest < linger / 2, "a subscribe or unsubscribe waited {longest:?} for a thread");
        assert!(rt.live_threads() > 0, "the stopped threads were still lingering (the hook works)");
        let t = Instant::now();
        pb.close(); // joins what is left
        assert!(t.elapsed() >= linger / 2 && rt.live_threads() == 0);
    }
}

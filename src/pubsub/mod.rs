//! Pub/sub over BosBase's WebSocket (`/api/pubsub`): publish with the server's
//! acknowledgement, subscribe with a callback, unsubscribe, reconnect with resubscribe.
//!
//! Threads: a socket thread owns the connection (reads with a short timeout, between reads
//! it writes the queued frames) and a dispatch thread runs the callbacks, so a slow callback
//! never stalls the socket. Both start with the first subscription or publish and end when
//! nothing is left to do, and on `close`. Each subscription has its own queue of at most
//! [`QUEUE_LIMIT`] messages and [`QUEUE_MAX_BYTES`](crate::QUEUE_MAX_BYTES) bytes: when a
//! callback falls that far behind, the oldest queued message is dropped and counted
//! ([`PubSubSubscription::dropped`]); `subscribed`/`error` notices are never dropped for a
//! message. The dispatch thread's list of subscriptions to serve holds each at most once.
//!
//! Connecting (TCP, TLS, the HTTP upgrade and the server's `ready`) has one deadline, the
//! connect timeout, and `close` interrupts it. A lost connection is retried with backoff
//! (200 ms doubling to 5 s, with jitter); the backoff starts over only after a connection
//! stayed up at least 5 s, so a server that accepts and drops connections (whatever it
//! says first, whatever close code it sends) is retried at most every 5 s. Every topic is
//! subscribed again once the server says `ready`. Any auth-store change reconnects at once
//! under the new identity (the token goes in the `Authorization` header of the upgrade,
//! never in the URL).

mod socket;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::Message;

pub(crate) use socket::Target;

use crate::delivery::{value_bytes, Item, Kind, Mailbox, Mode, PushFn, Queued, Work};
use crate::{BosBase, ConnectionState, Error, ErrorKind, Result};

/// Entries one subscription (realtime or pub/sub, push or pull) may have queued before the
/// oldest event is dropped; the queue is also bounded by 16 MiB of the entries' estimated
/// size in memory (`QUEUE_MAX_BYTES`; in C both carry the `BOSBASE_` prefix).
pub const QUEUE_LIMIT: usize = 1024;
// The C header shows the literal; the queue uses the shared bound.
const _: () = assert!(QUEUE_LIMIT == crate::delivery::QUEUE_MAX_EVENTS);

/// How long the socket thread waits for a frame before it writes what is queued.
const POLL: Duration = Duration::from_millis(10);
/// Reconnect backoff: the first wait, and the longest (before jitter).
const BACKOFF_BASE_MS: u64 = 200;
const BACKOFF_MAX_MS: u64 = 5000;
/// A connection that stayed up this long was healthy: the backoff starts over after it.
const HEALTHY: Duration = Duration::from_millis(BACKOFF_MAX_MS);
/// The longest `close` waits for a socket thread stuck in a TCP connect or a blocked write
/// (it stops by itself within the connect timeout and never runs a callback).
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Receives each message of a subscription (see [`PubsubService::subscribe`](crate::PubsubService::subscribe)).
pub type PubSubCallback = Arc<dyn Fn(&Value) + Send + Sync>;

/// One client's pub/sub state.
pub(crate) struct PubSub {
    shared: Arc<Shared>,
}

struct Shared {
    target: Target,
    state: Mutex<State>,
    changed: Condvar,
    next_id: AtomicU64,
    /// Set by `close`: a connection being made gives up at its next read slice.
    stop: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    subs: BTreeMap<u64, Sub>,
    /// Frames to write, in order, with their request ids.
    outgoing: VecDeque<(String, String)>,
    /// Publishes whose frame went out on the current connection: only these are lost with it
    /// (a queued one goes out on the next connection instead).
    sent: std::collections::HashSet<String>,
    /// Publishes waiting for their acknowledgement, by request id.
    acks: HashMap<String, mpsc::Sender<Result<Value>>>,
    /// Subscribe requests in flight: request id → topic.
    subscribing: HashMap<String, String>,
    /// Subscriptions with queued messages, each at most once (`Sub::scheduled`), served
    /// round-robin.
    ready: VecDeque<u64>,
    connected: bool,
    closed: bool,
    running: bool,
    /// Bumped by auth-store changes: the socket thread reconnects.
    identity: u64,
    listening: bool,
    /// The socket thread of the current run has returned (or was never started).
    socket_done: bool,
    threads: Vec<JoinHandle<()>>,
    /// Callbacks (push) and ready calls (pull) running now: subscription id and thread.
    in_callback: Vec<(u64, ThreadId)>,
    /// A connection of this run said `ready` already: the next one is `reconnected`.
    ever_connected: bool,
}

pub(crate) struct Sub {
    topic: String,
    mailbox: Mailbox<Value>,
    /// In `State::ready` now.
    scheduled: bool,
    confirmed: bool,
    status: Status,
}

/// Whether the server accepted a subscription (it stays accepted across reconnects).
#[derive(Clone)]
enum Status {
    Pending,
    Ready,
    Failed(Error),
}

impl State {
    fn idle(&self) -> bool {
        self.subs.is_empty() && self.acks.is_empty() && self.outgoing.is_empty()
    }

    fn has_topic(&self, topic: &str) -> bool {
        self.subs.values().any(|s| s.topic == topic)
    }

    /// Queues `event` for every subscription of `topic` (or only unconfirmed ones, for a
    /// notice); a message is counted as `bytes`, a notice is `None`.
    fn push(&mut self, topic: &str, event: &Value, only_unconfirmed: bool, bytes: Option<usize>) {
        let ids: Vec<u64> = self
            .subs
            .iter()
            .filter(|(_, s)| s.topic == topic && (!only_unconfirmed || !s.confirmed))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.push_to(id, event.clone(), bytes);
        }
    }

    /// Queues `event` for subscription `id` (the queue drops its oldest message when full)
    /// and schedules the subscription unless it already is.
    fn push_to(&mut self, id: u64, event: Value, bytes: Option<usize>) {
        let kind = match event["type"].as_str() {
            Some("subscribed") => Kind::Subscribed,
            Some("error") => Kind::Error,
            _ => Kind::Event,
        };
        self.push_item(id, kind, Item::Event(event), bytes);
    }

    fn push_item(&mut self, id: u64, kind: Kind, item: Item<Value>, bytes: Option<usize>) {
        let Some(sub) = self.subs.get_mut(&id) else { return };
        if sub.mailbox.push(kind, item, bytes) && !std::mem::replace(&mut sub.scheduled, true) {
            self.ready.push_back(id);
        }
    }

    /// Queues a state change (a notice) for every subscription the server did not refuse.
    fn push_state(&mut self, state: ConnectionState) {
        let live: Vec<u64> =
            self.subs.iter().filter(|(_, s)| !matches!(s.status, Status::Failed(_))).map(|(id, _)| *id).collect();
        for id in live {
            self.push_item(id, Kind::State, Item::State(state.clone()), None);
        }
    }

    /// Fails every waiting publish and drops its queued frame (a publish reported as failed
    /// must not go out later).
    fn fail_acks(&mut self, error: &Error) {
        let acks = std::mem::take(&mut self.acks);
        self.outgoing.retain(|(id, _)| !acks.contains_key(id));
        for (_, waiter) in acks {
            let _ = waiter.send(Err(error.clone()));
        }
        self.sent.clear();
    }

    /// Fails the publishes whose frame went out on a connection that was lost.
    fn fail_sent(&mut self, error: &Error) {
        for id in std::mem::take(&mut self.sent) {
            if let Some(waiter) = self.acks.remove(&id) {
                let _ = waiter.send(Err(error.clone()));
            }
        }
    }

    fn queue(&mut self, frame: Value) {
        let id = frame["requestId"].as_str().unwrap_or_default().to_owned();
        self.outgoing.push_back((id, frame.to_string()));
    }
}

fn request_id(shared: &Shared) -> String {
    format!("r{}", shared.next_id.fetch_add(1, Ordering::Relaxed))
}

fn envelope(kind: &str, topic: Option<&str>, request_id: &str) -> Value {
    let mut frame = json!({"type": kind, "requestId": request_id});
    if let Some(t) = topic {
        frame["topic"] = json!(t);
    }
    frame
}

/// Refuses an empty topic or one with control characters (it names nothing else).
fn check_topic(topic: &str) -> Result<()> {
    if topic.is_empty() || topic.chars().any(char::is_control) {
        return Err(Error::invalid_argument("topic must be non-empty without control characters"));
    }
    Ok(())
}

impl PubSub {
    pub(crate) fn new(target: Target) -> Self {
        let shared = Shared {
            target,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            next_id: AtomicU64::new(1),
            stop: Arc::new(AtomicBool::new(false)),
        };
        PubSub { shared: Arc::new(shared) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// A fresh, unconnected pub/sub for a forked client (same server and settings).
    pub(crate) fn fork(&self) -> Self {
        PubSub::new(self.shared.target.clone())
    }

    /// The server and settings it connects with (also what a forked client's realtime needs).
    pub(crate) fn target(&self) -> &Target {
        &self.shared.target
    }

    /// The client's per-call deadline.
    pub(crate) fn default_deadline(&self) -> Duration {
        self.shared.target.timeout
    }

    /// Starts the threads (and the auth-store listener) unless they run.
    fn ensure_running(&self, client: &BosBase, st: &mut State) -> Result<()> {
        if st.closed {
            return Err(Error::closed());
        }
        if !st.listening {
            st.listening = true;
            let weak: Weak<Shared> = Arc::downgrade(&self.shared);
            client.auth_store().on_change(Arc::new(move |_, _| {
                if let Some(shared) = weak.upgrade() {
                    shared.lock().identity += 1;
                    shared.changed.notify_all();
                }
            }));
        }
        if st.running {
            return Ok(());
        }
        // Threads of an earlier run have returned (or are about to): reap them.
        st.threads.retain(|t| !t.is_finished());
        st.running = true;
        st.socket_done = false;
        st.ever_connected = false;
        let spawn = |name: &str, body: fn(Arc<Shared>, BosBase)| {
            let (shared, client) = (Arc::clone(&self.shared), client.clone());
            thread::Builder::new().name(name.into()).spawn(move || body(shared, client))
        };
        let started =
            spawn(SOCKET_THREAD, socket_loop).and_then(|s| Ok((s, spawn("bosbase-pubsub-cb", dispatch_loop)?)));
        match started {
            Ok((a, b)) => {
                st.threads.extend([a, b]);
                Ok(())
            }
            Err(e) => {
                st.running = false;
                st.socket_done = true;
                Err(Error::new(ErrorKind::Network, "", format!("cannot start the pub/sub thread: {}", e.kind())))
            }
        }
    }

    pub(crate) fn subscribe(&self, client: &BosBase, topic: &str, mode: Mode<Value>) -> Result<u64> {
        check_topic(topic)?;
        let mut st = self.lock();
        self.ensure_running(client, &mut st)?;
        if st.connected && !st.has_topic(topic) {
            let id = request_id(&self.shared);
            st.subscribing.insert(id.clone(), topic.to_owned());
            st.queue(envelope("subscribe", Some(topic), &id));
        }
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let already = st.subs.values().any(|s| s.topic == topic && s.confirmed) && st.connected;
        st.subs.insert(
            id,
            Sub {
                topic: topic.to_owned(),
                mailbox: Mailbox::new(mode),
                scheduled: false,
                confirmed: already,
                status: if already { Status::Ready } else { Status::Pending },
            },
        );
        if already {
            // The server confirmed this topic for an earlier subscription: say so now.
            st.push_to(id, json!({"type": "subscribed", "topic": topic}), None);
        }
        self.shared.changed.notify_all();
        Ok(id)
    }

    /// Removes subscriptions picked by `pick`; returns how many. When this returns their
    /// callbacks (or ready calls) are not running (unless called from one of them) and
    /// never run again. Waits for nothing else: no thread is joined, no other
    /// subscription's callback waited for.
    pub(crate) fn remove(&self, pick: impl Fn(u64, &Sub) -> bool) -> usize {
        let mut st = self.lock();
        let ids: Vec<u64> = st.subs.iter().filter(|(id, s)| pick(**id, s)).map(|(id, _)| *id).collect();
        // Dropped after the lock is released (a callback may own a subscription).
        let mut removed = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(sub) = st.subs.remove(id) {
                if st.connected && !st.has_topic(&sub.topic) {
                    let req = request_id(&self.shared);
                    st.queue(envelope("unsubscribe", Some(&sub.topic), &req));
                }
                removed.push(sub);
            }
        }
        st.ready.retain(|id| !ids.contains(id));
        self.shared.changed.notify_all();
        let me = thread::current().id();
        while st.in_callback.iter().any(|(id, th)| ids.contains(id) && *th != me) {
            st = self.shared.changed.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        drop(st);
        drop(removed);
        ids.len()
    }

    pub(crate) fn dropped(&self, id: u64) -> u64 {
        self.lock().subs.get(&id).map_or(0, |s| s.mailbox.dropped())
    }

    /// Pull mode: the oldest queued entry of `id`, or `None` (empty, re-arming its ready
    /// call, or gone).
    pub(crate) fn pull(&self, id: u64) -> Option<Queued<Value>> {
        self.lock().subs.get_mut(&id).and_then(|s| s.mailbox.pull())
    }

    pub(crate) fn is_active(&self, id: u64) -> bool {
        let st = self.lock();
        !st.closed && st.subs.contains_key(&id)
    }

    /// Waits until the server accepted subscription `id` (or refused it), at most `timeout`.
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
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let message = "the server did not confirm the subscription in time";
                return Err(Error::new(ErrorKind::Timeout, "", message));
            }
            st = self.shared.changed.wait_timeout(st, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// (queued messages, queued bytes, length of the dispatch list): a test hook.
    pub(crate) fn backlog(&self) -> (usize, usize, usize) {
        let st = self.lock();
        let (n, bytes) = st.subs.values().fold((0, 0), |(n, b), s| (n + s.mailbox.len(), b + s.mailbox.bytes()));
        (n, bytes, st.ready.len())
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.lock().connected
    }

    /// Threads of this client's pub/sub still running (a test hook).
    pub(crate) fn live_threads(&self) -> usize {
        self.lock().threads.iter().filter(|t| !t.is_finished()).count()
    }

    /// Publishes `data` to `topic` and waits for the server's acknowledgement
    /// (`{id, topic, created}`) at most `deadline`.
    pub(crate) fn publish(&self, client: &BosBase, topic: &str, data: Value, deadline: Duration) -> Result<Value> {
        check_topic(topic)?;
        let url = format!("{}/api/pubsub", self.shared.target.base_url);
        let (tx, rx) = mpsc::channel();
        let id = request_id(&self.shared);
        {
            let mut st = self.lock();
            self.ensure_running(client, &mut st)?;
            st.acks.insert(id.clone(), tx);
            let mut frame = envelope("publish", Some(topic), &id);
            frame["data"] = data;
            st.queue(frame);
            self.shared.changed.notify_all();
        }
        match rx.recv_timeout(deadline) {
            Ok(answer) => answer,
            Err(_) => {
                let mut st = self.lock();
                st.acks.remove(&id);
                st.outgoing.retain(|(request, _)| *request != id);
                st.sent.remove(&id);
                Err(Error::new(ErrorKind::Timeout, &url, "no acknowledgement from the server in time"))
            }
        }
    }

    /// Stops the threads and waits for them (except the calling one; none from inside a
    /// callback, which may run on a thread waiting for this client: see `gate`). Idempotent.
    /// The dispatch thread (the only one running callbacks) is always joined; the socket thread
    /// at most [`CLOSE_WAIT`]: a connection being made gives up within a read slice, but a
    /// TCP connect or a write to a server that does not read can only end at its timeout, and
    /// `close` does not wait for that (the thread then ends by itself, running no callback).
    pub(crate) fn close(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let (threads, _subs) = {
            let mut st = self.lock();
            st.closed = true;
            st.fail_acks(&Error::closed());
            st.ready.clear();
            self.shared.changed.notify_all();
            (std::mem::take(&mut st.threads), std::mem::take(&mut st.subs))
        };
        let me = thread::current().id();
        // From inside a callback close never waits (see `gate`): a cycle of closes cannot block.
        let wait = !crate::gate::in_callback();
        let until = Instant::now() + CLOSE_WAIT;
        let mut st = self.lock();
        while wait && !st.socket_done && threads.iter().any(|t| t.thread().id() != me) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = self.shared.changed.wait_timeout(st, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        let socket_done = st.socket_done;
        drop(st);
        let mut left = Vec::new();
        for t in threads {
            let socket = t.thread().name() == Some(SOCKET_THREAD);
            if wait && t.thread().id() != me && (socket_done || !socket) {
                let _ = t.join();
            } else {
                left.push(t);
            }
        }
        // Kept for `join_rest` (a release waits for every thread on its own thread).
        self.lock().threads.extend(left);
    }

    /// After [`close`](Self::close): joins the threads it did not wait for (a socket thread
    /// still in a connect ends within the connect timeout), except the calling one.
    pub(crate) fn join_rest(&self) {
        let threads = std::mem::take(&mut self.lock().threads);
        let me = thread::current().id();
        for t in threads {
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The socket thread's name (`close` tells it from the dispatch thread by it).
const SOCKET_THREAD: &str = "bosbase-pubsub";

/// Backoff before connection attempt `attempt` (0-based): 200 ms doubling to 5 s, each
/// scaled by a random 50–100 % so many clients do not reconnect in step.
fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE_MS.saturating_mul(1 << attempt.min(5)).min(BACKOFF_MAX_MS);
    let mut r = [0u8; 1];
    let _ = getrandom::fill(&mut r);
    Duration::from_millis(base / 2 + base * u64::from(r[0]) / 510)
}

/// The socket thread: connect, run a session, reconnect, until idle or closed.
fn socket_loop(shared: Arc<Shared>, client: BosBase) {
    let mut attempt = 0u32;
    loop {
        let identity = {
            let mut st = shared.lock();
            if st.closed || st.idle() {
                st.running = false;
                st.connected = false;
                st.socket_done = true;
                shared.changed.notify_all();
                return;
            }
            st.identity
        };
        let token = client.auth_store().auth_header();
        match socket::connect(&shared.target, token.as_deref(), &shared.stop) {
            Ok(sock) => match session(&shared, sock, identity) {
                // Closed, idle or a new identity: the loop's top decides, at once.
                End::Ours => continue,
                End::Lost { healthy: true } => attempt = 0,
                End::Lost { healthy: false } | End::Failed => {}
            },
            Err(e) => shared.lock().fail_acks(&e),
        }
        // Never skipped after a lost connection, whatever the server said before closing.
        let wait = backoff(attempt);
        attempt = attempt.saturating_add(1).min(30);
        let until = Instant::now() + wait;
        let mut st = shared.lock();
        while !st.closed && st.identity == identity && Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now());
            st = shared.changed.wait_timeout(st, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

/// How a connection ended.
enum End {
    /// Before the server said `ready`.
    Failed,
    /// The server (or the network) ended it; `healthy` when it had stayed up [`HEALTHY`].
    Lost { healthy: bool },
    /// This side ended it: closed, idle, or the identity changed.
    Ours,
}

/// One connection's life.
fn session(shared: &Arc<Shared>, mut sock: socket::Socket, identity: u64) -> End {
    let url = format!("{}/api/pubsub", shared.target.base_url);
    let lost = |why: &str| Error::new(ErrorKind::Network, &url, format!("pub/sub connection lost: {why}"));
    // `ready` must come within what is left of the connect deadline (the socket's reads
    // still check it).
    match sock.ws.read() {
        Ok(Message::Text(t)) if serde_json::from_str::<Value>(&t).is_ok_and(|v| v["type"] == "ready") => {}
        _ => {
            shared.lock().fail_acks(&lost("no `ready` from the server in time"));
            return End::Failed;
        }
    }
    sock.poll_every(POLL);
    let up = Instant::now();
    {
        let mut st = shared.lock();
        st.connected = true;
        let state = match std::mem::replace(&mut st.ever_connected, true) {
            true => ConnectionState::Reconnected,
            false => ConnectionState::Connected,
        };
        st.push_state(state);
        let topics: Vec<String> = {
            let mut t: Vec<String> = st.subs.values().map(|s| s.topic.clone()).collect();
            t.dedup();
            t.sort();
            t.dedup();
            t
        };
        // Subscribe frames go first so the topics are in place before queued publishes.
        for topic in topics.iter().rev() {
            let id = request_id(shared);
            st.subscribing.insert(id.clone(), topic.clone());
            st.outgoing.push_front((id.clone(), envelope("subscribe", Some(topic), &id).to_string()));
        }
        shared.changed.notify_all();
    }
    let why = loop {
        let frames: Vec<String> = {
            let mut st = shared.lock();
            if st.closed {
                let _ = sock.ws.close(None);
                let _ = sock.ws.flush();
                break "closed";
            }
            if st.identity != identity {
                break "the auth store changed";
            }
            if st.idle() {
                let _ = sock.ws.close(None);
                let _ = sock.ws.flush();
                break "idle";
            }
            let frames: Vec<(String, String)> = st.outgoing.drain(..).collect();
            for (id, _) in &frames {
                if st.acks.contains_key(id) {
                    st.sent.insert(id.clone());
                }
            }
            frames.into_iter().map(|(_, frame)| frame).collect()
        };
        let mut failed = false;
        for frame in frames {
            if sock.ws.send(Message::text(frame)).is_err() {
                failed = true;
                break;
            }
        }
        if failed {
            break "write failed";
        }
        match sock.ws.read() {
            Ok(Message::Text(text)) => handle(shared, &text),
            Ok(Message::Close(_)) => break "the server closed the connection",
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                // Sends a pong the server's ping may be waiting for.
                let _ = sock.ws.flush();
            }
            Err(_) => break "read failed",
        }
    };
    let mut st = shared.lock();
    st.connected = false;
    if !matches!(why, "closed" | "idle") {
        st.push_state(ConnectionState::Disconnected { cause: why.to_owned() });
    }
    st.subscribing.clear();
    for sub in st.subs.values_mut() {
        sub.confirmed = false;
    }
    // Publishes still queued go out on the next connection; those sent on this one may or
    // may not have been published, and say so.
    st.fail_sent(&lost(why));
    shared.changed.notify_all();
    match why {
        "closed" | "idle" | "the auth store changed" => End::Ours,
        _ => End::Lost { healthy: up.elapsed() >= HEALTHY },
    }
}

/// One frame from the server.
fn handle(shared: &Shared, text: &str) {
    let Ok(frame) = serde_json::from_str::<Value>(text) else { return };
    let request = frame["requestId"].as_str().unwrap_or_default().to_owned();
    let mut st = shared.lock();
    match frame["type"].as_str().unwrap_or_default() {
        "message" => {
            let topic = frame["topic"].as_str().unwrap_or_default().to_owned();
            let event = json!({
                "type": "message", "topic": topic, "id": frame["id"], "created": frame["created"], "data": frame["data"],
            });
            let bytes = value_bytes(&event);
            st.push(&topic, &event, false, Some(bytes));
        }
        "subscribed" => {
            if let Some(topic) = st.subscribing.remove(&request) {
                st.push(&topic, &json!({"type": "subscribed", "topic": topic}), true, None);
                for sub in st.subs.values_mut().filter(|s| s.topic == topic) {
                    sub.confirmed = true;
                    if !matches!(sub.status, Status::Failed(_)) {
                        sub.status = Status::Ready;
                    }
                }
            }
        }
        "published" => {
            if let Some(waiter) = st.acks.remove(&request) {
                let ack = json!({"id": frame["id"], "topic": frame["topic"], "created": frame["created"]});
                let _ = waiter.send(Ok(ack));
            }
        }
        "error" => {
            let message = frame["message"].as_str().unwrap_or("pub/sub error").to_owned();
            let url = format!("{}/api/pubsub", shared.target.base_url);
            let error = Error::new(ErrorKind::Http, &url, message);
            if let Some(waiter) = st.acks.remove(&request) {
                let _ = waiter.send(Err(error));
            } else if let Some(topic) = st.subscribing.remove(&request) {
                st.push(&topic, &json!({"type": "error", "topic": topic, "error": error.to_json()}), true, None);
                for sub in st.subs.values_mut().filter(|s| s.topic == topic && !s.confirmed) {
                    sub.status = Status::Failed(error.clone());
                }
            }
        }
        _ => {}
    }
    shared.changed.notify_all();
}

/// The dispatch thread: runs callbacks one at a time, in each subscription's order.
fn dispatch_loop(shared: Arc<Shared>, _client: BosBase) {
    loop {
        let id = {
            let mut st = shared.lock();
            loop {
                if let Some(id) = st.ready.pop_front() {
                    break id;
                }
                if st.closed || !st.running {
                    return;
                }
                st = shared.changed.wait(st).unwrap_or_else(PoisonError::into_inner);
            }
        };
        // Marked running under the lock: a removal from now on waits for this call, one
        // before it made the subscription vanish from `subs`.
        let me = thread::current().id();
        let work = {
            let mut st = shared.lock();
            let Some(sub) = st.subs.get_mut(&id) else { continue };
            let (work, more) = sub.mailbox.work();
            sub.scheduled = more;
            if more {
                st.ready.push_back(id); // round-robin: the others get a turn first
            }
            if work.is_some() {
                st.in_callback.push((id, me));
            }
            work
        };
        let Some(work) = work else { continue };
        // A panicking callback must not take the dispatch thread (and every other
        // subscription) down with it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::gate::callback(|| match work {
                Work::Deliver(callback, entry) => callback(&entry),
                Work::Ready(ready) => ready(),
            })
        }));
        let mut st = shared.lock();
        if let Some(i) = st.in_callback.iter().position(|r| *r == (id, me)) {
            st.in_callback.remove(i);
        }
        drop(st);
        shared.changed.notify_all();
    }
}

/// A subscription from [`PubsubService::subscribe`](crate::PubsubService::subscribe); dropping it unsubscribes.
pub struct PubSubSubscription {
    client: BosBase,
    id: u64,
    topic: String,
}

impl PubSubSubscription {
    /// Stops delivery; false when it had stopped already. When this returns the callback is
    /// not running (unless this is called from inside it) and is never called again.
    pub fn unsubscribe(&self) -> bool {
        self.client.pubsub_state().remove(|id, _| id == self.id) > 0
    }

    /// False once unsubscribed (by this handle or by topic) or the client closed.
    pub fn is_active(&self) -> bool {
        self.client.pubsub_state().is_active(self.id)
    }

    /// Waits until the server accepted the subscription: `Ok`, its refusal (`http`), or
    /// `timeout`/`closed`/`cancelled` (unsubscribed meanwhile).
    pub fn wait_ready(&self, timeout: Duration) -> Result<()> {
        self.client.pubsub_state().wait_ready(self.id, timeout)
    }

    /// Pull mode: the oldest queued entry, or `None` (empty or gone).
    pub(crate) fn pull(&self) -> Option<Queued<Value>> {
        self.client.pubsub_state().pull(self.id)
    }

    /// Messages dropped because the callback fell [`QUEUE_LIMIT`] messages or
    /// [`QUEUE_MAX_BYTES`](crate::QUEUE_MAX_BYTES) bytes behind.
    pub fn dropped(&self) -> u64 {
        self.client.pubsub_state().dropped(self.id)
    }

    /// The subscribed topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }
}

impl Drop for PubSubSubscription {
    fn drop(&mut self) {
        self.unsubscribe();
    }
}

impl std::fmt::Debug for PubSubSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSubSubscription").field("topic", &self.topic).finish()
    }
}

impl crate::PubsubService {
    /// Subscribes `callback` to `topic`. Returns at once; the callback's first call is
    /// `{"type": "subscribed", "topic"}` once the server confirmed (or `{"type": "error",
    /// "topic", "error"}` if it refused), then `{"type": "message", "topic", "id", "created",
    /// "data"}` per message. Callbacks run on the client's pub/sub dispatch thread, one at a
    /// time, in order; they may call into the client (a blocking call there delays the
    /// other callbacks).
    pub fn subscribe(
        &self,
        topic: &str,
        callback: impl Fn(&Value) + Send + Sync + 'static,
    ) -> Result<PubSubSubscription> {
        // Rust callbacks get the messages and notices (the JSON shapes above), not states.
        let push: PushFn<Value> = Arc::new(move |entry: &Queued<Value>| {
            if let Item::Event(event) = &entry.item {
                callback(event)
            }
        });
        self.subscribe_mode(topic, Mode::Push(push))
    }

    /// [`subscribe`](Self::subscribe) with the delivery mode given (the C ABI's push and
    /// pull subscriptions).
    pub(crate) fn subscribe_mode(&self, topic: &str, mode: Mode<Value>) -> Result<PubSubSubscription> {
        let id = self.client.pubsub_state().subscribe(&self.client, topic, mode)?;
        Ok(PubSubSubscription { client: self.client.clone(), id, topic: topic.to_owned() })
    }

    /// Stops every subscription of `topic`; returns how many there were.
    pub fn unsubscribe(&self, topic: &str) -> usize {
        self.client.pubsub_state().remove(|_, s| s.topic == topic)
    }

    /// True while the WebSocket is open (it is opened by the first subscription or publish
    /// and closed when none is left).
    pub fn is_connected(&self) -> bool {
        self.client.pubsub_state().is_connected()
    }

    /// (queued messages, their estimated bytes, subscriptions waiting for the dispatch
    /// thread) over every subscription: a test hook for the bounds.
    #[doc(hidden)]
    pub fn backlog(&self) -> (usize, usize, usize) {
        self.client.pubsub_state().backlog()
    }

    /// Pub/sub threads of this client alive now (a leak-check hook for tests; unlike the
    /// process's thread count, other clients do not change it).
    #[doc(hidden)]
    pub fn live_threads(&self) -> usize {
        self.client.pubsub_state().live_threads()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Unsubscribing one subscription waits for nothing but its own callback: not for a slow
    /// callback of another subscription of the same client (ABI 4 held one client-wide
    /// delivery lock, so this waited the whole 600 ms).
    #[test]
    fn unsubscribe_does_not_wait_for_another_subscriptions_callback() {
        let pb = BosBase::new("http://127.0.0.1:9"); // nothing listens: the socket retries
        let (entered, inside) = mpsc::channel();
        let slow = Duration::from_millis(600);
        let push: PushFn<Value> = Arc::new(move |_: &Queued<Value>| {
            let _ = entered.send(());
            thread::sleep(slow);
        });
        let a = pb.pubsub().subscribe_mode("a", Mode::Push(push)).unwrap();
        let b = pb.pubsub().subscribe_mode("b", Mode::Pull(None)).unwrap();
        let c = pb.pubsub().subscribe_mode("c", Mode::Push(Arc::new(|_: &Queued<Value>| {}))).unwrap();
        handle(&pb.pubsub_state().shared, r#"{"type":"message","topic":"a","id":"1","data":1}"#);
        inside.recv_timeout(Duration::from_secs(5)).expect("the slow callback runs");
        let t = Instant::now();
        assert!(b.unsubscribe() && c.unsubscribe());
        let took = t.elapsed();
        assert!(took < slow / 2, "an unsubscribe waited {took:?} for another subscription's callback");
        let t = Instant::now();
        assert!(a.unsubscribe(), "its own callback is waited for");
        assert!(t.elapsed() >= slow / 4);
        pb.close();
    }
}

//! Delivery of events to subscribers: the per-subscription queue shared by realtime and
//! pub/sub (bounded by count and bytes), and a re-entrant delivery lock, the guarantee
//! behind "once removal returns, a callback is not running and never runs again".

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, ThreadId};

use serde_json::Value;

use crate::ConnectionState;

/// A re-entrant lock held while callbacks are delivered, and by whatever removes a
/// callback: once the remover holds it, the callback is not running on another thread and
/// never starts again. Re-entrant so a callback may change what it is called about or
/// remove itself (the auth store's listeners, pub/sub subscriptions).
#[derive(Default)]
pub(crate) struct Delivery {
    owner: Mutex<(Option<ThreadId>, usize)>,
    released: Condvar,
}

pub(crate) struct DeliveryGuard<'a>(&'a Delivery);

impl Delivery {
    pub(crate) fn lock(&self) -> DeliveryGuard<'_> {
        let me = thread::current().id();
        let mut owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
        while owner.0.is_some_and(|t| t != me) {
            owner = self.released.wait(owner).unwrap_or_else(PoisonError::into_inner);
        }
        *owner = (Some(me), owner.1 + 1);
        DeliveryGuard(self)
    }
}

impl Drop for DeliveryGuard<'_> {
    fn drop(&mut self) {
        let mut owner = self.0.owner.lock().unwrap_or_else(PoisonError::into_inner);
        owner.1 -= 1;
        if owner.1 == 0 {
            owner.0 = None;
            self.0.released.notify_one();
        }
    }
}

/// Events a subscription queues before the oldest is dropped.
pub(crate) const QUEUE_MAX_EVENTS: usize = 1024;
/// Bytes a subscription queues (the events' estimated size in memory, see [`value_bytes`])
/// before the oldest event is dropped: 16 MiB, the size of the largest realtime message,
/// so one slow consumer holds tens of megabytes, not gigabytes.
pub(crate) const QUEUE_MAX_BYTES: usize = 16 * 1024 * 1024;
/// What a notice (subscribed, error) is counted as.
const NOTICE_BYTES: usize = 256;

/// The one per-subscription queue of realtime and pub/sub (and of the pull receivers):
/// bounded by count **and** bytes. When either bound would be passed, the oldest queued
/// *event* is dropped and counted; notices (subscribed, error) are never dropped to make
/// room for events. The newest event is always kept, so an event larger than the byte
/// bound alone is still delivered (the bound is then that one event). Only a queue holding
/// nothing but [`QUEUE_MAX_EVENTS`] notices loses its oldest notice (counted too), which
/// keeps memory bounded even when a consumer is stuck through endless reconnects.
pub(crate) struct EventQueue<T> {
    items: VecDeque<Entry<T>>,
    bytes: usize,
    dropped: u64,
    max_items: usize,
    max_bytes: usize,
}

struct Entry<T> {
    item: T,
    bytes: usize,
    notice: bool,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue::with_bounds(QUEUE_MAX_EVENTS, QUEUE_MAX_BYTES)
    }
}

impl<T> EventQueue<T> {
    pub(crate) fn with_bounds(max_items: usize, max_bytes: usize) -> Self {
        EventQueue { items: VecDeque::new(), bytes: 0, dropped: 0, max_items: max_items.max(1), max_bytes }
    }

    /// Queues an event of about `bytes` bytes, dropping the oldest events to stay in bounds.
    pub(crate) fn push_event(&mut self, item: T, bytes: usize) {
        self.push(Entry { item, bytes, notice: false });
    }

    /// Queues a notice; it is never dropped for an event.
    pub(crate) fn push_notice(&mut self, item: T) {
        self.push(Entry { item, bytes: NOTICE_BYTES, notice: true });
    }

    fn push(&mut self, entry: Entry<T>) {
        while !self.items.is_empty()
            && (self.items.len() >= self.max_items || self.bytes.saturating_add(entry.bytes) > self.max_bytes)
        {
            let victim = match self.items.iter().position(|e| !e.notice) {
                Some(i) => i,
                None if self.items.len() >= self.max_items => 0,
                None => break, // only notices left: they stay (they are small)
            };
            if let Some(gone) = self.items.remove(victim) {
                self.bytes -= gone.bytes;
                self.dropped += 1;
            }
        }
        self.bytes += entry.bytes;
        self.items.push_back(entry);
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        let entry = self.items.pop_front()?;
        self.bytes -= entry.bytes;
        Some(entry.item)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The estimated bytes queued now.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Entries dropped so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// What a queued entry is (the C ABI's `BosbaseEventKind` less `NONE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A record change or a topic message.
    Event,
    /// The server accepted the subscription.
    Subscribed,
    /// The server refused it; nothing follows.
    Error,
    /// The stream's state changed (connected, disconnected, reconnected).
    State,
}

/// One entry of a subscription's queue: an event or notice of the engine (`T`), or a
/// change of the stream's state, with its sequence number.
pub(crate) struct Queued<T> {
    /// 1, 2, ... per subscription, assigned when queued: a gap means drops.
    pub(crate) seq: u64,
    pub(crate) kind: Kind,
    pub(crate) item: Item<T>,
}

pub(crate) enum Item<T> {
    Event(T),
    State(ConnectionState),
}

/// The JSON of a state entry: `{"type": "state", "state": ..., ("cause": ...)}`.
pub(crate) fn state_json(state: &ConnectionState) -> Value {
    let mut v = state.to_json();
    v["type"] = Value::String("state".into());
    v
}

/// A push-mode consumer: called on the dispatch thread with each entry, in order.
pub(crate) type PushFn<T> = Arc<dyn Fn(&Queued<T>) + Send + Sync>;
/// A pull-mode consumer's "something is queued" notification.
pub(crate) type ReadyFn = Arc<dyn Fn() + Send + Sync>;

/// How a subscription's entries leave its queue.
pub(crate) enum Mode<T> {
    /// The dispatch thread hands each entry to the function.
    Push(PushFn<T>),
    /// The consumer takes them ([`Mailbox::pull`]); `ready` (optional) is called on the
    /// dispatch thread when the queue gets an entry after the consumer last found it empty.
    Pull(Option<ReadyFn>),
}

/// A subscription's delivery state, the same for realtime and pub/sub, push and pull: the
/// one bounded queue, the sequence counter, and (pull) the ready edge.
pub(crate) struct Mailbox<T> {
    queue: EventQueue<Queued<T>>,
    seq: u64,
    mode: Mode<T>,
    /// Pull: the next entry queued calls `ready` (the consumer found the queue empty since
    /// the last call, or never read). At most one call per batch: re-armed by draining.
    armed: bool,
    /// Pull: a `ready` call is due on the dispatch thread.
    due: bool,
}

/// What the dispatch thread has to do for a subscription.
pub(crate) enum Work<T> {
    Deliver(PushFn<T>, Queued<T>),
    Ready(ReadyFn),
}

impl<T> Mailbox<T> {
    pub(crate) fn new(mode: Mode<T>) -> Self {
        Mailbox { queue: EventQueue::default(), seq: 0, mode, armed: true, due: false }
    }

    /// Queues an entry (an event of about `bytes` bytes, or a notice when `None`: never
    /// dropped for an event). Returns true when the dispatch thread has work for this
    /// subscription (an entry to push, or a `ready` call due).
    pub(crate) fn push(&mut self, kind: Kind, item: Item<T>, bytes: Option<usize>) -> bool {
        self.seq += 1;
        let entry = Queued { seq: self.seq, kind, item };
        match bytes {
            Some(bytes) => self.queue.push_event(entry, bytes),
            None => self.queue.push_notice(entry),
        }
        match &self.mode {
            Mode::Push(_) => true,
            Mode::Pull(ready) => {
                if ready.is_some() && std::mem::replace(&mut self.armed, false) {
                    self.due = true;
                }
                self.due
            }
        }
    }

    /// The dispatch thread's next work for this subscription, and whether more remains.
    pub(crate) fn work(&mut self) -> (Option<Work<T>>, bool) {
        match &self.mode {
            Mode::Push(f) => {
                let work = self.queue.pop().map(|e| Work::Deliver(Arc::clone(f), e));
                (work, !self.queue.is_empty())
            }
            Mode::Pull(ready) => {
                let due = std::mem::replace(&mut self.due, false);
                (ready.as_ref().filter(|_| due).map(|f| Work::Ready(Arc::clone(f))), false)
            }
        }
    }

    /// Pull mode: the oldest entry, or `None` when empty (which re-arms `ready`). Always
    /// `None` in push mode.
    pub(crate) fn pull(&mut self) -> Option<Queued<T>> {
        if let Mode::Push(_) = self.mode {
            return None;
        }
        let entry = self.queue.pop();
        if entry.is_none() {
            self.armed = true;
        }
        entry
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.queue.dropped()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.queue.bytes()
    }
}

/// About how many bytes `value` occupies in memory: its strings and keys plus one
/// `Value` per node. Cheap next to parsing it, and honest for both text-heavy data (close
/// to the JSON's length) and many small numbers (several times the JSON's length).
pub(crate) fn value_bytes(value: &Value) -> usize {
    let node = std::mem::size_of::<Value>();
    match value {
        Value::String(s) => node + s.len(),
        Value::Array(items) => node + items.iter().map(value_bytes).sum::<usize>(),
        Value::Object(map) => node + map.iter().map(|(k, v)| k.len() + node + value_bytes(v)).sum::<usize>(),
        _ => node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_bound_drops_the_oldest_event_and_never_a_notice() {
        let mut q = EventQueue::with_bounds(3, usize::MAX);
        q.push_notice("subscribed");
        for e in ["a", "b", "c", "d"] {
            q.push_event(e, 1);
        }
        assert_eq!((q.len(), q.dropped()), (3, 2));
        assert_eq!([q.pop(), q.pop(), q.pop(), q.pop()], [Some("subscribed"), Some("c"), Some("d"), None]);
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn byte_bound_drops_the_oldest_and_keeps_the_newest_even_when_huge() {
        let mut q = EventQueue::with_bounds(1024, 100);
        q.push_notice(0);
        for n in 1..=10 {
            q.push_event(n, 40);
        }
        // 256 (notice) is over 100 alone: the notice stays, every older event goes.
        assert_eq!(q.dropped(), 9);
        assert_eq!((q.pop(), q.pop(), q.pop()), (Some(0), Some(10), None));
        q.push_event(11, 40);
        q.push_event(12, 40);
        assert_eq!((q.len(), q.bytes(), q.dropped()), (2, 80, 9));
        q.push_event(13, 1000); // larger than the bound: kept alone
        assert_eq!((q.len(), q.bytes(), q.dropped()), (1, 1000, 11));
        assert_eq!(q.pop(), Some(13));
    }

    #[test]
    fn a_queue_of_notices_only_stays_bounded() {
        let mut q = EventQueue::with_bounds(4, usize::MAX);
        for n in 0..10 {
            q.push_notice(n);
        }
        assert_eq!((q.len(), q.dropped(), q.pop()), (4, 6, Some(6)));
    }

    #[test]
    fn value_bytes_grows_with_the_content() {
        let small = value_bytes(&serde_json::json!({"a": 1}));
        let text = value_bytes(&Value::String("x".repeat(1 << 20)));
        assert!(small < 200 && (1 << 20..(1 << 20) + 100).contains(&text), "{small} {text}");
        let numbers = value_bytes(&serde_json::json!(vec![1; 1000]));
        assert!(numbers >= 1000 * std::mem::size_of::<Value>());
    }
}

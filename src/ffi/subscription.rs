//! One subscription family for realtime and pub/sub: push (a callback on the dispatch
//! thread) or pull (`bosbase_subscription_next`, with an optional "ready" notification),
//! over the core's one bounded queue per subscription.

use std::ffi::CString;
use std::os::raw::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::handle::Handle;
use super::panic::{guard, guard_value};
use super::strings::{required, write_out};
use super::{BosbaseStatus, UserData};
use crate::delivery::{state_json, Item, Kind, Mode, Queued, ReadyFn};
use crate::{Error, PubSubSubscription, RealtimeEvent, Subscription};

/// What a subscription entry is.
///
/// cbindgen:prefix-with-name=false
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BosbaseEventKind {
    /// `bosbase_subscription_next`: nothing is queued now.
    BosbaseEventNone = 0,
    /// A record change (realtime) or a topic message (pub/sub).
    BosbaseEventEvent = 1,
    /// The server accepted the subscription (first, once; pub/sub: again after a reconnect).
    BosbaseEventSubscribed = 2,
    /// The server refused the subscription; nothing follows (the handle must still be freed).
    BosbaseEventError = 3,
    /// The stream's state: `{"type": "state", "state": "connected"}`,
    /// `{"type": "state", "state": "disconnected", "cause": "..."}` (lost; reconnecting) or
    /// `{"type": "state", "state": "reconnected"}` (events sent meanwhile were missed).
    BosbaseEventState = 4,
}

impl From<Kind> for BosbaseEventKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Event => BosbaseEventKind::BosbaseEventEvent,
            Kind::Subscribed => BosbaseEventKind::BosbaseEventSubscribed,
            Kind::Error => BosbaseEventKind::BosbaseEventError,
            Kind::State => BosbaseEventKind::BosbaseEventState,
        }
    }
}

/// Push mode: receives each entry of a subscription, in order: its kind, its sequence
/// number (1, 2, ... per subscription, assigned when the core queued it: a gap means that
/// many entries were dropped) and its JSON (borrowed for the call only; see
/// `bosbase_realtime_subscribe` and `bosbase_pubsub_subscribe` for the shapes).
///
/// Called on the client's dispatch thread of that kind (realtime or pub/sub: a library
/// thread, one per client and kind, only while it has subscriptions), one call at a time.
/// It may call any `bosbase_*` function, including blocking calls on the same client (the
/// client's other callbacks of that kind wait meanwhile), subscribing, unsubscribing or
/// freeing any subscription (its own included: the current call then finishes normally),
/// and closing, freeing or releasing any client (from a callback close does not wait). It
/// must not wait for another thread that is unsubscribing from this client (that thread
/// waits for the callback), and must not unwind. A callback slower than the events lets the
/// queue (`BOSBASE_QUEUE_MAX_EVENTS` entries or `BOSBASE_QUEUE_MAX_BYTES`, the entries'
/// estimated size in memory) fill: the oldest queued EVENT is then dropped and counted
/// (`bosbase_subscription_dropped`); notices (SUBSCRIBED, ERROR, STATE) are never dropped.
pub type BosbaseEventCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, kind: BosbaseEventKind, sequence: u64, json: *const c_char)>;

/// Pull mode: "something is queued". Called with `user_data` on a library thread (the
/// client's dispatch thread of that kind) when the subscription's queue got an entry after
/// the consumer last saw `BOSBASE_EVENT_NONE` from `bosbase_subscription_next` (or never
/// read): at most once per batch, re-armed by draining the queue. It must return quickly
/// (wake the host's own thread: a channel send, an `enif_send`, a flag) and must not call
/// `bosbase_subscription_next` on a subscription whose consumer runs elsewhere. Never called
/// after `bosbase_subscription_unsubscribe`/`_free` of that subscription returned.
pub type BosbaseReadyCallback = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// An opaque subscription handle (realtime or pub/sub, push or pull mode) from
/// `bosbase_realtime_subscribe`, `bosbase_collection_subscribe` or `bosbase_pubsub_subscribe`.
/// Free it with `bosbase_subscription_free` (which unsubscribes). It keeps what it needs of
/// its client: it stays valid after the client was closed, freed or released (it is then
/// inactive). Thread-safe.
pub struct BosbaseSubscription {
    inner: Inner,
    pull: bool,
}

enum Inner {
    Realtime(Subscription),
    Pubsub(PubSubSubscription),
}

impl Handle for BosbaseSubscription {
    const NAME: &'static str = "subscription";
}

impl BosbaseSubscription {
    pub(crate) fn realtime(sub: Subscription, pull: bool) -> Self {
        BosbaseSubscription { inner: Inner::Realtime(sub), pull }
    }

    pub(crate) fn pubsub(sub: PubSubSubscription, pull: bool) -> Self {
        BosbaseSubscription { inner: Inner::Pubsub(sub), pull }
    }
}

/// The JSON of a realtime entry.
pub(crate) fn realtime_json(item: &Item<RealtimeEvent>) -> Value {
    match item {
        Item::Event(event) => event.to_json(),
        Item::State(state) => state_json(state),
    }
}

/// The JSON of a pub/sub entry.
pub(crate) fn pubsub_json(item: &Item<Value>) -> Value {
    match item {
        Item::Event(event) => event.clone(),
        Item::State(state) => state_json(state),
    }
}

/// The delivery mode of a new subscription: push when `callback` is set (then `ready` must
/// be NULL), else pull with the optional `ready`. Returns it and whether it is pull.
pub(crate) fn mode<T: 'static>(
    callback: BosbaseEventCallback,
    ready: BosbaseReadyCallback,
    user_data: *mut c_void,
    json: fn(&Item<T>) -> Value,
) -> Result<(Mode<T>, bool), Error> {
    let data = Arc::new(UserData(user_data));
    match (callback, ready) {
        (Some(_), Some(_)) => Err(Error::invalid_argument(
            "`callback` and `ready` are both set: a subscription is push (callback) or pull (ready or neither)",
        )),
        (Some(callback), None) => {
            let push = Arc::new(move |entry: &Queued<T>| {
                // JSON text never contains NUL.
                if let Ok(text) = CString::new(json(&entry.item).to_string()) {
                    // SAFETY: the caller registered this function and user_data for this
                    // purpose; it must not unwind (documented).
                    unsafe { callback(data.0, entry.kind.into(), entry.seq, text.as_ptr()) }
                }
            });
            Ok((Mode::Push(push), false))
        }
        (None, ready) => {
            let ready = ready.map(|ready| {
                // SAFETY: as above.
                Arc::new(move || unsafe { ready(data.0) }) as ReadyFn
            });
            Ok((Mode::Pull(ready), true))
        }
    }
}

/// Pull mode, non-blocking: writes the oldest queued entry's kind, sequence number and JSON
/// (owned by the caller: `bosbase_string_free`) and removes it from the queue; when nothing
/// is queued, OK with `*kind_out = BOSBASE_EVENT_NONE`, `*sequence_out = 0` and
/// `*json_out = NULL` (this re-arms the ready callback). After unsubscribe (or the client's
/// close) it returns NONE. Returns OK, INVALID_ARGUMENT (NULL, or a push-mode subscription:
/// its callback gets the entries) or PANIC. Thread-safe; one consumer per subscription keeps
/// the order meaningful.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_next(
    subscription: *const BosbaseSubscription,
    kind_out: *mut BosbaseEventKind,
    sequence_out: *mut u64,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let sub = BosbaseSubscription::borrow(subscription)?;
        required(kind_out, "kind_out")?;
        required(sequence_out, "sequence_out")?;
        required(json_out, "json_out")?;
        if !sub.pull {
            return Err(Error::invalid_argument(
                "a push-mode subscription has no queue to read: its callback gets the entries",
            ));
        }
        let entry = match &sub.inner {
            Inner::Realtime(s) => s.pull().map(|q| (q.kind, q.seq, realtime_json(&q.item))),
            Inner::Pubsub(s) => s.pull().map(|q| (q.kind, q.seq, pubsub_json(&q.item))),
        };
        match entry {
            Some((kind, seq, json)) => {
                write_out(json_out, json.to_string())?;
                *kind_out = kind.into();
                *sequence_out = seq;
            }
            None => {
                *kind_out = BosbaseEventKind::BosbaseEventNone;
                *sequence_out = 0;
                *json_out = std::ptr::null_mut();
            }
        }
        Ok(())
    })
}

/// Blocks until the server confirmed the subscription, at most `timeout_ms` milliseconds.
/// Returns OK (confirmed; also when it had been confirmed before), HTTP (refused by the
/// server, the error JSON says why; realtime: also at the timeout when the server kept
/// refusing the subscription POST, e.g. 403 or 5xx, while retries went on), TIMEOUT,
/// CANCELLED (unsubscribed meanwhile), CLOSED, INVALID_ARGUMENT (NULL) or PANIC. Both kinds,
/// both modes. Thread-safe; may be called from a callback (confirmation comes from the
/// stream thread, not the dispatch thread).
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_wait(
    subscription: *const BosbaseSubscription,
    timeout_ms: u64,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let timeout = Duration::from_millis(timeout_ms);
        match &BosbaseSubscription::borrow(subscription)?.inner {
            Inner::Realtime(s) => s.wait_ready(timeout),
            Inner::Pubsub(s) => s.wait_ready(timeout),
        }
    })
}

/// True until the subscription is unsubscribed (by handle, topic or prefix, or by closing the
/// client). False for NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_is_active(subscription: *const BosbaseSubscription) -> bool {
    guard_value(false, || {
        BosbaseSubscription::borrow(subscription).is_ok_and(|s| match &s.inner {
            Inner::Realtime(s) => s.is_active(),
            Inner::Pubsub(s) => s.is_active(),
        })
    })
}

/// Entries of this subscription dropped because its consumer fell `BOSBASE_QUEUE_MAX_EVENTS`
/// entries or `BOSBASE_QUEUE_MAX_BYTES` behind (drop-oldest; notices are never dropped).
/// 0 for NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_dropped(subscription: *const BosbaseSubscription) -> u64 {
    guard_value(0, || {
        BosbaseSubscription::borrow(subscription).map_or(0, |s| match &s.inner {
            Inner::Realtime(s) => s.dropped(),
            Inner::Pubsub(s) => s.dropped(),
        })
    })
}

/// Stops a subscription's delivery; its queued entries are discarded. When it returns, its
/// callback (push) or ready callback (pull) is not running on another thread and is never
/// called again, so `user_data` may be freed; called from inside that callback it returns at
/// once (the current call finishes). It joins no thread: push mode waits only for a running
/// callback of this subscription, pull mode only for a running ready call (which must return
/// quickly). The last subscription of a client stops its realtime or pub/sub threads, which
/// end on their own. Idempotent; NULL is ignored. The handle still needs
/// `bosbase_subscription_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_unsubscribe(subscription: *const BosbaseSubscription) {
    guard_value((), || {
        if let Ok(sub) = BosbaseSubscription::borrow(subscription) {
            match &sub.inner {
                Inner::Realtime(s) => s.unsubscribe(),
                Inner::Pubsub(s) => {
                    s.unsubscribe();
                }
            }
        }
    })
}

/// Unsubscribes (as `bosbase_subscription_unsubscribe`, same guarantee, same waits) and frees
/// the handle. NULL is ignored; freeing twice is undefined behaviour. May be called after the
/// client was closed, freed or released, and from inside the subscription's own callback.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_free(subscription: *mut BosbaseSubscription) {
    guard_value((), || drop(BosbaseSubscription::from_raw(subscription)))
}

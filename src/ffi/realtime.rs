//! Realtime subscriptions: subscribe with a callback, unsubscribe, connection-state callbacks.
//!
//! Threads: while a client has at least one subscription it runs two library threads, one
//! reading the event stream and one (its *realtime dispatch thread*) calling every
//! `BosbaseRealtimeCallback` and `BosbaseRealtimeStateCallback` of that client, one call
//! at a time. No callback runs after the function that removed it returned.

use std::os::raw::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::client::BosbaseClient;
use super::panic::{guard, guard_value};
use super::strings::{arg, required};
use super::{call_with_json, BosbaseStatus, UserData};
use crate::{ConnectionState, Error, RealtimeEvent, StateListenerId, SubscribeOptions, Subscription};

/// Receives one realtime event of a subscription as JSON (borrowed for the call only):
///
/// - `{"type": "subscribed", "topic": "posts/RECORD_ID"}`: the server accepted the subscription;
///   comes first, once.
/// - `{"type": "event", "topic": "posts/RECORD_ID", "event": "create", "record": {...}}`: a record
///   was created, updated or deleted (`"event"` is the server's action).
/// - `{"type": "event", "topic": "...", "data": ...}`: a message of a non-record topic
///   (its JSON data, or a string when the data was not JSON).
/// - `{"type": "error", "topic": "...", "error": {error JSON}}`: the server refused the
///   subscription; no further event follows (the handle must still be freed).
///
/// Called on the client's realtime dispatch thread (a library thread, the same for every
/// subscription and state callback of the client), one call at a time; events of one
/// subscription arrive in the server's order. It may call any `bosbase_*` function,
/// including blocking calls on the same client (the client's other callbacks wait
/// meanwhile), subscribing, unsubscribing or freeing any subscription (its own included:
/// the current call then finishes normally), and closing or freeing any client (see
/// `bosbase_client_close`: from a callback it does not wait). It must not wait for another
/// thread that is unsubscribing from this client (that thread waits for the callback),
/// and must not unwind. Hosts with a main-thread rule
/// (Godot) or a runtime (Go, BEAM) should hand the JSON over to their own thread and return.
/// A callback slower than the events lets its queue (1024 events or 16 MiB, the events'
/// estimated size in memory) fill: the oldest queued event is then dropped and counted
/// (`bosbase_subscription_dropped`); the newest event and the `subscribed`/`error` notices
/// are always kept.
pub type BosbaseRealtimeCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, event_json: *const c_char)>;

/// Receives a connection-state change as JSON (borrowed for the call only):
/// `{"state": "connected"}` (the stream is open and the server accepted the subscriptions),
/// `{"state": "disconnected", "cause": "..."}` (lost; reconnecting with backoff) or
/// `{"state": "reconnected"}` (open again, subscriptions submitted again; events sent
/// meanwhile were missed, so refetch). Same thread and rules as `BosbaseRealtimeCallback`,
/// in order with the events.
pub type BosbaseRealtimeStateCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, state_json: *const c_char)>;

/// An opaque subscription handle from `bosbase_realtime_subscribe`. Free it with
/// `bosbase_subscription_free` (which unsubscribes); it stays valid after its client was
/// closed or freed (it is then inactive). Thread-safe.
pub struct BosbaseSubscription(Subscription);

/// Subscribes to `topic`: `COLLECTION/` followed by `*` (every record of the collection
/// the signed-in user may list) or by a record id (one record, if the user may view it), or
/// a custom topic. `options_json` may be NULL or an object with any of `"filter"`, `"expand"`,
/// `"fields"` (strings), `"query"` (object of strings/numbers/bools) and `"headers"`
/// (object of strings); the server applies them to the events it sends.
///
/// Returns at once (it does not wait for the server; the first callback is the
/// `"subscribed"` event, or `bosbase_subscription_wait` blocks until then). The first
/// subscription of a client starts its realtime threads; the stream reconnects by itself
/// (backoff 250 ms doubling up to 10 s, with jitter, started over only after a connection
/// whose subscriptions the server accepted stayed up 10 s; a refused subscription POST
/// other than a 400 is retried with it) and reconnects at once under a new
/// identity after any auth-store change. `callback` (required) is called with `user_data`
/// as described at `BosbaseRealtimeCallback`.
///
/// Writes the handle to `*subscription_out`; free it with `bosbase_subscription_free`.
/// Returns OK, INVALID_ARGUMENT (NULL, invalid UTF-8, empty topic, malformed or unknown
/// options), CLOSED, NETWORK (no thread could be started) or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_realtime_subscribe(
    client: *const BosbaseClient,
    topic: *const c_char,
    options_json: *const c_char,
    callback: BosbaseRealtimeCallback,
    user_data: *mut c_void,
    subscription_out: *mut *mut BosbaseSubscription,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || subscribe(client, arg(topic, "topic")?, options_json, callback, user_data, subscription_out))
}

unsafe fn subscribe(
    client: *const BosbaseClient,
    topic: &str,
    options_json: *const c_char,
    callback: BosbaseRealtimeCallback,
    user_data: *mut c_void,
    subscription_out: *mut *mut BosbaseSubscription,
) -> Result<(), Error> {
    let pb = BosbaseClient::open(client)?;
    let callback = callback.ok_or_else(|| Error::invalid_argument("`callback` is NULL"))?;
    required(subscription_out, "subscription_out")?;
    let options = match options_json.is_null() {
        true => SubscribeOptions::default(),
        false => SubscribeOptions::from_json(arg(options_json, "options_json")?)?,
    };
    let data = UserData(user_data);
    let deliver = Arc::new(move |event: &RealtimeEvent| call_with_json(callback, &data, event.to_json().to_string()));
    let sub = pb.realtime().subscribe_nowait(topic, &options, deliver)?;
    *subscription_out = Box::into_raw(Box::new(BosbaseSubscription(sub)));
    Ok(())
}

/// `bosbase_realtime_subscribe` for a collection's records: the topic is
/// `"<collection>/<topic>"`, `topic` being `"*"` or a record id. Same rules and results.
#[no_mangle]
pub unsafe extern "C" fn bosbase_collection_subscribe(
    client: *const BosbaseClient,
    collection: *const c_char,
    topic: *const c_char,
    options_json: *const c_char,
    callback: BosbaseRealtimeCallback,
    user_data: *mut c_void,
    subscription_out: *mut *mut BosbaseSubscription,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let collection = arg(collection, "collection")?;
        if collection.is_empty() {
            return Err(Error::invalid_argument("collection name is empty"));
        }
        let topic = format!("{collection}/{}", arg(topic, "topic")?);
        subscribe(client, &topic, options_json, callback, user_data, subscription_out)
    })
}

/// Blocks until the server confirmed the subscription, at most `timeout_ms` milliseconds.
/// Returns OK (confirmed; also when it had been confirmed before), HTTP (refused by the
/// server, the error JSON says why; also at the timeout when the server kept refusing the
/// subscription POST, e.g. 403 or 5xx, while retries went on), TIMEOUT, CANCELLED (unsubscribed meanwhile), CLOSED,
/// INVALID_ARGUMENT (NULL) or PANIC. Thread-safe; may be called from a realtime callback
/// (confirmation comes from the stream thread, not the dispatch thread).
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_wait(
    subscription: *const BosbaseSubscription,
    timeout_ms: u64,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let sub = subscription.as_ref().ok_or_else(|| Error::invalid_argument("`subscription` is NULL"))?;
        sub.0.wait_ready(Duration::from_millis(timeout_ms))
    })
}

/// Stops a subscription's events. When it returns, the callback is not running on any
/// other thread and will never be called again, so `user_data` may be freed. Called from
/// inside that callback it returns at once (the current call finishes). Idempotent; NULL
/// is ignored. The last subscription of a client stops its realtime threads. The handle
/// still needs `bosbase_subscription_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_unsubscribe(subscription: *const BosbaseSubscription) {
    guard_value((), || {
        if let Some(sub) = subscription.as_ref() {
            sub.0.unsubscribe();
        }
    })
}

/// Unsubscribes (as `bosbase_subscription_unsubscribe`, same guarantee) and frees the
/// handle. NULL is ignored; freeing twice is undefined behaviour. May be called after the
/// client was freed, and from inside the subscription's own callback.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_free(subscription: *mut BosbaseSubscription) {
    guard_value((), || {
        if !subscription.is_null() {
            drop(Box::from_raw(subscription));
        }
    })
}

/// Events of this subscription dropped because its callback fell 1024 events or 16 MiB behind
/// (drop-oldest policy). 0 for NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_dropped(subscription: *const BosbaseSubscription) -> u64 {
    guard_value(0, || subscription.as_ref().map_or(0, |s| s.0.dropped()))
}

/// True until the subscription is unsubscribed (by handle, topic, prefix, or by closing
/// the client). False for NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_subscription_is_active(subscription: *const BosbaseSubscription) -> bool {
    guard_value(false, || subscription.as_ref().is_some_and(|s| s.0.is_active()))
}

/// Unsubscribes every subscription of `client` to exactly `topic` (whatever its options),
/// with the guarantee of `bosbase_subscription_unsubscribe` for each; their handles stay
/// valid (inactive) and must still be freed. Returns OK (also when none matched),
/// INVALID_ARGUMENT or PANIC. Thread-safe; callable from callbacks.
#[no_mangle]
pub unsafe extern "C" fn bosbase_realtime_unsubscribe(
    client: *const BosbaseClient,
    topic: *const c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let topic = arg(topic, "topic")?;
        BosbaseClient::from_ptr(client)?.realtime().unsubscribe(topic);
        Ok(())
    })
}

/// Like `bosbase_realtime_unsubscribe`, for every topic starting with `prefix`
/// (e.g. `"posts/"` for all of a collection's subscriptions).
#[no_mangle]
pub unsafe extern "C" fn bosbase_realtime_unsubscribe_by_prefix(
    client: *const BosbaseClient,
    prefix: *const c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let prefix = arg(prefix, "prefix")?;
        BosbaseClient::from_ptr(client)?.realtime().unsubscribe_by_prefix(prefix);
        Ok(())
    })
}

/// Registers a connection-state callback (see `BosbaseRealtimeStateCallback`) with
/// `user_data` passed through untouched; writes its id to `*listener_id_out`. It is called
/// for state changes after this returns, while the client has subscriptions. Returns OK,
/// INVALID_ARGUMENT (NULL client, callback or out-pointer), CLOSED or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_realtime_on_state(
    client: *const BosbaseClient,
    callback: BosbaseRealtimeStateCallback,
    user_data: *mut c_void,
    listener_id_out: *mut u64,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::open(client)?;
        let callback = callback.ok_or_else(|| Error::invalid_argument("`callback` is NULL"))?;
        required(listener_id_out, "listener_id_out")?;
        let data = UserData(user_data);
        let id = pb
            .realtime()
            .on_state(move |state: &ConnectionState| call_with_json(callback, &data, state.to_json().to_string()))?;
        *listener_id_out = id.0;
        Ok(())
    })
}

/// Unregisters a state callback. When it returns, the callback is not running on any other
/// thread and will never be called again (called from inside it: returns at once).
/// Returns OK, INVALID_ARGUMENT (NULL client or unknown id) or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_realtime_remove_state_listener(
    client: *const BosbaseClient,
    listener_id: u64,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        match BosbaseClient::from_ptr(client)?.realtime().remove_state_listener(StateListenerId(listener_id)) {
            true => Ok(()),
            false => Err(Error::invalid_argument("unknown state listener id")),
        }
    })
}

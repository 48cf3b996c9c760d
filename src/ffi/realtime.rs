//! Realtime subscriptions (push or pull, see `subscription.rs`), unsubscribing by topic,
//! connection-state callbacks.
//!
//! Threads: while a client has at least one subscription it runs two library threads, one
//! reading the event stream and one (its *realtime dispatch thread*) calling every push
//! callback, ready callback and `BosbaseRealtimeStateCallback` of that client, one call at
//! a time. No callback runs after the function that removed it returned.

use std::os::raw::{c_char, c_void};

use super::client::BosbaseClient;
use super::handle::write_handle;
use super::panic::guard;
use super::strings::{arg, required};
use super::subscription::{mode, realtime_json, BosbaseEventCallback, BosbaseReadyCallback, BosbaseSubscription};
use super::{call_with_json, BosbaseStatus, UserData};
use crate::{ConnectionState, Error, StateListenerId, SubscribeOptions};

/// Receives a connection-state change as JSON (borrowed for the call only):
/// `{"state": "connected"}` (the stream is open and the server accepted the subscriptions),
/// `{"state": "disconnected", "cause": "..."}` (lost; reconnecting with backoff) or
/// `{"state": "reconnected"}` (open again, subscriptions submitted again; events sent
/// meanwhile were missed, so refetch). Same thread and rules as `BosbaseEventCallback`,
/// in order with the events.
pub type BosbaseRealtimeStateCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, state_json: *const c_char)>;

/// Subscribes to `topic`: `COLLECTION/` followed by `*` (every record of the collection
/// the signed-in user may list) or by a record id (one record, if the user may view it), or
/// a custom topic. `options_json` may be NULL or an object with any of `"filter"`, `"expand"`,
/// `"fields"` (strings), `"query"` (object of strings/numbers/bools) and `"headers"`
/// (object of strings); the server applies them to the events it sends.
///
/// Entries (see `BosbaseEventKind`; JSON borrowed in push mode, owned in pull mode):
///
/// - SUBSCRIBED `{"type": "subscribed", "topic": "posts/RECORD_ID"}`: the server accepted the
///   subscription; comes first, once.
/// - EVENT `{"type": "event", "topic": "posts/RECORD_ID", "event": "create", "record": {...}}`:
///   a record was created, updated or deleted (`"event"` is the server's action), or
///   `{"type": "event", "topic": "...", "data": ...}`: a message of a non-record topic (its
///   JSON data, or a string when the data was not JSON).
/// - ERROR `{"type": "error", "topic": "...", "error": {error JSON}}`: the server refused the
///   subscription; nothing follows.
/// - STATE `{"type": "state", "state": "connected" | "disconnected" | "reconnected"}` (with
///   `"cause"` when disconnected): the client's stream changed state (also reported to
///   `bosbase_realtime_on_state` listeners).
///
/// Exactly one mode: `callback` set (push, `ready` must be NULL): called as described at
/// `BosbaseEventCallback`; `callback` NULL (pull): read with `bosbase_subscription_next`,
/// `ready` (may be NULL) called as described at `BosbaseReadyCallback`. `user_data` is passed
/// through untouched to whichever is set.
///
/// Returns at once (it does not wait for the server nor for any thread; the first entry is
/// SUBSCRIBED, or `bosbase_subscription_wait` blocks until then). The first
/// subscription of a client starts its realtime threads; the stream reconnects by itself
/// (backoff 250 ms doubling up to 10 s, with jitter, started over only after a connection
/// whose subscriptions the server accepted stayed up 10 s; a refused subscription POST
/// other than a 400 is retried with it) and reconnects at once under a new
/// identity after any auth-store change.
///
/// Writes the handle to `*subscription_out`; free it with `bosbase_subscription_free`.
/// Returns OK, INVALID_ARGUMENT (NULL, invalid UTF-8, empty topic, malformed or unknown
/// options, both `callback` and `ready` set), CLOSED, NETWORK (no thread could be started)
/// or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_realtime_subscribe(
    client: *const BosbaseClient,
    topic: *const c_char,
    options_json: *const c_char,
    callback: BosbaseEventCallback,
    ready: BosbaseReadyCallback,
    user_data: *mut c_void,
    subscription_out: *mut *mut BosbaseSubscription,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        subscribe(client, arg(topic, "topic")?, options_json, callback, ready, user_data, subscription_out)
    })
}

unsafe fn subscribe(
    client: *const BosbaseClient,
    topic: &str,
    options_json: *const c_char,
    callback: BosbaseEventCallback,
    ready: BosbaseReadyCallback,
    user_data: *mut c_void,
    subscription_out: *mut *mut BosbaseSubscription,
) -> Result<(), Error> {
    let pb = BosbaseClient::open(client)?;
    required(subscription_out, "subscription_out")?;
    let options = match options_json.is_null() {
        true => SubscribeOptions::default(),
        false => SubscribeOptions::from_json(arg(options_json, "options_json")?)?,
    };
    let (mode, pull) = mode(callback, ready, user_data, realtime_json)?;
    let sub = pb.realtime().subscribe_mode(topic, &options, mode)?;
    write_handle(subscription_out, BosbaseSubscription::realtime(sub, pull));
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
    callback: BosbaseEventCallback,
    ready: BosbaseReadyCallback,
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
        subscribe(client, &topic, options_json, callback, ready, user_data, subscription_out)
    })
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

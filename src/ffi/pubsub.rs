//! Pub/sub over BosBase's WebSocket: subscriptions with a C callback. Publishing is the
//! `pubsub.publish` operation (`bosbase_call` / `bosbase_call_async`).

use std::os::raw::{c_char, c_void};
use std::sync::Arc;

use super::client::BosbaseClient;
use super::panic::{guard, guard_value};
use super::strings::{arg, required};
use super::{call_with_json, BosbaseStatus, UserData};
use crate::{pubsub, BosBase, Error};

/// Receives one pub/sub event as JSON (borrowed for the call only):
///
/// - `{"type": "subscribed", "topic": "..."}`: the server accepted the subscription; first, once
///   per connection (again after a reconnect).
/// - `{"type": "message", "topic": "...", "id": "...", "created": "...", "data": ...}`: a
///   published message (`data` as the publisher sent it).
/// - `{"type": "error", "topic": "...", "error": {error JSON}}`: the server refused the topic.
///
/// Called on the client's pub/sub dispatch thread (a library thread, the same for every
/// subscription of the client), one call at a time, each subscription's messages in order.
/// It may call any `bosbase_*` function, including blocking calls on the same client (the
/// client's other pub/sub callbacks wait meanwhile), unsubscribing or freeing any
/// subscription (its own included), and closing or freeing any client (see
/// `bosbase_client_close`: from a callback it does not wait); it must not unwind.
/// Hosts with a main-thread rule (Godot) or a runtime (Go, BEAM) should hand the JSON to
/// their own thread and return. A callback 1024 messages or 16 MiB behind (the messages'
/// estimated size in memory) loses the oldest queued message, counted by
/// `bosbase_pubsub_subscription_dropped`; the newest message and the `subscribed`/`error`
/// notices are always kept.
pub type BosbasePubsubCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, event_json: *const c_char)>;

/// An opaque pub/sub subscription from `bosbase_pubsub_subscribe`. Free it with
/// `bosbase_pubsub_subscription_free` (which unsubscribes). It keeps its client's core
/// alive, so it stays valid after the client was closed or freed (it is then inactive).
pub struct BosbasePubsubSubscription {
    client: BosBase,
    id: u64,
}

/// Subscribes to the pub/sub `topic` (a non-empty string without control characters).
/// Returns at once; the WebSocket opens with the first subscription or publish and closes
/// when none is left; connecting (TCP, TLS, the upgrade and the server's `ready`) has one
/// deadline, the connect timeout. It reconnects by itself (backoff 200 ms doubling to 5 s,
/// with jitter, started over only after a connection that stayed up 5 s), subscribes every
/// topic again, and reconnects under the new identity after any auth-store change (the
/// token goes in the `Authorization` header, never in the URL).
/// `callback` (required) is called with `user_data` as described at
/// `BosbasePubsubCallback`. Writes the handle to `*subscription_out`. Returns OK,
/// INVALID_ARGUMENT, CLOSED (once `bosbase_client_close` began), NETWORK (no thread could
/// be started) or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_pubsub_subscribe(
    client: *const BosbaseClient,
    topic: *const c_char,
    callback: BosbasePubsubCallback,
    user_data: *mut c_void,
    subscription_out: *mut *mut BosbasePubsubSubscription,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(subscription_out, "subscription_out")?;
        let pb = BosbaseClient::open(client)?;
        let topic = arg(topic, "topic")?;
        let callback = callback.ok_or_else(|| Error::invalid_argument("`callback` is NULL"))?;
        let data = UserData(user_data);
        let deliver: pubsub::PubSubCallback = Arc::new(move |event| call_with_json(callback, &data, event.to_string()));
        let id = pubsub::subscribe_raw(&pb, topic, deliver)?;
        *subscription_out = Box::into_raw(Box::new(BosbasePubsubSubscription { client: BosBase::clone(&pb), id }));
        Ok(())
    })
}

/// Stops a subscription's delivery. When this returns the callback is not running on
/// another thread and is never called again (from inside that callback it returns at once
/// and the current call finishes). Returns true when this stopped it, false when it had
/// stopped already or `subscription` is NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_pubsub_subscription_unsubscribe(
    subscription: *const BosbasePubsubSubscription,
) -> bool {
    guard_value(false, || subscription.as_ref().is_some_and(|s| pubsub::unsubscribe_raw(&s.client, s.id)))
}

/// Messages this subscription lost because its callback fell 1024 messages or 16 MiB
/// behind (0 for NULL). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_pubsub_subscription_dropped(subscription: *const BosbasePubsubSubscription) -> u64 {
    guard_value(0, || subscription.as_ref().map_or(0, |s| pubsub::dropped_raw(&s.client, s.id)))
}

/// Unsubscribes and frees a subscription handle (as `bosbase_pubsub_subscription_unsubscribe`,
/// then the memory). NULL is ignored; freeing twice is undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn bosbase_pubsub_subscription_free(subscription: *mut BosbasePubsubSubscription) {
    guard_value((), || {
        if !subscription.is_null() {
            let owned = Box::from_raw(subscription);
            pubsub::unsubscribe_raw(&owned.client, owned.id);
        }
    })
}

/// Stops every subscription of `topic` on this client (their handles stay to be freed).
/// Returns OK, INVALID_ARGUMENT or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_pubsub_unsubscribe_topic(
    client: *const BosbaseClient,
    topic: *const c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        pb.pubsub().unsubscribe(arg(topic, "topic")?);
        Ok(())
    })
}

/// True while the client's pub/sub WebSocket is open. False for NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_pubsub_is_connected(client: *const BosbaseClient) -> bool {
    guard_value(false, || BosbaseClient::from_ptr(client).is_ok_and(|pb| pb.pubsub().is_connected()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;
    use std::sync::{mpsc, Mutex};
    use std::time::{Duration, Instant};

    unsafe extern "C" fn ignore(_: *mut c_void, _: *const c_char) {}

    /// A subscribe still inside its entry point is counted in flight, so `close` waits for it
    /// and a `free` after `close` cannot pull the handle from under it. The first subscribe
    /// registers an auth-store listener, which waits while another thread's listener runs:
    /// that keeps it inside, deterministically, while the count is checked.
    #[test]
    fn a_subscribe_in_progress_is_held_so_close_waits_for_it() {
        let mut handle: *mut BosbaseClient = ptr::null_mut();
        // Nothing listens on port 9: the pub/sub socket fails and retries, which is fine here.
        let status = unsafe {
            super::super::bosbase_client_new(c"http://127.0.0.1:9".as_ptr(), ptr::null(), &mut handle, ptr::null_mut())
        };
        assert_eq!(status, BosbaseStatus::Ok);
        let pb = unsafe { (*handle).0.clone() };
        let (entered, in_listener) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let released = Mutex::new(released);
        pb.auth_store().on_change(Arc::new(move |_, _| {
            let _ = entered.send(());
            let _ = released.lock().unwrap().recv_timeout(Duration::from_secs(5));
        }));
        let store = pb.clone();
        let saver = std::thread::spawn(move || store.auth_store().save("t", serde_json::json!({})));
        in_listener.recv_timeout(Duration::from_secs(5)).unwrap();
        let addr = handle as usize;
        let subscriber = std::thread::spawn(move || {
            let mut sub: *mut BosbasePubsubSubscription = ptr::null_mut();
            let client = addr as *const BosbaseClient;
            let status = unsafe {
                bosbase_pubsub_subscribe(
                    client,
                    c"t".as_ptr(),
                    Some(ignore),
                    ptr::null_mut(),
                    &mut sub,
                    ptr::null_mut(),
                )
            };
            (status, sub as usize)
        });
        let deadline = Instant::now() + Duration::from_secs(3);
        while pb.in_flight() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let counted = pb.in_flight();
        release.send(()).unwrap();
        saver.join().unwrap().unwrap();
        let (status, sub) = subscriber.join().unwrap();
        assert_eq!(counted, 1, "the subscribe blocked inside its entry point was not counted in flight");
        assert_eq!(status, BosbaseStatus::Ok);
        unsafe {
            bosbase_pubsub_subscription_free(sub as *mut BosbasePubsubSubscription);
            super::super::bosbase_client_free(handle);
        }
    }
}

//! Pub/sub over BosBase's WebSocket: subscriptions (push or pull, see `subscription.rs`).
//! Publishing is the `pubsub.publish` operation (`bosbase_call` / `bosbase_call_async`).

use std::os::raw::{c_char, c_void};

use serde_json::{Map, Value};

use super::client::BosbaseClient;
use super::handle::write_handle;
use super::panic::{guard, guard_value};
use super::strings::{arg, required};
use super::subscription::{mode, pubsub_json, BosbaseEventCallback, BosbaseReadyCallback, BosbaseSubscription};
use super::BosbaseStatus;
use crate::request::parse_json;
use crate::Error;

/// Subscribes to the pub/sub `topic` (a non-empty string without control characters).
/// `options_json` must be NULL or `{}` (none are defined yet).
///
/// Entries (see `BosbaseEventKind`; JSON borrowed in push mode, owned in pull mode):
///
/// - SUBSCRIBED `{"type": "subscribed", "topic": "..."}`: the server accepted the subscription;
///   first, once per connection (again after a reconnect).
/// - EVENT `{"type": "message", "topic": "...", "id": "...", "created": "...", "data": ...}`: a
///   published message (`data` as the publisher sent it).
/// - ERROR `{"type": "error", "topic": "...", "error": {error JSON}}`: the server refused the topic.
/// - STATE `{"type": "state", "state": "connected" | "disconnected" | "reconnected"}` (with
///   `"cause"` when disconnected): the client's WebSocket changed state.
///
/// Exactly one mode, as for `bosbase_realtime_subscribe`: `callback` set (push, on the
/// client's pub/sub dispatch thread; `ready` must be NULL) or `callback` NULL (pull, with the
/// optional `ready`).
///
/// Returns at once (waits for no thread); the WebSocket opens with the first subscription
/// or publish and closes when none is left; connecting (TCP, TLS, the upgrade and the
/// server's `ready`) has one deadline, the connect timeout. It reconnects by itself (backoff
/// 200 ms doubling to 5 s, with jitter, started over only after a connection that stayed up
/// 5 s), subscribes every topic again, and reconnects under the new identity after any
/// auth-store change (the token goes in the `Authorization` header, never in the URL).
/// Writes the handle to `*subscription_out`; free it with `bosbase_subscription_free`.
/// Returns OK, INVALID_ARGUMENT, CLOSED (once `bosbase_client_close` began), NETWORK (no
/// thread could be started) or PANIC. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_pubsub_subscribe(
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
        required(subscription_out, "subscription_out")?;
        let pb = BosbaseClient::open(client)?;
        let topic = arg(topic, "topic")?;
        if !options_json.is_null() {
            let options: Map<String, Value> = parse_json(arg(options_json, "options_json")?, "pub/sub options JSON")?;
            if let Some(key) = options.keys().next() {
                return Err(Error::invalid_argument(format!("pub/sub options: unknown field `{key}`")));
            }
        }
        let (mode, pull) = mode(callback, ready, user_data, pubsub_json)?;
        let sub = pb.pubsub().subscribe_mode(topic, mode)?;
        write_handle(subscription_out, BosbaseSubscription::pubsub(sub, pull));
        Ok(())
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
    use std::sync::{mpsc, Arc, Mutex};
    use std::time::{Duration, Instant};

    unsafe extern "C" fn ignore(_: *mut c_void, _: super::super::BosbaseEventKind, _: u64, _: *const c_char) {}

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
            let mut sub: *mut BosbaseSubscription = ptr::null_mut();
            let client = addr as *const BosbaseClient;
            let status = unsafe {
                bosbase_pubsub_subscribe(
                    client,
                    c"t".as_ptr(),
                    ptr::null(),
                    Some(ignore),
                    None,
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
            super::super::bosbase_subscription_free(sub as *mut BosbaseSubscription);
            super::super::bosbase_client_free(handle);
        }
    }
}

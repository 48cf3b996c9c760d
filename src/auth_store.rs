//! The client's login state: token + record, shared by every thread using the client.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::delivery::Delivery;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::{jwt, Error, Result};

/// Called after every change with the new token and record (empty token and
/// `null` record after `clear`). Runs on the thread that made the change.
///
/// Changes and their notifications are serialised: listeners see every change in the
/// order it was made, so the last call a listener gets carries the store's final state.
/// A listener may read or change the store (a change it makes is delivered, nested, before
/// it returns), may remove listeners and may close any client (from a listener
/// [`BosBase::close`](crate::BosBase::close) does not wait); it must not wait for another
/// thread that changes the store, as that thread waits for the listener.
pub type ChangeListener = Arc<dyn Fn(&str, &Value) + Send + Sync>;

/// Identifies a listener registered with [`AuthStore::on_change`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId(pub u64);

/// Token and auth record of the signed-in account. Auth calls save into it;
/// every request sends its token while [`is_valid`](AuthStore::is_valid).
#[derive(Default)]
pub struct AuthStore {
    state: RwLock<State>,
    listeners: Mutex<Vec<(ListenerId, ChangeListener)>>,
    next_id: AtomicU64,
    delivery: Delivery,
}

#[derive(Clone, Default)]
struct State {
    token: String,
    record: Value,
}

impl AuthStore {
    /// The stored token, or `""`.
    pub fn token(&self) -> String {
        self.read().token.clone()
    }

    /// The stored auth record, or `Value::Null`.
    pub fn record(&self) -> Value {
        self.read().record.clone()
    }

    /// True when a token is stored and its JWT `exp` is in the future.
    /// The signature is not checked: that is the server's job.
    pub fn is_valid(&self) -> bool {
        token_is_valid(&self.read().token)
    }

    /// The token to send as `Authorization`: whenever one is stored, as the JS SDK does
    /// (the server, not the local clock, decides whether it is still good).
    pub(crate) fn auth_header(&self) -> Option<String> {
        let state = self.read();
        (!state.token.is_empty()).then(|| state.token.clone())
    }

    /// Replaces token and record, then notifies listeners (see [`ChangeListener`]).
    pub fn save(&self, token: &str, record: Value) {
        let _delivering = self.delivery.lock();
        let state = State { token: token.to_owned(), record };
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = state.clone();
        self.notify(&state);
    }

    /// Forgets token and record, then notifies listeners.
    pub fn clear(&self) {
        self.save("", Value::Null);
    }

    /// Registers `listener`; see [`ChangeListener`] for when it runs. It is called for
    /// changes that start after this returns.
    pub fn on_change(&self, listener: ChangeListener) -> ListenerId {
        let id = ListenerId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let _delivering = self.delivery.lock();
        self.listeners().push((id, listener));
        id
    }

    /// Unregisters a listener; false when `id` was not registered. When this returns the
    /// listener is not running on any other thread and will never be called again, so the
    /// caller may free whatever it captured. (Called from inside that very listener, it
    /// returns at once and the listener finishes its current call.)
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        let _delivering = self.delivery.lock();
        let mut listeners = self.listeners();
        let before = listeners.len();
        listeners.retain(|(l, _)| *l != id);
        listeners.len() != before
    }

    /// `{"token": ..., "record": ...}` so an app can persist the login.
    pub fn export(&self) -> String {
        let s = self.read();
        json!({ "token": s.token, "record": s.record }).to_string()
    }

    /// Restores what [`export`](AuthStore::export) produced: a JSON object with `token`
    /// (string or absent) and `record`. Anything else is refused and the store is unchanged.
    pub fn import(&self, exported: &str) -> Result<()> {
        let v: Value = serde_json::from_str(exported).map_err(|e| {
            Error::invalid_argument(format!("auth store JSON: malformed (line {}, column {})", e.line(), e.column()))
        })?;
        if !v.is_object() {
            return Err(Error::invalid_argument("auth store JSON must be an object {\"token\", \"record\"}"));
        }
        let token = match v.get("token") {
            Some(Value::String(t)) => t.clone(),
            None | Some(Value::Null) => String::new(),
            Some(_) => return Err(Error::invalid_argument("auth store JSON: `token` must be a string")),
        };
        self.save(&token, v.get("record").cloned().unwrap_or(Value::Null));
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn listeners(&self) -> MutexGuard<'_, Vec<(ListenerId, ChangeListener)>> {
        self.listeners.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // Called with the delivery lock held, outside the state and list locks, so listeners may
    // call back into the store. A listener removed by an earlier listener of this round is skipped.
    fn notify(&self, state: &State) {
        let round: Vec<(ListenerId, ChangeListener)> =
            self.listeners().iter().map(|(id, l)| (*id, Arc::clone(l))).collect();
        for (id, listener) in round {
            if self.listeners().iter().any(|(l, _)| *l == id) {
                crate::gate::callback(|| listener(&state.token, &state.record));
            }
        }
    }
}

fn token_is_valid(token: &str) -> bool {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    !token.is_empty() && jwt::expiry(token).is_some_and(|exp| exp > now)
}

impl fmt::Debug for AuthStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.read();
        f.debug_struct("AuthStore")
            .field("token", &if s.token.is_empty() { "" } else { "<redacted>" })
            .field("is_valid", &token_is_valid(&s.token))
            .field("record_id", &s.record.get("id"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::thread;

    #[test]
    fn save_clear_and_validity() {
        let store = AuthStore::default();
        assert!(!store.is_valid());
        store.save(&jwt::fake(4_000_000_000), json!({"id": "r1"}));
        assert!(store.is_valid());
        assert_eq!(store.record()["id"], "r1");
        store.save(&jwt::fake(1), json!({}));
        assert!(!store.is_valid(), "expired token");
        store.clear();
        assert_eq!(store.token(), "");
        assert_eq!(store.record(), Value::Null);
    }

    #[test]
    fn listeners_fire_and_can_be_removed() {
        let store = AuthStore::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let id = store.on_change(Arc::new(move |_, _| {
            c.fetch_add(1, Ordering::SeqCst);
        }));
        store.save("t", Value::Null);
        store.clear();
        assert!(store.remove_listener(id));
        assert!(!store.remove_listener(id));
        store.clear();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn import_refuses_anything_but_an_object_and_keeps_the_login() {
        let store = AuthStore::default();
        store.save("tok", json!({"id": "r1"}));
        for bad in ["[]", "null", "\"tok\"", "1", "{"] {
            assert_eq!(store.import(bad).unwrap_err().kind(), crate::ErrorKind::InvalidArgument, "{bad}");
            assert_eq!(store.token(), "tok", "{bad} must not wipe the login");
        }
    }

    /// Many threads save while a listener persists what it is told: the last value it
    /// persisted must be the store's final state (notifications in order).
    #[test]
    fn the_last_notification_carries_the_final_state() {
        for _ in 0..20 {
            let store = Arc::new(AuthStore::default());
            let persisted = Arc::new(Mutex::new(String::new()));
            let p = Arc::clone(&persisted);
            store.on_change(Arc::new(move |token, _| {
                thread::yield_now();
                *p.lock().unwrap() = token.to_owned();
            }));
            let threads: Vec<_> = (0..8)
                .map(|t| {
                    let store = Arc::clone(&store);
                    thread::spawn(move || {
                        for i in 0..50 {
                            store.save(&format!("t{t}-{i}"), Value::Null);
                        }
                    })
                })
                .collect();
            threads.into_iter().for_each(|t| t.join().unwrap());
            assert_eq!(*persisted.lock().unwrap(), store.token());
        }
    }

    /// After `remove_listener` returns, the listener is not running and never starts again.
    #[test]
    fn a_removed_listener_is_not_running_and_never_starts() {
        use std::sync::atomic::AtomicBool;
        let store = Arc::new(AuthStore::default());
        let running = Arc::new(AtomicBool::new(false));
        let removed = Arc::new(AtomicBool::new(false));
        let violations = Arc::new(AtomicUsize::new(0));
        let (r, gone, v) = (Arc::clone(&running), Arc::clone(&removed), Arc::clone(&violations));
        let id = store.on_change(Arc::new(move |_, _| {
            if gone.load(Ordering::SeqCst) {
                v.fetch_add(1, Ordering::SeqCst);
            }
            r.store(true, Ordering::SeqCst);
            thread::sleep(std::time::Duration::from_micros(200));
            r.store(false, Ordering::SeqCst);
        }));
        let savers: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                thread::spawn(move || (0..200).for_each(|i| store.save(&i.to_string(), Value::Null)))
            })
            .collect();
        thread::sleep(std::time::Duration::from_millis(5));
        assert!(store.remove_listener(id));
        removed.store(true, Ordering::SeqCst);
        assert!(!running.load(Ordering::SeqCst), "listener still running after removal");
        savers.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(violations.load(Ordering::SeqCst), 0, "listener started after removal");
    }

    #[test]
    fn listeners_may_change_the_store_and_remove_themselves() {
        let store = Arc::new(AuthStore::default());
        let s = Arc::clone(&store);
        let id = Arc::new(Mutex::new(None));
        let my_id = Arc::clone(&id);
        let registered = store.on_change(Arc::new(move |token, _| {
            if token == "first" {
                s.save("second", Value::Null);
                if let Some(id) = *my_id.lock().unwrap() {
                    s.remove_listener(id);
                }
            }
        }));
        *id.lock().unwrap() = Some(registered);
        store.save("first", Value::Null);
        assert_eq!(store.token(), "second");
        assert!(!store.remove_listener(registered), "it removed itself");
    }

    #[test]
    fn export_import_round_trip_and_debug_redacts() {
        let a = AuthStore::default();
        let token = jwt::fake(4_000_000_000);
        a.save(&token, json!({"id": "r1", "email": "e@x"}));
        let b = AuthStore::default();
        b.import(&a.export()).unwrap();
        assert_eq!(b.token(), token);
        assert_eq!(b.record()["email"], "e@x");
        assert!(!format!("{b:?}").contains(&token));
        assert_eq!(b.import("{").unwrap_err().kind(), crate::ErrorKind::InvalidArgument);
        assert_eq!(b.import(r#"{"token":1}"#).unwrap_err().kind(), crate::ErrorKind::InvalidArgument);
    }
}

//! The client's login state: token + record, shared by every thread using the client.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::{jwt, Error, Result};

/// Called after every change with the new token and record (empty token and
/// `null` record after `clear`). Runs on the thread that made the change.
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

    /// The token to send as `Authorization`, when valid.
    pub(crate) fn valid_token(&self) -> Option<String> {
        let state = self.read();
        token_is_valid(&state.token).then(|| state.token.clone())
    }

    /// Replaces token and record, then notifies listeners.
    pub fn save(&self, token: &str, record: Value) {
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = State { token: token.to_owned(), record };
        self.notify();
    }

    /// Forgets token and record, then notifies listeners.
    pub fn clear(&self) {
        self.save("", Value::Null);
    }

    /// Registers `listener`; see [`ChangeListener`] for when it runs.
    pub fn on_change(&self, listener: ChangeListener) -> ListenerId {
        let id = ListenerId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        self.listeners.lock().unwrap_or_else(PoisonError::into_inner).push((id, listener));
        id
    }

    /// Unregisters a listener; false when `id` was not registered.
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        let mut listeners = self.listeners.lock().unwrap_or_else(PoisonError::into_inner);
        let before = listeners.len();
        listeners.retain(|(l, _)| *l != id);
        listeners.len() != before
    }

    /// `{"token": ..., "record": ...}` so an app can persist the login.
    pub fn export(&self) -> String {
        let s = self.read();
        json!({ "token": s.token, "record": s.record }).to_string()
    }

    /// Restores what [`export`](AuthStore::export) produced.
    pub fn import(&self, exported: &str) -> Result<()> {
        let v: Value =
            serde_json::from_str(exported).map_err(|e| Error::invalid_argument(format!("auth store JSON: {e}")))?;
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

    // Listeners run outside both locks so they may call back into the store.
    fn notify(&self) {
        let listeners: Vec<ChangeListener> =
            self.listeners.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|(_, l)| Arc::clone(l)).collect();
        if listeners.is_empty() {
            return;
        }
        let State { token, record } = self.read().clone();
        for listener in listeners {
            listener(&token, &record);
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

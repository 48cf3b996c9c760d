//! The client's login state: token + record, shared by every thread using the client.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::auth_file::AuthFile;
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
    /// Where every change is persisted ([`ClientBuilder::auth_file`](crate::ClientBuilder::auth_file)).
    file: Option<AuthFile>,
}

#[derive(Clone, Default)]
struct State {
    token: String,
    record: Value,
}

impl AuthStore {
    /// A store kept in `file`: starts with the login the file holds (empty when it is
    /// missing or unusable, the problem then kept for [`file_error`](Self::file_error)).
    pub(crate) fn with_file(file: AuthFile) -> Self {
        let state = file.load().map(|(token, record)| State { token, record }).unwrap_or_default();
        AuthStore { state: RwLock::new(state), file: Some(file), ..AuthStore::default() }
    }

    /// Why the auth file (see [`ClientBuilder::auth_file`](crate::ClientBuilder::auth_file))
    /// could not be used the last time it was read or written, or `None` when it was (or
    /// the store has no file). Set when the file found at construction was unreadable or
    /// not an export (the store then started empty; a missing file is no problem), or when
    /// writing a change failed (the store keeps the change in memory); a later successful
    /// write clears it. Kind `invalid_argument`; the message starts with `authFile:` and
    /// never quotes the file's content.
    pub fn file_error(&self) -> Option<Error> {
        self.file.as_ref().and_then(AuthFile::problem)
    }

    /// The auth file this store is kept in, if any.
    pub fn file_path(&self) -> Option<&std::path::Path> {
        self.file.as_ref().map(AuthFile::path)
    }

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
    /// Refused as `invalid_argument`, the store unchanged: a token with a control character
    /// (CR, LF, NUL…: it could not be sent as an `Authorization` header) and a record that
    /// is neither an object nor null (no export of it could be imported or loaded back).
    pub fn save(&self, token: &str, record: Value) -> Result<()> {
        check_token(token)?;
        if !matches!(record, Value::Object(_) | Value::Null) {
            return Err(Error::invalid_argument("the record must be an object or null"));
        }
        self.replace(token, record);
        Ok(())
    }

    /// Forgets token and record, then notifies listeners.
    pub fn clear(&self) {
        self.replace("", Value::Null);
    }

    /// Stores a token already checked by [`check_token`].
    fn replace(&self, token: &str, record: Value) {
        let _delivering = self.delivery.lock();
        let state = State { token: token.to_owned(), record };
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = state.clone();
        // Under the delivery lock, like the notifications: the file follows the changes in
        // their order, so it always ends with the final state (nested changes included).
        if let Some(file) = &self.file {
            file.store(&state.token, &state.record);
        }
        self.notify(&state);
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
    /// (a string without control characters, or absent) and `record` (an object, or absent).
    /// Anything else is refused and the store is unchanged.
    pub fn import(&self, exported: &str) -> Result<()> {
        let v: Value = serde_json::from_str(exported).map_err(|e| {
            Error::invalid_argument(format!("auth store JSON: malformed (line {}, column {})", e.line(), e.column()))
        })?;
        let (token, record) = parse_export(&v, "auth store JSON")?;
        self.replace(&token, record);
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

/// Refuses a token that cannot go in an `Authorization` header. Every way into the store
/// passes here (save, import, cookie, auth answers from the server): a CR or LF would make
/// every later request fail, and the pub/sub upgrade would have to drop the header.
/// The message never echoes the token.
pub(crate) fn check_token(token: &str) -> Result<()> {
    match token.chars().any(char::is_control) {
        true => Err(Error::invalid_argument("the auth token must not contain control characters (CR, LF, NUL…)")),
        false => Ok(()),
    }
}

/// The `{token, record}` object [`AuthStore::export`] writes and the auth cookie holds, checked
/// the same way for both: `token` a string (absent or `null`: none) passing [`check_token`],
/// `record` an object (absent or `null`: none; `model` is what older JS SDKs wrote).
pub(crate) fn parse_export(v: &Value, what: &str) -> Result<(String, Value)> {
    let Value::Object(v) = v else {
        return Err(Error::invalid_argument(format!("{what} must be an object {{\"token\", \"record\"}}")));
    };
    let token = match v.get("token") {
        Some(Value::String(t)) => t.clone(),
        None | Some(Value::Null) => String::new(),
        Some(_) => return Err(Error::invalid_argument(format!("{what}: `token` must be a string"))),
    };
    check_token(&token).map_err(|e| Error::invalid_argument(format!("{what}: {}", e.message())))?;
    let record = match v.get("record").or_else(|| v.get("model")) {
        None | Some(Value::Null) => Value::Null,
        Some(r @ Value::Object(_)) => r.clone(),
        Some(_) => return Err(Error::invalid_argument(format!("{what}: `record` must be an object"))),
    };
    Ok((token, record))
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
            .field("file", &self.file_path())
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
        store.save(&jwt::fake(4_000_000_000), json!({"id": "r1"})).unwrap();
        assert!(store.is_valid());
        assert_eq!(store.record()["id"], "r1");
        store.save(&jwt::fake(1), json!({})).unwrap();
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
        store.save("t", Value::Null).unwrap();
        store.clear();
        assert!(store.remove_listener(id));
        assert!(!store.remove_listener(id));
        store.clear();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn import_refuses_anything_but_an_object_and_keeps_the_login() {
        let store = AuthStore::default();
        store.save("tok", json!({"id": "r1"})).unwrap();
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
                            store.save(&format!("t{t}-{i}"), Value::Null).unwrap();
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
                thread::spawn(move || (0..200).for_each(|i| store.save(&i.to_string(), Value::Null).unwrap()))
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
                s.save("second", Value::Null).unwrap();
                if let Some(id) = *my_id.lock().unwrap() {
                    s.remove_listener(id);
                }
            }
        }));
        *id.lock().unwrap() = Some(registered);
        store.save("first", Value::Null).unwrap();
        assert_eq!(store.token(), "second");
        assert!(!store.remove_listener(registered), "it removed itself");
    }

    /// Every way a token enters the store refuses control characters (they break every
    /// request, and the pub/sub upgrade dropped the header and connected anonymously), and
    /// leaves the login as it was; the error never echoes the token.
    /// Found by the `cookie` fuzz target: a string record was saved, exported as a cookie,
    /// and the cookie could then never be loaded back (import refuses such records).
    #[test]
    fn records_that_are_not_objects_never_enter_the_store() {
        let store = AuthStore::default();
        store.save("t", json!({"id": "r"})).unwrap();
        for bad in [json!("text"), json!(1), json!([]), json!(true)] {
            let err = store.save("t2", bad.clone()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument, "{bad}");
            assert_eq!((store.token(), store.record()), ("t".to_owned(), json!({"id": "r"})));
        }
        store.save("t3", Value::Null).unwrap();
        assert_eq!(store.token(), "t3");
    }

    #[test]
    fn tokens_with_control_characters_never_enter_the_store() {
        let store = AuthStore::default();
        store.save("good", json!({"id": "r1"})).unwrap();
        for bad in ["s3cr3t\r\nX-Evil: 1", "s3cr3t\n", "\rs3cr3t", "s3\0cr3t", "s3\u{7f}cr3t", "s3\tcr3t", "s3\u{85}"] {
            let err = store.save(bad, json!({})).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument, "{bad:?}");
            assert!(!format!("{err} {err:?}").contains("s3"), "{err}");
            let exported = json!({"token": bad, "record": {"id": "x"}}).to_string();
            assert_eq!(store.import(&exported).unwrap_err().kind(), crate::ErrorKind::InvalidArgument, "{bad:?}");
            assert_eq!((store.token(), store.record()["id"].clone()), ("good".to_owned(), json!("r1")), "{bad:?}");
        }
        store.save("ünïcode token", Value::Null).unwrap();
    }

    /// `import` and `load_from_cookie` share one check of `{token, record}`.
    #[test]
    fn import_checks_the_token_and_record_types() {
        let store = AuthStore::default();
        for bad in
            [r#"{"token":1}"#, r#"{"token":true,"record":{}}"#, r#"{"token":"t","record":5}"#, r#"{"record":[]}"#]
        {
            assert_eq!(store.import(bad).unwrap_err().kind(), crate::ErrorKind::InvalidArgument, "{bad}");
        }
        store.import(r#"{"token":"t","model":{"id":"old-sdk"}}"#).unwrap();
        assert_eq!(store.record()["id"], "old-sdk");
        store.import(r#"{"token":null,"record":null}"#).unwrap();
        assert_eq!((store.token(), store.record()), (String::new(), Value::Null));
    }

    #[test]
    fn export_import_round_trip_and_debug_redacts() {
        let a = AuthStore::default();
        let token = jwt::fake(4_000_000_000);
        a.save(&token, json!({"id": "r1", "email": "e@x"})).unwrap();
        let b = AuthStore::default();
        b.import(&a.export()).unwrap();
        assert_eq!(b.token(), token);
        assert_eq!(b.record()["email"], "e@x");
        assert!(!format!("{b:?}").contains(&token));
        assert_eq!(b.import("{").unwrap_err().kind(), crate::ErrorKind::InvalidArgument);
        assert_eq!(b.import(r#"{"token":1}"#).unwrap_err().kind(), crate::ErrorKind::InvalidArgument);
    }
}

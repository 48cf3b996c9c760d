//! The all-in-one OAuth2 sign-in: the core's flow with the URL handed to a C callback.

use std::ffi::CString;
use std::os::raw::{c_char, c_void};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::ThreadId;

use super::call::{complete, BosbaseCall, BosbaseCallCallback};
use super::client::BosbaseClient;
use super::panic::guard;
use super::strings::{arg, options, required, write_out};
use super::{BosbaseStatus, UserData};
use crate::{Error, OAuth2Options, Result};

/// Receives the provider's authorization URL of `bosbase_auth_with_oauth2`: open it in a
/// browser, or show it. Invoked at most once per flow (not at all when the flow fails
/// before, e.g. an unknown provider), before the flow waits for the redirect, on the thread
/// running the flow: the caller's for the blocking form, a worker thread for the
/// asynchronous one (a host with a main thread, such as Godot, forwards the URL there). `url`
/// is borrowed for the call only. It never runs after the completion of the asynchronous
/// form began (a cancel arriving while it runs waits for it). It may call any function of
/// this library, should return promptly (the deadline keeps running) and must not unwind.
pub type BosbaseUrlCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, url: *const c_char)>;

/// The flow of `bosbase_auth_with_oauth2`, checked and not started.
#[allow(clippy::too_many_arguments)]
unsafe fn flow(
    pb: &crate::BosBase,
    collection: *const c_char,
    provider: *const c_char,
    oauth2_json: *const c_char,
    options_json: *const c_char,
    url_callback: BosbaseUrlCallback,
    url_user_data: *mut c_void,
    fence: Arc<Fence>,
) -> Result<crate::Call<String>> {
    let collection = arg(collection, "collection")?;
    let provider = arg(provider, "provider")?;
    let oauth2 = match oauth2_json.is_null() {
        true => OAuth2Options::default(),
        false => match arg(oauth2_json, "oauth2_json")? {
            s if s.trim().is_empty() => OAuth2Options::default(),
            s => OAuth2Options::from_json(s)?,
        },
    };
    let options = options(options_json)?;
    let url_callback = url_callback.ok_or_else(|| Error::invalid_argument("`url_callback` is NULL"))?;
    let data = UserData(url_user_data);
    let open_url = move |url: &str| {
        let data = data;
        // A URL never holds a NUL byte (it is percent-encoded).
        if let Ok(url) = CString::new(url) {
            // SAFETY: the caller registered this function and user_data for this; it must not unwind.
            fence.url(|| unsafe { url_callback(data.0, url.as_ptr()) });
        }
    };
    Ok(pb.collection(collection).auth_with_oauth2(provider, oauth2, options, open_url).map(|v| v.to_string()))
}

/// Signs in with the OAuth2 `provider` (a name from `records.listAuthMethods`, e.g.
/// `"google"`) of the auth collection `collection`, as the JS SDK's `authWithOAuth2`: lists
/// the collection's auth methods, subscribes to `@oauth2` on realtime, hands the provider's
/// authorization URL (PKCE, this client's realtime clientId as `state`, `redirect_uri` =
/// `<base URL>/api/oauth2-redirect`) to `url_callback` (see `BosbaseUrlCallback`), waits for
/// the redirect's message (one with another `state` is ignored), exchanges the code and
/// saves `{token, record}` (plus `meta`) in the auth store; the result JSON is the server's
/// answer. `oauth2_json`: NULL or
/// `{"scopes": ["..."], "createData": {...}, "urlQuery": {...}}` (scopes replacing the
/// provider's, fields of an account created on first sign-in, extra parameters of the
/// authorization URL). `options_json` (see the preamble) goes to the code exchange; its
/// `timeoutMs` bounds the whole flow (default 300000: a person signs in meanwhile).
/// Blocks until the login, the deadline (TIMEOUT), a refusal by the provider (OAUTH2) or an
/// unknown provider (INVALID_ARGUMENT); on failure the auth store is unchanged. Run one
/// flow per client at a time (they would share one `state`). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_with_oauth2(
    client: *const BosbaseClient,
    collection: *const c_char,
    provider: *const c_char,
    oauth2_json: *const c_char,
    options_json: *const c_char,
    url_callback: BosbaseUrlCallback,
    url_user_data: *mut c_void,
    result_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        required(result_out, "result_out")?;
        let pb = BosbaseClient::from_ptr(client)?;
        let fence = Arc::new(Fence::default());
        let call = flow(&pb, collection, provider, oauth2_json, options_json, url_callback, url_user_data, fence)?;
        write_out(result_out, call.wait()?)
    })
}

/// `bosbase_auth_with_oauth2` on the client's worker pool: returns at once, and the flow
/// runs as a call of `bosbase_call_async` (`callback` invoked exactly once, `*call_out` to
/// cancel with `bosbase_call_cancel`, which ends the wait at once with CANCELLED and saves
/// nothing, and to release with `bosbase_call_free`; the same statuses). `url_callback`
/// runs on the worker thread. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn bosbase_auth_with_oauth2_async(
    client: *const BosbaseClient,
    collection: *const c_char,
    provider: *const c_char,
    oauth2_json: *const c_char,
    options_json: *const c_char,
    url_callback: BosbaseUrlCallback,
    url_user_data: *mut c_void,
    callback: BosbaseCallCallback,
    user_data: *mut c_void,
    call_out: *mut *mut BosbaseCall,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let pb = BosbaseClient::from_ptr(client)?;
        required(call_out, "call_out")?;
        let callback = callback.ok_or_else(|| Error::invalid_argument("`callback` is NULL"))?;
        let fence = Arc::new(Fence::default());
        let call = flow(
            &pb,
            collection,
            provider,
            oauth2_json,
            options_json,
            url_callback,
            url_user_data,
            Arc::clone(&fence),
        )?;
        if pb.is_closed() {
            return Err(Error::closed());
        }
        let data = UserData(user_data);
        let started = call.start(move |result| {
            let data = data;
            fence.finish();
            complete(callback, data.0, result);
        });
        *call_out = Box::into_raw(Box::new(BosbaseCall(started)));
        Ok(())
    })
}

/// Keeps the URL callback from running after the completion, so a host may free what the
/// URL callback uses once the completion ran: a cancel that comes while the URL callback
/// runs on a worker waits for it to return before the completion runs, and no URL callback
/// starts after that. (A URL callback that cancels its own call runs the completion inside
/// itself, on its own thread: that one does not wait.)
#[derive(Default)]
struct Fence {
    state: Mutex<FenceState>,
    idle: Condvar,
}

#[derive(Default)]
struct FenceState {
    finished: bool,
    running_on: Option<ThreadId>,
}

impl Fence {
    fn url(&self, f: impl FnOnce()) {
        let me = std::thread::current().id();
        {
            let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if st.finished {
                return;
            }
            st.running_on = Some(me);
        }
        f();
        self.state.lock().unwrap_or_else(PoisonError::into_inner).running_on = None;
        self.idle.notify_all();
    }

    fn finish(&self) {
        let me = std::thread::current().id();
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.finished = true;
        while st.running_on.is_some_and(|t| t != me) {
            st = self.idle.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

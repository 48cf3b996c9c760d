//! The C ABI: handles, C strings and JSON in, status codes and JSON out.
//!
//! Only translation lives here (no BosBase logic). Every entry point runs inside
//! a panic guard, NULL-checks its pointers and rejects invalid UTF-8 and
//! malformed JSON with `BOSBASE_STATUS_INVALID_ARGUMENT`.
//!
//! # Safety
//! One contract covers every `unsafe extern "C"` function here, stated once in the
//! header's preamble rather than per function (the docs become the header): each
//! pointer is NULL or valid for the duration of the call (strings NUL-terminated,
//! out-pointers writable, handles live and not freed concurrently: a `_free` must not race
//! another function on the same handle; see `bosbase_client_free`).
#![allow(clippy::missing_safety_doc)]

mod auth_store;
mod call;
mod client;
mod download;
mod files;
mod handle;
mod misc;
mod oauth2;
mod panic;
mod pubsub;
mod realtime;
mod records;
mod status;
mod strings;
mod subscription;

pub use auth_store::*;
pub use call::*;
pub use client::*;
pub use download::*;
pub use files::*;
pub use misc::*;
pub use oauth2::*;
pub use pubsub::*;
pub use realtime::*;
pub use records::*;
pub use status::BosbaseStatus;
pub use subscription::*;

use std::ffi::CString;
use std::os::raw::{c_char, c_void};

/// A caller's `user_data`, passed through untouched to its callbacks. The header documents
/// that callbacks run on library threads (or the thread that changed the auth store); the
/// caller vouches that `user_data` may be used there.
pub(crate) struct UserData(pub(crate) *mut c_void);
// SAFETY: see above; the library never dereferences it.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// Calls a `(user_data, json)` callback with `json` borrowed for the call only.
pub(crate) fn call_with_json(
    callback: unsafe extern "C" fn(*mut c_void, *const c_char),
    data: &UserData,
    json: String,
) {
    // JSON text never contains NUL.
    if let Ok(json) = CString::new(json) {
        // SAFETY: the caller registered this function pointer and user_data for this purpose;
        // it must not unwind (documented).
        unsafe { callback(data.0, json.as_ptr()) }
    }
}

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
//! out-pointers writable, handles live and not freed concurrently).
#![allow(clippy::missing_safety_doc)]

mod auth_store;
mod call;
mod client;
mod files;
mod misc;
mod panic;
mod pubsub;
mod realtime;
mod records;
mod status;
mod strings;

pub use auth_store::*;
pub use call::*;
pub use client::*;
pub use files::*;
pub use misc::*;
pub use pubsub::*;
pub use realtime::*;
pub use records::*;
pub use status::BosbaseStatus;

//! The C ABI: handles, C strings and JSON in, status codes and JSON out.
//!
//! Only translation lives here (no BosBase logic). Every entry point runs inside
//! a panic guard, NULL-checks its pointers and rejects invalid UTF-8 and
//! malformed JSON with `BOSBASE_STATUS_INVALID_ARGUMENT`.

mod auth_store;
mod client;
mod misc;
mod panic;
mod records;
mod status;
mod strings;

pub use auth_store::*;
pub use client::*;
pub use misc::*;
pub use records::*;
pub use status::BosbaseStatus;

//! BosBase client core: one blocking, thread-safe client for Rust and, through
//! the C ABI in `include/bosbase.h`, for C, C++, Go, Elixir and Godot.
//!
//! ```no_run
//! use bosbase::BosBase;
//! use std::collections::HashMap;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let pb = BosBase::new("http://127.0.0.1:8090");
//! let token = bosbase::generate_token()?;
//! pb.collection("users")
//!     .bind_custom_token("user@example.com", "user-password", &token, HashMap::new(), HashMap::new())
//!     .await?;
//! let auth = pb.collection("users").auth_with_token(&token, HashMap::new(), HashMap::new(), None).await?;
//! println!("signed in as {}", auth["record"]["email"]);
//! assert!(pb.auth_store().is_valid());
//!
//! // The blocking form of any call is `.wait()`:
//! pb.collection("users")
//!     .unbind_custom_token("user@example.com", "user-password", &token, HashMap::new(), HashMap::new())
//!     .wait()?;
//! # Ok(()) }
//! ```
//!
//! Every call returns a [`Call`]; `.await` runs it on the client's worker pool so it
//! works on any executor (dropping the future cancels it), `.wait()` runs it on the
//! calling thread. Every REST operation is a row of the [operation table](operations),
//! runnable by name with [`BosBase::operation`].
//! Failures are one [`Error`] type, whose [`ErrorKind`] tells what happened;
//! an MFA challenge is [`ErrorKind::MfaRequired`] with [`Error::mfa_id`].
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod auth_file;
mod auth_store;
mod call;
mod client;
mod cookie;
mod delivery;
mod download;
mod error;
mod files;
mod filter;
mod gate;
mod jwt;
mod net;
mod oauth2;
pub mod operations;
mod pool;
mod progress;
mod pubsub;
mod realtime;
mod record_service;
mod request;
mod retry;
#[path = "services_gen.rs"]
mod services;
mod tls;
mod token;
mod transport;
mod url;

#[allow(unsafe_code)]
pub mod ffi;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[allow(unsafe_code, missing_docs)]
pub mod fuzzing;

pub use auth_store::{AuthStore, ChangeListener, ListenerId};
pub use call::{Call, CallFuture};
pub use client::{
    BosBase, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_IDLE_CONNECTIONS, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
};
pub use cookie::{CookieOptions, DEFAULT_COOKIE_KEY};
pub use download::{DownloadOptions, DownloadTarget};
pub use error::{Error, ErrorKind, Result};
pub use files::FilePart;
pub use filter::filter;
pub use oauth2::{OAuth2Options, OAUTH2_DEFAULT_TIMEOUT};
pub use pool::DEFAULT_POOL_SIZE;
pub use progress::Progress;
pub use pubsub::{PubSubCallback, PubSubSubscription, QUEUE_LIMIT as PUBSUB_QUEUE_LIMIT};
pub use realtime::{
    ConnectionState, EventCallback, EventReceiver, Next, RealtimeEvent, RealtimeService, StateListener,
    StateListenerId, SubscribeOptions, Subscription, QUEUE_CAPACITY,
};
pub use record_service::RecordService;
pub use request::SendOptions;
pub use retry::{Retries, DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_BASE_DELAY, DEFAULT_RETRY_MAX_DELAY, MAX_ATTEMPTS};
pub use services::*;
pub use token::generate_token;

/// The crate version, also returned by `bosbase_version()`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Bytes of undelivered entries one subscription (realtime or pub/sub, push or pull, or an
/// `EventReceiver`) holds at most, 16 MiB, next to the count bound of 1,024 entries: an
/// entry's size is its estimated size in memory (about its JSON length for text). Past
/// either bound the oldest event is dropped and counted; the subscribed/error/state notices
/// never are, and the newest event is always kept (so one event larger than the bound is
/// still delivered).
pub const QUEUE_MAX_BYTES: usize = 16 * 1024 * 1024;
const _: () = assert!(QUEUE_MAX_BYTES == delivery::QUEUE_MAX_BYTES);

//! Status codes returned by every fallible C function.

use crate::ErrorKind;

/// Result of a C call: 0 on success, otherwise the failure's kind (the error
/// JSON's `kind` field names the same thing). Values never change; new kinds get new values.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BosbaseStatus {
    /// Success; result out-pointers were written.
    Ok = 0,
    /// NULL pointer, invalid UTF-8, malformed JSON or another unusable argument.
    InvalidArgument = 1,
    /// The server answered with a non-2xx status (`status`, `response` in the error JSON).
    Http = 2,
    /// The server asked for a second factor; the error JSON carries `mfaId`.
    MfaRequired = 3,
    /// No HTTP response (connection refused, DNS, reset). `status` is 0.
    Network = 4,
    /// The request timed out (`isAbort` is true).
    Timeout = 5,
    /// A 2xx answer whose body was not the expected JSON (`status` is kept).
    Json = 6,
    /// The client was closed (`bosbase_client_close`); nothing was sent.
    Closed = 7,
    /// TLS handshake or certificate verification failed; the message says what
    /// (unknown issuer, name mismatch, expired…). `status` is 0.
    Tls = 8,
    /// The call was cancelled; it had no effect on the auth store.
    Cancelled = 9,
    /// A download was larger than its `maxBytes` cap; no file was left (`status` is the
    /// answer's).
    TooLarge = 10,
    /// The OAuth2 provider refused the sign-in or its redirect carried no code
    /// (`bosbase_auth_with_oauth2`); the auth store is unchanged.
    Oauth2 = 11,
    /// A bug inside the library was caught at the boundary; the process is intact.
    Panic = 99,
}

impl From<ErrorKind> for BosbaseStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => BosbaseStatus::InvalidArgument,
            ErrorKind::Http => BosbaseStatus::Http,
            ErrorKind::MfaRequired => BosbaseStatus::MfaRequired,
            ErrorKind::Network => BosbaseStatus::Network,
            ErrorKind::Timeout => BosbaseStatus::Timeout,
            ErrorKind::Json => BosbaseStatus::Json,
            ErrorKind::Closed => BosbaseStatus::Closed,
            ErrorKind::Tls => BosbaseStatus::Tls,
            ErrorKind::Cancelled => BosbaseStatus::Cancelled,
            ErrorKind::Panic => BosbaseStatus::Panic,
            ErrorKind::TooLarge => BosbaseStatus::TooLarge,
            ErrorKind::OAuth2 => BosbaseStatus::Oauth2,
        }
    }
}

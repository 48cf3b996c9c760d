//! The boundary every entry point runs inside: panics and errors become status codes.

use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::strings::write_out;
use super::BosbaseStatus;
use crate::Error;

/// Runs `body`; on failure writes the error JSON to `error_out` (when not NULL)
/// and returns the matching status. A panic never unwinds into C.
pub(crate) fn guard(error_out: *mut *mut c_char, body: impl FnOnce() -> Result<(), Error>) -> BosbaseStatus {
    let err = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return BosbaseStatus::Ok,
        Ok(Err(e)) => e,
        Err(_) => Error::panic(),
    };
    let status = BosbaseStatus::from(err.kind());
    // Writing the error JSON cannot fail (JSON text has no NUL), but stay in the guard anyway.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the caller passes NULL or a valid `char **` (documented on each function).
        unsafe { write_out(error_out, err.to_json().to_string()) }
    }));
    status
}

/// For functions with no status code: a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

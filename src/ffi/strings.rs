//! C strings in (borrowed, checked) and out (owned by the caller, freed with `bosbase_string_free`).

use std::ffi::{CStr, CString};
use std::os::raw::c_char;

use crate::{Error, Result, SendOptions};

/// Borrows a required C string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("`{name}` is NULL")));
    }
    CStr::from_ptr(ptr).to_str().map_err(|_| Error::invalid_argument(format!("`{name}` is not valid UTF-8")))
}

/// Parses the optional `options_json` argument (NULL or `""` means no options).
///
/// # Safety
/// As for [`arg`].
pub(crate) unsafe fn options(ptr: *const c_char) -> Result<SendOptions> {
    if ptr.is_null() {
        return Ok(SendOptions::default());
    }
    SendOptions::from_json(arg(ptr, "options_json")?)
}

/// The out-pointer rule (stated once, in the header): `error_out` may be NULL; every other
/// out-pointer is required, checked before anything is done.
pub(crate) fn required<T>(ptr: *mut T, name: &str) -> Result<()> {
    match ptr.is_null() {
        true => Err(Error::invalid_argument(format!("`{name}` is NULL"))),
        false => Ok(()),
    }
}

/// Hands `s` to the caller through `out` (ignored when `out` is NULL: only `error_out` may be).
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
pub(crate) unsafe fn write_out(out: *mut *mut c_char, s: String) -> Result<()> {
    if out.is_null() {
        return Ok(());
    }
    let c = CString::new(s).map_err(|_| Error::invalid_argument("result contains a NUL byte"))?;
    *out = c.into_raw();
    Ok(())
}

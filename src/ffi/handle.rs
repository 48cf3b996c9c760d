//! The one ownership rule of every opaque handle: made by boxing (`into_raw`), borrowed by
//! entry points (`borrow`, a NULL check with the handle's name in the error), and freed once
//! (`free`, NULL ignored). No entry point writes `Box::into_raw`/`from_raw` itself.

use crate::{Error, Result};

pub(crate) trait Handle: Sized {
    /// The parameter name used in errors (`"`client` is NULL"`).
    const NAME: &'static str;

    /// Moves the value to the heap and hands ownership to the caller.
    fn into_raw(self) -> *mut Self {
        Box::into_raw(Box::new(self))
    }

    /// Borrows a handle for the duration of an entry point.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle of this type (not freed concurrently).
    unsafe fn borrow<'a>(ptr: *const Self) -> Result<&'a Self> {
        ptr.as_ref().ok_or_else(|| Error::invalid_argument(format!("`{}` is NULL", Self::NAME)))
    }

    /// Takes ownership back (None for NULL); dropping the box frees the handle.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle of this type from [`into_raw`](Self::into_raw), freed
    /// only here and only once.
    unsafe fn from_raw(ptr: *mut Self) -> Option<Box<Self>> {
        (!ptr.is_null()).then(|| Box::from_raw(ptr))
    }
}

/// Writes a new handle to a (checked) out-pointer.
///
/// # Safety
/// `out` is valid for writing one pointer.
pub(crate) unsafe fn write_handle<T: Handle>(out: *mut *mut T, value: T) {
    *out = value.into_raw();
}

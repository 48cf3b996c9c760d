//! File parts for uploads: a `BosbaseFiles` list built by the caller and passed to
//! `bosbase_call_with_files` / `bosbase_call_async_with_files`, with an optional upload
//! progress callback.

use std::os::raw::{c_char, c_void};
use std::sync::{Arc, Mutex, PoisonError};

use super::handle::Handle;
use super::panic::{guard, guard_value};
use super::strings::arg;
use super::{BosbaseStatus, UserData};
use crate::{Error, FilePart, Progress, Result};

/// Progress of an upload or a download: `done` bytes of `total` (0 while the total is
/// unknown: a download whose answer has no `Content-Length`; an upload's total is its whole
/// request body, framing included). Reports are throttled in the core (one per 1% or per
/// 100 ms while bytes move) and end with one where `done == total` once every byte went
/// through (none after a failure). It runs on the thread doing the transfer (the calling
/// thread of a blocking call, a worker thread of an asynchronous one), in order, and never
/// after the call's completion callback was invoked: `bosbase_call_cancel` waits for a
/// report in progress on another thread. It must be quick, must not unwind, and may call
/// this library (but should not block on the call it reports).
pub type BosbaseProgressCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, done: u64, total: u64)>;

/// The core's progress callback for a C one; None for a NULL function.
pub(crate) fn progress(callback: BosbaseProgressCallback, user_data: *mut c_void) -> Option<Progress> {
    let callback = callback?;
    let data = UserData(user_data);
    // SAFETY: the caller registered a valid function for `user_data`; it must not unwind.
    Some(Progress::new(move |done, total| {
        let data = &data; // the whole wrapper (Send + Sync), not its raw field
        unsafe { callback(data.0, done, total) }
    }))
}

/// An opaque list of file parts. Bytes are copied in when added; paths are opened when a
/// call using the list runs (and streamed, never read whole into memory). A call takes its
/// own reference to the parts, so the list may be freed or reused once the call started.
/// Thread-safe.
pub struct BosbaseFiles(Mutex<Vec<FilePart>>, Mutex<Option<Progress>>);

impl Handle for BosbaseFiles {
    const NAME: &'static str = "files";
}

impl BosbaseFiles {
    /// The parts behind a handle; NULL means none.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle from `bosbase_files_new`.
    pub(crate) unsafe fn parts(ptr: *const BosbaseFiles) -> Vec<FilePart> {
        match ptr.as_ref() {
            None => Vec::new(),
            Some(f) => f.0.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        }
    }

    /// The upload progress callback of a handle, if any.
    ///
    /// # Safety
    /// As for [`parts`](Self::parts).
    pub(crate) unsafe fn progress(ptr: *const BosbaseFiles) -> Option<Progress> {
        ptr.as_ref().and_then(|f| f.1.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }

    unsafe fn push(ptr: *const BosbaseFiles, part: FilePart) -> Result<()> {
        let files = Self::borrow(ptr)?;
        files.0.lock().unwrap_or_else(PoisonError::into_inner).push(part);
        Ok(())
    }
}

/// An optional C string: NULL means none.
unsafe fn optional<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    match ptr.is_null() {
        true => Ok(None),
        false => arg(ptr, name).map(Some),
    }
}

/// A new, empty list of file parts; free it with `bosbase_files_free`. NULL only if the
/// library failed internally (it never does in practice: nothing here can fail).
#[no_mangle]
pub extern "C" fn bosbase_files_new() -> *mut BosbaseFiles {
    guard_value(std::ptr::null_mut(), || BosbaseFiles(Mutex::new(Vec::new()), Mutex::new(None)).into_raw())
}

/// Adds a part holding a copy of `len` bytes at `data` (NULL only when `len` is 0) for the
/// record field `field`, named `filename`, of `content_type` (NULL: from the filename's
/// extension, else `application/octet-stream`). Returns OK, INVALID_ARGUMENT or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_files_add_bytes(
    files: *const BosbaseFiles,
    field: *const c_char,
    filename: *const c_char,
    content_type: *const c_char,
    data: *const u8,
    len: usize,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let bytes: Arc<[u8]> = match (data.is_null(), len) {
            (_, 0) => Arc::from(Vec::new()),
            (true, _) => return Err(Error::invalid_argument("`data` is NULL")),
            (false, n) => Arc::from(std::slice::from_raw_parts(data, n)),
        };
        let mut part = FilePart::bytes(arg(field, "field")?, arg(filename, "filename")?, bytes);
        if let Some(t) = optional(content_type, "content_type")? {
            part = part.content_type(t);
        }
        BosbaseFiles::push(files, part)
    })
}

/// Adds a part streamed from the file at `path` (UTF-8) when the call runs, for the record
/// field `field`, named `filename` (NULL: the path's last component), of `content_type`
/// (NULL: from the filename). Returns OK, INVALID_ARGUMENT or PANIC. The call reports, at
/// once and as INVALID_ARGUMENT naming the field, a path that cannot be read or is not a
/// regular file (a FIFO, device or directory is never opened for a blocking read) and a
/// file that changes size while it is sent.
#[no_mangle]
pub unsafe extern "C" fn bosbase_files_add_path(
    files: *const BosbaseFiles,
    field: *const c_char,
    path: *const c_char,
    filename: *const c_char,
    content_type: *const c_char,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let mut part = FilePart::path(arg(field, "field")?, arg(path, "path")?);
        if let Some(name) = optional(filename, "filename")? {
            part = part.filename(name);
        }
        if let Some(t) = optional(content_type, "content_type")? {
            part = part.content_type(t);
        }
        BosbaseFiles::push(files, part)
    })
}

/// Reports the upload progress of every call that starts with these parts afterwards to
/// `callback` with `user_data` (see `BosbaseProgressCallback`); NULL `callback` removes it.
/// `user_data` must stay valid until those calls completed. Returns OK, INVALID_ARGUMENT
/// (`files` NULL) or PANIC.
#[no_mangle]
pub unsafe extern "C" fn bosbase_files_on_progress(
    files: *const BosbaseFiles,
    callback: BosbaseProgressCallback,
    user_data: *mut c_void,
    error_out: *mut *mut c_char,
) -> BosbaseStatus {
    guard(error_out, || {
        let files = files.as_ref().ok_or_else(|| Error::invalid_argument("`files` is NULL"))?;
        *files.1.lock().unwrap_or_else(PoisonError::into_inner) = progress(callback, user_data);
        Ok(())
    })
}

/// Frees a list from `bosbase_files_new` (calls already started keep their parts). NULL is
/// ignored; freeing twice is undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn bosbase_files_free(files: *mut BosbaseFiles) {
    guard_value((), || drop(BosbaseFiles::from_raw(files)))
}

//! C ABI target: `bosbase_*` entry points called as C would, with fuzzed strings (invalid
//! UTF-8 included), JSON and NULLs, on a client pointed at a closed loopback port.
//!
//! Input: byte 0 picks the entry point, byte 1 which arguments are NULL (bit `i`: string
//! argument `i`; bit 7: `error_out`), then NUL-separated string arguments (raw bytes, so
//! possibly not UTF-8). Checks: never `PANIC`; a NULL required argument or any argument
//! that is not UTF-8 gives `INVALID_ARGUMENT`; `*error_out` is written exactly on failure,
//! as error JSON whose `kind` names the status; results are written exactly on success;
//! the auth store export → import and cookie export → load round trips keep the login.

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

use serde_json::Value;

use super::options::url_within_bound;
use crate::ffi::*;

/// Owns the client every call uses (never freed: the process ends with the run).
struct Client(*mut BosbaseClient);
// SAFETY: a BosbaseClient is documented thread-safe; the pointer is never freed.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

fn client() -> *const BosbaseClient {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let url = CString::new(format!("http://127.0.0.1:{}", super::closed_port())).expect("url");
            let options = CString::new(r#"{"timeoutMs":200,"connectTimeoutMs":100,"poolSize":2}"#).expect("options");
            let mut out = ptr::null_mut();
            // SAFETY: valid C strings and out-pointer.
            let status = unsafe { bosbase_client_new(url.as_ptr(), options.as_ptr(), &mut out, ptr::null_mut()) };
            assert_eq!(status, BosbaseStatus::Ok);
            Client(out)
        })
        .0
}

/// One call's C strings: NULL where the mask says so; remembers whether any passed one is
/// not UTF-8 (the ABI must then refuse with INVALID_ARGUMENT).
struct Args {
    strings: Vec<Option<CString>>,
    any_null: bool,
    bad_utf8: bool,
}

impl Args {
    fn new(fields: &[&[u8]], mask: u8) -> Self {
        let strings: Vec<Option<CString>> = fields
            .iter()
            // The last field keeps the input's further NULs: a C string ends at the first.
            .map(|f| f.split(|b| *b == 0).next().unwrap_or_default())
            .enumerate()
            .map(|(i, f)| (mask & (1 << i) == 0).then(|| CString::new(f).expect("cut at the first NUL")))
            .collect();
        Args { strings, any_null: false, bad_utf8: false }
    }

    /// Argument `i` as a pointer; `required` ones that are NULL make the call invalid.
    fn get(&mut self, i: usize, required: bool) -> *const c_char {
        match &self.strings[i] {
            None => {
                self.any_null |= required;
                ptr::null()
            }
            Some(s) => {
                self.bad_utf8 |= s.to_str().is_err();
                s.as_ptr()
            }
        }
    }

    /// Starts checking a new call: forgets the previous call's NULL/UTF-8 findings.
    fn begin(&mut self) {
        (self.any_null, self.bad_utf8) = (false, false);
    }

    fn text(&self, i: usize) -> Option<&str> {
        self.strings[i].as_ref().and_then(|s| s.to_str().ok())
    }
}

/// Takes a library string (and frees it).
unsafe fn take(s: *mut c_char) -> String {
    let text = CStr::from_ptr(s).to_str().expect("library strings are UTF-8").to_owned();
    bosbase_string_free(s);
    text
}

/// Checks the status/out-pointer contract of one call and returns its result string.
unsafe fn outcome(
    name: &str,
    status: BosbaseStatus,
    args: &Args,
    error: *mut c_char,
    error_wanted: bool,
    result: Option<*mut c_char>,
) -> Option<String> {
    assert_ne!(status, BosbaseStatus::Panic, "{name}: PANIC");
    if args.any_null || args.bad_utf8 {
        assert_eq!(status, BosbaseStatus::InvalidArgument, "{name}: NULL or non-UTF-8 argument accepted");
    }
    let ok = status == BosbaseStatus::Ok;
    if error_wanted && !ok {
        assert!(!error.is_null(), "{name}: failed without error JSON");
        let json: Value = serde_json::from_str(&take(error)).expect("error JSON parses");
        let kind = CStr::from_ptr(bosbase_status_name(status as u32)).to_str().expect("status name");
        assert_eq!(json["kind"], kind, "{name}: error kind differs from the status");
        let url = json["url"].as_str().unwrap_or_default();
        assert!(url_within_bound(url), "{name}: error url of {} bytes", url.len());
    } else {
        assert!(error.is_null(), "{name}: error JSON written on success");
    }
    let result = result?;
    match ok {
        true => {
            assert!(!result.is_null(), "{name}: OK without a result");
            Some(take(result))
        }
        false => {
            assert!(result.is_null(), "{name}: result written on failure");
            None
        }
    }
}

/// Exports the store's `{token, record}` as text.
unsafe fn export(pb: *const BosbaseClient) -> String {
    let mut out = ptr::null_mut();
    assert_eq!(bosbase_auth_store_export(pb, &mut out, ptr::null_mut()), BosbaseStatus::Ok);
    take(out)
}

/// The C ABI target (see the module doc).
pub fn cabi(data: &[u8]) {
    let (which, mask, rest) = match data {
        [w, m, rest @ ..] => (*w, *m, rest),
        _ => return,
    };
    let fields = super::fields(rest, 4);
    let mut args = Args::new(&fields, mask);
    let error_wanted = mask & 0x80 == 0;
    let mut error = ptr::null_mut();
    let error_out = if error_wanted { &mut error as *mut _ } else { ptr::null_mut() };
    let mut result = ptr::null_mut();
    let pb = client();
    // SAFETY: every pointer is NULL or a valid C string / out-pointer / live handle.
    unsafe {
        match which % 10 {
            0 => {
                // A client from a fuzzed URL and options; freed at once, never used for a
                // call (its URL may name any host). `caFile` would read any path: renamed.
                if let Some(Some(o)) = args.strings.get_mut(1) {
                    let renamed = o.as_bytes().windows(6).any(|w| w == b"caFile");
                    if renamed {
                        let bytes: Vec<u8> = o.as_bytes().iter().map(|b| if *b == b'F' { b'X' } else { *b }).collect();
                        *o = CString::new(bytes).expect("no NUL");
                    }
                }
                let (url, options) = (args.get(0, true), args.get(1, false));
                let mut new = ptr::null_mut();
                let status = bosbase_client_new(url, options, &mut new, error_out);
                outcome("client_new", status, &args, error, error_wanted, None);
                assert_eq!(status == BosbaseStatus::Ok, !new.is_null(), "client_new: handle iff OK");
                bosbase_client_free(new);
            }
            1 => {
                let (expr, params) = (args.get(0, true), args.get(1, true));
                let status = bosbase_filter(expr, params, &mut result, error_out);
                outcome("filter", status, &args, error, error_wanted, Some(result));
            }
            2 => {
                let json = args.get(0, true);
                let before = export(pb);
                let status = bosbase_auth_store_import(pb, json, error_out);
                outcome("auth_store_import", status, &args, error, error_wanted, None);
                let after = export(pb);
                if status != BosbaseStatus::Ok {
                    assert_eq!(before, after, "a refused import changed the store");
                } else {
                    // Export → import → export is stable.
                    let again = CString::new(after.clone()).expect("export has no NUL");
                    assert_eq!(bosbase_auth_store_import(pb, again.as_ptr(), ptr::null_mut()), BosbaseStatus::Ok);
                    assert_eq!(export(pb), after, "export → import changed the login");
                }
            }
            3 => {
                let (header, key) = (args.get(0, true), args.get(1, false));
                let status = bosbase_auth_store_load_cookie(pb, header, key, error_out);
                outcome("auth_store_load_cookie", status, &args, error, error_wanted, None);
                args.begin();
                let options = args.get(2, false);
                let mut cookie = ptr::null_mut();
                let mut error = ptr::null_mut();
                let status = bosbase_auth_store_export_cookie(pb, options, &mut cookie, &mut error);
                let cookie = outcome("auth_store_export_cookie", status, &args, error, true, Some(cookie));
                if let Some(cookie) = cookie {
                    // The exported cookie loads back to the same login.
                    let before = export(pb);
                    let pair = CString::new(cookie.split(';').next().unwrap_or_default()).expect("no NUL");
                    let key = cookie.split('=').next().unwrap_or_default();
                    let key = CString::new(key).expect("no NUL");
                    let status = bosbase_auth_store_load_cookie(pb, pair.as_ptr(), key.as_ptr(), ptr::null_mut());
                    assert_eq!(status, BosbaseStatus::Ok, "an exported cookie does not load: {cookie:?}");
                    let token = |s: &str| serde_json::from_str::<Value>(s).expect("export JSON")["token"].clone();
                    assert_eq!(token(&export(pb)), token(&before), "the cookie lost the token");
                }
            }
            4 => {
                let (token, record) = (args.get(0, true), args.get(1, false));
                let status = bosbase_auth_store_save(pb, token, record, error_out);
                outcome("auth_store_save", status, &args, error, error_wanted, None);
                if status == BosbaseStatus::Ok {
                    let saved: Value = serde_json::from_str(&export(pb)).expect("export JSON");
                    assert_eq!(saved["token"].as_str(), args.text(0), "save lost the token");
                }
            }
            5 => {
                let (op, call_args, options) = (args.get(0, true), args.get(1, false), args.get(2, false));
                let status = bosbase_call(pb, op, call_args, options, &mut result, error_out);
                outcome("call", status, &args, error, error_wanted, Some(result));
            }
            6 => {
                let files = bosbase_files_new();
                let (field, filename, content_type) = (args.get(0, true), args.get(1, true), args.get(2, false));
                let data = fields[3];
                let status =
                    bosbase_files_add_bytes(files, field, filename, content_type, data.as_ptr(), data.len(), error_out);
                outcome("files_add_bytes", status, &args, error, error_wanted, None);
                let mut error = ptr::null_mut();
                let (op, call_args) = (c"records.create", c"{\"collection\":\"posts\"}");
                let status = bosbase_call_with_files(
                    pb,
                    op.as_ptr(),
                    call_args.as_ptr(),
                    ptr::null(),
                    files,
                    &mut result,
                    &mut error,
                );
                let clean = Args { strings: Vec::new(), any_null: false, bad_utf8: false };
                outcome("call_with_files", status, &clean, error, true, Some(result));
                bosbase_files_free(files);
            }
            7 => {
                let auth = args.get(0, false);
                let mut fork = ptr::null_mut();
                let status = bosbase_client_fork(pb, auth, &mut fork, error_out);
                outcome("client_fork", status, &args, error, error_wanted, None);
                assert_eq!(status == BosbaseStatus::Ok, !fork.is_null(), "client_fork: handle iff OK");
                bosbase_client_free(fork);
            }
            8 => {
                let (path, options) = (args.get(0, true), args.get(1, false));
                let status = bosbase_send(pb, path, options, &mut result, error_out);
                outcome("send", status, &args, error, error_wanted, Some(result));
            }
            _ => {
                // NULL handles and out-pointers everywhere: refused, never dereferenced.
                let status = bosbase_filter(args.get(0, true), args.get(1, true), ptr::null_mut(), error_out);
                args.any_null = true;
                outcome("filter(NULL out)", status, &args, error, error_wanted, None);
                let mut error = ptr::null_mut();
                args.begin();
                args.any_null = true;
                let status = bosbase_auth_store_import(ptr::null(), args.get(0, false), &mut error);
                outcome("import(NULL client)", status, &args, error, true, None);
                let name = u32::from_le_bytes([mask, which, 0, 0]);
                assert!(!bosbase_status_name(name).is_null());
            }
        }
    }
}

//! The auth store kept in a file ([`ClientBuilder::auth_file`](crate::ClientBuilder::auth_file)):
//! read once when the client is built, replaced atomically after every change.
//!
//! The file holds exactly what [`AuthStore::export`](crate::AuthStore::export) returns,
//! `{"token": "...", "record": {...}}`, so it can also be handed to `import`. It is never
//! written in place: each change writes a new file next to it (created owner-only, `0600`,
//! with `O_EXCL` so nothing planted at that name is followed), syncs it and renames it over
//! the path, so a reader (another process, or this one after a crash) sees the old login or
//! the new one, never half of one. Nothing else is written anywhere, and no message names
//! the file's content.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde_json::{json, Value};

use crate::auth_store::parse_export;
use crate::files::{open_regular, what_it_is};
use crate::Error;

/// Largest auth file read: a login is a token and one record, far below this; anything
/// larger is not one of ours.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Where the login is kept, and the last problem reading or writing it.
pub(crate) struct AuthFile {
    path: PathBuf,
    problem: Mutex<Option<Error>>,
}

impl AuthFile {
    /// A relative `path` is resolved now, against the current directory, so a later change
    /// of directory does not move the file.
    pub(crate) fn new(path: PathBuf) -> Self {
        let path = std::path::absolute(&path).unwrap_or(path);
        AuthFile { path, problem: Mutex::new(None) }
    }

    /// The login in the file: `None` when there is no file, and also when it cannot be used
    /// (unreadable, not a regular file, not an export): then the problem is remembered for
    /// [`problem`](Self::problem) and the store starts empty, as for a missing file.
    pub(crate) fn load(&self) -> Option<(String, Value)> {
        match read(&self.path) {
            Ok(login) => login,
            Err(why) => {
                self.set_problem(Some(format!("authFile: {why}; the auth store started empty")));
                None
            }
        }
    }

    /// Replaces the file with this state. A failure is remembered for
    /// [`problem`](Self::problem) (the store itself keeps the state); a success forgets any
    /// earlier problem.
    pub(crate) fn store(&self, token: &str, record: &Value) {
        let text = json!({ "token": token, "record": record }).to_string();
        match write_atomically(&self.path, text.as_bytes()) {
            Ok(()) => self.set_problem(None),
            Err(why) => self.set_problem(Some(format!("authFile: {why}; the change was kept in memory only"))),
        }
    }

    /// The problem of the last read or write of the file, `None` when it went well.
    pub(crate) fn problem(&self) -> Option<Error> {
        self.problem.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn set_problem(&self, message: Option<String>) {
        *self.problem.lock().unwrap_or_else(PoisonError::into_inner) = message.map(Error::invalid_argument);
    }
}

/// Reads and checks the file (as `import` checks its JSON). The error says what is wrong
/// without quoting the content, which holds the token.
fn read(path: &Path) -> Result<Option<(String, Value)>, String> {
    // A missing file (or a link to nothing) is a client that never signed in.
    if let Err(e) = fs::metadata(path) {
        if e.kind() == io::ErrorKind::NotFound {
            return Ok(None);
        }
    }
    // Non-blocking, and refused unless it is a regular file: a FIFO or a device never hangs us.
    let (file, len) = open_regular(path)?;
    if len > MAX_FILE_BYTES {
        return Err(format!("the file is larger than {MAX_FILE_BYTES} bytes"));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file ({})", e.kind()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("the file is larger than {MAX_FILE_BYTES} bytes"));
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the file is not JSON (line {}, column {})", e.line(), e.column()))?;
    let (token, record) = parse_export(&value, "the file").map_err(|e| e.message().to_owned())?;
    Ok(Some((token, record)))
}

/// Writes `bytes` to a new owner-only file beside `path`, syncs it and renames it over
/// `path`. The temporary file is removed on any failure.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let name = path.file_name().ok_or("the path does not name a file")?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Renaming would replace a FIFO or a device (as root, even /dev/null) and fails on a
    // directory: refuse anything at the path but a file or a link (which is replaced, not followed).
    if let Ok(meta) = fs::symlink_metadata(path) {
        let t = meta.file_type();
        if !t.is_file() && !t.is_symlink() {
            return Err(format!("not a regular file (the path names {})", what_it_is(&t)));
        }
    }
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|_| "no randomness for the temporary file's name".to_owned())?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let temp = dir.join(format!(".{}.{suffix}.tmp", name.to_string_lossy()));
    let file = create_owner_only(&temp).map_err(|e| format!("cannot create a file in its directory ({})", e.kind()))?;
    let written = fill_and_sync(file, bytes).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(format!("cannot write the file ({})", e.kind()));
    }
    sync_dir(dir);
    Ok(())
}

/// Creates `path` as a new file readable and writable by its owner only from the first
/// instant (mode given to `open`, not changed afterwards); fails if anything exists there,
/// a symbolic link included.
fn create_owner_only(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    options.open(path)
}

fn fill_and_sync(mut file: File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the rename itself durable (best effort: some file systems refuse to sync a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

//! Downloads of a record's file on the client's own connections (TLS trust, proxy,
//! deadline, auth header): streamed to a path or a writer, never held whole in memory.
//! To a path, the bytes go to a temporary file in the same directory, renamed over the
//! target only once all arrived, so a failed or cancelled download leaves nothing.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::call::Ticket;
use crate::progress::{Progress, Reporter};
use crate::{url, BosBase, Call, Error, ErrorKind, FilesService, Result, SendOptions};

/// Options of [`FilesService::download`], and the C ABI's download `options_json`
/// (`{"thumb": "100x100", "token": "…", "download": true, "maxBytes": N, "timeoutMs": N,
/// "headers": {}}`; every field optional).
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// A thumb size of an image field (`100x100`, `0x50`, …), as `files.getURL`.
    #[serde(default)]
    pub thumb: Option<String>,
    /// A token from `files.getToken`, for a protected file.
    #[serde(default)]
    pub token: Option<String>,
    /// Asks the server for `Content-Disposition: attachment` (`download=1`).
    #[serde(default)]
    pub download: bool,
    /// The largest file accepted, in bytes: a bigger one fails with kind `too_large` and
    /// leaves nothing. Default: no cap. A download is streamed, never held in memory, so
    /// the client's `maxResponseBytes` (a memory bound for JSON answers) does not apply;
    /// set this where the disk or the writer needs a bound.
    #[serde(default, rename = "maxBytes")]
    pub max_bytes: Option<u64>,
    /// Deadline of the whole download in milliseconds (connect, answer and every byte),
    /// replacing the client's timeout. A big file needs a deadline that fits it.
    #[serde(default, rename = "timeoutMs")]
    pub timeout_ms: Option<u64>,
    /// Extra request headers. A caller-set `Authorization` wins over the auth store.
    #[serde(default)]
    pub headers: HashMap<String, String>,
    /// Progress of the download (see [`Progress`]); set in code, never in JSON.
    #[serde(skip)]
    pub progress: Option<Progress>,
}

impl DownloadOptions {
    /// Default options: the file itself, no cap, the client's deadline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Downloads the thumb of this size instead of the file.
    pub fn thumb(mut self, size: &str) -> Self {
        self.thumb = Some(size.to_owned());
        self
    }

    /// Sends a protected-file token (from `files.getToken`).
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Caps the file at `bytes` (kind `too_large` beyond it).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes);
        self
    }

    /// Sets the download's deadline.
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout_ms = Some(timeout.as_millis().max(1).try_into().unwrap_or(u64::MAX));
        self
    }

    /// Reports progress to `f(done, total)` (see [`Progress`]).
    pub fn on_progress(mut self, f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Progress::new(f));
        self
    }

    /// Parses the C ABI's `options_json`; `""` means none.
    pub(crate) fn from_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        crate::request::parse_json(json, "download options JSON")
    }
}

/// Names only: a token is a secret.
impl fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("thumb", &self.thumb)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("download", &self.download)
            .field("max_bytes", &self.max_bytes)
            .field("timeout_ms", &self.timeout_ms)
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Where a download goes: a path (replaced atomically once complete) or a writer.
pub enum DownloadTarget {
    /// A file path: written to a temporary file beside it, then renamed over it.
    Path(PathBuf),
    /// Any writer; on failure it holds what arrived until then.
    Writer(Box<dyn Write + Send>),
}

impl DownloadTarget {
    /// A writer target.
    pub fn writer(w: impl Write + Send + 'static) -> Self {
        DownloadTarget::Writer(Box::new(w))
    }
}

impl From<PathBuf> for DownloadTarget {
    fn from(p: PathBuf) -> Self {
        DownloadTarget::Path(p)
    }
}

impl From<&Path> for DownloadTarget {
    fn from(p: &Path) -> Self {
        DownloadTarget::Path(p.to_owned())
    }
}

impl From<&str> for DownloadTarget {
    fn from(p: &str) -> Self {
        DownloadTarget::Path(p.into())
    }
}

impl From<String> for DownloadTarget {
    fn from(p: String) -> Self {
        DownloadTarget::Path(p.into())
    }
}

impl fmt::Debug for DownloadTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadTarget::Path(_) => f.write_str("DownloadTarget::Path"),
            DownloadTarget::Writer(_) => f.write_str("DownloadTarget::Writer"),
        }
    }
}

impl FilesService {
    /// Downloads `filename` of `record` (an object with `id` and `collectionId` or
    /// `collectionName`) to `target`, streamed. The result is
    /// `{"path": …|null, "bytes": N, "contentType": …}`. Failures: `http` with the
    /// server's JSON (a missing file, a protected file without a valid token), `network`,
    /// `timeout`, `tls`, `too_large` (over `maxBytes`), `cancelled`, and
    /// `invalid_argument` for a bad record, filename or target, or a target that cannot
    /// be written (a path's directory must exist).
    pub fn download(
        &self,
        record: Value,
        filename: &str,
        target: impl Into<DownloadTarget>,
        options: DownloadOptions,
    ) -> Call<Value> {
        let (filename, target) = (filename.to_owned(), target.into());
        let deadline = self.client.deadline(&SendOptions { timeout_ms: options.timeout_ms, ..Default::default() });
        self.client
            .call(move |client, ticket| run(client, &record, &filename, target, options, ticket))
            .with_deadline(deadline)
    }
}

/// The request path of a record's file.
fn file_path(record: &Value, filename: &str) -> Result<String> {
    let text = |key: &str| record.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(id), Some(collection)) = (text("id"), text("collectionId").or_else(|| text("collectionName"))) else {
        return Err(Error::invalid_argument("download: `record` needs `id` and `collectionId` or `collectionName`"));
    };
    if filename.is_empty() {
        return Err(Error::invalid_argument("download: `filename` is empty"));
    }
    Ok(format!("/api/files/{}/{}/{}", url::segment(collection), url::segment(id), url::segment(filename)))
}

fn run(
    client: &BosBase,
    record: &Value,
    filename: &str,
    target: DownloadTarget,
    options: DownloadOptions,
    ticket: &Ticket,
) -> Result<Value> {
    let path = file_path(record, filename)?;
    let mut query = Map::new();
    if let Some(thumb) = options.thumb.as_deref().filter(|s| !s.is_empty()) {
        query.insert("thumb".to_owned(), json!(thumb));
    }
    if let Some(token) = options.token.as_deref().filter(|s| !s.is_empty()) {
        query.insert("token".to_owned(), json!(token));
    }
    if options.download {
        query.insert("download".to_owned(), json!(1));
    }
    let request = SendOptions {
        method: Some("GET".to_owned()),
        query,
        headers: options.headers.clone(),
        timeout_ms: options.timeout_ms,
        ..Default::default()
    };
    // Refuse an unusable target before anything is sent.
    let mut sink = match target {
        DownloadTarget::Path(p) => Sink::Temp(TempFile::beside(&p, ticket)?),
        DownloadTarget::Writer(w) => Sink::Writer(w),
    };
    let (url, response) = client.send_request(&path, request)?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    if !(200..300).contains(&status) {
        let limit = client.max_response_bytes();
        let text = body.with_config().limit(limit).read_to_string().unwrap_or_default();
        return Err(Error::from_response(&url, status, &text));
    }
    let content_type = body.mime_type().map(str::to_owned);
    let length = body.content_length();
    let too_large = |cap: u64| {
        Error::new(ErrorKind::TooLarge, &url, format!("the file is larger than the download's {cap}-byte cap"))
            .with_status(status)
    };
    if let (Some(cap), Some(len)) = (options.max_bytes, length) {
        if len > cap {
            return Err(too_large(cap));
        }
    }
    let mut reporter = options.progress.clone().map(|p| Reporter::new(p, length.unwrap_or(0)));
    let mut reader = body.into_with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        if ticket.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled, &url, "the call was cancelled"));
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // Say how far it got: "Peer disconnected" alone does not tell a file cut short.
                let of = length.map_or(String::new(), |l| format!(" of {l}"));
                let error = Error::from_transport(&url, ureq::Error::from(e)).with_status(status);
                return Err(error.in_context(&format!("the download stopped after {bytes}{of} bytes")));
            }
        };
        bytes += n as u64;
        if options.max_bytes.is_some_and(|cap| bytes > cap) {
            return Err(too_large(options.max_bytes.unwrap_or_default()));
        }
        sink.write_all(&buf[..n])?;
        if let Some(r) = reporter.as_mut() {
            r.advance(n as u64);
        }
    }
    let path = sink.finish(ticket, &url)?;
    if let Some(r) = reporter.as_mut() {
        r.finish();
    }
    debug_assert!(reporter.as_ref().is_none_or(|r| r.done() == bytes));
    Ok(json!({"path": path, "bytes": bytes, "contentType": content_type}))
}

/// Where the bytes go while they arrive.
enum Sink {
    Temp(TempFile),
    Writer(Box<dyn Write + Send>),
}

impl Sink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let written = match self {
            Sink::Temp(t) => t.file.as_mut().map_or(Ok(()), |f| f.write_all(bytes)),
            Sink::Writer(w) => w.write_all(bytes),
        };
        written.map_err(|e| cannot_write(&e))
    }

    /// Completes the target: the path it was written to, or null for a writer. A call
    /// cancelled by now gets no file.
    fn finish(self, ticket: &Ticket, url: &str) -> Result<Option<String>> {
        match self {
            Sink::Writer(mut w) => {
                w.flush().map_err(|e| cannot_write(&e))?;
                Ok(None)
            }
            Sink::Temp(mut t) => {
                let file = t.file.take().ok_or_else(Error::panic)?;
                file.sync_all().map_err(|e| cannot_write(&e))?;
                drop(file);
                if !ticket.commit() {
                    return Err(Error::new(ErrorKind::Cancelled, url, "the call was cancelled"));
                }
                std::fs::rename(&t.temp, &t.target).map_err(|e| cannot_write(&e))?;
                t.renamed = true;
                Ok(Some(t.target.to_string_lossy().into_owned()))
            }
        }
    }
}

/// A local write failure; the message names the error's kind, never the path.
fn cannot_write(e: &io::Error) -> Error {
    Error::invalid_argument(format!("download: cannot write the target ({})", e.kind()))
}

/// A temporary file beside the target, removed unless renamed over it.
struct TempFile {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
    renamed: bool,
}

impl TempFile {
    /// Creates the temporary file for `target`. A cancel of the call removes it before
    /// the cancelled completion is delivered (or keeps it from being created), so a
    /// caller never sees it once the call completed.
    fn beside(target: &Path, ticket: &Ticket) -> Result<Self> {
        let name = target
            .file_name()
            .filter(|_| !target.as_os_str().to_string_lossy().ends_with('/'))
            .ok_or_else(|| Error::invalid_argument("download: the target path names no file"))?;
        if target.is_dir() {
            return Err(Error::invalid_argument("download: the target path is a directory"));
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).map_err(|_| Error::panic())?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let temp = dir.join(format!(".{}.{suffix}.part", name.to_string_lossy()));
        // The cancel's cleanup and the creation exclude each other: a cancel before the
        // creation prevents it, one after it removes the file.
        let cancelled = Arc::new(Mutex::new(false));
        let (flag, path) = (Arc::clone(&cancelled), temp.clone());
        ticket.on_cancel(move || {
            *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
            let _ = std::fs::remove_file(&path);
        });
        let gate = cancelled.lock().unwrap_or_else(PoisonError::into_inner);
        if *gate {
            return Err(Error::new(ErrorKind::Cancelled, "", "the call was cancelled"));
        }
        // A normal file's permissions (0666 less the umask), created new: never an
        // existing file or a link planted at the temporary name.
        let file =
            std::fs::OpenOptions::new().write(true).create_new(true).open(&temp).map_err(|e| cannot_write(&e))?;
        drop(gate);
        Ok(TempFile { file: Some(file), temp, target: target.to_owned(), renamed: false })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.renamed {
            self.file = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_need_an_id_and_a_collection() {
        let ok = file_path(&json!({"id": "r1", "collectionName": "my docs"}), "a b.txt").unwrap();
        assert_eq!(ok, "/api/files/my%20docs/r1/a%20b.txt");
        assert!(file_path(&json!({"id": "r1"}), "a.txt").is_err());
        assert!(file_path(&json!({"id": "r1", "collectionId": "c"}), "").is_err());
    }

    #[test]
    fn options_parse_and_hide_the_token() {
        let o = DownloadOptions::from_json(r#"{"thumb":"100x100","token":"sekrit","maxBytes":5}"#).unwrap();
        assert_eq!((o.thumb.as_deref(), o.max_bytes), (Some("100x100"), Some(5)));
        assert!(!format!("{o:?}").contains("sekrit"));
        assert!(DownloadOptions::from_json(r#"{"maxbytes":5}"#).is_err(), "typos are reported");
    }

    #[test]
    fn a_temporary_file_is_removed_unless_renamed() {
        let dir = std::env::temp_dir().join(format!("bosbase-download-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ticket = Ticket::default();
        let temp = TempFile::beside(&dir.join("out.bin"), &ticket).unwrap();
        let path = temp.temp.clone();
        assert!(path.exists());
        drop(temp);
        assert!(!path.exists());
        assert!(TempFile::beside(&dir, &ticket).is_err(), "a directory");
        assert!(TempFile::beside(&dir.join("missing/out.bin"), &ticket).is_err());
        // A cancel removes the temporary file before the cancelled completion.
        let temp = TempFile::beside(&dir.join("out.bin"), &ticket).unwrap();
        assert!(temp.temp.exists() && ticket.cancel());
        assert!(!temp.temp.exists());
        assert!(TempFile::beside(&dir.join("out.bin"), &ticket).is_err(), "none after a cancel");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

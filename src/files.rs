//! File uploads: [`FilePart`]s sent with a record's data as one `multipart/form-data`
//! body. Parts from a path are streamed from disk (never read whole into memory) and the
//! body's length is known up front, so it goes with a `Content-Length` (no chunking).
//! The record data travels as PocketBase's `@jsonPayload` field, which keeps its JSON types.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::{Error, Result};

/// One file of an upload: the record field it belongs to, the filename the server sees,
/// its content type, and its bytes (in memory, shared, never copied per call) or a path.
#[derive(Clone, PartialEq)]
pub struct FilePart {
    field: String,
    filename: String,
    content_type: Option<String>,
    source: Source,
}

#[derive(Clone, PartialEq)]
enum Source {
    Bytes(Arc<[u8]>),
    Path(PathBuf),
}

impl FilePart {
    /// A part holding `data`, named `filename`, for the record field `field`.
    pub fn bytes(field: &str, filename: &str, data: impl Into<Arc<[u8]>>) -> Self {
        FilePart {
            field: field.to_owned(),
            filename: filename.to_owned(),
            content_type: None,
            source: Source::Bytes(data.into()),
        }
    }

    /// A part streamed from the file at `path` when the call runs; its filename is the
    /// path's last component (change it with [`filename`](Self::filename)). The call fails
    /// at once with `invalid_argument` naming the field when the path is not a regular
    /// file (a FIFO, device or directory; none is ever opened for a blocking read) or the
    /// file changes size while it is sent (grows or shrinks: rather than a part cut short
    /// or a server waiting for bytes that never come; rewriting it in place at the same
    /// size is not detected).
    pub fn path(field: &str, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        FilePart { field: field.to_owned(), filename, content_type: None, source: Source::Path(path.to_owned()) }
    }

    /// True when the part can be sent again for a retry: bytes are kept, a path is reopened
    /// (both are today; a part streamed from a one-shot source would not be).
    pub(crate) fn replayable(&self) -> bool {
        matches!(self.source, Source::Bytes(_) | Source::Path(_))
    }

    /// Sets the filename the server sees. Any text without control characters; `\` and
    /// `"` are escaped in the part's header (the server sanitises the name it stores).
    pub fn filename(mut self, filename: &str) -> Self {
        self.filename = filename.to_owned();
        self
    }

    /// Sets the content type (default: from the filename's extension, else
    /// `application/octet-stream`).
    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self
    }

    /// The record field this part belongs to.
    pub fn field(&self) -> &str {
        &self.field
    }

    fn check(&self) -> Result<()> {
        let bad = |what: &str| Error::invalid_argument(format!("file part for `{}`: {what}", self.field));
        if self.field.is_empty() || self.field.chars().any(char::is_control) {
            return Err(Error::invalid_argument("a file part's field is empty or has control characters"));
        }
        if self.filename.is_empty() || self.filename.chars().any(char::is_control) {
            return Err(bad("the filename is empty or has control characters"));
        }
        if self.content_type.as_deref().is_some_and(|t| t.is_empty() || t.chars().any(char::is_control)) {
            return Err(bad("the content type is empty or has control characters"));
        }
        Ok(())
    }

    /// `invalid_argument` naming the part by its field (never by its path or bytes).
    fn refused(&self, why: &str) -> Error {
        Error::invalid_argument(format!("file part for `{}`: {why}", self.field))
    }

    fn mime(&self) -> &str {
        if let Some(t) = &self.content_type {
            return t;
        }
        let ext = self.filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "txt" => "text/plain",
            "csv" => "text/csv",
            "html" | "htm" => "text/html",
            "json" => "application/json",
            "pdf" => "application/pdf",
            "zip" => "application/zip",
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "webp" => "image/webp",
            "svg" => "image/svg+xml",
            "mp3" => "audio/mpeg",
            "mp4" => "video/mp4",
            _ => "application/octet-stream",
        }
    }
}

/// Sizes and names only: the bytes may be private.
impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(b) => format!("{} bytes", b.len()),
            Source::Path(_) => "from a path".to_owned(),
        };
        f.debug_struct("FilePart")
            .field("field", &self.field)
            .field("filename", &self.filename)
            .field("content_type", &self.mime())
            .field("source", &source)
            .finish()
    }
}

/// A multipart body ready to send: its content type, exact length and reader.
pub(crate) struct Multipart {
    pub(crate) content_type: String,
    pub(crate) length: u64,
    pub(crate) reader: Pieces,
}

/// Reads its pieces one after another.
pub(crate) struct Pieces(std::collections::VecDeque<Box<dyn Read + Send>>);

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.0.front_mut() {
            match piece.read(buf)? {
                0 => {
                    self.0.pop_front();
                }
                n => return Ok(n),
            }
        }
        Ok(0)
    }
}

/// `Arc<[u8]>` as a reader, so a part's bytes are shared, not copied, per call.
struct Shared(Arc<[u8]>, usize);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.0.len() - self.1);
        buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
        self.1 += n;
        Ok(n)
    }
}

/// Escapes a name for a `Content-Disposition` quoted-string: `\` and `"` get a backslash
/// (RFC 9110's quoted-pair). This is what the server's parser (Go's `mime.ParseMediaType`,
/// under PocketBase and BosBase) undoes, so the name arrives exactly as given. Browsers'
/// `%22` would arrive as the three characters `%22`, and a bare `\` before the closing
/// quote escapes it: the header no longer parses and the file is silently dropped.
/// Control characters cannot be framed at all; [`FilePart::check`] refuses them.
fn quoted(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    for c in name.chars() {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Opens a part's file without ever blocking and returns it with its length, or why not.
///
/// A FIFO with no writer blocks a plain `open` forever (before any deadline applies), and
/// some devices block or never end: the file is opened non-blocking (which changes nothing
/// for the regular file it must then be) and refused unless `fstat` on that very descriptor
/// says it is a regular file, so nothing can be swapped in between the check and the read.
pub(crate) fn open_regular(path: &Path) -> std::result::Result<(File, u64), String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let cannot = |e: io::Error| format!("cannot read the file ({})", e.kind());
    let file = options.open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!("not a regular file (the path names {})", what_it_is(&meta.file_type())));
    }
    Ok((file, meta.len()))
}

/// What a file that cannot be uploaded is, in a few words.
pub(crate) fn what_it_is(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    match t.is_dir() {
        true => "a directory",
        false => "something else",
    }
}

/// Why a part's file could not be sent, carried through ureq inside an `io::Error` so the
/// call fails at once as `invalid_argument` (see [`Error::from_transport`]).
#[derive(Debug)]
pub(crate) struct PartFailed(pub(crate) String);

impl fmt::Display for PartFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PartFailed {}

/// A part's file, read for exactly the length announced in `Content-Length`. A file that
/// ends early (truncated meanwhile) or has bytes left over (it grew) fails the call at
/// once: the server would otherwise wait for bytes that never come, until the deadline,
/// or store a file that never existed in that form.
struct FileBody {
    file: File,
    left: u64,
    field: String,
}

impl FileBody {
    fn changed(&self) -> io::Error {
        let why = format!("file part for `{}`: the file changed size during the upload", self.field);
        io::Error::new(io::ErrorKind::UnexpectedEof, PartFailed(why))
    }
}

impl Read for FileBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One probe past the announced end: a grown file is refused, not silently cut.
        let mut probe = [0u8; 1];
        let room = buf.len();
        let target = match self.left {
            0 => &mut probe[..],
            left => &mut buf[..usize::try_from(left).unwrap_or(usize::MAX).min(room)],
        };
        let n = loop {
            match self.file.read(target) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let why = format!("file part for `{}`: cannot read the file ({})", self.field, e.kind());
                    return Err(io::Error::new(e.kind(), PartFailed(why)));
                }
                Ok(n) => break n,
            }
        };
        match (self.left, n) {
            (0, 0) => Ok(0),
            (0, _) | (_, 0) => Err(self.changed()),
            (_, n) => {
                self.left -= n as u64;
                Ok(n)
            }
        }
    }
}

/// Pieces of a body under construction, with their total length.
#[derive(Default)]
struct Builder {
    pieces: std::collections::VecDeque<Box<dyn Read + Send>>,
    length: u64,
}

impl Builder {
    fn text(&mut self, s: String) {
        let size = s.len() as u64;
        self.push(Box::new(io::Cursor::new(s.into_bytes())), size);
    }

    fn push(&mut self, reader: Box<dyn Read + Send>, size: u64) {
        self.length += size;
        self.pieces.push_back(reader);
    }
}

/// The multipart body for `body` (sent as `@jsonPayload` when not empty) and `files`.
/// Files from paths are opened now; an unreadable one is `invalid_argument` naming its field.
pub(crate) fn multipart(body: Option<&Value>, files: &[FilePart]) -> Result<Multipart> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|_| Error::panic())?;
    let boundary: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let boundary = format!("bosbase-{boundary}");
    let mut out = Builder::default();
    match body {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) if m.is_empty() => {}
        Some(v @ Value::Object(_)) => {
            let json = serde_json::to_string(v).map_err(|_| Error::invalid_argument("body is not serialisable"))?;
            out.text(format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"@jsonPayload\"\r\n\r\n{json}\r\n"
            ));
        }
        Some(_) => return Err(Error::invalid_argument("a body sent with file parts must be a JSON object")),
    }
    for part in files {
        part.check()?;
        out.text(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            quoted(&part.field),
            quoted(&part.filename),
            part.mime()
        ));
        match &part.source {
            Source::Bytes(b) => out.push(Box::new(Shared(Arc::clone(b), 0)), b.len() as u64),
            Source::Path(p) => {
                let (file, len) = open_regular(p).map_err(|why| part.refused(&why))?;
                out.push(Box::new(FileBody { file, left: len, field: part.field.clone() }), len);
            }
        }
        out.text("\r\n".to_owned());
    }
    out.text(format!("--{boundary}--\r\n"));
    Ok(Multipart {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        length: out.length,
        reader: Pieces(out.pieces),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_all(m: Multipart) -> (String, u64, Vec<u8>) {
        let mut out = Vec::new();
        let Multipart { content_type, length, mut reader } = m;
        reader.read_to_end(&mut out).unwrap();
        (content_type, length, out)
    }

    #[test]
    fn body_and_parts_are_framed_with_an_exact_length() {
        let dir = std::env::temp_dir().join(format!("bosbase-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notes.txt");
        std::fs::write(&path, b"from disk").unwrap();
        let parts = [FilePart::bytes("attachment", "a\"b.png", b"\x89PNG".to_vec()), FilePart::path("doc", &path)];
        let (ct, length, bytes) = read_all(multipart(Some(&json!({"title": "t", "n": 1})), &parts).unwrap());
        assert_eq!(length, bytes.len() as u64);
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"@jsonPayload\"\r\n\r\n{\"n\":1,\"title\":\"t\"}\r\n"), "{text}");
        assert!(text.contains("name=\"attachment\"; filename=\"a\\\"b.png\"\r\nContent-Type: image/png\r\n\r\n"));
        assert!(text.contains("filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nfrom disk\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A scratch directory of this test process.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bosbase-files-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// `\` and `"` are quoted-pairs, which Go's `mime.ParseMediaType` (the server's parser)
    /// undoes: a name ending in `\` no longer escapes the closing quote.
    #[test]
    fn names_are_framed_as_quoted_strings() {
        assert_eq!(quoted("evil.txt\\"), "evil.txt\\\\");
        assert_eq!(quoted("say \"hi\".txt"), "say \\\"hi\\\".txt");
        assert_eq!(quoted("\\\""), "\\\\\\\"");
        assert_eq!(quoted("Grüße 日本.txt"), "Grüße 日本.txt");
        let parts = [FilePart::bytes("a\\", "evil.txt\\", b"x".to_vec())];
        let (_, _, bytes) = read_all(multipart(None, &parts).unwrap());
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("form-data; name=\"a\\\\\"; filename=\"evil.txt\\\\\"\r\n"), "{text}");
        for bad in ["a\r\nb.txt", "a\nb", "a\rb", "nul\0.txt", "tab\t.txt", "\u{85}"] {
            let err = multipart(None, &[FilePart::bytes("f", bad, vec![])]).err().unwrap();
            assert!(err.message().contains("control characters"), "{bad:?}: {err}");
        }
    }

    /// FIFOs (which block `open` until a writer comes), devices and directories are refused
    /// at once, naming the field and what the path is, never the path.
    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_sent() {
        let dir = scratch("types");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let started = std::time::Instant::now();
        for (path, what) in
            [(fifo.as_path(), "a FIFO"), (Path::new("/dev/zero"), "a device"), (dir.as_path(), "a directory")]
        {
            let err = multipart(None, &[FilePart::path("doc", path)]).err().unwrap();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
            assert!(err.message().contains("`doc`") && err.message().contains(what), "{err}");
            assert!(!err.message().contains(&*dir.to_string_lossy()), "{err}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "an open blocked");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A file that shrinks or grows after its length went into `Content-Length` fails the
    /// read with a [`PartFailed`] (the call's `invalid_argument`), never a short or long body.
    #[test]
    fn a_file_that_changes_size_fails_the_read() {
        let dir = scratch("size");
        let path = dir.join("data.bin");
        for (change, len) in [("shrinks", 10_000u64), ("grows", 70_000), ("empties", 0)] {
            std::fs::write(&path, vec![7u8; 50_000]).unwrap();
            let Multipart { length, mut reader, .. } = multipart(None, &[FilePart::path("doc", &path)]).unwrap();
            assert!(length > 50_000);
            std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(len).unwrap();
            let mut out = Vec::new();
            let err = reader.read_to_end(&mut out).unwrap_err();
            let why = err.get_ref().and_then(|e| e.downcast_ref::<PartFailed>()).expect(change).to_string();
            assert!(why.contains("`doc`") && why.contains("changed size"), "{change}: {why}");
        }
        std::fs::write(&path, vec![7u8; 50_000]).unwrap();
        let unchanged = multipart(None, &[FilePart::path("doc", &path)]).unwrap();
        let (_, length, bytes) = read_all(unchanged);
        assert_eq!(length, bytes.len() as u64);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_parts_are_refused_by_field() {
        let missing = FilePart::path("doc", "/no/such/file");
        let err = multipart(None, &[missing]).err().unwrap();
        assert!(err.message().contains("`doc`") && !err.message().contains("/no/such"), "{err}");
        assert!(multipart(None, &[FilePart::path("doc", "/")]).is_err(), "a directory");
        assert!(multipart(None, &[FilePart::bytes("a\r\nb", "x", vec![])]).is_err());
        assert!(multipart(None, &[FilePart::bytes("a", "", vec![])]).is_err());
        assert!(multipart(None, &[FilePart::bytes("a", "x", vec![]).content_type("a\nb")]).is_err());
        assert!(multipart(Some(&json!([1])), &[FilePart::bytes("a", "x", vec![])]).is_err());
        let debug = format!("{:?}", FilePart::bytes("a", "x.bin", b"secret".to_vec()));
        assert!(!debug.contains("secret") && debug.contains("6 bytes"), "{debug}");
    }
}

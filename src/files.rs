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
    /// path's last component (change it with [`filename`](Self::filename)).
    pub fn path(field: &str, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        FilePart { field: field.to_owned(), filename, content_type: None, source: Source::Path(path.to_owned()) }
    }

    /// Sets the filename the server sees.
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

/// Quotes a name for `Content-Disposition` as browsers do (`"` becomes `%22`).
fn quoted(name: &str) -> String {
    name.replace('"', "%22")
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
                let cannot = |e: io::Error| {
                    Error::invalid_argument(format!(
                        "file part for `{}`: cannot read the file ({})",
                        part.field,
                        e.kind()
                    ))
                };
                let file = File::open(p).map_err(cannot)?;
                let meta = file.metadata().map_err(cannot)?;
                if !meta.is_file() {
                    return Err(Error::invalid_argument(format!("file part for `{}`: not a regular file", part.field)));
                }
                // `take` keeps the body at the announced length if the file grows meanwhile.
                out.push(Box::new(file.take(meta.len())), meta.len());
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
        assert!(text.contains("name=\"attachment\"; filename=\"a%22b.png\"\r\nContent-Type: image/png\r\n\r\n"));
        assert!(text.contains("filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nfrom disk\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
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

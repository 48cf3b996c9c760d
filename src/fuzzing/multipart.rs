//! Multipart framing target: a record body and in-memory file parts framed as
//! `multipart/form-data` (`files::multipart`, no network, no disk).
//!
//! Input: NUL-separated fields: the body JSON, then per part `field`, `filename`,
//! `content type` (empty: none) and its bytes (up to 4 parts). Checks: refused exactly when
//! a name is empty or has control characters, or the body is not an object or null; else
//! the announced length is the body's; it opens and closes with the boundary; every part
//! header is exactly its `Content-Disposition` and `Content-Type` lines, whose quoted names
//! read back (as RFC 9110 quoted-strings) to exactly the given ones, and never holds the
//! boundary; each part's bytes come back
//! unchanged at the right place.

use std::io::Read;

use serde_json::Value;

use crate::files::{multipart as frame, Multipart};
use crate::FilePart;

struct Part {
    field: String,
    filename: String,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn bad_name(s: &str) -> bool {
    s.is_empty() || s.chars().any(char::is_control)
}

/// The value of `name="…"` in a `Content-Disposition` line, read as RFC 9110 quoted-string
/// (what Go's `mime.ParseMediaType` on the server does: `\` escapes the next character),
/// and what follows its closing quote. The value must decode to exactly what was given.
fn quoted_param<'a>(line: &'a str, name: &str) -> (String, &'a str) {
    let start = line.find(&format!("; {name}=\"")).unwrap_or_else(|| panic!("no {name} in {line:?}")) + name.len() + 4;
    let mut value = String::new();
    let mut chars = line[start..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next().unwrap_or_else(|| panic!("{name} ends inside an escape: {line:?}")).1),
            '"' => return (value, &line[start + i + 1..]),
            c => value.push(c),
        }
    }
    panic!("{name} is not closed in {line:?}")
}

/// The multipart target (see the module doc).
pub fn multipart(data: &[u8]) {
    let f = super::fields(data, 17);
    let body: Option<Value> = match f[0] {
        [] => None,
        json => match serde_json::from_slice(json) {
            Ok(v) => Some(v),
            Err(_) => return,
        },
    };
    let mut parts = Vec::new();
    for chunk in f[1..].chunks(4) {
        if chunk.iter().all(|c| c.is_empty()) {
            break;
        }
        let content_type = (!chunk[2].is_empty()).then(|| super::text(chunk[2]));
        parts.push(Part {
            field: super::text(chunk[0]),
            filename: super::text(chunk[1]),
            content_type,
            data: chunk[3].to_vec(),
        });
    }
    let files: Vec<FilePart> = parts
        .iter()
        .map(|p| {
            let part = FilePart::bytes(&p.field, &p.filename, p.data.clone());
            match &p.content_type {
                Some(t) => part.content_type(t),
                None => part,
            }
        })
        .collect();
    let refused = parts
        .iter()
        .any(|p| bad_name(&p.field) || bad_name(&p.filename) || p.content_type.as_deref().is_some_and(bad_name))
        || !matches!(body, None | Some(Value::Null | Value::Object(_)));
    let result = frame(body.as_ref(), &files);
    let Multipart { content_type, length, mut reader } = match result {
        Ok(m) => {
            assert!(!refused, "accepted a part or body that must be refused");
            m
        }
        Err(e) => {
            assert!(refused, "refused a valid upload: {e}");
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
            return;
        }
    };
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).expect("in-memory parts read");
    assert_eq!(length, bytes.len() as u64, "announced length differs from the body");
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=").expect("content type");
    let delimiter = format!("--{boundary}");
    let json_part = matches!(&body, Some(Value::Object(m)) if !m.is_empty());
    if parts.is_empty() && !json_part {
        assert_eq!(bytes, format!("{delimiter}--\r\n").as_bytes(), "an empty form is only the close delimiter");
        return;
    }
    assert!(bytes.starts_with(format!("{delimiter}\r\n").as_bytes()), "does not open with the boundary");
    assert!(bytes.ends_with(format!("\r\n{delimiter}--\r\n").as_bytes()), "does not close with the boundary");
    // Split on CRLF + delimiter as a server does; the first piece lacks the CRLF.
    let inner = &bytes[delimiter.len() + 2..bytes.len() - delimiter.len() - 6];
    let separator = format!("\r\n{delimiter}\r\n");
    let pieces = split(inner, separator.as_bytes());
    assert_eq!(pieces.len(), parts.len() + usize::from(json_part), "wrong number of parts");
    let (json_piece, file_pieces) = pieces.split_at(usize::from(json_part));
    if let (Some(piece), Some(body)) = (json_piece.first(), &body) {
        let (head, payload) = head_and_payload(piece, boundary);
        assert_eq!(head, ["Content-Disposition: form-data; name=\"@jsonPayload\""]);
        let sent: Value = serde_json::from_slice(payload).expect("@jsonPayload is JSON");
        assert!(super::has_float(body) || sent == *body, "@jsonPayload differs from the body");
    }
    for (piece, part) in file_pieces.iter().zip(&parts) {
        let (head, payload) = head_and_payload(piece, boundary);
        assert_eq!(head.len(), 2, "a part header is not exactly two lines: {head:?}");
        let disposition = head[0];
        assert!(disposition.starts_with("Content-Disposition: form-data; name=\""), "{disposition:?}");
        let (field, rest) = quoted_param(disposition, "name");
        assert_eq!(field, part.field, "the server would read another field name");
        assert!(rest.starts_with("; filename=\""), "the name's quotes end early: {disposition:?}");
        let (filename, rest) = quoted_param(disposition, "filename");
        assert_eq!(filename, part.filename, "the server would read another filename");
        assert_eq!(rest, "", "the filename's quotes end early: {disposition:?}");
        let ct = head[1].strip_prefix("Content-Type: ").expect("a Content-Type line");
        if let Some(t) = &part.content_type {
            assert_eq!(ct, t);
        }
        assert_eq!(payload, &part.data[..], "a part's bytes changed");
    }
}

/// Splits `hay` on every `sep`.
fn split<'a>(hay: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= hay.len() {
        if &hay[i..i + sep.len()] == sep {
            out.push(&hay[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&hay[start..]);
    out
}

/// A part's header lines (as text) and its payload; the header never holds the boundary.
fn head_and_payload<'a>(piece: &'a [u8], boundary: &str) -> (Vec<&'a str>, &'a [u8]) {
    let end = piece.windows(4).position(|w| w == b"\r\n\r\n").expect("a part header ends with a blank line");
    let head = std::str::from_utf8(&piece[..end]).expect("part headers are UTF-8");
    assert!(!head.contains(boundary), "the boundary appears inside a part header");
    (head.split("\r\n").collect(), &piece[end + 4..])
}

//! SSE parser target: the bytes of a `text/event-stream`, fed in fuzzer-chosen chunks.
//!
//! Input: byte 0 picks the parser's bound (1..=1021 bytes, small so the limit is hit),
//! byte 1 the chunking, the rest is the stream. Checks: any chunking (including byte by
//! byte) gives the same messages and the same `TooLong` as one read; both match a simple
//! whole-stream model of the WHATWG rules; no message holds more data than the bound; names
//! and ids never hold a line break, ids never NUL.

// The parser itself, compiled a second time here because `realtime::sse` is private to
// `realtime`: the same source file, so the fuzzer tests exactly the shipped code.
#[path = "../realtime/sse.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod parser;

use parser::{Message, Parser, TooLong};

/// Feeds `stream` in pieces whose sizes come from `sizes` (cycled; 0 = all at once).
fn run(bound: usize, stream: &[u8], sizes: &[usize]) -> (Vec<Message>, Result<(), TooLong>) {
    let mut p = Parser::new(bound);
    let mut out = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = match sizes.get(i % sizes.len().max(1)).copied().unwrap_or(0) {
            0 => rest.len(),
            n => n.min(rest.len()),
        };
        i += 1;
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        if let Err(e) = p.feed(chunk, &mut |m| out.push(m)) {
            return (out, Err(e));
        }
    }
    (out, Ok(()))
}

/// The spec, read naively: split the whole stream into lines first, then interpret them.
fn model(bound: usize, stream: &[u8]) -> (Vec<Message>, Result<(), TooLong>) {
    let mut out = Vec::new();
    let (mut event, mut data, mut has_data, mut id) = (String::new(), String::new(), false, String::new());
    let mut i = 0;
    let mut first = true;
    loop {
        let Some(len) = stream[i..].iter().position(|b| *b == b'\r' || *b == b'\n') else {
            // An unfinished last line is held, not interpreted, but still bounded.
            let result = if stream.len() - i > bound { Err(TooLong) } else { Ok(()) };
            return (out, result);
        };
        let raw = &stream[i..i + len];
        i += len + 1;
        if stream[i - 1] == b'\r' && stream.get(i) == Some(&b'\n') {
            i += 1;
        }
        if raw.len() > bound {
            return (out, Err(TooLong));
        }
        let line = if std::mem::take(&mut first) { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
        if line.is_empty() {
            if has_data {
                let name = if event.is_empty() { "message".to_owned() } else { event.clone() };
                out.push(Message { event: name, data: data.clone(), id: id.clone() });
            }
            (event, data, has_data) = (String::new(), String::new(), false);
            continue;
        }
        if line[0] == b':' {
            continue;
        }
        let (field, value) = match line.iter().position(|b| *b == b':') {
            Some(c) => (&line[..c], line[c + 1..].strip_prefix(b" ").unwrap_or(&line[c + 1..])),
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value).into_owned();
        match field {
            b"event" => event = value,
            b"data" => {
                if has_data {
                    data.push('\n');
                }
                data.push_str(&value);
                has_data = true;
                if data.len() > bound {
                    return (out, Err(TooLong));
                }
            }
            b"id" if !value.contains('\0') => id = value,
            _ => {}
        }
    }
}

/// The SSE target (see the module doc).
pub fn sse(data: &[u8]) {
    let (bound, split, stream) = match data {
        [b, s, rest @ ..] => (1 + usize::from(*b) * 4, *s, rest),
        _ => return,
    };
    let whole = run(bound, stream, &[0]);
    // Chunk sizes from the split byte: a short cycle of 1..=8-byte pieces, or byte by byte.
    let sizes: Vec<usize> = match split {
        0 => vec![1],
        s => (0..4).map(|k| 1 + usize::from(s.rotate_left(k * 2) % 8)).collect(),
    };
    assert_eq!(run(bound, stream, &sizes), whole, "chunking changed the result");
    assert_eq!(model(bound, stream), whole, "the parser disagrees with the whole-stream model");
    for m in &whole.0 {
        assert!(m.data.len() <= bound, "a message holds {} bytes over the bound {bound}", m.data.len());
        assert!(!m.data.contains('\r'), "data holds a CR");
        assert!(!m.event.is_empty() && !m.event.contains(['\r', '\n']), "bad event name {:?}", m.event);
        assert!(!m.id.contains(['\r', '\n', '\0']), "bad id {:?}", m.id);
    }
}

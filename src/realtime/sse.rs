//! A server-sent events parser (the WHATWG `text/event-stream` format): lines end in LF,
//! CRLF or CR (also split across reads); `data:` lines of one message are joined with LF;
//! `event:` names the message (default `message`); `id:` sets the last event id (one
//! containing NUL is ignored); `retry:` and unknown fields are ignored; lines starting with
//! `:` are comments; a blank line dispatches the message, unless it has no data.

/// One dispatched message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    /// The `event:` field, or `message`.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event id seen so far on the stream (sticky, as the spec says).
    pub id: String,
}

/// A line longer than the parser's limit (a garbage or hostile stream).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooLong;

/// Incremental parser: feed it the bytes as they arrive.
pub(crate) struct Parser {
    line: Vec<u8>,
    /// The previous chunk ended in CR: a LF starting the next one belongs to that line end.
    after_cr: bool,
    /// The first line of the stream may start with a UTF-8 BOM, which is skipped.
    first_line: bool,
    event: String,
    data: String,
    has_data: bool,
    last_id: String,
    max_line: usize,
}

impl Parser {
    /// A parser refusing lines (and messages) longer than `max_bytes`.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Parser {
            line: Vec::new(),
            after_cr: false,
            first_line: true,
            event: String::new(),
            data: String::new(),
            has_data: false,
            last_id: String::new(),
            max_line: max_bytes,
        }
    }

    /// Parses `chunk`, calling `emit` for each complete message, in order.
    pub(crate) fn feed(&mut self, chunk: &[u8], emit: &mut impl FnMut(Message)) -> Result<(), TooLong> {
        let mut rest = chunk;
        if self.after_cr {
            self.after_cr = false;
            if let Some(b'\n') = rest.first() {
                rest = &rest[1..];
            }
        }
        while !rest.is_empty() {
            match rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
                None => {
                    self.line.extend_from_slice(rest);
                    if self.line.len() > self.max_line {
                        return Err(TooLong);
                    }
                    break;
                }
                Some(i) => {
                    self.line.extend_from_slice(&rest[..i]);
                    if self.line.len() > self.max_line {
                        return Err(TooLong);
                    }
                    let cr = rest[i] == b'\r';
                    rest = &rest[i + 1..];
                    if cr {
                        match rest.first() {
                            Some(b'\n') => rest = &rest[1..],
                            None => self.after_cr = true,
                            Some(_) => {}
                        }
                    }
                    let line = std::mem::take(&mut self.line);
                    self.process(&line, emit)?;
                }
            }
        }
        Ok(())
    }

    fn process(&mut self, line: &[u8], emit: &mut impl FnMut(Message)) -> Result<(), TooLong> {
        let mut line = line;
        if std::mem::take(&mut self.first_line) {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            if self.has_data {
                emit(Message {
                    event: if self.event.is_empty() { "message".to_owned() } else { std::mem::take(&mut self.event) },
                    data: std::mem::take(&mut self.data),
                    id: self.last_id.clone(),
                });
            }
            self.event.clear();
            self.data.clear();
            self.has_data = false;
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|b| *b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"event" => self.event = value.into_owned(),
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
                if self.data.len() > self.max_line {
                    return Err(TooLong);
                }
            }
            b"id" if !value.contains('\0') => self.last_id = value.into_owned(),
            _ => {} // retry, unknown fields
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<Message> {
        let mut p = Parser::new(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut |m| out.push(m)).unwrap();
        }
        out
    }

    fn msg(event: &str, data: &str, id: &str) -> Message {
        Message { event: event.into(), data: data.into(), id: id.into() }
    }

    #[test]
    fn pocketbase_connect_event() {
        let out = parse_chunks(&[b"id:abc\nevent:PB_CONNECT\ndata:{\"clientId\":\"abc\"}\n\n"]);
        assert_eq!(out, vec![msg("PB_CONNECT", "{\"clientId\":\"abc\"}", "abc")]);
    }

    #[test]
    fn multi_line_data_is_joined_with_lf_and_default_event_is_message() {
        let out = parse_chunks(&[b"data: one\ndata:two\ndata\n\n"]);
        assert_eq!(out, vec![msg("message", "one\ntwo\n", "")]);
    }

    #[test]
    fn crlf_cr_and_lf_line_ends_even_split_across_chunks() {
        let out = parse_chunks(&[b"event: a\r", b"\ndata: 1\r\n\r", b"\n", b"event: b\rdata: 2\r\r"]);
        assert_eq!(out, vec![msg("a", "1", ""), msg("b", "2", "")]);
    }

    #[test]
    fn byte_by_byte_gives_the_same_result() {
        let stream =
            b"\xEF\xBB\xBF: comment\r\nid: 7\r\nevent: x\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\nevent: y\ndata: z\n\n";
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        let expected = vec![msg("x", "{\"a\":\n1}", "7"), msg("y", "z", "7")];
        assert_eq!(parse_chunks(&chunks), expected);
        assert_eq!(parse_chunks(&[stream]), expected);
    }

    #[test]
    fn comments_retry_unknown_fields_and_empty_messages_are_ignored() {
        let out = parse_chunks(&[b":ping\n\nretry: 100\nfoo: bar\n\nevent: only-name\n\n:x\ndata: y\n\n"]);
        assert_eq!(out, vec![msg("message", "y", "")]);
    }

    #[test]
    fn an_unfinished_message_is_not_dispatched() {
        assert!(parse_chunks(&[b"event: a\ndata: 1\n"]).is_empty());
    }

    #[test]
    fn id_with_nul_is_ignored_and_only_one_space_is_stripped() {
        let out = parse_chunks(&[b"id: a\0b\ndata:  two spaces\n\n"]);
        assert_eq!(out, vec![msg("message", " two spaces", "")]);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let out = parse_chunks(&[b"data: \xff\xfe\n\n"]);
        assert_eq!(out, vec![msg("message", "\u{fffd}\u{fffd}", "")]);
    }

    #[test]
    fn over_long_lines_and_messages_are_refused() {
        let mut p = Parser::new(8);
        assert_eq!(p.feed(b"data: 0123456789", &mut |_| {}), Err(TooLong));
        let mut p = Parser::new(8);
        assert_eq!(p.feed(b"data: 12345\ndata: 12345\n", &mut |_| {}), Err(TooLong));
    }
}

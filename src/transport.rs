//! A tweak to ureq's plumbing that halves per-call latency against PocketBase
//! (measured by `make bench` and the Go binding's bench; name resolution, the other one,
//! is in `src/net/`):
//!
//! * [`Coalescing`]: ureq writes a request's head and its body with two `send`s.
//!   The server starts its handler on the head and parks until the body arrives; waking it
//!   again cost 0.6–1 ms per call on a loaded machine. We hold a head that announces a
//!   body and send both in one write.
//!
//! The same layer notes, per thread, whether any byte of an answer arrived (see
//! [`answer_started`]): a request that failed before that may be retried (`src/retry.rs`).

use std::cell::Cell;
use std::fmt;

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

thread_local! {
    /// Set once a byte of an answer was read on this thread since [`forget_answer`]. ureq
    /// runs a request on the calling thread, so this is the current request's.
    static ANSWER_STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Starts watching for the answer of the request this thread is about to send.
pub(crate) fn forget_answer() {
    ANSWER_STARTED.with(|a| a.set(false));
}

/// True when a byte of the answer arrived since [`forget_answer`] (the server may have
/// handled the request: a failure after that is never retried).
pub(crate) fn answer_started() -> bool {
    ANSWER_STARTED.with(Cell::get)
}

/// Chained after the TCP and TLS connectors (so it sees HTTP bytes only, no TLS records or
/// proxy handshakes); wraps each connection in [`CoalescingTransport`]. `coalesce: false`
/// (the bench's "before" side) only watches for answers.
#[derive(Debug)]
pub(crate) struct Coalescing {
    pub(crate) coalesce: bool,
}

impl<In: Transport> Connector<In> for Coalescing {
    type Out = CoalescingTransport;

    fn connect(&self, _details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        let coalesce = self.coalesce;
        Ok(chained.map(|inner| CoalescingTransport { inner: inner.boxed(), held: Vec::new(), coalesce }))
    }
}

/// Holds back a request head that announces a body until the body is written.
pub(crate) struct CoalescingTransport {
    inner: Box<dyn Transport>,
    held: Vec<u8>,
    coalesce: bool,
}

impl fmt::Debug for CoalescingTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoalescingTransport").field("held", &self.held.len()).finish()
    }
}

impl CoalescingTransport {
    fn note_answer(&mut self) {
        if !self.inner.buffers().input().is_empty() {
            ANSWER_STARTED.with(|a| a.set(true));
        }
    }

    fn flush_held(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        let out = self.inner.buffers().output();
        // Heads are far smaller than ureq's output buffer, which was just used to write this one.
        out[..held.len()].copy_from_slice(&held);
        self.inner.transmit_output(held.len(), timeout)
    }
}

impl Transport for CoalescingTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.is_empty() {
            let out = &self.inner.buffers().output()[..amount];
            if self.coalesce && announces_body(out) {
                self.held.extend_from_slice(out);
                return Ok(());
            }
            return self.inner.transmit_output(amount, timeout);
        }
        let room = self.inner.buffers().output().len();
        if self.held.len() + amount > room {
            // A large body: send the head, then the body, as ureq would have.
            let body = self.inner.buffers().output()[..amount].to_vec();
            self.flush_held(timeout)?;
            self.inner.buffers().output()[..amount].copy_from_slice(&body);
            return self.inner.transmit_output(amount, timeout);
        }
        let held = std::mem::take(&mut self.held);
        let out = self.inner.buffers().output();
        out.copy_within(..amount, held.len());
        out[..held.len()].copy_from_slice(&held);
        self.inner.transmit_output(held.len() + amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        // Never wait for an answer to a request we have not fully sent.
        self.flush_held(timeout)?;
        let progress = self.inner.maybe_await_input(timeout)?;
        self.note_answer();
        Ok(progress)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush_held(timeout)?;
        let progress = self.inner.await_input(timeout)?;
        self.note_answer();
        Ok(progress)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// True for a complete request head with a non-zero `Content-Length`.
fn announces_body(out: &[u8]) -> bool {
    let Some(head) = out.strip_suffix(b"\r\n\r\n") else { return false };
    let Ok(head) = std::str::from_utf8(head) else { return false };
    let mut lines = head.split("\r\n");
    if !lines.next().is_some_and(|request_line| request_line.ends_with(" HTTP/1.1")) {
        return false;
    }
    lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("content-length") && value.trim().parse::<u64>().is_ok_and(|n| n > 0)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_heads_with_a_body_are_held() {
        assert!(announces_body(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n"));
        assert!(announces_body(b"POST /a HTTP/1.1\r\ncontent-length:3\r\n\r\n"));
        assert!(!announces_body(b"POST /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
        assert!(!announces_body(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
        assert!(!announces_body(b"{\"content-length: 5\r\n\r\n"), "a body is not a head");
        assert!(!announces_body(b"POST /a HTTP/1.1\r\nContent-Length: 12\r\n"), "incomplete head");
    }
}

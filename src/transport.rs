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
//! [`answer_started`]): a request that failed before that may be retried (`src/retry.rs`),
//! and lets another thread interrupt the request (see [`Interrupter`]).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, ShutdownHandle, Transport};

thread_local! {
    /// Set once a byte of an answer was read on this thread since [`forget_answer`]. ureq
    /// runs a request on the calling thread, so this is the current request's.
    static ANSWER_STARTED: Cell<bool> = const { Cell::new(false) };
    /// The socket of the connection this thread's connector chain is making: registered by
    /// ureq's TCP connector (through `Dial`), taken by [`Coalescing`] at the chain's end.
    static MADE: RefCell<Option<Weak<dyn ShutdownHandle>>> = const { RefCell::new(None) };
    /// The interrupter watching this thread's requests, if any (see [`Interrupter::watch`]).
    static WATCHING: RefCell<Option<Arc<Interrupter>>> = const { RefCell::new(None) };
}

/// Notes the socket of the connection being made on this thread (see `MADE`).
pub(crate) fn made(socket: Weak<dyn ShutdownHandle>) {
    MADE.with(|m| *m.borrow_mut() = Some(socket));
}

/// Interrupts, from another thread, the requests a thread runs while it watches them: a
/// cancelled call stuck on a stalled server (a download, an upload) returns at once,
/// freeing its worker, its connection and `close` (which waits for it), instead of at its
/// deadline. It shuts the connection's socket down, so the connection is never reused.
#[derive(Default)]
pub(crate) struct Interrupter {
    /// Interrupted yet, and the socket of the connection in use.
    state: Mutex<(bool, Option<Weak<dyn ShutdownHandle>>)>,
}

impl Interrupter {
    /// Interrupts the request in flight and every later one of this watch.
    pub(crate) fn interrupt(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 = true;
        shut(state.1.as_ref());
    }

    /// Watches this thread's requests until the guard is dropped.
    pub(crate) fn watch(self: &Arc<Self>) -> Watch {
        let before = WATCHING.with(|w| w.borrow_mut().replace(Arc::clone(self)));
        Watch { before }
    }

    /// The connection `socket` carries this thread's request now.
    fn attach(&self, socket: Option<&Weak<dyn ShutdownHandle>>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.0 {
            shut(socket);
        }
        state.1 = socket.cloned();
    }

    /// The request on the connection `socket` is over (ureq is about to pool it, where
    /// another call may take it): a later interrupt must leave it alone.
    fn detach(&self, socket: Option<&Weak<dyn ShutdownHandle>>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let (Some(mine), Some(socket)) = (state.1.as_ref(), socket) {
            if Weak::ptr_eq(mine, socket) {
                state.1 = None;
            }
        }
    }
}

fn shut(socket: Option<&Weak<dyn ShutdownHandle>>) {
    if let Some(socket) = socket.and_then(Weak::upgrade) {
        socket.shutdown();
    }
}

/// Ends an [`Interrupter::watch`] when dropped.
pub(crate) struct Watch {
    before: Option<Arc<Interrupter>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHING.with(|w| *w.borrow_mut() = self.before.take());
    }
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
        let socket = MADE.with(|m| m.borrow_mut().take());
        Ok(chained.map(|inner| CoalescingTransport { inner: inner.boxed(), held: Vec::new(), coalesce, socket }))
    }
}

/// Holds back a request head that announces a body until the body is written.
pub(crate) struct CoalescingTransport {
    inner: Box<dyn Transport>,
    held: Vec<u8>,
    coalesce: bool,
    /// This connection's socket, for an [`Interrupter`].
    socket: Option<Weak<dyn ShutdownHandle>>,
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
        // Every request starts by writing: its connection is this one.
        WATCHING.with(|w| w.borrow().as_ref().map(|i| i.attach(self.socket.as_ref())));
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
        // ureq asks this on the request's thread before it pools the connection (and before
        // it lends a pooled one out): the request that used it is over, so a late cancel of
        // its call must not shut a connection another call may be using by then.
        WATCHING.with(|w| w.borrow().as_ref().map(|i| i.detach(self.socket.as_ref())));
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

    /// A socket that counts its shutdowns.
    #[derive(Default)]
    struct Socket(std::sync::atomic::AtomicUsize);

    impl ShutdownHandle for Socket {
        fn shutdown(&self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn shutdowns(s: &Arc<Socket>) -> usize {
        s.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    #[test]
    fn an_interrupt_shuts_the_attached_socket_only() {
        let (a, b) = (Arc::new(Socket::default()), Arc::new(Socket::default()));
        let (wa, wb) = (Arc::downgrade(&a) as Weak<dyn ShutdownHandle>, Arc::downgrade(&b) as Weak<dyn ShutdownHandle>);
        // Detached (pooled) before the cancel: left alone.
        let i = Interrupter::default();
        i.attach(Some(&wa));
        i.detach(Some(&wb));
        i.detach(Some(&wa));
        i.interrupt();
        assert_eq!(shutdowns(&a), 0);
        // Attached: shut; and every later request of an interrupted call at once.
        let i = Interrupter::default();
        i.attach(Some(&wa));
        i.detach(Some(&wb)); // another connection's release changes nothing
        i.interrupt();
        assert_eq!(shutdowns(&a), 1);
        i.attach(Some(&wb));
        assert_eq!(shutdowns(&b), 1);
    }

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

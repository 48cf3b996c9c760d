//! `Call<T>`: one pending request, run blocking with `.wait()`, awaited on any executor, or
//! started with a completion callback (the C ABI's `bosbase_call_async`). Asynchronous runs
//! go to the client's worker pool and can be cancelled; a cancelled call applies no
//! auth-store effect.

use std::cell::Cell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use crate::gate::Gate;
use crate::pool::{Pool, Turn};
use crate::transport::Interrupter;
use crate::{Error, ErrorKind, Result};

/// Decides, once, whether a call finishes or is cancelled. The job calls [`Ticket::commit`]
/// before any side effect (saving a login); a cancel that comes first wins, and then the
/// job must not apply it. Exactly one of the two sides delivers the call's outcome.
/// Progress reports of the job go through [`report`]: a cancel waits for a report in
/// progress on another thread, so none runs after the cancelled completion.
#[derive(Default)]
pub(crate) struct Ticket {
    state: Mutex<TicketInner>,
    reported: Condvar,
    /// Undoes a job's local side effect (a download's temporary file) and interrupts its
    /// connection when a cancel wins, before the cancelled completion is delivered.
    cleanup: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

#[derive(Default)]
struct TicketInner {
    state: TicketState,
    /// The thread running a progress report of this call, if any.
    reporting: Option<ThreadId>,
}

#[derive(Clone, Copy, Default, PartialEq)]
enum TicketState {
    #[default]
    Open,
    Committed,
    Cancelled,
}

impl Ticket {
    fn swap(&self, to: TicketState) -> TicketState {
        let mut inner = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let was = inner.state;
        if was == TicketState::Open {
            inner.state = to;
        }
        if to == TicketState::Cancelled && was == TicketState::Open {
            // A report running on another thread finishes before the cancelled completion
            // is delivered; one on this thread (a progress callback cancelling its own
            // call) cannot be waited for.
            let me = std::thread::current().id();
            while inner.reporting.is_some_and(|t| t != me) {
                inner = self.reported.wait(inner).unwrap_or_else(PoisonError::into_inner);
            }
        }
        was
    }

    /// True when the call may go on to its effects and result (idempotent); false once cancelled.
    pub(crate) fn commit(&self) -> bool {
        self.swap(TicketState::Committed) != TicketState::Cancelled
    }

    /// True when this cancelled the call (it was neither finished nor cancelled before);
    /// the cleanup set with [`on_cancel`](Self::on_cancel) has then run.
    pub(crate) fn cancel(&self) -> bool {
        let cancelled = self.swap(TicketState::Cancelled) == TicketState::Open;
        if cancelled {
            if let Some(f) = self.cleanup.lock().unwrap_or_else(PoisonError::into_inner).take() {
                f();
            }
        }
        cancelled
    }

    /// Adds what a winning cancel runs before the cancelled completion (after what was
    /// added before); runs it now when the call is already cancelled.
    pub(crate) fn on_cancel(&self, f: impl FnOnce() + Send + 'static) {
        if self.is_cancelled() {
            return f();
        }
        {
            let mut cleanup = self.cleanup.lock().unwrap_or_else(PoisonError::into_inner);
            let before = cleanup.take();
            *cleanup = Some(Box::new(move || {
                if let Some(before) = before {
                    before();
                }
                f();
            }));
        }
        // A cancel between the check and the store found no cleanup: run it here.
        if self.is_cancelled() {
            if let Some(f) = self.cleanup.lock().unwrap_or_else(PoisonError::into_inner).take() {
                f();
            }
        }
    }

    /// True once the call was cancelled (a long job checks it between steps).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).state == TicketState::Cancelled
    }

    /// Runs `f` unless the call was cancelled, fenced against a concurrent cancel.
    fn report(&self, f: impl FnOnce()) {
        {
            let mut inner = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if inner.state == TicketState::Cancelled {
                return;
            }
            inner.reporting = Some(std::thread::current().id());
        }
        /// Clears the mark even when `f` unwinds, so a cancel never waits forever.
        struct Done<'a>(&'a Ticket);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.state.lock().unwrap_or_else(PoisonError::into_inner).reporting = None;
                self.0.reported.notify_all();
            }
        }
        let _done = Done(self);
        f();
    }
}

/// Runs a progress report `f` of the call on this thread, unless it was cancelled; a
/// cancel waits for it (see [`Ticket`]), so no report runs after the call's completion.
pub(crate) fn report(f: impl FnOnce()) {
    match RUNNING.with(|r| r.borrow().clone()) {
        Some(ticket) => ticket.report(f),
        None => f(),
    }
}

thread_local! {
    /// How long the asynchronous call running on this worker waited in the pool's queue,
    /// until its first request takes it (see [`charge_queue_wait`]). None outside such a
    /// call (`.wait()`, realtime threads): their deadlines start when they send.
    static QUEUE_WAIT: Cell<Option<Duration>> = const { Cell::new(None) };
    /// The ticket of the asynchronous call running on this worker (see [`cancelled`] and
    /// [`report`]); None for `.wait()`, which cannot be cancelled.
    static RUNNING: std::cell::RefCell<Option<Arc<Ticket>>> = const { std::cell::RefCell::new(None) };
}

/// True when the asynchronous call running on this thread was cancelled (a retrying
/// request stops waiting then); false for `.wait()` calls, which cannot be cancelled.
pub(crate) fn cancelled() -> bool {
    RUNNING.with(|r| r.borrow().as_ref().is_some_and(|t| t.is_cancelled()))
}

/// Queue waits shorter than this are not charged: the thread hop costs microseconds, and
/// charging it would give every asynchronous request a per-request deadline (a config clone).
const CHARGED_WAIT: Duration = Duration::from_millis(1);

/// Sets [`QUEUE_WAIT`] and [`RUNNING`] while a job runs on a worker.
struct QueuedFor;

impl QueuedFor {
    fn set(waited: Duration, ticket: &Arc<Ticket>) -> Self {
        QUEUE_WAIT.with(|w| w.set(Some(waited)));
        RUNNING.with(|r| *r.borrow_mut() = Some(Arc::clone(ticket)));
        QueuedFor
    }
}

impl Drop for QueuedFor {
    fn drop(&mut self) {
        QUEUE_WAIT.with(|w| w.set(None));
        RUNNING.with(|r| r.borrow_mut().take());
    }
}

/// A call's deadline starts when it is submitted: the first request of an asynchronous
/// call that waited for a worker gets only what is left of its deadline (`timeout`, or
/// the client's `default`), and fails with kind `timeout`, sending nothing, when the wait
/// used it all. Returns the request's deadline: `timeout` unchanged when nothing is
/// charged (so a request without its own keeps the client's, at no cost).
pub(crate) fn charge_queue_wait(timeout: Option<Duration>, default: Duration, url: &str) -> Result<Option<Duration>> {
    let waited = QUEUE_WAIT.with(|w| w.take()).unwrap_or_default();
    if waited < CHARGED_WAIT {
        return Ok(timeout);
    }
    let full = timeout.unwrap_or(default);
    match full.checked_sub(waited) {
        Some(left) if !left.is_zero() => Ok(Some(left)),
        _ => Err(Error::new(
            ErrorKind::Timeout,
            url,
            format!(
                "the call's {} ms deadline passed while it waited {} ms for a free worker; nothing was sent",
                full.as_millis(),
                waited.as_millis()
            ),
        )),
    }
}

/// The error of a call whose deadline passed before a worker was free to run it.
fn expired_in_queue(deadline: Duration) -> Error {
    let message = format!(
        "the call's {} ms deadline passed while it waited for a free worker; nothing was sent",
        deadline.as_millis()
    );
    Error::new(ErrorKind::Timeout, "", message)
}

type Job<T> = Box<dyn FnOnce(&Ticket) -> Result<T> + Send + 'static>;
type Completion<T> = Box<dyn FnOnce(Result<T>) + Send + 'static>;

/// A request that has not run yet.
///
/// * `.wait()` runs it on the current thread (the blocking form).
/// * `.await` runs it on the client's worker pool (no thread per call) and wakes the
///   awaiting task when it finishes, so it never blocks an executor thread and needs no
///   particular runtime (tokio, async-std, smol or a plain `block_on` all work).
///   Dropping the future before it finishes cancels the call: its auth-store effect (a
///   login being saved) is not applied, whatever the server answered.
#[must_use = "a Call does nothing until you `.wait()` or `.await` it"]
pub struct Call<T> {
    pool: Pool,
    /// The client's gate: a started call is admitted until its completion has run.
    gate: Option<Arc<Gate>>,
    /// The call's deadline (its `timeoutMs`, else the client's), which runs from `start`:
    /// past it, a call still queued for a worker fails `timeout` without running. None for
    /// calls that bound their own waits (realtime subscribing).
    deadline: Option<Duration>,
    job: Job<T>,
}

/// A started asynchronous call: cancel it, or let it finish.
#[derive(Clone)]
pub(crate) struct Started<T> {
    ticket: Arc<Ticket>,
    completion: Arc<Mutex<Option<Completion<T>>>>,
}

impl<T: Send + 'static> Started<T> {
    /// Cancels the call unless it already finished: the completion then runs on this thread
    /// with a `cancelled` error, before this returns. No effect once the call has finished.
    pub(crate) fn cancel(&self) {
        if self.ticket.cancel() {
            deliver(&self.completion, Err(Error::new(ErrorKind::Cancelled, "", "the call was cancelled")));
        }
    }
}

fn deliver<T>(slot: &Mutex<Option<Completion<T>>>, result: Result<T>) {
    let completion = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(complete) = completion {
        crate::gate::callback(|| complete(result));
    }
}

impl<T: Send + 'static> Call<T> {
    #[cfg(test)]
    pub(crate) fn new(pool: Pool, job: impl FnOnce(&Ticket) -> Result<T> + Send + 'static) -> Self {
        Call { pool, gate: None, deadline: None, job: Box::new(job) }
    }

    /// A call of a client: `close` waits for it from `start` until its completion has run.
    pub(crate) fn admitted(
        pool: Pool,
        gate: Arc<Gate>,
        job: impl FnOnce(&Ticket) -> Result<T> + Send + 'static,
    ) -> Self {
        Call { pool, gate: Some(gate), deadline: None, job: Box::new(job) }
    }

    /// The same call with a deadline counted from when it is started (see `deadline`).
    pub(crate) fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The same call with its result passed through `f`.
    pub(crate) fn map<U: Send + 'static>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Call<U> {
        let job = self.job;
        Call {
            pool: self.pool,
            gate: self.gate,
            deadline: self.deadline,
            job: Box::new(move |ticket| job(ticket).map(f)),
        }
    }

    /// The same call followed by `f` on its result (on the same thread, before completion).
    pub(crate) fn and_then<U: Send + 'static>(self, f: impl FnOnce(T) -> Result<U> + Send + 'static) -> Call<U> {
        let job = self.job;
        let deadline = self.deadline;
        Call { pool: self.pool, gate: self.gate, deadline, job: Box::new(move |ticket| job(ticket).and_then(f)) }
    }

    /// Runs the request on this thread and returns its result.
    pub fn wait(self) -> Result<T> {
        (self.job)(&Ticket::default())
    }

    /// Runs the request on the pool; `complete` runs exactly once: on a pool thread with the
    /// result (or with `timeout` when the deadline passed while the call was still queued
    /// for a worker), on the cancelling thread with `cancelled`, or on this thread with
    /// `closed` when the client is closed. `close` waits until it has run (unless `close` is
    /// called from a callback, where it never waits: see `gate`).
    pub(crate) fn start(self, complete: impl FnOnce(Result<T>) + Send + 'static) -> Started<T> {
        let started = Started { ticket: Arc::new(Ticket::default()), completion: Arc::new(Mutex::new(None)) };
        *started.completion.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(complete));
        let admission = match self.gate.as_ref().map(|g| g.admit_detached()).transpose() {
            Ok(admission) => admission,
            Err(closed) => {
                if started.ticket.commit() {
                    deliver(&started.completion, Err(closed));
                }
                return started;
            }
        };
        let (ticket, slot, job) = (Arc::clone(&started.ticket), Arc::clone(&started.completion), self.job);
        let submitted = Instant::now();
        let deadline = self.deadline;
        let run = move |turn: Turn| {
            // `admission` (moved in) is released when this closure ends, after the completion
            // ran: `close` waits for it.
            if ticket.is_cancelled() {
                return; // cancelled while queued: the canceller delivered
            }
            if turn == Turn::Expired {
                if ticket.commit() {
                    deliver(&slot, Err(expired_in_queue(deadline.unwrap_or_default())));
                }
                drop(admission);
                return;
            }
            let result = {
                let _queued = QueuedFor::set(submitted.elapsed(), &ticket);
                // A cancel shuts the call's connection down: a call stuck on a stalled server
                // (a download, an upload, a slow answer) ends now, not at its deadline, so its
                // worker, its connection and `close` (which waits for it) are free at once.
                let interrupter = Arc::new(Interrupter::default());
                let _watch = interrupter.watch();
                ticket.on_cancel(move || interrupter.interrupt());
                catch_unwind(AssertUnwindSafe(|| job(&ticket))).unwrap_or_else(|_| Err(Error::panic()))
            };
            if ticket.commit() {
                deliver(&slot, result);
            }
            drop(admission);
        };
        if let Err(e) = self.pool.submit(Box::new(run), deadline.map(|d| submitted + d)) {
            let err = Error::new(ErrorKind::Network, "", format!("could not start a worker thread: {}", e.kind()));
            if started.ticket.commit() {
                deliver(&started.completion, Err(err));
            }
        }
        started
    }
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Call { .. }")
    }
}

impl<T: Send + 'static> IntoFuture for Call<T> {
    type Output = Result<T>;
    type IntoFuture = CallFuture<T>;

    fn into_future(self) -> CallFuture<T> {
        CallFuture { call: Some(self), started: None, slot: Arc::new(Mutex::new(Slot { result: None, waker: None })) }
    }
}

/// The future of an awaited [`Call`]. Dropping it before it is ready cancels the call.
pub struct CallFuture<T: Send + 'static> {
    call: Option<Call<T>>,
    started: Option<Started<T>>,
    slot: Arc<Mutex<Slot<T>>>,
}

struct Slot<T> {
    result: Option<Result<T>>,
    waker: Option<Waker>,
}

impl<T: Send + 'static> fmt::Debug for CallFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallFuture { .. }")
    }
}

impl<T: Send + 'static> Future for CallFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        {
            let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(result) = slot.result.take() {
                drop(slot);
                self.started = None;
                return Poll::Ready(result);
            }
            slot.waker = Some(cx.waker().clone());
        }
        if let Some(call) = self.call.take() {
            let slot = Arc::clone(&self.slot);
            self.started = Some(call.start(move |result| {
                let waker = {
                    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
                    slot.result = Some(result);
                    slot.waker.take()
                };
                if let Some(w) = waker {
                    w.wake();
                }
            }));
        }
        Poll::Pending
    }
}

impl<T: Send + 'static> Drop for CallFuture<T> {
    fn drop(&mut self) {
        if let Some(started) = self.started.take() {
            started.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn call<T: Send + 'static>(job: impl FnOnce(&Ticket) -> Result<T> + Send + 'static) -> Call<T> {
        Call::new(Pool::new(2), job)
    }

    #[test]
    fn every_cleanup_runs_once_in_order_on_a_cancel() {
        let ticket = Ticket::default();
        let ran = Arc::new(Mutex::new(Vec::new()));
        for n in [1, 2] {
            let ran = Arc::clone(&ran);
            ticket.on_cancel(move || ran.lock().unwrap().push(n));
        }
        assert!(ticket.cancel() && !ticket.cancel());
        let r = Arc::clone(&ran);
        ticket.on_cancel(move || r.lock().unwrap().push(3)); // already cancelled: runs now
        assert_eq!(*ran.lock().unwrap(), [1, 2, 3]);
    }

    #[test]
    fn awaits_on_a_plain_block_on() {
        assert_eq!(futures_executor::block_on(call(|_| Ok(41 + 1)).into_future()).unwrap(), 42);
    }

    #[test]
    fn panics_become_errors() {
        let c: Call<()> = call(|_| panic!("boom"));
        let err = futures_executor::block_on(c.into_future()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Panic);
    }

    #[test]
    fn a_cancelled_call_applies_no_effect_and_completes_once_as_cancelled() {
        let applied = Arc::new(AtomicBool::new(false));
        let a = Arc::clone(&applied);
        let (tx, rx) = std::sync::mpsc::channel();
        let started = call(move |ticket| {
            std::thread::sleep(Duration::from_millis(100));
            if ticket.commit() {
                a.store(true, Ordering::SeqCst);
            }
            Ok(())
        })
        .start(move |r| tx.send(r.map_err(|e| e.kind())).unwrap());
        started.cancel();
        started.cancel();
        assert_eq!(rx.recv().unwrap(), Err(ErrorKind::Cancelled));
        std::thread::sleep(Duration::from_millis(200));
        assert!(!applied.load(Ordering::SeqCst), "the effect ran after cancel");
        assert!(rx.try_recv().is_err(), "completed twice");
    }

    /// A cancel waits for a progress report running on the worker, and none runs after it
    /// (the completion of a cancelled call is never followed by a report).
    #[test]
    fn a_cancel_waits_for_a_report_and_stops_the_next() {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (late, overlap) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let cancelled_at = Arc::new(Mutex::new(None::<Instant>));
        let (l, o, c) = (Arc::clone(&late), Arc::clone(&overlap), Arc::clone(&cancelled_at));
        let (tx, rx) = std::sync::mpsc::channel();
        let started = call(move |_| {
            report(|| {
                started_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(200));
                o.store(c.lock().unwrap().is_some(), Ordering::SeqCst);
            });
            std::thread::sleep(Duration::from_millis(50));
            report(|| l.store(true, Ordering::SeqCst));
            Ok(())
        })
        .start(move |r| tx.send(r.map_err(|e| e.kind())).unwrap());
        started_rx.recv().unwrap();
        started.cancel();
        *cancelled_at.lock().unwrap() = Some(Instant::now());
        assert_eq!(rx.recv().unwrap(), Err(ErrorKind::Cancelled));
        std::thread::sleep(Duration::from_millis(400)); // past both reports either way
        assert!(!overlap.load(Ordering::SeqCst), "the cancel returned during a report");
        assert!(!late.load(Ordering::SeqCst), "a report ran after the cancel");
    }

    #[test]
    fn dropping_the_future_cancels() {
        let applied = Arc::new(AtomicBool::new(false));
        let a = Arc::clone(&applied);
        let mut fut = Box::pin(
            call(move |ticket| {
                std::thread::sleep(Duration::from_millis(100));
                if ticket.commit() {
                    a.store(true, Ordering::SeqCst);
                }
                Ok(())
            })
            .into_future(),
        );
        let noop = std::task::Waker::noop();
        assert!(fut.as_mut().poll(&mut Context::from_waker(noop)).is_pending());
        drop(fut);
        std::thread::sleep(Duration::from_millis(200));
        assert!(!applied.load(Ordering::SeqCst));
    }
}

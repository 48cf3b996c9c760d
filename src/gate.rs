//! The open/closed state of a client and the operations in flight, so `close` can refuse new
//! calls and wait for running ones (after which freeing the C handle is safe), and the
//! thread-local mark of "running a callback" that makes `close` from a callback not wait.
//!
//! The rule, and why: `close` waits for the client's operations in flight *unless it is
//! called from inside a callback of this library* (any client's: auth-store listener,
//! completion, realtime or pub/sub callback). A callback runs inside some operation (the
//! call that saved a login, an async call's admission, a dispatch thread that close joins);
//! waiting there for operations in flight can wait for that very operation, and two
//! clients closing each other from their callbacks wait for each other forever. Excluding
//! only the calling thread's own operations cannot break such a cycle (each close waits for
//! the *other* thread), so from a callback `close` refuses new calls and returns at once.

use std::cell::Cell;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::{Error, Result};

#[derive(Default)]
pub(crate) struct Gate {
    state: Mutex<State>,
    idle: Condvar,
}

#[derive(Default)]
struct State {
    closed: bool,
    in_flight: usize,
}

thread_local! {
    /// How many library callbacks this thread is running (nested ones included).
    static IN_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

/// Runs a user callback (closure or C function) with this thread marked as inside one.
pub(crate) fn callback<R>(f: impl FnOnce() -> R) -> R {
    struct Mark;
    impl Drop for Mark {
        fn drop(&mut self) {
            IN_CALLBACK.with(|c| c.set(c.get() - 1));
        }
    }
    IN_CALLBACK.with(|c| c.set(c.get() + 1));
    let _mark = Mark;
    f()
}

/// True while this thread runs a library callback: `close` must not wait here.
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(|c| c.get() > 0)
}

/// One operation in flight on a borrowed gate; dropping it wakes a waiting `close`.
pub(crate) struct InFlight<'a>(&'a Gate);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// An asynchronous call admitted when it was started, released once its completion has run
/// (on whatever thread that is): `close` waits for queued calls too, so after it returns no
/// completion callback is pending.
pub(crate) struct Admission(Arc<Gate>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.leave();
    }
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one operation in flight, or refuses it with `closed`. Pair with [`leave`](Self::leave).
    pub(crate) fn try_enter(&self) -> Result<()> {
        let mut state = self.lock();
        if state.closed {
            return Err(Error::closed());
        }
        state.in_flight += 1;
        Ok(())
    }

    /// Admits a call, or refuses it with `closed`.
    pub(crate) fn enter(&self) -> Result<InFlight<'_>> {
        self.try_enter().map(|()| InFlight(self))
    }

    /// Admits an operation that also works after close (an auth-store read or change, an
    /// unsubscribe): counted while the gate is open, so `close` waits for it; once closed it
    /// runs uncounted (it started after close began: the rule on `free` covers it, and
    /// counting it could keep `close` waiting forever behind a stream of them). Returns
    /// whether it was counted; a counted one is paired with [`leave`](Self::leave).
    pub(crate) fn hold(&self) -> bool {
        self.try_enter().is_ok()
    }

    /// Admits an asynchronous call for its whole life, queue included; refused once closed.
    pub(crate) fn admit_detached(self: &Arc<Self>) -> Result<Admission> {
        self.try_enter().map(|()| Admission(Arc::clone(self)))
    }

    pub(crate) fn leave(&self) {
        let mut state = self.lock();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            self.idle.notify_all();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Operations counted in flight right now (tests check an entry point is counted).
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// Refuses new calls from now on, waiting for nothing (a release: the waiting is done on
    /// a library thread). Idempotent.
    pub(crate) fn refuse_new(&self) {
        self.lock().closed = true;
    }

    /// Refuses new calls, then waits for the operations in flight, unless called from a
    /// callback (see the module's doc), where it returns at once. Idempotent.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        if in_callback() {
            return;
        }
        while state.in_flight > 0 {
            state = self.idle.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn close_refuses_new_calls_and_waits_for_running_ones() {
        let gate = Arc::new(Gate::default());
        let g = Arc::clone(&gate);
        let (tx, rx) = std::sync::mpsc::channel();
        let call = std::thread::spawn(move || {
            let _in = g.enter().unwrap();
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(150));
        });
        rx.recv().unwrap();
        let started = Instant::now();
        gate.close();
        assert!(started.elapsed() >= Duration::from_millis(100), "close returned before the call ended");
        assert_eq!(gate.enter().err().map(|e| e.kind()), Some(crate::ErrorKind::Closed));
        assert!(!gate.hold(), "a hold after close runs uncounted");
        call.join().unwrap();
        gate.close(); // idempotent
    }

    #[test]
    fn close_from_a_callback_does_not_wait() {
        let gate = Gate::default();
        let _in = gate.enter().unwrap();
        callback(|| gate.close());
        assert!(gate.is_closed());
        assert!(!in_callback(), "the mark ends with the callback");
    }
}

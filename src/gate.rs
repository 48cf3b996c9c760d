//! The open/closed state of a client and the calls in flight, so `close` can refuse new
//! calls and wait for running ones (after which freeing the C handle is always safe).

use std::cell::RefCell;
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
    /// Gates this thread is inside a call of (by address): `close` from a callback that runs
    /// inside a call must not wait for that call, which waits for the callback.
    static ENTERED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// One call in flight; leaving it wakes a waiting `close`.
pub(crate) struct InFlight<'a>(&'a Gate);

/// An asynchronous call admitted when it was started, released once its completion has run
/// (on whatever thread that is): `close` waits for queued calls too, so after it returns no
/// completion callback is pending.
pub(crate) struct Admission(Arc<Gate>);

impl Admission {
    /// Counts this admission as the current thread's own while the completion runs, so a
    /// completion that closes its client does not wait for itself.
    pub(crate) fn on_this_thread(&self) -> ThreadMark {
        let key = self.0.key();
        ENTERED.with(|e| e.borrow_mut().push(key));
        ThreadMark(key)
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// See [`Admission::on_this_thread`].
pub(crate) struct ThreadMark(usize);

impl Drop for ThreadMark {
    fn drop(&mut self) {
        forget_entry(self.0);
    }
}

fn forget_entry(key: usize) {
    ENTERED.with(|e| {
        let mut entered = e.borrow_mut();
        if let Some(i) = entered.iter().rposition(|k| *k == key) {
            entered.remove(i);
        }
    });
}

impl Gate {
    fn key(&self) -> usize {
        self as *const Gate as usize
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a call, or refuses it with `closed`.
    pub(crate) fn enter(&self) -> Result<InFlight<'_>> {
        let state = self.lock();
        if state.closed {
            return Err(Error::closed());
        }
        Ok(self.admit(state))
    }

    /// Admits a short local operation (an auth-store read or change through the C ABI) even
    /// when closed, so `close` waits for it too: after `close` returns nothing runs on the handle.
    pub(crate) fn hold(&self) -> InFlight<'_> {
        self.admit(self.lock())
    }

    fn admit(&self, mut state: std::sync::MutexGuard<'_, State>) -> InFlight<'_> {
        state.in_flight += 1;
        ENTERED.with(|e| e.borrow_mut().push(self.key()));
        InFlight(self)
    }

    /// Admits an asynchronous call for its whole life, queue included; refused once closed.
    pub(crate) fn admit_detached(self: &Arc<Self>) -> Result<Admission> {
        let mut state = self.lock();
        if state.closed {
            return Err(Error::closed());
        }
        state.in_flight += 1;
        Ok(Admission(Arc::clone(self)))
    }

    fn leave(&self) {
        let mut state = self.lock();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            self.idle.notify_all();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Refuses new calls, then waits for the running ones other than this thread's own.
    pub(crate) fn close(&self) {
        let own = ENTERED.with(|e| e.borrow().iter().filter(|k| **k == self.key()).count());
        let mut state = self.lock();
        state.closed = true;
        while state.in_flight > own {
            state = self.idle.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        forget_entry(self.0.key());
        self.0.leave();
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
        call.join().unwrap();
        gate.close(); // idempotent
    }

    #[test]
    fn close_from_inside_a_call_does_not_wait_for_itself() {
        let gate = Gate::default();
        let _in = gate.enter().unwrap();
        gate.close();
        assert!(gate.is_closed());
    }
}

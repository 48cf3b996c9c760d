//! `Call<T>`: one pending request, run blocking with `.wait()` or awaited on any executor.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::{Error, Result};

type Job<T> = Box<dyn FnOnce() -> Result<T> + Send + 'static>;

/// A request that has not run yet.
///
/// * `.wait()` runs it on the current thread (the blocking form).
/// * `.await` runs it on a fresh background thread and wakes the awaiting task when
///   it finishes, so it never blocks an executor thread and needs no particular
///   runtime (tokio, async-std, smol or a plain `block_on` all work). Dropping the
///   future early does not cancel the HTTP request; its result is discarded.
#[must_use = "a Call does nothing until you `.wait()` or `.await` it"]
pub struct Call<T> {
    job: Job<T>,
}

impl<T: Send + 'static> Call<T> {
    pub(crate) fn new(job: impl FnOnce() -> Result<T> + Send + 'static) -> Self {
        Call { job: Box::new(job) }
    }

    /// Runs the request on this thread and returns its result.
    pub fn wait(self) -> Result<T> {
        (self.job)()
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
        CallFuture { job: Some(self.job), shared: Arc::new(Mutex::new(Slot { result: None, waker: None })) }
    }
}

/// The future of an awaited [`Call`].
pub struct CallFuture<T> {
    job: Option<Job<T>>,
    shared: Arc<Mutex<Slot<T>>>,
}

struct Slot<T> {
    result: Option<Result<T>>,
    waker: Option<Waker>,
}

impl<T> fmt::Debug for CallFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallFuture { .. }")
    }
}

impl<T: Send + 'static> Future for CallFuture<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        {
            let mut slot = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(result) = slot.result.take() {
                return Poll::Ready(result);
            }
            slot.waker = Some(cx.waker().clone());
        }
        if let Some(job) = self.job.take() {
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new().name("bosbase-call".into()).spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|_| Err(Error::panic()));
                let waker = {
                    let mut slot = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    slot.result = Some(result);
                    slot.waker.take()
                };
                if let Some(w) = waker {
                    w.wake();
                }
            });
            if let Err(e) = spawned {
                let err = Error::new(crate::ErrorKind::Network, "", format!("could not start a worker thread: {e}"));
                return Poll::Ready(Err(err));
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awaits_on_a_plain_block_on() {
        let call = Call::new(|| Ok(41 + 1));
        assert_eq!(futures_executor::block_on(call.into_future()).unwrap(), 42);
    }

    #[test]
    fn panics_become_errors() {
        let call: Call<()> = Call::new(|| panic!("boom"));
        let err = futures_executor::block_on(call.into_future()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Panic);
    }
}

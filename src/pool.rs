//! The bounded worker pool each client owns for asynchronous calls (`.await`, the C ABI's
//! `bosbase_call_async`). HTTP is blocking at heart, so a call occupies a worker for its
//! duration; the pool bounds the threads (not the queue) and lets idle workers exit, so an
//! idle client holds no threads.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// Default number of worker threads per client.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How long an idle worker waits for work before it exits.
const IDLE_EXIT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send + 'static>;

#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    max_threads: usize,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

/// Worker threads alive in this process, for tests and benches (threads per call would show).
static LIVE_WORKERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Pool {
    pub(crate) fn new(max_threads: usize) -> Self {
        let shared =
            Shared { state: Mutex::new(State::default()), work: Condvar::new(), max_threads: max_threads.max(1) };
        Pool { shared: Arc::new(shared) }
    }

    /// The bound on this pool's threads.
    pub(crate) fn max_threads(&self) -> usize {
        self.shared.max_threads
    }

    /// Queues `job`; starts a worker when none is idle and the bound allows.
    pub(crate) fn submit(&self, job: Job) -> std::io::Result<()> {
        let mut state = self.shared.lock();
        state.jobs.push_back(job);
        if state.idle > 0 {
            self.shared.work.notify_one();
            return Ok(());
        }
        if state.threads < self.shared.max_threads {
            state.threads += 1;
            drop(state);
            let shared = Arc::clone(&self.shared);
            let spawned = std::thread::Builder::new().name("bosbase-worker".into()).spawn(move || shared.work_loop());
            if let Err(e) = spawned {
                let mut state = self.shared.lock();
                state.threads -= 1;
                // No worker will take it: hand the job back to the caller's error path.
                if state.threads == 0 {
                    state.jobs.pop_back();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Worker threads alive in this process (all clients).
    pub(crate) fn live_workers() -> usize {
        LIVE_WORKERS.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn work_loop(&self) {
        LIVE_WORKERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                // Jobs catch their own panics (see `call.rs`); a worker never dies mid-queue.
                job();
                state = self.lock();
                continue;
            }
            state.idle += 1;
            let (next, timeout) = self.work.wait_timeout(state, IDLE_EXIT).unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                LIVE_WORKERS.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_every_job_on_at_most_the_bound_of_threads() {
        let pool = Pool::new(3);
        let done = Arc::new(AtomicUsize::new(0));
        let concurrent = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        for _ in 0..50 {
            let (done, concurrent, peak) = (Arc::clone(&done), Arc::clone(&concurrent), Arc::clone(&peak));
            pool.submit(Box::new(move || {
                let now = concurrent.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
                concurrent.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            }))
            .unwrap();
        }
        while done.load(Ordering::SeqCst) < 50 {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert!(pool.shared.lock().threads <= 3);
    }
}

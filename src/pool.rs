//! The bounded worker pool each client owns for asynchronous calls (`.await`, the C ABI's
//! `bosbase_call_async`). HTTP is blocking at heart, so a call occupies a worker for its
//! duration; the pool bounds the threads (not the queue), starts one whenever the queued
//! jobs outnumber the workers that will take them, and lets idle workers exit, so an idle
//! client holds no threads. A job queued behind a full pool may carry a deadline: a
//! watcher thread (started only then) hands it back as expired when it passes unrun.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Default bound on a client's worker threads: 256 asynchronous calls run at once.
/// (256 calls to a server answering in 200 ms take 0.2 s, not 3.2 s as with the 16 of old;
/// each running call holds a socket, and 256 stays well inside the usual 1024 open files.)
pub const DEFAULT_POOL_SIZE: usize = 256;

/// Stack of each worker: a quarter of Rust's default 2 MiB. The hungriest call decodes
/// the deepest answer serde_json accepts (128 levels): in a debug build that overflows a
/// 224 KiB stack (tests/calls.rs), a TLS handshake a 128 KiB one (tests/tls.rs); optimised
/// code needs far less. The C completion and the caller's callback run on it too, hence
/// twice the measured need. Only touched pages cost memory.
pub(crate) const WORKER_STACK_BYTES: usize = 512 * 1024;

/// How long an idle worker waits for work before it exits.
const IDLE_EXIT: Duration = Duration::from_secs(10);

/// How a job is handed back: to run on a worker, or unrun because its deadline passed
/// while it was queued (on the watcher thread; the job then only reports that).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Turn {
    Run,
    Expired,
}

pub(crate) type Job = Box<dyn FnOnce(Turn) + Send + 'static>;

struct Queued {
    job: Job,
    deadline: Option<Instant>,
}

#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    /// Wakes the deadline watcher when a job with a deadline queues behind a full pool.
    watch: Condvar,
    max_threads: usize,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Queued>,
    /// Workers alive, starting ones included.
    threads: usize,
    /// Workers that will look at the queue before running anything else: waiting for work,
    /// woken but not yet back in the lock, or started and not yet in it. A job beyond these
    /// gets a new worker; counting a woken worker as idle until it runs (as this pool once
    /// did) made a burst wait behind one worker.
    idle: usize,
    /// The deadline watcher runs.
    watching: bool,
}

/// Worker threads alive in this process, for tests and benches (threads per call would show).
static LIVE_WORKERS: AtomicUsize = AtomicUsize::new(0);

impl Pool {
    pub(crate) fn new(max_threads: usize) -> Self {
        let shared = Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            watch: Condvar::new(),
            max_threads: max_threads.max(1),
        };
        Pool { shared: Arc::new(shared) }
    }

    /// The bound on this pool's threads.
    pub(crate) fn max_threads(&self) -> usize {
        self.shared.max_threads
    }

    /// Queues `job` to run with [`Turn::Run`]; wakes an idle worker for it, or starts one
    /// when every idle worker is already spoken for and the bound allows. When it must wait
    /// for a busy worker and `deadline` passes first, it gets [`Turn::Expired`] instead.
    /// Fails only when no worker exists and none can be started: the job is then dropped
    /// unrun and the caller reports the error.
    pub(crate) fn submit(&self, job: Job, deadline: Option<Instant>) -> std::io::Result<()> {
        let mut state = self.shared.lock();
        state.jobs.push_back(Queued { job, deadline });
        if state.jobs.len() <= state.idle {
            self.shared.work.notify_one();
            return Ok(());
        }
        if state.threads < self.shared.max_threads {
            // Counted before it starts, so the next job does not start one for this one too.
            state.threads += 1;
            state.idle += 1;
            let shared = Arc::clone(&self.shared);
            let work = move || shared.work_loop();
            if state.threads == 1 {
                // The only worker: started under the lock, so a failure takes back exactly
                // this job, which nobody else would run.
                return spawn("bosbase-worker", work).inspect_err(|_| {
                    state.threads -= 1;
                    state.idle -= 1;
                    state.jobs.pop_back();
                });
            }
            // Started outside the lock (tens of microseconds): concurrent callers do not
            // queue behind each other's thread starts. On failure the job waits for one of
            // the other workers, none of which exits while a job is queued.
            drop(state);
            if spawn("bosbase-worker", work).is_err() {
                let mut state = self.shared.lock();
                state.threads -= 1;
                state.idle -= 1;
            }
            return Ok(());
        }
        // Queued behind busy workers: its deadline needs watching.
        if deadline.is_some() {
            if state.watching {
                self.shared.watch.notify_one();
            } else {
                let shared = Arc::clone(&self.shared);
                // Without a watcher the job still runs, only late; its first request then
                // fails `timeout` without sending (see `call::charge_queue_wait`).
                state.watching = spawn("bosbase-deadlines", move || shared.watch_loop()).is_ok();
            }
        }
        Ok(())
    }

    /// Worker threads alive in this process (all clients).
    pub(crate) fn live_workers() -> usize {
        LIVE_WORKERS.load(Ordering::Relaxed)
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new().name(name.into()).stack_size(WORKER_STACK_BYTES).spawn(f).map(drop)
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counted in `threads` and `idle` by `submit` before it starts.
    fn work_loop(&self) {
        LIVE_WORKERS.fetch_add(1, Ordering::Relaxed);
        let mut state = self.lock();
        loop {
            if let Some(queued) = state.jobs.pop_front() {
                state.idle -= 1;
                drop(state);
                // Jobs catch their own panics (see `call.rs`); a worker never dies mid-queue.
                (queued.job)(Turn::Run);
                state = self.lock();
                state.idle += 1;
                continue;
            }
            let (next, waited) = self.work.wait_timeout(state, IDLE_EXIT).unwrap_or_else(PoisonError::into_inner);
            state = next;
            if waited.timed_out() && state.jobs.is_empty() {
                state.idle -= 1;
                state.threads -= 1;
                LIVE_WORKERS.fetch_sub(1, Ordering::Relaxed);
                return;
            }
        }
    }

    /// Hands back, as expired, each queued job whose deadline passed; exits once no queued
    /// job has a deadline. A linear scan: the queue is only what exceeds the bound.
    fn watch_loop(&self) {
        let mut state = self.lock();
        loop {
            let now = Instant::now();
            let mut next: Option<Instant> = None;
            let mut due = None;
            for (i, queued) in state.jobs.iter().enumerate() {
                match queued.deadline {
                    Some(d) if d <= now => {
                        due = Some(i);
                        break;
                    }
                    Some(d) => next = Some(next.map_or(d, |n| n.min(d))),
                    None => {}
                }
            }
            if let Some(queued) = due.and_then(|i| state.jobs.remove(i)) {
                drop(state);
                (queued.job)(Turn::Expired);
                state = self.lock();
                continue;
            }
            let Some(next) = next else {
                state.watching = false;
                return;
            };
            state = self.watch.wait_timeout(state, next - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn runs_every_job_on_at_most_the_bound_of_threads() {
        let pool = Pool::new(3);
        let done = Arc::new(AtomicUsize::new(0));
        let concurrent = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        for _ in 0..50 {
            let (done, concurrent, peak) = (Arc::clone(&done), Arc::clone(&concurrent), Arc::clone(&peak));
            let job = move |_| {
                let now = concurrent.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
                concurrent.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            };
            pool.submit(Box::new(job), None).unwrap();
        }
        while done.load(Ordering::SeqCst) < 50 {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert!(pool.shared.lock().threads <= 3);
    }

    /// Submits `n` jobs of `each` back to back from this thread; returns when all are done.
    fn burst(pool: &Pool, n: usize, each: Duration) -> Duration {
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        for _ in 0..n {
            let tx = tx.clone();
            let job = move |_| {
                std::thread::sleep(each);
                let _ = tx.send(());
            };
            pool.submit(Box::new(job), None).unwrap();
        }
        for _ in 0..n {
            // Bounded: a serialised burst fails the caller's assertion instead of hanging.
            if rx.recv_timeout(Duration::from_secs(3)).is_err() {
                break;
            }
        }
        started.elapsed()
    }

    #[test]
    fn a_burst_on_a_warm_idle_pool_runs_side_by_side() {
        let pool = Pool::new(DEFAULT_POOL_SIZE);
        burst(&pool, 1, Duration::ZERO); // one worker, now idle
        std::thread::sleep(Duration::from_millis(200));
        // One idle worker used to count for every job until it woke: 16 x 300 ms = 4.8 s.
        let took = burst(&pool, 16, Duration::from_millis(300));
        assert!(took < Duration::from_millis(1200), "16 jobs of 300 ms took {took:?}");
        assert!(pool.shared.lock().threads <= 17);
    }

    #[test]
    fn grows_to_the_default_bound_for_a_slow_burst() {
        let pool = Pool::new(DEFAULT_POOL_SIZE);
        let took = burst(&pool, 256, Duration::from_millis(200));
        assert!(took < Duration::from_millis(1500), "256 jobs of 200 ms took {took:?}");
        assert!(pool.shared.lock().threads <= 256);
    }

    #[test]
    fn a_job_queued_behind_a_full_pool_expires_at_its_deadline() {
        let pool = Pool::new(1);
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        let busy = tx.clone();
        let job = move |turn| {
            std::thread::sleep(Duration::from_millis(400));
            let _ = busy.send(("busy", turn, started.elapsed()));
        };
        pool.submit(Box::new(job), None).unwrap();
        for (name, deadline) in [("late", Some(Duration::from_millis(100))), ("patient", None)] {
            let tx = tx.clone();
            let job = move |turn| {
                let _ = tx.send((name, turn, started.elapsed()));
            };
            pool.submit(Box::new(job), deadline.map(|d| started + d)).unwrap();
        }
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(rx.recv_timeout(Duration::from_secs(2)).unwrap());
        }
        let (name, turn, at) = seen[0];
        assert_eq!((name, turn), ("late", Turn::Expired));
        assert!(at >= Duration::from_millis(100) && at < Duration::from_millis(300), "{at:?}");
        assert_eq!((seen[1].0, seen[1].1), ("busy", Turn::Run));
        assert_eq!((seen[2].0, seen[2].1), ("patient", Turn::Run));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!pool.shared.lock().watching, "the watcher exits once nothing is left to watch");
    }
}

//! Progress of uploads and downloads: a caller's `(done, total)` callback, throttled here
//! so every binding gets the same rate whatever its host.

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A progress callback: `(done, total)` in bytes of the transfer (for an upload, of the
/// whole request body, framing included; for a download, of the file). `total` is 0 while
/// it is unknown (an answer without `Content-Length`); the final report always has
/// `done == total`.
///
/// Reports are throttled: one whenever 1% more is done or 100 ms passed since the last,
/// plus a final one once every byte went through (none for a transfer that failed). They
/// run on the thread doing the transfer (a worker of the client's pool for an awaited or
/// started call), in order, never after the call's completion (a cancel waits for a
/// report in progress). A callback must be quick and must not panic.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(u64, u64) + Send + Sync>);

impl Progress {
    /// A progress callback calling `f(done, total)`.
    pub fn new(f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Progress(Arc::new(f))
    }
}

impl PartialEq for Progress {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
}

/// The longest quiet time between two reports while bytes move.
const INTERVAL: Duration = Duration::from_millis(100);

/// Counts a transfer's bytes and reports them through a [`Progress`], throttled.
pub(crate) struct Reporter {
    progress: Progress,
    total: u64,
    done: u64,
    /// Bytes that make 1% of a known total (at least 1).
    step: u64,
    last_done: u64,
    last_at: Instant,
    finished: bool,
}

impl Reporter {
    /// A reporter for `total` bytes (0: unknown).
    pub(crate) fn new(progress: Progress, total: u64) -> Self {
        let step = if total == 0 { u64::MAX } else { (total / 100).max(1) };
        Reporter { progress, total, done: 0, step, last_done: 0, last_at: Instant::now(), finished: false }
    }

    /// Bytes done so far.
    pub(crate) fn done(&self) -> u64 {
        self.done
    }

    /// Counts `n` more bytes; reports when due, and finishes at a known total.
    pub(crate) fn advance(&mut self, n: u64) {
        if n == 0 || self.finished {
            return;
        }
        self.done += n;
        if self.total != 0 && self.done >= self.total {
            return self.finish();
        }
        if self.done - self.last_done >= self.step || self.last_at.elapsed() >= INTERVAL {
            self.emit(self.done, self.total);
        }
    }

    /// The final report (once): `done == total`.
    pub(crate) fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.emit(self.done, self.done.max(self.total));
        }
    }

    fn emit(&mut self, done: u64, total: u64) {
        self.last_done = done;
        self.last_at = Instant::now();
        let f = &self.progress.0;
        crate::call::report(|| f(done, total));
    }
}

/// A request body read through a [`Reporter`] (an upload's progress).
pub(crate) struct Counted<R> {
    pub(crate) inner: R,
    pub(crate) reporter: Reporter,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match n {
            0 => self.reporter.finish(),
            n => self.reporter.advance(n as u64),
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    type Seen = Arc<Mutex<Vec<(u64, u64)>>>;

    fn recorded() -> (Progress, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        (Progress::new(move |d, t| s.lock().unwrap().push((d, t))), seen)
    }

    #[test]
    fn known_total_reports_each_percent_and_a_final_total() {
        let (p, seen) = recorded();
        let mut r = Reporter::new(p, 10_000);
        for _ in 0..1000 {
            r.advance(10);
        }
        r.finish();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 100, "one per 1%, the last being the final one");
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "monotonic");
        assert_eq!(*seen.last().unwrap(), (10_000, 10_000));
    }

    #[test]
    fn unknown_total_reports_zero_until_the_final_report() {
        let (p, seen) = recorded();
        let mut r = Reporter::new(p, 0);
        r.advance(5);
        std::thread::sleep(INTERVAL + Duration::from_millis(20));
        r.advance(5);
        r.finish();
        r.finish();
        assert_eq!(*seen.lock().unwrap(), vec![(10, 0), (10, 10)]);
    }

    #[test]
    fn an_upload_body_reports_its_length() {
        let (p, seen) = recorded();
        let mut body = Counted { inner: io::Cursor::new(vec![1u8; 1000]), reporter: Reporter::new(p, 1000) };
        io::copy(&mut body, &mut io::sink()).unwrap();
        assert_eq!(*seen.lock().unwrap().last().unwrap(), (1000, 1000));
    }
}

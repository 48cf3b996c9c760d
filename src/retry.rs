//! Opt-in retries of idempotent requests (off by default: one attempt).
//!
//! * **What is retried**: `GET` and `HEAD`, and any call its options mark `idempotent`;
//!   never another call, whatever went wrong (the server may have handled it).
//! * **When**: the connection was reset or closed before any byte of the answer arrived
//!   (e.g. a keep-alive connection the server closed just as it was reused: ureq probes a
//!   pooled connection before reuse but does not retry, so an attempt here is one request
//!   on the wire), or the server answered 502, 503, 504 or 429. A refused connection, a
//!   failed name lookup or TLS handshake, a timeout, or any other status is returned at once.
//! * **How long to wait**: the answer's `Retry-After` (seconds or an HTTP date; servers
//!   send it with 429 and 503), else exponential backoff (`baseDelay * 2^(retry-1)`, at most `maxDelay`) with
//!   jitter (a random 50–100 % of it, as the realtime and pub/sub reconnects).
//! * **Deadline**: all attempts and waits fit in the call's one deadline (queue time
//!   included). A wait that would not leave time for another attempt is not taken: the
//!   last failure is returned at once (so a 429 whose `Retry-After` is past the deadline
//!   returns that 429 straight away). An attempt cut by the deadline fails `timeout`.
//! * Each error says how many attempts were made ([`Error::attempts`](crate::Error::attempts)).

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::{Error, Result};

/// Default first backoff wait (before jitter).
pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(200);
/// Default longest backoff wait (before jitter).
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(5);
/// Attempts of `"retries": {}` (the object form without `maxAttempts`).
pub const DEFAULT_RETRY_ATTEMPTS: u32 = 3;
/// Most attempts a call may be given.
pub const MAX_ATTEMPTS: u32 = 100;

/// How often and how patiently a call is retried; see the module docs for when.
///
/// In options JSON (client or call): `"retries": 2` (two retries: up to 3 attempts, default
/// delays) or `"retries": {"maxAttempts": 3, "baseDelayMs": 200, "maxDelayMs": 5000}`
/// (every field optional; `maxAttempts` defaults to 3). `0` / `{"maxAttempts": 1}` turns
/// retries off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retries {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for Retries {
    /// Off: one attempt.
    fn default() -> Self {
        Retries::off()
    }
}

impl Retries {
    /// No retries: one attempt (the default).
    pub const fn off() -> Self {
        Retries { max_attempts: 1, base_delay: DEFAULT_RETRY_BASE_DELAY, max_delay: DEFAULT_RETRY_MAX_DELAY }
    }

    /// Up to `max_attempts` attempts in all (the first included; 1 = off), with the default
    /// delays ([`DEFAULT_RETRY_BASE_DELAY`], [`DEFAULT_RETRY_MAX_DELAY`]). Values past
    /// [`MAX_ATTEMPTS`] are refused where the option is used (`invalid_argument`).
    pub const fn attempts(max_attempts: u32) -> Self {
        Retries { max_attempts, ..Retries::off() }
    }

    /// The first backoff wait (doubled for each further retry). Defaults to 200 ms.
    pub const fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest backoff wait. Defaults to 5 s.
    pub const fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Attempts in all, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Refuses what cannot be meant; messages name the field only.
    pub(crate) fn check(&self) -> Result<()> {
        if !(1..=MAX_ATTEMPTS).contains(&self.max_attempts) {
            return Err(Error::invalid_argument(format!("retries: maxAttempts must be 1..={MAX_ATTEMPTS}")));
        }
        if self.base_delay > self.max_delay {
            return Err(Error::invalid_argument("retries: baseDelayMs must not exceed maxDelayMs"));
        }
        Ok(())
    }

    /// The backoff before retry `retry` (1 for the first), jitter included.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let doubled = self.base_delay.saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let full = doubled.min(self.max_delay);
        let r = getrandom::u32().unwrap_or(u32::MAX / 4 * 3) as f64 / u32::MAX as f64;
        full.mul_f64(0.5 + 0.5 * r)
    }
}

/// Whether, and after how long, a failed attempt may be tried again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Retry {
    /// Never (the server may have handled it, or trying again cannot help).
    No,
    /// After the backoff.
    Backoff,
    /// After the server's `Retry-After`.
    After(Duration),
}

impl Retry {
    /// For an answer with `status`: 502/503/504/429 may be retried, after its
    /// `Retry-After` when it has a readable one.
    pub(crate) fn of_answer(status: u16, headers: &ureq::http::HeaderMap) -> Retry {
        if !matches!(status, 429 | 502 | 503 | 504) {
            return Retry::No;
        }
        let after = headers.get("retry-after").and_then(|v| v.to_str().ok());
        match after.and_then(|v| retry_after(v, SystemTime::now())) {
            Some(wait) => Retry::After(wait),
            None => Retry::Backoff,
        }
    }
}

/// A failed attempt: its error, and whether it may be retried.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) retry: Retry,
    /// False when it failed before sending (it is then not counted as an attempt).
    pub(crate) sent: bool,
}

impl Failed {
    /// A failure retrying cannot help: the caller's input, found before anything was sent.
    pub(crate) fn fatal(error: Error) -> Self {
        Failed { error, retry: Retry::No, sent: false }
    }

    /// The failure of an answer that arrived.
    pub(crate) fn answered(error: Error, retry: Retry) -> Self {
        Failed { error, retry, sent: true }
    }

    /// The error, counting the attempts before this one and this one if it was sent.
    fn counted(self, before: u32) -> Error {
        let attempts = before + u32::from(self.sent);
        self.error.with_attempts(attempts)
    }

    /// A failure of the transport before an answer's status: retried only when the
    /// connection was reset or closed before any byte of an answer arrived. A refused
    /// connection, name lookups, TLS and proxies (typed by our layers), timeouts and file
    /// parts that failed are not.
    pub(crate) fn transport(url: &str, e: ureq::Error) -> Self {
        use std::io::ErrorKind as Io;
        let dropped = match &e {
            ureq::Error::Io(io) => {
                matches!(io.kind(), Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof)
                    && io.get_ref().is_none_or(|inner| !inner.is::<crate::files::PartFailed>())
                    && crate::net::Failure::carried(io).is_none()
                    && crate::tls::failure(io).is_none()
            }
            _ => false,
        };
        let retry = if dropped && !crate::transport::answer_started() { Retry::Backoff } else { Retry::No };
        Failed { error: Error::from_transport(url, e), retry, sent: true }
    }
}

/// Runs `attempt` until it succeeds, fails for good, runs out of attempts, or the next
/// wait would not fit in the deadline (`timeout`, else `default`, from now). The first
/// attempt gets `timeout` as is (None: the client's own); later ones what is left. `stop`
/// (the client closed, the call cancelled) ends the waiting with the last failure.
pub(crate) fn run<T>(
    retries: Retries,
    timeout: Option<Duration>,
    default: Duration,
    stop: impl Fn() -> bool,
    mut attempt: impl FnMut(Option<Duration>) -> std::result::Result<T, Failed>,
) -> Result<T> {
    if retries.max_attempts <= 1 {
        return attempt(timeout).map_err(|f| f.counted(0));
    }
    // A deadline past what an Instant can hold is no deadline (a century is as good).
    let budget = timeout.unwrap_or(default);
    let deadline = Instant::now().checked_add(budget).unwrap_or_else(|| Instant::now() + Duration::from_secs(3 << 30));
    let mut attempts = 1;
    let mut this_timeout = timeout;
    loop {
        let failed = match attempt(this_timeout) {
            Ok(answer) => return Ok(answer),
            Err(failed) => failed,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = match failed.retry {
            Retry::No => None,
            Retry::Backoff => Some(retries.backoff(attempts)),
            Retry::After(wait) => Some(wait),
        };
        // A wait that leaves no time for another attempt is not taken.
        let Some(wait) = wait.filter(|w| attempts < retries.max_attempts && *w < left) else {
            return Err(failed.counted(attempts - 1));
        };
        if !pause(wait, &stop) {
            return Err(failed.counted(attempts - 1));
        }
        attempts += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        this_timeout = Some(left.max(Duration::from_millis(1)));
    }
}

/// Sleeps `wait` in short steps; false as soon as `stop` says so.
fn pause(wait: Duration, stop: &impl Fn() -> bool) -> bool {
    const STEP: Duration = Duration::from_millis(25);
    let until = Instant::now() + wait;
    loop {
        if stop() {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(STEP));
    }
}

/// `Retry-After` as a wait from now: delay-seconds or an IMF-fixdate HTTP date (a date in
/// the past is no wait). None when absent or unreadable (the backoff applies then); a
/// value too large for a `Duration` is a century (longer than any deadline).
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX).min(100 * 365 * 86_400);
        return Some(Duration::from_secs(secs));
    }
    let at = UNIX_EPOCH + Duration::from_secs(http_date(value)?);
    Some(at.duration_since(now).unwrap_or_default())
}

/// Seconds since the Unix epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the
/// form RFC 9110 requires senders to use.
fn http_date(text: &str) -> Option<u64> {
    let rest = text.split_once(", ")?.1;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts[..] else { return None };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u64>().ok()).flatten()
    };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let (day, year) = (num(day, 2)?, num(year, 4)?);
    let hms: Vec<&str> = time.split(':').collect();
    let [h, m, s] = hms[..] else { return None };
    let (h, m, s) = (num(h, 2)?, num(m, 2)?, num(s, 2)?);
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
    let (y, mo) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// `"retries"` as options JSON gives it: a number of retries or the object form.
impl<'de> Deserialize<'de> for Retries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Retries;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of retries or {maxAttempts, baseDelayMs, maxDelayMs}")
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> std::result::Result<Retries, E> {
                match u32::try_from(n) {
                    Ok(n) if n < MAX_ATTEMPTS => Ok(Retries::attempts(n + 1)),
                    _ => Err(E::custom("too many retries")),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Retries, A::Error> {
                let mut r = Retries::attempts(DEFAULT_RETRY_ATTEMPTS);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "maxAttempts" => r.max_attempts = map.next_value()?,
                        "baseDelayMs" => r.base_delay = Duration::from_millis(map.next_value()?),
                        "maxDelayMs" => r.max_delay = Duration::from_millis(map.next_value()?),
                        _ => return Err(de::Error::unknown_field(&key, &["maxAttempts", "baseDelayMs", "maxDelayMs"])),
                    }
                }
                Ok(r)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter() {
        let r = Retries::attempts(10).base_delay(Duration::from_millis(100)).max_delay(Duration::from_millis(350));
        for (retry, full) in [(1, 100), (2, 200), (3, 350), (30, 350)] {
            for _ in 0..20 {
                let d = r.backoff(retry).as_millis();
                assert!(d >= full / 2 && d <= full, "retry {retry}: {d} ms");
            }
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(retry_after(" 2 ", now), Some(Duration::from_secs(2)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(http_date("Tue, 29 Feb 2000 12:00:00 GMT"), Some(951_825_600));
        assert!(retry_after("99999999999999999999999", now).unwrap() > Duration::from_secs(86_400 * 365));
        for bad in ["", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 6 Nov 1994 08:49:37 GMT"] {
            assert_eq!(retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn the_option_is_a_count_of_retries_or_an_object() {
        let parse = |s: &str| serde_json::from_str::<Retries>(s);
        assert_eq!(parse("0").unwrap(), Retries::off());
        assert_eq!(parse("2").unwrap().max_attempts(), 3);
        let r = parse(r#"{"maxAttempts":4,"baseDelayMs":10,"maxDelayMs":20}"#).unwrap();
        assert_eq!(r, Retries::attempts(4).base_delay(Duration::from_millis(10)).max_delay(Duration::from_millis(20)));
        assert!(parse("-1").is_err() && parse("1.5").is_err() && parse("true").is_err());
        assert!(parse(r#"{"attempts":3}"#).is_err(), "typos are refused");
        assert!(parse("100").is_err());
        assert!(Retries::attempts(0).check().is_err() && Retries::attempts(101).check().is_err());
        assert!(Retries::attempts(2).base_delay(Duration::from_secs(9)).check().is_err());
        assert!(parse("{}").unwrap().check().is_ok());
    }
}

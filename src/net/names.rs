//! Host names resolved once per connection, through a short process-wide cache.
//!
//! ureq asks its resolver on every request, before it looks for a pooled connection, and
//! with a connect timeout it starts a thread per lookup: 400–500 µs per call to
//! `localhost`. Here names are resolved only when a connection is actually dialled (see
//! [`super::connector`]), and the answer is kept for [`TTL`]: keep-alive calls resolve
//! nothing, new connections within the TTL reuse the answer.
//!
//! `getaddrinfo` has no timeout, so a lookup runs on a thread of its own while callers wait
//! for it with their own deadline (the connect timeout). At most one lookup per host is in
//! flight: every caller that needs the same host meanwhile waits on that one. A caller whose
//! deadline passes gives up; the lookup still finishes and fills the cache.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How long an answer is reused for new connections.
pub(crate) const TTL: Duration = Duration::from_secs(10);
/// Hosts kept at most; past that, expired answers go first, then every finished one.
const CAPACITY: usize = 256;

/// A lookup function: the addresses of a host name (port 0).
type Lookup = fn(&str) -> io::Result<Vec<IpAddr>>;

/// The process-wide cache every client shares.
pub(crate) fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| Names::new(system_lookup, TTL))
}

/// Lookups made by the system resolver in this process (a test and bench hook).
pub(crate) fn lookups() -> usize {
    names().lookups.load(Ordering::Relaxed)
}

/// Counts a lookup made outside the cache (ureq's stock resolver, the bench's "before").
pub(crate) fn count_stock_lookup() {
    names().lookups.fetch_add(1, Ordering::Relaxed);
}

fn system_lookup(host: &str) -> io::Result<Vec<IpAddr>> {
    Ok((host, 0).to_socket_addrs()?.map(|a| a.ip()).collect())
}

/// Why a name gave no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The deadline passed while the lookup was still running.
    TimedOut,
    /// The lookup failed (or found nothing): the system's message.
    NotFound(String),
    /// No thread could be started for the lookup.
    NoThread,
}

pub(crate) struct Names {
    lookup: Lookup,
    ttl: Duration,
    hosts: Mutex<HashMap<String, Slot>>,
    lookups: AtomicUsize,
}

enum Slot {
    Ready { ips: Arc<[IpAddr]>, until: Instant },
    Pending(Arc<Pending>),
}

/// One lookup in flight; its callers wait on `done`.
#[derive(Default)]
struct Pending {
    result: Mutex<Option<Result<Arc<[IpAddr]>, Failure>>>,
    done: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Names {
    fn new(lookup: Lookup, ttl: Duration) -> Self {
        Names { lookup, ttl, hosts: Mutex::new(HashMap::new()), lookups: AtomicUsize::new(0) }
    }

    /// The addresses of `host` (a name or an IP literal, brackets allowed) with `port`,
    /// waiting at most until `deadline` for a lookup.
    pub(crate) fn resolve(&'static self, host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Failure> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let ips = self.ips(&host.to_ascii_lowercase(), deadline)?;
        Ok(ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
    }

    fn ips(&'static self, host: &str, deadline: Instant) -> Result<Arc<[IpAddr]>, Failure> {
        let pending = {
            let mut hosts = lock(&self.hosts);
            match hosts.get(host) {
                Some(Slot::Ready { ips, until }) if *until > Instant::now() => return Ok(Arc::clone(ips)),
                Some(Slot::Pending(p)) => Arc::clone(p),
                _ => {
                    let pending = Arc::new(Pending::default());
                    self.make_room(&mut hosts);
                    hosts.insert(host.to_owned(), Slot::Pending(Arc::clone(&pending)));
                    drop(hosts);
                    self.start(host, &pending)?;
                    pending
                }
            }
        };
        let mut result = lock(&pending.result);
        loop {
            if let Some(done) = result.as_ref() {
                return done.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failure::TimedOut);
            }
            result = pending.done.wait_timeout(result, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Starts the lookup thread; on failure, forgets the slot so a later call tries again.
    fn start(&'static self, host: &str, pending: &Arc<Pending>) -> Result<(), Failure> {
        let (name, job) = (host.to_owned(), Arc::clone(pending));
        let spawned = std::thread::Builder::new()
            .name("bosbase-resolve".into())
            .stack_size(64 * 1024)
            .spawn(move || self.run(&name, &job));
        if spawned.is_err() {
            self.finish(host, pending, Err(Failure::NoThread));
            return Err(Failure::NoThread);
        }
        Ok(())
    }

    fn run(&self, host: &str, pending: &Arc<Pending>) {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let result = match (self.lookup)(host) {
            Ok(ips) if !ips.is_empty() => Ok(Arc::from(ips)),
            Ok(_) => Err(Failure::NotFound("the host has no address".into())),
            Err(e) => Err(Failure::NotFound(e.to_string())),
        };
        self.finish(host, pending, result);
    }

    /// Publishes a lookup's result: cached on success, forgotten on failure (a failed
    /// name is looked up again by the next caller), and every waiter woken.
    fn finish(&self, host: &str, pending: &Arc<Pending>, result: Result<Arc<[IpAddr]>, Failure>) {
        {
            let mut hosts = lock(&self.hosts);
            let ours = matches!(hosts.get(host), Some(Slot::Pending(p)) if Arc::ptr_eq(p, pending));
            if ours {
                match &result {
                    Ok(ips) => {
                        let until = Instant::now() + self.ttl;
                        hosts.insert(host.to_owned(), Slot::Ready { ips: Arc::clone(ips), until });
                    }
                    Err(_) => {
                        hosts.remove(host);
                    }
                }
            }
        }
        *lock(&pending.result) = Some(result);
        pending.done.notify_all();
    }

    fn make_room(&self, hosts: &mut HashMap<String, Slot>) {
        if hosts.len() < CAPACITY {
            return;
        }
        let now = Instant::now();
        hosts.retain(|_, slot| {
            matches!(slot, Slot::Ready { until, .. } if *until > now) || matches!(slot, Slot::Pending(_))
        });
        if hosts.len() >= CAPACITY {
            hosts.retain(|_, slot| matches!(slot, Slot::Pending(_)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn slow(host: &str) -> io::Result<Vec<IpAddr>> {
        std::thread::sleep(Duration::from_millis(300));
        match host {
            "missing.test" => Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
            _ => Ok(vec![IpAddr::V4(Ipv4Addr::new(127, 0, 0, 7))]),
        }
    }

    fn fast(_: &str) -> io::Result<Vec<IpAddr>> {
        Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
    }

    fn leak(names: Names) -> &'static Names {
        Box::leak(Box::new(names))
    }

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[test]
    fn literals_need_no_lookup() {
        let names = leak(Names::new(fast, TTL));
        assert_eq!(names.resolve("[::1]", 8, soon(10)).unwrap(), vec!["[::1]:8".parse().unwrap()]);
        assert_eq!(names.resolve("10.1.2.3", 9, soon(10)).unwrap(), vec!["10.1.2.3:9".parse().unwrap()]);
        assert_eq!(names.lookups.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn one_lookup_serves_callers_until_the_ttl_passes() {
        let names = leak(Names::new(fast, Duration::from_millis(200)));
        for port in 1..50 {
            assert_eq!(names.resolve("Example.TEST", port, soon(1000)).unwrap()[0].port(), port);
        }
        assert_eq!(names.lookups.load(Ordering::SeqCst), 1, "cached: one lookup for 49 resolutions");
        std::thread::sleep(Duration::from_millis(250));
        names.resolve("example.test", 1, soon(1000)).unwrap();
        assert_eq!(names.lookups.load(Ordering::SeqCst), 2, "expired: looked up again");
    }

    #[test]
    fn a_slow_lookup_is_bounded_by_the_deadline_and_shared_by_concurrent_callers() {
        let names = leak(Names::new(slow, TTL));
        let started = Instant::now();
        assert_eq!(names.resolve("slow.test", 1, soon(50)), Err(Failure::TimedOut));
        assert!(started.elapsed() < Duration::from_millis(250), "gave up at its deadline");
        // Eight callers while that lookup is still running: none starts another.
        let threads: Vec<_> =
            (0..8).map(|_| std::thread::spawn(move || names.resolve("slow.test", 2, soon(2000)))).collect();
        for t in threads {
            assert_eq!(t.join().unwrap().unwrap(), vec!["127.0.0.7:2".parse().unwrap()]);
        }
        assert_eq!(names.lookups.load(Ordering::SeqCst), 1, "one lookup in flight per host");
    }

    #[test]
    fn failures_are_reported_and_not_cached() {
        let names = leak(Names::new(slow, TTL));
        let err = names.resolve("missing.test", 1, soon(2000)).unwrap_err();
        assert_eq!(err, Failure::NotFound("no such host".into()));
        names.resolve("missing.test", 1, soon(2000)).unwrap_err();
        assert_eq!(names.lookups.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_cache_is_bounded() {
        let names = leak(Names::new(fast, TTL));
        for i in 0..CAPACITY * 2 {
            names.resolve(&format!("h{i}.test"), 1, soon(1000)).unwrap();
        }
        assert!(lock(&names.hosts).len() <= CAPACITY);
    }
}

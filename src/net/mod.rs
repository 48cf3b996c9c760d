//! How a client reaches its server: names resolved once per connection with a deadline
//! ([`names`]), and the proxy route ([`proxy`], [`tunnel`]). One [`Net`] per client serves
//! its calls and realtime (through the ureq connector in [`connector`]) and pub/sub
//! (through [`Net::dial_stream`]), so all three take the same route.

pub(crate) mod connector;
pub(crate) mod names;
pub(crate) mod proxy;
pub(crate) mod tunnel;

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Error, ErrorKind, Result};
use proxy::{Proxies, ProxyUrl};

/// A typed failure raised inside the transport; it crosses ureq as an I/O error and
/// becomes an [`Error`] of its kind (see `Error::from_transport`). Its message names
/// hosts and proxies by `host:port` only.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    pub(crate) fn network(message: String) -> Self {
        Failure { kind: ErrorKind::Network, message }
    }

    fn from_error(e: &Error) -> Self {
        Failure { kind: e.kind(), message: e.message().to_owned() }
    }

    pub(crate) fn into_ureq(self) -> ureq::Error {
        ureq::Error::Io(io::Error::other(self))
    }

    pub(crate) fn into_error(self, url: &str) -> Error {
        Error::new(self.kind, url, self.message)
    }

    /// The failure carried by an I/O error, if it is one of ours.
    pub(crate) fn carried(e: &io::Error) -> Option<&Failure> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<Failure>())
    }
}

/// The route settings of one client, shared by its calls, realtime and pub/sub.
#[derive(Clone, Debug)]
pub(crate) struct Net {
    proxies: Arc<Proxies>,
    user_agent: String,
}

impl Net {
    pub(crate) fn new(proxies: Proxies, user_agent: &str) -> Self {
        Net { proxies: Arc::new(proxies), user_agent: user_agent.to_owned() }
    }

    /// The proxy for `host:port`, or `None` for a direct connection.
    pub(crate) fn route(&self, secure: bool, host: &str, port: u16) -> std::result::Result<Option<&ProxyUrl>, Failure> {
        self.proxies.route(secure, host, port).map_err(|e| Failure::from_error(&e))
    }

    /// A TCP stream to `host:port` (directly, or through a proxy's tunnel) within `timeout`,
    /// for protocols ureq does not speak (pub/sub's WebSocket).
    pub(crate) fn dial_stream(
        &self,
        secure: bool,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<TcpStream, Failure> {
        let deadline = Instant::now() + timeout;
        let route = self.route(secure, host, port)?;
        let (dial_host, dial_port) = match route {
            Some(proxy) => (proxy.host.as_str(), proxy.port),
            None => (host, port),
        };
        let addrs = resolve(dial_host, dial_port, deadline, route)?;
        let tcp = connect_any(&addrs, deadline).map_err(|e| match route {
            Some(proxy) => tunnel::io_failure(&e, &format!("cannot connect to the proxy {}", proxy.address())),
            None => tunnel::io_failure(&e, "cannot connect"),
        })?;
        tcp.set_nodelay(true).ok();
        if let Some(proxy) = route {
            let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
            tcp.set_read_timeout(Some(left)).ok();
            tcp.set_write_timeout(Some(left)).ok();
            tunnel::open(&mut &tcp, proxy, host, port, &self.user_agent)?;
        }
        Ok(tcp)
    }

    pub(crate) fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

/// The addresses of the host to dial, through the shared cache, by `deadline`.
pub(crate) fn resolve(
    host: &str,
    port: u16,
    deadline: Instant,
    proxy: Option<&ProxyUrl>,
) -> std::result::Result<Vec<SocketAddr>, Failure> {
    let what = match proxy {
        Some(p) => format!("the proxy {}", p.address()),
        None => format!("the host {host}"),
    };
    names::names().resolve(host, port, deadline).map_err(|f| match f {
        names::Failure::TimedOut => {
            Failure { kind: ErrorKind::Timeout, message: format!("resolving {what} timed out") }
        }
        names::Failure::NotFound(why) => Failure::network(format!("cannot resolve {what}: {why}")),
        names::Failure::NoThread => Failure::network(format!("cannot resolve {what}: no thread for the lookup")),
    })
}

/// Connects to the first address that answers (a refused one moves on to the next).
fn connect_any(addrs: &[SocketAddr], deadline: Instant) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::from(io::ErrorKind::TimedOut));
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(tcp) => return Ok(tcp),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(last)
}

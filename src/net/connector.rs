//! The head of every ureq connector chain of a client: [`Dial`] opens the TCP connection,
//! directly or through the proxy's `CONNECT` tunnel, resolving names only then.
//!
//! ureq calls its resolver for every request, before it looks in its pool; the client
//! gives it [`Deferred`], which resolves nothing, so a request that reuses a pooled
//! connection costs no lookup at all. [`Dial`] runs only for a new connection and resolves
//! there, through the shared cache, within the connect timeout.

use std::sync::{Arc, Weak};
use std::time::Instant;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    ConnectionDetails, Connector, NextTimeout, ShutdownHandle, TcpConnector, Transport, TransportAdapter,
};

use super::{tunnel, Failure, Net};

/// A resolver that leaves resolving to [`Dial`] (it answers no addresses), or, for the
/// bench's before/after comparison only, ureq's stock resolver (a lookup per request).
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    stock: Option<DefaultResolver>,
}

impl Deferred {
    pub(crate) fn new(deferred: bool) -> Self {
        Deferred { stock: (!deferred).then(DefaultResolver::default) }
    }
}

impl Resolver for Deferred {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match &self.stock {
            None => Ok(self.empty()),
            Some(stock) => {
                super::names::count_stock_lookup();
                stock.resolve(uri, config, timeout)
            }
        }
    }
}

/// Opens TCP connections (ureq's [`TcpConnector`] does the connecting, so ureq can shut
/// them down), to the server or through the proxy [`Net`] picks for it.
#[derive(Debug)]
pub(crate) struct Dial {
    net: Net,
}

impl Dial {
    pub(crate) fn new(net: Net) -> Self {
        Dial { net }
    }
}

impl Connector<()> for Dial {
    type Out = Box<dyn Transport>;

    fn connect(&self, details: &ConnectionDetails, _chained: Option<()>) -> Result<Option<Self::Out>, ureq::Error> {
        let uri = details.uri;
        let secure = details.needs_tls();
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let route = self.net.route(secure, host, port).map_err(Failure::into_ureq)?;
        let started = Instant::now();
        // ureq always sets a connect timeout for our agents; an unbounded one waits a day.
        let budget = details.timeout.not_zero().map(|d| *d).unwrap_or(std::time::Duration::from_secs(86_400));
        let deadline = started + budget;
        let addrs = match route {
            // Addresses ureq's own resolver found (only with the bench's stock-resolver switch).
            None if !details.addrs.is_empty() => details.addrs.clone(),
            _ => {
                let (dial_host, dial_port) = route.map_or((host, port), |p| (p.host.as_str(), p.port));
                let found = super::resolve(dial_host, dial_port, deadline, route).map_err(Failure::into_ureq)?;
                let mut addrs = Deferred::default().empty();
                for addr in found {
                    if addrs.try_push(addr).is_err() {
                        break;
                    }
                }
                addrs
            }
        };
        let timeout =
            NextTimeout { after: deadline.saturating_duration_since(Instant::now()).into(), ..details.timeout };
        let tcp_details = ConnectionDetails {
            uri: details.uri,
            addrs,
            config: details.config,
            request_level: details.request_level,
            resolver: details.resolver,
            now: (details.current_time)(),
            timeout,
            current_time: details.current_time.clone(),
            run_connector: details.run_connector.clone(),
            register_shutdown: {
                // ureq keeps the socket for `Agent::shutdown`; we also hand it to the chain's
                // end (`Coalescing`) so one request can be interrupted alone.
                let register = details.register_shutdown.clone();
                Arc::new(move |socket: Weak<dyn ShutdownHandle>| {
                    crate::transport::made(socket.clone());
                    register(socket)
                })
            },
        };
        let tcp = Connector::<()>::connect(&TcpConnector::default(), &tcp_details, None);
        let Some(proxy) = route else {
            return Ok(tcp?.map(Transport::boxed));
        };
        let tcp = match tcp {
            Ok(Some(tcp)) => tcp.boxed(),
            Ok(None) => return Ok(None),
            Err(e) => return Err(proxy_connect_failure(e, &proxy.address()).into_ureq()),
        };
        let mut io = TransportAdapter::new(tcp, details.current_time.clone());
        io.set_timeout(NextTimeout {
            after: deadline.saturating_duration_since(Instant::now()).into(),
            ..details.timeout
        });
        tunnel::open(&mut io, proxy, host, port, self.net.user_agent()).map_err(Failure::into_ureq)?;
        Ok(Some(io.into_inner()))
    }
}

fn proxy_connect_failure(e: ureq::Error, proxy: &str) -> Failure {
    let what = format!("cannot connect to the proxy {proxy}");
    match e {
        ureq::Error::Io(io) => tunnel::io_failure(&io, &what),
        ureq::Error::Timeout(_) => tunnel::io_failure(&std::io::ErrorKind::TimedOut.into(), &what),
        other => Failure::network(format!("{what}: {other}")),
    }
}

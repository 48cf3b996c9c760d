//! The HTTP `CONNECT` handshake that turns a connection to a proxy into a tunnel to the
//! server. Every route through a proxy uses it, `http` servers included (one mechanism for
//! calls, realtime and pub/sub; TLS to an `https` server runs inside the tunnel, with the
//! server's own name).

use std::io::{self, Read, Write};

use super::proxy::{authority, ProxyUrl};
use super::Failure;
use crate::ErrorKind;

/// Largest proxy answer head read.
const MAX_HEAD: usize = 16 * 1024;

/// Asks `proxy` (already connected through `io`) for a tunnel to `host:port`. The answer
/// is read byte by byte so nothing after its head is consumed. Timeouts are `io`'s own.
pub(crate) fn open(
    io: &mut impl ReadWrite,
    proxy: &ProxyUrl,
    host: &str,
    port: u16,
    user_agent: &str,
) -> Result<(), Failure> {
    let target = authority(host.trim_start_matches('[').trim_end_matches(']'), port);
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {user_agent}\r\n");
    if let Some(auth) = &proxy.authorization {
        head.push_str("Proxy-Authorization: ");
        head.push_str(auth);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let failed = |e: io::Error, doing: &str| io_failure(&e, &format!("the proxy {} {doing}", proxy.address()));
    io.write_all(head.as_bytes()).map_err(|e| failed(e, "did not take the CONNECT request"))?;
    io.flush().map_err(|e| failed(e, "did not take the CONNECT request"))?;

    let mut answer = Vec::with_capacity(256);
    let mut byte = [0u8];
    while !answer.ends_with(b"\r\n\r\n") {
        match io.read(&mut byte) {
            Ok(0) => {
                return Err(Failure::network(format!(
                    "the proxy {} closed the connection before answering the CONNECT",
                    proxy.address()
                )))
            }
            Ok(_) => answer.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(e, "did not answer the CONNECT")),
        }
        if answer.len() > MAX_HEAD {
            return Err(Failure::network(format!(
                "the proxy {} sent an over-long answer to the CONNECT",
                proxy.address()
            )));
        }
    }
    let status_line = String::from_utf8_lossy(answer.split(|b| *b == b'\r').next().unwrap_or_default()).into_owned();
    let mut parts = status_line.splitn(3, ' ');
    let (version, status) = (parts.next().unwrap_or_default(), parts.next().and_then(|s| s.parse::<u16>().ok()));
    let reason: String = parts.next().unwrap_or_default().chars().filter(|c| !c.is_control()).take(80).collect();
    match status {
        Some(200..=299) if version.starts_with("HTTP/1.") => Ok(()),
        Some(code) if version.starts_with("HTTP/1.") => Err(Failure::network(format!(
            "the proxy {} refused the tunnel to {target}: {code} {reason}",
            proxy.address()
        ))),
        _ => Err(Failure::network(format!("the proxy {} sent an answer that is not HTTP", proxy.address()))),
    }
}

/// What the handshake needs of a connection.
pub(crate) trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// An I/O error during a step (`what`): a timeout is kind `timeout`, anything else `network`.
pub(crate) fn io_failure(e: &io::Error, what: &str) -> Failure {
    let timed_out = matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock)
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
    match timed_out {
        true => Failure { kind: ErrorKind::Timeout, message: format!("{what} in time") },
        false => Failure::network(format!("{what}: {}", e.kind())),
    }
}

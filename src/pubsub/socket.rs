//! The pub/sub WebSocket: `GET {base}/api/pubsub` upgraded, over TCP or over TLS with the
//! client's own trust settings. The auth token goes in the `Authorization` header of the
//! upgrade request, never in the URL (where proxies and server logs would keep it).
//!
//! Connecting has one deadline, the connect timeout, from the TCP connect to the server's
//! `ready` (TLS, the HTTP upgrade and the first frame included): until [`Socket::poll_every`]
//! ends the handshake, reads wait in slices of [`SLICE`] and give up at the deadline or as
//! soon as the client's stop flag is set, so a server dripping bytes cannot stretch it.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};
use rustls_pki_types::ServerName;
use tungstenite::client::IntoClientRequest;
use tungstenite::WebSocket;

use crate::tls::{self, TlsSettings};
use crate::{Error, ErrorKind, Result};

/// A byte stream under the WebSocket: plain TCP or TLS over TCP.
pub(crate) trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// An open pub/sub socket and the TCP stream under it (to change its read timeout).
pub(crate) struct Socket {
    pub(crate) ws: WebSocket<Box<dyn Stream>>,
    pub(crate) tcp: TcpStream,
    handshake: Arc<Handshake>,
}

/// How long a handshake read waits before it looks at the deadline and the stop flag.
const SLICE: Duration = Duration::from_millis(50);

/// The handshake's deadline, shared by the socket and the reads under it.
struct Handshake {
    deadline: Instant,
    /// False once the handshake is over (reads then use the socket's own timeout).
    armed: AtomicBool,
    /// The client is closing.
    stop: Arc<AtomicBool>,
}

/// The TCP stream under TLS and the WebSocket: reads are bounded by the handshake.
struct Guarded {
    tcp: TcpStream,
    handshake: Arc<Handshake>,
}

impl Read for Guarded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.handshake.armed.load(Ordering::Acquire) {
            if self.handshake.stop.load(Ordering::Acquire) {
                return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "the client is closing"));
            }
            let left = self.handshake.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "the connect timeout passed"));
            }
            self.tcp.set_read_timeout(Some(left.min(SLICE)))?;
            match self.tcp.read(buf) {
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
        // A signal to this thread fails a read with a receive timeout with EINTR, never
        // restarted (signal(7)); that is no lost connection: read again.
        loop {
            match self.tcp.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
}

impl Write for Guarded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // As for reads: a send timeout makes a signal fail the write with EINTR.
        loop {
            match self.tcp.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// What a connection needs from the client.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) base_url: String,
    pub(crate) tls: TlsSettings,
    pub(crate) user_agent: String,
    pub(crate) lang: String,
    pub(crate) connect_timeout: Duration,
    /// The client's per-call deadline (a publish's default wait for its acknowledgement).
    pub(crate) timeout: Duration,
    /// The client's route: name cache and proxy (the WebSocket goes the way calls go).
    pub(crate) net: crate::net::Net,
}

/// Opens the socket; `auth` is the token to send, if any. The handshake (and the `ready`
/// read after it) is bounded by the connect timeout and given up once `stop` is set.
pub(crate) fn connect(target: &Target, auth: Option<&str>, stop: &Arc<AtomicBool>) -> Result<Socket> {
    let handshake = Arc::new(Handshake {
        deadline: Instant::now() + target.connect_timeout,
        armed: true.into(),
        stop: stop.clone(),
    });
    let url = format!("{}/api/pubsub", target.base_url);
    let failed = |kind: ErrorKind, what: String| Error::new(kind, &url, what);
    let uri: ureq::http::Uri =
        url.parse().map_err(|_| failed(ErrorKind::InvalidArgument, "invalid base URL".into()))?;
    let secure = uri.scheme_str() == Some("https");
    let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let tcp = target.net.dial_stream(secure, &host, port, target.connect_timeout).map_err(|f| f.into_error(&url))?;
    tcp.set_read_timeout(Some(target.connect_timeout)).ok();
    tcp.set_write_timeout(Some(target.connect_timeout)).ok();
    let raw = tcp.try_clone().map_err(|e| failed(ErrorKind::Network, format!("socket: {}", e.kind())))?;
    let raw = Guarded { tcp: raw, handshake: Arc::clone(&handshake) };
    let stream: Box<dyn Stream> = if secure {
        let config = tls::build_config(&target.tls)
            .map_err(|e| failed(ErrorKind::Tls, format!("no usable trust store: {}", tls::describe(&e))))?;
        let name =
            ServerName::try_from(host.clone()).map_err(|_| failed(ErrorKind::Tls, "invalid server name".into()))?;
        let mut conn =
            ClientConnection::new(Arc::clone(&config), name).map_err(|e| failed(ErrorKind::Tls, tls::describe(&e)))?;
        let mut sock = raw;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock).map_err(|e| match e.kind() {
                io::ErrorKind::TimedOut => failed(ErrorKind::Timeout, "TLS handshake timed out".into()),
                _ => {
                    let why = tls::failure(&e).unwrap_or_else(|| format!("TLS handshake failed: {}", e.kind()));
                    failed(ErrorKind::Tls, why)
                }
            })?;
        }
        Box::new(StreamOwned::new(conn, sock))
    } else {
        Box::new(raw)
    };
    let ws_url = format!(
        "{}{}",
        if secure { "wss" } else { "ws" },
        url.strip_prefix(if secure { "https" } else { "http" }).unwrap_or(&url)
    );
    let request = upgrade_request(&ws_url, target, auth).map_err(|what| failed(ErrorKind::InvalidArgument, what))?;
    let (ws, _response) = tungstenite::client(request, stream).map_err(|e| match e {
        tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
            Error::from_response(&url, status, &body)
        }
        tungstenite::HandshakeError::Failure(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::TimedOut => {
            failed(ErrorKind::Timeout, "WebSocket handshake timed out".into())
        }
        tungstenite::HandshakeError::Failure(e) => {
            failed(ErrorKind::Network, format!("WebSocket handshake failed: {e}"))
        }
        tungstenite::HandshakeError::Interrupted(_) => {
            failed(ErrorKind::Timeout, "WebSocket handshake timed out".into())
        }
    })?;
    Ok(Socket { ws, tcp, handshake })
}

/// The upgrade request with its headers. A token that cannot be sent as a header fails
/// the connection: going on without it would connect anonymously, and the subscriptions
/// would silently see only what a signed-out client may see.
fn upgrade_request(
    ws_url: &str,
    target: &Target,
    auth: Option<&str>,
) -> std::result::Result<tungstenite::handshake::client::Request, String> {
    let mut request = ws_url.into_client_request().map_err(|_| "invalid base URL".to_owned())?;
    let headers = request.headers_mut();
    for (name, value) in [("User-Agent", &target.user_agent), ("Accept-Language", &target.lang)] {
        if let Ok(v) = value.parse() {
            headers.insert(name, v);
        }
    }
    if let Some(token) = auth {
        let value = token.parse().map_err(|_| "the auth token cannot be sent as an Authorization header".to_owned())?;
        headers.insert("Authorization", value);
    }
    Ok(request)
}

impl Socket {
    /// Ends the handshake (the server said `ready`): from now on a read waits `every` at
    /// most, then the owner thread looks at its outgoing queue again.
    pub(crate) fn poll_every(&self, every: Duration) {
        self.handshake.armed.store(false, Ordering::Release);
        self.tcp.set_read_timeout(Some(every)).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            base_url: "http://127.0.0.1:1".into(),
            tls: TlsSettings::default(),
            user_agent: "bosbase-test".into(),
            lang: "en-US".into(),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            net: crate::net::Net::new(Default::default(), "bosbase-test"),
        }
    }

    /// A token the header cannot carry fails the upgrade instead of dropping the header
    /// (which connected anonymously); a good one is sent.
    #[test]
    fn an_unsendable_token_fails_the_upgrade() {
        let url = "ws://127.0.0.1:1/api/pubsub";
        let request = upgrade_request(url, &target(), Some("tok.en")).unwrap();
        assert_eq!(request.headers()["Authorization"], "tok.en");
        assert!(upgrade_request(url, &target(), None).unwrap().headers().get("Authorization").is_none());
        for bad in ["a\r\nX-Evil: 1", "a\nb", "a\0b", "a\u{7f}"] {
            let err = upgrade_request(url, &target(), Some(bad)).unwrap_err();
            assert!(err.contains("Authorization") && !err.contains("Evil"), "{err}");
        }
    }
}

//! The pub/sub WebSocket: `GET {base}/api/pubsub` upgraded, over TCP or over TLS with the
//! client's own trust settings. The auth token goes in the `Authorization` header of the
//! upgrade request, never in the URL (where proxies and server logs would keep it).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

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

/// Opens the socket; `auth` is the token to send, if any. The handshake is bounded by the
/// connect timeout.
pub(crate) fn connect(target: &Target, auth: Option<&str>) -> Result<Socket> {
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
    let stream: Box<dyn Stream> = if secure {
        let config = tls::build_config(&target.tls)
            .map_err(|e| failed(ErrorKind::Tls, format!("no usable trust store: {}", tls::describe(&e))))?;
        let name =
            ServerName::try_from(host.clone()).map_err(|_| failed(ErrorKind::Tls, "invalid server name".into()))?;
        let mut conn =
            ClientConnection::new(Arc::clone(&config), name).map_err(|e| failed(ErrorKind::Tls, tls::describe(&e)))?;
        let mut sock = raw;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock).map_err(|e| {
                let why = tls::failure(&e).unwrap_or_else(|| format!("TLS handshake failed: {}", e.kind()));
                failed(ErrorKind::Tls, why)
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
    let mut request =
        ws_url.into_client_request().map_err(|_| failed(ErrorKind::InvalidArgument, "invalid base URL".into()))?;
    let headers = request.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = value.parse() {
            headers.insert(name, v);
        }
    };
    set("User-Agent", &target.user_agent);
    set("Accept-Language", &target.lang);
    if let Some(token) = auth {
        set("Authorization", token);
    }
    let (ws, _response) = tungstenite::client(request, stream).map_err(|e| match e {
        tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
            Error::from_response(&url, status, &body)
        }
        tungstenite::HandshakeError::Failure(e) => {
            failed(ErrorKind::Network, format!("WebSocket handshake failed: {e}"))
        }
        tungstenite::HandshakeError::Interrupted(_) => {
            failed(ErrorKind::Timeout, "WebSocket handshake timed out".into())
        }
    })?;
    Ok(Socket { ws, tcp })
}

impl Socket {
    /// How long a read waits before the owner thread looks at its outgoing queue again.
    pub(crate) fn poll_every(&self, every: Duration) {
        self.tcp.set_read_timeout(Some(every)).ok();
    }
}

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
    let request = upgrade_request(&ws_url, target, auth).map_err(|what| failed(ErrorKind::InvalidArgument, what))?;
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
    /// How long a read waits before the owner thread looks at its outgoing queue again.
    pub(crate) fn poll_every(&self, every: Duration) {
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

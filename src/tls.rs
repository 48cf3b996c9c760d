//! HTTPS: rustls with the *ring* provider, certificates checked by the platform's verifier
//! (its trust store, plus any extra CA the caller trusts), and TLS failures told apart from
//! other network errors.
//!
//! ureq's own rustls connector can trust either the platform or a fixed list of roots, not
//! both, so the client chains this connector after ureq's TCP connector instead.

use std::fmt;
use std::io;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{CertificateError, ClientConfig, ClientConnection, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use crate::{Error, Result};

/// How the client verifies servers. Built once per client; the rustls config is made on
/// the first HTTPS connection (loading the platform's roots costs milliseconds).
#[derive(Clone, Default)]
pub(crate) struct TlsSettings {
    /// Extra trusted roots (DER), on top of the platform's.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Development only: accept any certificate.
    pub accept_invalid_certs: bool,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("extra_roots", &self.extra_roots.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

/// Parses every certificate of a PEM text; refuses text holding none.
pub(crate) fn parse_pem(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::invalid_argument(format!("{what}: malformed PEM")))?;
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!("{what}: no CERTIFICATE block found")));
    }
    Ok(certs)
}

/// Wraps an `https` connection in TLS; passes `http` through untouched.
#[derive(Debug)]
pub(crate) struct TlsConnector {
    settings: TlsSettings,
    config: OnceLock<std::result::Result<Arc<ClientConfig>, String>>,
}

impl TlsConnector {
    pub(crate) fn new(settings: TlsSettings) -> Self {
        TlsConnector { settings, config: OnceLock::new() }
    }

    fn config(&self) -> std::result::Result<Arc<ClientConfig>, ureq::Error> {
        let built = self.config.get_or_init(|| build_config(&self.settings).map_err(|e| e.to_string()));
        built.clone().map_err(|e| tls_io_error(format!("no usable trust store: {e}")))
    }
}

pub(crate) fn build_config(settings: &TlsSettings) -> std::result::Result<Arc<ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider)).with_safe_default_protocol_versions()?;
    let verifier: Arc<dyn ServerCertVerifier> = if settings.accept_invalid_certs {
        Arc::new(AcceptAnyCertificate(provider))
    } else {
        Arc::new(platform_verifier(&settings.extra_roots, provider)?)
    };
    Ok(Arc::new(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth()))
}

/// The platform's trust store plus the client's extra roots (caPem/caFile).
#[cfg(not(target_os = "android"))]
fn platform_verifier(
    extra_roots: &[CertificateDer<'static>],
    provider: Arc<CryptoProvider>,
) -> std::result::Result<rustls_platform_verifier::Verifier, rustls::Error> {
    rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots.to_vec(), provider)
}

/// rustls-platform-verifier 0.6 takes no extra roots on Android: a client given caPem/caFile
/// there is refused (a TLS error naming why) rather than silently trusting less than asked.
#[cfg(target_os = "android")]
fn platform_verifier(
    extra_roots: &[CertificateDer<'static>],
    provider: Arc<CryptoProvider>,
) -> std::result::Result<rustls_platform_verifier::Verifier, rustls::Error> {
    if !extra_roots.is_empty() {
        return Err(rustls::Error::General("caPem/caFile are not supported on Android".into()));
    }
    rustls_platform_verifier::Verifier::new(provider)
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else { return Ok(None) };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned()).map_err(|_| tls_io_error("invalid server name".into()))?;
        let mut conn = ClientConnection::new(self.config()?, name).map_err(|e| tls_io_error(describe(&e)))?;
        let mut sock = TransportAdapter::new(transport.boxed(), Arc::clone(&details.current_time));
        sock.set_timeout(details.timeout);
        while conn.is_handshaking() {
            conn.complete_io(&mut sock).map_err(|e| match e.kind() {
                // Typically a plain-HTTP server that gave up on our ClientHello.
                io::ErrorKind::UnexpectedEof => tls_io_error(
                    "TLS handshake failed: the server closed the connection (is it serving HTTPS on this port?)".into(),
                ),
                _ => io_error(e),
            })?;
        }
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TlsTransport { buffers, stream: StreamOwned { conn, sock } })))
    }
}

/// A TLS connection as a ureq transport.
pub(crate) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> std::result::Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        io::Write::write_all(&mut self.stream, output).map_err(io_error)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = io::Read::read(&mut self.stream, input).map_err(io_error)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// A TLS failure, carried inside an `io::Error` through ureq back to [`failure`].
#[derive(Debug)]
struct TlsFailure(String);

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsFailure {}

fn tls_io_error(message: String) -> ureq::Error {
    ureq::Error::Io(io::Error::other(TlsFailure(message)))
}

/// rustls reports TLS failures as an `io::Error` wrapping a `rustls::Error`; timeouts
/// and resets from the socket below pass through unchanged.
fn io_error(e: io::Error) -> ureq::Error {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(tls) => tls_io_error(describe(tls)),
        None => match e.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()) {
            Some(ureq::Error::Timeout(t)) => ureq::Error::Timeout(*t),
            _ => ureq::Error::Io(e),
        },
    }
}

/// The TLS message of an I/O error that came from this module, if it did.
pub(crate) fn failure(e: &io::Error) -> Option<String> {
    let inner = e.get_ref()?;
    if let Some(TlsFailure(m)) = inner.downcast_ref::<TlsFailure>() {
        return Some(m.clone());
    }
    inner.downcast_ref::<rustls::Error>().map(describe)
}

/// Says what failed in words a caller can act on; never includes certificate contents.
pub(crate) fn describe(e: &rustls::Error) -> String {
    let cert = |what: &str| format!("certificate verification failed: {what}");
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => {
                cert("unknown issuer (not signed by a trusted CA; pass the CA with caPem/caFile)")
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                cert("name mismatch (the certificate does not cover this host name)")
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => cert("expired"),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => cert("not valid yet"),
            CertificateError::Revoked => cert("revoked"),
            CertificateError::BadSignature => cert("bad signature"),
            CertificateError::BadEncoding => cert("malformed certificate"),
            other => cert(&format!("{other:?}")),
        },
        rustls::Error::AlertReceived(alert) => format!("TLS handshake failed: the server sent alert {alert:?}"),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "TLS handshake failed: the server did not speak TLS".to_owned()
        }
        other => format!("TLS failed: {other}"),
    }
}

/// Development only (`danger_accept_invalid_certs`): checks signatures, trusts any certificate.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_parsing_refuses_garbage_and_empty_text() {
        assert!(parse_pem(b"not pem", "caPem").is_err());
        assert!(parse_pem(b"", "caPem").is_err());
        let bad = b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        assert!(parse_pem(bad, "caPem").is_err());
    }

    #[test]
    fn messages_name_the_failure() {
        let e = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(describe(&e).contains("unknown issuer"));
        let e = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert!(describe(&e).contains("name mismatch"));
        let e = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert!(describe(&e).contains("expired"));
        let wrapped =
            io::Error::new(io::ErrorKind::InvalidData, rustls::Error::InvalidCertificate(CertificateError::Expired));
        assert!(failure(&wrapped).unwrap().contains("expired"));
        assert!(failure(&io::Error::other("plain")).is_none());
    }
}

//! A TLS server on 127.0.0.1 for HTTPS tests, with a CA generated at run time (nothing
//! committed). It answers every request with `200 {"code":200,"message":"API is healthy."}`:
//! a canned answer, for TLS handshake and verification tests only, never a BosBase mock.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The canned body.
pub const BODY: &str = r#"{"code":200,"message":"API is healthy.","data":{}}"#;

/// A running TLS server and the CA that signed its certificate.
pub struct TlsServer {
    /// `https://127.0.0.1:PORT` (the certificate covers the IP 127.0.0.1 only).
    pub url: String,
    /// The same server by a name the certificate does not cover: `https://localhost:PORT`.
    pub wrong_host_url: String,
    /// PEM of the CA that signed the server's certificate.
    pub ca_pem: String,
}

/// Starts a server whose certificate is valid (or expired when `expired`).
pub fn serve(expired: bool) -> TlsServer {
    let (config, ca_pem) = certified(&["127.0.0.1"], expired);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            thread::spawn(move || handle(stream, config));
        }
    });
    TlsServer { url: format!("https://127.0.0.1:{port}"), wrong_host_url: format!("https://localhost:{port}"), ca_pem }
}

/// A server configuration whose certificate covers `names` (DNS names or IP addresses),
/// signed by a CA generated now; returns it and the CA's PEM.
pub fn certified(names: &[&str], expired: bool) -> (Arc<ServerConfig>, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "BosBase test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut leaf_params = CertificateParams::new(names.clone()).unwrap();
    leaf_params.distinguished_name.push(DnType::CommonName, names[0].as_str());
    if expired {
        leaf_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        leaf_params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();

    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    (Arc::new(config), ca.pem())
}

fn handle(stream: TcpStream, config: Arc<ServerConfig>) {
    let Ok(conn) = ServerConnection::new(config) else { return };
    let mut reader = BufReader::new(StreamOwned::new(conn, stream));
    loop {
        let mut content_length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            // A failed handshake (the client refused our certificate) ends here too.
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                content_length = v.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", BODY.len());
        let out = reader.get_mut();
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(BODY.as_bytes()))
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
        }
    }
}

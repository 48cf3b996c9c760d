//! A loopback front for the dev server, as production puts a load balancer before it: the
//! dev server answers every request (this is no mock), the front only carries the bytes.
//! - [`plain`] listens on another address (e.g. `[::1]`, where the dev server does not)
//!   and copies bytes both ways unchanged;
//! - [`tls`] terminates TLS with a certificate for `localhost`, `127.0.0.1` and `::1` signed
//!   by a CA generated now, and forwards one request per connection, sent upstream with
//!   `Connection: close` so the answer ends with the connection.
//!
//! Bounded: accepts for [`LIFETIME`] and at most 200 connections, every read gives up
//! after 30 s idle.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::{ServerConnection, StreamOwned};

/// How long a front accepts connections.
pub const LIFETIME: Duration = Duration::from_secs(60);
const IDLE: Duration = Duration::from_secs(30);

pub struct Front {
    pub port: u16,
    /// PEM of the CA of a TLS front's certificate.
    pub ca_pem: String,
    accepted: Arc<AtomicUsize>,
}

impl Front {
    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// The dev server's `host:port`.
fn upstream() -> String {
    super::url().trim_start_matches("http://").trim_end_matches('/').to_owned()
}

/// A plain front on `bind` (`[::1]:0`, …); `None` when that address cannot be bound here.
pub fn plain(bind: &str) -> Option<Front> {
    let listener = TcpListener::bind(bind).ok()?;
    let upstream = upstream();
    Some(accept(listener, String::new(), move |client| {
        let server = TcpStream::connect(&upstream)?;
        server.set_read_timeout(Some(IDLE))?;
        let (mut c2, mut s2) = (client.try_clone()?, server.try_clone()?);
        let up = thread::spawn(move || pump(&mut c2, &mut s2));
        pump(&mut { server }, &mut { client });
        let _ = up.join();
        Ok(())
    }))
}

/// A TLS front on 127.0.0.1 (reach it as `https://localhost:PORT`).
pub fn tls() -> Front {
    let (config, ca_pem) = super::tls::certified(&["localhost", "127.0.0.1", "::1"], false);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = upstream();
    accept(listener, ca_pem, move |client| {
        let conn = ServerConnection::new(Arc::clone(&config)).map_err(io::Error::other)?;
        let mut tls = BufReader::new(StreamOwned::new(conn, client));
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if tls.read_line(&mut line)? == 0 {
                return Ok(()); // a refused handshake or a client that left
            }
            let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
            if name == "content-length" {
                length = line.split_once(':').map_or(0, |(_, v)| v.trim().parse().unwrap_or(0));
            }
            if line == "\r\n" {
                head.push_str("Connection: close\r\n\r\n");
                break;
            }
            if name != "connection" {
                head.push_str(&line);
            }
        }
        let mut body = vec![0; length];
        tls.read_exact(&mut body)?;
        let mut server = TcpStream::connect(&upstream)?;
        server.set_read_timeout(Some(IDLE))?;
        server.write_all(head.as_bytes())?;
        server.write_all(&body)?;
        let out = tls.get_mut();
        io::copy(&mut server, out)?;
        out.conn.send_close_notify();
        out.flush()
    })
}

/// Accepts on `listener` for [`LIFETIME`], running `each` on a thread per connection.
fn accept(
    listener: TcpListener,
    ca_pem: String,
    each: impl Fn(TcpStream) -> io::Result<()> + Send + Sync + 'static,
) -> Front {
    let port = listener.local_addr().map(|a: SocketAddr| a.port()).unwrap();
    listener.set_nonblocking(true).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let each = Arc::new(each);
    thread::spawn(move || {
        let until = Instant::now() + LIFETIME;
        while Instant::now() < until && counter.load(Ordering::SeqCst) < 200 {
            match listener.accept() {
                Ok((stream, _)) => {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let each = Arc::clone(&each);
                    thread::spawn(move || {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(IDLE));
                        let _ = each(stream);
                    });
                }
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Front { port, ca_pem, accepted }
}

/// Copies `from` to `to` until either side ends, then shuts both down.
fn pump(from: &mut TcpStream, to: &mut TcpStream) {
    let _ = io::copy(from, to);
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

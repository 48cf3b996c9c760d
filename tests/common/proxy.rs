//! A small HTTP `CONNECT` proxy on 127.0.0.1 for the proxy tests. It opens tunnels to
//! loopback targets only, counts them (so a test proves its traffic went through it), and
//! records each CONNECT's target and `Proxy-Authorization`. Bounded: at most 200
//! connections, every read gives up after 30 s idle, and it lives until the process ends.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How the proxy answers a CONNECT.
#[derive(Clone)]
pub enum Mode {
    /// Opens every tunnel.
    Open,
    /// Opens tunnels only for this exact `Proxy-Authorization` value; 407 otherwise.
    Auth(String),
    /// Refuses every CONNECT with this status line tail (e.g. "403 Forbidden").
    Refuse(&'static str),
}

/// What one CONNECT asked for.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `host:port` of the request line.
    pub target: String,
    pub authorization: Option<String>,
}

pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub address: String,
    tunnels: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Tunnels opened so far.
    pub fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }

    /// Every CONNECT received so far, opened or refused.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

const IDLE: Duration = Duration::from_secs(30);

pub fn serve(mode: Mode) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (count, log) = (Arc::clone(&tunnels), Arc::clone(&seen));
    thread::spawn(move || {
        for client in listener.incoming().take(200).flatten() {
            let (mode, count, log) = (mode.clone(), Arc::clone(&count), Arc::clone(&log));
            thread::spawn(move || {
                let _ = handle(client, &mode, &count, &log);
            });
        }
    });
    Proxy { url: format!("http://{address}"), address, tunnels, seen }
}

fn handle(mut client: TcpStream, mode: &Mode, count: &AtomicUsize, log: &Mutex<Vec<Seen>>) -> io::Result<()> {
    client.set_read_timeout(Some(IDLE))?;
    let head = read_head(&mut client)?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, v)| v.trim().to_owned());
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default().to_owned());
    log.lock().unwrap().push(Seen { target: target.clone(), authorization: authorization.clone() });
    let answer = |client: &mut TcpStream, status: &str| {
        client.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
    };
    if method != "CONNECT" {
        return answer(&mut client, "405 Method Not Allowed");
    }
    match mode {
        Mode::Refuse(status) => return answer(&mut client, status),
        Mode::Auth(expected) if authorization.as_deref() != Some(expected.as_str()) => {
            return answer(&mut client, "407 Proxy Authentication Required");
        }
        _ => {}
    }
    let loopback = ["127.0.0.1:", "localhost:", "[::1]:"].iter().any(|p| target.starts_with(p));
    if !loopback {
        return answer(&mut client, "403 Forbidden");
    }
    let Ok(server) = TcpStream::connect(&target) else {
        return answer(&mut client, "502 Bad Gateway");
    };
    server.set_read_timeout(Some(IDLE))?;
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    count.fetch_add(1, Ordering::SeqCst);
    let (mut c2, mut s2) = (client.try_clone()?, server.try_clone()?);
    let up = thread::spawn(move || pump(&mut c2, &mut s2));
    pump(&mut { server }, &mut { client });
    let _ = up.join();
    Ok(())
}

/// Copies `from` to `to` until either side ends, then shuts both down.
fn pump(from: &mut TcpStream, to: &mut TcpStream) {
    let _ = io::copy(from, to);
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// Reads a request head byte by byte (nothing after it is consumed).
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 || head.len() > 16 * 1024 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

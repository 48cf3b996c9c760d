//! A scripted fault server for retries: each request, on whatever connection it comes,
//! gets the next step of a script (the last step repeats), and every request is recorded.
//! Fault injection only, as `canned.rs`: behaviour tests run against the dev server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Step {
    /// Answer with this status line tail (e.g. "503 Service Unavailable"), extra header
    /// lines (e.g. "Retry-After: 1") and body; the connection is kept alive.
    Answer(&'static str, &'static [&'static str], &'static str),
    /// Read the request and close the connection (FIN) without a byte of answer.
    Close,
    /// Read the request and reset the connection (RST) without a byte of answer.
    Reset,
    /// Send the first bytes of an answer's head, then reset the connection.
    PartialHead,
    /// Send a 200 head announcing 100 body bytes, 10 of them, then close.
    PartialBody,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub at: Instant,
    /// Which TCP connection (1 = the first accepted).
    pub connection: usize,
}

/// A running scripted server.
pub struct Script {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Script {
    /// Every request served so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests were served.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// Starts a server on a free loopback port running `steps` in order (the last repeats).
/// It stops accepting after 60 s or 1,000 connections, whichever comes first.
pub fn serve(steps: Vec<Step>) -> Script {
    assert!(!steps.is_empty());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = (Arc::clone(&seen), Arc::new(steps));
    let started = Instant::now();
    thread::spawn(move || {
        for (n, stream) in listener.incoming().take(1000).enumerate() {
            if started.elapsed() > Duration::from_secs(60) {
                return;
            }
            let Ok(stream) = stream else { continue };
            let (seen, steps) = (Arc::clone(&state.0), Arc::clone(&state.1));
            thread::spawn(move || handle(stream, n + 1, &seen, &steps));
        }
    });
    Script { url, seen }
}

fn handle(stream: TcpStream, connection: usize, seen: &Mutex<Vec<Seen>>, steps: &[Step]) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut content_length = 0u64;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some((name, value)) = line.trim_end().split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
            if line == "\r\n" {
                break;
            }
        }
        if std::io::copy(&mut (&mut reader).take(content_length), &mut std::io::sink()).ok() != Some(content_length) {
            return;
        }
        let step = {
            let mut seen = seen.lock().unwrap();
            let mut parts = request_line.split(' ');
            let (method, target) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
            seen.push(Seen { method, target, at: Instant::now(), connection });
            steps[(seen.len() - 1).min(steps.len() - 1)].clone()
        };
        let stream = reader.get_mut();
        match step {
            Step::Answer(status, headers, body) => {
                let mut head = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\n");
                for h in headers {
                    head.push_str(h);
                    head.push_str("\r\n");
                }
                head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
            }
            Step::Close => return,
            Step::Reset => return reset(stream),
            Step::PartialHead => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-");
                let _ = stream.flush();
                thread::sleep(Duration::from_millis(50));
                return reset(stream);
            }
            Step::PartialBody => {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"items\":");
                return;
            }
        }
    }
}

/// Closes with an RST (SO_LINGER 0), as a crashed or overloaded server's kernel would.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

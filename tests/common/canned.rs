//! A canned-response HTTP server for fault injection only (timeouts, garbage, 5xx, limits,
//! what reached the wire). It is not a BosBase mock: every behaviour test runs against the
//! dev server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// What the server does with each request.
#[derive(Clone)]
pub enum Reply {
    /// Answer with this status line tail (e.g. "200 OK") and body.
    With(&'static str, &'static str),
    /// Answer with this status line tail and raw body bytes (e.g. not UTF-8, or huge).
    Bytes(&'static str, Arc<Vec<u8>>),
    /// Read the request, then say nothing for this long.
    Hang(Duration),
    /// Read the request, wait this long, then answer 200 with this body.
    Slow(Duration, &'static str),
    /// Accept the connection and never read from it (a client sending a large body stalls).
    NeverRead,
    /// Answer 200 with a 100-byte body announced, sent one byte per second.
    Drip,
    /// Answer 200 with `{"method", "target", "headers": {lowercased name: value}}`.
    Echo,
    /// Close the connection without answering.
    Close,
    /// Read the head and this many body bytes, then meet the test at the barrier twice
    /// (it has read that much; the test did what it wanted meanwhile), then read the rest
    /// of the body and answer 200 `{}` (a client that gives up just closes).
    PausedRead(usize, Arc<std::sync::Barrier>),
}

/// Starts the server on a free port; returns its base URL. It lives until the process ends.
pub fn serve(reply: Reply) -> String {
    serve_counted(reply).0
}

/// Like [`serve`], also counting the TCP connections accepted (connection-reuse checks).
pub fn serve_counted(reply: Reply) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            let _ = stream.set_nodelay(true);
            thread::spawn(move || handle(stream, reply));
        }
    });
    (url, accepted)
}

fn handle(stream: TcpStream, reply: Reply) {
    if let Reply::NeverRead = reply {
        thread::sleep(Duration::from_secs(60));
        return;
    }
    let mut reader = BufReader::new(stream);
    loop {
        let mut content_length = 0usize;
        let mut line = String::new();
        let mut request_line = String::new();
        let mut headers = serde_json::Map::new();
        // Request line + headers.
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if request_line.is_empty() {
                request_line = line.trim_end().to_owned();
                continue;
            }
            if let Some((name, value)) = line.trim_end().split_once(':') {
                let name = name.trim().to_ascii_lowercase();
                if name == "content-length" {
                    content_length = value.trim().parse().unwrap_or(0);
                }
                headers.insert(name, value.trim().into());
            }
            if line == "\r\n" {
                break;
            }
        }
        if let Reply::PausedRead(first, barrier) = &reply {
            let mut first_bytes = vec![0; (*first).min(content_length)];
            let read = reader.read_exact(&mut first_bytes).is_ok();
            barrier.wait();
            barrier.wait();
            let rest = (content_length - first_bytes.len()) as u64;
            if !read || std::io::copy(&mut (&mut reader).take(rest), &mut std::io::sink()).ok() != Some(rest) {
                return;
            }
            let _ = reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
            continue;
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let stream = reader.get_mut();
        let (status, body): (&str, Vec<u8>) = match &reply {
            Reply::With(status, body) => (status, body.as_bytes().to_vec()),
            Reply::Slow(delay, body) => {
                thread::sleep(*delay);
                ("200 OK", body.as_bytes().to_vec())
            }
            Reply::Bytes(status, body) => (status, body.to_vec()),
            Reply::Echo => {
                let mut parts = request_line.split(' ');
                let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let echo = serde_json::json!({"method": method, "target": target, "headers": headers});
                ("200 OK", echo.to_string().into_bytes())
            }
            Reply::Drip => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..100 {
                    thread::sleep(Duration::from_secs(1));
                    if stream.write_all(b" ").is_err() {
                        return;
                    }
                }
                continue;
            }
            Reply::Hang(d) => {
                thread::sleep(*d);
                return;
            }
            Reply::Close | Reply::NeverRead | Reply::PausedRead(..) => return,
        };
        let head =
            format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
        if stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body)).is_err() {
            return;
        }
    }
}

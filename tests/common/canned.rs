//! A canned-response HTTP server for fault injection only (timeouts, garbage, 5xx).
//! It is not a BosBase mock: every behaviour test runs against the dev server.

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
    /// Read the request, then say nothing for this long.
    Hang(Duration),
    /// Close the connection without answering.
    Close,
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
    let mut reader = BufReader::new(stream);
    loop {
        let mut content_length = 0usize;
        let mut line = String::new();
        // Request line + headers.
        loop {
            line.clear();
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
        let stream = reader.get_mut();
        match &reply {
            Reply::With(status, body) => {
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes())).is_err() {
                    return;
                }
            }
            Reply::Hang(d) => {
                thread::sleep(*d);
                return;
            }
            Reply::Close => return,
        }
    }
}

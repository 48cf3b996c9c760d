//! A canned-response HTTP server for fault injection only (timeouts, garbage, 5xx).
//! It is not a BosBase mock: every behaviour test runs against the dev server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
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

/// Starts the server on a free port; returns its base URL. It lives until the test process ends.
pub fn serve(reply: Reply) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let reply = reply.clone();
            thread::spawn(move || handle(stream, reply));
        }
    });
    url
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

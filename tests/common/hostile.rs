//! Hostile stream servers on 127.0.0.1 for the bounds tests (`hostile_streams.rs`): a
//! WebSocket server and an event-stream (SSE) server that flap, drip, flood and lie. Each
//! accepts for [`LIFETIME`] at most, then stops by itself; every connection's script ends on
//! its own too (a write to a client that left fails, a sleep is bounded).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tungstenite::{Message, WebSocket};

/// How long a hostile server accepts connections.
pub const LIFETIME: Duration = Duration::from_secs(30);

/// A running server: its base URL and the connections (or requests) it counted.
pub struct Hostile {
    pub url: String,
    /// TCP connections accepted (WebSocket, raw) or stream GETs (SSE).
    pub accepted: Arc<AtomicUsize>,
    /// Subscription POSTs (SSE only).
    pub posts: Arc<AtomicUsize>,
}

impl Hostile {
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn posts(&self) -> usize {
        self.posts.load(Ordering::SeqCst)
    }
}

/// Accepts on a loopback port for [`LIFETIME`], running `each(n, stream)` on a thread per
/// connection (n counts from 0).
fn accept(each: impl Fn(usize, TcpStream) + Send + Sync + 'static) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let each = Arc::new(each);
    thread::spawn(move || {
        let until = Instant::now() + LIFETIME;
        while Instant::now() < until {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    let _ = stream.set_nodelay(true);
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let each = Arc::clone(&each);
                    thread::spawn(move || each(n, stream));
                }
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    Hostile { url, accepted, posts: Arc::default() }
}

/// A raw TCP server: `each(n, stream)` does whatever it likes with the bytes.
pub fn raw(each: impl Fn(usize, TcpStream) + Send + Sync + 'static) -> Hostile {
    accept(each)
}

/// A WebSocket server: the upgrade is accepted, then `each(n, ws)` plays the frames.
pub fn websocket(each: impl Fn(usize, &mut WebSocket<TcpStream>) + Send + Sync + 'static) -> Hostile {
    accept(move |n, stream| {
        let _ = stream.set_read_timeout(Some(LIFETIME));
        if let Ok(mut ws) = tungstenite::accept(stream) {
            each(n, &mut ws);
        }
    })
}

/// Sends a JSON text frame; false once the client is gone.
pub fn send(ws: &mut WebSocket<TcpStream>, frame: serde_json::Value) -> bool {
    ws.send(Message::text(frame.to_string())).is_ok()
}

/// The next text frame as JSON (None once the connection ended).
pub fn next(ws: &mut WebSocket<TcpStream>) -> Option<serde_json::Value> {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Writes `bytes` one at a time, `every` apart, until done or the client left.
pub fn drip(stream: &mut TcpStream, bytes: &[u8], every: Duration) {
    for b in bytes {
        if stream.write_all(&[*b]).is_err() {
            return;
        }
        thread::sleep(every);
    }
}

/// Reads an HTTP request head (and its body); returns (request line, head text) or None.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String)> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let (mut head, mut length) = (String::new(), 0usize);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((request_line.trim_end().to_owned(), head))
}

/// An event-stream server playing `/api/realtime`: each GET gets `PB_CONNECT` with clientId
/// `c<n>`, then `stream(n, socket)` writes the rest; each POST (the subscription set) is
/// answered with `post_status` (e.g. "204 No Content", "403 Forbidden").
pub fn sse(post_status: &'static str, stream: impl Fn(usize, &mut TcpStream) + Send + Sync + 'static) -> Hostile {
    let posts = Arc::new(AtomicUsize::new(0));
    let gets = Arc::new(AtomicUsize::new(0));
    let (p, g) = (Arc::clone(&posts), Arc::clone(&gets));
    let mut server = accept(move |_, socket| {
        let mut reader = BufReader::new(socket.try_clone().unwrap());
        let mut socket = socket;
        while let Some((request_line, _)) = read_request(&mut reader) {
            if request_line.starts_with("POST") {
                p.fetch_add(1, Ordering::SeqCst);
                let body = format!("{{\"status\":{},\"message\":\"refused\",\"data\":{{}}}}", &post_status[..3]);
                let answer = match post_status.starts_with("204") {
                    true => "HTTP/1.1 204 No Content\r\n\r\n".to_owned(),
                    false => format!(
                        "HTTP/1.1 {post_status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    ),
                };
                if socket.write_all(answer.as_bytes()).is_err() {
                    return;
                }
                continue;
            }
            let n = g.fetch_add(1, Ordering::SeqCst);
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
            let connect = format!("id:c{n}\r\nevent:PB_CONNECT\r\ndata:{{\"clientId\":\"c{n}\"}}\r\n\r\n");
            if socket.write_all(head.as_bytes()).and_then(|()| socket.write_all(connect.as_bytes())).is_ok() {
                stream(n, &mut socket);
            }
            return;
        }
    });
    server.accepted = gets;
    server.posts = posts;
    server
}

/// One server-sent event.
pub fn event(name: &str, data: &str) -> Vec<u8> {
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

/// Keeps an event stream open with comments every 50 ms for at most `for_`, until the client left.
pub fn hold(socket: &mut TcpStream, for_: Duration) {
    let until = Instant::now() + for_;
    while Instant::now() < until {
        if socket.write_all(b": ping\n\n").is_err() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `cond` holds, at most `limit`; returns whether it did.
pub fn eventually(limit: Duration, cond: impl Fn() -> bool) -> bool {
    let until = Instant::now() + limit;
    while !cond() {
        if Instant::now() >= until {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
    true
}

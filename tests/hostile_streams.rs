//! Realtime and pub/sub against hostile servers on 127.0.0.1 (`common::hostile`): servers
//! that flap, drip, flood and lie. Each test checks one bound that used to escape: the
//! reconnect backoff, the handshake deadline and a prompt close, the `connected` state,
//! the queues' byte bound and the dispatch list. No dev server needed; a few seconds each.

mod common;

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bosbase::{BosBase, ConnectionState, ErrorKind, RealtimeEvent, SubscribeOptions};
use common::hostile::{self, drip, event, eventually, hold, next, send};
use serde_json::{json, Value};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;

/// Large events for the byte bound: 24 of 2 MiB each in memory (48 MiB in all; the count
/// bound alone would queue every one of them). Each is an array of 65,536 zeros: 128 KiB of
/// JSON, 2 MiB once parsed (a `Value` per element), so the test stays fast in debug builds.
const BIG_EVENTS: usize = 24;
const BIG: usize = 2 << 20;
/// How long a flood may take to arrive (seconds alone; more on a loaded machine).
const WAIT: Duration = Duration::from_secs(20);

/// A pub/sub server that accepts, says `ready`, and drops the connection, each time a little
/// differently: at once, after a normal close, after an odd close code, after acknowledging
/// the subscription and sending a message. Before: 2,300–3,700 upgrades in 3 s (the wait was
/// skipped after any session that reached `ready`). Now the backoff (100–200 ms, doubling)
/// is never skipped and only starts over after a connection stayed up 5 s.
#[test]
fn pubsub_a_flapping_server_is_retried_with_backoff() {
    let server = hostile::websocket(|n, ws| {
        send(ws, json!({"type": "ready"}));
        match n % 4 {
            0 => {}
            1 => drop(ws.close(None)),
            2 => drop(ws.close(Some(CloseFrame { code: CloseCode::from(4999), reason: "odd".into() }))),
            _ => {
                if let Some(sub) = next(ws) {
                    send(ws, json!({"type": "subscribed", "requestId": sub["requestId"]}));
                    send(ws, json!({"type": "message", "topic": "t", "id": "m", "created": "", "data": 1}));
                }
                let _ = ws.close(Some(CloseFrame { code: CloseCode::Error, reason: "".into() }));
            }
        }
        let _ = ws.flush();
    });
    let pb = BosBase::new(&server.url);
    let _sub = pb.pubsub().subscribe("t", |_| {}).unwrap();
    thread::sleep(Duration::from_secs(3));
    let upgrades = server.accepted();
    pb.close();
    // 0, then waits of at least 100, 200, 400, 800, 1600 ms: at most 5 in 3 s.
    assert!((2..=6).contains(&upgrades), "{upgrades} connections in 3 s");
}

/// A pub/sub server that drips its handshake one byte every 200 ms (the HTTP upgrade
/// answer, or the `ready` frame after a prompt upgrade). Before: each read had its own
/// timeout, so one connection hung for the whole drip (minutes), and `close` waited behind
/// it. Now TCP + upgrade + `ready` share one deadline (the connect timeout, here 1 s), and
/// `close` interrupts a handshake at once.
#[test]
fn pubsub_a_dripping_handshake_has_one_deadline_and_close_interrupts_it() {
    let server = hostile::raw(|n, mut stream: TcpStream| {
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let Some((_, head)) = hostile::read_request(&mut reader) else { return };
        let key = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-key")))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default();
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        let every = Duration::from_millis(200);
        if n % 2 == 0 {
            drip(&mut stream, answer.as_bytes(), every);
        } else {
            use std::io::Write;
            let ready = br#"{"type":"ready"}"#;
            let mut frame = vec![0x81, ready.len() as u8];
            frame.extend_from_slice(ready);
            if stream.write_all(answer.as_bytes()).is_ok() {
                drip(&mut stream, &frame, every);
            }
        }
    });
    let pb = BosBase::builder(&server.url).connect_timeout(Duration::from_secs(1)).build().unwrap();
    let _sub = pb.pubsub().subscribe("t", |_| {}).unwrap();
    // Each connection is given up at 1 s: by 3 s the client tried at least three times.
    assert!(eventually(Duration::from_secs(3), || server.accepted() >= 3), "{} connections", server.accepted());
    // Close while a handshake is dripping.
    let before = server.accepted();
    assert!(eventually(Duration::from_secs(3), || server.accepted() > before));
    thread::sleep(Duration::from_millis(100));
    let (done_tx, done_rx) = mpsc::channel();
    let closing = pb.clone();
    thread::spawn(move || {
        let started = Instant::now();
        closing.close();
        let _ = done_tx.send(started.elapsed());
    });
    let took = done_rx.recv_timeout(Duration::from_secs(2)).expect("close returned within 2 s");
    assert!(took < Duration::from_millis(1500), "close took {took:?}");
}

/// A realtime server that opens streams but refuses every subscription POST. Before: the
/// stream reported `connected` anyway and reset the backoff: 54–84 state changes and ~50
/// POSTs in 8 s. Now it is not connected until a POST is accepted, retries back off
/// (125–250 ms doubling), and `wait_ready` reports the refusal.
fn realtime_refused(status: &'static str, code: u16) {
    let server = hostile::sse(status, |_, socket| hold(socket, Duration::from_secs(5)));
    let pb = BosBase::builder(&server.url).timeout(Duration::from_millis(1500)).build().unwrap();
    let states = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&states);
    pb.realtime().on_state(move |state: &ConnectionState| s.lock().unwrap().push(state.clone())).unwrap();
    let started = Instant::now();
    let sub =
        pb.realtime().subscribe_nowait("t", &SubscribeOptions::default(), Arc::new(|_: &RealtimeEvent| {})).unwrap();
    let err = sub.wait_ready(Duration::from_millis(1500)).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, code), "{err}");
    thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    let (posts, states) = (server.posts(), states.lock().unwrap().clone());
    pb.close();
    assert!(states.is_empty(), "never connected, so no state change: {states:?}");
    // 0, then waits of at least 125, 250, 500, 1000 ms: at most 5 POSTs in 3 s.
    assert!((2..=6).contains(&posts), "{posts} subscription POSTs ({} streams) in 3 s", server.accepted());
}

#[test]
fn realtime_a_refused_subscription_post_403_is_never_connected_and_backs_off() {
    realtime_refused("403 Forbidden", 403);
}

#[test]
fn realtime_a_refused_subscription_post_500_is_never_connected_and_backs_off() {
    realtime_refused("500 Internal Server Error", 500);
}

/// Lets a stuck callback go when dropped (so a failed assertion cannot leave the test
/// waiting for it in unsubscribe).
struct Release(Arc<AtomicBool>);

impl Release {
    fn new() -> Self {
        Release(Arc::new(AtomicBool::new(false)))
    }

    fn now(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        self.now();
    }
}

/// The first message blocks until `release` is set; returns (callback, messages seen).
#[allow(clippy::type_complexity)]
fn stuck_until(release: &Release) -> (Arc<dyn Fn(Option<u64>) + Send + Sync>, Arc<Mutex<Vec<u64>>>) {
    let release = &release.0;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, r) = (Arc::clone(&seen), Arc::clone(release));
    let callback = Arc::new(move |n: Option<u64>| {
        let Some(n) = n else { return };
        if s.lock().unwrap().is_empty() {
            while !r.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(5));
            }
        }
        s.lock().unwrap().push(n);
    });
    (callback, seen)
}

fn big(n: usize) -> String {
    json!({"n": n, "pad": vec![0; BIG / std::mem::size_of::<Value>()]}).to_string()
}

/// A realtime server floods 24 events of 2 MiB (in memory) at a stuck callback. Before: all 24 were
/// queued (the bound was 1,024 events: 80 events of 15 MB held 1.29 GB). Now the queue
/// holds 16 MiB at most: the oldest events are dropped and counted, the newest arrive.
#[test]
fn realtime_a_flood_of_big_events_is_bounded_in_bytes() {
    let server = hostile::sse("204 No Content", move |_, socket| {
        use std::io::Write;
        let all: Vec<u8> = (0..BIG_EVENTS).flat_map(|n| event("t", &big(n))).collect();
        if socket.write_all(&all).is_ok() {
            hold(socket, Duration::from_secs(20));
        }
    });
    let pb = BosBase::new(&server.url);
    let release = Release::new();
    let (callback, seen) = stuck_until(&release);
    let sub = pb
        .realtime()
        .subscribe("t", SubscribeOptions::default(), move |e: &RealtimeEvent| {
            callback(e.to_json()["data"]["n"].as_u64());
        })
        .wait()
        .unwrap();
    let release = release; // dropped before `sub`: a failed assertion lets the callback go
                           // Everything received: one event in the callback, the rest queued or dropped.
    let all_in = || pb.realtime().backlog().0 as u64 + sub.dropped() + 1 >= BIG_EVENTS as u64;
    assert!(eventually(WAIT, all_in), "{:?} dropped {}", pb.realtime().backlog(), sub.dropped());
    let (_, bytes) = pb.realtime().backlog();
    assert!(bytes <= bosbase::QUEUE_MAX_BYTES + BIG, "{bytes} bytes queued");
    assert!(sub.dropped() >= 12, "dropped {}", sub.dropped());
    release.now();
    let last = BIG_EVENTS as u64 - 1;
    assert!(eventually(WAIT, || seen.lock().unwrap().last() == Some(&last)));
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    // 16 MiB hold 7 events of 2 MiB (plus the one in the callback).
    assert!(seen.len() <= 9, "{seen:?}");
    assert_eq!(seen.len() as u64 + sub.dropped(), BIG_EVENTS as u64);
    pb.close();
}

/// The same flood over pub/sub. Before: 40 messages of 15 MB held 680 MB. Now the queue's
/// bytes stay under 16 MiB (plus the newest message) while the callback is stuck.
#[test]
fn pubsub_a_flood_of_big_messages_is_bounded_in_bytes() {
    let server = hostile::websocket(|_, ws| {
        send(ws, json!({"type": "ready"}));
        let Some(sub) = next(ws) else { return };
        send(ws, json!({"type": "subscribed", "requestId": sub["requestId"]}));
        for n in 0..BIG_EVENTS {
            let data: Value = serde_json::from_str(&big(n)).unwrap();
            if !send(ws, json!({"type": "message", "topic": "t", "id": n, "created": "", "data": data})) {
                return;
            }
        }
        while next(ws).is_some() {}
    });
    let pb = BosBase::new(&server.url);
    let release = Release::new();
    let (callback, seen) = stuck_until(&release);
    let sub = pb.pubsub().subscribe("t", move |e| callback(e["data"]["n"].as_u64())).unwrap();
    let release = release; // dropped before `sub`: a failed assertion lets the callback go
    let all_in = || pb.pubsub().backlog().0 as u64 + sub.dropped() + 1 >= BIG_EVENTS as u64;
    assert!(eventually(WAIT, all_in), "{:?} dropped {}", pb.pubsub().backlog(), sub.dropped());
    let (_, bytes, _) = pb.pubsub().backlog();
    assert!(bytes <= bosbase::QUEUE_MAX_BYTES + BIG, "{bytes} bytes queued");
    assert!(sub.dropped() >= 12, "dropped {}", sub.dropped());
    release.now();
    let last = BIG_EVENTS as u64 - 1;
    assert!(eventually(WAIT, || seen.lock().unwrap().last() == Some(&last)));
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    assert_eq!(seen.len() as u64 + sub.dropped(), BIG_EVENTS as u64);
    pb.close();
}

/// A pub/sub server floods 20,000 small messages at a stuck callback. Before: the dispatch
/// list gained an entry per message received, dropped ones included (unbounded over a long
/// flood). Now each subscription is in it at most once.
#[test]
fn pubsub_the_dispatch_list_stays_bounded_under_a_flood() {
    const FLOOD: usize = 20_000;
    let server = hostile::websocket(|_, ws| {
        send(ws, json!({"type": "ready"}));
        let Some(sub) = next(ws) else { return };
        send(ws, json!({"type": "subscribed", "requestId": sub["requestId"]}));
        for n in 0..FLOOD {
            let frame = json!({"type": "message", "topic": "t", "id": n, "created": "", "data": {"n": n}});
            if ws.write(tungstenite::Message::text(frame.to_string())).is_err() {
                return;
            }
        }
        let _ = ws.flush();
        while next(ws).is_some() {}
    });
    let pb = BosBase::new(&server.url);
    let release = Release::new();
    let (callback, seen) = stuck_until(&release);
    let sub = pb.pubsub().subscribe("t", move |e| callback(e["data"]["n"].as_u64())).unwrap();
    let release = release; // dropped before `sub`: a failed assertion lets the callback go
                           // Everything received: one message in the callback, the rest queued or dropped.
    let all_in = || {
        let (queued, _, _) = pb.pubsub().backlog();
        queued as u64 + sub.dropped() + 1 >= FLOOD as u64
    };
    assert!(eventually(WAIT, all_in), "{:?} dropped {}", pb.pubsub().backlog(), sub.dropped());
    let (queued, _, dispatch) = pb.pubsub().backlog();
    assert_eq!(queued, bosbase::PUBSUB_QUEUE_LIMIT);
    assert!(dispatch <= 1, "the dispatch list holds {dispatch} entries for one subscription");
    release.now();
    let last = FLOOD as u64 - 1;
    assert!(eventually(WAIT, || seen.lock().unwrap().last() == Some(&last)));
    pb.close();
}

/// The handshake's deadline reader sits under TLS too: the TLS handshake and the HTTP
/// answer pass through it (this canned TLS server answers 200, not an upgrade).
#[test]
fn pubsub_over_tls_reads_the_handshake_through_the_deadline() {
    let server = common::tls::serve(false);
    let pb = BosBase::builder(&server.url).ca_pem(&server.ca_pem).build().unwrap();
    let err = pb.pubsub().publish("t", json!(1), bosbase::SendOptions::default()).wait().unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Http, 200), "{err}");
}

/// A pub/sub server whose accept queue is full: the client's TCP connect hangs (until its
/// 10 s connect timeout). Before: `close` waited for it. Now `close` waits for the socket
/// thread 1 s at most (the thread ends by itself at the timeout and runs no callback).
#[test]
fn pubsub_close_does_not_wait_for_a_hanging_tcp_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never accepts
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    while fillers.len() < 4096 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fillers.push(s),
            Err(_) => break, // the queue is full: connects hang from now on
        }
    }
    let pb = BosBase::new(&format!("http://{addr}"));
    let _sub = pb.pubsub().subscribe("t", |_| {}).unwrap();
    thread::sleep(Duration::from_millis(300)); // the socket thread is in its connect
    let (done_tx, done_rx) = mpsc::channel();
    let closing = pb.clone();
    thread::spawn(move || {
        let started = Instant::now();
        closing.close();
        let _ = done_tx.send(started.elapsed());
    });
    // Generous against a loaded machine (it once took over 2 s there); before, close waited
    // for the whole 10 s connect timeout.
    let took = done_rx.recv_timeout(Duration::from_secs(8)).expect("close returned within 8 s");
    assert!(took < Duration::from_secs(5), "close took {took:?}");
    drop(fillers);
}

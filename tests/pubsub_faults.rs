//! Pub/sub against a local WebSocket listener that plays BosBase's frames and then
//! misbehaves (fault injection: dropped connections, refusals, silence). What BosBase
//! itself does is tested against the real server in `bosbase_pubsub.rs`.

use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bosbase::{BosBase, ErrorKind, SendOptions};
use serde_json::{json, Map, Value};
use tungstenite::{Message, WebSocket};

type Ws = WebSocket<TcpStream>;

/// Accepts connections on a thread; `script` runs once per connection with its number
/// and the `Authorization` header of the upgrade (if any) and the request's URI.
fn listener(script: impl Fn(usize, Ws, Option<String>, String) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let script = Arc::new(script);
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let script = Arc::clone(&script);
            std::thread::spawn(move || {
                let seen = Arc::new(Mutex::new((None::<String>, String::new())));
                let keep = Arc::clone(&seen);
                #[allow(clippy::result_large_err)] // the handshake callback type is tungstenite's
                let callback = move |req: &tungstenite::handshake::server::Request, res| {
                    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    *keep.lock().unwrap() = (auth, req.uri().to_string());
                    Ok(res)
                };
                let Ok(ws) = tungstenite::accept_hdr(stream, callback) else { return };
                let (auth, uri) = seen.lock().unwrap().clone();
                script(n, ws, auth, uri);
            });
        }
    });
    url
}

fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).unwrap();
}

/// The next text frame as JSON (None when the connection ended).
fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn publish_args(topic: &str, data: Value) -> Map<String, Value> {
    json!({"topic": topic, "data": data}).as_object().unwrap().clone()
}

#[test]
fn resubscribes_after_a_dropped_connection_and_sends_auth_in_a_header() {
    let (seen_tx, seen_rx) = mpsc::channel();
    let seen_tx = Mutex::new(seen_tx);
    let url = listener(move |n, mut ws, auth, uri| {
        seen_tx.lock().unwrap().send((n, auth, uri)).unwrap();
        send(&mut ws, json!({"type": "ready", "clientId": format!("c{n}")}));
        let sub = next(&mut ws).unwrap();
        assert_eq!((sub["type"].as_str(), sub["topic"].as_str()), (Some("subscribe"), Some("chat")));
        send(&mut ws, json!({"type": "subscribed", "requestId": sub["requestId"]}));
        send(
            &mut ws,
            json!({"type": "message", "topic": "chat", "id": format!("m{n}"), "created": "", "data": {"n": n}}),
        );
        if n == 0 {
            return; // drops the connection: the client must come back and subscribe again
        }
        while next(&mut ws).is_some() {}
    });
    let pb = BosBase::new(&url);
    pb.auth_store().save("header-token", json!({"id": "u1"})).unwrap();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let sub = pb.pubsub().subscribe("chat", move |e| tx.lock().unwrap().send(e.clone()).unwrap()).unwrap();
    let events: Vec<Value> = (0..4).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["subscribed", "message", "subscribed", "message"], "{events:?}");
    assert_eq!((events[1]["data"]["n"].as_u64(), events[3]["data"]["n"].as_u64()), (Some(0), Some(1)));
    for _ in 0..2 {
        let (_, auth, uri) = seen_rx.recv().unwrap();
        assert_eq!(auth.as_deref(), Some("header-token"));
        assert_eq!(uri, "/api/pubsub", "never a token in the URL");
    }
    assert!(pb.pubsub().is_connected());
    assert!(sub.unsubscribe());
    assert!(!sub.unsubscribe(), "once");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pb.pubsub().is_connected() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pb.pubsub().is_connected(), "no subscription left: the socket closes");
}

#[test]
fn publish_waits_for_the_ack_and_reports_refusals_and_silence() {
    let url = listener(|_, mut ws, _, _| {
        send(&mut ws, json!({"type": "ready"}));
        while let Some(frame) = next(&mut ws) {
            let id = frame["requestId"].clone();
            match frame["data"]["do"].as_str() {
                Some("ack") => send(
                    &mut ws,
                    json!({"type": "published", "requestId": id, "id": "p1", "topic": frame["topic"], "created": "now"}),
                ),
                Some("refuse") => send(
                    &mut ws,
                    json!({"type": "error", "requestId": id, "message": "authentication required to publish"}),
                ),
                _ => {} // silence
            }
        }
    });
    let pb = BosBase::new(&url);
    let ack = pb.pubsub().publish("t", json!({"do": "ack"}), SendOptions::default()).wait().unwrap();
    assert_eq!(ack, json!({"id": "p1", "topic": "t", "created": "now"}));
    let err = pb.pubsub().publish("t", json!({"do": "refuse"}), SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http);
    assert!(err.message().contains("authentication required"), "{err}");
    let mut quick = SendOptions::default();
    quick.timeout_ms = Some(300);
    let started = Instant::now();
    let err = pb.operation("pubsub.publish", publish_args("t", json!({"do": "nothing"})), quick).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let err = pb.pubsub().publish("", json!(1), SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(pb.pubsub().subscribe("a\nb", |_| {}).is_err());
}

#[test]
fn a_server_that_is_down_fails_publish_fast_and_close_stops_everything() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let pb = BosBase::new(&url);
    let err = pb.pubsub().publish("t", json!(1), SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    let sub = pb.pubsub().subscribe("t", |_| {}).unwrap(); // keeps retrying in the background
                                                           // This client's own threads: the process's count also moves with the tests running
                                                           // beside this one (it failed under load that way).
    assert_eq!(pb.pubsub().live_threads(), 2, "a socket and a dispatch thread");
    pb.close();
    // The dispatch thread is joined; the socket thread, if caught in a connect, ends by itself.
    let until = Instant::now() + Duration::from_secs(5);
    while pb.pubsub().live_threads() > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(pb.pubsub().live_threads(), 0, "close stops the pub/sub threads");
    drop(sub);
    assert_eq!(pb.pubsub().subscribe("t", |_| {}).unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn unsubscribe_from_inside_the_callback_and_no_call_after_unsubscribe() {
    let url = listener(|_, mut ws, _, _| {
        send(&mut ws, json!({"type": "ready"}));
        let sub = next(&mut ws).unwrap();
        send(&mut ws, json!({"type": "subscribed", "requestId": sub["requestId"]}));
        for i in 0..200 {
            send(&mut ws, json!({"type": "message", "topic": "t", "id": i, "data": i}));
        }
        while next(&mut ws).is_some() {}
    });
    let pb = BosBase::new(&url);
    let calls = Arc::new(Mutex::new(0u32));
    let slot: Arc<Mutex<Option<bosbase::PubSubSubscription>>> = Arc::default();
    let (calls2, slot2) = (Arc::clone(&calls), Arc::clone(&slot));
    let sub = pb
        .pubsub()
        .subscribe("t", move |e| {
            if e["type"] == "message" {
                let mut n = calls2.lock().unwrap();
                *n += 1;
                if *n == 3 {
                    // Unsubscribing from inside the callback does not deadlock.
                    if let Some(s) = slot2.lock().unwrap().as_ref() {
                        s.unsubscribe();
                    }
                }
            }
        })
        .unwrap();
    *slot.lock().unwrap() = Some(sub);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(*calls.lock().unwrap(), 3, "nothing is delivered after unsubscribe");
    slot.lock().unwrap().take();
    pb.close();
}

#[test]
fn a_second_subscription_to_a_confirmed_topic_is_told_it_is_subscribed() {
    let url = listener(|_, mut ws, _, _| {
        send(&mut ws, json!({"type": "ready"}));
        let sub = next(&mut ws).unwrap();
        send(&mut ws, json!({"type": "subscribed", "requestId": sub["requestId"]}));
        while next(&mut ws).is_some() {}
    });
    let pb = BosBase::new(&url);
    let (tx, rx) = mpsc::channel();
    let (tx1, tx2) = (Mutex::new(tx.clone()), Mutex::new(tx));
    let _a = pb.pubsub().subscribe("t", move |e| tx1.lock().unwrap().send(("a", e.clone())).unwrap()).unwrap();
    let (who, first) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!((who, first["type"].as_str()), ("a", Some("subscribed")));
    let _b = pb.pubsub().subscribe("t", move |e| tx2.lock().unwrap().send(("b", e.clone())).unwrap()).unwrap();
    let (who, first) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!((who, first["type"].as_str()), ("b", Some("subscribed")), "no second subscribe frame is needed");
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "the first subscription hears nothing new");
}

#[test]
fn publishes_racing_the_idle_close_are_sent_on_the_next_connection() {
    let url = listener(|_, mut ws, _, _| {
        send(&mut ws, json!({"type": "ready"}));
        while let Some(frame) = next(&mut ws) {
            let id = frame["requestId"].clone();
            send(
                &mut ws,
                json!({"type": "published", "requestId": id, "id": id, "topic": frame["topic"], "created": ""}),
            );
        }
    });
    let pb = BosBase::new(&url);
    // With no subscription the socket closes whenever nothing is pending, so back-to-back
    // publishes keep landing in the window between "idle" and the thread's exit.
    for i in 0..200 {
        pb.pubsub()
            .publish("t", json!(i), SendOptions::default())
            .wait()
            .unwrap_or_else(|e| panic!("publish {i}: {e}"));
    }
}

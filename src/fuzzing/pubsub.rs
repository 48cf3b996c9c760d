//! Pub/sub frame target: fuzzed text frames from the server, decoded and routed by the
//! client's pub/sub session (`pubsub::handle` and the dispatch to subscriptions).
//!
//! The decoding is private to `pubsub`, so the frames travel the real path: a WebSocket
//! server on 127.0.0.1 (in this process, one connection kept for the whole run) sends each
//! input's frames, then a sync message only this harness knows; once its callback ran,
//! every earlier frame has been handled and dispatched.
//!
//! Input: NUL-separated frames (up to 16), each as text. Checks: the subscription of topic
//! `t` receives exactly one `message` event per frame that is a JSON `message` for `t`,
//! carrying that frame's `data`, `id` and `created`, in order; every event it gets is an
//! object of type `message`, `subscribed` or `error` for topic `t`; the subscription of
//! another topic gets nothing of `t`'s; the connection stays usable (the sync arrives).

use std::net::TcpListener;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use tungstenite::Message;

use crate::{BosBase, PubSubSubscription};

struct Harness {
    /// Each batch of frames for the server to send, and whether it went out.
    frames: Sender<Vec<String>>,
    written: Receiver<bool>,
    /// Events of the subscription to `t`, and of the one to `u` (which must stay empty).
    t_events: Receiver<Value>,
    u_events: Receiver<Value>,
    sync: Receiver<Value>,
    nonce: String,
    round: u64,
    _client: BosBase,
    _subs: Vec<PubSubSubscription>,
}

/// The server: accepts connections, says `ready`, then sends what the harness queues and
/// reports each batch as written (true) or not (false: the client dropped the connection).
fn serve(listener: TcpListener, frames: Receiver<Vec<String>>, written: Sender<bool>) {
    for tcp in listener.incoming() {
        let Ok(tcp) = tcp else { continue };
        tcp.set_nodelay(true).ok();
        let Ok(mut ws) = tungstenite::accept(tcp) else { continue };
        if ws.send(Message::text(r#"{"type":"ready"}"#)).is_err() {
            continue;
        }
        while let Ok(batch) = frames.recv() {
            let sent = batch.into_iter().try_for_each(|f| ws.write(Message::text(f))).and_then(|()| ws.flush());
            let _ = written.send(sent.is_ok());
            if sent.is_err() {
                break;
            }
        }
    }
}

fn harness() -> &'static Mutex<Harness> {
    static HARNESS: OnceLock<Mutex<Harness>> = OnceLock::new();
    HARNESS.get_or_init(build)
}

fn build() -> Mutex<Harness> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("address").port();
    let (frames, to_send) = mpsc::channel();
    let (wrote, written) = mpsc::channel();
    std::thread::spawn(move || serve(listener, to_send, wrote));
    let client = BosBase::builder(&format!("http://127.0.0.1:{port}"))
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let channel = |topic: &str| {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let sub = client
            .pubsub()
            .subscribe(topic, move |event| {
                let _ = tx.lock().map(|tx| tx.send(event.clone()));
            })
            .expect("subscribe");
        (sub, rx)
    };
    let (t, t_events) = channel("t");
    let (u, u_events) = channel("u");
    let (s, sync) = channel("sync");
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("randomness");
    Mutex::new(Harness {
        frames,
        written,
        t_events,
        u_events,
        sync,
        nonce: format!("{:x}", u64::from_le_bytes(random)),
        round: 0,
        _client: client,
        _subs: vec![t, u, s],
    })
}

/// The pub/sub frame target (see the module doc).
pub fn pubsub(data: &[u8]) {
    let mut h = harness().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let frames: Vec<String> = data.split(|b| *b == 0).take(16).map(super::text).collect();
    let expected: Vec<Value> = frames
        .iter()
        .filter_map(|f| serde_json::from_str::<Value>(f).ok())
        .filter(|v| v["type"] == "message" && v["topic"] == "t")
        .map(|v| json!({"type": "message", "topic": "t", "id": v["id"], "created": v["created"], "data": v["data"]}))
        .collect();
    h.round += 1;
    let token = format!("{} {}", h.nonce, h.round);
    let mut batch = frames;
    batch.push(json!({"type": "message", "topic": "sync", "data": token}).to_string());
    h.frames.send(batch).expect("the server thread is alive");
    // Generous: the run is niced under other builds; libFuzzer's -timeout catches hangs.
    let wait = Duration::from_secs(20);
    let sent = h.written.recv_timeout(wait).expect("the server could not write the frames");
    assert!(sent, "the client dropped the connection (during these frames or just before)");
    loop {
        let event = h.sync.recv_timeout(wait).expect("pub/sub stopped delivering (no sync)");
        if event["data"] == token.as_str() {
            break;
        }
    }
    let got: Vec<Value> = h.t_events.try_iter().collect();
    for e in &got {
        assert!(matches!(e["type"].as_str(), Some("message" | "subscribed" | "error")), "bad event {e}");
        assert_eq!(e["topic"], "t", "an event of another topic reached `t`: {e}");
    }
    let messages: Vec<Value> = got.into_iter().filter(|e| e["type"] == "message").collect();
    assert_eq!(messages, expected, "`t` did not get exactly its messages, in order");
    for e in h.u_events.try_iter() {
        assert_eq!(e["topic"], "u", "an event of another topic reached `u`: {e}");
    }
}

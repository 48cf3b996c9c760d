//! Pub/sub against the real BosBase server (`make test-bosbase`; the dev server has no
//! `/api/pubsub`, and this suite says so rather than pass): two clients, publish and
//! receive, unsubscribe, a reconnect under a new identity, and refusals.
//! Real-server only: every test is `#[ignore]`d with that reason, so a plain `cargo test` (against
//! the dev server) lists them as ignored; `make test-bosbase` runs them with `--include-ignored`.

mod common;

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use bosbase::{BosBase, ErrorKind, SendOptions};
use common::{client, USER, USER2};
use serde_json::{json, Value};

fn signed_in(who: (&str, &str)) -> BosBase {
    let pb = client();
    pb.collection("users")
        .auth_with_password(who.0, who.1, Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    pb
}

fn topic(name: &str) -> String {
    format!("{name}-{}", &common::token()[..10])
}

/// A subscription whose events arrive on a channel.
fn listen(pb: &BosBase, topic: &str) -> (bosbase::PubSubSubscription, mpsc::Receiver<Value>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let sub = pb.pubsub().subscribe(topic, move |e| drop(tx.lock().unwrap().send(e.clone()))).unwrap();
    let first = rx.recv_timeout(Duration::from_secs(10)).expect("no answer to subscribe: is BOSBASE_URL BosBase?");
    assert_eq!(first["type"], "subscribed", "{first}");
    (sub, rx)
}

fn publish(pb: &BosBase, topic: &str, data: Value) -> Value {
    pb.pubsub().publish(topic, data, SendOptions::default()).wait().unwrap()
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn messages_reach_another_client_in_order() {
    let t = topic("order");
    let (subscriber, publisher) = (signed_in(USER2), signed_in(USER));
    let (_sub, rx) = listen(&subscriber, &t);
    let mut acks = Vec::new();
    for i in 0..20 {
        let ack = publish(&publisher, &t, json!({"i": i, "text": "héllo"}));
        assert_eq!(ack["topic"], t.as_str());
        assert!(ack["id"].as_str().is_some_and(|id| !id.is_empty()), "{ack}");
        acks.push(ack);
    }
    for (i, ack) in acks.iter().enumerate() {
        let m = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(m["type"], "message");
        assert_eq!(m["id"], ack["id"]);
        assert_eq!(m["data"], json!({"i": i, "text": "héllo"}));
    }
    assert!(subscriber.pubsub().is_connected());
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn unsubscribe_stops_delivery() {
    let t = topic("unsub");
    let (subscriber, publisher) = (signed_in(USER2), signed_in(USER));
    let (sub, rx) = listen(&subscriber, &t);
    publish(&publisher, &t, json!(1));
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap()["data"], 1);
    assert!(sub.unsubscribe());
    publish(&publisher, &t, json!(2));
    assert!(rx.recv_timeout(Duration::from_millis(700)).is_err(), "nothing after unsubscribe");
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn a_new_identity_reconnects_and_keeps_the_subscription() {
    let t = topic("relogin");
    let subscriber = client();
    let publisher = signed_in(USER);
    let (_sub, rx) = listen(&subscriber, &t);
    publish(&publisher, &t, json!("as guest"));
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap()["data"], "as guest");
    // Signing in changes the identity: the socket reconnects with the new token and
    // subscribes again (a second `subscribed` arrives), then delivery goes on.
    subscriber
        .collection("users")
        .auth_with_password(USER2.0, USER2.1, Default::default(), Default::default(), None)
        .wait()
        .unwrap();
    let again = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(again["type"], "subscribed", "{again}");
    // The subscriber can publish now: the new connection carries its token.
    publish(&subscriber, &t, json!("signed in"));
    let m = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(m["data"], "signed in");
}

#[test]
#[ignore = "real BosBase server only: make test-bosbase runs it"]
fn guests_may_not_publish() {
    let err = client().pubsub().publish(&topic("guest"), json!(1), SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Http, "{err}");
    assert!(err.message().contains("authentication"), "{err}");
}

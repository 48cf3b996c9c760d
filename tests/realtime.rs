//! Realtime subscriptions against the dev server (`scripts/devserver --demo -- cargo test
//! --test realtime`), plus fault tests against a canned event-stream server.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bosbase::{BosBase, RealtimeEvent, SendOptions, SubscribeOptions};
use serde_json::{json, Value};

use common::USER;

const WAIT: Duration = Duration::from_secs(10);

/// Collects what a callback receives and lets the test wait for it.
#[derive(Clone)]
struct Inbox<T> {
    items: Arc<(Mutex<Vec<T>>, Condvar)>,
}

impl<T> Default for Inbox<T> {
    fn default() -> Self {
        Inbox { items: Arc::new((Mutex::new(Vec::new()), Condvar::new())) }
    }
}

impl<T: Clone + Send + 'static> Inbox<T> {
    fn push(&self, item: T) {
        self.items.0.lock().unwrap().push(item);
        self.items.1.notify_all();
    }

    /// Waits until `pred` holds for the items (or `WAIT` passes); returns them.
    fn wait_until(&self, pred: impl Fn(&[T]) -> bool) -> Vec<T> {
        let deadline = Instant::now() + WAIT;
        let mut items = self.items.0.lock().unwrap();
        while !pred(&items) && Instant::now() < deadline {
            items = self.items.1.wait_timeout(items, Duration::from_millis(50)).unwrap().0;
        }
        items.clone()
    }
}

fn events(inbox: &Inbox<RealtimeEvent>) -> impl Fn(&RealtimeEvent) + Send + Sync + 'static {
    let inbox = inbox.clone();
    move |e: &RealtimeEvent| inbox.push(e.clone())
}

/// (action, record id) of the record events received.
fn actions(items: &[RealtimeEvent]) -> Vec<(String, String)> {
    items.iter().filter_map(|e| Some((e.action()?.to_owned(), e.record()?["id"].as_str()?.to_owned()))).collect()
}

fn login(pb: &BosBase, account: (&str, &str)) -> String {
    let auth = pb
        .collection("users")
        .auth_with_password(account.0, account.1, HashMap::new(), HashMap::new(), None)
        .wait()
        .unwrap();
    auth["record"]["id"].as_str().unwrap().to_owned()
}

fn signed_in(account: (&str, &str)) -> (BosBase, String) {
    let pb = common::client();
    let id = login(&pb, account);
    (pb, id)
}

fn create_post(pb: &BosBase, author: &str, title: &str) -> String {
    let body = json!({"title": title, "author": author});
    let rec = pb.send("/api/collections/posts/records", SendOptions::new("POST").body(body)).wait().unwrap();
    rec["id"].as_str().unwrap().to_owned()
}

fn update_post(pb: &BosBase, id: &str, title: &str) {
    let path = format!("/api/collections/posts/records/{id}");
    pb.send(&path, SendOptions::new("PATCH").body(json!({"title": title}))).wait().unwrap();
}

fn delete_post(pb: &BosBase, id: &str) {
    pb.send(&format!("/api/collections/posts/records/{id}"), SendOptions::new("DELETE")).wait().unwrap();
}

#[test]
fn create_update_delete_from_another_client_arrive_in_order_with_the_record() {
    let (listener, _) = signed_in(USER);
    let (writer, me) = signed_in(USER);
    let inbox = Inbox::default();
    let sub = listener.collection("posts").subscribe("*", SubscribeOptions::default(), events(&inbox)).wait().unwrap();
    assert!(matches!(inbox.wait_until(|i| !i.is_empty())[0], RealtimeEvent::Subscribed { .. }));

    let id = create_post(&writer, &me, "first");
    update_post(&writer, &id, "second");
    delete_post(&writer, &id);
    let got = inbox.wait_until(|i| actions(i).len() >= 3);
    let want: Vec<(String, String)> =
        ["create", "update", "delete"].iter().map(|a| (a.to_string(), id.clone())).collect();
    assert_eq!(actions(&got), want);
    let records: Vec<&Value> = got.iter().filter_map(RealtimeEvent::record).collect();
    assert_eq!(records[0]["title"], "first");
    assert_eq!(records[1]["title"], "second");
    assert!(got.iter().all(|e| e.topic() == "posts/*"));
    assert_eq!(sub.dropped(), 0);
    listener.close();
}

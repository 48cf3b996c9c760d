//! A pull-style receiver for one subscription: blocking `recv`, `try_recv`, and
//! `next().await` on any executor (no runtime dependency).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::RealtimeEvent;
use crate::delivery::{value_bytes, EventQueue};

#[derive(Default)]
struct State {
    queue: EventQueue<RealtimeEvent>,
    wakers: Vec<Waker>,
    closed: bool,
}

#[derive(Default)]
struct Channel {
    state: Mutex<State>,
    ready: Condvar,
}

impl Channel {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake(&self, mut st: MutexGuard<'_, State>) {
        let wakers = std::mem::take(&mut st.wakers);
        drop(st);
        self.ready.notify_all();
        for w in wakers {
            w.wake();
        }
    }
}

/// The events of a subscription from [`RealtimeService::subscribe_receiver`](super::RealtimeService::subscribe_receiver),
/// in order. It holds at most [`QUEUE_CAPACITY`](crate::QUEUE_CAPACITY) unread events and
/// [`QUEUE_MAX_BYTES`](crate::QUEUE_MAX_BYTES) bytes; beyond that the oldest event is
/// dropped and counted by [`dropped`](Self::dropped) (the `Subscribed`/`Failed` notices
/// never are). It ends (`None`) once the subscription is gone (unsubscribed, or the client
/// closed) and the queue is empty.
pub struct EventReceiver {
    channel: Arc<Channel>,
}

/// The sending half, owned by the subscription's callback: dropping it (when the
/// subscription goes) ends the receiver.
pub(crate) struct Sender {
    channel: Arc<Channel>,
}

pub(crate) fn channel() -> (Sender, EventReceiver) {
    let channel = Arc::new(Channel::default());
    (Sender { channel: Arc::clone(&channel) }, EventReceiver { channel })
}

impl Sender {
    pub(crate) fn send(&self, event: &RealtimeEvent) {
        let mut st = self.channel.lock();
        match event {
            RealtimeEvent::Message { topic, data } => {
                st.queue.push_event(event.clone(), value_bytes(data) + topic.len())
            }
            _ => st.queue.push_notice(event.clone()),
        }
        self.channel.wake(st);
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let mut st = self.channel.lock();
        st.closed = true;
        self.channel.wake(st);
    }
}

impl EventReceiver {
    /// The next event, blocking; `None` once the subscription is gone and all was read.
    pub fn recv(&self) -> Option<RealtimeEvent> {
        let mut st = self.channel.lock();
        loop {
            if let Some(e) = st.queue.pop() {
                return Some(e);
            }
            if st.closed {
                return None;
            }
            st = self.channel.ready.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Like [`recv`](Self::recv), giving up after `timeout` (then `None` too).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<RealtimeEvent> {
        let deadline = Instant::now() + timeout;
        let mut st = self.channel.lock();
        loop {
            if let Some(e) = st.queue.pop() {
                return Some(e);
            }
            let now = Instant::now();
            if st.closed || now >= deadline {
                return None;
            }
            st = self.channel.ready.wait_timeout(st, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<RealtimeEvent> {
        self.channel.lock().queue.pop()
    }

    /// A future of the next event (`None` at the end), for async code on any executor.
    pub fn next(&self) -> Next<'_> {
        Next { receiver: self }
    }

    /// Events dropped because more than [`QUEUE_CAPACITY`](crate::QUEUE_CAPACITY) events or
    /// [`QUEUE_MAX_BYTES`](crate::QUEUE_MAX_BYTES) bytes were unread.
    pub fn dropped(&self) -> u64 {
        self.channel.lock().queue.dropped()
    }
}

impl std::fmt::Debug for EventReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.channel.lock();
        f.debug_struct("EventReceiver").field("queued", &st.queue.len()).field("closed", &st.closed).finish()
    }
}

/// The future of [`EventReceiver::next`].
#[derive(Debug)]
pub struct Next<'a> {
    receiver: &'a EventReceiver,
}

impl Future for Next<'_> {
    type Output = Option<RealtimeEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.receiver.channel.lock();
        if let Some(e) = st.queue.pop() {
            return Poll::Ready(Some(e));
        }
        if st.closed {
            return Poll::Ready(None);
        }
        if !st.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            st.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(n: u64) -> RealtimeEvent {
        RealtimeEvent::Message { topic: "t".into(), data: n.into() }
    }

    #[test]
    fn in_order_then_end_when_the_sender_goes() {
        let (tx, rx) = channel();
        tx.send(&ev(1));
        tx.send(&ev(2));
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            tx.send(&ev(3));
        });
        assert_eq!(rx.recv(), Some(ev(1)));
        assert_eq!(rx.try_recv(), Some(ev(2)));
        assert_eq!(rx.recv(), Some(ev(3)));
        t.join().unwrap();
        assert_eq!(rx.recv(), None);
        assert_eq!(rx.recv_timeout(Duration::from_millis(1)), None);
    }

    #[test]
    fn overflow_drops_the_oldest() {
        let (tx, rx) = channel();
        for n in 0..(crate::QUEUE_CAPACITY as u64 + 5) {
            tx.send(&ev(n));
        }
        assert_eq!(rx.dropped(), 5);
        assert_eq!(rx.try_recv(), Some(ev(5)));
    }

    #[test]
    fn big_events_are_bounded_by_bytes_and_the_notice_stays() {
        let (tx, rx) = channel();
        tx.send(&RealtimeEvent::Subscribed { topic: "t".into() });
        let big =
            |n: u64| RealtimeEvent::Message { topic: "t".into(), data: json!({"n": n, "pad": "x".repeat(4 << 20)}) };
        for n in 0..20 {
            tx.send(&big(n));
        }
        // 16 MiB hold three 4 MiB events (and a bit): the other 17 went, oldest first.
        assert_eq!(rx.dropped(), 17);
        assert_eq!(rx.try_recv(), Some(RealtimeEvent::Subscribed { topic: "t".into() }));
        assert_eq!(rx.try_recv().and_then(|e| e.to_json()["data"]["n"].as_u64()), Some(17));
    }
}

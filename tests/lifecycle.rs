//! Closing clients from their own callbacks: an auth-store listener closing its client while
//! the login that triggered it is awaited, and two clients closing each other from their
//! listeners (a wait cycle). Each scenario runs on its own thread with a bounded wait, so a
//! deadlock fails the test instead of hanging it. The canned server answers every request
//! with a login (`{token, record}`), which is all these need.

mod common;

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use bosbase::{BosBase, ErrorKind};
use common::canned::{serve, Reply};

const LOGIN: &str = r#"{"token":"t","record":{"id":"r1"}}"#;
const BOUND: Duration = Duration::from_secs(10);

fn login(pb: &BosBase) -> bosbase::Call<serde_json::Value> {
    pb.collection("users").auth_with_password("user@example.com", "user-password", HashMap::new(), HashMap::new(), None)
}

/// Runs `scenario` on a thread; fails when it does not finish within [`BOUND`].
fn bounded<T: Send + 'static>(what: &str, scenario: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(scenario());
    });
    match rx.recv_timeout(BOUND) {
        Ok(v) => v,
        Err(_) => panic!("{what}: still blocked after {BOUND:?} (deadlock)"),
    }
}

/// A client whose auth-store listener closes `target` (itself when `None`).
fn closing_listener(pb: &BosBase, target: Option<BosBase>) {
    let me = pb.clone();
    pb.auth_store().on_change(Arc::new(move |_, _| target.as_ref().unwrap_or(&me).close()));
}

#[test]
fn close_from_a_listener_during_an_awaited_login_returns() {
    let url = serve(Reply::With("200 OK", LOGIN));
    let outcome = bounded("awaited login (futures block_on)", move || {
        let pb = BosBase::new(&url);
        closing_listener(&pb, None);
        let result = futures_executor::block_on(async { login(&pb).await });
        (result.map(|auth| auth["token"].clone()), pb.is_closed())
    });
    assert_eq!(outcome.0.unwrap(), "t", "the call that ran the listener finishes normally");
    assert!(outcome.1, "the listener closed the client");
}

#[test]
fn close_from_a_listener_during_a_login_awaited_on_tokio_returns() {
    let url = serve(Reply::With("200 OK", LOGIN));
    let closed_after = bounded("awaited login (tokio)", move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async move {
            let pb = BosBase::new(&url);
            closing_listener(&pb, None);
            login(&pb).await.unwrap();
            login(&pb).await.unwrap_err().kind()
        })
    });
    assert_eq!(closed_after, ErrorKind::Closed);
}

#[test]
fn close_from_a_listener_during_a_waited_login_returns() {
    let url = serve(Reply::With("200 OK", LOGIN));
    let token = bounded("waited login", move || {
        let pb = BosBase::new(&url);
        closing_listener(&pb, None);
        login(&pb).wait().map(|auth| auth["token"].clone())
    });
    assert_eq!(token.unwrap(), "t");
}

/// A's listener closes B while B's listener closes A, both in the middle of a login: each
/// close used to wait for the other client's call, which was waiting in the other close.
#[test]
fn two_clients_closing_each_other_from_their_listeners_do_not_deadlock() {
    let url = serve(Reply::With("200 OK", LOGIN));
    for awaited in [false, true] {
        let url = url.clone();
        bounded("close cycle", move || {
            let (a, b) = (BosBase::new(&url), BosBase::new(&url));
            // Both listeners are running before either closes: the cycle is certain.
            let both = Arc::new(Barrier::new(2));
            for (me, other) in [(&a, &b), (&b, &a)] {
                let (other, both) = (other.clone(), Arc::clone(&both));
                me.auth_store().on_change(Arc::new(move |_, _| {
                    both.wait();
                    other.close();
                }));
            }
            let runs: Vec<_> = [a.clone(), b.clone()]
                .into_iter()
                .map(|pb| {
                    std::thread::spawn(move || match awaited {
                        true => futures_executor::block_on(login(&pb).into_future()),
                        false => login(&pb).wait(),
                    })
                })
                .collect();
            for run in runs {
                run.join().unwrap().unwrap();
            }
            assert!(a.is_closed() && b.is_closed());
            // Closing again from outside a callback waits for whatever still runs, and returns.
            a.close();
            b.close();
        });
    }
}

/// Outside callbacks `close` still waits for the calls in flight (the rule did not weaken).
#[test]
fn close_outside_callbacks_still_waits_for_calls_in_flight() {
    let url = serve(Reply::Slow(Duration::from_millis(300), LOGIN));
    bounded("close waiting for a slow call", move || {
        let pb = BosBase::new(&url);
        let running = {
            let pb = pb.clone();
            std::thread::spawn(move || futures_executor::block_on(login(&pb).into_future()))
        };
        std::thread::sleep(Duration::from_millis(100));
        pb.close();
        assert_eq!(pb.auth_store().token(), "t", "close returned before the call in flight finished");
        running.join().unwrap().unwrap();
    });
}

//! Reproducer for the owner of src/pubsub/ (found by the `pubsub_frames` fuzz target; not
//! compiled here: copy it to tests/ once the fix is in). A signal delivered to the pub/sub
//! socket thread makes its timed read (SO_RCVTIMEO, 10 ms poll) fail with EINTR — signal(7):
//! such reads are never restarted, SA_RESTART or not — and `session()` treats every error
//! but WouldBlock/TimedOut as "read failed": it drops the connection and reconnects. Any
//! host that takes signals (SIGCHLD from child processes, SIGPROF from a profiler, timers)
//! loses its pub/sub connection, and the messages in flight, again and again.
//! Fix: in the read loop, treat `ErrorKind::Interrupted` like `WouldBlock` (retry).

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

extern "C" fn ignore(_: libc::c_int) {}

/// Blocks or unblocks SIGALRM for this thread (threads started meanwhile inherit it).
fn alarm(block: bool) {
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGALRM);
        libc::pthread_sigmask(if block { libc::SIG_BLOCK } else { libc::SIG_UNBLOCK }, &set, std::ptr::null_mut());
    }
}

#[test]
fn signals_do_not_drop_the_pubsub_connection() {
    // Only the client's pub/sub threads take SIGALRM: this thread and the server's block it.
    alarm(true);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(50) {
            let Ok(tcp) = tcp else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let Ok(mut ws) = tungstenite::accept(tcp) else { return };
                let _ = ws.send(tungstenite::Message::text(r#"{"type":"ready"}"#));
                while ws.read().is_ok() {}
            });
        }
    });
    let pb = bosbase::BosBase::new(&format!("http://127.0.0.1:{port}"));
    alarm(false);
    let _sub = pb.pubsub().subscribe("t", |_| {}).unwrap();
    alarm(true);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pb.pubsub().is_connected() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(pb.pubsub().is_connected());
    // A no-op SIGALRM handler with SA_RESTART, and an interval timer: 500 signals/s for 2 s.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut());
        let tick = libc::timeval { tv_sec: 0, tv_usec: 2000 };
        let timer = libc::itimerval { it_interval: tick, it_value: tick };
        libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut());
    }
    std::thread::sleep(Duration::from_secs(2));
    unsafe {
        let off: libc::itimerval = std::mem::zeroed();
        libc::setitimer(libc::ITIMER_REAL, &off, std::ptr::null_mut());
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "the pub/sub client reconnected under signals");
}

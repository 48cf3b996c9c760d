//! A signal delivered to the pub/sub socket thread (SIGCHLD from a child process, a
//! profiler's SIGPROF, timers) fails its timed read with EINTR — signal(7): reads on a socket
//! with a receive timeout are never restarted, SA_RESTART or not. The session took that for
//! a lost connection and reconnected, losing the messages in flight. Found by the
//! `pubsub_frames` fuzz target (libFuzzer's -timeout sends SIGALRM). Alone in its binary:
//! the interval timer and the handler are process-wide.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

extern "C" fn ignore(_: libc::c_int) {}

/// The kernel id of this process's thread named `name` (Linux: /proc/self/task/*/comm).
fn thread_id(name: &str) -> Option<libc::pid_t> {
    std::fs::read_dir("/proc/self/task").ok()?.flatten().find_map(|task| {
        let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
        (comm.trim_end() == name).then(|| task.file_name().to_str()?.parse().ok()).flatten()
    })
}

#[test]
fn signals_do_not_drop_the_pubsub_connection() {
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
    let _sub = pb.pubsub().subscribe("t", |_| {}).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pb.pubsub().is_connected() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(pb.pubsub().is_connected());
    let socket_thread = thread_id("bosbase-pubsub").expect("the pub/sub socket thread runs");
    // A no-op handler with SA_RESTART (as most hosts install theirs), then 1,000 signals
    // aimed at the socket thread alone over about 2 s (the call really reaches it: tgkill
    // fails for a thread that is gone).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        assert_eq!(libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()), 0);
    }
    let mut delivered = 0;
    for _ in 0..1000 {
        let sent = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), socket_thread, libc::SIGUSR1) };
        if sent == 0 {
            delivered += 1;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(delivered > 900, "only {delivered} signals reached the socket thread");
    assert!(pb.pubsub().is_connected(), "the pub/sub client lost its connection under signals");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "the pub/sub client reconnected under signals");
}

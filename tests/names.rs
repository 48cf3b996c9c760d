//! Named hosts are resolved once per connection (through a short shared cache), not once
//! per request: before, ureq resolved every request's host on a fresh thread, even on a
//! kept-alive connection (5-6x the per-call cost of an IP literal).
//! Alone in this binary: the lookup counter is process-wide.

mod common;

use std::sync::atomic::Ordering;

use bosbase::{BosBase, SendOptions};
use common::canned::{serve_counted, Reply};

const CALLS: usize = 40;

#[test]
fn keep_alive_calls_to_a_named_host_resolve_it_once() {
    let (url, accepted) = serve_counted(Reply::Echo);
    let named = url.replace("127.0.0.1", "localhost");
    let call = |pb: &BosBase| pb.send("/api/health", SendOptions::new("GET")).wait().unwrap();

    let before = BosBase::name_lookups();
    let pb = BosBase::new(&named);
    for _ in 0..CALLS {
        assert_eq!(call(&pb)["target"], "/api/health");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one kept-alive connection");
    assert_eq!(BosBase::name_lookups() - before, 1, "{CALLS} calls, one lookup");

    // A second client (a new connection) within the cache's lifetime looks up nothing.
    call(&BosBase::new(&named));
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    assert_eq!(BosBase::name_lookups() - before, 1, "served from the cache");

    // The same count with ureq's stock resolver (what the client did before): one lookup
    // per request, which is what this test exists to catch.
    let stock = BosBase::builder(&named).transport_tweaks(true, false).build().unwrap();
    let before = BosBase::name_lookups();
    for _ in 0..CALLS {
        call(&stock);
    }
    assert_eq!(BosBase::name_lookups() - before, CALLS, "the stock resolver looks up every request");
}

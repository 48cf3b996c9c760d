//! The proxy variables of the real process environment (alone in this binary: they are
//! global to the process). Before the fix, any HTTP_PROXY made every call fail with
//! "Connection refused".

mod common;

use bosbase::{BosBase, ErrorKind, SendOptions};

use common::canned::{serve, Reply};
use common::proxy::{self, Mode};

const VARS: [&str; 8] =
    ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];

fn health(pb: &BosBase) -> bosbase::Result<serde_json::Value> {
    pb.send("/api/health", SendOptions::new("GET")).wait()
}

#[test]
fn the_process_environment_is_honoured() {
    for var in VARS {
        std::env::remove_var(var);
    }
    let url = serve(Reply::Echo);
    let p = proxy::serve(Mode::Open);
    let dead = common::dead_url();

    std::env::set_var("HTTP_PROXY", &p.url);
    health(&BosBase::new(&url)).unwrap();
    assert_eq!(p.tunnels(), 1, "the call went through HTTP_PROXY");

    std::env::set_var("NO_PROXY", "127.0.0.1");
    health(&BosBase::new(&url)).unwrap();
    assert_eq!(p.tunnels(), 1, "NO_PROXY bypassed it");
    std::env::remove_var("NO_PROXY");

    std::env::set_var("http_proxy", &dead);
    let err = health(&BosBase::new(&url)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains("cannot connect to the proxy"), "lower case wins: {err}");

    health(&BosBase::builder(&url).proxy("none").build().unwrap()).unwrap();
    health(&BosBase::builder(&url).proxy(&p.url).build().unwrap()).unwrap();
    assert_eq!(p.tunnels(), 2, "the option replaces the environment");
    for var in VARS {
        std::env::remove_var(var);
    }
}

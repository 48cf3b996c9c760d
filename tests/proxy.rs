//! Proxies: calls, HTTPS and pub/sub through a real loopback `CONNECT` proxy
//! (`common/proxy.rs`), the environment's rules (injected per client with the hidden
//! `proxy_environment` hook: the process's variables are global to this binary; the real
//! process environment is tested alone in `proxy_env.rs`), credentials and refusals.

mod common;

use std::net::TcpListener;

use base64::Engine;
use bosbase::{BosBase, ErrorKind, SendOptions};
use serde_json::{json, Value};
use tungstenite::Message;

use common::canned::{serve, serve_counted, Reply};
use common::proxy::{self, Mode};

fn health(pb: &BosBase) -> bosbase::Result<Value> {
    pb.send("/api/health", SendOptions::new("GET")).wait()
}

fn host_port(url: &str) -> &str {
    url.split_once("://").unwrap().1
}

/// A proxy URL where nothing listens.
fn dead_proxy() -> String {
    common::dead_url()
}

#[test]
fn calls_go_through_the_proxy_option_in_one_kept_alive_tunnel() {
    let (url, accepted) = serve_counted(Reply::Echo);
    let p = proxy::serve(Mode::Open);
    let pb = BosBase::builder(&url).proxy(&p.url).build().unwrap();
    for _ in 0..5 {
        let echo = health(&pb).unwrap();
        assert_eq!(echo["target"], "/api/health", "origin-form inside the tunnel");
        assert_eq!(echo["headers"].get("proxy-authorization"), None);
    }
    assert_eq!(p.tunnels(), 1, "five calls, one tunnel (kept alive)");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(p.seen()[0].target, host_port(&url));
}

#[test]
fn the_environment_picks_the_proxy_and_no_proxy_bypasses_it() {
    let url = serve(Reply::Echo);
    let p = proxy::serve(Mode::Open);
    let dead = dead_proxy();
    let with_env = |vars: &[(&str, &str)]| BosBase::builder(&url).proxy_environment(vars).build().unwrap();

    health(&with_env(&[("HTTP_PROXY", &p.url)])).unwrap();
    assert_eq!(p.tunnels(), 1, "HTTP_PROXY");
    health(&with_env(&[("ALL_PROXY", &p.url)])).unwrap();
    assert_eq!(p.tunnels(), 2, "ALL_PROXY");
    health(&with_env(&[("http_proxy", &p.url), ("HTTP_PROXY", &dead)])).unwrap();
    assert_eq!(p.tunnels(), 3, "lower case wins");
    health(&with_env(&[("HTTPS_PROXY", &dead)])).unwrap(); // an http server does not use HTTPS_PROXY
    health(&with_env(&[("HTTP_PROXY", &dead), ("NO_PROXY", "example.com, 127.0.0.1")])).unwrap();
    health(&with_env(&[("HTTP_PROXY", &dead), ("no_proxy", "127.0.0.0/8")])).unwrap();
    health(&with_env(&[("HTTP_PROXY", &dead), ("NO_PROXY", "*")])).unwrap();
    // The option replaces the environment: "none" goes direct whatever it says.
    health(&BosBase::builder(&url).proxy_environment(&[("HTTP_PROXY", &dead)]).proxy("none").build().unwrap()).unwrap();
    assert_eq!(p.tunnels(), 3, "the bypasses opened no tunnel");

    // Loopback is not exempt by itself, and NO_PROXY for another port does not match.
    let port = host_port(&url).rsplit_once(':').unwrap().1.parse::<u16>().unwrap();
    let other_port = format!("127.0.0.1:{}", port.wrapping_add(1));
    let err =
        health(&with_env(&[("HTTP_PROXY", &dead), ("NO_PROXY", &format!("localhost,{other_port}"))])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains(&format!("cannot connect to the proxy {}", host_port(&dead))), "{err}");

    // An unusable proxy in the environment fails the call; it never silently goes direct.
    let err = health(&with_env(&[("HTTP_PROXY", "socks5://127.0.0.1:1080")])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("HTTP_PROXY") && err.message().contains("SOCKS"), "{err}");
}

#[test]
fn https_runs_tls_to_the_server_inside_the_tunnel() {
    let server = common::tls::serve(false);
    let p = proxy::serve(Mode::Open);
    let pb = BosBase::builder(&server.url).ca_pem(&server.ca_pem).proxy(&p.url).build().unwrap();
    for _ in 0..3 {
        assert_eq!(health(&pb).unwrap()["code"], 200);
    }
    assert_eq!(p.tunnels(), 1);
    assert_eq!(p.seen()[0].target, host_port(&server.url));
    // The certificate is checked against the server's name, not the proxy's.
    let wrong = BosBase::builder(&server.wrong_host_url).ca_pem(&server.ca_pem).proxy(&p.url).build().unwrap();
    assert_eq!(health(&wrong).unwrap_err().kind(), ErrorKind::Tls);
    assert_eq!(p.tunnels(), 2);
}

#[test]
fn proxy_credentials_are_sent_and_never_shown() {
    let url = serve(Reply::Echo);
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("bob:hunter2:x"));
    let p = proxy::serve(Mode::Auth(expected.clone()));
    let pb = BosBase::builder(&url).proxy(&format!("http://bob:hunter2%3Ax@{}", p.address)).build().unwrap();
    let echo = health(&pb).unwrap();
    assert_eq!(p.seen()[0].authorization.as_deref(), Some(expected.as_str()));
    assert_eq!(echo["headers"].get("proxy-authorization"), None, "the server never sees them");

    let builder = BosBase::builder(&url).proxy(&format!("http://bob:wrong-secret@{}", p.address));
    let shown = format!("{builder:?}");
    let pb = builder.build().unwrap();
    let err = health(&pb).unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::Network, 0), "{err}");
    assert!(err.message().contains(&format!("the proxy {}", p.address)) && err.message().contains("407"), "{err}");
    for text in [shown, format!("{pb:?}"), format!("{err:?}"), err.to_string(), err.to_json().to_string()] {
        assert!(!text.contains("wrong-secret") && !text.contains("bob"), "credentials shown: {text}");
    }
    // A malformed option is refused up front, without echoing it.
    let err = BosBase::builder(&url).proxy("http://bob:s3cret@proxy:99999").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[test]
fn a_refusing_or_absent_proxy_is_a_network_error_naming_it() {
    let url = serve(Reply::Echo);
    for status in ["403 Forbidden", "502 Bad Gateway"] {
        let p = proxy::serve(Mode::Refuse(status));
        let err = health(&BosBase::builder(&url).proxy(&p.url).build().unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{err}");
        let want = format!("the proxy {} refused the tunnel to {}: {status}", p.address, host_port(&url));
        assert!(err.message().contains(&want), "{err}");
    }
    let dead = dead_proxy();
    let err = health(&BosBase::builder(&url).proxy(&dead).build().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains(&format!("cannot connect to the proxy {}", host_port(&dead))), "{err}");
    for refused in ["socks5://127.0.0.1:1080", "https://127.0.0.1:3128", ""] {
        let err = BosBase::builder(&url).proxy(refused).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{refused}: {err}");
    }
    // `BosBase::new`'s infallible path reports a bad option on every call instead.
    assert!(BosBase::builder(&url).proxy("socks5://h:1").build().is_err());
}

#[test]
fn pubsub_upgrades_through_the_proxy_tunnel() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4).flatten() {
            std::thread::spawn(move || {
                let Ok(mut ws) = tungstenite::accept(stream) else { return };
                let ready = json!({"type": "ready", "clientId": "c1"}).to_string();
                if ws.send(Message::text(ready)).is_err() {
                    return;
                }
                while let Ok(frame) = ws.read() {
                    let Message::Text(text) = frame else { continue };
                    let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                    let ack = json!({"type": "published", "requestId": frame["requestId"], "id": "p1", "topic": frame["topic"], "created": "now"});
                    if ws.send(Message::text(ack.to_string())).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let p = proxy::serve(Mode::Open);
    let pb = BosBase::builder(&url).proxy(&p.url).build().unwrap();
    let ack = pb.pubsub().publish("t", json!({"n": 1}), SendOptions::default()).wait().unwrap();
    assert_eq!(ack["id"], "p1");
    assert_eq!(p.tunnels(), 1, "the WebSocket went through the tunnel");
    assert_eq!(p.seen()[0].target, host_port(&url));
    pb.close();
    // A refusing proxy fails the publish with the same typed error as a call.
    let refusing = proxy::serve(Mode::Refuse("403 Forbidden"));
    let pb = BosBase::builder(&url).proxy(&refusing.url).build().unwrap();
    let err = pb.pubsub().publish("t", json!(1), SendOptions::default()).wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.message().contains("refused the tunnel") && err.message().contains("403"), "{err}");
    pb.close();
}

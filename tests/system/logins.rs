//! Logins under attack, over a real port (rule U-4): a competitor failing logins for a bidder's
//! account from its own address cannot keep the bidder out from another, and a storm of failed
//! logins runs only a few password checks at a time, each login answered or told to wait.

use std::net::IpAddr;

use gateway::node::Node;
use serde_json::json;

use crate::helpers::*;

/// A client whose connections come from `source` (any address of the loopback range).
fn client_from(source: &str) -> HttpClient {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_local_address(Some(source.parse::<IpAddr>().expect("an address")));
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_competitor_cannot_lock_a_bidder_out_and_a_login_storm_runs_few_checks_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, _) = Node::open(&settings(dir.path(), None), true).await.expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port 0");
    let login_uri = format!("http://{}/api/v1/login", listener.local_addr().expect("address"));
    let state = node.app_state();
    let limiter = state.logins.clone();
    tokio::spawn(gateway::http::serve(listener, state, std::future::pending()));
    let attempt = |password: &str| json!({ "login": "supplier3", "password": password });

    // The competitor, from its own address, fails until it is refused.
    let competitor = client_from("127.0.0.2");
    let mut refused = 0;
    for _ in 0..8 {
        let (status, body) = call(&competitor, "POST", &login_uri, None, Some(attempt("x"))).await;
        assert!(matches!(status, 401 | 429), "{status} {body}");
        refused += usize::from(status == 429);
    }
    assert!(refused >= 3, "the competitor's address is refused after five failures");
    // The bidder, from its address, still logs in.
    let bidder = client_from("127.0.0.3");
    let (status, body) = call(&bidder, "POST", &login_uri, None, Some(attempt("demo"))).await;
    assert_eq!(status, 200, "the rightful user is not locked out: {body}");

    // A storm: 48 failed logins at once, from many addresses, for many names.
    let mut storm = Vec::new();
    for n in 0..48_u32 {
        let client = client_from(&format!("127.0.1.{}", n + 1));
        let uri = login_uri.clone();
        storm.push(tokio::spawn(async move {
            let body = json!({ "login": format!("unit{n}"), "password": "wrong" });
            call(&client, "POST", &uri, None, Some(body)).await.0
        }));
    }
    let mut most_at_once = 0;
    while storm.iter().any(|t| !t.is_finished()) {
        most_at_once = most_at_once.max(limiter.checks_running());
        tokio::task::yield_now().await;
    }
    for task in storm {
        let status = task.await.expect("answered");
        assert!(matches!(status, 401 | 429), "every login is answered or told to wait: {status}");
    }
    assert!(
        most_at_once <= gateway::auth::CHECKS_AT_ONCE,
        "{most_at_once} password checks ran at once"
    );
    node.shutdown().await.expect("shutdown");
}

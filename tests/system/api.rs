//! The API end to end over a real port, on PostgreSQL and on SQLite: log in, search, order,
//! settle, read back, and reconcile with no difference.

use std::time::Duration;

use gateway::node::Node;
use serde_json::json;

use crate::helpers::*;

async fn trade_over_http(database_url: Option<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, _) = Node::open(&settings(dir.path(), database_url), true).await.expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port 0");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(gateway::http::serve(listener, node.app_state(), std::future::pending()));
    let client = http_client();
    // A demo says so, to every page and to anyone who asks.
    let (_, about) = call(&client, "GET", &format!("{base}/api/v1/about"), None, None).await;
    assert_eq!(about["demo"], true, "{about}");

    let login = |who: &str| json!({ "login": who, "password": "demo" });
    let (status, unit) =
        call(&client, "POST", &format!("{base}/api/v1/login"), None, Some(login("unit7"))).await;
    assert_eq!(status, 200, "{unit}");
    let token = unit["token"].as_str().expect("token").to_string();
    let body = order_body(&client, &base, &token).await;
    let (status, order) =
        call(&client, "POST", &format!("{base}/api/v1/orders"), Some(&token), Some(body)).await;
    assert_eq!(status, 201, "{order}");
    let trade = order["trades"][0]["id"].as_str().expect("a trade").to_string();
    let supplier = order["trades"][0]["supplier"].as_u64().expect("supplier");
    let seller_login = node
        .replica
        .read(|e| e.users().find(|u| u.participant.0 == supplier).map(|u| u.login.clone()))
        .0
        .expect("seller");
    let (_, seller) =
        call(&client, "POST", &format!("{base}/api/v1/login"), None, Some(login(&seller_login)))
            .await;
    let seller = seller["token"].as_str().expect("token").to_string();
    let (status, _) = call(
        &client,
        "POST",
        &format!("{base}/api/v1/trades/{trade}/deliver"),
        Some(&seller),
        None,
    )
    .await;
    assert_eq!(status, 200);
    for step in ["accept", "pay"] {
        let (status, reply) = call(
            &client,
            "POST",
            &format!("{base}/api/v1/trades/{trade}/{step}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{step}: {reply}");
    }
    let seq = order["seq"].as_u64().expect("seq") + 3;
    let (_, trades) =
        call(&client, "GET", &format!("{base}/api/v1/trades?min_seq={seq}"), Some(&token), None)
            .await;
    assert_eq!(trades["items"][0]["state"], "paid");

    within(Duration::from_secs(60), "the persister catching up", node.persisted()).await;
    // The price desk's history reached the database too: six candles (the product and its
    // category, at 1m, 1h and 1d) and the category's index for the day.
    within(Duration::from_secs(60), "the price history in the database", async {
        loop {
            let (candles, index, _) = node.db.price_row_counts().await.expect("counts");
            if candles >= 6 && index >= 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let (_, supervisor) =
        call(&client, "POST", &format!("{base}/api/v1/login"), None, Some(login("supervisor")))
            .await;
    let supervisor = supervisor["token"].as_str().expect("token").to_string();
    let (status, report) =
        call(&client, "GET", &format!("{base}/api/v1/reconciliation"), Some(&supervisor), None)
            .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["differences"], json!([]), "{report}");
    assert_eq!(report["budget_lines"], 4_000);
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_placed_settled_and_reconciled_over_http_on_postgresql() {
    let db = fresh_database().await;
    trade_over_http(Some(db.url.clone())).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_placed_settled_and_reconciled_over_http_on_sqlite() {
    trade_over_http(None).await;
}

//! The security log (U-7) kept in the node's database, PostgreSQL or SQLite: entries outlive a
//! restart, carry the caller's address, and a flood of refusals is counted rather than written
//! entry by entry.

use gateway::node::Node;
use serde_json::{Value, json};

use crate::helpers::*;

/// Starts a production node on `database`, logs in wrong and floods it with forged tokens, restarts
/// it and reads the log as its first operator.
async fn kept_across_a_restart(database: Option<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(dir.path(), database);
    let first =
        gateway::accounts_cli::create_operator(&settings, "zj-centre", "浙江省政府采购中心")
            .await
            .expect("a first operator");
    let (node, _) = Node::open(&settings, false).await.expect("open");
    let base = serve(node.app_state()).await;
    let client = http_client();
    let wrong = json!({ "login": "zj-centre", "password": "not the password" });
    let (status, _) =
        call(&client, "POST", &format!("{base}/api/v1/login"), None, Some(wrong)).await;
    assert_eq!(status, 401);
    // A flood: far more refusals than the log writes one by one for an address.
    for _ in 0..120 {
        let (status, _) =
            call(&client, "GET", &format!("{base}/api/v1/trades"), Some("forged"), None).await;
        assert_eq!(status, 401);
    }
    node.security.flushed().await;
    node.shutdown().await.expect("shutdown");

    let (node, _) = Node::open(&settings, false).await.expect("reopen");
    let base = serve(node.app_state()).await;
    let login = json!({ "login": "zj-centre", "password": first.password });
    let (status, logged) =
        call(&client, "POST", &format!("{base}/api/v1/login"), None, Some(login)).await;
    assert_eq!(status, 200, "{logged}");
    let token = logged["token"].as_str().expect("token").to_owned();
    // The one-time password must be replaced before anything else; reading the log included.
    let change = json!({ "current": first.password, "new": "钱塘江潮水每年八月最盛" });
    let url = format!("{base}/api/v1/me/password");
    assert_eq!(call(&client, "POST", &url, Some(&token), Some(change)).await.0, 204);
    let login = json!({ "login": "zj-centre", "password": "钱塘江潮水每年八月最盛" });
    let (_, logged) =
        call(&client, "POST", &format!("{base}/api/v1/login"), None, Some(login)).await;
    let token = logged["token"].as_str().expect("token").to_owned();
    node.security.flushed().await;
    let (status, page) = call(
        &client,
        "GET",
        &format!("{base}/api/v1/security-events?limit=200"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().expect("events");
    let of = |kind: &str| events.iter().filter(|e| e["kind"] == kind).collect::<Vec<&Value>>();
    let failed = of("login_failed");
    assert_eq!(failed.len(), 1, "{page}");
    assert_eq!(
        (failed[0]["address"].as_str(), failed[0]["login"].as_str()),
        (Some("127.0.0.1"), Some("zj-centre"))
    );
    assert_eq!(of("login_succeeded").len(), 2, "{page}");
    assert!(of("account_action").iter().any(|e| e["action"] == "SetPassword"), "{page}");
    let refused = of("refused").len();
    let suppressed: u64 = of("refusals_suppressed")
        .iter()
        .map(|e| e["action"].as_str().and_then(|n| n.parse::<u64>().ok()).expect("a count"))
        .sum();
    assert!(refused < 60, "a flood is not written entry by entry: {refused}");
    assert_eq!(refused as u64 + suppressed, 120, "every refusal is written or counted: {page}");
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u7_the_security_log_is_kept_in_postgresql_and_a_flood_is_counted() {
    let db = fresh_database().await;
    kept_across_a_restart(Some(db.url.clone())).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u7_the_security_log_is_kept_in_sqlite_and_a_flood_is_counted() {
    kept_across_a_restart(None).await;
}

//! A production start (rule U-1): no demo data, a first operator from the command line with a
//! one-time password, which opens nothing until replaced; the operator then works, and the market
//! does not call itself a demo.

use std::process::Command;

use gateway::node::Node;
use serde_json::json;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_production_market_starts_empty_with_a_first_operator_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let created = Command::new(node_binary())
        .args([
            "--data-dir",
            dir.path().to_str().expect("utf-8"),
            "operator",
            "--login",
            "zj-centre",
        ])
        .env("APP_TOKEN_KEY_FILE", dir.path().join("token.key"))
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the command runs");
    let said = String::from_utf8_lossy(&created.stdout);
    assert!(created.status.success(), "{said}{}", String::from_utf8_lossy(&created.stderr));
    let password = said.lines().last().expect("the one-time password").trim().to_owned();
    assert_eq!(password.len(), 16, "{said}");

    let (node, loaded) = Node::open(&settings(dir.path(), None), false).await.expect("open");
    assert!(loaded.is_none() && !node.demo, "no demo data");
    let (accounts, _) = node.replica.read(|e| e.users().count());
    assert_eq!(accounts, 1, "the operator's account alone");
    let base = serve(node.app_state()).await;
    let client = http_client();
    let (_, about) = call(&client, "GET", &format!("{base}/api/v1/about"), None, None).await;
    assert_eq!(about["demo"], false);
    let login = |password: &str| json!({ "login": "zj-centre", "password": password });
    let (status, logged) =
        call(&client, "POST", &format!("{base}/api/v1/login"), None, Some(login(&password))).await;
    assert_eq!((status, &logged["must_change_password"]), (200, &json!(true)), "{logged}");
    let token = logged["token"].as_str().expect("token").to_owned();
    let unit = json!({ "kind": "purchaser", "name": "浙江省教育厅", "region": "330000" });
    let participants = format!("{base}/api/v1/participants");
    let (status, _) = call(&client, "POST", &participants, Some(&token), Some(unit.clone())).await;
    assert_eq!(status, 403, "nothing before the password is replaced");
    let change = json!({ "current": password, "new": "钱塘江潮水每年八月最盛" });
    let (status, _) =
        call(&client, "POST", &format!("{base}/api/v1/me/password"), Some(&token), Some(change))
            .await;
    assert_eq!(status, 204);
    let (status, logged) = call(
        &client,
        "POST",
        &format!("{base}/api/v1/login"),
        None,
        Some(login("钱塘江潮水每年八月最盛")),
    )
    .await;
    assert_eq!(status, 200, "{logged}");
    let token = logged["token"].as_str().expect("token").to_owned();
    let province = json!({ "code": "330000", "name": "浙江省" });
    let (status, body) =
        call(&client, "POST", &format!("{base}/api/v1/regions"), Some(&token), Some(province))
            .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = call(&client, "POST", &participants, Some(&token), Some(unit)).await;
    assert_eq!(status, 201, "the operator registers the province's units: {body}");
    node.shutdown().await.expect("shutdown");
}

//! PostgreSQL stopped in the middle of trading and started again.

use std::time::Duration;

use engine::Event;
use gateway::demo::{DemoProvince, day_commands, live};
use gateway::node::Node;
use gateway::reconcile::reconcile;
use sqlx::Connection;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_keeps_trading_while_postgresql_is_down_and_nothing_is_lost_or_doubled() {
    let cluster = Cluster::start_new();
    {
        let mut admin =
            sqlx::PgConnection::connect(&cluster.url("postgres")).await.expect("connect");
        sqlx::query("CREATE DATABASE market").execute(&mut admin).await.expect("create");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, _) =
        Node::open(&settings(dir.path(), Some(cluster.url("market"))), true).await.expect("open");
    let handle = node.runtime.handle();
    let engine = handle.copy_engine().await.expect("engine");
    let province = DemoProvince::from_engine(&engine);
    let today = engine::types::shanghai_date(engine.clock());
    let mut script: Vec<_> =
        day_commands(&province, today, 6_000, 5).into_iter().map(|(c, _)| c).collect();
    let second_half = script.split_off(script.len() / 2);

    live::trade(handle.clone(), script, 8, false).await;
    within(Duration::from_secs(120), "the first persist", node.persisted()).await;

    let base = serve(node.app_state()).await;
    let client = http_client();
    let (status, ready) = call(&client, "GET", &format!("{base}/ready"), None, None).await;
    assert_eq!((status, &ready["database"]["ok"]), (200, &serde_json::json!(true)), "{ready}");

    cluster.stop();
    let during = live::trade(handle.clone(), second_half, 8, false).await;
    assert!(during.commands > 2_000, "the engine kept trading: {during:?}");
    assert!(
        *node.persister.persisted().borrow() < node.durable(),
        "the database is behind while down"
    );
    // The outage shows in readiness, with its cause and the real lag, while the node stays ready:
    // the journal holds everything and the persister catches up.
    let ready = within(Duration::from_secs(30), "the outage to show in /ready", async {
        loop {
            let (status, ready) = call(&client, "GET", &format!("{base}/ready"), None, None).await;
            assert_eq!(status, 200, "a database outage does not make the node unready: {ready}");
            if ready["database"]["ok"] == false {
                break ready;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let lag = ready["database"]["lag"].as_u64().expect("lag");
    let behind = node.durable().0 - node.persister.persisted().borrow().0;
    assert_eq!(lag, behind, "{ready}");
    assert!(ready["database"]["last_error"]["error"].as_str().is_some_and(|e| !e.is_empty()));
    // Metrics and reconciliation answer from memory, without waiting on the database's pool (a
    // guard against hanging, not a timing: the pool alone would take 5 s).
    let metrics = within(Duration::from_secs(2), "/metrics in an outage", async {
        let response =
            client.get(format!("{base}/metrics").parse().expect("uri")).await.expect("metrics");
        http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes()
    })
    .await;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains("marketplace_database_up 0"), "{metrics}");
    assert!(metrics.contains(&format!("marketplace_persister_lag {behind}")), "{metrics}");
    let actor = gateway::demo::demo_user(province.analyst);
    let token = node.tokens.issue(actor.user, actor.participant).0;
    let uri = format!("{base}/api/v1/reconciliation");
    let (status, answer) = within(
        Duration::from_secs(2),
        "reconciliation in an outage",
        call(&client, "GET", &uri, Some(&token), None),
    )
    .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (503, &serde_json::json!("database_unavailable"))
    );

    cluster.start();
    within(Duration::from_secs(120), "the persister catching up", node.persisted()).await;
    let report = reconcile(&node.db, node.storage.clone(), &node.layout).await.expect("reconcile");
    assert!(report.differences.is_empty(), "{report}");

    let gateway::persist::Database::Postgres(pool) = &node.db else {
        panic!("PostgreSQL expected")
    };
    for (table, pick) in [
        ("ledger_entries", (|e: &Event| matches!(e, Event::BudgetMoved(_))) as fn(&Event) -> bool),
        ("trades", |e: &Event| matches!(e, Event::TradeStruck(_))),
        ("settlement_steps", |e: &Event| matches!(e, Event::TradeSettled { .. })),
    ] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .expect("count");
        assert_eq!(rows, count_events(dir.path(), pick), "{table}: one row per journaled event");
    }
    node.shutdown().await.expect("shutdown");
}

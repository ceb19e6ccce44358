//! Persistence to PostgreSQL and SQLite, idempotent retries across a restart, one owner per folder.

use std::time::Duration;

use engine::idempotency::IdempotencyKey;
use engine::types::{Actor, Seq};
use engine::{Action, Command, Event};
use gateway::demo::{DemoProvince, day_commands, live};
use gateway::node::Node;
use gateway::reconcile::reconcile;
use sqlx::types::Decimal;

use crate::helpers::*;

async fn trade_and_reconcile(node: &Node, commands: usize) {
    let handle = node.runtime.handle();
    let engine = handle.copy_engine().await.expect("engine");
    let province = DemoProvince::from_engine(&engine);
    let today = engine::types::shanghai_date(engine.clock());
    let script: Vec<_> =
        day_commands(&province, today, commands, 9).into_iter().map(|(c, _)| c).collect();
    let summary = live::trade(handle, script, 8, false).await;
    assert!(summary.trades > 500, "{summary:?}");
    within(Duration::from_secs(120), "the persister catching up", node.persisted()).await;
    let report = reconcile(&node.db, node.storage.clone(), &node.layout).await.expect("reconcile");
    assert!(report.differences.is_empty(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trades_and_ledger_reach_postgresql_as_exact_numeric_amounts() {
    let db = fresh_database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, loaded) =
        Node::open(&settings(dir.path(), Some(db.url.clone())), true).await.expect("open");
    assert!(loaded.is_some(), "a fresh folder loads the demo province");
    trade_and_reconcile(&node, 3_000).await;
    let engine = node.runtime.handle().copy_engine().await.expect("engine");
    let expected: Decimal = engine.trades().map(|t| t.trade.amount.to_decimal()).sum();
    let gateway::persist::Database::Postgres(pool) = &node.db else {
        panic!("PostgreSQL expected")
    };
    let stored: Decimal =
        sqlx::query_scalar("SELECT sum(amount) FROM trades").fetch_one(pool).await.expect("sum");
    assert_eq!(stored, expected);
    let scale: i32 = sqlx::query_scalar("SELECT max(scale(amount)) FROM trades")
        .fetch_one(pool)
        .await
        .expect("scale");
    assert_eq!(scale, 2, "amounts are stored to the fen");
    node.shutdown().await.expect("shutdown");
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trades_and_ledger_reach_sqlite_in_integer_fen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, _) = Node::open(&settings(dir.path(), None), true).await.expect("open");
    trade_and_reconcile(&node, 3_000).await;
    let engine = node.runtime.handle().copy_engine().await.expect("engine");
    let expected: i64 = engine.trades().map(|t| t.trade.amount.minor()).sum();
    let gateway::persist::Database::Sqlite(pool) = &node.db else { panic!("SQLite expected") };
    let stored: i64 =
        sqlx::query_scalar("SELECT sum(amount) FROM trades").fetch_one(pool).await.expect("sum");
    assert_eq!(stored, expected);
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_the_same_idempotency_key_after_a_restart_gets_the_first_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let command = Command::new(
        Actor::SYSTEM,
        Action::DefineRegion {
            code: "330000".parse().expect("code"),
            name: "浙江省".into(),
            parent: None,
        },
    )
    .with_key(IdempotencyKey::parse("load-province-1").expect("key"));
    let first = {
        let (node, _) = Node::open(&settings(dir.path(), None), false).await.expect("open");
        let outcome = node.runtime.handle().submit(command.clone()).await.expect("applied");
        node.shutdown().await.expect("shutdown");
        outcome.seq
    };
    let (node, _) = Node::open(&settings(dir.path(), None), false).await.expect("reopen");
    let retry = node.runtime.handle().submit(command).await.expect("answered");
    assert_eq!(
        retry.events.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        vec![Event::AlreadyApplied { original: first }]
    );
    assert_eq!(retry.seq, Seq(first.0 + 1));
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_the_same_data_folder_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, _) = Node::open(&settings(dir.path(), None), false).await.expect("open");
    let error = Node::open(&settings(dir.path(), None), false).await.expect_err("refused");
    assert!(format!("{error:#}").contains("another process owns"), "{error:#}");
    node.shutdown().await.expect("shutdown");
}

/// A previous owner paused in the middle of a batch holds the persister's offset row locked: a
/// node opening the same database does not wait for it, and PostgreSQL ends the paused session
/// once it has sat idle in its transaction past the limit the marketplace sets on its sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_held_open_by_a_paused_node_keeps_no_other_node_from_opening_the_database() {
    let db = fresh_database().await;
    let first = gateway::persist::Database::connect(&db.url).await.expect("first node");
    let gateway::persist::Database::Postgres(pool) = &first else { panic!("PostgreSQL expected") };
    let mut paused = pool.begin().await.expect("begin");
    let sql = "SELECT seq FROM journal_offsets WHERE consumer = 'persister' FOR UPDATE";
    let _: i64 = sqlx::query_scalar(sql).fetch_one(&mut *paused).await.expect("lock");
    sqlx::query("UPDATE journal_offsets SET seq = seq WHERE consumer = 'persister'")
        .execute(&mut *paused)
        .await
        .expect("update");
    // The guard is far beyond a connection's few milliseconds, far below the session limit.
    let second = within(
        Duration::from_secs(30),
        "opening the database beside a paused batch",
        gateway::persist::Database::connect(&db.url),
    )
    .await
    .expect("second node");
    let gateway::persist::Database::Postgres(other) = &second else { panic!("PostgreSQL") };
    let limit: String = sqlx::query_scalar("SHOW idle_in_transaction_session_timeout")
        .fetch_one(other)
        .await
        .expect("show");
    assert_eq!(limit, "1min", "a paused node's locks are let go within a minute");
    drop(paused);
    second.close().await;
    first.close().await;
    db.drop_now().await;
}

/// Ledger entries and trades name budget lines that the batch checks as a whole: a batch naming a
/// line the database lacks is refused whole and the offset stays, and a line once named cannot be
/// deleted, renumbered or truncated away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_naming_a_missing_budget_line_is_refused_and_lines_are_never_deleted() {
    use gateway::persist::rows::{LedgerRow, RowBatch};
    let db = fresh_database().await;
    let database = gateway::persist::Database::connect(&db.url).await.expect("connect");
    let gateway::persist::Database::Postgres(pool) = &database else { panic!("PostgreSQL") };
    let entry = |line| LedgerRow {
        seq: 1,
        idx: 0,
        line,
        kind: "allocate",
        amount: engine::types::Amount::from_minor(100),
        deal: None,
        user: 0,
        ts_ms: 0,
    };
    let batch =
        RowBatch { last: Some(Seq(1)), records: 1, ledger: vec![entry(7)], ..RowBatch::default() };
    let error = database.write(Seq(0), &batch).await.expect_err("refused");
    assert!(format!("{error:#}").contains("does not hold: [7]"), "{error:#}");
    assert_eq!(database.offset(gateway::persist::PERSISTER).await.expect("offset"), Seq(0));
    let ledger: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries")
        .fetch_one(pool)
        .await
        .expect("count");
    assert_eq!(ledger, 0, "nothing of the refused batch stays");

    sqlx::query(
        "INSERT INTO participants (id, kind, name, seq) VALUES (1, 'purchaser', '某单位', 1)",
    )
    .execute(pool)
    .await
    .expect("participant");
    sqlx::query(
        "INSERT INTO budget_lines (id, purchaser, fiscal_year, project, line_code, seq)
         VALUES (7, 1, 2026, '办公设备', '001', 1)",
    )
    .execute(pool)
    .await
    .expect("line");
    assert!(database.write(Seq(0), &batch).await.expect("written"), "the offset matched");
    for statement in [
        "DELETE FROM budget_lines WHERE id = 7",
        "UPDATE budget_lines SET id = 8 WHERE id = 7",
        "TRUNCATE budget_lines CASCADE",
    ] {
        let error = sqlx::query(statement).execute(pool).await.expect_err(statement);
        assert!(error.to_string().contains("never deleted or renumbered"), "{statement}: {error}");
    }
    database.close().await;
    db.drop_now().await;
}

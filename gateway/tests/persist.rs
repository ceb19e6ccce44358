//! The persister's guarantees on the embedded database: a batch whose offset moved is not written
//! twice, and reconciliation finds a figure the database got wrong.

use std::sync::Arc;
use std::time::Duration;

use engine::types::Seq;
use gateway::journal::Layout;
use gateway::journal::reader::scan;
use gateway::journal::storage::FileStorage;
use gateway::node::{Node, Settings};
use gateway::persist::rows::RowBatch;
use gateway::persist::{Database, PERSISTER};
use gateway::reconcile::{Scope, reconcile};
use gateway::runtime::RuntimeConfig;

async fn node_with_demo(dir: &std::path::Path) -> Node {
    let settings = Settings {
        data_dir: dir.to_path_buf(),
        database_url: None,
        runtime: RuntimeConfig::default(),
        redis_url: None,
        redis_namespace: gateway::node::REDIS_NAMESPACE.into(),
        sealing_key_file: None,
        thresholds: engine::analytics::Thresholds::default(),
        limits: gateway::http::LimitsConfig::default(),
        token_key_file: None,
        cluster: None,
        demo_history_days: 0,
    };
    let (node, _) = Node::open(&settings, true).await.expect("open");
    tokio::time::timeout(Duration::from_secs(60), node.persisted()).await.expect("persisted");
    node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_offset_has_moved_is_not_written_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = node_with_demo(dir.path()).await;
    let Database::Sqlite(pool) = &node.db else { panic!("SQLite expected") };
    let rows = |table: &'static str| async move {
        sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .expect("count")
    };
    let before = (rows("ledger_entries").await, rows("budget_lines").await);
    // The last hundred records again, as a retry whose first attempt committed unheard.
    let offset = node.db.offset(PERSISTER).await.expect("offset");
    let mut batch = RowBatch::default();
    scan(&FileStorage::new(), &Layout::new(dir.path()), |record, _| {
        if record.seq.0 + 100 > offset.0 {
            batch.add(&record);
        }
        Ok(())
    })
    .expect("scan");
    assert!(!batch.ledger.is_empty());
    let written = node.db.write(Seq(offset.0 - 100), &batch).await.expect("write");
    assert!(!written, "the offset is past the batch, so nothing is written");
    assert_eq!((rows("ledger_entries").await, rows("budget_lines").await), before);
    let report = reconcile(&node.db, node.storage.clone(), &node.layout).await.expect("reconcile");
    assert!(report.differences.is_empty(), "{report}");
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_lists_a_figure_the_database_got_wrong_at_every_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = node_with_demo(dir.path()).await;
    let Database::Sqlite(pool) = &node.db else { panic!("SQLite expected") };
    let (line, purchaser): (i64, i64) =
        sqlx::query_as("SELECT id, purchaser FROM budget_lines ORDER BY id LIMIT 1")
            .fetch_one(pool)
            .await
            .expect("line");
    sqlx::query("UPDATE budget_lines SET paid = paid + 1 WHERE id = $1")
        .bind(line)
        .execute(pool)
        .await
        .expect("tamper");
    let report =
        reconcile(&node.db, Arc::new(FileStorage::new()), &node.layout).await.expect("reconcile");
    let line_id = engine::types::BudgetLineId(u64::try_from(line).expect("id"));
    let purchaser_id = engine::types::ParticipantId(u64::try_from(purchaser).expect("id"));
    let scopes: Vec<_> = report.differences.iter().map(|d| (d.scope, d.figure)).collect();
    assert!(scopes.contains(&(Scope::Line(line_id), "paid")), "{report}");
    assert!(scopes.contains(&(Scope::Line(line_id), "available")), "{report}");
    assert!(scopes.contains(&(Scope::Purchaser(purchaser_id), "paid")), "{report}");
    assert!(scopes.iter().any(|(s, f)| matches!(s, Scope::Region(_)) && *f == "paid"), "{report}");
    let wrong = report
        .differences
        .iter()
        .find(|d| d.scope == Scope::Line(line_id) && d.figure == "paid")
        .expect("listed");
    assert_eq!(wrong.engine, wrong.ledger, "engine and ledger agree; only the database is off");
    assert_eq!(wrong.database.minor(), wrong.engine.minor() + 1);
    node.shutdown().await.expect("shutdown");
}

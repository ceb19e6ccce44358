//! `kill -9` of a node while commands are in flight.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use engine::types::Seq;
use gateway::node::Node;
use gateway::reconcile::reconcile;

use crate::helpers::*;

/// Acknowledgements to wait for before the kill.
const ACKS_BEFORE_KILL: usize = 3_000;

/// Starts a node trading with printed acknowledgements, kills it with SIGKILL after
/// `ACKS_BEFORE_KILL` of them, and returns every acknowledgement it printed.
fn trade_and_kill(dir: &std::path::Path, database_url: Option<&str>) -> Vec<Seq> {
    let mut command = Command::new(node_binary());
    command
        .env("APP_TOKEN_KEY_FILE", dir.join("token.key"))
        .args([
            "--data-dir",
            dir.to_str().expect("utf-8"),
            "simulate",
            "--commands",
            "500000",
            "--clients",
            "16",
            "--print-acks",
        ])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    let mut child = command.spawn().expect("the node starts");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut acks = Vec::new();
    let mut lines = stdout.lines();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(seq) = line.strip_prefix("ack ") {
            acks.push(Seq(seq.parse().expect("a sequence")));
            if acks.len() >= ACKS_BEFORE_KILL {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL");
    // Whatever the node printed before it died was acknowledged too.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(seq) = line.strip_prefix("ack ") {
            acks.push(Seq(seq.parse().expect("a sequence")));
        }
    }
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "the node must have been killed, not have finished");
    assert!(acks.len() >= ACKS_BEFORE_KILL, "the node acknowledged {} commands", acks.len());
    acks
}

async fn restart_and_check(dir: &std::path::Path, database_url: Option<String>, acks: &[Seq]) {
    let (node, _) =
        Node::open(&settings(dir, database_url), false).await.expect("the node restarts");
    let last_ack = *acks.iter().max().expect("acks");
    assert!(
        node.durable() >= last_ack,
        "acknowledged up to {last_ack}, recovered to {}",
        node.durable()
    );
    let live = node.runtime.handle().copy_engine().await.expect("engine");
    assert_eq!(
        live.state_hash(),
        clean_replay_hash(dir),
        "recovered state differs from a clean replay"
    );
    within(Duration::from_secs(120), "the persister catching up", node.persisted()).await;
    let report = reconcile(&node.db, node.storage.clone(), &node.layout).await.expect("reconcile");
    assert_eq!(report.as_of, node.durable());
    assert!(report.differences.is_empty(), "{report}");
    assert!(report.rows.len() > 4_000, "reconciliation covers every line, unit and region");
    node.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_trading_on_sqlite_loses_no_acknowledged_command_and_reconciles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let acks =
        tokio::task::spawn_blocking(move || trade_and_kill(&path, None)).await.expect("join");
    restart_and_check(dir.path(), None, &acks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_trading_on_postgresql_loses_no_acknowledged_command_and_reconciles() {
    let db = fresh_database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, url) = (dir.path().to_path_buf(), db.url.clone());
    let acks =
        tokio::task::spawn_blocking(move || trade_and_kill(&path, Some(&url))).await.expect("join");
    restart_and_check(dir.path(), Some(db.url.clone()), &acks).await;
    db.drop_now().await;
}

//! Markets on the machine's NATS server, each test's under names of its own: two markets on one
//! cluster never see each other; a new owner candidate with an empty disk catches up from the
//! cluster alone; a forwarded command whose deadline has passed is dropped, never applied.

use std::time::{Duration, Instant, SystemTime};

use engine::types::Seq;
use gateway::cluster::Cluster;
use gateway::demo::{DemoProvince, day_commands, live};
use gateway::node::Node;

use crate::helpers::*;
use crate::nats::{GuardedServer, NATS, drop_market, market, market_name};

/// Settings of a node of market `name` on the machine's NATS, in `dir`.
fn on_market(dir: &std::path::Path, name: &str) -> gateway::node::Settings {
    let mut settings = settings(dir, None);
    settings.cluster = Some(market(NATS, name, 1));
    settings
}

/// Trades `commands` of a scripted day on `node`.
async fn trade(node: &Node, commands: usize) {
    let handle = node.runtime.handle();
    let engine = handle.copy_engine().await.expect("engine");
    let province = DemoProvince::from_engine(&engine);
    let today = engine::types::shanghai_date(engine.clock());
    let script: Vec<_> = day_commands(&province, today, commands, engine.seq().0)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let summary = live::trade(handle, script, 8, false).await;
    assert!(summary.trades > 0, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_markets_on_one_cluster_never_see_each_others_commands() {
    let (one, two) = (market_name(), market_name());
    let (dir_one, dir_two) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    // One PostgreSQL database for both: each market keeps its rows in a schema of its own.
    let db = fresh_database().await;
    let mut settings_one = on_market(dir_one.path(), &one);
    settings_one.database_url = Some(db.url.clone());
    let mut settings_two = on_market(dir_two.path(), &two);
    settings_two.database_url = Some(db.url.clone());
    let (first, _) = Node::open(&settings_one, true).await.expect("one opens");
    let (second, _) = Node::open(&settings_two, false).await.expect("two opens");
    trade(&first, 300).await;
    within(Duration::from_secs(120), "the first market's rows persisted", first.persisted()).await;
    let report =
        gateway::reconcile::reconcile_with(&first.db, &first.journal).await.expect("reconcile");
    assert!(report.differences.is_empty() && report.as_of > Seq(300), "{report}");
    let count = |schema: String| {
        let url = db.url.clone();
        async move {
            let pool = sqlx::PgPool::connect(&url).await.expect("db");
            let sql = format!("SELECT count(*) FROM \"{schema}\".trades");
            let (n,): (i64,) = sqlx::query_as(&sql).fetch_one(&pool).await.expect("count");
            n
        }
    };
    assert!(count(format!("market_{one}")).await > 0);
    assert_eq!(count(format!("market_{two}")).await, 0, "the second market's rows stay its own");
    assert!(first.durable() > Seq(300));
    assert_eq!(second.durable(), Seq(0), "the second market's journal has nothing of the first's");
    let stream = Cluster::connect(market(NATS, &two, 1)).await.expect("cluster");
    assert_eq!(stream.last_message().await.expect("stream"), 0);
    let (participants, _) = second.replica.read(|e| e.participants().count());
    assert_eq!(participants, 0);
    // Both own their market at once: two leases, two command subjects.
    let (ready_one, ready_two) = (first.health(), second.health());
    assert!(ready_one.cluster_report().is_some_and(|(ok, _)| ok));
    assert!(ready_two.cluster_report().is_some_and(|(ok, _)| ok));
    first.shutdown().await.expect("shutdown");
    second.shutdown().await.expect("shutdown");
    drop_market(NATS, &one).await;
    drop_market(NATS, &two).await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_owner_with_an_empty_disk_catches_up_from_the_cluster() {
    let name = market_name();
    let (dir_a, dir_b) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
    let mut settings_a = on_market(dir_a.path(), &name);
    // Snapshots often, so the new node starts from one kept in the cluster and replays the rest.
    settings_a.runtime.snapshot_every = 250;
    let (owner, _) = Node::open(&settings_a, true).await.expect("the owner opens");
    trade(&owner, 1_000).await;
    let settings_b = on_market(dir_b.path(), &name);
    let standby = tokio::spawn(async move { Node::open(&settings_b, true).await });
    let expected = owner.runtime.handle().copy_engine().await.expect("engine").state_hash();
    let last = owner.durable();
    owner.shutdown().await.expect("the owner stops, giving its lease up");
    let (next, loaded) = within(Duration::from_secs(120), "the standby taking over", standby)
        .await
        .expect("task")
        .expect("the standby opens");
    assert!(loaded.is_none(), "a market with a journal is never loaded again");
    assert_eq!(next.durable(), last);
    let engine = next.runtime.handle().copy_engine().await.expect("engine");
    assert_eq!(engine.state_hash(), expected, "the new owner stands exactly where the old one did");
    assert!(
        std::fs::read_dir(dir_b.path())
            .expect("dir")
            .all(|e| e.expect("entry").file_name() != "journal"),
        "nothing of the journal is kept on the new owner's disk"
    );
    trade(&next, 100).await;
    next.shutdown().await.expect("shutdown");
    drop_market(NATS, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_command_past_its_deadline_is_dropped_not_applied() {
    let name = market_name();
    let dir = tempfile::tempdir().expect("tmp");
    let (owner, _) = Node::open(&on_market(dir.path(), &name), true).await.expect("opens");
    let engine = owner.runtime.handle().copy_engine().await.expect("engine");
    let province = DemoProvince::from_engine(&engine);
    let today = engine::types::shanghai_date(engine.clock());
    // Two commands of a scripted day (its settlement steps, which need trades, are left out).
    let mut script = day_commands(&province, today, 20, engine.seq().0).into_iter().map(|(c, _)| c);
    let (stale, fresh) = (script.next().expect("a command"), script.next().expect("another"));
    let before = owner.durable();
    let cluster = Cluster::connect(market(NATS, &name, 1)).await.expect("cluster");

    // Its sender gave up a second ago: the owner drops it on arrival.
    let gone = SystemTime::now() - Duration::from_secs(1);
    assert!(gateway::cluster::commands::forward(&cluster, stale.clone(), gone).await.is_none());
    // The next command, sent after it on the same connection, is the next record.
    let soon = SystemTime::now() + Duration::from_secs(30);
    let outcome =
        gateway::cluster::commands::forward(&cluster, fresh, soon).await.expect("outcome");
    assert_eq!(outcome.seq, before.next(), "the stale command was never applied");

    // Inside the owner too: a command reaching the engine after its deadline is dropped.
    let handle = owner.runtime.handle();
    let passed = Instant::now().checked_sub(Duration::from_millis(1)).expect("an instant");
    let late = handle.submit_by(stale, passed).await;
    assert_eq!(late, Err(gateway::runtime::SubmitError::OutcomeUnknown));
    assert_eq!(owner.durable(), before.next());
    owner.shutdown().await.expect("shutdown");
    drop_market(NATS, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u8_a_cluster_with_credentials_admits_only_nodes_that_present_them() {
    let server = GuardedServer::start("market", "s3cret-node-password").await;
    let name = market_name();
    let anonymous = format!("nats://127.0.0.1:{}", server.port);
    let refused = Cluster::connect(market(&anonymous, &name, 1)).await;
    assert!(refused.is_err(), "a node without the password is refused");
    let wrong = format!("nats://market:guess@127.0.0.1:{}", server.port);
    let error = Cluster::connect(market(&wrong, &name, 1)).await.expect_err("a wrong password");
    assert!(
        !format!("{error:#}").contains("guess"),
        "the password stays out of messages: {error:#}"
    );
    let admitted = format!("nats://market:s3cret-node-password@127.0.0.1:{}", server.port);
    let cluster = Cluster::connect(market(&admitted, &name, 1)).await.expect("admitted");
    assert_eq!(cluster.last_message().await.expect("the journal stream"), 0);
    // The password is never shown, not even in the cluster's debug form.
    assert!(!format!("{cluster:?}").contains("s3cret"));
}

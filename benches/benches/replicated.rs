//! The replicated journal's cost: the engine task appending to a three-server JetStream stream
//! (quorum acknowledgement before release) against the same engine task on the local fsync journal,
//! and against a bare async-nats loop publishing the very same batches, each awaiting its
//! acknowledgement, to a stream of the same kind. One run, alternating rounds, medians.
//!
//! Throughput: every command of the direct-order day enqueued at once by one producer, timed until
//! the last durable answer (the group commit batches as it would under load). Latency: one
//! command at a time, each waiting for its durable answer (p50, p99): what a lone order costs.
//!
//! The cluster is three `nats-server` processes of the benchmark's own on loopback, so the
//! figures include the replication between them but no network: a floor, not a forecast.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use benches::workload::{self, PROVINCE, Workload};
use engine::types::Timestamp;
use engine::{Command, Engine};
use gateway::cluster::journal::StreamJournal;
use gateway::cluster::lease::Lease;
use gateway::cluster::{Cluster, ClusterSettings};
use gateway::journal::record::ChainHash;
use gateway::journal::storage::{FileStorage, Storage};
use gateway::journal::{Layout, snapshots};
use gateway::runtime::{EngineHandle, ManualClock, Runtime, RuntimeConfig};
use load::nats::{NatsCluster, drop_market};

/// Commands per throughput run.
const COMMANDS: usize = 20_000;
/// Commands timed one at a time for latency.
const LONE: usize = 1_000;
/// Alternating rounds.
const ROUNDS: usize = 5;

fn config() -> RuntimeConfig {
    RuntimeConfig { snapshot_every: u64::MAX, max_batch: 2_048, ..RuntimeConfig::default() }
}

fn clock(commands: &[(Command, Timestamp)]) -> Arc<ManualClock> {
    Arc::new(ManualClock::at(commands.first().map_or(Timestamp(0), |(_, at)| *at)))
}

/// The engine task on the local journal, in a fresh folder holding a snapshot of `engine`.
fn local(engine: &Engine, commands: &[(Command, Timestamp)]) -> (Runtime, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Arc<dyn Storage> = Arc::new(FileStorage::new());
    let layout = Layout::new(dir.path());
    snapshots::save(storage.as_ref(), &layout, engine, ChainHash::default()).expect("snapshot");
    let runtime =
        Runtime::start(storage, layout, clock(commands), config()).expect("the engine task");
    (runtime, dir)
}

/// The engine task on a fresh market's stream in the cluster.
fn replicated(
    tokio: &tokio::runtime::Runtime,
    url: &str,
    market: &str,
    engine: &Engine,
    commands: &[(Command, Timestamp)],
) -> (Runtime, Cluster) {
    let settings = ClusterSettings {
        url: url.to_string(),
        market: market.to_string(),
        replicas: 3,
        credentials: None,
        lease: ClusterSettings::LEASE,
        deadline: ClusterSettings::DEADLINE,
    };
    let (cluster, lease) = tokio.block_on(async {
        let cluster = Cluster::connect(settings).await.expect("the cluster");
        let lease = Lease::acquire(&cluster, "bench", |_| {}).await.expect("the lease");
        (cluster, lease)
    });
    let journal = StreamJournal::new(
        cluster.clone(),
        lease,
        tokio.handle().clone(),
        ChainHash::default(),
        engine.seq().next(),
        0,
    );
    let runtime = Runtime::start_with(
        engine.clone(),
        Box::new(journal),
        clock(commands),
        config(),
        Arc::new(AtomicU64::new(0)),
    )
    .expect("the engine task");
    (runtime, cluster)
}

/// Every command enqueued at once, timed until the last durable answer.
fn flood(handle: &EngineHandle, commands: &[(Command, Timestamp)]) -> Duration {
    let start = Instant::now();
    let answers: Vec<_> = commands
        .iter()
        .map(|(command, _)| handle.enqueue_blocking(command.clone()).expect("queued"))
        .collect();
    for answer in answers {
        answer.blocking_recv().expect("a durable answer");
    }
    start.elapsed()
}

/// One command at a time: each one's time to its durable answer.
fn lone(handle: &EngineHandle, commands: &[(Command, Timestamp)]) -> Vec<Duration> {
    commands
        .iter()
        .map(|(command, _)| {
            let start = Instant::now();
            handle.submit_blocking(command.clone()).expect("a durable answer");
            start.elapsed()
        })
        .collect()
}

/// The journal messages of `market`, as stored.
async fn messages(url: &str, market: &str) -> Vec<bytes::Bytes> {
    let client = async_nats::connect(first(url)).await.expect("NATS");
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(format!("JOURNAL_{market}")).await.expect("the journal stream");
    let last = stream.info().await.expect("info").state.last_sequence;
    let mut payloads = Vec::new();
    for at in 1..=last {
        payloads.push(stream.get_raw_message(at).await.expect("a message").payload);
    }
    payloads
}

/// A fresh three-replica stream `name` (subject: its name in lower case), for the bare publisher.
async fn bare_stream(url: &str, name: &str) -> async_nats::jetstream::Context {
    let client = async_nats::connect(first(url)).await.expect("NATS");
    let js = async_nats::jetstream::new(client);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: name.to_string(),
        subjects: vec![name.to_lowercase()],
        num_replicas: 3,
        storage: async_nats::jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .expect("a stream");
    js
}

/// Publishes `payloads` one after another to a fresh three-replica stream, each awaiting its
/// acknowledgement: the least any replicated journal of these batches could cost.
async fn bare(url: &str, name: &str, payloads: &[bytes::Bytes]) -> Duration {
    let js = bare_stream(url, name).await;
    let start = Instant::now();
    for payload in payloads {
        js.publish(name.to_lowercase(), payload.clone())
            .await
            .expect("published")
            .await
            .expect("acknowledged");
    }
    let elapsed = start.elapsed();
    js.delete_stream(name).await.expect("deleted");
    elapsed
}

/// Each lone record published alone, awaiting its acknowledgement.
async fn bare_lone(url: &str, name: &str, payloads: &[bytes::Bytes]) -> Vec<Duration> {
    let js = bare_stream(url, name).await;
    let mut times = Vec::with_capacity(payloads.len());
    for payload in payloads {
        let start = Instant::now();
        js.publish(name.to_lowercase(), payload.clone())
            .await
            .expect("published")
            .await
            .expect("acknowledged");
        times.push(start.elapsed());
    }
    js.delete_stream(name).await.expect("deleted");
    times
}

fn first(url: &str) -> String {
    url.split(',').next().unwrap_or(url).to_string()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: usize) -> Duration {
    v.sort_unstable();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio");
    let nats = tokio.block_on(NatsCluster::start_new());
    let url = nats.url();
    let Workload { engine, commands } = workload::direct_orders(PROVINCE, COMMANDS);
    let n = commands.len() as u128;
    let (mut on_disk, mut on_stream, mut bare_times, mut batches, mut bytes) =
        (Vec::new(), Vec::new(), Vec::new(), 0, 0);
    let (mut disk_lone, mut stream_lone, mut bare_single) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (runtime, _dir) = local(&engine, &commands);
        on_disk.push(flood(&runtime.handle(), &commands));
        drop(runtime);

        let market = format!("bench{round}");
        let (runtime, _cluster) = replicated(&tokio, &url, &market, &engine, &commands);
        on_stream.push(flood(&runtime.handle(), &commands));
        drop(runtime);
        let payloads = tokio.block_on(messages(&url, &market));
        batches = payloads.len();
        bytes = payloads.iter().map(bytes::Bytes::len).sum::<usize>();
        bare_times.push(tokio.block_on(bare(&url, &format!("BARE{round}"), &payloads)));
        tokio.block_on(drop_market(&url, &market));

        if round == 0 {
            let lone_commands = &commands[..LONE];
            let (runtime, _dir) = local(&engine, lone_commands);
            disk_lone = lone(&runtime.handle(), lone_commands);
            drop(runtime);
            let (runtime, _cluster) = replicated(&tokio, &url, "benchlone", &engine, lone_commands);
            stream_lone = lone(&runtime.handle(), lone_commands);
            drop(runtime);
            let singles = tokio.block_on(messages(&url, "benchlone"));
            bare_single = tokio.block_on(bare_lone(&url, "BARELONE", &singles));
            tokio.block_on(drop_market(&url, "benchlone"));
        }
    }
    let per_s = |d: Duration| n * 1_000_000_000 / d.as_nanos().max(1);
    let (d, s, b) = (median(on_disk), median(on_stream), median(bare_times));
    let ratio = |x: u128, y: u128| format!("{:.2}x", x as f64 / y.max(1) as f64);
    println!("replicated journal, {ROUNDS} alternating rounds of {n} commands (medians):");
    println!("  {:<44} {:>10} commands/s", "local journal (fsync per batch)", per_s(d));
    println!("  {:<44} {:>10} commands/s", "replicated journal (R3 quorum ack)", per_s(s));
    println!(
        "  {:<44} {:>10} commands/s ({batches} messages)",
        "bare publish-with-ack of the same batches",
        per_s(b)
    );
    println!("  {:<44} {:>10} bytes/command", "journal in the stream", bytes as u128 / n);
    println!("  {:<44} {:>10}", "replicated / local", ratio(per_s(s), per_s(d)));
    println!("  {:<44} {:>10}", "replicated / bare publisher", ratio(per_s(s), per_s(b)));
    println!("one command at a time ({LONE}), time to its durable answer:");
    for (name, times) in [
        ("local journal", disk_lone),
        ("replicated journal", stream_lone),
        ("bare publish", bare_single),
    ] {
        let (p50, p99) = (percentile(times.clone(), 50), percentile(times, 99));
        println!("  {name:<44} p50 {p50:>10.2?}  p99 {p99:>10.2?}");
    }
}

//! The journal's cost: the engine task (engine thread and journal thread in a pipeline, group
//! commit with fsync) against the engine alone, and replay of the journal (recovery) against live
//! processing.
//!
//! Workload: the direct-order day of `direct_orders` (province at benchmark size, `COMMANDS` best-
//! offer and named-supplier orders and offer changes). Three ways of processing it:
//! - engine alone: `apply` in a loop;
//! - journal inline: `apply`, then encode, chain and append each record, fsync every `BATCH`
//!   commands, all on one thread (what the pipeline saves);
//! - engine task: the real `Runtime` on a real file in a temporary folder, every command enqueued
//!   at once by one producer, time until the last durable answer.
//!
//! Replay reads the journal back as recovery does: checksums, hash chain and decoding on a reading
//! thread a few batches ahead, re-applying each command and comparing its events with the journaled
//! ones on the caller's (the snapshot load is timed apart).
//!
//! Each measure runs `ROUNDS` times, alternating, and the medians are compared.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use benches::workload::{self, PROVINCE, Workload};
use engine::types::Timestamp;
use engine::{Command, Engine};
use gateway::journal::reader::scan_ahead;
use gateway::journal::record::ChainHash;
use gateway::journal::recovery::recover;
use gateway::journal::storage::{FileStorage, Storage};
use gateway::journal::writer::JournalWriter;
use gateway::journal::{Layout, snapshots};
use gateway::runtime::{ManualClock, Runtime, RuntimeConfig};

/// Commands per run.
const COMMANDS: usize = 20_000;
/// Commands per fsync, as the engine task batches under load.
const BATCH: usize = 512;
/// Alternating rounds.
const ROUNDS: usize = 5;

#[inline(never)]
fn engine_alone(mut engine: Engine, commands: &[(Command, Timestamp)]) -> u128 {
    let mut out = Vec::with_capacity(64);
    let start = Instant::now();
    for (command, at) in commands {
        out.clear();
        engine.apply(command.clone(), *at, &mut out);
    }
    black_box(engine.seq());
    start.elapsed().as_nanos()
}

/// Engine + journal into a fresh folder that starts with a snapshot of `engine`; returns the time
/// and the folder, for replay.
fn engine_and_journal(
    engine: &Engine,
    commands: &[(Command, Timestamp)],
) -> (u128, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Arc<dyn Storage> = Arc::new(FileStorage::new());
    let layout = Layout::new(dir.path());
    let head = ChainHash::default();
    snapshots::save(storage.as_ref(), &layout, engine, head).expect("snapshot");
    let writer =
        JournalWriter::new(storage, layout, head, engine.seq().next(), None).expect("writer");
    let t = journal_round(engine.clone(), writer, commands);
    (t, dir)
}

#[inline(never)]
fn journal_round(
    mut engine: Engine,
    mut writer: JournalWriter,
    commands: &[(Command, Timestamp)],
) -> u128 {
    let mut out = Vec::with_capacity(64);
    let start = Instant::now();
    for (i, (command, at)) in commands.iter().enumerate() {
        out.clear();
        let seq = engine.apply(command.clone(), *at, &mut out);
        writer.push(seq, engine.clock(), command, &out).expect("push");
        if (i + 1) % BATCH == 0 {
            writer.commit().expect("commit");
        }
    }
    writer.commit().expect("commit");
    start.elapsed().as_nanos()
}

/// Replays the journal after its snapshot as recovery does (checksums, chain and decoding read ahead
/// on a second thread; applying and comparing events on this one); loading the snapshot itself is a
/// fixed cost per start and is not timed.
fn replay(dir: &std::path::Path) -> (u128, u64) {
    let storage = FileStorage::new();
    let layout = Layout::new(dir);
    let (snapshot, _) = snapshots::load_latest(&storage, &layout, None).expect("snapshot");
    let mut engine = snapshot.expect("a snapshot").engine;
    let mut out = Vec::with_capacity(64);
    let mut count = 0;
    let start = Instant::now();
    scan_ahead(&storage, &layout, |record, _| {
        out.clear();
        engine.apply(record.command, record.ts, &mut out);
        assert!(out == record.events, "replay diverged at {}", record.seq);
        count += 1;
        Ok(())
    })
    .expect("scan");
    (start.elapsed().as_nanos(), count)
}

/// Full recovery, snapshot load included, for the record.
fn recovery(dir: &std::path::Path) -> u128 {
    let start = Instant::now();
    let recovered =
        recover(Arc::new(FileStorage::new()), &Layout::new(dir), 0, |_, _| {}).expect("recover");
    black_box(recovered.report.replayed);
    start.elapsed().as_nanos()
}

/// The engine task on a folder holding a snapshot of `engine`: every command enqueued by one
/// producer thread, timed until the last durable answer.
fn engine_task(engine: &Engine, commands: &[(Command, Timestamp)]) -> u128 {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Arc<dyn Storage> = Arc::new(FileStorage::new());
    let layout = Layout::new(dir.path());
    snapshots::save(storage.as_ref(), &layout, engine, ChainHash::default()).expect("snapshot");
    let clock = ManualClock::at(commands.first().map_or(Timestamp(0), |(_, at)| *at));
    let config = RuntimeConfig { snapshot_every: u64::MAX, ..RuntimeConfig::default() };
    let runtime = Runtime::start(storage, layout, Arc::new(clock), config).expect("runtime");
    let handle = runtime.handle();
    let start = Instant::now();
    let receivers: Vec<_> = commands
        .iter()
        .map(|(command, _)| handle.enqueue_blocking(command.clone()).expect("queued"))
        .collect();
    for rx in receivers {
        rx.blocking_recv().expect("durable answer");
    }
    let elapsed = start.elapsed().as_nanos();
    drop(handle);
    drop(runtime);
    elapsed
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let Workload { engine, commands } = workload::direct_orders(PROVINCE, COMMANDS);
    let n = commands.len() as u128;
    let (mut alone, mut journaled, mut replayed, mut recovered) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut task = Vec::new();
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        alone.push(engine_alone(engine.clone(), &commands));
        task.push(engine_task(&engine, &commands));
        let (t, dir) = engine_and_journal(&engine, &commands);
        journaled.push(t);
        bytes = std::fs::read_dir(dir.path().join("journal"))
            .map(|d| {
                d.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()
            })
            .unwrap_or(0);
        let (t, count) = replay(dir.path());
        assert_eq!(u128::from(count), n, "replay covers every command");
        replayed.push(t);
        recovered.push(recovery(dir.path()));
    }
    let (a, j, r, t) = (median(alone), median(journaled), median(replayed), median(task));
    let per_s = |ns: u128| n * 1_000_000_000 / ns.max(1);
    let ratio = |x: u128, y: u128| format!("{}.{:02}x", x / y.max(1), x * 100 / y.max(1) % 100);
    println!(
        "journal, {ROUNDS} alternating rounds of {n} commands, fsync every {BATCH} (medians):"
    );
    let line = |name: &str, ns: u128| {
        println!("  {name:<34} {:>12} commands/s  {:>6} ns/command", per_s(ns), ns / n);
    };
    line("engine alone", a);
    line("journal inline, one thread", j);
    line("engine task (pipelined, durable)", t);
    line("replay of the journal", r);
    println!(
        "  {:<34} {:>12} ms, snapshot load included",
        "full recovery",
        median(recovered) / 1_000_000
    );
    println!("  {:<34} {:>12}", "engine task / engine alone", ratio(per_s(t), per_s(a)));
    println!("  {:<34} {:>12}", "journal inline / engine alone", ratio(per_s(j), per_s(a)));
    println!("  {:<34} {:>12}", "replay / engine task (live)", ratio(per_s(r), per_s(t)));
    println!("  {:<34} {:>12}", "replay / engine alone", ratio(per_s(r), per_s(a)));
    println!(
        "  {:<34} {:>12} bytes/command",
        "journal size",
        bytes / u64::try_from(n).unwrap_or(1)
    );
}

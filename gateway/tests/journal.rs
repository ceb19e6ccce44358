//! The durable runtime on a disk that loses unsynced writes: what was acknowledged survives a crash,
//! a torn final record is cut off, corruption in the middle stops the start, snapshots plus replay
//! give back the same engine, and a full queue answers "overloaded".

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use engine::types::{Actor, Seq, Timestamp};
use engine::{Action, Command, Engine};
use gateway::journal::reader::verify;
use gateway::journal::storage::{FaultyStorage, Storage};
use gateway::journal::{Layout, recovery};
use gateway::runtime::{ManualClock, Runtime, RuntimeConfig, SubmitError};

fn region_command(n: u32) -> Command {
    let code = format!("{}", 330_000 + n * 100).parse().expect("code");
    let parent = if n == 0 { None } else { Some("330000".parse().expect("code")) };
    Command::new(Actor::SYSTEM, Action::DefineRegion { code, name: format!("地区{n}"), parent })
}

fn start(storage: &FaultyStorage, config: RuntimeConfig) -> Runtime {
    let clock = ManualClock::at(Timestamp(1_781_488_800_000));
    Runtime::start(Arc::new(storage.clone()), Layout::new("/data"), Arc::new(clock), config)
        .expect("the runtime starts")
}

async fn submit_regions(runtime: &Runtime, range: std::ops::Range<u32>) -> Vec<Seq> {
    let handle = runtime.handle();
    let mut acked = Vec::new();
    for n in range {
        let outcome = handle.submit_waiting(region_command(n)).await.expect("applied");
        acked.push(outcome.seq);
    }
    acked
}

fn replay_all(storage: &FaultyStorage) -> Engine {
    let layout = Layout::new("/data");
    let mut engine = Engine::new();
    let mut out = Vec::new();
    gateway::journal::reader::scan(storage, &layout, |record, _| {
        engine.apply(record.command, record.ts, &mut out);
        Ok(())
    })
    .expect("scan");
    engine
}

#[tokio::test]
async fn every_acknowledged_command_survives_a_crash_that_loses_unsynced_writes() {
    let disk = FaultyStorage::new();
    let runtime = start(&disk, RuntimeConfig::default());
    let acked = submit_regions(&runtime, 0..40).await;
    let live_hash = {
        let engine = replay_all(&disk);
        engine.state_hash()
    };
    disk.crash(false);
    drop(runtime);
    let recovered = start(&disk, RuntimeConfig::default());
    assert_eq!(*recovered.durable().borrow(), *acked.last().expect("acked"));
    // The dropped runtime may still write its final snapshot after the crash (its engine thread
    // stops on its own time): recovery starts from it or replays all 40, never anything else.
    let from_snapshot = recovered.recovery.snapshot.map_or(0, |s| s.0);
    assert_eq!(from_snapshot + recovered.recovery.replayed, 40);
    assert_eq!(replay_all(&disk).state_hash(), live_hash);
    // The recovered engine takes the next command at the next sequence.
    let next = submit_regions(&recovered, 40..41).await;
    assert_eq!(next, vec![Seq(41)]);
    recovered.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_torn_final_record_is_cut_off_and_the_rest_recovers() {
    let disk = FaultyStorage::new();
    let layout = Layout::new("/data");
    let runtime = start(&disk, RuntimeConfig::default());
    submit_regions(&runtime, 0..10).await;
    runtime.shutdown().await.expect("shutdown");
    // A record written without its sync, then a power cut that leaves half of it.
    let segment = layout.segment(Seq(1));
    let mut writer =
        recovery::recover(Arc::new(disk.clone()), &layout, 0, |_, _| {}).expect("recover").writer;
    let mut engine = Engine::restore(&replay_all(&disk).snapshot()).expect("engine");
    let mut events = Vec::new();
    let seq = engine.apply(region_command(10), Timestamp(1_781_488_800_000), &mut events);
    writer.push(seq, engine.clock(), &region_command(10), &events).expect("push");
    let before = disk.durable_len(&segment);
    disk.append(&segment, &{
        let mut bytes = Vec::new();
        let mut encoder = gateway::journal::record::Encoder::default();
        let record = gateway::journal::record::JournalRecord {
            seq,
            ts: engine.clock(),
            prev: writer.head(),
            command: region_command(10),
            events,
        };
        encoder.encode(seq, &record, &mut bytes).expect("encode");
        bytes
    })
    .expect("append");
    disk.crash(true);
    assert!(disk.durable_len(&segment) > before, "half a record reached the disk");
    let report = verify(&disk, &layout).expect("a torn tail is not corruption");
    assert!(report.torn.is_some());
    let recovered = start(&disk, RuntimeConfig::default());
    let torn = recovered.recovery.torn.clone().expect("reported");
    assert_eq!(torn.offset as usize, before);
    assert_eq!(disk.durable_len(&segment), before);
    assert_eq!(*recovered.durable().borrow(), Seq(10));
    recovered.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_corrupt_record_in_the_middle_is_found_by_verify_and_refused_at_start() {
    let disk = FaultyStorage::new();
    let layout = Layout::new("/data");
    let runtime = start(&disk, RuntimeConfig::default());
    submit_regions(&runtime, 0..10).await;
    runtime.shutdown().await.expect("shutdown");
    for snapshot in disk.list(&layout.snapshot_dir()).expect("list") {
        disk.remove(&snapshot).expect("remove");
    }
    disk.corrupt(&layout.segment(Seq(1)), 40);
    let error = verify(&disk, &layout).expect_err("corruption is an error");
    assert!(format!("{error:#}").contains("corrupt"), "{error:#}");
    let error = Runtime::start(
        Arc::new(disk.clone()),
        layout,
        Arc::new(ManualClock::default()),
        RuntimeConfig::default(),
    )
    .expect_err("refused");
    assert!(format!("{error:#}").contains("corrupt"), "{error:#}");
}

#[tokio::test]
async fn a_tampered_record_breaks_the_hash_chain() {
    let disk = FaultyStorage::new();
    let layout = Layout::new("/data");
    let runtime = start(&disk, RuntimeConfig::default());
    submit_regions(&runtime, 0..3).await;
    runtime.shutdown().await.expect("shutdown");
    // Rewrite the middle record with a valid checksum but different content.
    let segment = layout.segment(Seq(1));
    let bytes = disk.read_from(&segment, 0).expect("read");
    let mut records = Vec::new();
    gateway::journal::reader::scan(&disk, &layout, |r, _| {
        records.push(r);
        Ok(())
    })
    .expect("scan");
    let mut forged = records.clone();
    if let Action::DefineRegion { name, .. } = &mut forged[1].command.action {
        *name = "篡改".into();
    }
    let mut encoder = gateway::journal::record::Encoder::default();
    let mut rewritten = gateway::journal::record::SEGMENT_MAGIC.to_vec();
    for record in &forged {
        encoder.encode(record.seq, record, &mut rewritten).expect("encode");
    }
    assert_ne!(rewritten, bytes);
    disk.write_atomic(&segment, &rewritten).expect("write");
    let error = verify(&disk, &layout).expect_err("tampering is found");
    assert!(format!("{error:#}").contains("hash chain"), "{error:#}");
}

#[tokio::test]
async fn a_snapshot_plus_replay_of_the_rest_equals_the_engine_before_restart() {
    let disk = FaultyStorage::new();
    let config = RuntimeConfig { snapshot_every: 7, ..RuntimeConfig::default() };
    let runtime = start(&disk, config);
    submit_regions(&runtime, 0..30).await;
    let before = replay_all(&disk).state_hash();
    drop(runtime);
    let recovered = start(&disk, config);
    assert!(recovered.recovery.snapshot.is_some(), "{:?}", recovered.recovery);
    assert!(recovered.recovery.replayed < 30);
    recovered.shutdown().await.expect("shutdown");
    assert_eq!(replay_all(&disk).state_hash(), before);
}

/// A disk whose syncs wait until the test opens the gate: the engine task stalls in its fsync.
#[derive(Debug, Clone)]
struct GatedStorage {
    inner: FaultyStorage,
    open: Arc<(Mutex<bool>, Condvar)>,
}

impl GatedStorage {
    fn open_gate(&self) {
        let (lock, condvar) = &*self.open;
        *lock.lock().expect("lock") = true;
        condvar.notify_all();
    }
}

impl Storage for GatedStorage {
    fn create_dir_all(&self, dir: &Path) -> std::io::Result<()> {
        self.inner.create_dir_all(dir)
    }
    fn list(&self, dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        self.inner.list(dir)
    }
    fn read_from(&self, path: &Path, offset: u64) -> std::io::Result<Vec<u8>> {
        self.inner.read_from(path, offset)
    }
    fn append(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.inner.append(path, bytes)
    }
    fn sync(&self, path: &Path) -> std::io::Result<()> {
        let (lock, condvar) = &*self.open;
        let mut open = lock.lock().expect("lock");
        while !*open {
            open = condvar.wait(open).expect("wait");
        }
        self.inner.sync(path)
    }
    fn truncate(&self, path: &Path, len: u64) -> std::io::Result<()> {
        self.inner.truncate(path, len)
    }
    fn remove(&self, path: &Path) -> std::io::Result<()> {
        self.inner.remove(path)
    }
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.inner.write_atomic(path, bytes)
    }
}

#[tokio::test]
async fn a_full_queue_answers_overloaded_and_nothing_is_released_before_the_fsync() {
    let disk = GatedStorage { inner: FaultyStorage::new(), open: Arc::default() };
    let config = RuntimeConfig { queue: 2, max_batch: 1, pipeline: 1, ..RuntimeConfig::default() };
    let runtime = Runtime::start(
        Arc::new(disk.clone()),
        Layout::new("/data"),
        Arc::new(ManualClock::default()),
        config,
    )
    .expect("start");
    let handle = runtime.handle();
    // The first command is taken and stalls in its fsync; its reply must not arrive.
    let first = handle.try_enqueue(region_command(0)).expect("queued");
    while handle.queue_depth() > 0 {
        tokio::task::yield_now().await;
    }
    let durable = runtime.durable();
    // Fill the queue behind it; then the next is refused at once.
    let mut queued = Vec::new();
    let refused = loop {
        match handle.try_enqueue(region_command(queued.len() as u32 + 1)) {
            Ok(rx) => queued.push(rx),
            Err(e) => break e,
        }
        // In flight at most: one in the stalled fsync, one handed on, one the engine holds, and the queue.
        assert!(queued.len() <= 2 + config.pipeline + config.queue, "the queue must be bounded");
    };
    assert_eq!(refused, SubmitError::Overloaded);
    assert_eq!(*durable.borrow(), Seq(0));
    disk.open_gate();
    let outcome = first.await.expect("applied after the fsync");
    assert_eq!(outcome.seq, Seq(1));
    let queued_count = queued.len() as u64;
    for rx in queued {
        rx.await.expect("the queued commands are applied too");
    }
    assert_eq!(*durable.borrow(), Seq(1 + queued_count));
    runtime.shutdown().await.expect("shutdown");
}

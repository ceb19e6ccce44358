//! The engine task: one thread owns the engine, another the journal's appending end, and they work
//! as a pipeline. The engine thread takes commands from a bounded queue and applies each; the journal
//! thread encodes each command with its events into the hash-chained journal and fsyncs whatever has
//! accumulated once per batch (group commit), and only then releases anything of it: replies, the
//! durable watermark, released events, engine copies. State may run ahead of the disk; output never
//! does. Because the two threads overlap, encoding and fsync cost the engine no time of its own.
//!
//! If the journal cannot be written the journal thread stops at once (fail-stop): the commands
//! applied since the last fsync may or may not be on disk, so each of their callers hears that the
//! outcome is unknown (a retry with the same idempotency key tells), the engine thread stops too,
//! and [`Runtime::failure`] says why, so that the node reports itself not ready and exits; the next
//! start recovers from what is on disk. A snapshot that cannot be written is logged and skipped: the
//! journal alone is the truth, a snapshot only shortens recovery.

mod clock;
pub mod deadlines;
pub mod followers;
pub(crate) mod handle;

pub use clock::{Clock, ManualClock, SystemClock};
pub use handle::{EngineHandle, Outcome, SubmitError};

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use anyhow::Context;
use engine::types::Seq;
use engine::{Engine, EventEnvelope};
use handle::Request;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::journal::recovery::{RecoveryReport, recover};
use crate::journal::storage::Storage;
use crate::journal::{FileJournal, Journal, Layout};

/// How the engine task runs.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeConfig {
    /// Commands that may wait in the queue before callers are told the marketplace is overloaded.
    pub queue: usize,
    /// Most commands per batch (and so per fsync).
    pub max_batch: usize,
    /// Commands between snapshots.
    pub snapshot_every: u64,
    /// Applied commands the engine thread may hand on before the journal thread has taken them.
    pub pipeline: usize,
    /// Released batches the stream holds for a slow reader before the reader counts as lagging
    /// (and resyncs from a fresh copy).
    pub released: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            queue: 8_192,
            max_batch: 512,
            snapshot_every: 200_000,
            pipeline: 8_192,
            released: 1_024,
        }
    }
}

/// A durable command as released: what read models replay and feeds fan out.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Released {
    /// Its sequence.
    pub seq: Seq,
    /// The engine time it was applied at.
    pub ts: engine::types::Timestamp,
    /// The command.
    pub command: engine::Command,
    /// The events it produced.
    pub events: Vec<EventEnvelope>,
}

/// The commands of one durable batch, in order.
pub type ReleasedBatch = Arc<Vec<Released>>;

/// A batch on its way to being durable: whoever waits for its records, and what follows it.
struct Flight {
    batch: u64,
    replies: Vec<Pending>,
    deferred: Vec<Deferred>,
}

/// A command applied and journaled, waiting for its batch's fsync.
struct Pending {
    reply: oneshot::Sender<Outcome>,
    released: Released,
}

/// The running engine task.
#[derive(Debug)]
pub struct Runtime {
    handle: EngineHandle,
    durable: watch::Receiver<Seq>,
    released: broadcast::Sender<ReleasedBatch>,
    consumers_passed: Arc<AtomicU64>,
    failure: watch::Receiver<Option<Arc<str>>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
    /// What recovery found at start.
    pub recovery: RecoveryReport,
}

/// What the engine thread hands the journal thread, in order. Records are the common case and are
/// moved, not boxed: boxing would allocate once more per command.
#[allow(clippy::large_enum_variant)]
enum ToJournal {
    /// A command applied, with its events and whoever waits for them.
    Record {
        seq: Seq,
        ts: engine::types::Timestamp,
        command: engine::Command,
        events: Vec<EventEnvelope>,
        reply: oneshot::Sender<Outcome>,
    },
    /// A snapshot of the engine after `seq`, to be written once `seq` is durable.
    Snapshot { seq: Seq, engine: Vec<u8> },
    /// A copy of the engine, to be handed over once everything before it is durable.
    Copy { engine: Box<Engine>, reply: oneshot::Sender<Engine> },
    /// No more records: commit, and say so.
    Stop { reply: Option<oneshot::Sender<()>> },
}

/// What the journal thread does once a batch is durable.
enum Deferred {
    /// Write a snapshot taken after record `seq`, whose chain hash is `head`.
    Snapshot { seq: Seq, head: crate::journal::record::ChainHash, engine: Vec<u8> },
    /// Hand over a copy of the engine.
    Copy { engine: Box<Engine>, reply: oneshot::Sender<Engine> },
}

struct EngineThread {
    engine: Engine,
    clock: Arc<dyn Clock>,
    config: RuntimeConfig,
    journal: std::sync::mpsc::SyncSender<ToJournal>,
    since_snapshot: u64,
}

struct JournalThread {
    journal: Box<dyn Journal>,
    config: RuntimeConfig,
    durable: watch::Sender<Seq>,
    released: broadcast::Sender<ReleasedBatch>,
    consumers_passed: Arc<AtomicU64>,
}

impl Runtime {
    /// Recovers the engine from the journal under `layout` and starts the engine task.
    pub fn start(
        storage: Arc<dyn Storage>,
        layout: Layout,
        clock: Arc<dyn Clock>,
        config: RuntimeConfig,
    ) -> anyhow::Result<Self> {
        let recovered = recover(storage.clone(), &layout, 100_000, |replayed, seq| {
            tracing::info!(replayed, %seq, "replaying the journal");
        })?;
        // Keep every segment until the journal's consumers report how far they have read.
        let consumers_passed = Arc::new(AtomicU64::new(0));
        let journal = FileJournal::new(recovered.writer, storage, layout);
        let mut runtime =
            Self::start_with(recovered.engine, Box::new(journal), clock, config, consumers_passed)?;
        runtime.recovery = recovered.report;
        Ok(runtime)
    }

    /// Starts the engine task on `engine`, appending to `journal`, which must end exactly where
    /// the engine stands. `consumers_passed` is where the journal's consumers report their place.
    pub fn start_with(
        engine: Engine,
        journal: Box<dyn Journal>,
        clock: Arc<dyn Clock>,
        config: RuntimeConfig,
        consumers_passed: Arc<AtomicU64>,
    ) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let (durable_tx, durable) = watch::channel(engine.seq());
        let (released, _) = broadcast::channel(config.released.max(1));
        let (to_journal, from_engine) = std::sync::mpsc::sync_channel(config.pipeline.max(1));
        let journal = JournalThread {
            journal,
            config,
            durable: durable_tx,
            released: released.clone(),
            consumers_passed: consumers_passed.clone(),
        };
        let engine = EngineThread { engine, clock, config, journal: to_journal, since_snapshot: 0 };
        let (failed, failure) = watch::channel(None);
        let journal = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || journal.run(from_engine, &failed))
            .context("starting the journal thread")?;
        let thread = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || {
                let engine_result = engine.run(rx);
                let journal_result = journal
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the journal thread panicked")));
                journal_result.and(engine_result)
            })
            .context("starting the engine thread")?;
        Ok(Self {
            handle: EngineHandle { tx },
            durable,
            released,
            consumers_passed,
            failure,
            thread: Some(thread),
            recovery: RecoveryReport::default(),
        })
    }

    /// A handle for submitting commands.
    pub fn handle(&self) -> EngineHandle {
        self.handle.clone()
    }

    /// The sequence up to which everything is durable and released.
    pub fn durable(&self) -> watch::Receiver<Seq> {
        self.durable.clone()
    }

    /// Released batches of durable commands with their events, for read models and feeds.
    pub fn subscribe(&self) -> broadcast::Receiver<ReleasedBatch> {
        self.released.subscribe()
    }

    /// Where journal consumers report the sequence they have all passed, so segments behind both it
    /// and a snapshot may be removed.
    pub fn consumers_passed(&self) -> Arc<AtomicU64> {
        self.consumers_passed.clone()
    }

    /// Why the journal failed, once it has: the engine task has stopped taking commands, and the
    /// process should say it is not ready and exit.
    pub fn failure(&self) -> watch::Receiver<Option<Arc<str>>> {
        self.failure.clone()
    }

    /// Stops the engine task after the commands already queued, with a final snapshot.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let (reply, done) = oneshot::channel();
        if self.handle.tx.send(Request::Shutdown { reply }).await.is_ok() {
            let _ = done.await;
        }
        let thread = self.thread.take();
        tokio::task::spawn_blocking(move || match thread.map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => anyhow::bail!("the engine thread panicked"),
            None => Ok(()),
        })
        .await?
    }
}

impl EngineThread {
    fn run(mut self, mut rx: mpsc::Receiver<Request>) -> anyhow::Result<()> {
        let stopped = |_| anyhow::anyhow!("the journal stopped; stopping the engine");
        while let Some(request) = rx.blocking_recv() {
            match request {
                Request::Apply { command, reply, deadline } => {
                    // A forwarded command whose sender has given up is dropped unapplied: its
                    // client was told the outcome is unknown and retries with the same key.
                    if deadline.is_some_and(|d| std::time::Instant::now() > d) {
                        crate::metrics::METRICS.commands.with_label_values(&["expired"]).inc();
                        continue;
                    }
                    let journaled = command.clone();
                    let mut events = Vec::with_capacity(8);
                    let seq = self.engine.apply(command, self.clock.now(), &mut events);
                    let ts = self.engine.clock();
                    let record = ToJournal::Record { seq, ts, command: journaled, events, reply };
                    self.journal.send(record).map_err(stopped)?;
                    self.since_snapshot += 1;
                    if self.since_snapshot >= self.config.snapshot_every {
                        self.snapshot()?;
                    }
                }
                Request::Copy { reply } => {
                    let engine = Box::new(self.engine.clone());
                    self.journal.send(ToJournal::Copy { engine, reply }).map_err(stopped)?;
                }
                Request::Shutdown { reply } => {
                    self.snapshot()?;
                    return self
                        .journal
                        .send(ToJournal::Stop { reply: Some(reply) })
                        .map_err(stopped);
                }
            }
        }
        // Every handle is gone: stop as on shutdown.
        self.snapshot()?;
        self.journal.send(ToJournal::Stop { reply: None }).map_err(stopped)
    }

    fn snapshot(&mut self) -> anyhow::Result<()> {
        if self.since_snapshot == 0 {
            return Ok(());
        }
        self.since_snapshot = 0;
        let snapshot =
            ToJournal::Snapshot { seq: self.engine.seq(), engine: self.engine.snapshot() };
        self.journal.send(snapshot).map_err(|_| anyhow::anyhow!("the journal stopped"))
    }
}

impl JournalThread {
    /// Runs until stopped or until the journal fails. On failure the reason is published before
    /// the unanswered callers are let go, so that whoever hears "outcome unknown" and looks finds
    /// the node already reporting why; a panic counts as a failure too.
    fn run(
        self,
        rx: std::sync::mpsc::Receiver<ToJournal>,
        failed: &watch::Sender<Option<Arc<str>>>,
    ) -> anyhow::Result<()> {
        let mut flights: VecDeque<Flight> = VecDeque::new();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.pump(&rx, &mut flights)))
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the journal thread panicked")));
        if let Err(error) = &result {
            let why = format!("{error:#}");
            tracing::error!(error = %why, "the journal failed; the engine stops");
            failed.send_replace(Some(why.into()));
        }
        drop(flights);
        result
    }

    /// Takes what the engine thread hands on in batches, sends each batch to the journal, and
    /// releases each once it is durable, in order. A journal that can overlap batches (the
    /// replicated one) has up to [`Journal::depth`] of them on their way while the next fills.
    fn pump(
        mut self,
        rx: &std::sync::mpsc::Receiver<ToJournal>,
        flights: &mut VecDeque<Flight>,
    ) -> anyhow::Result<()> {
        let depth = self.journal.depth().max(1);
        let mut stop = None;
        loop {
            // Wait for work only when nothing is on its way; else take what is there.
            let first = if stop.is_some() {
                None
            } else if flights.is_empty() {
                rx.recv().ok()
            } else {
                rx.try_recv().ok()
            };
            let took = first.is_some();
            if let Some(first) = first {
                let mut flight = Flight {
                    batch: 0,
                    replies: Vec::with_capacity(self.config.max_batch),
                    deferred: Vec::new(),
                };
                let mut next = Some(first);
                while let Some(item) = next.take() {
                    match item {
                        ToJournal::Record { seq, ts, command, events, reply } => {
                            self.journal.push(seq, ts, &command, &events)?;
                            flight.replies.push(Pending {
                                reply,
                                released: Released { seq, ts, command, events },
                            });
                        }
                        ToJournal::Snapshot { seq, engine } => {
                            // Records arrive in order, so the head now is that of record `seq`.
                            let head = self.journal.head();
                            flight.deferred.push(Deferred::Snapshot { seq, head, engine });
                        }
                        ToJournal::Copy { engine, reply } => {
                            flight.deferred.push(Deferred::Copy { engine, reply })
                        }
                        ToJournal::Stop { reply } => {
                            stop = Some(reply);
                            break;
                        }
                    }
                    if flight.replies.len() < self.config.max_batch {
                        next = rx.try_recv().ok();
                    }
                }
                flight.batch =
                    self.journal.send().context("the journal could not be written; stopping")?;
                flights.push_back(flight);
            } else if flights.is_empty() {
                // Nothing came and nothing is on its way: stopped, or the engine thread is gone.
                break;
            }
            // The oldest batch is released once durable: when the pipeline is full, when nothing
            // new has come, or when stopping.
            if flights.len() >= depth || !took || stop.is_some() {
                let batch = flights.front().map_or(0, |f| f.batch);
                self.journal.wait(batch).context("the journal could not be written; stopping")?;
                if let Some(mut flight) = flights.pop_front() {
                    self.release(&mut flight.replies);
                    self.after(flight.deferred);
                }
            }
        }
        if let Some(Some(reply)) = stop {
            let _ = reply.send(());
        }
        Ok(())
    }

    /// What waited for a batch to be durable: snapshots to keep, engine copies to hand over.
    fn after(&mut self, deferred: Vec<Deferred>) {
        for item in deferred {
            match item {
                Deferred::Snapshot { seq, head, engine } => {
                    let passed = Seq(self.consumers_passed.load(Ordering::Acquire));
                    self.journal.snapshot(seq, head, engine, passed);
                }
                Deferred::Copy { engine, reply } => {
                    let _ = reply.send(*engine);
                }
            }
        }
    }

    fn release(&mut self, pending: &mut Vec<Pending>) {
        let Some(last) = pending.last().map(|p| p.released.seq) else { return };
        self.durable.send_replace(last);
        let mut released = Vec::new();
        let publish = self.released.receiver_count() > 0;
        for Pending { reply, released: record } in pending.drain(..) {
            let outcome = match record.events.last().map(|e| &e.event) {
                Some(engine::Event::Rejected { .. }) => "refused",
                Some(engine::Event::AlreadyApplied { .. }) => "retried",
                _ => "applied",
            };
            crate::metrics::METRICS.commands.with_label_values(&[outcome]).inc();
            // A caller that gave up waiting no longer needs its answer; the command stands.
            if publish {
                let _ = reply.send(Outcome { seq: record.seq, events: record.events.clone() });
                released.push(record);
            } else {
                let _ = reply.send(Outcome { seq: record.seq, events: record.events });
            }
        }
        if publish {
            let _ = self.released.send(Arc::new(released));
        }
    }
}

//! The engine task: one thread owns the engine and the journal's appending end. It takes commands
//! from a bounded queue in batches, applies each, journals each with its events, fsyncs the batch
//! once (group commit), and only then releases anything of it: replies, the durable watermark, the
//! released events. State may run ahead of the disk; output never does.
//!
//! If the journal cannot be written the task stops at once: the commands it applied are not durable,
//! so none is answered, and the next start recovers from what is.

mod clock;
mod handle;

pub use clock::{Clock, ManualClock, SystemClock};
pub use handle::{EngineHandle, Outcome, SubmitError};

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
use crate::journal::writer::JournalWriter;
use crate::journal::{Layout, snapshots};

/// How the engine task runs.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeConfig {
    /// Commands that may wait in the queue before callers are told the marketplace is overloaded.
    pub queue: usize,
    /// Most commands per batch (and so per fsync).
    pub max_batch: usize,
    /// Commands between snapshots.
    pub snapshot_every: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self { queue: 8_192, max_batch: 512, snapshot_every: 200_000 }
    }
}

/// The events of one durable batch, in order.
pub type ReleasedBatch = Arc<Vec<EventEnvelope>>;

/// The running engine task.
#[derive(Debug)]
pub struct Runtime {
    handle: EngineHandle,
    durable: watch::Receiver<Seq>,
    released: broadcast::Sender<ReleasedBatch>,
    consumers_passed: Arc<AtomicU64>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
    /// What recovery found at start.
    pub recovery: RecoveryReport,
}

struct Task {
    engine: Engine,
    writer: JournalWriter,
    storage: Arc<dyn Storage>,
    layout: Layout,
    clock: Arc<dyn Clock>,
    config: RuntimeConfig,
    durable: watch::Sender<Seq>,
    released: broadcast::Sender<ReleasedBatch>,
    consumers_passed: Arc<AtomicU64>,
    since_snapshot: u64,
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
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let (durable_tx, durable) = watch::channel(recovered.engine.seq());
        let (released, _) = broadcast::channel(1_024);
        // Keep every segment until the journal's consumers report how far they have read.
        let consumers_passed = Arc::new(AtomicU64::new(0));
        let task = Task {
            engine: recovered.engine,
            writer: recovered.writer,
            storage,
            layout,
            clock,
            config,
            durable: durable_tx,
            released: released.clone(),
            consumers_passed: consumers_passed.clone(),
            since_snapshot: 0,
        };
        let thread = std::thread::Builder::new()
            .name("engine".into())
            .spawn(move || task.run(rx))
            .context("starting the engine thread")?;
        Ok(Self {
            handle: EngineHandle { tx },
            durable,
            released,
            consumers_passed,
            thread: Some(thread),
            recovery: recovered.report,
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

    /// Released batches of events, for feeds and read models.
    pub fn subscribe(&self) -> broadcast::Receiver<ReleasedBatch> {
        self.released.subscribe()
    }

    /// Where journal consumers report the sequence they have all passed, so segments behind both it
    /// and a snapshot may be removed.
    pub fn consumers_passed(&self) -> Arc<AtomicU64> {
        self.consumers_passed.clone()
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

impl Task {
    fn run(mut self, mut rx: mpsc::Receiver<Request>) -> anyhow::Result<()> {
        let mut replies: Vec<(oneshot::Sender<Outcome>, Outcome)> =
            Vec::with_capacity(self.config.max_batch);
        let mut stop: Option<oneshot::Sender<()>> = None;
        while stop.is_none() {
            let Some(first) = rx.blocking_recv() else { break };
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Apply { command, reply } => {
                        let outcome = self.apply(command)?;
                        replies.push((reply, outcome));
                    }
                    Request::Shutdown { reply } => {
                        stop = Some(reply);
                        break;
                    }
                    Request::Copy { reply } => {
                        // Commands already applied in this batch are not durable yet: release them
                        // first, so the copy shows nothing the disk does not hold.
                        self.writer
                            .commit()
                            .context("the journal could not be written; stopping the engine")?;
                        self.release(&mut replies);
                        let _ = reply.send(self.engine.clone());
                    }
                }
                if replies.len() < self.config.max_batch {
                    next = rx.try_recv().ok();
                }
            }
            self.writer
                .commit()
                .context("the journal could not be written; stopping the engine")?;
            self.release(&mut replies);
            if self.since_snapshot >= self.config.snapshot_every {
                self.snapshot()?;
            }
        }
        self.snapshot()?;
        if let Some(reply) = stop {
            let _ = reply.send(());
        }
        Ok(())
    }

    fn apply(&mut self, command: engine::Command) -> anyhow::Result<Outcome> {
        let journaled = command.clone();
        let mut events = Vec::with_capacity(8);
        let seq = self.engine.apply(command, self.clock.now(), &mut events);
        self.writer.push(seq, self.engine.clock(), &journaled, &events)?;
        self.since_snapshot += 1;
        Ok(Outcome { seq, events })
    }

    fn release(&mut self, replies: &mut Vec<(oneshot::Sender<Outcome>, Outcome)>) {
        self.durable.send_replace(self.engine.seq());
        if self.released.receiver_count() > 0 {
            let events: Vec<_> =
                replies.iter().flat_map(|(_, o)| o.events.iter().cloned()).collect();
            let _ = self.released.send(Arc::new(events));
        }
        for (reply, outcome) in replies.drain(..) {
            // A caller that gave up waiting no longer needs its answer; the command stands.
            let _ = reply.send(outcome);
        }
    }

    fn snapshot(&mut self) -> anyhow::Result<()> {
        if self.since_snapshot == 0 {
            return Ok(());
        }
        let seq =
            snapshots::save(self.storage.as_ref(), &self.layout, &self.engine, self.writer.head())?;
        self.since_snapshot = 0;
        let passed = Seq(self.consumers_passed.load(Ordering::Acquire).min(seq.0));
        snapshots::prune(&self.storage, &self.layout, passed)?;
        tracing::info!(%seq, "snapshot written");
        Ok(())
    }
}

//! The replica: a copy of the engine taken from the engine task, then kept current by applying the
//! released commands. After each batch it hands the engine, exactly at that batch's last sequence,
//! to every [`Follower`] in turn. If it ever falls behind the broadcast of released batches (it
//! lagged) or finds a gap, it takes one fresh copy rather than guess what it missed, and every
//! follower resyncs from that copy: one lag policy for the whole read side.

use std::sync::{Arc, RwLock};

use anyhow::Context;
use engine::Engine;
use engine::types::Seq;
use tokio::sync::{broadcast, watch};

use crate::runtime::{EngineHandle, Released, ReleasedBatch};

/// Something kept current from the released stream: a feed, the price desk, a publisher. It keeps
/// no copy of engine state of its own: whatever it needs it reads from the engine it is handed.
pub trait Follower: Send + Sync + std::fmt::Debug + 'static {
    /// A released batch, with the engine as it stands right after the batch's last command.
    fn batch(&self, engine: &Engine, batch: &[Released]);
    /// The replica lost step and took a fresh copy: start over from `engine` (and tell clients).
    fn resync(&self, engine: &Engine);
}

/// An engine replica serving reads.
#[derive(Clone, Debug)]
pub struct Replica {
    engine: Arc<RwLock<Engine>>,
    seq: watch::Receiver<Seq>,
}

/// A replica whose copy is taken and whose followers are not yet running: followers are built
/// from it (they read from the replica), then [`Pending::follow`] starts them all at once.
#[derive(Debug)]
pub struct Pending {
    replica: Replica,
    seq: watch::Sender<Seq>,
    handle: EngineHandle,
    released: broadcast::Receiver<ReleasedBatch>,
}

impl Replica {
    /// Copies the engine. `released` must be subscribed before this call, so that no batch falls
    /// between the copy and the first batch received.
    pub async fn copy(
        handle: EngineHandle,
        released: broadcast::Receiver<ReleasedBatch>,
    ) -> anyhow::Result<Pending> {
        let engine = handle.copy_engine().await.context("copying the engine for the replica")?;
        let (seq, rx) = watch::channel(engine.seq());
        let replica = Replica { engine: Arc::new(RwLock::new(engine)), seq: rx };
        Ok(Pending { replica, seq, handle, released })
    }

    /// A replica with no followers, following at once.
    pub async fn start(
        handle: EngineHandle,
        released: broadcast::Receiver<ReleasedBatch>,
    ) -> anyhow::Result<Self> {
        Ok(Self::copy(handle, released).await?.follow(Vec::new()))
    }

    /// Runs `query` against the replica, with the sequence it answers as of.
    pub fn read<R>(&self, query: impl FnOnce(&Engine) -> R) -> (R, Seq) {
        let engine = self.engine.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let seq = engine.seq();
        (query(&engine), seq)
    }

    /// The sequence the replica is at.
    pub fn seq(&self) -> Seq {
        *self.seq.borrow()
    }

    /// A receiver that sees every new sequence the replica reaches.
    pub fn changes(&self) -> watch::Receiver<Seq> {
        self.seq.clone()
    }

    /// Waits until the replica has applied `seq`: how a client reads its own writes.
    pub async fn caught_up(&self, seq: Seq) {
        let mut watch = self.seq.clone();
        let _ = watch.wait_for(|s| *s >= seq).await;
    }
}

impl Pending {
    /// The replica, for followers to read from.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// Starts following the released stream, handing each batch to `followers` in order.
    pub fn follow(self, followers: Vec<Arc<dyn Follower>>) -> Replica {
        let replica = self.replica.clone();
        tokio::spawn(follow(self, followers));
        replica
    }
}

async fn follow(pending: Pending, followers: Vec<Arc<dyn Follower>>) {
    let Pending { replica, seq, handle, mut released } = pending;
    let engine = replica.engine;
    let mut out = Vec::new();
    loop {
        let in_step = match released.recv().await {
            Ok(batch) => {
                let mut in_step = true;
                // Records a fresh copy already holds are skipped, and not handed on again.
                let new = {
                    let mut replica =
                        engine.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                    let new =
                        batch.iter().position(|r| r.seq > replica.seq()).unwrap_or(batch.len());
                    for record in batch.iter() {
                        if record.seq <= replica.seq() {
                            continue;
                        }
                        if record.seq != replica.seq().next() {
                            tracing::error!(at = %replica.seq(), got = %record.seq, "replica missed records");
                            in_step = false;
                            break;
                        }
                        out.clear();
                        replica.apply(record.command.clone(), record.ts, &mut out);
                    }
                    new
                };
                if in_step && new < batch.len() {
                    // Only this task writes, so the engine read here is the one just written.
                    let replica = engine.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                    seq.send_replace(replica.seq());
                    for follower in &followers {
                        follower.batch(&replica, &batch[new..]);
                    }
                }
                in_step
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the read side lagged behind the released batches; resyncing"
                );
                false
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if !in_step {
            // Take one fresh copy rather than guess what was missed; every follower starts over
            // from it.
            let Ok(copy) = handle.copy_engine().await else { return };
            *engine.write().unwrap_or_else(std::sync::PoisonError::into_inner) = copy;
            // Only this task writes, so the engine read here is the copy just put in place.
            let replica = engine.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            seq.send_replace(replica.seq());
            for follower in &followers {
                follower.resync(&replica);
            }
        }
    }
}

//! The replica: a copy of the engine taken from the engine task, then kept current by applying the
//! released commands. If it ever falls behind the broadcast of released batches (it lagged), it takes
//! a fresh copy rather than guess what it missed.

use std::sync::{Arc, RwLock};

use anyhow::Context;
use engine::Engine;
use engine::types::Seq;
use tokio::sync::{broadcast, watch};

use crate::runtime::{EngineHandle, ReleasedBatch};

/// An engine replica serving reads.
#[derive(Clone, Debug)]
pub struct Replica {
    engine: Arc<RwLock<Engine>>,
    seq: watch::Receiver<Seq>,
}

impl Replica {
    /// Starts a replica from the engine task's released commands. `released` must be subscribed
    /// before this call, so that no batch falls between the copy and the first batch received.
    pub async fn start(
        handle: EngineHandle,
        released: broadcast::Receiver<ReleasedBatch>,
    ) -> anyhow::Result<Self> {
        let engine = handle.copy_engine().await.context("copying the engine for the replica")?;
        let (seq_tx, seq) = watch::channel(engine.seq());
        let engine = Arc::new(RwLock::new(engine));
        tokio::spawn(follow(engine.clone(), handle, released, seq_tx));
        Ok(Self { engine, seq })
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

async fn follow(
    engine: Arc<RwLock<Engine>>,
    handle: EngineHandle,
    mut released: broadcast::Receiver<ReleasedBatch>,
    seq: watch::Sender<Seq>,
) {
    let mut out = Vec::new();
    loop {
        let in_step = match released.recv().await {
            Ok(batch) => {
                let mut replica = engine.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut in_step = true;
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
                seq.send_replace(replica.seq());
                in_step
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "replica lagged behind the released batches");
                false
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if !in_step {
            // Take a fresh copy rather than guess what was missed.
            let Ok(copy) = handle.copy_engine().await else { return };
            let at = copy.seq();
            *engine.write().unwrap_or_else(std::sync::PoisonError::into_inner) = copy;
            seq.send_replace(at);
        }
    }
}

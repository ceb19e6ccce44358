//! Read models: reads never enter the engine queue (docs/DESIGN.md, Runtime). The replica is a second engine
//! fed with the released (durable) commands in order: the engine is deterministic, so it reaches the
//! very state the engine task had at each released sequence, and serves every query the engine's
//! accessors answer, stamped with the sequence it is at.
//!
//! The replica is the released stream's one reader on a node: the live feeds and the price desk
//! follow it ([`Follower`]), handed the engine at exactly each batch's sequence, so none keeps a
//! copy of engine state and all share one lag policy. [`ReadSide::start`] wires them, the same on
//! an owner, an edge node and in tests.

mod replica;

pub use replica::{Follower, Pending, Replica};

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::runtime::{EngineHandle, ReleasedBatch};

/// A node's read side: the replica and what follows it.
#[derive(Debug, Clone)]
pub struct ReadSide {
    /// Reads.
    pub replica: Replica,
    /// Live feeds.
    pub hub: Arc<crate::feed::Hub>,
    /// Candles, reference prices and alerts.
    pub prices: crate::prices::PriceDesk,
}

impl ReadSide {
    /// Copies the engine and starts the replica with the hub and the price desk following it.
    /// `released` must be subscribed before this call. With a database, the price history is
    /// written to it too, by a task on the runtime given with it.
    pub async fn start(
        handle: EngineHandle,
        released: broadcast::Receiver<ReleasedBatch>,
        thresholds: engine::analytics::Thresholds,
        db: Option<(crate::persist::Database, tokio::runtime::Handle)>,
    ) -> anyhow::Result<Self> {
        let pending = Replica::copy(handle, released).await?;
        let hub = crate::feed::Hub::new(pending.replica().clone());
        let (prices, desk) =
            crate::prices::PriceDesk::new(pending.replica(), hub.clone(), thresholds, db);
        let replica = pending.follow(vec![hub.clone(), desk]);
        Ok(Self { replica, hub, prices })
    }
}

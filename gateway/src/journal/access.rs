//! The journal read back, wherever it is kept: files on this machine, or the replicated stream.
//! What a retry's first outcome and reconciliation need of it.

use std::sync::Arc;

use engine::Engine;
use engine::types::Seq;

use super::Layout;
use super::record::JournalRecord;
use super::storage::Storage;
use crate::cluster::Cluster;

/// Where a node reads its market's journal.
#[derive(Clone, Debug)]
pub enum JournalAccess {
    /// Segment files in the data folder.
    Files {
        /// The journal's storage.
        storage: Arc<dyn Storage>,
        /// The data folder.
        layout: Layout,
    },
    /// The market's stream in the cluster.
    Stream(Box<Cluster>),
}

impl JournalAccess {
    /// A reader at the first record after `after`.
    pub fn reader(&self, after: Seq) -> Reader {
        match self {
            Self::Files { storage, layout } => {
                Reader::Files(super::cursor::Cursor::new(storage.clone(), layout.clone(), after))
            }
            Self::Stream(cluster) => {
                Reader::Stream { cluster: cluster.clone(), after, cursor: None }
            }
        }
    }

    /// The record with sequence `seq`, if the journal still holds it.
    pub async fn record_at(&self, seq: Seq) -> anyhow::Result<Option<JournalRecord>> {
        match self {
            Self::Files { storage, layout } => {
                let (storage, layout) = (storage.clone(), layout.clone());
                tokio::task::spawn_blocking(move || {
                    super::cursor::record_at(&storage, &layout, seq)
                })
                .await?
            }
            Self::Stream(cluster) => crate::cluster::reading::record_at(cluster, seq).await,
        }
    }

    /// The engine as it stood right after record `at`.
    pub async fn engine_at(&self, at: Seq) -> anyhow::Result<Engine> {
        match self {
            Self::Files { storage, layout } => {
                let (storage, layout) = (storage.clone(), layout.clone());
                tokio::task::spawn_blocking(move || {
                    crate::reconcile::engine_at(storage.as_ref(), &layout, at)
                })
                .await?
            }
            Self::Stream(cluster) => crate::cluster::reading::engine_at(cluster, at).await,
        }
    }
}

impl JournalAccess {
    /// The newest snapshot's engine, if one is kept: where a consumer that finds the records it
    /// needs pruned (one added to a market that ran without it) can begin.
    pub async fn latest_snapshot(&self) -> anyhow::Result<Option<Engine>> {
        match self {
            Self::Files { storage, layout } => {
                let (storage, layout) = (storage.clone(), layout.clone());
                tokio::task::spawn_blocking(move || {
                    let (loaded, _) =
                        super::snapshots::load_latest(storage.as_ref(), &layout, None)?;
                    anyhow::Ok(loaded.map(|l| l.engine))
                })
                .await?
            }
            Self::Stream(cluster) => {
                Ok(crate::cluster::snapshots::load(cluster).await?.map(|l| l.engine))
            }
        }
    }
}

/// A consumer's place in the journal, wherever it is kept.
#[derive(Debug)]
pub enum Reader {
    /// In the segment files.
    Files(super::cursor::Cursor),
    /// In the stream; the message holding the next record is found on the first read.
    Stream {
        /// The cluster.
        cluster: Box<Cluster>,
        /// The record read last.
        after: Seq,
        /// The place, once found.
        cursor: Option<Box<crate::cluster::reading::Cursor>>,
    },
}

impl Reader {
    /// Reads records from the next one up to `up_to` (durable, so whole), about `max` of them,
    /// passing each to `visit`. Returns how many were read.
    pub async fn read(
        &mut self,
        up_to: Seq,
        max: usize,
        mut visit: impl FnMut(JournalRecord),
    ) -> anyhow::Result<usize> {
        match self {
            Self::Files(cursor) => cursor.read(up_to, max, visit),
            Self::Stream { cluster, after, cursor } => {
                let cursor = match cursor {
                    Some(cursor) => cursor,
                    None => {
                        let found = crate::cluster::reading::Cursor::after(cluster, *after).await?;
                        cursor.insert(Box::new(found))
                    }
                };
                cursor.read(up_to, max, |record, _| visit(record)).await
            }
        }
    }
}

//! The journal of files: segments fsynced per batch, snapshots written beside them and the
//! segments they cover pruned once every consumer has passed them.

use std::sync::Arc;

use engine::types::{Seq, Timestamp};
use engine::{Command, EventEnvelope};

use super::record::ChainHash;
use super::storage::Storage;
use super::writer::JournalWriter;
use super::{Journal, Layout, snapshots};

/// The local journal, as the engine task appends to it.
#[derive(Debug)]
pub struct FileJournal {
    writer: JournalWriter,
    storage: Arc<dyn Storage>,
    layout: Layout,
    batches: u64,
}

impl FileJournal {
    /// The journal appended to by `writer`, under `layout`. Consumers report their place through
    /// the engine task, which hands it to [`Journal::snapshot`].
    pub fn new(writer: JournalWriter, storage: Arc<dyn Storage>, layout: Layout) -> Self {
        Self { writer, storage, layout, batches: 0 }
    }
}

impl Journal for FileJournal {
    fn push(
        &mut self,
        seq: Seq,
        ts: Timestamp,
        command: &Command,
        events: &[EventEnvelope],
    ) -> anyhow::Result<()> {
        self.writer.push(seq, ts, command, events)
    }

    fn head(&self) -> ChainHash {
        self.writer.head()
    }

    /// A batch is written and fsynced as it is sent: one at a time.
    fn send(&mut self) -> anyhow::Result<u64> {
        if self.writer.pending_bytes() > 0 {
            let timer = crate::metrics::METRICS.fsync_seconds.start_timer();
            self.writer.commit()?;
            timer.observe_duration();
            self.batches += 1;
        }
        Ok(self.batches)
    }

    fn wait(&mut self, _batch: u64) -> anyhow::Result<()> {
        Ok(())
    }

    fn snapshot(&mut self, seq: Seq, head: ChainHash, engine: Vec<u8>, passed: Seq) {
        let written = snapshots::save_bytes(self.storage.as_ref(), &self.layout, seq, head, engine)
            .and_then(|_| snapshots::prune(&self.storage, &self.layout, passed.min(seq)));
        match written {
            Ok(()) => tracing::info!(%seq, "snapshot written"),
            Err(error) => {
                tracing::error!(%seq, error = %format!("{error:#}"), "snapshot not written; recovery replays further")
            }
        }
    }
}

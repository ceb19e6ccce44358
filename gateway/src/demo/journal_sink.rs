//! Loading the demo province straight into a fresh journal: each command is applied to an engine
//! and journaled with its events, exactly as the engine task would, but committed in large batches,
//! since nobody waits for an answer. The runtime then starts from this journal like from any other.

use std::sync::Arc;

use anyhow::bail;
use engine::types::{Seq, Timestamp};
use engine::{Command, Engine, Event};

use super::CommandSink;
use crate::journal::Layout;
use crate::journal::record::ChainHash;
use crate::journal::snapshots;
use crate::journal::storage::Storage;
use crate::journal::writer::JournalWriter;

/// Commands per commit while loading.
const COMMIT_EVERY: usize = 4_096;

/// An engine and a journal writer loading commands together.
#[derive(Debug)]
pub struct JournalSink {
    engine: Engine,
    writer: JournalWriter,
    storage: Arc<dyn Storage>,
    layout: Layout,
    now: Timestamp,
    events: Vec<engine::EventEnvelope>,
}

impl JournalSink {
    /// A sink writing a new journal under `layout`, applying commands at `now`.
    pub fn create(
        storage: Arc<dyn Storage>,
        layout: Layout,
        now: Timestamp,
    ) -> anyhow::Result<Self> {
        let writer = JournalWriter::new(
            storage.clone(),
            layout.clone(),
            ChainHash::default(),
            Seq(1),
            None,
        )?;
        Ok(Self { engine: Engine::new(), writer, storage, layout, now, events: Vec::new() })
    }

    /// Commits what is left and writes a snapshot, so the first start does not replay the load.
    pub fn finish(mut self) -> anyhow::Result<Seq> {
        self.writer.commit()?;
        snapshots::save(self.storage.as_ref(), &self.layout, &self.engine, self.writer.head())
    }
}

impl CommandSink for JournalSink {
    fn submit(&mut self, command: Command) -> anyhow::Result<Seq> {
        self.events.clear();
        let seq = self.engine.apply(command.clone(), self.now, &mut self.events);
        self.writer.push(seq, self.engine.clock(), &command, &self.events)?;
        if self.writer.pending_bytes() > 0 && seq.0.is_multiple_of(COMMIT_EVERY as u64) {
            self.writer.commit()?;
        }
        if let Some(Event::Rejected { action, reason }) = self.events.first().map(|e| &e.event) {
            bail!("{action:?} refused: {reason} ({})", reason.code());
        }
        Ok(seq)
    }
}

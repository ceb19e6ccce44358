//! Loading the demo province straight into a fresh journal: each command is applied to an engine
//! and journaled with its events, exactly as the engine task would, but committed in large batches,
//! since nobody waits for an answer. The runtime then starts from this journal like from any other.

use std::sync::Arc;

use anyhow::bail;
use engine::types::{Seq, Timestamp};
use engine::{Command, Engine, Event};

use super::CommandSink;
use crate::journal::record::ChainHash;
use crate::journal::storage::Storage;
use crate::journal::writer::JournalWriter;
use crate::journal::{FileJournal, Journal, Layout};

/// Commands per commit while loading.
const COMMIT_EVERY: usize = 4_096;

/// An engine and a journal loading commands together.
#[derive(Debug)]
pub struct JournalSink {
    engine: Engine,
    journal: Box<dyn Journal>,
    pending: usize,
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
        Ok(Self::over(Engine::new(), Box::new(FileJournal::new(writer, storage, layout)), now))
    }

    /// A sink applying commands to `engine` at `now` and appending them to `journal`, which ends
    /// where the engine stands.
    pub fn over(engine: Engine, journal: Box<dyn Journal>, now: Timestamp) -> Self {
        Self { engine, journal, pending: 0, now, events: Vec::new() }
    }

    /// The engine as loaded so far.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Applies `command` at `at` (the engine's clock never goes back) and journals it, whether the
    /// engine takes it or refuses it, as the engine task would: history has refusals too. True
    /// when it was taken.
    pub fn submit_at(&mut self, command: Command, at: Timestamp) -> anyhow::Result<bool> {
        self.now = self.now.max(at);
        self.events.clear();
        let seq = self.engine.apply(command.clone(), self.now, &mut self.events);
        self.journal.push(seq, self.engine.clock(), &command, &self.events)?;
        self.pending += 1;
        if self.pending >= COMMIT_EVERY {
            self.journal.commit()?;
            self.pending = 0;
        }
        Ok(!matches!(self.events.last().map(|e| &e.event), Some(Event::Rejected { .. })))
    }

    /// Commits what is left and keeps a snapshot, so the first start does not replay the load.
    pub fn finish(self) -> anyhow::Result<Seq> {
        Ok(self.finish_into()?.0.seq())
    }

    /// As [`Self::finish`], handing back the engine and the journal to go on with.
    pub fn finish_into(mut self) -> anyhow::Result<(Engine, Box<dyn Journal>)> {
        self.journal.commit()?;
        // No consumer has read anything yet: the snapshot prunes nothing.
        let seq = self.engine.seq();
        self.journal.snapshot(seq, self.journal.head(), self.engine.snapshot(), Seq(0));
        Ok((self.engine, self.journal))
    }
}

impl CommandSink for JournalSink {
    /// Loading the province, every command must be taken: a refusal is a fault of the load.
    fn submit(&mut self, command: Command) -> anyhow::Result<Seq> {
        self.submit_at(command, self.now)?;
        if let Some(Event::Rejected { action, reason }) = self.events.first().map(|e| &e.event) {
            bail!("{action:?} refused: {reason} ({})", reason.code());
        }
        Ok(self.engine.seq())
    }
}

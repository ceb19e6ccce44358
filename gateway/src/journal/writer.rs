//! Appending records in batches: encode each into the batch buffer, then write the whole batch and
//! fsync once. Segments rotate at a batch boundary once they pass the size limit, so a batch never
//! spans two files.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, ensure};
use engine::types::{Seq, Timestamp};
use engine::{Command, EventEnvelope};

use super::Layout;
use super::record::{ChainHash, Encoder, RecordRef, SEGMENT_MAGIC};
use super::storage::Storage;

/// Size at which a new segment starts.
pub const SEGMENT_BYTES: u64 = 64 << 20;

/// The journal's appending end.
#[derive(Debug)]
pub struct JournalWriter {
    storage: Arc<dyn Storage>,
    layout: Layout,
    segment: Option<(PathBuf, u64)>,
    head: ChainHash,
    next: Seq,
    batch: Vec<u8>,
    encoder: Encoder,
    segment_limit: u64,
}

impl JournalWriter {
    /// A writer continuing after `head` at `next`, appending to `tail` (a segment and its length)
    /// while it has room.
    pub fn new(
        storage: Arc<dyn Storage>,
        layout: Layout,
        head: ChainHash,
        next: Seq,
        tail: Option<(PathBuf, u64)>,
    ) -> anyhow::Result<Self> {
        storage.create_dir_all(&layout.journal_dir()).context("creating the journal folder")?;
        Ok(Self {
            storage,
            layout,
            segment: tail,
            head,
            next,
            batch: Vec::with_capacity(1 << 16),
            encoder: Encoder::default(),
            segment_limit: SEGMENT_BYTES,
        })
    }

    /// Starts new segments at `bytes` instead of the default, for tests of rotation.
    pub fn with_segment_limit(mut self, bytes: u64) -> Self {
        self.segment_limit = bytes;
        self
    }

    /// Chain hash of the last record pushed.
    pub fn head(&self) -> ChainHash {
        self.head
    }

    /// Sequence the next record must carry.
    pub fn next_seq(&self) -> Seq {
        self.next
    }

    /// Adds a record to the batch.
    pub fn push(
        &mut self,
        seq: Seq,
        ts: Timestamp,
        command: &Command,
        events: &[EventEnvelope],
    ) -> anyhow::Result<()> {
        ensure!(seq == self.next, "journal expects seq {} and got {}", self.next, seq);
        if self.batch.is_empty()
            && self.segment.as_ref().is_none_or(|(_, len)| *len >= self.segment_limit)
        {
            self.segment = Some((self.layout.segment(seq), 0));
        }
        if self.batch.is_empty() && self.segment.as_ref().is_some_and(|(_, len)| *len == 0) {
            // A new (or emptied) segment opens with the magic, written with its first batch.
            self.batch.extend_from_slice(SEGMENT_MAGIC);
        }
        let record = RecordRef { seq, ts, prev: self.head, command, events };
        self.head = self.encoder.encode(seq, &record, &mut self.batch)?;
        self.next = seq.next();
        Ok(())
    }

    /// Writes the batch and makes it durable. Only after this returns may anything of the batch leave
    /// the engine task.
    pub fn commit(&mut self) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let (path, len) = self.segment.as_mut().context("a batch always has a segment")?;
        self.storage
            .append(path, &self.batch)
            .with_context(|| format!("appending to {}", path.display()))?;
        self.storage.sync(path).with_context(|| format!("syncing {}", path.display()))?;
        *len += self.batch.len() as u64;
        self.batch.clear();
        Ok(())
    }

    /// Records pushed but not yet committed.
    pub fn pending_bytes(&self) -> usize {
        self.batch.len()
    }
}

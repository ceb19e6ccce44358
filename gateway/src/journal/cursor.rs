//! A journal consumer's reading position: records after an offset, up to the durable watermark,
//! read incrementally from where the last read stopped.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use engine::types::Seq;

use super::record::{Frame, JournalRecord, decode, read_frame};
use super::storage::Storage;
use super::{Layout, seq_of};

/// Reads the journal forward from an offset.
#[derive(Debug)]
pub struct Cursor {
    storage: Arc<dyn Storage>,
    layout: Layout,
    next: Seq,
    position: Option<(PathBuf, u64)>,
}

impl Cursor {
    /// A cursor at the first record after `after`.
    pub fn new(storage: Arc<dyn Storage>, layout: Layout, after: Seq) -> Self {
        Self { storage, layout, next: after.next(), position: None }
    }

    /// Sequence of the next record to read.
    pub fn next_seq(&self) -> Seq {
        self.next
    }

    /// Reads records from the next one up to `up_to` (durable, so whole), at most `max` of them,
    /// passing each to `visit`. Returns how many were read.
    pub fn read(
        &mut self,
        up_to: Seq,
        max: usize,
        mut visit: impl FnMut(JournalRecord),
    ) -> anyhow::Result<usize> {
        let mut count = 0;
        while self.next <= up_to && count < max {
            let (path, offset) = match self.position.clone() {
                Some(position) => position,
                None => (self.segment_holding(self.next)?, 0),
            };
            let bytes = self
                .storage
                .read_from(&path, offset)
                .with_context(|| format!("reading {}", path.display()))?;
            let mut at = 0;
            while self.next <= up_to && count < max && at < bytes.len() {
                let (body, len) = match read_frame(&bytes[at..]) {
                    Frame::Whole { body, len } => (body, len),
                    Frame::Short | Frame::Bad(_) => bail!(
                        "durable record {} unreadable in {} at byte {}",
                        self.next,
                        path.display(),
                        offset + at as u64
                    ),
                };
                let (record, _) = decode(body)?;
                at += len;
                if record.seq < self.next {
                    continue;
                }
                if record.seq != self.next {
                    bail!("journal skips from {} to {}", self.next, record.seq);
                }
                self.next = self.next.next();
                count += 1;
                visit(record);
            }
            let end = offset + at as u64;
            if at == bytes.len() && self.next <= up_to {
                // This segment is used up; the next record starts the next segment.
                let next_segment = self.layout.segment(self.next);
                if self.storage.list(&self.layout.journal_dir())?.contains(&next_segment) {
                    self.position = Some((next_segment, 0));
                    continue;
                }
                bail!("durable record {} is in no segment", self.next);
            }
            self.position = Some((path, end));
        }
        Ok(count)
    }

    fn segment_holding(&self, seq: Seq) -> anyhow::Result<PathBuf> {
        let segments = self.storage.list(&self.layout.journal_dir())?;
        segments
            .into_iter()
            .rfind(|p| seq_of(p).is_some_and(|first| first <= seq))
            .with_context(|| format!("no journal segment holds record {seq}"))
    }
}

//! A journal consumer's reading position: records after an offset, up to the durable watermark,
//! read incrementally from where the last read stopped. Also how one record is found by its
//! sequence (the first outcome of a retried command).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use engine::types::Seq;

use super::record::{Format, Frame, JournalRecord, SEGMENT_MAGIC, decode};
use super::storage::Storage;
use super::{Layout, seq_of};

/// Reads the journal forward from an offset.
#[derive(Debug)]
pub struct Cursor {
    storage: Arc<dyn Storage>,
    layout: Layout,
    next: Seq,
    position: Option<Position>,
}

#[derive(Clone, Debug)]
struct Position {
    path: PathBuf,
    offset: u64,
    format: Format,
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
            let position = match self.position.clone() {
                Some(position) => position,
                None => {
                    self.open(segment_holding(self.storage.as_ref(), &self.layout, self.next)?)?
                }
            };
            let Position { path, offset, format } = position;
            let bytes = self
                .storage
                .read_from(&path, offset)
                .with_context(|| format!("reading {}", path.display()))?;
            let mut at = 0;
            while self.next <= up_to && count < max && at < bytes.len() {
                let (seq, body, len) = match format.read_frame(&bytes[at..]) {
                    Frame::Whole { seq, body, len } => (seq, body, len),
                    _ => bail!(
                        "durable record {} unreadable in {} at byte {}",
                        self.next,
                        path.display(),
                        offset + at as u64
                    ),
                };
                at += len;
                // A header that names its sequence lets records before the wanted one be skipped
                // without decoding them.
                if seq.is_some_and(|s| s < self.next) {
                    continue;
                }
                let (record, _) = decode(body)?;
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
                    self.position = Some(self.open(next_segment)?);
                    continue;
                }
                bail!("durable record {} is in no segment", self.next);
            }
            self.position = Some(Position { path, offset: end, format });
        }
        Ok(count)
    }

    /// The position of a segment's first record.
    fn open(&self, path: PathBuf) -> anyhow::Result<Position> {
        let head = self
            .storage
            .read_prefix(&path, SEGMENT_MAGIC.len())
            .with_context(|| format!("reading {}", path.display()))?;
        let (format, start) = Format::of(&head);
        Ok(Position { path, offset: start as u64, format })
    }
}

/// The record with sequence `seq`, if the journal still holds it (segments a snapshot covers may
/// have been removed).
pub fn record_at(
    storage: &Arc<dyn Storage>,
    layout: &Layout,
    seq: Seq,
) -> anyhow::Result<Option<JournalRecord>> {
    let Ok(first) = segment_holding(storage.as_ref(), layout, seq) else { return Ok(None) };
    if seq_of(&first).is_none_or(|s| s > seq) {
        return Ok(None);
    }
    let mut cursor = Cursor::new(storage.clone(), layout.clone(), Seq(seq.0.saturating_sub(1)));
    let mut found = None;
    cursor.read(seq, 1, |record| found = Some(record))?;
    Ok(found)
}

fn segment_holding(storage: &dyn Storage, layout: &Layout, seq: Seq) -> anyhow::Result<PathBuf> {
    let segments = storage.list(&layout.journal_dir())?;
    segments
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .rfind(|p| seq_of(p).is_some_and(|first| first <= seq))
        .with_context(|| format!("no journal segment holds record {seq}"))
}

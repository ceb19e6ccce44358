//! The command journal: the audit trail and the source of truth for recovery.
//!
//! Every command that reaches the engine, refused ones included, becomes one record in append-only
//! segment files under `<data>/journal/`, named by their first sequence. Records are written in
//! batches and fsynced once per batch (group commit); nothing of a batch leaves the engine task
//! before its fsync. Snapshots of the engine under `<data>/snapshots/` bound recovery time.
//!
//! - [`storage`]: the file system behind a trait, and a disk that loses unsynced writes, for tests.
//! - [`record`]: framing, checksums and the hash chain.
//! - [`writer`]: appending batches, rotating segments.
//! - [`reader`]: scanning segments, telling a torn tail from damage.
//! - [`repair`]: the operator's cut of a torn or zero-filled tail, refused past any whole record.
//! - [`cursor`]: a consumer's reading position, and one record found by its sequence.
//! - [`snapshots`]: saving and loading engine snapshots with their place in the chain.
//! - [`recovery`]: snapshot + replay back to the state before the crash.
//! - [`FileJournal`]: the [`Journal`] of files, with snapshots beside it.
//! - [`access`]: records and past engines read back, from files or the replicated stream.

pub mod access;
pub mod cursor;
mod file;
pub mod marks;
pub mod reader;
pub mod record;
pub mod recovery;
pub mod repair;
pub mod snapshots;
pub mod storage;
pub mod writer;

pub use file::FileJournal;

use std::path::{Path, PathBuf};

use engine::types::{Seq, Timestamp};
use engine::{Command, EventEnvelope};

use record::ChainHash;

/// Where the engine task's journal thread puts each batch: files on this machine, or the
/// replicated stream. Nothing of a batch is released before [`Journal::commit`] returns.
pub trait Journal: Send + std::fmt::Debug + 'static {
    /// Adds a record to the batch; records come in sequence.
    fn push(
        &mut self,
        seq: Seq,
        ts: Timestamp,
        command: &Command,
        events: &[EventEnvelope],
    ) -> anyhow::Result<()>;

    /// Chain hash of the last record pushed.
    fn head(&self) -> ChainHash;

    /// Makes the batch durable; an error stops the engine task (fail-stop).
    fn commit(&mut self) -> anyhow::Result<()> {
        let batch = self.send()?;
        self.wait(batch)
    }

    /// Starts making the batch durable and returns its number, for [`Journal::wait`]; a journal
    /// that cannot overlap batches makes it durable here. A batch with no records is numbered as
    /// the one before it.
    fn send(&mut self) -> anyhow::Result<u64>;

    /// Returns once every batch up to `batch` is durable; an error stops the engine task.
    fn wait(&mut self, batch: u64) -> anyhow::Result<()>;

    /// How many batches may be on their way at once.
    fn depth(&self) -> usize {
        1
    }

    /// Keeps a snapshot of the engine as it stood after record `seq` (chain hash `head`), once
    /// `seq` is durable; `passed` is where every consumer of the journal has read to. Best
    /// effort: the journal alone is the truth, a snapshot only shortens recovery.
    fn snapshot(&mut self, seq: Seq, head: ChainHash, engine: Vec<u8>, passed: Seq);
}

/// Where a data folder keeps its journal and snapshots.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The layout under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The data folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Folder of journal segments.
    pub fn journal_dir(&self) -> PathBuf {
        self.root.join("journal")
    }

    /// Folder of snapshots.
    pub fn snapshot_dir(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// The segment whose first record has sequence `first`.
    pub fn segment(&self, first: Seq) -> PathBuf {
        self.journal_dir().join(format!("{:020}.log", first.0))
    }

    /// The snapshot taken at sequence `seq`.
    pub fn snapshot(&self, seq: Seq) -> PathBuf {
        self.snapshot_dir().join(format!("{:020}.snap", seq.0))
    }
}

/// The sequence a segment or snapshot file is named by.
pub fn seq_of(path: &Path) -> Option<Seq> {
    path.file_stem()?.to_str()?.parse().ok().map(Seq)
}

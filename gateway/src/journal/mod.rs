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

pub mod cursor;
pub mod reader;
pub mod record;
pub mod recovery;
pub mod repair;
pub mod snapshots;
pub mod storage;
pub mod writer;

use std::path::{Path, PathBuf};

use engine::types::Seq;

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

//! Engine snapshots with their place in the journal: the sequence they were taken at and the chain
//! hash of that record, so replay can check that the first record after a snapshot follows it.
//!
//! File: `GPSNAPF1 | crc32c(body): u32 LE | body`, the body postcard of the snapshot's fields.

use std::sync::Arc;

use anyhow::{Context, ensure};
use engine::Engine;
use engine::types::Seq;
use serde::{Deserialize, Serialize};

use super::record::ChainHash;
use super::storage::Storage;
use super::{Layout, seq_of};

const MAGIC: &[u8; 8] = b"GPSNAPF1";

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    seq: Seq,
    head: ChainHash,
    engine: Vec<u8>,
}

/// A loaded snapshot.
#[derive(Debug)]
pub struct Loaded {
    /// The engine as it was.
    pub engine: Engine,
    /// The sequence it was taken at.
    pub seq: Seq,
    /// Chain hash of the record at that sequence.
    pub head: ChainHash,
}

/// Saves a snapshot of `engine`, whose last record has chain hash `head`.
pub fn save(
    storage: &dyn Storage,
    layout: &Layout,
    engine: &Engine,
    head: ChainHash,
) -> anyhow::Result<Seq> {
    save_bytes(storage, layout, engine.seq(), head, engine.snapshot())
}

/// Saves a snapshot taken as `engine` bytes after record `seq`, whose chain hash is `head`.
pub fn save_bytes(
    storage: &dyn Storage,
    layout: &Layout,
    seq: Seq,
    head: ChainHash,
    engine: Vec<u8>,
) -> anyhow::Result<Seq> {
    storage.create_dir_all(&layout.snapshot_dir()).context("creating the snapshot folder")?;
    let body = postcard::to_stdvec(&SnapshotFile { seq, head, engine })?;
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&crc32c::crc32c(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    storage.write_atomic(&layout.snapshot(seq), &bytes).context("writing the snapshot")?;
    Ok(seq)
}

fn load(storage: &dyn Storage, path: &std::path::Path) -> anyhow::Result<Loaded> {
    let bytes = storage.read_from(path, 0)?;
    let rest = bytes.strip_prefix(MAGIC.as_slice()).context("not a snapshot file")?;
    ensure!(rest.len() >= 4, "snapshot file cut short");
    let (crc, body) = rest.split_at(4);
    ensure!(crc32c::crc32c(body).to_le_bytes() == crc, "snapshot checksum mismatch");
    let file: SnapshotFile = postcard::from_bytes(body)?;
    let engine = Engine::restore(&file.engine)?;
    ensure!(engine.seq() == file.seq, "snapshot sequence disagrees with its engine");
    Ok(Loaded { engine, seq: file.seq, head: file.head })
}

/// The newest snapshot that loads, taken at or before `at_most` when given. A snapshot that fails
/// its checksum is passed over for an older one (and reported), never trusted.
pub fn load_latest(
    storage: &dyn Storage,
    layout: &Layout,
    at_most: Option<Seq>,
) -> anyhow::Result<(Option<Loaded>, Vec<String>)> {
    let mut skipped = Vec::new();
    let mut files = storage.list(&layout.snapshot_dir()).context("listing snapshots")?;
    files.retain(|p| p.extension().is_some_and(|e| e == "snap"));
    files.retain(|p| seq_of(p).is_some_and(|s| at_most.is_none_or(|m| s <= m)));
    for path in files.iter().rev() {
        match load(storage, path) {
            Ok(loaded) => return Ok((Some(loaded), skipped)),
            Err(e) => skipped.push(format!("{}: {e:#}", path.display())),
        }
    }
    Ok((None, skipped))
}

/// Removes snapshots older than the newest one at or before `keep_from`, and journal segments that
/// end before that snapshot: nothing recovery or a consumer at `keep_from` still needs.
pub fn prune(storage: &Arc<dyn Storage>, layout: &Layout, keep_from: Seq) -> anyhow::Result<()> {
    let mut snaps = storage.list(&layout.snapshot_dir())?;
    snaps.retain(|p| p.extension().is_some_and(|e| e == "snap"));
    let Some(anchor) = snaps.iter().filter_map(|p| seq_of(p)).filter(|s| *s <= keep_from).max()
    else {
        return Ok(());
    };
    for path in &snaps {
        if seq_of(path).is_some_and(|s| s < anchor) {
            storage.remove(path)?;
        }
    }
    // A segment ends where the next one starts; keep the one holding `anchor` and all after it.
    let segments = storage.list(&layout.journal_dir())?;
    let starts: Vec<_> = segments.iter().filter_map(|p| seq_of(p).map(|s| (s, p))).collect();
    for pair in starts.windows(2) {
        let (_, path) = pair[0];
        let (next_start, _) = pair[1];
        if next_start.0 <= anchor.0 {
            storage.remove(path)?;
        }
    }
    Ok(())
}

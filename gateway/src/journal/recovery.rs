//! Recovery at start: load the newest good snapshot, replay every later record of the journal
//! through the engine, and check that each replayed command produces exactly the events it produced
//! the first time. A torn final record is cut off and reported; corruption anywhere else stops the
//! start.

use std::sync::Arc;

use anyhow::{Context, bail, ensure};
use engine::Engine;
use engine::types::Seq;

use super::Layout;
use super::reader::{ScanReport, TornTail, scan_ahead};
use super::record::ChainHash;
use super::snapshots;
use super::storage::Storage;
use super::writer::JournalWriter;

/// What recovery did.
#[derive(Debug, Default)]
pub struct RecoveryReport {
    /// The snapshot started from.
    pub snapshot: Option<Seq>,
    /// Snapshots passed over because they did not load.
    pub skipped_snapshots: Vec<String>,
    /// Records replayed after the snapshot.
    pub replayed: u64,
    /// The torn final record cut off, if any.
    pub torn: Option<TornTail>,
    /// The scan of the journal.
    pub scan: ScanReport,
}

/// The engine back where it was, and the journal ready to take the next record.
#[derive(Debug)]
pub struct Recovered {
    /// The engine.
    pub engine: Engine,
    /// The journal's appending end.
    pub writer: JournalWriter,
    /// What happened.
    pub report: RecoveryReport,
}

/// Recovers, reporting progress every `progress_every` replayed records.
pub fn recover(
    storage: Arc<dyn Storage>,
    layout: &Layout,
    progress_every: u64,
    mut progress: impl FnMut(u64, Seq),
) -> anyhow::Result<Recovered> {
    let (snapshot, skipped_snapshots) = snapshots::load_latest(storage.as_ref(), layout, None)?;
    let (mut engine, from, snapshot_head) = match snapshot {
        Some(s) => (s.engine, s.seq, s.head),
        None => (Engine::new(), Seq(0), ChainHash::default()),
    };
    let mut replayed = 0_u64;
    let mut out = Vec::with_capacity(64);
    let scan = scan_ahead(storage.as_ref(), layout, |record, hash| {
        if record.seq < from {
            return Ok(());
        }
        if record.seq == from {
            ensure!(
                hash == snapshot_head,
                "the snapshot at {from} does not match the journal's record"
            );
            return Ok(());
        }
        if record.seq == from.next() && from.0 > 0 {
            ensure!(
                record.prev == snapshot_head,
                "record {} does not follow the snapshot",
                record.seq
            );
        }
        out.clear();
        let seq = engine.apply(record.command, record.ts, &mut out);
        ensure!(seq == record.seq, "replay reached seq {seq} for record {}", record.seq);
        if out != record.events {
            bail!("replay of record {} produced other events than the journal holds", record.seq);
        }
        replayed += 1;
        if progress_every > 0 && replayed.is_multiple_of(progress_every) {
            progress(replayed, seq);
        }
        Ok(())
    })
    .context("replaying the journal")?;
    // A journal that ends before the snapshot lost records the snapshot says were written. No
    // journal at all is fine: every segment the snapshot covers may have been pruned.
    if let Some(last) = scan.last {
        ensure!(last >= from, "the journal ends at {last}, before the snapshot at {from}");
    }
    if let Some(torn) = &scan.torn {
        storage.truncate(&torn.path, torn.offset).context("cutting off the torn final record")?;
    }
    let head = if scan.last.is_some_and(|l| l > from) { scan.head } else { snapshot_head };
    let next = engine.seq().next();
    let writer = JournalWriter::new(storage, layout.clone(), head, next, scan.tail.clone())?;
    let report = RecoveryReport {
        snapshot: (from.0 > 0).then_some(from),
        skipped_snapshots,
        replayed,
        torn: scan.torn.clone(),
        scan,
    };
    Ok(Recovered { engine, writer, report })
}

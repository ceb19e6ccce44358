//! The repair command: what an operator runs when a start is refused for damage at the end of the
//! journal. It cuts a torn tail, or trailing zeros or garbage, and nothing else: never past a record
//! whose checksums hold, never inside a segment that has others after it, never a record that a
//! snapshot shows was written. The cut bytes are kept in a side file under `<data>/repair/`, so a
//! cut can be examined, and undone by appending them back.

use std::path::PathBuf;

use anyhow::Context;
use engine::types::Seq;

use super::reader::{Corruption, ScanReport, verify};
use super::record::next_whole_frame;
use super::storage::Storage;
use super::{Layout, seq_of};

/// What the repair command finds.
#[derive(Debug)]
pub enum Finding {
    /// The journal is whole: nothing to cut.
    Whole(ScanReport),
    /// The end of the final segment holds no record that could have been acknowledged.
    Cut(Cut),
    /// Damage that cutting would not mend without losing records: the operator restores the data
    /// folder from a replica or a backup.
    Refused(String),
}

/// Bytes to cut from the end of the final segment.
#[derive(Debug, Clone)]
pub struct Cut {
    /// The segment.
    pub path: PathBuf,
    /// Where the cut starts: the segment's length afterwards.
    pub offset: u64,
    /// Bytes cut.
    pub bytes: u64,
    /// The sequence the first cut bytes would have had.
    pub seq: Seq,
    /// What the bytes are.
    pub reason: String,
    /// Where the cut bytes are kept.
    pub side_file: PathBuf,
}

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bytes at byte {} of {} (where record {} would start): {}",
            self.bytes,
            self.offset,
            self.path.display(),
            self.seq,
            self.reason
        )
    }
}

/// Looks at the journal and says what a repair would do, changing nothing.
pub fn examine(storage: &dyn Storage, layout: &Layout) -> anyhow::Result<Finding> {
    let damage = match verify(storage, layout) {
        Ok(report) => match &report.torn {
            None => return Ok(Finding::Whole(report)),
            Some(torn) => Corruption {
                path: torn.path.clone(),
                offset: torn.offset,
                seq: torn.seq,
                reason: format!("torn write: {}", torn.reason),
                in_last_segment: true,
                format: super::record::Format::Checked,
            },
        },
        // Anything but damage (the folder cannot be read, say) is the command's own error.
        Err(e) => e.downcast::<Corruption>()?,
    };
    if !damage.in_last_segment {
        return Ok(Finding::Refused(format!(
            "{damage}; it is not in the last segment, so cutting it would drop every later segment"
        )));
    }
    let bytes = storage
        .read_from(&damage.path, 0)
        .with_context(|| format!("reading {}", damage.path.display()))?;
    let offset = usize::try_from(damage.offset)?;
    if let Some((at, seq)) = next_whole_frame(damage.format, &bytes, offset) {
        let named = seq.map_or_else(String::new, |s| format!(" (record {s})"));
        return Ok(Finding::Refused(format!(
            "{damage}; a record whose checksums hold{named} starts at byte {at}, at or after the \
             damage: it may have been acknowledged, so nothing is cut"
        )));
    }
    if let Some(snapshot) = newest_snapshot(storage, layout)?
        && snapshot >= damage.seq
    {
        return Ok(Finding::Refused(format!(
            "{damage}; the snapshot at {snapshot} shows record {} was written, so nothing is cut",
            damage.seq
        )));
    }
    let tail = &bytes[offset..];
    let reason = if damage.reason.starts_with("torn write") {
        damage.reason.clone()
    } else if tail.iter().all(|b| *b == 0) {
        "zeros after the last record (space the file system allocated before the crash)".into()
    } else {
        format!("bytes holding no whole record after the last one ({})", damage.reason)
    };
    let name = damage.path.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let side_file = layout.root().join("repair").join(format!("{name}.{offset}.cut"));
    Ok(Finding::Cut(Cut {
        path: damage.path,
        offset: damage.offset,
        bytes: tail.len() as u64,
        seq: damage.seq,
        reason,
        side_file,
    }))
}

/// Cuts as `cut` says: first the bytes go to the side file, durably, then the segment is cut.
pub fn apply(storage: &dyn Storage, cut: &Cut) -> anyhow::Result<()> {
    let bytes = storage.read_from(&cut.path, cut.offset)?;
    anyhow::ensure!(bytes.len() as u64 == cut.bytes, "the segment changed since it was examined");
    if let Some(dir) = cut.side_file.parent() {
        storage.create_dir_all(dir).context("creating the repair folder")?;
    }
    storage.write_atomic(&cut.side_file, &bytes).context("keeping the cut bytes")?;
    storage.truncate(&cut.path, cut.offset).context("cutting the segment")?;
    Ok(())
}

fn newest_snapshot(storage: &dyn Storage, layout: &Layout) -> anyhow::Result<Option<Seq>> {
    let files = storage.list(&layout.snapshot_dir()).context("listing snapshots")?;
    Ok(files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
        .filter_map(|p| seq_of(p))
        .max())
}

//! Scanning the journal: every record in order, with its checksums, its place in the sequence and
//! its link in the hash chain checked.
//!
//! A crash can leave one thing behind that is not a record: the end of the final segment cut short
//! inside a record, its header or its body (a torn tail). Only that shape is taken for a torn write,
//! because only there can nothing have been acknowledged: an acknowledged batch was fsynced whole,
//! so the file cannot end inside it, and a header that checks out gives a length that is true. A
//! tail of zeros or garbage, a record that fails a checksum, a break in the sequence or the chain:
//! all of that is damage, refused with its segment, byte offset and sequence, and left to the
//! operator and the repair command, which cuts only what hides no checksummed record.

use std::path::PathBuf;

use anyhow::Context;
use engine::types::Seq;

use super::record::{ChainHash, Format, Frame, JournalRecord, SEGMENT_MAGIC, decode};
use super::storage::Storage;
use super::{Layout, seq_of};

/// A final record cut short by a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The segment.
    pub path: PathBuf,
    /// Where the torn record starts: the segment's valid length.
    pub offset: u64,
    /// Bytes after that.
    pub bytes: u64,
    /// The sequence the torn record would have had.
    pub seq: Seq,
    /// What was cut short.
    pub reason: &'static str,
}

/// A record that is not what the journal promises.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "journal corrupt in {} at byte {offset} (record {seq}): {reason}; nothing was changed. \
     If this is the end of a crash, `gateway repair` shows what it would cut",
    path.display()
)]
pub struct Corruption {
    /// The segment.
    pub path: PathBuf,
    /// Byte offset of the bad record.
    pub offset: u64,
    /// The sequence the bad record has or should have.
    pub seq: Seq,
    /// What is wrong.
    pub reason: String,
    /// True when the damage is in the final segment, so that cutting it drops no later segment.
    pub in_last_segment: bool,
    /// The format of the segment.
    pub format: Format,
}

/// What a scan found.
#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    /// Whole records read.
    pub records: u64,
    /// Sequence of the first record.
    pub first: Option<Seq>,
    /// Sequence of the last whole record.
    pub last: Option<Seq>,
    /// Chain hash of the last whole record.
    pub head: ChainHash,
    /// A torn final record, if the crash left one.
    pub torn: Option<TornTail>,
    /// The last segment and its valid length, when it is of this release's format (a writer may
    /// append to it); none when the journal is empty or ends in an older segment.
    pub tail: Option<(PathBuf, u64)>,
}

/// Reads every record in order, calling `visit` with each record and its chain hash.
pub fn scan(
    storage: &dyn Storage,
    layout: &Layout,
    mut visit: impl FnMut(JournalRecord, ChainHash) -> anyhow::Result<()>,
) -> anyhow::Result<ScanReport> {
    let segments = segments(storage, layout)?;
    let mut report = ScanReport::default();
    for (i, path) in segments.iter().enumerate() {
        let last_segment = i + 1 == segments.len();
        let named = seq_of(path).with_context(|| format!("segment name {}", path.display()))?;
        let bytes =
            storage.read_from(path, 0).with_context(|| format!("reading {}", path.display()))?;
        let (format, mut offset) = Format::of(&bytes);
        let corrupt = |offset: usize, seq: Seq, reason: String| Corruption {
            path: path.clone(),
            offset: offset as u64,
            seq,
            reason,
            in_last_segment: last_segment,
            format,
        };
        if !bytes.is_empty() && bytes.len() < SEGMENT_MAGIC.len() && format == Format::Checked {
            // Only the start of the magic: the crash came as the segment was being created.
            if !last_segment {
                let reason = "segment holds only part of its header".to_owned();
                return Err(corrupt(0, named, reason).into());
            }
            report.torn = Some(torn(path, 0, bytes.len(), named, "segment header cut short"));
            offset = bytes.len();
        }
        while offset < bytes.len() {
            let expected = report.last.map_or(named, Seq::next);
            let rest = &bytes[offset..];
            let (body, len) = match format.read_frame(rest) {
                Frame::Whole { body, len, seq } => {
                    if let Some(seq) = seq.filter(|s| *s != expected) {
                        return Err(corrupt(
                            offset,
                            expected,
                            format!("header names record {seq} where {expected} belongs"),
                        )
                        .into());
                    }
                    (body, len)
                }
                Frame::HeaderCut if last_segment => {
                    report.torn =
                        Some(torn(path, offset, rest.len(), expected, "record header cut short"));
                    break;
                }
                Frame::BodyCut { checked: true, seq } if last_segment && seq == Some(expected) => {
                    report.torn =
                        Some(torn(path, offset, rest.len(), expected, "record body cut short"));
                    break;
                }
                Frame::HeaderCut | Frame::BodyCut { .. } => {
                    let reason = if last_segment {
                        "the record claims to run past the end of the file, but its length is not checksummed"
                    } else {
                        "segment ends inside a record"
                    };
                    return Err(corrupt(offset, expected, reason.into()).into());
                }
                Frame::Bad { reason, seq } => {
                    let reason = match seq.filter(|s| *s != expected) {
                        Some(seq) => format!("{reason} (its header names record {seq})"),
                        None => reason.to_owned(),
                    };
                    return Err(corrupt(offset, expected, reason).into());
                }
            };
            let (record, hash) = decode(body)
                .map_err(|e| corrupt(offset, expected, format!("record does not decode: {e}")))?;
            if record.seq != expected {
                return Err(corrupt(
                    offset,
                    expected,
                    format!("sequence {} where {expected} belongs", record.seq),
                )
                .into());
            }
            let chain_known = report.last.is_some() || record.seq == Seq(1);
            if chain_known && record.prev != report.head {
                return Err(corrupt(
                    offset,
                    expected,
                    format!("record {} breaks the hash chain", record.seq),
                )
                .into());
            }
            report.first.get_or_insert(record.seq);
            report.last = Some(record.seq);
            report.head = hash;
            report.records += 1;
            visit(record, hash)?;
            offset += len;
        }
        let valid = report.torn.as_ref().map_or(bytes.len() as u64, |t| t.offset);
        report.tail = (format == Format::Checked).then(|| (path.clone(), valid));
    }
    Ok(report)
}

/// Records handed from the reading thread to the applying one at a time.
const AHEAD_BATCH: usize = 256;
/// Batches the reading thread may be ahead by.
const AHEAD_BATCHES: usize = 4;

/// [`scan`], with the reading (checksums, sequence, hash chain, decoding) on a thread of its own,
/// a few batches of records ahead of `visit`, which runs on the caller's thread. Recovery uses it:
/// nothing else runs while a node recovers, so one core reads while the other applies, and replay
/// runs at the pace of the slower of the two rather than of both added up. Records reach `visit`
/// exactly as `scan` gives them, the ones before a damaged record included, and the first error,
/// of `visit` or of the reading, is returned as `scan` would return it.
pub fn scan_ahead(
    storage: &dyn Storage,
    layout: &Layout,
    mut visit: impl FnMut(JournalRecord, ChainHash) -> anyhow::Result<()>,
) -> anyhow::Result<ScanReport> {
    let (ahead, behind) = std::sync::mpsc::sync_channel(AHEAD_BATCHES);
    std::thread::scope(|threads| {
        let reader = threads.spawn(move || {
            let mut batch = Vec::with_capacity(AHEAD_BATCH);
            let report = scan(storage, layout, |record, hash| {
                batch.push((record, hash));
                if batch.len() == AHEAD_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(AHEAD_BATCH));
                    // A send fails only once the applying side stopped on an error of its own.
                    ahead.send(full).map_err(|_| anyhow::anyhow!("replay stopped"))?;
                }
                Ok(())
            });
            if !batch.is_empty() {
                let _ = ahead.send(batch);
            }
            report
        });
        let mut visited = Ok(());
        'batches: for batch in behind.iter() {
            for (record, hash) in batch {
                visited = visit(record, hash);
                if visited.is_err() {
                    break 'batches;
                }
            }
        }
        drop(behind);
        let report = reader.join().map_err(|_| anyhow::anyhow!("the journal reader panicked"))?;
        visited?;
        report
    })
}

/// The journal's segment files, in order.
pub fn segments(storage: &dyn Storage, layout: &Layout) -> anyhow::Result<Vec<PathBuf>> {
    let segments = storage.list(&layout.journal_dir()).context("listing journal segments")?;
    Ok(segments.into_iter().filter(|p| p.extension().is_some_and(|e| e == "log")).collect())
}

fn torn(
    path: &std::path::Path,
    offset: usize,
    bytes: usize,
    seq: Seq,
    reason: &'static str,
) -> TornTail {
    TornTail { path: path.to_path_buf(), offset: offset as u64, bytes: bytes as u64, seq, reason }
}

/// Reports a scan without applying anything: the `verify` command.
pub fn verify(storage: &dyn Storage, layout: &Layout) -> anyhow::Result<ScanReport> {
    scan(storage, layout, |_, _| Ok(()))
}

/// A one-line summary of a scan.
pub fn describe(report: &ScanReport) -> String {
    let mut text = format!(
        "{} records, seq {} to {}, chain head {}",
        report.records,
        report.first.map_or("-".into(), |s| s.to_string()),
        report.last.map_or("-".into(), |s| s.to_string()),
        report.head
    );
    if let Some(t) = &report.torn {
        text.push_str(&format!(
            "; torn final record {} in {} at byte {} ({} bytes: {})",
            t.seq,
            t.path.display(),
            t.offset,
            t.bytes,
            t.reason
        ));
    }
    text
}

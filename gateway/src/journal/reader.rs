//! Scanning the journal: every record in order, with its checksum, its place in the sequence and its
//! link in the hash chain checked.
//!
//! Only the final record of the final segment may be incomplete: that is a write the crash cut short
//! (a torn tail), reported so recovery can cut it off. Anything wrong before it is corruption, and
//! the journal is refused.

use std::path::PathBuf;

use anyhow::Context;
use engine::types::Seq;

use super::record::{ChainHash, FRAME_HEADER, Frame, JournalRecord, decode, read_frame};
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
    /// What was wrong with them.
    pub reason: &'static str,
}

/// A record that is not what the journal promises.
#[derive(Debug, thiserror::Error)]
#[error("journal corrupt in {path} at byte {offset}: {reason}")]
pub struct Corruption {
    /// The segment.
    pub path: PathBuf,
    /// Byte offset of the bad record.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
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
    /// The last segment and its valid length.
    pub tail: Option<(PathBuf, u64)>,
}

/// Reads every record in order, calling `visit` with each record and its chain hash.
pub fn scan(
    storage: &dyn Storage,
    layout: &Layout,
    mut visit: impl FnMut(JournalRecord, ChainHash) -> anyhow::Result<()>,
) -> anyhow::Result<ScanReport> {
    let segments = storage.list(&layout.journal_dir()).context("listing journal segments")?;
    let segments: Vec<_> =
        segments.into_iter().filter(|p| p.extension().is_some_and(|e| e == "log")).collect();
    let mut report = ScanReport::default();
    for (i, path) in segments.iter().enumerate() {
        let last_segment = i + 1 == segments.len();
        let named = seq_of(path).with_context(|| format!("segment name {}", path.display()))?;
        let bytes =
            storage.read_from(path, 0).with_context(|| format!("reading {}", path.display()))?;
        let corrupt = |offset: usize, reason: String| Corruption {
            path: path.clone(),
            offset: offset as u64,
            reason,
        };
        let mut offset = 0;
        while offset < bytes.len() {
            let rest = &bytes[offset..];
            let (body, len) = match read_frame(rest) {
                Frame::Whole { body, len } => (body, len),
                Frame::Short if last_segment => {
                    report.torn = Some(torn(path, offset, rest.len(), "record cut short"));
                    break;
                }
                Frame::Bad(reason) if last_segment && ends_at_eof(rest) => {
                    report.torn = Some(torn(path, offset, rest.len(), reason));
                    break;
                }
                Frame::Short => {
                    return Err(corrupt(offset, "segment ends inside a record".into()).into());
                }
                Frame::Bad(reason) => return Err(corrupt(offset, reason.into()).into()),
            };
            let (record, hash) = decode(body)
                .map_err(|e| corrupt(offset, format!("record does not decode: {e}")))?;
            let expected = report.last.map_or(named, Seq::next);
            if record.seq != expected {
                return Err(corrupt(
                    offset,
                    format!("sequence {} where {expected} belongs", record.seq),
                )
                .into());
            }
            let chain_known = report.last.is_some() || record.seq == Seq(1);
            if chain_known && record.prev != report.head {
                return Err(corrupt(
                    offset,
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
        report.tail = Some((path.clone(), valid));
    }
    Ok(report)
}

/// True when the frame at the start of `rest` claims to end at or past the end of the file: the
/// final frame, whose bytes a crash may have left half written.
fn ends_at_eof(rest: &[u8]) -> bool {
    if rest.len() < FRAME_HEADER {
        return true;
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    FRAME_HEADER.saturating_add(len) >= rest.len()
}

fn torn(path: &std::path::Path, offset: usize, bytes: usize, reason: &'static str) -> TornTail {
    TornTail { path: path.to_path_buf(), offset: offset as u64, bytes: bytes as u64, reason }
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
            "; torn final record in {} at byte {} ({} bytes: {})",
            t.path.display(),
            t.offset,
            t.bytes,
            t.reason
        ));
    }
    text
}

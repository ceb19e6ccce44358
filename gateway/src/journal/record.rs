//! One journal record per command: its sequence, engine time, the command and the events it
//! produced, and the hash of the previous record, which chains the journal into a tamper-evident
//! audit trail.
//!
//! A segment written by this release opens with the 8-byte magic `GPJRNL02`; each record is then
//!
//! ```text
//! len: u32 LE | seq: u64 LE | crc32c(body): u32 LE | crc32c(the 16 bytes before): u32 LE | body
//! ```
//!
//! the body a postcard-encoded [`JournalRecord`]. The header checksum is what lets a reader tell a
//! torn write from corruption without guessing: a header that checks out gives a length that is
//! true, so a body that runs past the end of the file was cut short by the crash; a header that does
//! not check out is damage, whatever the length field says. The sequence in the header names the
//! record in every report and lets a reader skip to a record without decoding the ones before it.
//!
//! Segments without the magic were written by earlier releases (`len | crc32c(body) | body`) and
//! are still read; their length is unprotected, so a reader never takes one of their frames that
//! runs past the end of the file for a torn write (the repair command decides, looking past it).
//!
//! The record's chain hash is SHA-256 over its body; the body holds the previous record's hash, so
//! changing any record changes every hash after it.

use engine::types::{Seq, Timestamp};
use engine::{Command, EventEnvelope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The first bytes of every segment this release writes.
pub const SEGMENT_MAGIC: &[u8; 8] = b"GPJRNL02";

/// Bytes of a record's header in a segment of this release.
pub const FRAME_HEADER: usize = 20;

/// Bytes of a record's header in a segment of an earlier release.
const LEGACY_HEADER: usize = 8;

/// Largest body accepted when reading: anything longer is corruption, not a record.
pub const MAX_BODY: usize = 64 << 20;

/// SHA-256 chain hash of a record; all zeros before the first record.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainHash(pub [u8; 32]);

impl std::fmt::Display for ChainHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainHash({self})")
    }
}

/// A journaled command with what it produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecord {
    /// Engine sequence.
    pub seq: Seq,
    /// Engine time at which it was applied.
    pub ts: Timestamp,
    /// Chain hash of the previous record.
    pub prev: ChainHash,
    /// The command as received.
    pub command: Command,
    /// The events it produced.
    pub events: Vec<EventEnvelope>,
}

/// A record borrowed from the engine task, encoded exactly as a [`JournalRecord`]: what both
/// journals (files and stream) append, without cloning the command or its events.
#[derive(Debug, Serialize)]
pub struct RecordRef<'a> {
    /// Engine sequence.
    pub seq: Seq,
    /// Engine time at which it was applied.
    pub ts: Timestamp,
    /// Chain hash of the previous record.
    pub prev: ChainHash,
    /// The command as received.
    pub command: &'a Command,
    /// The events it produced.
    pub events: &'a [EventEnvelope],
}

/// How a segment's records are framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `GPJRNL02`: headers with the sequence and their own checksum.
    Checked,
    /// Earlier releases: `len | crc32c(body)`, the length unprotected.
    Legacy,
}

impl Format {
    /// The format of a segment that starts with `bytes`, and where its first record starts. An
    /// empty segment, or one holding only the start of the magic (a crash while creating it), is of
    /// this release's format.
    pub fn of(bytes: &[u8]) -> (Self, usize) {
        if bytes.starts_with(SEGMENT_MAGIC) {
            (Format::Checked, SEGMENT_MAGIC.len())
        } else if bytes.len() < SEGMENT_MAGIC.len() && SEGMENT_MAGIC.starts_with(bytes) {
            (Format::Checked, bytes.len())
        } else {
            (Format::Legacy, 0)
        }
    }

    /// Reads the frame at the start of `bytes`.
    pub fn read_frame(self, bytes: &[u8]) -> Frame<'_> {
        match self {
            Format::Checked => read_checked(bytes),
            Format::Legacy => read_legacy(bytes),
        }
    }

    /// Bytes of a record's header.
    pub fn header_len(self) -> usize {
        match self {
            Format::Checked => FRAME_HEADER,
            Format::Legacy => LEGACY_HEADER,
        }
    }
}

/// Encodes records into frames, reusing one buffer: serializing straight into a slice is several
/// times faster than growing a vector byte by byte, and allocates nothing per record.
#[derive(Debug)]
pub struct Encoder {
    body: Vec<u8>,
}

impl Default for Encoder {
    fn default() -> Self {
        Self { body: vec![0; 64 << 10] }
    }
}

impl Encoder {
    /// Appends the frame of `record`, whose sequence is `seq`, to `out` and returns the record's
    /// chain hash.
    pub fn encode<T: Serialize>(
        &mut self,
        seq: Seq,
        record: &T,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<ChainHash> {
        let len = loop {
            let room = self.body.len();
            match postcard::serialize_with_flavor(record, Body { buf: &mut self.body, len: 0 }) {
                Ok(len) => break len,
                Err(postcard::Error::SerializeBufferFull) if room < MAX_BODY => {
                    self.body.resize(room * 2, 0);
                }
                Err(e) => return Err(e.into()),
            }
        };
        let body = &self.body[..len];
        let mut header = [0_u8; FRAME_HEADER];
        header[0..4].copy_from_slice(&u32::try_from(len)?.to_le_bytes());
        header[4..12].copy_from_slice(&seq.0.to_le_bytes());
        header[12..16].copy_from_slice(&crc32c::crc32c(body).to_le_bytes());
        let header_crc = crc32c::crc32c(&header[..16]);
        header[16..20].copy_from_slice(&header_crc.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(body);
        Ok(ChainHash(Sha256::digest(body).into()))
    }
}

/// Postcard's output into the encoder's buffer. Postcard hands most of a record over as varints of
/// one to ten bytes; its own slice output copies each with a call to `memcpy`, which cost more than
/// the bytes: copied here a byte at a time, and by `copy_from_slice` from a word's length up.
struct Body<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl postcard::ser_flavors::Flavor for Body<'_> {
    type Output = usize;

    #[inline(always)]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        let slot = self.buf.get_mut(self.len).ok_or(postcard::Error::SerializeBufferFull)?;
        *slot = byte;
        self.len += 1;
        Ok(())
    }

    #[inline(always)]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        if data.len() >= 8 {
            let end = self.len + data.len();
            let slots =
                self.buf.get_mut(self.len..end).ok_or(postcard::Error::SerializeBufferFull)?;
            slots.copy_from_slice(data);
            self.len = end;
            return Ok(());
        }
        data.iter().try_for_each(|byte| self.try_push(*byte))
    }

    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.len)
    }
}

/// What reading one frame from a buffer found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole frame whose checksums hold: its body and total length, and the sequence its header
    /// names (segments of earlier releases name none).
    Whole {
        /// The sequence in the header.
        seq: Option<Seq>,
        /// The body.
        body: &'a [u8],
        /// Header plus body.
        len: usize,
    },
    /// The buffer ends inside the header.
    HeaderCut,
    /// The buffer ends inside the body. `checked` says whether the header's own checksum holds, so
    /// its length is true (this release's segments) or merely claimed (earlier ones).
    BodyCut {
        /// The sequence in the header, when it is checked.
        seq: Option<Seq>,
        /// True when the header's checksum holds.
        checked: bool,
    },
    /// The header is damaged, or the body fails its checksum.
    Bad {
        /// What is wrong.
        reason: &'static str,
        /// The sequence the header names, when the header itself holds.
        seq: Option<Seq>,
    },
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn read_checked(bytes: &[u8]) -> Frame<'_> {
    if bytes.len() < FRAME_HEADER {
        return Frame::HeaderCut;
    }
    if crc32c::crc32c(&bytes[..16]) != le_u32(bytes, 16) {
        return Frame::Bad { reason: "record header fails its checksum", seq: None };
    }
    let len = le_u32(bytes, 0) as usize;
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[4..12]);
    let seq = Some(Seq(u64::from_le_bytes(word)));
    if len == 0 || len > MAX_BODY {
        return Frame::Bad { reason: "impossible record length", seq };
    }
    let Some(body) = bytes.get(FRAME_HEADER..FRAME_HEADER + len) else {
        return Frame::BodyCut { seq, checked: true };
    };
    if crc32c::crc32c(body) != le_u32(bytes, 12) {
        return Frame::Bad { reason: "record body fails its checksum", seq };
    }
    Frame::Whole { seq, body, len: FRAME_HEADER + len }
}

fn read_legacy(bytes: &[u8]) -> Frame<'_> {
    if bytes.len() < LEGACY_HEADER {
        return Frame::HeaderCut;
    }
    let len = le_u32(bytes, 0) as usize;
    if len == 0 || len > MAX_BODY {
        return Frame::Bad { reason: "impossible record length", seq: None };
    }
    let Some(body) = bytes.get(LEGACY_HEADER..LEGACY_HEADER + len) else {
        return Frame::BodyCut { seq: None, checked: false };
    };
    if crc32c::crc32c(body) != le_u32(bytes, 4) {
        return Frame::Bad { reason: "record fails its checksum", seq: None };
    }
    Frame::Whole { seq: None, body, len: LEGACY_HEADER + len }
}

/// Decodes a body whose checksum holds, with its chain hash.
pub fn decode(body: &[u8]) -> anyhow::Result<(JournalRecord, ChainHash)> {
    let record = postcard::from_bytes(body)?;
    Ok((record, ChainHash(Sha256::digest(body).into())))
}

/// The first place at or after `from` in `bytes` where a whole frame of `format` with both
/// checksums holding starts, with the sequence it names: how the repair command tells damage that
/// hides records after it from a tail that holds none.
pub fn next_whole_frame(format: Format, bytes: &[u8], from: usize) -> Option<(usize, Option<Seq>)> {
    (from..bytes.len()).find_map(|at| match format.read_frame(&bytes[at..]) {
        Frame::Whole { seq, .. } => Some((at, seq)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Encoder::default().encode(Seq(seq), &body, &mut out).expect("encode");
        out
    }

    #[test]
    fn a_whole_frame_reads_back_with_its_sequence() {
        let bytes = frame(7, b"hello");
        match read_checked(&bytes) {
            Frame::Whole { seq, len, .. } => {
                assert_eq!(seq, Some(Seq(7)));
                assert_eq!(len, bytes.len());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_single_byte_flip_in_a_frame_is_damage_never_a_cut() {
        let bytes = frame(42, b"a record body long enough to matter");
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[at] ^= 1 << bit;
                assert!(
                    matches!(read_checked(&flipped), Frame::Bad { .. }),
                    "flip of bit {bit} at byte {at}"
                );
            }
        }
    }

    #[test]
    fn a_frame_cut_anywhere_is_a_cut_not_damage() {
        let bytes = frame(3, b"body");
        for end in 0..bytes.len() {
            let cut = read_checked(&bytes[..end]);
            let expected = if end < FRAME_HEADER {
                Frame::HeaderCut
            } else {
                Frame::BodyCut { seq: Some(Seq(3)), checked: true }
            };
            assert_eq!(cut, expected, "cut at {end}");
        }
    }

    #[test]
    fn a_segment_tells_its_format_by_its_magic() {
        assert_eq!(Format::of(b""), (Format::Checked, 0));
        assert_eq!(Format::of(b"GPJR"), (Format::Checked, 4));
        assert_eq!(Format::of(b"GPJRNL02rest"), (Format::Checked, 8));
        assert_eq!(Format::of(&[9, 0, 0, 0, 1, 2, 3, 4]), (Format::Legacy, 0));
    }

    #[test]
    fn a_whole_frame_is_found_past_garbage() {
        let mut bytes = vec![0xee; 13];
        bytes.extend(frame(5, b"found"));
        assert_eq!(next_whole_frame(Format::Checked, &bytes, 0), Some((13, Some(Seq(5)))));
        assert_eq!(next_whole_frame(Format::Checked, &[0; 64], 0), None);
    }
}

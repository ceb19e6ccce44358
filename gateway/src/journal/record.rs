//! One journal record per command: its sequence, engine time, the command and the events it
//! produced, and the hash of the previous record, which chains the journal into a tamper-evident
//! audit trail.
//!
//! Frame: `len: u32 LE | crc32c(body): u32 LE | body`, the body a postcard-encoded [`JournalRecord`].
//! The record's chain hash is SHA-256 over its body; the body holds the previous record's hash, so
//! changing any record changes every hash after it.

use engine::types::{Seq, Timestamp};
use engine::{Command, EventEnvelope};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bytes of a frame's header.
pub const FRAME_HEADER: usize = 8;

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
    /// Appends the frame of `record` to `out` and returns the record's chain hash.
    pub fn encode<T: Serialize>(
        &mut self,
        record: &T,
        out: &mut Vec<u8>,
    ) -> anyhow::Result<ChainHash> {
        let len = loop {
            let room = self.body.len();
            match postcard::to_slice(record, &mut self.body).map(|body| body.len()) {
                Ok(len) => break len,
                Err(postcard::Error::SerializeBufferFull) if room < MAX_BODY => {
                    self.body.resize(room * 2, 0);
                }
                Err(e) => return Err(e.into()),
            }
        };
        let body = &self.body[..len];
        out.extend_from_slice(&u32::try_from(len)?.to_le_bytes());
        out.extend_from_slice(&crc32c::crc32c(body).to_le_bytes());
        out.extend_from_slice(body);
        Ok(ChainHash(Sha256::digest(body).into()))
    }
}

/// What reading one frame from a buffer found.
#[derive(Debug)]
pub enum Frame<'a> {
    /// A whole frame whose checksum holds: its body and total length.
    Whole {
        /// The body.
        body: &'a [u8],
        /// Header plus body.
        len: usize,
    },
    /// The buffer ends inside the frame.
    Short,
    /// The length is impossible or the checksum fails.
    Bad(&'static str),
}

/// Reads the frame at the start of `bytes`.
pub fn read_frame(bytes: &[u8]) -> Frame<'_> {
    if bytes.len() < FRAME_HEADER {
        return Frame::Short;
    }
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let crc = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if len == 0 || len > MAX_BODY {
        return Frame::Bad("impossible record length");
    }
    let Some(body) = bytes.get(FRAME_HEADER..FRAME_HEADER + len) else {
        return Frame::Short;
    };
    if crc32c::crc32c(body) != crc {
        return Frame::Bad("checksum mismatch");
    }
    Frame::Whole { body, len: FRAME_HEADER + len }
}

/// Decodes a body whose checksum holds, with its chain hash.
pub fn decode(body: &[u8]) -> anyhow::Result<(JournalRecord, ChainHash)> {
    let record = postcard::from_bytes(body)?;
    Ok((record, ChainHash(Sha256::digest(body).into())))
}

//! Snapshots of the whole engine state, and the state hash that replay is checked against.
//!
//! Format: an 8-byte magic with the format version, then the state in postcard. Every collection in
//! the state iterates deterministically, so equal states give equal bytes and equal hashes.

use sha2::{Digest, Sha256};

use crate::engine::Engine;
use crate::state::State;

const MAGIC: &[u8; 8] = b"GPSNAP06";

/// Why a snapshot could not be restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not a snapshot of this format version.
    #[error("not a snapshot of format {}", String::from_utf8_lossy(MAGIC))]
    Format,
    /// The bytes do not decode to a state.
    #[error("snapshot does not decode: {0}")]
    Decode(#[from] postcard::Error),
}

/// The SHA-256 of a snapshot: equal for equal states.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateHash(pub [u8; 32]);

impl std::fmt::Display for StateHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::fmt::Debug for StateHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateHash({self})")
    }
}

impl Engine {
    /// The whole state as bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        // Serializing plain data into a growable vector cannot fail.
        let body = postcard::to_stdvec(&self.state).unwrap_or_default();
        bytes.extend_from_slice(&body);
        bytes
    }

    /// An engine in the state a snapshot holds.
    pub fn restore(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or(SnapshotError::Format)?;
        let state: State = postcard::from_bytes(body)?;
        Ok(Engine::from_state(state))
    }

    /// SHA-256 over the snapshot: two engines with the same hash hold the same state.
    pub fn state_hash(&self) -> StateHash {
        StateHash(Sha256::digest(self.snapshot()).into())
    }
}

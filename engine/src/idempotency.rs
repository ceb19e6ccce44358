//! Idempotency keys (docs/DESIGN.md, Runtime): a client that retries a command with the same
//! `Idempotency-Key` gets the first result instead of a second effect. Keys are scoped to the acting
//! participant and kept for 24 hours of engine time, in the snapshotted state, so a retry across a
//! restart is recognised too.
//!
//! A key is at most 64 printable ASCII characters, held inline (`Copy`, no heap), so remembering it
//! costs no allocation per command.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::{ParticipantId, Seq, Timestamp};

/// How long a key is remembered, in engine milliseconds.
pub const KEY_RETENTION_MS: i64 = 24 * 3_600_000;

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 64;

/// A client's idempotency key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey {
    len: u8,
    bytes: [u8; MAX_KEY_LEN],
}

/// Why a key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an idempotency key is 1 to 64 printable ASCII characters")]
pub struct KeyError;

impl IdempotencyKey {
    /// Parses a key: 1 to 64 printable ASCII characters.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let raw = text.as_bytes();
        if raw.is_empty() || raw.len() > MAX_KEY_LEN || !raw.iter().all(u8::is_ascii_graphic) {
            return Err(KeyError);
        }
        let mut bytes = [0; MAX_KEY_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(Self { len: u8::try_from(raw.len()).map_err(|_| KeyError)?, bytes })
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.as_str())
    }
}

impl Serialize for IdempotencyKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IdempotencyKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Keys seen in the last 24 hours and the command each first arrived with.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct IdempotencyKeys {
    first: BTreeMap<(ParticipantId, IdempotencyKey), Seq>,
    /// The same keys in order of arrival, which is also the order of engine time.
    arrivals: VecDeque<(Timestamp, ParticipantId, IdempotencyKey)>,
}

impl IdempotencyKeys {
    /// Forgets keys older than the retention at `now`.
    pub fn expire(&mut self, now: Timestamp) {
        while let Some((at, participant, key)) = self.arrivals.front().copied() {
            if at.plus_ms(KEY_RETENTION_MS) > now {
                break;
            }
            self.arrivals.pop_front();
            self.first.remove(&(participant, key));
        }
    }

    /// The command a key first arrived with, if it did within the retention.
    pub fn first(&self, participant: ParticipantId, key: IdempotencyKey) -> Option<Seq> {
        self.first.get(&(participant, key)).copied()
    }

    /// Remembers the command a key first arrived with.
    pub fn remember(
        &mut self,
        participant: ParticipantId,
        key: IdempotencyKey,
        seq: Seq,
        now: Timestamp,
    ) {
        self.first.insert((participant, key), seq);
        self.arrivals.push_back((now, participant, key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_64_characters() {
        assert_eq!(IdempotencyKey::parse("0f8e-42").unwrap().as_str(), "0f8e-42");
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("键").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(64)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
    }

    #[test]
    fn keys_are_forgotten_after_24_hours() {
        let mut keys = IdempotencyKeys::default();
        let key = IdempotencyKey::parse("retry-1").unwrap();
        let p = ParticipantId(7);
        keys.remember(p, key, Seq(10), Timestamp(0));
        keys.expire(Timestamp(KEY_RETENTION_MS - 1));
        assert_eq!(keys.first(p, key), Some(Seq(10)));
        assert_eq!(keys.first(ParticipantId(8), key), None);
        keys.expire(Timestamp(KEY_RETENTION_MS));
        assert_eq!(keys.first(p, key), None);
    }
}

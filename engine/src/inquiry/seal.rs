//! Sealing: a quote travels, rests and replays as ciphertext until its round opens.
//!
//! A quote is two sealed layers, each under a key of its own round:
//! - the **author** layer (who quotes, and whether this submission withdraws), opened first at the
//!   deadline so the engine can count distinct, unaffiliated, active suppliers;
//! - the **content** layer (the prices and the receipt's nonce), opened only when enough suppliers
//!   took part. A round that fails unopened never has its price key journaled, so its prices stay
//!   sealed at rest for good, and a next round's competitors cannot learn them.
//!
//! The engine never seals (it draws no random numbers and holds no key): the gateway seals with keys
//! derived from a sealing key kept outside the data folder, and hands each key to the engine only
//! with the command that opens its layer. Opening is deterministic, so replay opens the same quotes.
//!
//! The **commitment** is a SHA-256 hash over inquiry, round, supplier, prices and a 128-bit nonce,
//! given to the supplier as its receipt. It hides the prices (the nonce is secret until the
//! opening), binds them (the engine checks each opened quote against it), and, published with every
//! quote after the award, lets anyone check that no quote changed after its submission.

use std::fmt;
use std::marker::PhantomData;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::types::{DealId, ParticipantId, UnitPrice, UserId};

/// Bytes of a round key (ChaCha20-Poly1305).
pub const KEY_BYTES: usize = 32;
/// Bytes of an AEAD nonce.
pub const SEAL_NONCE_BYTES: usize = 12;
/// Bytes of the nonce inside a commitment (Q-2: 128 bits).
pub const COMMIT_NONCE_BYTES: usize = 16;

/// A value only its round key opens. Its `Debug` prints `<sealed>`, so no log line, panic message
/// or test failure can show what it holds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed<T> {
    nonce: [u8; SEAL_NONCE_BYTES],
    ciphertext: Vec<u8>,
    #[serde(skip)]
    of: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Sealed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<sealed>")
    }
}

/// One of a round's two keys. Its `Debug` prints `<key>`; the bytes leave only through [`bytes`].
///
/// [`bytes`]: RoundKey::bytes
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundKey([u8; KEY_BYTES]);

impl fmt::Debug for RoundKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<key>")
    }
}

/// A one-way fingerprint of a round key: lets the engine refuse a key that is not the one the
/// round's quotes were sealed under, without learning anything of the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCheck(pub [u8; 16]);

impl RoundKey {
    /// A key from its bytes.
    pub const fn from_bytes(bytes: [u8; KEY_BYTES]) -> Self {
        Self(bytes)
    }

    /// The key's bytes: for the gateway's key derivation tests, never for output.
    pub const fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    /// This key's fingerprint.
    pub fn check(&self) -> KeyCheck {
        let digest = Sha256::new().chain_update(b"gp-round-key-check-v1").chain_update(self.0);
        let mut check = [0; 16];
        check.copy_from_slice(&digest.finalize()[..16]);
        KeyCheck(check)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new((&self.0).into())
    }
}

/// What a sealed layer is bound to, so a ciphertext cannot be moved to another round or layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealContext {
    /// The inquiry.
    pub inquiry: DealId,
    /// The round, from 1.
    pub round: u32,
    /// Which layer.
    pub layer: Layer,
}

/// The two layers of a sealed quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Who quotes.
    Author,
    /// What is quoted.
    Content,
}

impl SealContext {
    fn associated_data(&self) -> [u8; 13] {
        let mut aad = [0; 13];
        aad[..8].copy_from_slice(&self.inquiry.0.to_be_bytes());
        aad[8..12].copy_from_slice(&self.round.to_be_bytes());
        aad[12] = match self.layer {
            Layer::Author => b'A',
            Layer::Content => b'C',
        };
        aad
    }
}

impl<T: Serialize> Sealed<T> {
    /// Seals `value` under `key` with a nonce the caller drew (the engine draws none); a nonce
    /// must never repeat under one key.
    pub fn seal(
        value: &T,
        key: &RoundKey,
        context: SealContext,
        nonce: [u8; SEAL_NONCE_BYTES],
    ) -> Self {
        let plaintext = postcard::to_stdvec(value).unwrap_or_default();
        let aad = context.associated_data();
        let ciphertext = key
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plaintext, aad: &aad })
            .unwrap_or_default();
        Self { nonce, ciphertext, of: PhantomData }
    }
}

impl<T: DeserializeOwned> Sealed<T> {
    /// Opens the value, or `None` when `key` or `context` is not the one it was sealed under, or
    /// the bytes were changed.
    pub fn open(&self, key: &RoundKey, context: SealContext) -> Option<T> {
        let aad = context.associated_data();
        let plaintext = key
            .cipher()
            .decrypt(Nonce::from_slice(&self.nonce), Payload { msg: &self.ciphertext, aad: &aad })
            .ok()?;
        postcard::from_bytes(&plaintext).ok()
    }
}

/// The author layer: who submits, and whether the submission withdraws its earlier quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteAuthor {
    /// The supplier.
    pub supplier: ParticipantId,
    /// The user who submitted, for the audit trail once opened.
    pub user: UserId,
    /// True for a withdrawal: the supplier takes its quote back.
    pub withdrawn: bool,
}

/// The content layer: a unit price per inquiry line, in line order (empty for a withdrawal), and
/// the nonce of the commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteContent {
    /// Unit prices, one per line.
    pub prices: Vec<UnitPrice>,
    /// The commitment's nonce.
    pub nonce: [u8; COMMIT_NONCE_BYTES],
}

/// A receipt's commitment.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Commitment(pub [u8; 32]);

impl fmt::Debug for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Commitment({self})")
    }
}

impl fmt::Display for Commitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Commitment {
    /// The commitment to a quote (or, with `withdrawn`, to a withdrawal). The hashed bytes are
    /// fixed width and big-endian, so anyone can recompute it from the published results:
    /// `"gp-quote-v1" | inquiry u64 | round u32 | supplier u64 | withdrawn u8 | lines u32 |
    /// each price in 0.0001 yuan i64 | nonce 16 bytes`.
    pub fn of(
        inquiry: DealId,
        round: u32,
        supplier: ParticipantId,
        withdrawn: bool,
        content: &QuoteContent,
    ) -> Self {
        let lines = u32::try_from(content.prices.len()).unwrap_or(u32::MAX);
        let mut hash = Sha256::new()
            .chain_update(b"gp-quote-v1")
            .chain_update(inquiry.0.to_be_bytes())
            .chain_update(round.to_be_bytes())
            .chain_update(supplier.0.to_be_bytes())
            .chain_update([u8::from(withdrawn)])
            .chain_update(lines.to_be_bytes());
        for price in &content.prices {
            hash.update(price.minor().to_be_bytes());
        }
        Self(hash.chain_update(content.nonce).finalize().into())
    }
}

/// A sealed submission as the engine receives and keeps it: two sealed layers, the fingerprints
/// of the keys they need, and the commitment in the clear (it hides the quote).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedQuote {
    /// Who submits.
    pub author: Sealed<QuoteAuthor>,
    /// What is quoted.
    pub content: Sealed<QuoteContent>,
    /// The fingerprint of the author key.
    pub author_key: KeyCheck,
    /// The fingerprint of the content key.
    pub content_key: KeyCheck,
    /// The receipt's commitment.
    pub commitment: Commitment,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(layer: Layer) -> SealContext {
        SealContext { inquiry: DealId(7), round: 1, layer }
    }

    #[test]
    fn sealed_values_print_nothing_and_open_only_with_their_key_and_context() {
        let key = RoundKey::from_bytes([3; KEY_BYTES]);
        let content =
            QuoteContent { prices: vec![UnitPrice::from_minor(45_678_900)], nonce: [9; 16] };
        let sealed = Sealed::seal(&content, &key, context(Layer::Content), [1; 12]);
        assert_eq!(format!("{sealed:?}"), "<sealed>");
        assert_eq!(format!("{key:?}"), "<key>");
        assert_eq!(sealed.open(&key, context(Layer::Content)), Some(content));
        let other = RoundKey::from_bytes([4; KEY_BYTES]);
        assert_eq!(sealed.open(&other, context(Layer::Content)), None);
        assert_eq!(sealed.open(&key, context(Layer::Author)), None, "bound to its layer");
        let next_round = SealContext { round: 2, ..context(Layer::Content) };
        assert_eq!(sealed.open(&key, next_round), None, "bound to its round");
    }

    #[test]
    fn commitments_bind_every_field() {
        let content = QuoteContent { prices: vec![UnitPrice::from_minor(100)], nonce: [0; 16] };
        let base = Commitment::of(DealId(1), 1, ParticipantId(2), false, &content);
        let cheaper = QuoteContent { prices: vec![UnitPrice::from_minor(99)], ..content.clone() };
        let renonced = QuoteContent { nonce: [1; 16], ..content.clone() };
        for other in [
            Commitment::of(DealId(2), 1, ParticipantId(2), false, &content),
            Commitment::of(DealId(1), 2, ParticipantId(2), false, &content),
            Commitment::of(DealId(1), 1, ParticipantId(3), false, &content),
            Commitment::of(DealId(1), 1, ParticipantId(2), true, &content),
            Commitment::of(DealId(1), 1, ParticipantId(2), false, &cheaper),
            Commitment::of(DealId(1), 1, ParticipantId(2), false, &renonced),
        ] {
            assert_ne!(base, other);
        }
        assert_eq!(base.to_string().len(), 64);
    }
}

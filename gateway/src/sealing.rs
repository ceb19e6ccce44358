//! The sealing key and what the gateway seals with it.
//!
//! One 256-bit sealing key lives in a file outside the data folder (in production: an HSM or a
//! KMS behind the same two calls), so the journal, snapshots, database and Redis never hold what
//! opens the quotes they carry. Each round of each inquiry has two keys derived from it, one per
//! layer ([`engine::inquiry::seal`]); a key reaches the engine, and so the journal, only with the
//! command that opens its layer at the deadline.
//!
//! The key file is created on first use, readable by its owner only. Nodes that seal or open
//! (the owner, and edge nodes that take quotes) must read the same file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, bail};
use engine::inquiry::seal::{
    COMMIT_NONCE_BYTES, Commitment, KEY_BYTES, Layer, QuoteAuthor, QuoteContent, RoundKey,
    SEAL_NONCE_BYTES, SealContext, Sealed, SealedQuote,
};
use engine::types::{DealId, ParticipantId, UnitPrice, UserId};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The sealing key: loaded (or created) on first use from its file.
#[derive(Debug)]
pub struct Sealer {
    path: PathBuf,
    key: OnceLock<[u8; KEY_BYTES]>,
    /// Submissions each supplier has made per round, through this node: its share of the round
    /// (the engine, which cannot tell authors apart, only sees the round's total).
    shares: std::sync::Mutex<std::collections::HashMap<(DealId, u32, ParticipantId), usize>>,
}

/// What a supplier submits: prices per line, or a withdrawal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
    /// A quote (or a replacement): a unit price per line.
    Quote(Vec<UnitPrice>),
    /// The supplier takes its quote back.
    Withdrawal,
}

/// A sealed submission and the receipt its author keeps.
#[derive(Debug)]
pub struct Sealing {
    /// What goes to the engine.
    pub sealed: SealedQuote,
    /// The commitment's nonce: with the prices, it lets the author check the published commitment.
    pub nonce: [u8; COMMIT_NONCE_BYTES],
}

impl Sealer {
    /// The sealing key at `path`, refused when the file would sit inside the data folder.
    pub fn new(path: PathBuf, data_dir: &Path) -> anyhow::Result<Self> {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if absolute(&path).starts_with(absolute(data_dir)) {
            bail!(
                "the sealing key {} must be kept outside the data folder {}",
                path.display(),
                data_dir.display()
            );
        }
        Ok(Self { path, key: OnceLock::new(), shares: Default::default() })
    }

    /// Where the key file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn key(&self) -> anyhow::Result<&[u8; KEY_BYTES]> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let key = load_or_create(&self.path)?;
        Ok(self.key.get_or_init(|| key))
    }

    /// The key of one layer of one round.
    pub fn round_key(&self, inquiry: DealId, round: u32, layer: Layer) -> anyhow::Result<RoundKey> {
        let mut mac = HmacSha256::new_from_slice(self.key()?).context("sealing key length")?;
        mac.update(b"gp-inquiry-round-key-v1");
        mac.update(&inquiry.0.to_be_bytes());
        mac.update(&round.to_be_bytes());
        mac.update(match layer {
            Layer::Author => b"A",
            Layer::Content => b"C",
        });
        Ok(RoundKey::from_bytes(mac.finalize().into_bytes().into()))
    }

    /// Seals `submission` of `supplier` (by `user`) for `round` of `inquiry`.
    ///
    /// With a client's idempotency key the nonces derive from it and from the submission, so a
    /// retry seals to the same bytes and the engine answers it with the first result; a different
    /// submission under the same key still gets nonces of its own, so no nonce ever repeats under
    /// one key with another plaintext. Without one, the nonces are random.
    pub fn seal(
        &self,
        inquiry: DealId,
        round: u32,
        supplier: ParticipantId,
        user: UserId,
        submission: &Submission,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Sealing> {
        let author_key = self.round_key(inquiry, round, Layer::Author)?;
        let content_key = self.round_key(inquiry, round, Layer::Content)?;
        let (prices, withdrawn) = match submission {
            Submission::Quote(prices) => (prices.clone(), false),
            Submission::Withdrawal => (Vec::new(), true),
        };
        let mut seed = Vec::with_capacity(64);
        seed.extend(supplier.0.to_be_bytes());
        seed.push(u8::from(withdrawn));
        for price in &prices {
            seed.extend(price.minor().to_be_bytes());
        }
        let nonce = |label: &[u8], key: &RoundKey, out: &mut [u8]| match idempotency_key {
            Some(idem) => derive(key, label, &seed, idem.as_bytes(), out),
            None => rand::rng().fill_bytes(out),
        };
        let mut commit_nonce = [0; COMMIT_NONCE_BYTES];
        nonce(b"commit", &content_key, &mut commit_nonce);
        let (mut author_nonce, mut content_nonce) = ([0; SEAL_NONCE_BYTES], [0; SEAL_NONCE_BYTES]);
        nonce(b"author", &author_key, &mut author_nonce);
        nonce(b"content", &content_key, &mut content_nonce);
        let content = QuoteContent { prices, nonce: commit_nonce };
        let author = QuoteAuthor { supplier, user, withdrawn };
        let context = |layer| SealContext { inquiry, round, layer };
        let sealed = SealedQuote {
            author: Sealed::seal(&author, &author_key, context(Layer::Author), author_nonce),
            commitment: Commitment::of(inquiry, round, supplier, withdrawn, &content),
            content: Sealed::seal(&content, &content_key, context(Layer::Content), content_nonce),
            author_key: author_key.check(),
            content_key: content_key.check(),
        };
        Ok(Sealing { sealed, nonce: commit_nonce })
    }
}

/// Fills `out` with HMAC(key, label | seed | idempotency key): a nonce that repeats only for the
/// same submission retried.
fn derive(key: &RoundKey, label: &[u8], seed: &[u8], idem: &[u8], out: &mut [u8]) {
    let Ok(mut mac) = HmacSha256::new_from_slice(key.bytes()) else { return };
    mac.update(label);
    mac.update(seed);
    mac.update(idem);
    let digest = mac.finalize().into_bytes();
    out.copy_from_slice(&digest[..out.len()]);
}

/// Reads the key file, or creates it (owner-only) with a fresh random key when it is missing.
/// A 32-byte secret kept in a file of 64 hex digits, created (readable by its owner alone) when
/// missing: the sealing key, and the token signing key the nodes of a market share.
pub fn load_or_create(path: &Path) -> anyhow::Result<[u8; KEY_BYTES]> {
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes)
            .with_context(|| format!("the key file {} is not 64 hex digits", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0; KEY_BYTES];
            rand::rng().fill_bytes(&mut key);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
                    file.write_all(format!("{hex}\n").as_bytes())?;
                    file.sync_all()?;
                    Ok(key)
                }
                // Another node created it first: use that one.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create(path),
                Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        Err(e) => Err(e).with_context(|| format!("reading the key file {}", path.display())),
    }
}

fn parse(bytes: &[u8]) -> Option<[u8; KEY_BYTES]> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    if text.len() != KEY_BYTES * 2 {
        return None;
    }
    let mut key = [0; KEY_BYTES];
    for (n, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(n * 2..n * 2 + 2)?, 16).ok()?;
    }
    Some(key)
}

impl Sealer {
    /// True while `supplier` may still submit in `round` of `inquiry` (its share is not used up).
    pub fn may_submit(&self, inquiry: DealId, round: u32, supplier: ParticipantId) -> bool {
        let shares = self.shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        shares.get(&(inquiry, round, supplier)).copied().unwrap_or(0)
            < engine::inquiry::MAX_SUBMISSIONS_PER_SUPPLIER
    }

    /// Counts a submission the engine took.
    pub fn submitted(&self, inquiry: DealId, round: u32, supplier: ParticipantId) {
        let mut shares = self.shares.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *shares.entry((inquiry, round, supplier)).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_once_kept_outside_the_data_folder_and_derives_distinct_round_keys() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        assert!(Sealer::new(data.join("sealing.key"), &data).is_err());
        let path = dir.path().join("keys").join("sealing.key");
        let sealer = Sealer::new(path.clone(), &data).expect("sealer");
        let a = sealer.round_key(DealId(5), 1, Layer::Author).expect("key");
        let again = Sealer::new(path, &data).expect("sealer");
        assert_eq!(again.round_key(DealId(5), 1, Layer::Author).expect("key"), a);
        for other in [
            sealer.round_key(DealId(5), 1, Layer::Content),
            sealer.round_key(DealId(5), 2, Layer::Author),
            sealer.round_key(DealId(6), 1, Layer::Author),
        ] {
            assert_ne!(other.expect("key"), a);
        }
    }

    #[test]
    fn a_retry_seals_the_same_bytes_and_another_submission_under_the_same_key_does_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sealer =
            Sealer::new(dir.path().join("sealing.key"), &dir.path().join("data")).expect("sealer");
        let quote = |prices: &[i64], idem| {
            let prices = prices.iter().map(|p| UnitPrice::from_minor(*p)).collect();
            let s = Submission::Quote(prices);
            sealer.seal(DealId(5), 1, ParticipantId(9), UserId(10), &s, idem).expect("seal").sealed
        };
        assert_eq!(quote(&[100], Some("k1")), quote(&[100], Some("k1")));
        assert_ne!(quote(&[100], Some("k1")).content, quote(&[101], Some("k1")).content);
        assert_ne!(quote(&[100], None).commitment, quote(&[100], None).commitment);
    }
}

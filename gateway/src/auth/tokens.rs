//! Signed session tokens: HMAC-SHA256 with a key id, valid 15 minutes, carried as a bearer token by
//! API clients and as an HttpOnly cookie by the browser; a logout revokes one at once, on every node
//! sharing the bus.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use engine::types::{Actor, ParticipantId, UserId};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a token is valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(15 * 60);

type HmacSha256 = Hmac<Sha256>;

/// The signing keys of tokens, and the tokens revoked before their expiry (by a logout).
pub struct Tokens {
    kid: String,
    key: [u8; 32],
    /// Revoked tokens by a hash of the token, with the expiry after which they need no entry.
    revoked: std::sync::Mutex<std::collections::HashMap<[u8; 16], u64>>,
    /// Revocations shared with every node, when nodes share a bus.
    shared: Option<crate::bus::Bus>,
}

fn token_hash(token: &str) -> [u8; 16] {
    use sha2::Digest;
    let digest = Sha256::digest(token.as_bytes());
    let mut hash = [0; 16];
    hash.copy_from_slice(&digest[..16]);
    hash
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({})", self.kid)
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    kid: String,
    uid: u64,
    pid: u64,
    exp: u64,
    /// Issued at, Unix milliseconds: a token issued before the account's sessions were ended (a
    /// password change, a disabling) opens nothing.
    iat: u64,
    jti: String,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Tokens {
    /// Keys from 32 random bytes, named `kid`.
    pub fn new(kid: impl Into<String>, key: [u8; 32]) -> Self {
        Self { kid: kid.into(), key, revoked: Default::default(), shared: None }
    }

    /// The same keys, with revocations shared by every node on `bus`.
    pub fn sharing_revocations(self, bus: crate::bus::Bus) -> Self {
        Self { shared: Some(bus), ..self }
    }

    /// Revokes `token` (a logout): it opens nothing from now on, on any node sharing the bus.
    pub async fn revoke(&self, token: &str) {
        let Some(exp) = self.expiry(token) else { return };
        let hash = token_hash(token);
        {
            let mut revoked =
                self.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = unix_now();
            revoked.retain(|_, until| *until > now);
            revoked.insert(hash, exp);
        }
        if let Some(bus) = &self.shared {
            let ttl = exp.saturating_sub(unix_now()).max(1);
            bus.revoke_token(&hash, Duration::from_secs(ttl)).await;
        }
    }

    /// True when `token` was revoked.
    pub async fn is_revoked(&self, token: &str) -> bool {
        let hash = token_hash(token);
        let here = self
            .revoked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(&hash);
        match &self.shared {
            Some(bus) if !here => bus.token_revoked(&hash).await,
            _ => here,
        }
    }

    /// When a token of ours expires, if it is intact.
    fn expiry(&self, token: &str) -> Option<u64> {
        self.claims(token).map(|claims| claims.exp)
    }

    /// The claims of a token signed with our key, whatever they say.
    fn claims(&self, token: &str) -> Option<Claims> {
        let (payload, signature) = token.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    /// Keys from a 32-byte secret, named by a hash of it (so a token signed with another key is
    /// told apart without revealing anything of this one).
    pub fn from_key(key: [u8; 32]) -> Self {
        use sha2::Digest;
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(key)[..6]);
        Self::new(kid, key)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; 32 bytes always fit.
        HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    /// A token for a user of a participant, and when it expires (Unix seconds).
    pub fn issue(&self, user: UserId, participant: ParticipantId) -> (String, u64) {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let exp = unix_now() + TOKEN_TTL.as_secs();
        // A random id makes every token distinct, so revoking one revokes no other.
        let mut jti = [0_u8; 12];
        OsRng.fill_bytes(&mut jti);
        let jti = URL_SAFE_NO_PAD.encode(jti);
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let claims =
            Claims { kid: self.kid.clone(), uid: user.0, pid: participant.0, exp, iat, jti };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        (format!("{payload}.{signature}"), exp)
    }

    /// The actor a token stands for, if it is ours, intact and not expired, and when it was
    /// issued (Unix milliseconds).
    pub fn verify(&self, token: &str) -> Option<(Actor, u64)> {
        let claims = self.claims(token)?;
        (claims.kid == self.kid && claims.exp > unix_now())
            .then_some((Actor::new(ParticipantId(claims.pid), UserId(claims.uid)), claims.iat))
    }
}

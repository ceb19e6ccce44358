//! Guessing passwords is made slow without letting anyone lock a user out (rule U-4), and password
//! checks cannot exhaust memory.
//!
//! - Failures are counted per login name *and address*: five in a minute from one address refuse
//!   that address for that name (429, with `Retry-After`), while the rightful user at another
//!   address still logs in. An address failing thirty times in a minute, across names, is refused
//!   too (credential stuffing).
//! - Failures of a name from every address slow each further attempt at it, growing to a few
//!   seconds, but never refuse it: a competitor can make a bidder wait, not shut it out.
//! - An unknown name costs the same check as a known one, so timing tells no names apart.
//! - A password check (argon2, 19 MiB each) runs only with one of a few permits; a caller that
//!   cannot get one soon is told to try again (429), so a storm of logins queues instead of
//!   allocating without bound.
//! - Names are never kept as sent: counts are keyed by a hash, and expired counts are pruned.
//!
//! With a bus the counts are shared by every node as well as kept here.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Failures of one name from one address before that pair is refused for the window.
const PAIR_ATTEMPTS: u32 = 5;
/// Failures from one address, across names, before the address is refused for the window.
const ADDRESS_ATTEMPTS: u32 = 30;
/// Failures of one name, from anywhere, after which attempts at it are slowed down.
const SLOW_AFTER: u32 = 5;
/// The slowest an attempt is made.
const MAX_DELAY: Duration = Duration::from_secs(4);
/// How long failures count.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Password checks at once: each takes 19 MiB and a core for tens of milliseconds.
pub const CHECKS_AT_ONCE: usize = 2;
/// How long a login waits for a check before it is told to try again.
const CHECK_WAIT: Duration = Duration::from_secs(3);
/// Counts held before expired ones are pruned.
const PRUNE_AT: usize = 10_000;

/// What a login attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go on, after waiting this long.
    Go(Duration),
    /// Refused for now; try again after this long.
    Refused(Duration),
}

type Key = [u8; 16];

fn key(scope: &str, parts: &[&str]) -> Key {
    let mut hash = Sha256::new();
    hash.update(scope.as_bytes());
    for part in parts {
        hash.update([0]);
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// A password check, given its thread's argon2 memory.
type Check = Box<dyn FnOnce(&mut Vec<argon2::Block>) + Send>;

/// The largest argon2 memory a stored hash may ask for (64 MiB): ours ask for 19 MiB.
const MAX_BLOCKS: usize = 64 * 1024;

/// Checks `password` against the PHC string `hash` in `memory`, which is kept from one check to
/// the next: argon2 allocating 19 MiB per check left each freed block with the allocator (a
/// storm of 320 logins grew the node by 19 MiB a check, to 350 MiB), while memory reused stays
/// at one block a thread, however many logins come.
fn verify(memory: &mut Vec<argon2::Block>, password: &[u8], hash: &str) -> bool {
    use argon2::password_hash::{Output, PasswordHash};
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else { return false };
    let Ok(params) = argon2::Params::try_from(&parsed) else { return false };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm) else { return false };
    let version = match parsed.version.map(argon2::Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0_u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut out = [0_u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else { return false };
    let hasher = argon2::Argon2::new(algorithm, version, params);
    hasher.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks]).is_ok()
        // `Output`'s equality takes the same time wherever the bytes differ.
        && Output::new(out).is_ok_and(|computed| computed == expected)
}

/// The threads that check passwords, as many as the permits, each with its argon2 memory.
static CHECKERS: LazyLock<Mutex<std::sync::mpsc::Sender<Check>>> = LazyLock::new(|| {
    let (send, receive) = std::sync::mpsc::channel::<Check>();
    let receive = std::sync::Arc::new(Mutex::new(receive));
    for n in 0..CHECKS_AT_ONCE {
        let receive = receive.clone();
        let spawned =
            std::thread::Builder::new().name(format!("password-check-{n}")).spawn(move || {
                let mut memory = Vec::new();
                loop {
                    let next =
                        receive.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    match next {
                        Ok(check) => check(&mut memory),
                        Err(_) => return,
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start a password-check thread");
        }
    }
    Mutex::new(send)
});

/// A PHC hash that no password matches in practice, checked for unknown names so they cost the
/// same as known ones.
static DECOY: LazyLock<String> = LazyLock::new(|| {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(b"no account has this password", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Counts failed logins and hands out password checks.
#[derive(Debug)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
    checks: Semaphore,
    shared: Option<crate::bus::Bus>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self { failures: Mutex::default(), checks: Semaphore::new(CHECKS_AT_ONCE), shared: None }
    }
}

impl LoginLimiter {
    /// A limiter whose counts every node on `bus` shares.
    pub fn shared(bus: crate::bus::Bus) -> Self {
        Self { shared: Some(bus), ..Self::default() }
    }

    fn keys(login: &str, address: &str) -> [Key; 3] {
        [key("pair", &[login, address]), key("address", &[address]), key("login", &[login])]
    }

    async fn count(&self, key: &Key) -> u32 {
        let here = {
            let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            failures.get(key).filter(|(_, since)| since.elapsed() < WINDOW).map_or(0, |(n, _)| *n)
        };
        match &self.shared {
            Some(bus) => here.max(bus.login_failures(&hex(key)).await),
            None => here,
        }
    }

    /// Whether an attempt at `login` from `address` may go on, and after how long.
    pub async fn admit(&self, login: &str, address: &str) -> Admission {
        let [pair, from, name] = Self::keys(login, address);
        if self.count(&pair).await >= PAIR_ATTEMPTS || self.count(&from).await >= ADDRESS_ATTEMPTS {
            return Admission::Refused(WINDOW);
        }
        let failures = self.count(&name).await;
        if failures < SLOW_AFTER {
            return Admission::Go(Duration::ZERO);
        }
        let doublings = (failures - SLOW_AFTER).min(6);
        Admission::Go((Duration::from_millis(125) * 2_u32.pow(doublings)).min(MAX_DELAY))
    }

    /// Counts a failed attempt.
    pub async fn failed(&self, login: &str, address: &str) {
        let keys = Self::keys(login, address);
        {
            let mut failures =
                self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if failures.len() >= PRUNE_AT {
                failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
            }
            for key in keys {
                let entry = failures.entry(key).or_insert((0, Instant::now()));
                if entry.1.elapsed() >= WINDOW {
                    *entry = (0, Instant::now());
                }
                entry.0 += 1;
            }
        }
        if let Some(bus) = &self.shared {
            for key in &keys {
                bus.login_failed(&hex(key), WINDOW).await;
            }
        }
    }

    /// Clears the counts of `login` (from every address) after a good login; the address's own
    /// count across names stays.
    pub async fn succeeded(&self, login: &str, address: &str) {
        let [pair, _, name] = Self::keys(login, address);
        {
            let mut failures =
                self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            failures.remove(&pair);
            failures.remove(&name);
        }
        if let Some(bus) = &self.shared {
            bus.login_succeeded(&hex(&pair)).await;
            bus.login_succeeded(&hex(&name)).await;
        }
    }

    /// Checks `password` against `hash` (or against the decoy when there is no account), with
    /// one of the few permits; `None` when none came free in time.
    pub async fn check(&self, password: String, hash: Option<String>) -> Option<bool> {
        let permit = tokio::time::timeout(CHECK_WAIT, self.checks.acquire()).await.ok()?.ok()?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DECOY.clone());
        let (answer, answered) = tokio::sync::oneshot::channel();
        let check: Check = Box::new(move |memory| {
            let _ = answer.send(verify(memory, password.as_bytes(), &hash));
        });
        CHECKERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).send(check).ok()?;
        let ok = answered.await.unwrap_or(false);
        drop(permit);
        Some(ok && known)
    }

    /// Password checks running now.
    pub fn checks_running(&self) -> usize {
        CHECKS_AT_ONCE - self.checks.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn failures_from_one_address_refuse_that_address_only_and_slow_the_name() {
        let limiter = LoginLimiter::default();
        for _ in 0..PAIR_ATTEMPTS {
            assert!(matches!(limiter.admit("supplier7", "10.0.0.9").await, Admission::Go(_)));
            limiter.failed("supplier7", "10.0.0.9").await;
        }
        assert_eq!(limiter.admit("supplier7", "10.0.0.9").await, Admission::Refused(WINDOW));
        // The rightful user elsewhere is slowed, not refused.
        match limiter.admit("supplier7", "192.0.2.1").await {
            Admission::Go(delay) => assert!(delay > Duration::ZERO && delay <= MAX_DELAY),
            refused => panic!("the rightful user was locked out: {refused:?}"),
        }
        limiter.succeeded("supplier7", "192.0.2.1").await;
        assert_eq!(limiter.admit("supplier7", "192.0.2.1").await, Admission::Go(Duration::ZERO));
    }

    #[test]
    fn a_password_is_checked_in_reused_memory_as_argon2_itself_would() {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let salt = SaltString::generate(&mut OsRng);
        let hash = argon2::Argon2::default()
            .hash_password(b"west lake willow", &salt)
            .expect("hash")
            .to_string();
        let mut memory = Vec::new();
        assert!(verify(&mut memory, b"west lake willow", &hash));
        let kept = memory.capacity();
        assert!(!verify(&mut memory, b"west lake willoW", &hash));
        assert!(!verify(&mut memory, b"west lake willow", "not a hash"));
        assert_eq!(memory.capacity(), kept, "the same memory serves every check");
    }

    #[tokio::test]
    async fn names_are_kept_as_hashes_and_expired_counts_are_pruned() {
        let limiter = LoginLimiter::default();
        let huge = "x".repeat(64 << 10);
        limiter.failed(&huge, "10.0.0.1").await;
        let failures = limiter.failures.lock().expect("lock");
        assert_eq!(failures.len(), 3);
        assert!(failures.keys().all(|k| k.len() == 16));
    }
}

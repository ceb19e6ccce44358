//! The security log (U-7): every login, logout and refused request (401, 403, 429), and every account
//! and operator action, with the user, the address, the request and the time. Operators read it for
//! their region and the regions below (U-3).
//!
//! A request is witnessed as it runs: the HTTP layer opens a [`Witness`] for it, the session, the
//! login and the command note what they learn, and once the answer is known the request becomes at
//! most one [`Entry`]. Entries go through a bounded queue to a writer of their own, so a slow or
//! absent database never holds up a request; what the queue cannot take is counted and written as
//! an `entries_lost` entry once it can, so a gap in the log is itself on the record. Refusals are
//! what a flood is made of: past a rate per address they are counted, not written one by one.
//!
//! - [`store`]: where entries are kept: the node's database, or memory on a node without one;
//!   an edge node hands its entries to the owner through the bus.

mod store;

pub use store::{Page, Store};

use std::cell::RefCell;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use engine::catalog::{ParticipantKind, RegionChain};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Entries waiting for the writer; beyond this they are counted as lost.
const QUEUE: usize = 10_000;
/// Entries written in one go.
const BATCH: usize = 256;
/// Refusals written per address and second, and the burst allowed; the rest are counted.
const REFUSALS_PER_SECOND: u32 = 2;
const REFUSAL_BURST: u32 = 20;
/// How long entries are kept: well over the six months China's Cybersecurity Law asks of network
/// logs (art. 21), and a whole fiscal year with its audit.
pub const KEEP_DAYS: i64 = 400;
/// How often entries past [`KEEP_DAYS`] are forgotten.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);
/// Longest login name and path kept.
const MAX_LOGIN: usize = 64;
const MAX_PATH: usize = 256;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A login that opened a session.
    LoginSucceeded,
    /// A login with a wrong name or password, or for a disabled account.
    LoginFailed,
    /// A login refused before any check: too many failures, or too many checks at once.
    LoginRefused,
    /// A logout.
    Logout,
    /// A request refused as unauthenticated (401), forbidden (403) or too many (429).
    Refused,
    /// An account created, a password set or reset, an account disabled or enabled.
    AccountAction,
    /// Any other command of an operator.
    OperatorAction,
    /// Entries that could not be kept (a full queue while the store was away).
    EntriesLost,
    /// Refusals past the rate per address, counted rather than written.
    RefusalsSuppressed,
}

engine::wire_names!(Kind {
    LoginSucceeded => "login_succeeded",
    LoginFailed => "login_failed",
    LoginRefused => "login_refused",
    Logout => "logout",
    Refused => "refused",
    AccountAction => "account_action",
    OperatorAction => "operator_action",
    EntriesLost => "entries_lost",
    RefusalsSuppressed => "refusals_suppressed",
});

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Unix milliseconds.
    pub at_ms: i64,
    /// What happened.
    pub kind: Kind,
    /// The login name tried, for logins.
    pub login: Option<String>,
    /// The user, when known.
    pub user: Option<u64>,
    /// The user's participant, when known.
    pub participant: Option<u64>,
    /// The region the entry belongs to, from the province down, each code followed by `/`; empty
    /// for what only the province's operators read (an unknown name, a supplier, an address).
    pub region_path: String,
    /// The caller's address.
    pub address: String,
    /// The request's method and path (never its query: a WebSocket ticket travels there).
    pub method: String,
    /// The path.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// The error code answered, if any.
    pub code: Option<String>,
    /// The command, for account and operator actions, or the count of lost or suppressed entries.
    pub action: Option<String>,
    /// The request's id, as answered in `x-request-id`.
    pub request_id: Option<String>,
}

impl Entry {
    fn count(kind: Kind, count: u64) -> Self {
        Entry {
            at_ms: now_ms(),
            kind,
            login: None,
            user: None,
            participant: None,
            region_path: String::new(),
            address: String::new(),
            method: String::new(),
            path: String::new(),
            status: 0,
            code: None,
            action: Some(count.to_string()),
            request_id: None,
        }
    }
}

/// Unix milliseconds now: when an entry happened.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A region chain as a path from the province down: `330000/330100/`.
pub fn region_path(chain: Option<&RegionChain>) -> String {
    chain.map_or_else(String::new, |chain| {
        chain.codes().iter().rev().map(|code| format!("{code}/")).collect()
    })
}

/// What a request's handlers learned of it, for its entry.
#[derive(Clone, Debug, Default)]
pub struct Witness {
    /// The session's account.
    pub actor: Option<Who>,
    /// The login name tried.
    pub login: Option<String>,
    /// The account that name belongs to, if any.
    pub named: Option<Who>,
    /// The command submitted.
    pub action: Option<Acted>,
}

/// An account, as the log names it.
#[derive(Clone, Debug)]
pub struct Who {
    /// The user.
    pub user: u64,
    /// Its participant.
    pub participant: u64,
    /// The participant's role.
    pub role: ParticipantKind,
    /// The participant's region path.
    pub region: String,
}

/// A command a request submitted.
#[derive(Clone, Debug)]
pub struct Acted {
    /// The command's kind.
    pub name: String,
    /// True for an account action (an account opened, a password set, an account disabled).
    pub on_account: bool,
    /// The region path of the account acted on.
    pub region: String,
}

tokio::task_local! {
    static WITNESS: RefCell<Witness>;
}

/// Notes something about the request being served, if it is witnessed.
pub fn note(f: impl FnOnce(&mut Witness)) {
    let _ = WITNESS.try_with(|w| f(&mut w.borrow_mut()));
}

/// Notes the session's account, as current data has its role and region.
pub fn note_actor(replica: &crate::read::Replica, actor: engine::types::Actor) {
    let (found, _) = replica.read(|engine| {
        engine.participant(actor.participant).map(|p| (p.kind, region_path(p.region.as_ref())))
    });
    if let Some((role, region)) = found {
        let who = Who { user: actor.user.0, participant: actor.participant.0, role, region };
        note(|w| w.actor = Some(who));
    }
}

/// Runs `serve` witnessed, and returns its answer with what was noted.
pub async fn witnessed<T>(serve: impl Future<Output = T>) -> (T, Witness) {
    WITNESS
        .scope(RefCell::new(Witness::default()), async move {
            let answer = serve.await;
            let witness = WITNESS.with(|w| w.take());
            (answer, witness)
        })
        .await
}

/// The log: record entries; read them where they are kept.
#[derive(Clone)]
pub struct SecurityLog {
    queue: mpsc::Sender<Entry>,
    lost: Arc<AtomicU64>,
    suppressed: Arc<AtomicU64>,
    refusals: Arc<DefaultKeyedRateLimiter<String>>,
    store: Store,
    /// Entries taken into the queue, and of those, how many the writer has written.
    queued: Arc<AtomicU64>,
    written: tokio::sync::watch::Receiver<u64>,
    /// Why the writer cannot write now, if it cannot: what readiness reports.
    problem: tokio::sync::watch::Receiver<Option<String>>,
}

impl std::fmt::Debug for SecurityLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecurityLog({})", self.store.kind())
    }
}

impl Default for SecurityLog {
    /// A log kept in memory, for a node without a database.
    fn default() -> Self {
        Self::start(Store::memory())
    }
}

impl SecurityLog {
    /// A log written to `store` by a task of its own.
    pub fn start(store: Store) -> Self {
        let (queue, entries) = mpsc::channel(QUEUE);
        let lost = Arc::new(AtomicU64::new(0));
        let suppressed = Arc::new(AtomicU64::new(0));
        let per_second = NonZeroU32::new(REFUSALS_PER_SECOND).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(REFUSAL_BURST).unwrap_or(NonZeroU32::MIN);
        let refusals = Arc::new(governor::RateLimiter::keyed(
            Quota::per_second(per_second).allow_burst(burst),
        ));
        let (wrote, written) = tokio::sync::watch::channel(0);
        let (trouble, problem) = tokio::sync::watch::channel(None);
        let counts = [lost.clone(), suppressed.clone()];
        tokio::spawn(write(entries, store.clone(), counts, wrote, trouble));
        tokio::spawn(forget_old(store.clone()));
        let queued = Arc::new(AtomicU64::new(0));
        Self { queue, lost, suppressed, refusals, store, queued, written, problem }
    }

    /// Keeps `entry`, without waiting: when the queue is full it is counted as lost.
    pub fn record(&self, mut entry: Entry) {
        if entry.kind == Kind::Refused {
            if self.refusals.check_key(&entry.address).is_err() {
                // The first refusal counted since the last count was written wakes the writer, so
                // the count is written soon, not only with whatever comes next.
                if self.suppressed.fetch_add(1, Ordering::SeqCst) == 0 {
                    self.enqueue(Entry {
                        action: None,
                        ..Entry::count(Kind::RefusalsSuppressed, 0)
                    });
                }
                return;
            }
            // Forget addresses not seen for a while, so a spray of addresses holds no memory.
            if self.refusals.len() > 100_000 {
                self.refusals.retain_recent();
            }
        }
        entry.login = entry.login.map(|l| l.chars().take(MAX_LOGIN).collect());
        entry.path = entry.path.chars().take(MAX_PATH).collect();
        self.enqueue(entry);
    }

    fn enqueue(&self, entry: Entry) {
        // Counted before it is sent, so that the writer never counts past what was queued.
        self.queued.fetch_add(1, Ordering::SeqCst);
        if self.queue.try_send(entry).is_err() {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            if self.lost.fetch_add(1, Ordering::Relaxed) == 0 {
                tracing::warn!("the security log's queue is full: entries are counted as lost");
            }
        }
    }

    /// Why entries cannot be written now, if they cannot; watched, so a test can wait for it.
    pub fn problem(&self) -> tokio::sync::watch::Receiver<Option<String>> {
        self.problem.clone()
    }

    /// Where entries are kept, for reading.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Resolves once every entry recorded so far has been written.
    pub async fn flushed(&self) {
        let target = self.queued.load(Ordering::SeqCst);
        let mut written = self.written.clone();
        let _ = written.wait_for(|n| *n >= target).await;
    }
}

/// Forgets entries older than [`KEEP_DAYS`], at start and every hour after.
async fn forget_old(store: Store) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    loop {
        every.tick().await;
        let before = now_ms() - KEEP_DAYS * 86_400_000;
        match store.prune(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                forgotten = n,
                "security log entries past their keeping time forgotten"
            ),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "cannot forget old security log entries; trying again later")
            }
        }
    }
}

/// The owner's side of edges' logs: takes the entries they hand over through `bus` into `log`,
/// until the process ends.
pub async fn take_edge_entries(bus: crate::bus::Bus, log: SecurityLog) -> anyhow::Result<()> {
    let mut conn = bus.security_connection().await?;
    tokio::spawn(async move {
        loop {
            match bus.take_security_entries(&mut conn).await {
                Ok(Some(bytes)) => match serde_json::from_slice::<Vec<Entry>>(&bytes) {
                    Ok(entries) => entries.into_iter().for_each(|e| log.record(e)),
                    Err(error) => {
                        tracing::warn!(%error, "an edge's security entries are unreadable")
                    }
                },
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "taking edges' security entries; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(())
}

/// The writer: takes what the queue holds, adds the counts of lost and suppressed entries, and
/// writes, retrying with a growing pause while the store is away.
async fn write(
    mut entries: mpsc::Receiver<Entry>,
    store: Store,
    [lost, suppressed]: [Arc<AtomicU64>; 2],
    wrote: tokio::sync::watch::Sender<u64>,
    trouble: tokio::sync::watch::Sender<Option<String>>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let taken = entries.recv_many(&mut batch, BATCH).await;
        if taken == 0 {
            return;
        }
        // Wake-ups carry no count of their own: the counts are taken just below.
        batch.retain(|e| e.kind != Kind::RefusalsSuppressed || e.action.is_some());
        for (kind, count) in [(Kind::EntriesLost, &lost), (Kind::RefusalsSuppressed, &suppressed)] {
            let n = count.swap(0, Ordering::SeqCst);
            if n > 0 {
                batch.push(Entry::count(kind, n));
            }
        }
        let mut pause = std::time::Duration::from_millis(100);
        while !batch.is_empty()
            && let Err(error) = store.write(&batch).await
        {
            let error = format!("{error:#}");
            tracing::warn!(%error, entries = batch.len(), "cannot write the security log; retrying");
            trouble.send_replace(Some(error));
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_secs(5));
        }
        batch.clear();
        trouble.send_if_modified(|problem| problem.take().is_some());
        wrote.send_modify(|n| *n += taken as u64);
    }
}

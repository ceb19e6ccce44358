//! The persister: follows the durable journal into the database in batches, each written in one
//! transaction with the journal offset, so the database is always exactly the journal up to its
//! offset. When the database is away the engine keeps trading; the persister retries with backoff and
//! catches up from its committed offset.
//!
//! What it last heard from the database is kept in memory ([`PersisterStatus`]), so readiness and
//! metrics report an outage and the lag without ever waiting on the database themselves. While it
//! has nothing to write it still checks the database every few seconds, so an outage shows even
//! on a quiet market.

use std::sync::Arc;
use std::time::Duration;

use engine::types::Seq;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::rows::RowBatch;
use super::{Database, PERSISTER};
use crate::journal::access::{JournalAccess, Reader};
use crate::journal::marks::Marks;

/// Records per database transaction.
pub const BATCH_RECORDS: usize = 2_000;

/// How long a follower of the journal waits for more records when fewer than a transaction's
/// worth are there. A transaction costs the database a commit (an fsync) and each statement its
/// preparation whatever it holds, so on a busy market one transaction every tenth of a second
/// costs far less than one per durable batch; the database being a tenth of a second behind the
/// journal changes nothing for anyone (answers and reads come from the engine and its replica).
pub const GATHER: Duration = Duration::from_millis(100);

/// Waits [`GATHER`] for more records to come; true when told to stop meanwhile.
pub async fn gather(stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(GATHER) => false,
        _ = stop.changed() => true,
    }
}

/// How often an idle persister checks that the database answers.
const IDLE_CHECK: Duration = Duration::from_secs(2);

/// How long a check may take before the database counts as away.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What the persister last heard from the database, readable without touching it.
#[derive(Clone, Debug)]
pub struct PersisterStatus {
    persisted: watch::Receiver<Seq>,
    problem: Arc<std::sync::Mutex<Option<Problem>>>,
}

/// The database's latest failure, until a write or check succeeds again.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Problem {
    /// The cause, as the database driver gave it.
    pub error: String,
    /// When it was first seen in this run of failures (Unix milliseconds).
    pub since_ms: i64,
    /// Attempts that failed since.
    pub attempts: u64,
}

impl PersisterStatus {
    /// The offset committed to the database.
    pub fn persisted(&self) -> Seq {
        *self.persisted.borrow()
    }

    /// The database's current failure, if its last write or check failed.
    pub fn problem(&self) -> Option<Problem> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Problem>> {
        self.problem.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn failed(&self, what: &str, error: &anyhow::Error) {
        let error = format!("{what}: {error:#}");
        let mut problem = self.lock();
        match problem.as_mut() {
            Some(p) => {
                p.attempts += 1;
                p.error = error;
            }
            None => {
                let since_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                *problem = Some(Problem { error, since_ms, attempts: 1 });
            }
        }
    }

    fn succeeded(&self) {
        if let Some(p) = self.lock().take() {
            tracing::info!(attempts = p.attempts, "the database answers again");
        }
    }
}

/// The running persister.
#[derive(Debug)]
pub struct Persister {
    persisted: watch::Receiver<Seq>,
    status: PersisterStatus,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Persister {
    /// Starts following the journal from the database's committed offset. `passed` learns every
    /// committed offset, so the engine task keeps the journal segments the persister still needs.
    pub fn start(
        db: Database,
        journal: JournalAccess,
        durable: watch::Receiver<Seq>,
        passed: Marks,
    ) -> Self {
        let (persisted_tx, persisted) = watch::channel(Seq(0));
        let (stop, stop_rx) = watch::channel(false);
        let status = PersisterStatus { persisted: persisted.clone(), problem: Arc::default() };
        let follower =
            Follower { db, journal, passed, persisted: persisted_tx, status: status.clone() };
        let task = tokio::spawn(follower.follow(durable, stop_rx));
        Self { persisted, status, stop, task }
    }

    /// What the persister last heard from the database.
    pub fn status(&self) -> PersisterStatus {
        self.status.clone()
    }

    /// The offset committed to the database.
    pub fn persisted(&self) -> watch::Receiver<Seq> {
        self.persisted.clone()
    }

    /// Waits until everything up to `seq` is in the database.
    pub async fn caught_up(&self, seq: Seq) {
        let mut persisted = self.persisted.clone();
        let _ = persisted.wait_for(|p| *p >= seq).await;
    }

    /// Stops after the batch in hand.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

struct Follower {
    db: Database,
    journal: JournalAccess,
    passed: Marks,
    persisted: watch::Sender<Seq>,
    status: PersisterStatus,
}

impl Follower {
    fn committed(&self, offset: Seq) {
        self.passed.report(PERSISTER, offset);
        self.persisted.send_replace(offset);
    }

    fn cursor(&self, offset: Seq) -> Reader {
        self.journal.reader(offset)
    }

    /// Checks that the database answers, within the check's time.
    async fn check(&self) {
        match tokio::time::timeout(CHECK_TIMEOUT, self.db.offset(PERSISTER)).await {
            Ok(Ok(_)) => self.status.succeeded(),
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "the database does not answer");
                self.status.failed("checking the database", &e);
            }
            Err(_) => {
                let e = anyhow::anyhow!("no answer within {CHECK_TIMEOUT:?}");
                tracing::warn!(error = %e, "the database does not answer");
                self.status.failed("checking the database", &e);
            }
        }
    }

    async fn follow(self, mut durable: watch::Receiver<Seq>, mut stop: watch::Receiver<bool>) {
        let mut backoff = Backoff::default();
        let mut offset = loop {
            match self.db.offset(PERSISTER).await {
                Ok(offset) => break offset,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "persister cannot read its offset; retrying");
                    self.status.failed("reading the persister's offset", &e);
                    if backoff.wait(&mut stop).await {
                        return;
                    }
                }
            }
        };
        self.status.succeeded();
        self.committed(offset);
        let mut cursor = self.cursor(offset);
        let mut gathered = false;
        loop {
            if *stop.borrow() {
                return;
            }
            let target = *durable.borrow_and_update();
            if offset >= target {
                tokio::select! {
                    changed = durable.changed() => if changed.is_err() && *durable.borrow() <= offset { return },
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(IDLE_CHECK) => self.check().await,
                }
                continue;
            }
            if !gathered && target.0 - offset.0 < BATCH_RECORDS as u64 {
                gathered = true;
                if gather(&mut stop).await {
                    return;
                }
                continue;
            }
            gathered = false;
            let mut batch = RowBatch::default();
            if let Err(e) = cursor.read(target, BATCH_RECORDS, |record| batch.add(&record)).await {
                tracing::error!(error = %format!("{e:#}"), %offset, "persister cannot read the journal; retrying");
                cursor = self.cursor(offset);
                if backoff.wait(&mut stop).await {
                    return;
                }
                continue;
            }
            let written = self.db.write(offset, &batch).await;
            if let Ok(true) = written {
                offset = batch.last.unwrap_or(offset);
                backoff = Backoff::default();
                self.status.succeeded();
                self.committed(offset);
                continue;
            }
            // Either the write failed, or an earlier attempt did commit although we never heard:
            // the committed offset decides where to go on from.
            match self.db.offset(PERSISTER).await {
                Ok(committed) if committed != offset => {
                    offset = committed;
                    self.committed(offset);
                }
                read => {
                    let error = match (written, read) {
                        (Err(e), _) | (_, Err(e)) => e,
                        _ => {
                            anyhow::anyhow!("the committed offset is not where this batch follows")
                        }
                    };
                    tracing::warn!(%offset, error = %format!("{error:#}"), "persister cannot write to the database; retrying");
                    self.status.failed("writing to the database", &error);
                    if backoff.wait(&mut stop).await {
                        return;
                    }
                }
            }
            cursor = self.cursor(offset);
        }
    }
}

/// Exponential backoff between 50 ms and 5 s, cut short by a stop.
#[derive(Debug)]
pub(crate) struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Self(Duration::from_millis(50))
    }
}

impl Backoff {
    /// Waits; true when asked to stop meanwhile.
    pub(crate) async fn wait(&mut self, stop: &mut watch::Receiver<bool>) -> bool {
        let delay = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(5));
        tokio::select! {
            () = tokio::time::sleep(delay) => *stop.borrow(),
            _ = stop.changed() => true,
        }
    }
}

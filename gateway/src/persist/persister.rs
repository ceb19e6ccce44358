//! The persister: follows the durable journal into the database in batches, each written in one
//! transaction with the journal offset, so the database is always exactly the journal up to its
//! offset. When the database is away the engine keeps trading; the persister retries with backoff and
//! catches up from its committed offset.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use engine::types::Seq;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::rows::RowBatch;
use super::{Database, PERSISTER};
use crate::journal::Layout;
use crate::journal::cursor::Cursor;
use crate::journal::storage::Storage;

/// Records per database transaction.
pub const BATCH_RECORDS: usize = 2_000;

/// The running persister.
#[derive(Debug)]
pub struct Persister {
    persisted: watch::Receiver<Seq>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Persister {
    /// Starts following the journal from the database's committed offset. `passed` learns every
    /// committed offset, so the engine task keeps the journal segments the persister still needs.
    pub fn start(
        db: Database,
        storage: Arc<dyn Storage>,
        layout: Layout,
        durable: watch::Receiver<Seq>,
        passed: Arc<AtomicU64>,
    ) -> Self {
        let (persisted_tx, persisted) = watch::channel(Seq(0));
        let (stop, stop_rx) = watch::channel(false);
        let task =
            tokio::spawn(follow(db, storage, layout, durable, passed, persisted_tx, stop_rx));
        Self { persisted, stop, task }
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

async fn follow(
    db: Database,
    storage: Arc<dyn Storage>,
    layout: Layout,
    mut durable: watch::Receiver<Seq>,
    passed: Arc<AtomicU64>,
    persisted: watch::Sender<Seq>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    let mut offset = loop {
        match db.offset(PERSISTER).await {
            Ok(offset) => break offset,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "persister cannot read its offset; retrying");
                if backoff.wait(&mut stop).await {
                    return;
                }
            }
        }
    };
    passed.store(offset.0, Ordering::Release);
    persisted.send_replace(offset);
    let mut cursor = Cursor::new(storage.clone(), layout.clone(), offset);
    loop {
        if *stop.borrow() {
            return;
        }
        let target = *durable.borrow_and_update();
        if offset >= target {
            tokio::select! {
                changed = durable.changed() => if changed.is_err() && *durable.borrow() <= offset { return },
                _ = stop.changed() => return,
            }
            continue;
        }
        let mut batch = RowBatch::default();
        if let Err(e) = cursor.read(target, BATCH_RECORDS, |record| batch.add(&record)) {
            tracing::error!(error = %format!("{e:#}"), "persister cannot read the journal");
            cursor = Cursor::new(storage.clone(), layout.clone(), offset);
            if backoff.wait(&mut stop).await {
                return;
            }
            continue;
        }
        match db.write(offset, &batch).await {
            Ok(true) => {
                offset = batch.last.unwrap_or(offset);
                backoff = Backoff::default();
                passed.store(offset.0, Ordering::Release);
                persisted.send_replace(offset);
            }
            Ok(false) | Err(_) => {
                // Either the write failed, or an earlier attempt did commit although we never heard:
                // the committed offset decides where to go on from.
                if let Ok(committed) = db.offset(PERSISTER).await
                    && committed != offset
                {
                    offset = committed;
                    passed.store(offset.0, Ordering::Release);
                    persisted.send_replace(offset);
                } else {
                    tracing::warn!(%offset, "persister cannot write to the database; retrying");
                    if backoff.wait(&mut stop).await {
                        return;
                    }
                }
                cursor = Cursor::new(storage.clone(), layout.clone(), offset);
            }
        }
    }
}

/// Exponential backoff between 50 ms and 5 s, cut short by a stop.
#[derive(Debug)]
struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Self(Duration::from_millis(50))
    }
}

impl Backoff {
    /// Waits; true when asked to stop meanwhile.
    async fn wait(&mut self, stop: &mut watch::Receiver<bool>) -> bool {
        let delay = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(5));
        tokio::select! {
            () = tokio::time::sleep(delay) => *stop.borrow(),
            _ = stop.changed() => true,
        }
    }
}

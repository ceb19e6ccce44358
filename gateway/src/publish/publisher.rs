//! The publisher: follows the durable journal from its own committed offset with an engine of its
//! own, replayed record by record, and writes what each record publishes together with the offset
//! in one transaction. A restart, or a retry whose success went unheard, picks up at the committed
//! offset with the engine rebuilt there, so nothing is published twice or skipped; the database
//! being away only delays publication.

use engine::Engine;
use engine::types::Seq;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{PUBLISHER, Published, publish};
use crate::journal::access::JournalAccess;
use crate::journal::marks::Marks;
use crate::journal::record::JournalRecord;
use crate::persist::Database;
use crate::persist::persister::{Backoff, gather};

/// Records per transaction.
const BATCH_RECORDS: usize = 1_000;

/// The running publisher.
#[derive(Debug)]
pub struct Publisher {
    published: watch::Receiver<Seq>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Publisher {
    /// Starts publishing from the database's committed offset. `passed` learns each committed
    /// offset, so the journal segments the publisher still needs are kept.
    pub fn start(
        db: Database,
        journal: JournalAccess,
        durable: watch::Receiver<Seq>,
        passed: Marks,
    ) -> Self {
        let (published_tx, published) = watch::channel(Seq(0));
        let (stop, stop_rx) = watch::channel(false);
        let follower = Follower { db, journal, passed, published: published_tx };
        let task = tokio::spawn(follower.follow(durable, stop_rx));
        Self { published, stop, task }
    }

    /// The offset committed to the database.
    pub fn published(&self) -> Seq {
        *self.published.borrow()
    }

    /// The committed offset, as it moves.
    pub fn watch(&self) -> watch::Receiver<Seq> {
        self.published.clone()
    }

    /// Waits until everything up to `seq` is published.
    pub async fn caught_up(&self, seq: Seq) {
        let mut published = self.published.clone();
        let _ = published.wait_for(|p| *p >= seq).await;
    }

    /// Stops after the batch in hand, or within five seconds whatever it is doing: a batch cut
    /// short is a transaction never committed, published again from the offset on the next start.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.task).await.is_err() {
            self.task.abort();
            let _ = self.task.await;
        }
    }
}

struct Follower {
    db: Database,
    journal: JournalAccess,
    passed: Marks,
    published: watch::Sender<Seq>,
}

/// Where the publisher stands: its engine, right after its committed offset.
struct Place {
    offset: Seq,
    engine: Engine,
    reader: crate::journal::access::Reader,
}

impl Follower {
    fn committed(&self, offset: Seq) {
        self.passed.report(PUBLISHER, offset);
        self.published.send_replace(offset);
    }

    /// The committed offset, and the engine as it stood right after it.
    async fn place(&self) -> anyhow::Result<Place> {
        let offset = self.db.offset(PUBLISHER).await?;
        let engine = self.journal.engine_at(offset).await?;
        Ok(Place { offset, engine, reader: self.journal.reader(offset) })
    }

    /// When the journal no longer holds the record after `offset` (the market ran, and pruned its
    /// journal, before it had a publisher), publication begins at the newest snapshot: the deals
    /// before it are not published, which is said once in the log, rather than retried forever.
    async fn resume_at_snapshot(&self, offset: Seq) -> anyhow::Result<Option<Place>> {
        if self.journal.record_at(offset.next()).await?.is_some() {
            return Ok(None);
        }
        let Some(engine) = self.journal.latest_snapshot().await? else { return Ok(None) };
        let at = engine.seq();
        if at <= offset || !self.db.write_publication(offset, at, &[]).await? {
            return Ok(None);
        }
        tracing::warn!(
            from = %offset,
            to = %at,
            "the journal before the newest snapshot was pruned before this market had a publisher: publication begins there"
        );
        Ok(Some(Place { offset: at, engine, reader: self.journal.reader(at) }))
    }

    async fn follow(self, mut durable: watch::Receiver<Seq>, mut stop: watch::Receiver<bool>) {
        let mut backoff = Backoff::default();
        'restart: loop {
            let mut place = match self.place().await {
                Ok(place) => place,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "the publisher cannot find its place; retrying");
                    if backoff.wait(&mut stop).await {
                        return;
                    }
                    continue;
                }
            };
            self.committed(place.offset);
            let mut gathered = false;
            loop {
                if *stop.borrow() {
                    return;
                }
                let target = *durable.borrow_and_update();
                if place.offset >= target {
                    tokio::select! {
                        changed = durable.changed() => if changed.is_err() && *durable.borrow() <= place.offset { return },
                        _ = stop.changed() => return,
                    }
                    continue;
                }
                // Fewer records than a transaction holds wait a moment for more (see GATHER).
                if !gathered && target.0 - place.offset.0 < BATCH_RECORDS as u64 {
                    gathered = true;
                    if gather(&mut stop).await {
                        return;
                    }
                    continue;
                }
                gathered = false;
                let mut records = Vec::new();
                if let Err(e) = place.reader.read(target, BATCH_RECORDS, |r| records.push(r)).await
                {
                    match self.resume_at_snapshot(place.offset).await {
                        Ok(Some(resumed)) => {
                            place = resumed;
                            self.committed(place.offset);
                            continue;
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(error = %format!("{e:#}"), "the publisher cannot look for a snapshot")
                        }
                    }
                    tracing::error!(error = %format!("{e:#}"), offset = %place.offset, "the publisher cannot read the journal; retrying");
                    if backoff.wait(&mut stop).await {
                        return;
                    }
                    continue 'restart;
                }
                let Some(last) = records.last().map(|r| r.seq) else {
                    // Durable yet not read back: the journal's reader is behind its writer.
                    if backoff.wait(&mut stop).await {
                        return;
                    }
                    continue 'restart;
                };
                let engine = std::mem::take(&mut place.engine);
                let applied = tokio::task::spawn_blocking(move || apply(engine, records)).await;
                let (engine, batch) = match applied {
                    Ok(Ok(done)) => done,
                    Ok(Err(e)) => {
                        tracing::error!(error = %format!("{e:#}"), "the publisher's replay does not match the journal");
                        if backoff.wait(&mut stop).await {
                            return;
                        }
                        continue 'restart;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the publisher's replay stopped");
                        continue 'restart;
                    }
                };
                place.engine = engine;
                // The batch is kept until written: a database away is waited out, not replayed.
                loop {
                    match self.db.write_publication(place.offset, last, &batch).await {
                        Ok(true) => break,
                        Ok(false) => continue 'restart,
                        Err(e) => {
                            tracing::warn!(error = %format!("{e:#}"), "the publisher cannot write to the database; retrying");
                            if backoff.wait(&mut stop).await {
                                return;
                            }
                        }
                    }
                }
                backoff = Backoff::default();
                place.offset = last;
                self.committed(last);
            }
        }
    }
}

/// Applies `records` to `engine`, each of which must produce exactly the events it holds, and
/// returns what each published.
fn apply(
    mut engine: Engine,
    records: Vec<JournalRecord>,
) -> anyhow::Result<(Engine, Vec<Published>)> {
    let mut out = Vec::with_capacity(records.len());
    let mut events = Vec::new();
    for record in records {
        anyhow::ensure!(
            record.seq == engine.seq().next(),
            "the journal skips from {} to {}",
            engine.seq(),
            record.seq
        );
        events.clear();
        engine.apply(record.command.clone(), record.ts, &mut events);
        anyhow::ensure!(
            events == record.events,
            "replay of record {} produced other events than the journal holds",
            record.seq
        );
        let published = publish(&engine, &record);
        if !(published.notices.is_empty()
            && published.releases.is_empty()
            && published.facts.is_empty())
        {
            out.push(published);
        }
    }
    Ok((engine, out))
}

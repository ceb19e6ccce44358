//! Ownership of a market as a lease: key `owner` in the market's lease bucket, naming the node that
//! owns it. Every change is revision-checked, so two nodes can never both take it.
//!
//! The owner renews four times a lease period. A standby never relies on the server expiring the
//! key (it has been seen not to, with replicated buckets on 2.9 servers): it watches the key's
//! revision on its own clock and takes the lease, by its own revision-checked update, once a whole
//! period has passed without a renewal. The owner counts its lease from when it *sent* its last
//! successful renewal and stops appending after three quarters of a period without one, so by the
//! time a standby can take over the old owner has stopped; the journal's expected-sequence check
//! keeps the history single even if clocks disagree. A graceful stop deletes the key, so a standby
//! takes over at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::kv::{self, Operation, UpdateErrorKind};
use bytes::Bytes;
use tokio::sync::watch;

use super::Cluster;

const KEY: &str = "owner";

/// This node's hold on the market.
#[derive(Clone, Debug)]
pub struct Lease {
    inner: Arc<Held>,
}

#[derive(Debug)]
struct Held {
    kv: kv::Store,
    holder: String,
    /// The revision the lease was taken at: names this ownership in message ids.
    taken: u64,
    /// The current revision and when its renewal was sent.
    renewed: Mutex<(u64, Instant)>,
    period: Duration,
    lost: watch::Sender<Option<String>>,
}

impl Cluster {
    async fn lease_store(&self) -> anyhow::Result<kv::Store> {
        self.js.get_key_value(self.lease_bucket()).await.context("opening the lease bucket")
    }
}

impl Lease {
    /// Waits until this node holds the lease, as `holder` (a name for operators: node and
    /// address), then keeps renewing it. `waiting` is told once when another node holds it.
    pub async fn acquire(
        cluster: &Cluster,
        holder: &str,
        mut waiting: impl FnMut(&str),
    ) -> anyhow::Result<Self> {
        let kv = cluster.lease_store().await?;
        let period = cluster.settings.lease;
        let value = Bytes::from(holder.to_string());
        let mut seen: Option<(u64, Instant)> = None;
        let mut told = false;
        loop {
            let sent = Instant::now();
            let taken = match kv.entry(KEY).await {
                Ok(None) => kv.create(KEY, value.clone()).await.ok(),
                Ok(Some(entry)) if entry.operation != Operation::Put => {
                    kv.update(KEY, value.clone(), entry.revision).await.ok()
                }
                Ok(Some(entry)) => {
                    if !told {
                        waiting(&String::from_utf8_lossy(&entry.value));
                        told = true;
                    }
                    match seen {
                        Some((revision, since)) if revision == entry.revision => {
                            if since.elapsed() >= period {
                                kv.update(KEY, value.clone(), entry.revision).await.ok()
                            } else {
                                None
                            }
                        }
                        _ => {
                            seen = Some((entry.revision, Instant::now()));
                            None
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot read the ownership lease; trying again");
                    None
                }
            };
            if let Some(revision) = taken {
                let (lost, _) = watch::channel(None);
                let inner = Arc::new(Held {
                    kv,
                    holder: holder.to_string(),
                    taken: revision,
                    renewed: Mutex::new((revision, sent)),
                    period,
                    lost,
                });
                tokio::spawn(renew(inner.clone()));
                return Ok(Self { inner });
            }
            tokio::time::sleep(period / 8).await;
        }
    }

    /// The revision this ownership began at.
    pub fn revision(&self) -> u64 {
        self.inner.taken
    }

    /// True while this node may append: a renewal was sent less than three quarters of a period
    /// ago and the lease has not been lost.
    pub fn fresh(&self) -> bool {
        self.inner.lost.borrow().is_none() && self.inner.renewed().1.elapsed() < self.stale_after()
    }

    fn stale_after(&self) -> Duration {
        self.inner.period * 3 / 4
    }

    /// Resolves with the reason once this node no longer owns the market.
    pub async fn lost(&self) -> String {
        let mut lost = self.inner.lost.subscribe();
        match lost.wait_for(Option::is_some).await {
            Ok(why) => why.clone().unwrap_or_default(),
            Err(_) => "the lease's renewal stopped".into(),
        }
    }

    /// Gives the lease up, so that a standby takes over at once: after the last append.
    pub async fn release(&self) {
        let (revision, _) = self.inner.renewed();
        self.inner.lost.send_replace(Some("the lease was given up".into()));
        if let Err(error) = self.inner.kv.delete_expect_revision(KEY, Some(revision)).await {
            tracing::warn!(%error, "could not give the ownership lease up; a standby waits it out");
        }
    }
}

impl Held {
    fn renewed(&self) -> (u64, Instant) {
        *self.renewed.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn renew(held: Arc<Held>) {
    let value = Bytes::from(held.holder.clone());
    loop {
        tokio::time::sleep(held.period / 4).await;
        if held.lost.borrow().is_some() {
            return;
        }
        let (revision, last) = held.renewed();
        let sent = Instant::now();
        match held.kv.update(KEY, value.clone(), revision).await {
            Ok(revision) => {
                *held.renewed.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    (revision, sent);
            }
            Err(error) if error.kind() == UpdateErrorKind::WrongLastRevision => {
                tracing::error!("another node has taken the ownership lease");
                held.lost.send_replace(Some("another node has taken the ownership lease".into()));
                return;
            }
            Err(error) => {
                tracing::warn!(%error, since = ?last.elapsed(), "the ownership lease was not renewed; trying again");
                if last.elapsed() >= held.period {
                    held.lost.send_replace(Some(format!(
                        "the ownership lease could not be renewed for {:?}: {error}",
                        last.elapsed()
                    )));
                    return;
                }
            }
        }
    }
}

/// What an edge knows of the owner: whether the lease was renewed within a period, on this node's
/// own clock.
#[derive(Clone, Debug)]
pub struct OwnerWatch {
    seen: watch::Receiver<Option<(String, Instant)>>,
    period: Duration,
}

impl OwnerWatch {
    /// Starts watching the lease.
    pub async fn start(cluster: &Cluster) -> anyhow::Result<Self> {
        let kv = cluster.lease_store().await?;
        let period = cluster.settings.lease;
        let (tx, seen) = watch::channel(None);
        tokio::spawn(async move {
            let mut last: Option<u64> = None;
            loop {
                match kv.entry(KEY).await {
                    Ok(Some(entry)) if entry.operation == Operation::Put => {
                        if last != Some(entry.revision) {
                            last = Some(entry.revision);
                            let holder = String::from_utf8_lossy(&entry.value).into_owned();
                            tx.send_replace(Some((holder, Instant::now())));
                        }
                    }
                    // Given up (or never taken): no owner, at once.
                    Ok(_) => {
                        last = None;
                        tx.send_replace(None);
                    }
                    Err(error) => tracing::debug!(%error, "cannot read the ownership lease"),
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(period / 8).await;
            }
        });
        Ok(Self { seen, period })
    }

    /// The owner, when its lease was renewed within a period; otherwise why there is none.
    pub fn owner(&self) -> Result<String, String> {
        match &*self.seen.borrow() {
            Some((holder, at)) if at.elapsed() < self.period => Ok(holder.clone()),
            Some((holder, at)) => {
                Err(format!("the owner {holder} has not renewed its lease for {:?}", at.elapsed()))
            }
            None => Err("no node owns the market".into()),
        }
    }
}

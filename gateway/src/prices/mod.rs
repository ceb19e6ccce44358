//! Live prices and early warnings (ARCHITECTURE 8): the engine's analytics fold run off the hot
//! path, on released (durable) events, rebuilt from the engine's own trades and auctions at start,
//! so a restart reaches the same candles and alerts. Candles and alerts go out on the feed hub
//! (`candles:product:<id>:<1m|1h|1d>`, `candles:category:<code>:<..>`, `index:<category>`,
//! `alerts:<region>`) and
//! are read back over REST; with a database, the history is also written to it (`candles`,
//! `price_index`, `alerts`).
//!
//! Known limit: a trade is judged against the direct-order limit in force when the desk sees it;
//! a rebuild after the operator changed that limit judges older trades by the new one.

mod facts;

use std::sync::{Arc, RwLock};

use engine::Event;
use engine::analytics::{Alert, Analytics, Candle, Changes, Interval, Series, Thresholds};
use engine::types::{RegionCode, Seq};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, watch};

use crate::feed::Hub;
use crate::persist::{Database, PriceRows};
use crate::read::Replica;
use crate::runtime::ReleasedBatch;

pub use facts::{rebuild, trade as trade_facts};

/// The price desk: analytics kept current from released batches.
#[derive(Debug, Clone)]
pub struct PriceDesk {
    analytics: Arc<RwLock<Analytics>>,
    seq: watch::Receiver<Seq>,
}

impl PriceDesk {
    /// Rebuilds analytics from the replica and follows `released` from there on. `released` must
    /// be subscribed before this call.
    pub fn start(
        replica: Replica,
        released: broadcast::Receiver<ReleasedBatch>,
        hub: Arc<Hub>,
        thresholds: Thresholds,
        db: Option<Database>,
    ) -> Self {
        let (analytics, at) = replica.read(|engine| rebuild(engine, thresholds));
        let (seq_tx, seq) = watch::channel(at);
        // The history goes to the database from a task of its own: a slow or absent database
        // delays the history, never the live desk. The rebuild is written whole; upserts by key
        // make that idempotent.
        let history = db.map(|db| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(write_history(db, rx));
            let _ = tx.send(everything(&analytics));
            tx
        });
        let analytics = Arc::new(RwLock::new(analytics));
        let follower =
            follow(analytics.clone(), replica, released, hub, at, seq_tx, thresholds, history);
        tokio::spawn(follower);
        Self { analytics, seq }
    }

    /// Runs `query` on the analytics, with the sequence they are current to.
    pub fn read<R>(&self, query: impl FnOnce(&Analytics) -> R) -> (R, Seq) {
        let analytics = self.analytics.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        (query(&analytics), *self.seq.borrow())
    }

    /// Waits until the desk has seen `seq`.
    pub async fn caught_up(&self, seq: Seq) {
        let mut watch = self.seq.clone();
        let _ = watch.wait_for(|s| *s >= seq).await;
    }
}

/// The API's view of a candle.
pub fn candle_view(c: &Candle) -> Value {
    json!({
        "start_ms": c.start.ms(), "interval": c.interval.name(),
        "open": c.open.to_string(), "high": c.high.to_string(), "low": c.low.to_string(), "close": c.close.to_string(),
        "volume": c.volume.to_string(), "amount": c.amount.to_string(), "trades": c.trades,
    })
}

/// The API's view of a day of a category's price index.
pub fn index_view(p: &engine::analytics::IndexPoint) -> Value {
    json!({ "category": p.category.to_string(), "day_ms": p.day.ms(), "index": p.value(), "trades": p.trades })
}

/// The API's view of an alert.
pub fn alert_view(a: &Alert) -> Value {
    json!({
        "rule": a.kind.rule(), "code": a.kind.code(), "deal": a.deal.0, "region": a.region.to_string(),
        "ts_ms": a.ts.ms(), "seq": a.seq.0, "figures": a.figures, "message": a.message,
    })
}

/// The topic of a series at an interval.
pub fn candle_topic(series: Series, interval: Interval) -> String {
    match series {
        Series::Product(p) => format!("candles:product:{}:{}", p.0, interval.name()),
        Series::Category(c) => format!("candles:category:{c}:{}", interval.name()),
    }
}

/// Every candle, index day and alert the analytics hold: what a rebuild writes.
fn everything(analytics: &Analytics) -> PriceRows {
    PriceRows {
        candles: analytics.all_candles().copied().collect(),
        index: analytics.all_index().copied().collect(),
        alerts: analytics.alerts().to_vec(),
    }
}

async fn write_history(db: Database, mut rows: mpsc::UnboundedReceiver<PriceRows>) {
    while let Some(mut batch) = rows.recv().await {
        // Whatever queued meanwhile goes in the same transaction.
        while let Ok(more) = rows.try_recv() {
            batch.candles.extend(more.candles);
            batch.index.extend(more.index);
            batch.alerts.extend(more.alerts);
        }
        let mut wait = std::time::Duration::from_millis(100);
        while let Err(error) = db.save_prices(&batch).await {
            tracing::warn!(error = %format!("{error:#}"), "writing price history; retrying");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(std::time::Duration::from_secs(5));
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn follow(
    analytics: Arc<RwLock<Analytics>>,
    replica: Replica,
    mut released: broadcast::Receiver<ReleasedBatch>,
    hub: Arc<Hub>,
    mut at: Seq,
    seq: watch::Sender<Seq>,
    thresholds: Thresholds,
    history: Option<mpsc::UnboundedSender<PriceRows>>,
) {
    loop {
        let batch = match released.recv().await {
            Ok(batch) => batch,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                // Rebuild rather than guess what was missed.
                tracing::warn!(missed, "the price desk lagged; rebuilding");
                let (fresh, now) = replica.read(|engine| rebuild(engine, thresholds));
                if let Some(history) = &history {
                    let _ = history.send(everything(&fresh));
                }
                *analytics.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
                at = now;
                seq.send_replace(at);
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(last) = batch.last().map(|r| r.seq) else { continue };
        if last <= at {
            continue;
        }
        // Reference data and closed auctions are read from the replica as of the batch.
        replica.caught_up(last).await;
        let mut out: Vec<(u64, Changes)> = Vec::new();
        replica.read(|engine| {
            let mut a = analytics.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            for record in batch.iter().filter(|r| r.seq > at) {
                for envelope in &record.events {
                    let changes = match &envelope.event {
                        Event::TradeStruck(t) => facts::trade(engine, t).map(|f| a.trade(&f)),
                        Event::BidAccepted { auction, bidder, price, receipt } => {
                            facts::bid(engine, *auction, *bidder, *price, envelope.ts, *receipt)
                                .map(|f| a.bid(&f))
                        }
                        Event::AuctionAwarded { auction, .. }
                        | Event::AuctionFailed { auction, .. } => engine
                            .auction(*auction)
                            .and_then(|x| facts::auction(engine, x))
                            .map(|f| a.auction_closed(&f)),
                        _ => None,
                    };
                    if let Some(changes) = changes {
                        out.push((record.seq.0, changes));
                    }
                }
            }
        });
        at = last;
        seq.send_replace(at);
        let mut rows = PriceRows::default();
        for (seq, changes) in out {
            if history.is_some() {
                rows.candles.extend(changes.candles.iter().copied());
                rows.index.extend(changes.index);
                rows.alerts.extend(changes.alerts.iter().cloned());
            }
            publish(&hub, &replica, seq, changes);
        }
        if let Some(history) = history.as_ref().filter(|_| !rows.is_empty()) {
            let _ = history.send(rows);
        }
    }
}

fn publish(hub: &Hub, replica: &Replica, seq: u64, changes: Changes) {
    if let Some(point) = &changes.index {
        hub.publish_view(format!("index:{}", point.category), seq, index_view(point));
    }
    for candle in &changes.candles {
        hub.publish_view(candle_topic(candle.series, candle.interval), seq, candle_view(candle));
    }
    for alert in &changes.alerts {
        // By the region and each region above it, so every overseer that covers it hears of it.
        let (chain, _) = replica.read(|engine| {
            engine
                .region(alert.region)
                .map(|r| r.chain.codes().to_vec())
                .unwrap_or_else(|| vec![alert.region])
        });
        let view = alert_view(alert);
        for region in chain {
            hub.publish_view(alerts_topic(region), seq, view.clone());
        }
    }
}

/// The topic of the alerts of a region, its sub-regions included.
pub fn alerts_topic(region: RegionCode) -> String {
    format!("alerts:{region}")
}

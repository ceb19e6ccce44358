//! Live prices and early warnings (rules P-1 to P-5): the engine's analytics fold run off the hot
//! path, on released (durable) events handed over by the replica (a [`Follower`]), rebuilt from the engine's own trades and auctions at start,
//! so a restart reaches the same candles and alerts. Candles and alerts go out on the feed hub
//! (`candles:product:<id>:<1m|1h|1d>`, `candles:category:<code>:<..>`, `index:<category>`,
//! `alerts:<region>`) and
//! are read back over REST; with a database, the history is also written to it (`candles`,
//! `price_index`, `alerts`).
//!
//! Known limit: a trade is judged against the direct-order limit in force when the desk sees it;
//! a rebuild after the operator changed that limit judges older trades by the new one.

mod facts;
mod lifecycle;

use std::sync::{Arc, RwLock};

use engine::analytics::{Alert, Analytics, Candle, Changes, Interval, Series, Thresholds};
use engine::types::{RegionCode, Seq};
use engine::{Engine, Event};
use tokio::sync::{mpsc, watch};

use crate::feed::{Hub, Topic};
use crate::persist::{Database, PriceRows};
use crate::read::{Follower, Replica};
use crate::runtime::Released;

pub use facts::{rebuild, trade as trade_facts};

/// The price desk: analytics kept current from released batches.
#[derive(Debug, Clone)]
pub struct PriceDesk {
    analytics: Arc<RwLock<Analytics>>,
    seq: watch::Receiver<Seq>,
}

impl PriceDesk {
    /// Rebuilds analytics from the replica; the returned follower keeps them current once the
    /// replica hands it batches (see [`crate::read::ReadSide`]).
    pub fn new(
        replica: &Replica,
        hub: Arc<Hub>,
        thresholds: Thresholds,
        db: Option<(Database, tokio::runtime::Handle)>,
    ) -> (Self, Arc<dyn Follower>) {
        let (analytics, at) = replica.read(|engine| rebuild(engine, thresholds));
        let (seq_tx, seq) = watch::channel(at);
        // The history goes to the database from a task of its own: a slow or absent database
        // delays the history, never the live desk. The rebuild is written whole; upserts by key
        // make that idempotent.
        let history = db.map(|(db, writer)| {
            let (tx, rx) = mpsc::unbounded_channel();
            writer.spawn(write_history(db, rx));
            let _ = tx.send(everything(&analytics));
            tx
        });
        let analytics = Arc::new(RwLock::new(analytics));
        let desk = Desk { analytics: analytics.clone(), seq: seq_tx, hub, thresholds, history };
        (Self { analytics, seq }, Arc::new(desk))
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
pub fn candle_view(c: &Candle) -> CandleView {
    CandleView {
        start_ms: c.start.ms(),
        interval: c.interval.name(),
        open: c.open.to_string(),
        high: c.high.to_string(),
        low: c.low.to_string(),
        close: c.close.to_string(),
        volume: c.volume.to_string(),
        amount: c.amount.to_string(),
        trades: c.trades,
    }
}

/// A candle: a series' trade prices over one interval, decimal strings.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CandleView {
    /// Its start, Unix milliseconds.
    pub start_ms: i64,
    /// 1m, 1h or 1d.
    pub interval: &'static str,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    /// Quantity traded.
    pub volume: String,
    /// Amount traded.
    pub amount: String,
    pub trades: u32,
}

/// A day of a category's price index: 100.00 is the products' base prices.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IndexView {
    pub category: String,
    /// The day's start (Asia/Shanghai), Unix milliseconds.
    pub day_ms: i64,
    /// The index, a decimal string with two decimals.
    pub index: String,
    pub trades: u32,
}

/// An early warning.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AlertView {
    /// P-3 or P-4.
    pub rule: &'static str,
    /// abnormal_price, abnormal_bid, split_purchase, few_bidders, identical_bids, bid_rotation.
    pub code: &'static str,
    pub deal: u64,
    pub region: String,
    pub ts_ms: i64,
    pub seq: u64,
    /// The figures behind it, by name, as decimal text.
    pub figures: std::collections::BTreeMap<String, String>,
    pub message: String,
}

/// The API's view of a day of a category's price index.
pub fn index_view(p: &engine::analytics::IndexPoint) -> IndexView {
    IndexView {
        category: p.category.to_string(),
        day_ms: p.day.ms(),
        index: p.value(),
        trades: p.trades,
    }
}

/// The API's view of an alert.
pub fn alert_view(a: &Alert) -> AlertView {
    AlertView {
        rule: a.kind.rule(),
        code: a.kind.code(),
        deal: a.deal.0,
        region: a.region.to_string(),
        ts_ms: a.ts.ms(),
        seq: a.seq.0,
        figures: a.figures.clone(),
        message: a.message.clone(),
    }
}

/// The topic of a series at an interval.
pub fn candle_topic(series: Series, interval: Interval) -> String {
    Topic::Candles(series, interval).to_string()
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
    while let Some(first) = rows.recv().await {
        // Whatever comes within a moment goes in the same transaction, each candle and index day
        // once (see GATHER).
        tokio::time::sleep(crate::persist::persister::GATHER).await;
        let mut batch = PriceRows::default();
        batch.absorb(first);
        while let Ok(more) = rows.try_recv() {
            batch.absorb(more);
        }
        let mut wait = std::time::Duration::from_millis(100);
        while let Err(error) = db.save_prices(&batch).await {
            tracing::warn!(error = %format!("{error:#}"), "writing price history; retrying");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(std::time::Duration::from_secs(5));
        }
    }
}

/// The desk as a follower of the replica: folds each batch's trades, bids and closed auctions into
/// the analytics, reading reference data from the engine as of the batch.
#[derive(Debug)]
struct Desk {
    analytics: Arc<RwLock<Analytics>>,
    seq: watch::Sender<Seq>,
    hub: Arc<Hub>,
    thresholds: Thresholds,
    history: Option<mpsc::UnboundedSender<PriceRows>>,
}

impl Follower for Desk {
    fn batch(&self, engine: &Engine, batch: &[Released]) {
        let at = *self.seq.borrow();
        let Some(last) = batch.last().map(|r| r.seq) else { return };
        if last <= at {
            return;
        }
        let mut out: Vec<(u64, Changes)> = Vec::new();
        {
            let mut a = self.analytics.write().unwrap_or_else(std::sync::PoisonError::into_inner);
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
                        _ => lifecycle::alert_of(engine, envelope)
                            .filter(|alert| !lifecycle::repeats(a.alerts(), alert))
                            .map(|alert| a.raised(alert)),
                    };
                    if let Some(changes) = changes {
                        out.push((record.seq.0, changes));
                    }
                    // A decline may also be the supplier's second within a year (E-1).
                    if let Some(alert) = lifecycle::second_alert_of(engine, envelope)
                        .filter(|alert| !lifecycle::repeats(a.alerts(), alert))
                    {
                        out.push((record.seq.0, a.raised(alert)));
                    }
                }
            }
        }
        self.seq.send_replace(last);
        let mut rows = PriceRows::default();
        for (seq, changes) in out {
            if self.history.is_some() {
                rows.candles.extend(changes.candles.iter().copied());
                rows.index.extend(changes.index);
                rows.alerts.extend(changes.alerts.iter().cloned());
            }
            publish(&self.hub, engine, seq, changes);
        }
        // Each candle and index day once per batch, so that a slow database's queue holds no more.
        rows.keep_newest();
        if let Some(history) = self.history.as_ref().filter(|_| !rows.is_empty()) {
            let _ = history.send(rows);
        }
    }

    fn resync(&self, engine: &Engine) {
        // Rebuilt from the fresh copy rather than guessed at.
        let fresh = rebuild(engine, self.thresholds);
        if let Some(history) = &self.history {
            let _ = history.send(everything(&fresh));
        }
        *self.analytics.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        self.seq.send_replace(engine.seq());
    }
}

fn publish(hub: &Hub, engine: &Engine, seq: u64, changes: Changes) {
    if let Some(point) = &changes.index {
        hub.publish_view(Topic::Index(point.category).to_string(), seq, index_view(point));
    }
    for candle in &changes.candles {
        hub.publish_view(candle_topic(candle.series, candle.interval), seq, candle_view(candle));
    }
    for alert in &changes.alerts {
        // By the region and each region above it, so every overseer that covers it hears of it.
        let chain = engine
            .region(alert.region)
            .map(|r| r.chain.codes().to_vec())
            .unwrap_or_else(|| vec![alert.region]);
        let view = alert_view(alert);
        for region in chain {
            hub.publish_view(alerts_topic(region), seq, view.clone());
        }
    }
}

/// The topic of the alerts of a region, its sub-regions included.
pub fn alerts_topic(region: RegionCode) -> String {
    Topic::Alerts(region).to_string()
}

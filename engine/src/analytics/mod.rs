//! Price analytics and early warnings (rules P-1 to P-5): candles, reference
//! prices as rolling quartiles, and alerts for abnormal prices, split purchases, too few bidders,
//! identical bids and winners rotating within a ring of suppliers.
//!
//! A pure fold, like the engine: [`Analytics::trade`], [`Analytics::bid`] and
//! [`Analytics::auction_closed`] take facts in the order of the engine's sequence and return what
//! changed. The gateway feeds it from released events and, at start, from the engine's own trades
//! and auctions in the same order, so a restart reaches the same candles and alerts. Collections
//! walked in order (candles and index days, alerts) are `Vec`s in arrival order; state looked up
//! by key (each product's and category's desk, spending per project, recent orders) is in an
//! `FxHashMap`, whose fixed hasher varies nothing between runs, and is walked only in sorted
//! order.

mod alerts;
mod candles;
mod index;
mod reference;

pub use alerts::{
    Alert, AlertKind, challenge_unanswered, contract_declined, late_payment, low_score,
    repeated_declines, ruling_overdue,
};
use candles::SeriesCandles;
pub use candles::{Candle, Interval, Series};
pub use index::IndexPoint;
pub use reference::{Quartiles, Window};

use std::collections::{BTreeMap, VecDeque};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::auction::Standing;
use crate::settlement::Trade;
use crate::types::{
    Amount, CategoryCode, DealId, ParticipantId, ProductId, RegionCode, Seq, Timestamp, UnitPrice,
};

/// Thresholds of the early warnings, each with the reason for its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Days of trades a reference price spans. Default 90: a quarter holds enough trades of a
    /// catalog product and follows the market as models age.
    pub window_days: i64,
    /// Fewest prices in the window before prices are judged. Default 5: fewer make quartiles noise.
    pub min_samples: usize,
    /// A trade this far above the upper quartile is abnormal (P-3), in basis points. Default 2000
    /// (20 %): agreement prices of one model differ by a few percent; a fifth more is not chance.
    pub high_margin_bp: i64,
    /// A bid this far below the lower quartile is abnormally low (P-3). Default 3000 (30 %): below
    /// that a supplier is likely selling under cost, which the law asks purchasers to question.
    pub low_margin_bp: i64,
    /// The public-tender threshold for goods (P-4). Default 4,000,000.00 yuan, Zhejiang's.
    pub tender_threshold: Amount,
    /// Days within which orders passing the direct-order limit together count as split (P-4).
    /// Default 7: a week's orders of one thing by one unit are one need.
    pub split_window_days: i64,
    /// Bids within this many basis points of each other count as near-identical. Default 10
    /// (0.1 %): independent suppliers rarely land that close at close.
    pub identical_bp: i64,
    /// Awarded auctions in a row of one category, among the same ring of bidders, that make a
    /// rotation when the win passes around it. Default 4.
    pub rotation_auctions: usize,
    /// Fewest distinct bidders a deal should have had. Default 3, as ask.
    pub min_bidders: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            window_days: 90,
            min_samples: 5,
            high_margin_bp: 2_000,
            low_margin_bp: 3_000,
            tender_threshold: Amount::from_minor(400_000_000),
            split_window_days: 7,
            identical_bp: 10,
            rotation_auctions: 4,
            min_bidders: 3,
        }
    }
}

/// A trade with what analytics needs beside it, resolved by the caller from reference data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeFacts {
    /// The trade.
    pub trade: Trade,
    /// The product's category.
    pub category: CategoryCode,
    /// The region reference prices are kept for (the purchaser's city).
    pub market: RegionCode,
    /// The budget project of the line that paid.
    pub project: String,
    /// The line's fiscal year.
    pub fiscal_year: i32,
    /// The direct-order limit that applied to the purchaser for this category, if any (D-4).
    pub direct_order_limit: Option<Amount>,
}

/// A bid, with its auction's product and market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidFacts {
    /// The auction.
    pub auction: DealId,
    /// Its product.
    pub product: ProductId,
    /// The purchaser's city.
    pub market: RegionCode,
    /// The purchaser's own region, for alerts by region.
    pub region: RegionCode,
    /// The bidder.
    pub bidder: ParticipantId,
    /// The price.
    pub price: UnitPrice,
    /// When, and in which command.
    pub ts: Timestamp,
    /// Sequence of the command.
    pub seq: Seq,
}

/// A closed auction: awarded or failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionFacts {
    /// The auction.
    pub auction: DealId,
    /// Its product's category.
    pub category: CategoryCode,
    /// The purchaser's region.
    pub region: RegionCode,
    /// The winner, when awarded.
    pub winner: Option<ParticipantId>,
    /// Distinct bidders counted at the close.
    pub bidders: u32,
    /// Every bidder's final standing.
    pub standings: Vec<Standing>,
    /// When, and in which command.
    pub ts: Timestamp,
    /// Sequence of the command.
    pub seq: Seq,
}

/// What one fact changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Candles as they stand now.
    pub candles: Vec<Candle>,
    /// Alerts raised.
    pub alerts: Vec<Alert>,
    /// The category price index of the trade's day, as it stands now.
    pub index: Option<IndexPoint>,
}

/// Direct-order spending by one purchaser in one budget project, category and fiscal year.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Yearly {
    total: Amount,
    largest_deal: Amount,
    /// Orders counted; the legs of one order arrive together, so the last one is all it takes.
    deals: usize,
    last_deal: Option<(DealId, Amount)>,
    raised: bool,
}

/// A direct-order trade within the split window: when, of which order, how much.
type RecentOrder = (Timestamp, DealId, Amount);

/// A unit's direct orders of one category within the split window, oldest first, with their sum
/// kept as orders come and go. The check runs on every direct-order trade and a busy unit's week
/// holds thousands of orders: summing them afresh each time made the desk quadratic in them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct RecentOrders {
    orders: VecDeque<RecentOrder>,
    total: Amount,
}

/// What the desk keeps of one product: its candles, its base price in the category index, and its
/// reference window in each market. Every trade of the product touches all three, so they sit
/// together: one lookup and one stretch of memory per trade, where three maps cost three misses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ProductDesk {
    candles: SeriesCandles,
    base: Option<UnitPrice>,
    /// By market; a product trades in a province's few cities.
    windows: Vec<(RegionCode, Window)>,
}

impl ProductDesk {
    fn window(&self, market: RegionCode) -> Option<&Window> {
        self.windows.iter().find(|(m, _)| *m == market).map(|(_, w)| w)
    }

    fn window_mut(&mut self, market: RegionCode) -> &mut Window {
        let at = match self.windows.iter().position(|(m, _)| *m == market) {
            Some(at) => at,
            None => {
                self.windows.push((market, Window::default()));
                self.windows.len() - 1
            }
        };
        &mut self.windows[at].1
    }
}

/// What the desk keeps of a category: its candles and its daily index (P-1), behind one lookup.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct CategoryDesk {
    candles: SeriesCandles,
    index: index::CategoryDays,
}

/// The analytics state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytics {
    thresholds: Thresholds,
    products: FxHashMap<ProductId, ProductDesk>,
    categories: FxHashMap<CategoryCode, CategoryDesk>,
    projects: FxHashMap<String, u32>,
    yearly: FxHashMap<(ParticipantId, u32, CategoryCode, i32), Yearly>,
    recent: FxHashMap<(ParticipantId, CategoryCode), RecentOrders>,
    rings: BTreeMap<CategoryCode, VecDeque<(Vec<ParticipantId>, ParticipantId)>>,
    alerts: Vec<Alert>,
}

const DAY_MS: i64 = 86_400_000;

impl Analytics {
    /// Empty, with these thresholds.
    pub fn new(thresholds: Thresholds) -> Self {
        Self { thresholds, ..Self::default() }
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Candles of a series at an interval starting in `[from, to)`, oldest first.
    pub fn candles(
        &self,
        series: Series,
        interval: Interval,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Iterator<Item = &Candle> {
        let book = match series {
            Series::Product(p) => self.products.get(&p).map(|d| &d.candles),
            Series::Category(c) => self.categories.get(&c).map(|d| &d.candles),
        };
        book.map(|s| s.range(interval, from, to)).unwrap_or_default().iter()
    }

    /// Every candle, by series, interval and start.
    pub fn all_candles(&self) -> impl Iterator<Item = &Candle> {
        let mut products: Vec<_> = self.products.iter().collect();
        products.sort_unstable_by_key(|(id, _)| **id);
        let products = products.into_iter().map(|(_, d)| &d.candles);
        let categories = self.categories_in_order().into_iter().map(|d| &d.candles);
        products.chain(categories).flat_map(SeriesCandles::all)
    }

    /// Every category's desk, by code.
    fn categories_in_order(&self) -> Vec<&CategoryDesk> {
        let mut categories: Vec<_> = self.categories.iter().collect();
        categories.sort_unstable_by_key(|(code, _)| **code);
        categories.into_iter().map(|(_, d)| d).collect()
    }

    /// Every day of every category's index.
    pub fn all_index(&self) -> impl Iterator<Item = &IndexPoint> {
        self.categories_in_order().into_iter().flat_map(|d| d.index.all())
    }

    /// The reference price of a product in a market now.
    pub fn reference(&self, product: ProductId, market: RegionCode) -> Option<Quartiles> {
        self.products.get(&product).and_then(|d| d.window(market)).and_then(Window::quartiles)
    }

    /// Every alert raised, in order.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// A trade was struck: candles move, its price is judged against the reference before it
    /// joins it (P-2, P-3), and direct orders are checked for splitting (P-4).
    pub fn trade(&mut self, facts: &TradeFacts) -> Changes {
        let t = &facts.trade;
        let mut changes = Changes { candles: Vec::with_capacity(6), ..Changes::default() };
        let product = self.products.entry(t.product).or_default();
        let CategoryDesk { candles: category, index } =
            self.categories.entry(facts.category).or_default();
        for (series, book) in [
            (Series::Product(t.product), &mut product.candles),
            (Series::Category(facts.category), category),
        ] {
            for interval in Interval::ALL {
                let candle = book.add(series, interval, t.ts, t.unit_price, t.quantity, t.amount);
                changes.candles.push(candle);
            }
        }
        let base = *product.base.get_or_insert(t.unit_price);
        changes.index = Some(index.add(facts.category, t, base));
        let window = product.window_mut(facts.market);
        window.expire(t.ts.plus_ms(-self.thresholds.window_days * DAY_MS));
        let reference = window.quartiles();
        window.push(t.ts, t.unit_price);
        if let Some(alert) = alerts::abnormal_trade(&self.thresholds, facts, reference) {
            changes.alerts.push(alert);
        }
        if t.mode == crate::settlement::TradeMode::DirectOrder {
            changes.alerts.extend(self.split_purchase(facts));
        }
        self.alerts.extend(changes.alerts.iter().cloned());
        changes
    }

    /// A bid was accepted: judged against the reference of its product and market (P-3).
    pub fn bid(&mut self, facts: &BidFacts) -> Changes {
        let reference = self.reference(facts.product, facts.market);
        let alerts: Vec<_> =
            alerts::abnormal_bid(&self.thresholds, facts, reference).into_iter().collect();
        self.alerts.extend(alerts.iter().cloned());
        Changes { candles: Vec::new(), alerts, index: None }
    }

    /// An auction closed: too few bidders, near-identical bids, and the win passing around a
    /// ring of suppliers (P-4).
    pub fn auction_closed(&mut self, facts: &AuctionFacts) -> Changes {
        let mut alerts = Vec::new();
        alerts.extend(alerts::few_bidders(&self.thresholds, facts));
        alerts.extend(alerts::identical_bids(&self.thresholds, facts));
        if let Some(winner) = facts.winner {
            let mut ring: Vec<_> = facts.standings.iter().map(|s| s.bidder).collect();
            ring.sort_unstable();
            let history = self.rings.entry(facts.category).or_default();
            history.push_back((ring, winner));
            while history.len() > self.thresholds.rotation_auctions {
                history.pop_front();
            }
            if let Some(alert) = alerts::rotation(&self.thresholds, facts, history) {
                history.clear();
                alerts.push(alert);
            }
        }
        self.alerts.extend(alerts.iter().cloned());
        Changes { candles: Vec::new(), alerts, index: None }
    }

    /// An alert raised outside the price rules (P-6, C-2 to C-4): kept with the rest, and given
    /// back as the changes to publish.
    pub fn raised(&mut self, alert: Alert) -> Changes {
        self.alerts.push(alert.clone());
        Changes { candles: Vec::new(), alerts: vec![alert], index: None }
    }

    /// The daily price index of a category for days starting in `[from, to)`, oldest first.
    pub fn index(
        &self,
        category: CategoryCode,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Iterator<Item = &IndexPoint> {
        self.categories.get(&category).map(|d| d.index.range(from, to)).unwrap_or_default().iter()
    }

    /// P-4: a unit's direct orders for one project and category passing the tender threshold in
    /// a fiscal year, or the direct-order limit within a week, while each order stays below it.
    fn split_purchase(&mut self, facts: &TradeFacts) -> Vec<Alert> {
        let t = &facts.trade;
        let mut raised = Vec::new();
        // Projects are named by text; each gets a number once, so the hot key needs no string.
        let project = match self.projects.get(facts.project.as_str()) {
            Some(n) => *n,
            None => {
                let n = u32::try_from(self.projects.len()).unwrap_or(u32::MAX);
                self.projects.insert(facts.project.clone(), n);
                n
            }
        };
        let key = (t.purchaser, project, facts.category, facts.fiscal_year);
        let year = self.yearly.entry(key).or_default();
        let before = year.total;
        year.total = year.total.plus(t.amount);
        let deal = match year.last_deal {
            Some((id, so_far)) if id == t.deal => so_far.plus(t.amount),
            _ => {
                year.deals += 1;
                t.amount
            }
        };
        year.last_deal = Some((t.deal, deal));
        year.largest_deal = year.largest_deal.max(deal);
        let threshold = self.thresholds.tender_threshold;
        if !year.raised
            && before < threshold
            && year.total >= threshold
            && year.largest_deal < threshold
        {
            year.raised = true;
            raised.push(alerts::split_yearly(facts, year.total, threshold, year.deals));
        }
        if let Some(limit) = facts.direct_order_limit {
            let recent = self.recent.entry((t.purchaser, facts.category)).or_default();
            let since = t.ts.plus_ms(-self.thresholds.split_window_days * DAY_MS);
            while let Some((_, _, amount)) = recent.orders.front().copied().filter(|o| o.0 < since)
            {
                recent.orders.pop_front();
                recent.total = recent.total.minus(amount);
            }
            let before = recent.total;
            // The legs of one order arrive together: they add up to one entry per order.
            match recent.orders.back_mut() {
                Some((_, deal, amount)) if *deal == t.deal => *amount = amount.plus(t.amount),
                _ => recent.orders.push_back((t.ts, t.deal, t.amount)),
            }
            recent.total = before.plus(t.amount);
            let total = recent.total;
            // Each order's own size is looked at only when the week's total crosses the limit.
            let crossing = before <= limit && total > limit && recent.orders.len() > 1;
            if crossing && recent.orders.iter().all(|(_, _, a)| *a <= limit) {
                raised.push(alerts::split_window(facts, total, limit, recent.orders.len()));
            }
        }
        raised
    }
}

//! The category price index (P-1): for each day, what the category's trades cost against what the
//! same quantities cost at each product's base price, times 100. A product's base price is the unit
//! price of its first trade; a product first traded later joins at its own first price, so a new
//! model neither lifts nor drops the index on arrival (a linked index). Days are Shanghai days.
//!
//! `index = 100 x sum(price x quantity) / sum(base price x quantity)` over the day's trades,
//! kept as two sums in 0.0000001 yuan and reported in hundredths (10234 is 102.34).

use serde::{Deserialize, Serialize};

use super::Interval;
use crate::settlement::Trade;
use crate::types::{CategoryCode, Timestamp, UnitPrice};

/// One day of a category's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexPoint {
    /// The category.
    pub category: CategoryCode,
    /// The day's start.
    pub day: Timestamp,
    /// The index in hundredths: 10000 is the base, 100.00.
    pub hundredths: i64,
    /// Trades in it.
    pub trades: u32,
    current: i128,
    base: i128,
}

impl IndexPoint {
    /// The index as text, such as "102.34".
    pub fn value(&self) -> String {
        format!("{}.{:02}", self.hundredths / 100, self.hundredths % 100)
    }
}

/// One category's daily index, oldest day first. Trades arrive in the order struck, so a trade
/// almost always moves the newest day or opens the next one: a look at the end of the run, where
/// one ordered map of every category's days was walked from its root for every trade. A product's
/// base price is kept with the rest of what the desk keeps of the product, and handed in with each
/// trade.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct CategoryDays(Vec<IndexPoint>);

impl CategoryDays {
    /// Adds a trade of `category` whose product's base price is `base`; the day's index as it
    /// stands after it.
    pub fn add(&mut self, category: CategoryCode, t: &Trade, base: UnitPrice) -> IndexPoint {
        let day = Interval::Day.start(t.ts);
        let days = &mut self.0;
        // The newest day, or (a trade stamped before it, which the engine's clock does not
        // produce) the day found by its start; a day not found opens in its place.
        let at = match days.last() {
            Some(last) if last.day == day => days.len() - 1,
            Some(last) if last.day < day => days.len(),
            None => 0,
            Some(_) => days.partition_point(|p| p.day < day),
        };
        if days.get(at).is_none_or(|p| p.day != day) {
            let opened =
                IndexPoint { category, day, hundredths: 10_000, trades: 0, current: 0, base: 0 };
            days.insert(at, opened);
        }
        let point = &mut days[at];
        let quantity = i128::from(t.quantity.minor());
        point.current += i128::from(t.unit_price.minor()) * quantity;
        point.base += i128::from(base.minor()) * quantity;
        point.trades += 1;
        if point.base > 0 {
            // Half up to the hundredth.
            let scaled = (point.current * 20_000 + point.base) / (2 * point.base);
            point.hundredths = i64::try_from(scaled).unwrap_or(i64::MAX);
        }
        *point
    }

    /// Every day, oldest first.
    pub fn all(&self) -> &[IndexPoint] {
        &self.0
    }

    /// Days starting in `[from, to)`, oldest first.
    pub fn range(&self, from: Timestamp, to: Timestamp) -> &[IndexPoint] {
        let (first, end) =
            (self.0.partition_point(|p| p.day < from), self.0.partition_point(|p| p.day < to));
        &self.0[first..end.max(first)]
    }
}

//! Candles (P-1): open, high, low, close, volume and amount per product and per category, at one
//! minute, one hour and one day (days in Asia/Shanghai), from trades in the order struck.

use serde::{Deserialize, Serialize};

use crate::types::{Amount, CategoryCode, ProductId, Quantity, Timestamp, UnitPrice};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Shanghai is UTC+8 all year: a day starts at 16:00 UTC the day before.
const SHANGHAI_MS: i64 = 8 * HOUR_MS;

/// A candle's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Interval {
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One day, midnight to midnight in Shanghai.
    Day,
}

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 3] = [Interval::Minute, Interval::Hour, Interval::Day];

    /// Its name in the API.
    pub const fn name(self) -> &'static str {
        match self {
            Interval::Minute => "1m",
            Interval::Hour => "1h",
            Interval::Day => "1d",
        }
    }

    /// The start of the candle holding `ts`.
    pub fn start(self, ts: Timestamp) -> Timestamp {
        match self {
            Interval::Minute => Timestamp(ts.0.div_euclid(MINUTE_MS) * MINUTE_MS),
            Interval::Hour => Timestamp(ts.0.div_euclid(HOUR_MS) * HOUR_MS),
            Interval::Day => {
                Timestamp((ts.0 + SHANGHAI_MS).div_euclid(DAY_MS) * DAY_MS - SHANGHAI_MS)
            }
        }
    }
}

/// What a series of candles follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Series {
    /// One product.
    Product(ProductId),
    /// Every product of a category (the trade's own category).
    Category(CategoryCode),
}

/// One candle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// What it follows.
    pub series: Series,
    /// Its length.
    pub interval: Interval,
    /// Its start.
    pub start: Timestamp,
    /// First unit price.
    pub open: UnitPrice,
    /// Highest unit price.
    pub high: UnitPrice,
    /// Lowest unit price.
    pub low: UnitPrice,
    /// Last unit price.
    pub close: UnitPrice,
    /// Quantity traded.
    pub volume: Quantity,
    /// Amount traded.
    pub amount: Amount,
    /// Trades in it.
    pub trades: u32,
}

impl Candle {
    /// A candle opened by one trade.
    pub fn opened(
        series: Series,
        interval: Interval,
        start: Timestamp,
        price: UnitPrice,
        quantity: Quantity,
        amount: Amount,
    ) -> Self {
        Self {
            series,
            interval,
            start,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: quantity,
            amount,
            trades: 1,
        }
    }

    /// The candle with one more trade.
    pub fn with(mut self, price: UnitPrice, quantity: Quantity, amount: Amount) -> Self {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.volume = Quantity::from_minor(self.volume.minor().saturating_add(quantity.minor()));
        self.amount = self.amount.plus(amount);
        self.trades = self.trades.saturating_add(1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_shanghai() {
        // 2026-06-15 00:30 in Shanghai is 2026-06-14 16:30 UTC.
        let ts = Timestamp::shanghai_midnight(time::macros::date!(2026 - 06 - 15))
            .plus_ms(30 * MINUTE_MS);
        assert_eq!(
            Interval::Day.start(ts),
            Timestamp::shanghai_midnight(time::macros::date!(2026 - 06 - 15))
        );
        assert_eq!(Interval::Hour.start(ts).plus_ms(30 * MINUTE_MS), ts);
        assert_eq!(Interval::Minute.start(ts.plus_ms(59_999)), ts);
    }
}

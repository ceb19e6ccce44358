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

/// The candles of one series at every interval, each run oldest first. Trades arrive in the order
/// struck, so a trade almost always moves the newest candle of each run or opens the next one: both
/// are a look at the run's end, where a tree keyed by (series, interval, start) walked from its root
/// and grew a node for every new minute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SeriesCandles([Vec<Candle>; 3]);

impl SeriesCandles {
    fn run(&self, interval: Interval) -> &[Candle] {
        &self.0[interval as usize]
    }

    /// Adds a trade to the candle of `interval` holding `ts`; the candle as it stands after it.
    pub fn add(
        &mut self,
        series: Series,
        interval: Interval,
        ts: Timestamp,
        price: UnitPrice,
        quantity: Quantity,
        amount: Amount,
    ) -> Candle {
        let start = interval.start(ts);
        let run = &mut self.0[interval as usize];
        // The newest candle, or (a trade stamped before it, which the engine's clock does not
        // produce) the candle found by its start; a start not found opens a candle in its place.
        let at = match run.last() {
            Some(last) if last.start == start => Ok(run.len() - 1),
            Some(last) if last.start < start => Err(run.len()),
            None => Err(0),
            Some(_) => run.binary_search_by_key(&start, |c| c.start),
        };
        match at {
            Ok(i) => {
                run[i] = run[i].with(price, quantity, amount);
                run[i]
            }
            Err(i) => {
                let candle = Candle::opened(series, interval, start, price, quantity, amount);
                run.insert(i, candle);
                candle
            }
        }
    }

    /// Candles of `interval` starting in `[from, to)`, oldest first.
    pub fn range(&self, interval: Interval, from: Timestamp, to: Timestamp) -> &[Candle] {
        let run = self.run(interval);
        let (first, end) =
            (run.partition_point(|c| c.start < from), run.partition_point(|c| c.start < to));
        &run[first..end.max(first)]
    }

    /// Every candle, by interval and start.
    pub fn all(&self) -> impl Iterator<Item = &Candle> {
        self.0.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trade_moves_its_candle_or_opens_one_in_order() {
        let series = Series::Product(crate::types::ProductId(1));
        let mut book = SeriesCandles::default();
        let price = |p| UnitPrice::from_minor(p);
        let (q, a) = (Quantity::from_minor(1_000), Amount::from_minor(100));
        book.add(series, Interval::Minute, Timestamp(120_000), price(10), q, a);
        book.add(series, Interval::Minute, Timestamp(130_000), price(12), q, a);
        book.add(series, Interval::Minute, Timestamp(240_000), price(9), q, a);
        // Stamped before the newest candle: it still lands in its own minute, in order.
        let late = book.add(series, Interval::Minute, Timestamp(60_000), price(11), q, a);
        assert_eq!((late.start, late.trades), (Timestamp(60_000), 1));
        let starts: Vec<_> = book.all().map(|c| (c.start.0, c.trades, c.close.minor())).collect();
        assert_eq!(starts, [(60_000, 1, 11), (120_000, 2, 12), (240_000, 1, 9)]);
        let middle = book.range(Interval::Minute, Timestamp(100_000), Timestamp(240_000));
        assert_eq!(middle.len(), 1);
        assert_eq!((middle[0].high.minor(), middle[0].low.minor()), (12, 10));
        assert!(book.range(Interval::Minute, Timestamp(300_000), Timestamp(0)).is_empty());
        assert!(book.range(Interval::Hour, Timestamp(0), Timestamp(i64::MAX)).is_empty());
    }

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

//! Reference prices (P-2): the quartiles of the unit prices a product traded at in a region over a
//! rolling window. Quartiles interpolate linearly between order statistics (the common "type 7"
//! definition): for n sorted prices, the q-quantile sits at rank h = (n - 1) q, between the prices
//! at floor(h) and floor(h) + 1; the result is rounded half up to the price's 0.0001 yuan.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::types::{Timestamp, UnitPrice};

/// The quartiles of a window of prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quartiles {
    /// Lower quartile.
    pub q1: UnitPrice,
    /// Median.
    pub median: UnitPrice,
    /// Upper quartile.
    pub q3: UnitPrice,
    /// Prices in the window.
    pub samples: usize,
}

/// The prices of one product in one region within the window, oldest first, and the same prices
/// kept sorted, so the quartiles are read off rather than sorted for every trade.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    prices: VecDeque<(Timestamp, UnitPrice)>,
    sorted: Vec<i64>,
}

/// The `numerator / 4` quantile of sorted minor units, rounded half up.
fn quantile(sorted: &[i64], numerator: i64) -> i64 {
    let n = i64::try_from(sorted.len()).unwrap_or(i64::MAX);
    // h = (n - 1) * numerator / 4, kept as a whole part and a remainder in quarters.
    let scaled = (n - 1) * numerator;
    let (whole, quarters) = (scaled / 4, scaled % 4);
    let at = |i: i64| sorted[usize::try_from(i).unwrap_or(0).min(sorted.len() - 1)];
    let (low, high) = (at(whole), at(whole + 1));
    // low + (high - low) * quarters / 4, half up.
    low + ((high - low) * quarters * 2 + 4) / 8
}

impl Window {
    /// Forgets prices older than `since`.
    pub fn expire(&mut self, since: Timestamp) {
        while let Some((_, price)) = self.prices.front().copied().filter(|(ts, _)| *ts < since) {
            self.prices.pop_front();
            if let Ok(at) = self.sorted.binary_search(&price.minor()) {
                self.sorted.remove(at);
            }
        }
    }

    /// Adds a price.
    pub fn push(&mut self, ts: Timestamp, price: UnitPrice) {
        self.prices.push_back((ts, price));
        let at = self.sorted.partition_point(|p| *p <= price.minor());
        self.sorted.insert(at, price.minor());
    }

    /// The quartiles now; none when the window is empty.
    pub fn quartiles(&self) -> Option<Quartiles> {
        if self.prices.is_empty() {
            return None;
        }
        let sorted = &self.sorted;
        Some(Quartiles {
            q1: UnitPrice::from_minor(quantile(sorted, 1)),
            median: UnitPrice::from_minor(quantile(sorted, 2)),
            q3: UnitPrice::from_minor(quantile(sorted, 3)),
            samples: sorted.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(prices: &[i64]) -> Window {
        let mut w = Window::default();
        for (i, p) in prices.iter().enumerate() {
            w.push(Timestamp(i64::try_from(i).unwrap_or(0)), UnitPrice::from_minor(*p));
        }
        w
    }

    #[test]
    fn quartiles_interpolate_between_order_statistics() {
        // 10, 20, 30, 40: h = 0.75, 1.5, 2.25 -> 17.5, 25, 32.5.
        let q = window(&[40, 10, 30, 20]).quartiles().expect("quartiles");
        assert_eq!((q.q1.minor(), q.median.minor(), q.q3.minor(), q.samples), (18, 25, 33, 4));
        // One price is every quartile.
        let q = window(&[70]).quartiles().expect("quartiles");
        assert_eq!((q.q1.minor(), q.median.minor(), q.q3.minor()), (70, 70, 70));
        // 1..=5: h = 1, 2, 3 exactly.
        let q = window(&[5, 4, 3, 2, 1]).quartiles().expect("quartiles");
        assert_eq!((q.q1.minor(), q.median.minor(), q.q3.minor()), (2, 3, 4));
    }

    #[test]
    fn old_prices_leave_the_window() {
        let mut w = window(&[100, 200, 300]);
        w.expire(Timestamp(2));
        assert_eq!(w.quartiles().map(|q| q.samples), Some(1));
    }
}

//! A trade as its parties, and those who oversee its region, see it: the same on REST and on the
//! `trades:` and `orders:` feeds.

use engine::evaluation::Rating;
use engine::settlement::{Trade, TradeRecord};
use serde::Serialize;

/// A settled trade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TradeView {
    /// Its id, such as `T1234-0`.
    pub id: String,
    /// How it was struck: `direct`, `auction`, `inquiry`, `negotiation`, `competition`, `rotation`.
    pub mode: &'static str,
    /// The deal it came from.
    pub deal: u64,
    /// The purchasing unit.
    pub purchaser: u64,
    /// The supplier.
    pub supplier: u64,
    /// The product.
    pub product: u64,
    /// Quantity, a decimal string at the product's scale.
    pub quantity: String,
    /// Unit price, a decimal string.
    pub unit_price: String,
    /// Amount, a decimal string in yuan.
    pub amount: String,
    /// The budget line it is paid from.
    pub budget_line: u64,
    /// The purchaser's region.
    pub region: String,
    /// When, Unix milliseconds.
    pub ts_ms: i64,
    /// The engine sequence that struck it.
    pub seq: u64,
    /// Its settlement state: `struck` until a step is taken.
    pub state: &'static str,
    /// When payment falls due, Unix milliseconds, once accepted (P-6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_due_ms: Option<i64>,
    /// Accepted, unpaid and past its due date (P-6).
    pub overdue: bool,
    /// The purchaser's marks for it, once given (E-1); a trade is rated once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<GivenMarks>,
}

/// The marks a purchaser gave a trade, 1 to 5 each (E-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GivenMarks {
    /// On time and as ordered.
    pub delivery: u8,
    /// The goods or the service itself.
    pub quality: u8,
    /// After-sales service.
    pub service: u8,
}

impl TradeView {
    /// The view of `t`, in its settlement state if known.
    pub fn of(t: &Trade, record: Option<&TradeRecord>) -> Self {
        TradeView {
            id: t.id.to_string(),
            mode: t.mode.name(),
            deal: t.deal.0,
            purchaser: t.purchaser.0,
            supplier: t.supplier.0,
            product: t.product.0,
            quantity: t.quantity.to_string(),
            unit_price: t.unit_price.to_string(),
            amount: t.amount.to_string(),
            budget_line: t.budget_line.0,
            region: t.region.to_string(),
            ts_ms: t.ts.ms(),
            seq: t.seq.0,
            state: record.map_or("struck", |r| r.state.name()),
            payment_due_ms: record.and_then(|r| r.payment_due).map(|due| due.ms()),
            overdue: record.is_some_and(TradeRecord::unpaid_late),
            rating: None,
        }
    }

    /// The view with the purchaser's rating of the trade, if it has one.
    pub fn rated(mut self, rating: Option<&Rating>) -> Self {
        self.rating = rating.map(|r| GivenMarks {
            delivery: r.marks.delivery,
            quality: r.marks.quality,
            service: r.marks.service,
        });
        self
    }
}

//! A trade: every award or fill, with the fields budget reconciliation and OCDS publication need
//! (docs/DESIGN.md, Trades).

use serde::{Deserialize, Serialize};

use super::TradeState;
use crate::types::{
    AgreementId, Amount, BudgetLineId, DealId, ParticipantId, ProductId, Quantity, RegionCode, Seq,
    Timestamp, TradeId, UnitPrice,
};

/// The trading mode that produced a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeMode {
    /// Agreement-supply direct order (协议供货 / 直接订购).
    DirectOrder,
    /// Reverse auction (竞价).
    Auction,
    /// Online inquiry (网上询价).
    Inquiry,
    /// Negotiated purchase (协商采购).
    Negotiation,
}

/// A struck deal between one purchaser and one supplier for one product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Trade id: the striking command's sequence and the leg within it.
    pub id: TradeId,
    /// How the deal was made.
    pub mode: TradeMode,
    /// The order, auction or inquiry.
    pub deal: DealId,
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// The supplier.
    pub supplier: ParticipantId,
    /// The product.
    pub product: ProductId,
    /// The framework agreement filled, for direct orders.
    pub agreement: Option<AgreementId>,
    /// Quantity traded.
    pub quantity: Quantity,
    /// Unit price.
    pub unit_price: UnitPrice,
    /// Amount: price x quantity rounded half-up to the fen.
    pub amount: Amount,
    /// The budget line that pays.
    pub budget_line: BudgetLineId,
    /// The purchaser's region.
    pub region: RegionCode,
    /// Engine time of the strike.
    pub ts: Timestamp,
    /// Engine sequence of the strike.
    pub seq: Seq,
}

/// A trade with where it stands in settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeRecord {
    /// The trade as struck.
    pub trade: Trade,
    /// Settlement state.
    pub state: TradeState,
    /// When the purchaser accepted the delivery; late-payment alerts count from here (P-6).
    pub accepted_ts: Option<Timestamp>,
    /// When payment falls due: the acceptance plus the agreement's payment term (P-6).
    pub payment_due: Option<Timestamp>,
    /// The command at which it fell overdue unpaid, raising its one alert (P-6).
    pub late: Option<Seq>,
    /// The command, and its time, that took it to a final state.
    pub ended: Option<(Seq, Timestamp)>,
}

impl TradeRecord {
    /// A trade just struck.
    pub fn struck(trade: Trade) -> Self {
        Self {
            trade,
            state: TradeState::Struck,
            accepted_ts: None,
            payment_due: None,
            late: None,
            ended: None,
        }
    }

    /// True when accepted, unpaid and past its due date at `now` (P-6).
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.state == TradeState::Accepted && self.payment_due.is_some_and(|due| now >= due)
    }

    /// True when its payment fell overdue (the engine's timer ran) and it is still unpaid: what
    /// the read side shows as overdue, as of the engine's sequence rather than a wall clock.
    pub fn unpaid_late(&self) -> bool {
        self.late.is_some() && self.state == TradeState::Accepted
    }
}

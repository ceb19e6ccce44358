//! Negotiated purchase (协商采购 / 议价, rules N-1 to N-3): a purchasing unit proposes to
//! one agreement supplier a unit price below its live offer for a quantity, with a response
//! deadline, and holds the budget at the proposed amount. The supplier accepts (a trade at that
//! price), rejects, or counters with a price between the proposal and its offer; the purchaser then
//! accepts, rejects, or proposes again between its last proposal and the counter. Counters are
//! capped; the deadline or a rejection releases the hold. Until a trade, a negotiation is private to
//! its two parties (N-3): the feeds publish nothing of it, only the trade.
//!
//! The lifecycle is one transition table ([`NegotiationState::after`]); whose turn it is follows
//! from the state.

mod talks;

pub use talks::NegotiationRules;

use serde::{Deserialize, Serialize};

use crate::catalog::RegionChain;
use crate::types::{
    AgreementId, Amount, BudgetLineId, DealId, ParticipantId, ProductId, Quantity, Seq, Timestamp,
    TradeId, UnitPrice,
};

/// Counters a supplier may make in one negotiation unless the operator sets otherwise.
pub const DEFAULT_MAX_COUNTERS: u32 = 2;
/// The latest response deadline a proposal may set: thirty days out.
pub const MAX_RESPONSE_MS: i64 = 30 * 86_400_000;

/// What a purchaser proposes (N-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The supplier's agreement for the product.
    pub agreement: AgreementId,
    /// Quantity.
    pub quantity: Quantity,
    /// The budget line that pays.
    pub budget_line: BudgetLineId,
    /// The unit price proposed, below the supplier's live offer.
    pub price: UnitPrice,
    /// The supplier answers by then, or the negotiation expires.
    pub respond_by: Timestamp,
}

/// Where a negotiation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NegotiationState {
    /// The purchaser's price is on the table: the supplier's turn.
    Proposed,
    /// The supplier's counter is on the table: the purchaser's turn.
    Countered,
    /// Accepted: a trade was struck at the price on the table.
    Accepted,
    /// Rejected by the party whose turn it was; the hold was released.
    Rejected,
    /// The response deadline passed; the hold was released.
    Expired,
}

/// What moves a negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegotiationStep {
    /// The supplier counters.
    Counter,
    /// The purchaser proposes again after a counter.
    Propose,
    /// The party whose turn it is accepts.
    Accept,
    /// The party whose turn it is rejects.
    Reject,
    /// The deadline came.
    Expire,
}

/// Who acts in a negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    /// The purchasing unit.
    Purchaser,
    /// The agreement supplier.
    Supplier,
}

impl NegotiationState {
    /// The transition table: the state after `step`, or `None` when it does not apply.
    pub const fn after(self, step: NegotiationStep) -> Option<NegotiationState> {
        use NegotiationState as S;
        use NegotiationStep as E;
        match (self, step) {
            (S::Proposed, E::Counter) => Some(S::Countered),
            (S::Countered, E::Propose) => Some(S::Proposed),
            (S::Proposed | S::Countered, E::Accept) => Some(S::Accepted),
            (S::Proposed | S::Countered, E::Reject) => Some(S::Rejected),
            (S::Proposed | S::Countered, E::Expire) => Some(S::Expired),
            (S::Proposed, E::Propose)
            | (S::Countered, E::Counter)
            | (S::Accepted | S::Rejected | S::Expired, _) => None,
        }
    }

    /// Whose turn it is, while the negotiation is open.
    pub const fn turn(self) -> Option<Party> {
        match self {
            Self::Proposed => Some(Party::Supplier),
            Self::Countered => Some(Party::Purchaser),
            Self::Accepted | Self::Rejected | Self::Expired => None,
        }
    }
}

/// One price put on the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// Who put it.
    pub by: Party,
    /// The unit price.
    pub price: UnitPrice,
    /// Sequence of the command.
    pub seq: Seq,
    /// Engine time of the command.
    pub at: Timestamp,
}

/// A negotiation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiation {
    /// Id; also the deal id.
    pub id: DealId,
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// Its region.
    pub region: RegionChain,
    /// The supplier.
    pub supplier: ParticipantId,
    /// The product.
    pub product: ProductId,
    /// What was proposed first.
    pub proposal: Proposal,
    /// The supplier's live offer when proposed: a counter may not go above it (N-2).
    pub offer: UnitPrice,
    /// Every price put on the table, in order; the last is the one an acceptance takes.
    pub moves: Vec<Move>,
    /// Counters made so far.
    pub counters: u32,
    /// Budget held: the price on the table x quantity.
    pub hold: Amount,
    /// Where it stands.
    pub state: NegotiationState,
    /// The trade, once accepted.
    pub trade: Option<TradeId>,
}

impl Negotiation {
    /// The price on the table.
    pub fn price(&self) -> UnitPrice {
        self.moves.last().map_or(self.proposal.price, |m| m.price)
    }

    /// The last price the purchaser proposed.
    pub fn purchaser_price(&self) -> UnitPrice {
        let mine = self.moves.iter().rev().find(|m| m.by == Party::Purchaser);
        mine.map_or(self.proposal.price, |m| m.price)
    }

    /// The deadline the engine keeps for it while open.
    pub(crate) fn deadline(&self) -> Option<crate::auction::Deadline> {
        self.state
            .turn()
            .map(|_| crate::auction::Deadline { at: self.proposal.respond_by, deal: self.id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_admit_no_step_and_turns_alternate() {
        use NegotiationStep as E;
        for state in
            [NegotiationState::Accepted, NegotiationState::Rejected, NegotiationState::Expired]
        {
            for step in [E::Counter, E::Propose, E::Accept, E::Reject, E::Expire] {
                assert_eq!(state.after(step), None);
            }
            assert_eq!(state.turn(), None);
        }
        assert_eq!(NegotiationState::Proposed.turn(), Some(Party::Supplier));
        assert_eq!(NegotiationState::Countered.turn(), Some(Party::Purchaser));
        assert_eq!(
            NegotiationState::Proposed.after(E::Propose),
            None,
            "a proposal awaits its answer"
        );
        assert_eq!(NegotiationState::Countered.after(E::Counter), None, "so does a counter");
    }
}

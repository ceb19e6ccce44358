//! Reverse auctions (竞价, rules ): a purchaser opens an auction for a quantity of a catalog
//! product under a ceiling; eligible suppliers bid prices down by at least a minimum step; a bid in
//! the last window extends the end, up to a cap; at the close the lowest bid wins if enough distinct
//! legal entities took part.
//!
//! The lifecycle is one transition table ([`AuctionState::after`]). Time enters only through
//! commands: before each command the engine runs the deadlines due (starts and closes), and the
//! gateway sends a `Tick` at [`crate::Engine::next_deadline`].

mod bid;
mod close;
mod open;

use serde::{Deserialize, Serialize};

use crate::catalog::RegionChain;
use crate::types::{
    Amount, BudgetLineId, CategoryCode, DealId, ParticipantId, ProductId, Quantity, Seq, Timestamp,
    UnitPrice,
};

/// The minimum step by which a bid must undercut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MinStep {
    /// A fixed unit-price step.
    Price(UnitPrice),
    /// A share of the ceiling in basis points (1/100 of a percent), fixed in money at opening.
    Basis(u32),
}

/// What bidders learn while the auction runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Disclosure {
    /// Each bidder sees its own rank and the number of bidders.
    RankOnly,
    /// Also the best price.
    BestPrice,
}

/// Who may bid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Eligibility {
    /// Suppliers holding a valid agreement for the product that covers the purchaser's region.
    AgreementHolders,
    /// Only these suppliers.
    Invited(Vec<ParticipantId>),
}

/// What a purchaser gives to open an auction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionSpec {
    /// The product.
    pub product: ProductId,
    /// Quantity; one winner takes it all.
    pub quantity: Quantity,
    /// The budget line that pays.
    pub budget_line: BudgetLineId,
    /// Ceiling unit price (最高限价).
    pub ceiling: UnitPrice,
    /// Bidding opens.
    pub starts: Timestamp,
    /// Bidding closes, before any extension; a bid at exactly the end is late.
    pub ends: Timestamp,
    /// Minimum step.
    pub min_step: MinStep,
    /// A bid this close to the end extends it.
    pub soft_close_ms: i64,
    /// By how much: the end moves to at least receipt + extension.
    pub extension_ms: i64,
    /// The end never moves past the scheduled end plus this.
    pub max_extension_ms: i64,
    /// Fewest distinct legal entities for an award (default 3).
    pub min_bidders: u32,
    /// What bidders learn.
    pub disclosure: Disclosure,
    /// A bid must also be a step below the current best.
    pub must_beat_best: bool,
    /// Who may bid.
    pub eligibility: Eligibility,
}

/// Where an auction stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuctionState {
    /// Opened, bidding not yet started.
    Scheduled,
    /// Taking bids (in its last window, bids extend the end).
    Open,
    /// Closed with a winner; a trade was struck.
    Awarded,
    /// Closed without enough bidders (流标); the budget was released.
    Failed,
    /// Cancelled; the budget was released.
    Cancelled,
}

/// What moves an auction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuctionStep {
    /// The start time came.
    Start,
    /// The end came with enough bidders.
    Award,
    /// The end came without enough bidders.
    Fail,
    /// The purchaser or an operator cancelled.
    Cancel,
}

impl AuctionState {
    /// The transition table: the state after `step`, or `None` when it does not apply.
    pub const fn after(self, step: AuctionStep) -> Option<AuctionState> {
        use AuctionState as S;
        use AuctionStep as E;
        match (self, step) {
            (S::Scheduled, E::Start) => Some(S::Open),
            (S::Open, E::Award) => Some(S::Awarded),
            (S::Open, E::Fail) => Some(S::Failed),
            (S::Scheduled | S::Open, E::Cancel) => Some(S::Cancelled),
            (S::Scheduled, E::Award | E::Fail)
            | (S::Open, E::Start)
            | (S::Awarded | S::Failed | S::Cancelled, _) => None,
        }
    }
}

/// A bidder's standing bid: its latest, always its lowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The supplier.
    pub bidder: ParticipantId,
    /// The product it offers: the auction's, or in a category auction the one its bid names.
    pub product: ProductId,
    /// Its bid.
    pub price: UnitPrice,
    /// Sequence of the command that placed it: its receipt order.
    pub receipt: Seq,
    /// Engine time of its receipt.
    pub at: Timestamp,
}

/// How an auction ended: by which command, when, and with how many bidders counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// Sequence of the command whose deadline closed it, or that cancelled it.
    pub seq: Seq,
    /// Engine time of that command.
    pub ts: Timestamp,
    /// Distinct legal entities counted at the close.
    pub bidders: u32,
}

/// A deadline the engine keeps, of an auction or an inquiry. Field order is the order deadlines
/// run in: by time, then deal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Deadline {
    pub at: Timestamp,
    pub deal: DealId,
}

/// An auction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auction {
    /// Id; also the deal id.
    pub id: DealId,
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// Its region, for eligibility.
    pub region: RegionChain,
    /// What was opened. In a category auction its product is the one the specification
    /// describes; bids may name any product of the category.
    pub spec: AuctionSpec,
    /// The category, for an auction over a category.
    pub category: Option<CategoryCode>,
    /// The minimum step in money.
    pub step: UnitPrice,
    /// Budget held at opening: ceiling x quantity.
    pub hold: Amount,
    /// Current end, extensions included.
    pub end: Timestamp,
    /// Where it stands.
    pub state: AuctionState,
    /// Standing bids, one per bidder, in order of first bid.
    pub standings: Vec<Standing>,
    /// Every accepted bid, in receipt order: what the results publish after the close.
    pub bids: Vec<Standing>,
    /// How it ended, once it has.
    pub closed: Option<Closure>,
    /// Reserved for small and medium enterprises (S-2).
    pub reserved: bool,
}

impl Auction {
    /// Standing bids in rank order: lower price first, equal prices by earlier receipt.
    pub fn ranking(&self) -> Vec<Standing> {
        let mut ranked = self.standings.clone();
        ranked.sort_by_key(|s| (s.price, s.receipt));
        ranked
    }

    /// The best standing bid.
    pub fn best(&self) -> Option<Standing> {
        self.standings.iter().copied().min_by_key(|s| (s.price, s.receipt))
    }

    /// The next deadline: the start while scheduled, the end while open.
    pub(crate) fn deadline(&self) -> Option<Deadline> {
        match self.state {
            AuctionState::Scheduled => Some(Deadline { at: self.spec.starts, deal: self.id }),
            AuctionState::Open => Some(Deadline { at: self.end, deal: self.id }),
            AuctionState::Awarded | AuctionState::Failed | AuctionState::Cancelled => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_admit_no_step() {
        for state in [AuctionState::Awarded, AuctionState::Failed, AuctionState::Cancelled] {
            for step in
                [AuctionStep::Start, AuctionStep::Award, AuctionStep::Fail, AuctionStep::Cancel]
            {
                assert_eq!(state.after(step), None);
            }
        }
        assert_eq!(AuctionState::Scheduled.after(AuctionStep::Start), Some(AuctionState::Open));
        assert_eq!(AuctionState::Scheduled.after(AuctionStep::Award), None);
    }
}

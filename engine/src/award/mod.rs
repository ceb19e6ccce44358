//! After the award (rules C-1 to C-5; 政府采购法 Art. 52-57): the award of an auction, inquiry or
//! secondary competition is provisional through its challenge period; suppliers that took part may
//! challenge it, the purchaser answers, a challenger may complain to the regulator of the deal's
//! region; an upheld challenge or complaint annuls the award, as a declined contract vacates it, and
//! the purchaser then awards the next valid bid or quote in rank order, or fails the deal.
//!
//! The award's lifecycle is one transition table ([`AwardState::after`]):
//!
//! ```text
//! Provisional --Finalize--> Final        (period over, no challenge open, not suspended)
//! Provisional --Annul-----> Vacant       (a challenge or complaint upheld)
//! Provisional | Final --Vacate--> Vacant (the winner declined, or an operator cancelled)
//! Final --Annul--> Vacant                (a complaint upheld before any payment)
//! Vacant --AwardNext--> Provisional      (the next valid bid or quote, at its own price)
//! Vacant --Fail--> Failed                (the budget is released)
//! ```
//! Each challenge has its own table ([`ChallengeState::after`]). Deadlines (the period's end, an
//! answer due, a ruling due, a payment due) are the engine's timers ([`Timer`]).

mod challenge;
mod next;
mod timers;

use serde::{Deserialize, Serialize};

pub use challenge::{Challenge, ChallengeState, ChallengeStep};
pub use next::Vacancy;
pub(crate) use timers::{Timer, TimerKind};

use crate::catalog::RegionChain;
use crate::settlement::TradeMode;
use crate::types::{
    AgreementId, Amount, BudgetLineId, DealId, ParticipantId, ProductId, Quantity, Timestamp,
    TradeId, UnitPrice,
};

/// The challenge period (C-1) and the purchaser's time to answer (C-2): 7 working days each.
pub const CHALLENGE_WORKING_DAYS: u32 = 7;
/// The time to complain after an answer, or after the answer was due (C-3): 15 working days.
pub const COMPLAINT_WORKING_DAYS: u32 = 15;
/// The regulator's time to rule on a complaint (C-3): 30 working days.
pub const RULING_WORKING_DAYS: u32 = 30;

/// Where an award stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AwardState {
    /// Within its challenge period, or held there by an open challenge or a suspension (C-1).
    Provisional,
    /// Final: the contract may be performed.
    Final,
    /// Annulled, or declined by the winner: the purchaser awards the next-ranked or fails (C-4).
    Vacant,
    /// The purchaser failed the deal after a vacancy; its budget was released.
    Failed,
}

/// What moves an award.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwardStep {
    /// The period ended with no challenge open and no suspension.
    Finalize,
    /// A challenge or complaint was upheld.
    Annul,
    /// The winner declined the contract, or an operator cancelled it.
    Vacate,
    /// The purchaser awarded the next valid bid or quote.
    AwardNext,
    /// The purchaser failed the deal.
    Fail,
}

impl AwardState {
    /// The transition table: the state after `step`, or `None` when it does not apply.
    pub const fn after(self, step: AwardStep) -> Option<AwardState> {
        use AwardState as S;
        use AwardStep as E;
        match (self, step) {
            (S::Provisional, E::Finalize) => Some(S::Final),
            (S::Provisional | S::Final, E::Annul | E::Vacate) => Some(S::Vacant),
            (S::Vacant, E::AwardNext) => Some(S::Provisional),
            (S::Vacant, E::Fail) => Some(S::Failed),
            (S::Provisional, E::AwardNext | E::Fail)
            | (S::Final, E::Finalize | E::AwardNext | E::Fail)
            | (S::Vacant, E::Finalize | E::Annul | E::Vacate)
            | (S::Failed, _) => None,
        }
    }
}

/// A valid bid or quote, in rank order: who, at what price per line, for what total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The supplier.
    pub supplier: ParticipantId,
    /// The product it offers where that is its own choice: a category auction's bid (A-1).
    pub product: Option<ProductId>,
    /// Its unit price per line of the deal, in line order.
    pub prices: Vec<UnitPrice>,
    /// Its total: the sum over lines of price x quantity, each rounded to the fen.
    pub amount: Amount,
    /// The framework agreement under which it took part, when it took part as a holder.
    pub agreement: Option<AgreementId>,
    /// Awarded once and annulled or declined, or found no longer valid when the next was sought.
    pub passed: bool,
}

/// One line of what an award buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardLine {
    /// The product.
    pub product: ProductId,
    /// Quantity.
    pub quantity: Quantity,
}

/// The award of one deal and all that follows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    /// The auction or inquiry.
    pub deal: DealId,
    /// Its mode.
    pub mode: TradeMode,
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// The purchaser's region: whose regulator hears complaints (C-3).
    pub region: RegionChain,
    /// The budget line that pays.
    pub budget_line: BudgetLineId,
    /// What it buys.
    pub lines: Vec<AwardLine>,
    /// Valid bids or quotes in rank order (A-3, Q-4).
    pub ranking: Vec<Candidate>,
    /// Suppliers that took part and so may challenge (C-2), sorted.
    pub participants: Vec<ParticipantId>,
    /// Where it stands.
    pub state: AwardState,
    /// The rank (index into `ranking`) of the current or last award.
    pub rank: usize,
    /// The trades of the current or last award.
    pub trades: Vec<TradeId>,
    /// When the current award's results were published: its strike.
    pub published: Timestamp,
    /// When its challenge period ends (C-1).
    pub period_ends: Timestamp,
    /// A regulator's suspension (Art. 57), with its reason, until the complaint is ruled on.
    pub suspended: Option<String>,
    /// Challenges, in the order filed.
    pub challenges: Vec<Challenge>,
}

impl Award {
    /// The current winner.
    pub fn winner(&self) -> Option<&Candidate> {
        self.ranking.get(self.rank)
    }

    /// True when `supplier` took part in the deal.
    pub fn took_part(&self, supplier: ParticipantId) -> bool {
        self.participants.binary_search(&supplier).is_ok()
    }

    /// True while a challenge waits for the purchaser's answer: the award stays provisional (C-2).
    pub fn challenge_open(&self) -> bool {
        self.challenges.iter().any(|c| c.state.is_open())
    }

    /// The challenge of `supplier`.
    pub fn challenge(&self, supplier: ParticipantId) -> Option<&Challenge> {
        self.challenges.iter().find(|c| c.challenger == supplier)
    }

    /// True when settlement may start: final and not suspended (C-1, Art. 57).
    pub fn settles(&self) -> bool {
        self.state == AwardState::Final && self.suspended.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [AwardState; 4] =
        [AwardState::Provisional, AwardState::Final, AwardState::Vacant, AwardState::Failed];
    const STEPS: [AwardStep; 5] = [
        AwardStep::Finalize,
        AwardStep::Annul,
        AwardStep::Vacate,
        AwardStep::AwardNext,
        AwardStep::Fail,
    ];

    #[test]
    fn only_a_failed_award_admits_no_step() {
        for state in STATES {
            let any = STEPS.iter().any(|step| state.after(*step).is_some());
            assert_eq!(any, state != AwardState::Failed, "{state:?}");
        }
    }

    #[test]
    fn a_vacancy_is_filled_by_the_next_ranked_or_ends_the_deal() {
        let vacant = AwardState::Provisional.after(AwardStep::Annul);
        assert_eq!(vacant, Some(AwardState::Vacant));
        assert_eq!(AwardState::Vacant.after(AwardStep::AwardNext), Some(AwardState::Provisional));
        assert_eq!(AwardState::Vacant.after(AwardStep::Fail), Some(AwardState::Failed));
        assert_eq!(AwardState::Final.after(AwardStep::Finalize), None);
    }
}

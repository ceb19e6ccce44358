//! Online inquiry rounds (网上询价, rules ): a purchaser invites at least three suppliers
//! to quote a unit price per line, sealed, by a deadline; at the deadline the quotes are fixed and
//! opened in two steps (who quoted, then what), checked against their commitments, and the lowest
//! compliant total wins when at least three unaffiliated suppliers took part. A failed round may be
//! followed by another, with a new deadline and more invitees, up to the purchaser's limit.
//!
//! The lifecycle is one transition table ([`InquiryState::after`]). Time enters through commands:
//! the deadline closes the round (run before any command at or after it); the gateway then sends
//! the round's keys, one layer at a time (see [`seal`]).

mod calendar;
mod open;
mod opening;
mod quote;
pub use quote::MAX_SUBMISSIONS_PER_SUPPLIER;
pub mod seal;

pub use calendar::{Calendar, DEFAULT_NOTICE_WORKING_DAYS};

use serde::{Deserialize, Serialize};

use crate::catalog::RegionChain;
use crate::types::{
    Amount, BudgetLineId, DealId, ParticipantId, ProductId, Quantity, Seq, Timestamp, UnitPrice,
    UserId,
};
use seal::{Commitment, KeyCheck, QuoteContent, SealedQuote};

/// Fewest distinct, unaffiliated, active suppliers for a round to open and for an award.
pub const MIN_QUOTES: usize = 3;
/// Most rounds an inquiry may run.
pub const MAX_ROUNDS: u32 = 5;
/// Most lines on one inquiry.
pub const MAX_LINES: usize = 50;
/// Most suppliers invited to one inquiry.
pub const MAX_INVITED: usize = 200;

/// One line of an inquiry: what is wanted, how much, and the most the purchaser pays a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryLine {
    /// The product.
    pub product: ProductId,
    /// Quantity.
    pub quantity: Quantity,
    /// Ceiling unit price (最高限价); a quote above it on any line is invalid.
    pub ceiling: UnitPrice,
}

/// What a purchaser gives to open an inquiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquirySpec {
    /// The lines, at least one.
    pub lines: Vec<InquiryLine>,
    /// The budget line that pays.
    pub budget_line: BudgetLineId,
    /// Quotes close; a quote at exactly the deadline is late.
    pub deadline: Timestamp,
    /// The suppliers invited, at least three.
    pub invited: Vec<ParticipantId>,
    /// How many rounds it may run, from 1 to [`MAX_ROUNDS`].
    pub max_rounds: u32,
}

/// What kind of sealed round an inquiry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InquiryKind {
    /// An online inquiry among the suppliers the purchaser invites.
    Inquiry,
    /// A secondary competition (二次竞价, N-4): one sealed price from every supplier holding a
    /// valid agreement for the product that covers the purchaser's region, each under the ceiling
    /// of its own agreement.
    SecondaryCompetition,
}

/// What a purchaser gives to open a secondary competition (N-4): the invitees and the ceiling
/// follow from the agreements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompetitionSpec {
    /// The product.
    pub product: ProductId,
    /// Quantity.
    pub quantity: Quantity,
    /// The budget line that pays.
    pub budget_line: BudgetLineId,
    /// Quotes close.
    pub deadline: Timestamp,
}

/// Where an inquiry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InquiryState {
    /// The current round takes sealed quotes until its deadline.
    Collecting,
    /// The deadline passed: quotes are fixed; the author key is awaited.
    Closed,
    /// Enough suppliers quoted; the content key is awaited.
    Counted,
    /// The round failed; the purchaser may open the next or end the inquiry.
    RoundFailed,
    /// Awarded; trades were struck.
    Awarded,
    /// Failed for good; the budget was released.
    Failed,
    /// Cancelled before its deadline; the budget was released.
    Cancelled,
}

/// What moves an inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InquiryStep {
    /// The deadline came.
    Deadline,
    /// The authors opened and enough suppliers quoted.
    Count,
    /// The authors opened and too few suppliers quoted: the round fails unopened.
    FailUnopened,
    /// The prices opened with enough valid quotes.
    Award,
    /// The prices opened with too few valid quotes.
    FailOpened,
    /// The purchaser opened the next round.
    NextRound,
    /// The purchaser ended the inquiry after a failed round, or no round was left.
    End,
    /// The purchaser or an operator cancelled it before the deadline.
    Cancel,
}

impl InquiryState {
    /// The transition table: the state after `step`, or `None` when it does not apply.
    pub const fn after(self, step: InquiryStep) -> Option<InquiryState> {
        use InquiryState as S;
        use InquiryStep as E;
        match (self, step) {
            (S::Collecting, E::Deadline) => Some(S::Closed),
            (S::Collecting, E::Cancel) => Some(S::Cancelled),
            (S::Closed, E::Count) => Some(S::Counted),
            (S::Closed, E::FailUnopened) | (S::Counted, E::FailOpened) => Some(S::RoundFailed),
            (S::Counted, E::Award) => Some(S::Awarded),
            (S::RoundFailed, E::NextRound) => Some(S::Collecting),
            (S::RoundFailed, E::End) => Some(S::Failed),
            (S::Collecting, _)
            | (S::Closed, _)
            | (S::Counted, _)
            | (S::RoundFailed, _)
            | (S::Awarded | S::Failed | S::Cancelled, _) => None,
        }
    }

    /// True while the inquiry may still end in a trade.
    pub const fn is_live(self) -> bool {
        matches!(self, Self::Collecting | Self::Closed | Self::Counted | Self::RoundFailed)
    }
}

/// A sealed submission as kept: the envelope, and when the engine received it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// The sealed quote or withdrawal.
    pub sealed: SealedQuote,
    /// Sequence of the command that submitted it: its receipt order.
    pub receipt: Seq,
    /// Engine time of its receipt.
    pub at: Timestamp,
}

/// Why an opened quote does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuoteDefect {
    /// A line's price is above its ceiling.
    AboveCeiling {
        /// The first such line, from 0.
        line: u32,
    },
    /// A price is zero, or the number of prices is not the number of lines.
    Malformed,
    /// The opened quote does not match its commitment: it changed after its receipt.
    CommitmentMismatch,
    /// The sealed bytes did not open under the round's key.
    Unreadable,
}

/// A supplier's final quote in a round, once its authors are known: the last submission decides
/// (a replacement supersedes, a withdrawal takes the quote back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quoter {
    /// The supplier.
    pub supplier: ParticipantId,
    /// Who submitted its final submission.
    pub user: UserId,
    /// Which submission of the round is its final one.
    pub submission: u32,
    /// How many submissions (replacements and withdrawals included) it made.
    pub submissions: u32,
    /// True when its final submission withdrew.
    pub withdrawn: bool,
    /// Why it does not count toward the quorum (inactive, not invited, affiliate), if so.
    pub excluded: Option<Exclusion>,
}

/// Why a supplier's quote is set aside before the prices open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exclusion {
    /// It withdrew its quote.
    Withdrawn,
    /// It was not invited to the round.
    NotInvited,
    /// It is suspended (or no longer a supplier).
    Inactive,
    /// N-4: its agreement for the product lapsed or was revoked before the opening.
    AgreementLapsed,
    /// An affiliate's quote was submitted first: affiliated suppliers count once (实施条例 Art. 18).
    Affiliate {
        /// The affiliate whose quote counts.
        of: ParticipantId,
    },
}

/// A quote as published after its opening: its author, prices, total, the commitment and the
/// nonce that let anyone recompute it, and whether it counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedQuote {
    /// The supplier.
    pub supplier: ParticipantId,
    /// What it quoted and the commitment's nonce.
    pub content: Option<QuoteContent>,
    /// The total over the lines, rounded per line (docs/DESIGN.md, Units).
    pub total: Option<Amount>,
    /// The receipt's commitment.
    pub commitment: Commitment,
    /// Sequence and time of its final submission: ties go to the earlier.
    pub receipt: Seq,
    /// Engine time of its final submission.
    pub at: Timestamp,
    /// Why it is invalid, if it is.
    pub defect: Option<QuoteDefect>,
}

/// How a round ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoundOutcome {
    /// Fewer than three distinct, unaffiliated, active suppliers quoted: not opened.
    FailedUnopened {
        /// Suppliers counted.
        suppliers: u32,
    },
    /// Opened, with fewer than three valid quotes.
    FailedOpened {
        /// Valid quotes.
        valid: u32,
    },
    /// Opened and awarded.
    Awarded {
        /// The winner.
        winner: ParticipantId,
        /// Its total.
        amount: Amount,
    },
    /// The inquiry was cancelled during the round.
    Cancelled,
}

/// One round of an inquiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// Its number, from 1.
    pub number: u32,
    /// Quotes close.
    pub deadline: Timestamp,
    /// Who may quote, sorted.
    pub invited: Vec<ParticipantId>,
    /// Every sealed submission, in receipt order.
    pub submissions: Vec<Submission>,
    /// The fingerprints every submission of the round was sealed under (set by the first).
    pub keys: Option<(KeyCheck, KeyCheck)>,
    /// The final quote per supplier, once the authors opened.
    pub quoters: Vec<Quoter>,
    /// The quotes, once the prices opened.
    pub opened: Vec<OpenedQuote>,
    /// Each valid total as ranked, after the small-enterprise deduction where it applied (S-2).
    pub evaluated: Vec<(ParticipantId, Amount)>,
    /// How it ended, once it has.
    pub outcome: Option<RoundOutcome>,
}

/// An inquiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inquiry {
    /// Id; also the deal id.
    pub id: DealId,
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// Its region.
    pub region: RegionChain,
    /// What was opened.
    pub spec: InquirySpec,
    /// An inquiry, or a secondary competition among agreement holders.
    pub kind: InquiryKind,
    /// Budget held: the sum of ceiling x quantity over the lines.
    pub hold: Amount,
    /// Where it stands.
    pub state: InquiryState,
    /// Its rounds, the current last.
    pub rounds: Vec<Round>,
    /// Sequence and time of the command that ended it, once it has.
    pub ended: Option<(Seq, Timestamp)>,
    /// Reserved for small and medium enterprises: every invitee is one (S-2).
    pub reserved: bool,
}

impl Inquiry {
    /// The current round.
    pub fn round(&self) -> &Round {
        // An inquiry is created with its first round and rounds are never removed.
        self.rounds.last().unwrap_or_else(|| unreachable!("an inquiry always has a round"))
    }

    fn round_mut(&mut self) -> &mut Round {
        self.rounds.last_mut().unwrap_or_else(|| unreachable!("an inquiry always has a round"))
    }

    /// The current round's number.
    pub fn round_number(&self) -> u32 {
        self.round().number
    }

    /// True when `supplier` is invited to the current round.
    pub fn invites(&self, supplier: ParticipantId) -> bool {
        self.round().invited.binary_search(&supplier).is_ok()
    }

    /// True when the inquiry waits for the current round's author key.
    pub fn awaits_author_key(&self) -> bool {
        self.state == InquiryState::Closed
    }

    /// True when the inquiry waits for the current round's content key.
    pub fn awaits_content_key(&self) -> bool {
        self.state == InquiryState::Counted
    }

    /// The deadline the engine keeps for it: the current round's, while collecting.
    pub(crate) fn deadline(&self) -> Option<crate::auction::Deadline> {
        (self.state == InquiryState::Collecting)
            .then(|| crate::auction::Deadline { at: self.round().deadline, deal: self.id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [InquiryStep; 8] = [
        InquiryStep::Deadline,
        InquiryStep::Count,
        InquiryStep::FailUnopened,
        InquiryStep::Award,
        InquiryStep::FailOpened,
        InquiryStep::NextRound,
        InquiryStep::End,
        InquiryStep::Cancel,
    ];

    #[test]
    fn final_states_admit_no_step_and_quotes_close_before_they_open() {
        for state in [InquiryState::Awarded, InquiryState::Failed, InquiryState::Cancelled] {
            assert!(STEPS.iter().all(|step| state.after(*step).is_none()));
        }
        assert_eq!(InquiryState::Collecting.after(InquiryStep::Count), None);
        assert_eq!(InquiryState::Collecting.after(InquiryStep::Award), None);
        assert_eq!(InquiryState::Closed.after(InquiryStep::Award), None);
        assert_eq!(InquiryState::Closed.after(InquiryStep::Cancel), None, "no cancel once fixed");
        assert_eq!(
            InquiryState::RoundFailed.after(InquiryStep::NextRound),
            Some(InquiryState::Collecting)
        );
    }
}

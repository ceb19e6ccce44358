//! Business rejections. A command the rules refuse produces one `Rejected` event whose `Reason`
//! names the rule (rule ids of docs/RULES.md such as `D-4`, `B-1`), a machine-readable code and a message
//! a procurement officer can read. A rejection is an ordinary outcome, journaled like any other;
//! an `Err` from the engine means a broken invariant instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::award::{AwardState, ChallengeState, ChallengeStep};
use crate::settlement::{SettlementStep, TradeState};
use crate::types::{Amount, Quantity, Timestamp, UnitPrice};

/// A kind of thing a command may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entity {
    /// An administrative region.
    Region,
    /// A catalog category.
    Category,
    /// A catalog product.
    Product,
    /// A participant of any kind.
    Participant,
    /// A participant that must be a supplier.
    Supplier,
    /// A participant that must be a purchaser.
    Purchaser,
    /// A framework agreement.
    Agreement,
    /// A budget line.
    BudgetLine,
    /// A trade.
    Trade,
    /// A unified social credit code already registered.
    CreditCode,
    /// An auction.
    Auction,
    /// A user account.
    User,
    /// An inquiry.
    Inquiry,
    /// A negotiation (to anyone but its two parties, it does not exist: N-3).
    Negotiation,
    /// A rotation.
    Rotation,
    /// An award.
    Award,
    /// A challenge.
    Challenge,
    /// A rating.
    Rating,
}

/// A field of a command that fails its own rule of form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    /// A name is empty or too long.
    Name,
    /// The parent does not fit the hierarchy (unknown, or too deep).
    Parent,
    /// A quantity is zero or out of range.
    Quantity,
    /// A price is zero or out of range.
    Price,
    /// An amount is out of range.
    Amount,
    /// A validity period ends before it starts.
    Dates,
    /// An agreement covers no region.
    Regions,
    /// An affiliation group needs at least two distinct suppliers.
    Members,
    /// A product's quantity scale is above 3 decimals.
    Scale,
    /// A participant needs a region (purchasers, analysts) or a credit code (suppliers).
    Region,
    /// A supplier registers with its unified social credit code.
    CreditCode,
    /// The engine indexes at most 256 regions, enough for any province.
    Capacity,
    /// An auction's times: start before end, end in the future, windows not negative.
    Schedule,
    /// An auction's minimum step must be positive (a percentage at most 100%).
    Step,
    /// An auction needs at least one bidder counted, and an invited list at least one supplier.
    Bidders,
    /// An inquiry needs 1 to 50 lines.
    Lines,
    /// An inquiry runs 1 to 5 rounds.
    Rounds,
    /// An inquiry invites 3 to 200 suppliers, and a next round at least one more.
    Invitees,
    /// A round keeps a bounded number of sealed submissions.
    Submissions,
    /// A calendar year's dates must lie in that year.
    Calendar,
    /// At most 10 counters per negotiation.
    Counters,
    /// A password hash must be a PHC string of at most 512 characters.
    Password,
    /// Grounds of a challenge or complaint, an answer or a ruling: 1 to 2,000 characters.
    Grounds,
    /// A payment term is 1 to 60 days.
    PaymentTerm,
    /// Marks are 1 to 5 each; a comment at most 500 characters.
    Marks,
    /// The small-enterprise deduction is 10 % to 20 % (1000 to 2000 basis points).
    Deduction,
}

impl Field {
    /// The rule of form the field breaks, in plain words.
    pub fn rule_of_form(self) -> &'static str {
        match self {
            Field::Name => "a name or reason must be given, in at most 500 characters",
            Field::Parent => "the parent does not fit the hierarchy (unknown, or too deep)",
            Field::Quantity => "the quantity must be above zero and within range",
            Field::Price => "the price must be above zero and within range",
            Field::Amount => "the amount is out of range",
            Field::Dates => "the validity period ends before it starts",
            Field::Regions => "an agreement must cover at least one region",
            Field::Members => "an affiliation group needs at least two distinct suppliers",
            Field::Scale => "a product allows at most 3 decimals of quantity",
            Field::Region => {
                "purchasers and analysts need a region, suppliers a unified social credit code"
            }
            Field::CreditCode => "the unified social credit code is not valid",
            Field::Capacity => "the marketplace indexes at most 256 regions",
            Field::Schedule => {
                "the start must come before the end, the end in the future, and no window negative"
            }
            Field::Step => "the minimum step must be above zero and below the ceiling",
            Field::Bidders => "at least one bidder must count, and an invited list name a supplier",
            Field::Lines => "an inquiry needs 1 to 50 lines",
            Field::Rounds => "an inquiry runs 1 to 5 rounds",
            Field::Invitees => {
                "invite 3 to 200 registered suppliers; a next round must invite at least one more"
            }
            Field::Submissions => "this round has taken as many submissions as it keeps",
            Field::Counters => "a negotiation allows at most 10 counters",
            Field::Password => "a password must be given as its hash, at most 512 characters",
            Field::Grounds => "grounds, answers and rulings are text of 1 to 2,000 characters",
            Field::PaymentTerm => "a payment term is 1 to 60 days",
            Field::Marks => "marks are 1 to 5 each, and a comment at most 500 characters of text",
            Field::Deduction => {
                "the small-enterprise deduction is 1000 to 2000 basis points (10 % to 20 %)"
            }
            Field::Calendar => {
                "calendar dates must lie in the year given, and the notice period is at most 60 working days"
            }
        }
    }
}

/// Why the engine refused a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// The acting participant may not issue this command, or not on this object.
    NotPermitted,
    /// The command names something that does not exist.
    NotFound {
        /// What was not found.
        what: Entity,
    },
    /// The command would create something that already exists.
    AlreadyExists {
        /// What exists.
        what: Entity,
    },
    /// A field is malformed.
    Invalid {
        /// Which field.
        field: Field,
    },
    /// D-5: the quantity has more decimals than the product's scale allows.
    QuantityScale {
        /// Decimals the product allows.
        scale: u8,
    },
    /// D-2: no framework agreement of the named supplier, or of anyone, for this product.
    NoAgreement,
    /// D-2: the agreement is outside its validity period, or revoked.
    AgreementNotValid,
    /// D-2: no agreement covers the purchaser's region.
    RegionNotCovered,
    /// D-2: the supplier is suspended.
    SupplierSuspended,
    /// D-2: the offer stands above the agreement's current ceiling.
    AboveCeiling {
        /// The current ceiling.
        ceiling: UnitPrice,
    },
    /// D-6: an offer may not be set above the agreement's ceiling.
    OfferAboveCeiling {
        /// The current ceiling.
        ceiling: UnitPrice,
    },
    /// D-3: not enough stock (none at all, or not the whole quantity when all-or-nothing).
    StockShort {
        /// Quantity the eligible offers could fill.
        available: Quantity,
    },
    /// D-1: every eligible offer is above the order's limit price.
    LimitPrice {
        /// The lowest eligible offer.
        best: UnitPrice,
    },
    /// D-4: the order's amount exceeds the direct-order limit of its category in the region.
    AboveLimit {
        /// The order's amount.
        amount: Amount,
        /// The limit.
        limit: Amount,
    },
    /// B-1: the budget line has not enough available.
    BudgetShort {
        /// Amount the command needs.
        needed: Amount,
        /// Amount available.
        available: Amount,
    },
    /// B-1: an adjustment may not take the allocation below what is held, committed and paid.
    BelowUsed {
        /// Held + committed + paid.
        used: Amount,
    },
    /// B-2: a budget line spends only in its own fiscal year.
    FiscalYear {
        /// The line's fiscal year.
        line_year: i32,
        /// The current fiscal year.
        current_year: i32,
    },
    /// `must_beat_best` would let a bidder probe for the best price that `rank_only` hides.
    MustBeatBestHidesNothing,
    /// the auction does not take bids now (not started, closed, failed or cancelled).
    AuctionNotOpen,
    /// the supplier may not bid in this auction.
    NotEligible,
    /// an affiliate of the supplier already bids in this auction (实施条例 Art. 18).
    AffiliateBidding,
    /// a bid may not be above the auction's ceiling.
    BidAboveCeiling {
        /// The ceiling.
        ceiling: UnitPrice,
    },
    /// a bid must be at least one step below the bidder's own previous bid (and, with
    /// `must_beat_best`, below the best bid).
    StepTooSmall {
        /// The highest price that would be accepted.
        at_most: UnitPrice,
    },
    /// after the first bid only an operator may cancel, with a stated reason.
    CancelAfterBids,
    /// The settlement step does not follow from the trade's state.
    SettlementStep {
        /// The trade's state.
        state: TradeState,
        /// The step asked for.
        step: SettlementStep,
    },
    /// the quote deadline must leave the notice period, in working days.
    NoticeTooShort {
        /// Working days required.
        working_days: u32,
    },
    /// The inquiry's state does not allow this now.
    InquiryState,
    /// the round's deadline has passed; its quotes are fixed.
    QuotesClosed,
    /// the inquiry has run every round it may.
    NoRoundsLeft {
        /// Rounds permitted.
        max_rounds: u32,
    },
    /// a quote must reach the engine sealed, without its author in the clear.
    QuoteNotSealed,
    /// the key is not the one the round's quotes are sealed under.
    WrongSealingKey,
    /// N-4: fewer than three active suppliers hold a valid agreement covering the region.
    TooFewHolders {
        /// Holders found.
        holders: u32,
    },
    /// N-1: a proposal must be positive and below the supplier's live offer.
    ProposalNotBelowOffer {
        /// The live offer.
        offer: UnitPrice,
    },
    /// N-2: a counter must lie strictly between the two prices that bound it.
    CounterOutOfBand {
        /// It must be above this.
        above: UnitPrice,
        /// And below this.
        below: UnitPrice,
    },
    /// N-2: the supplier has made every counter allowed.
    TooManyCounters {
        /// Counters allowed.
        max: u32,
    },
    /// N-2: the other party is to answer, or the negotiation has ended.
    NotYourTurn,
    /// U-3: the operator's region does not hold what the command acts on.
    OutsideRegion,
    /// a holder's bid may not be above its own agreement's current ceiling.
    BidAboveOwnCeiling {
        /// That ceiling.
        ceiling: UnitPrice,
    },
    /// C-1: the award is provisional or suspended: settlement may not start.
    AwardNotFinal {
        /// The award's state.
        state: AwardState,
        /// When its challenge period ends.
        period_ends: Timestamp,
        /// Suspended by the regulator.
        suspended: bool,
    },
    /// C-2: the challenge period has ended.
    ChallengePeriodOver {
        /// When it ended.
        ended: Timestamp,
    },
    /// C-2, C-3: the challenge does not admit this step now.
    ChallengeStep {
        /// Its state.
        state: ChallengeState,
        /// The step asked for.
        step: ChallengeStep,
    },
    /// C-3: the time to complain has ended.
    ComplaintPeriodOver {
        /// When it ended.
        ended: Timestamp,
    },
    /// C-3: a deal is suspended only while a complaint about it is heard.
    NoComplaintPending,
    /// C-4: the award does not admit this now.
    AwardStep {
        /// Its state.
        state: AwardState,
    },
    /// C-4: no valid bid or quote is left in rank order.
    NoNextRanked,
    /// the product is not the auction's, nor of its category.
    ProductNotInAuction,
    /// E-1: a trade is rated once its delivery has been accepted.
    NotYetAccepted,
    /// E-1: the 30 days to rate the trade have passed.
    RatingWindowOver {
        /// When they ended.
        ended: Timestamp,
    },
    /// S-1: a declared size is changed only by an operator of the province.
    SizeDeclared,
    /// S-2: the deal is reserved for small and medium enterprises.
    NotSme,
}

impl Reason {
    /// The rule id (`docs/RULES.md`) that refuses the command, or the area for rules of form.
    pub fn rule(&self) -> &'static str {
        match self {
            Reason::NotPermitted => "auth",
            Reason::NotFound { .. } | Reason::AlreadyExists { .. } | Reason::Invalid { .. } => {
                "input"
            }
            Reason::QuantityScale { .. } => "D-5",
            Reason::NoAgreement
            | Reason::AgreementNotValid
            | Reason::RegionNotCovered
            | Reason::SupplierSuspended
            | Reason::AboveCeiling { .. } => "D-2",
            Reason::OfferAboveCeiling { .. } => "D-6",
            Reason::StockShort { .. } => "D-3",
            Reason::LimitPrice { .. } => "D-1",
            Reason::AboveLimit { .. } => "D-4",
            Reason::BudgetShort { .. } | Reason::BelowUsed { .. } | Reason::FiscalYear { .. } => {
                "B-1"
            }
            Reason::SettlementStep { .. } => "settlement",
            Reason::MustBeatBestHidesNothing => "A-1",
            Reason::AuctionNotOpen
            | Reason::NotEligible
            | Reason::AffiliateBidding
            | Reason::BidAboveCeiling { .. }
            | Reason::StepTooSmall { .. } => "A-2",
            Reason::CancelAfterBids => "A-7",
            Reason::NoticeTooShort { .. } => "Q-1",
            Reason::QuotesClosed => "Q-2",
            Reason::QuoteNotSealed | Reason::WrongSealingKey => "Q-3",
            Reason::InquiryState | Reason::NoRoundsLeft { .. } => "Q-4",
            Reason::TooFewHolders { .. } => "N-4",
            Reason::ProposalNotBelowOffer { .. } => "N-1",
            Reason::CounterOutOfBand { .. }
            | Reason::TooManyCounters { .. }
            | Reason::NotYourTurn => "N-2",
            Reason::OutsideRegion => "U-3",
            Reason::BidAboveOwnCeiling { .. } => "A-2",
            Reason::AwardNotFinal { .. } => "C-1",
            Reason::ChallengePeriodOver { .. } => "C-2",
            Reason::ChallengeStep { step, .. } => match step {
                ChallengeStep::Complain
                | ChallengeStep::DismissComplaint
                | ChallengeStep::UpholdComplaint => "C-3",
                ChallengeStep::Dismiss | ChallengeStep::Uphold | ChallengeStep::Lapse => "C-2",
            },
            Reason::ComplaintPeriodOver { .. } | Reason::NoComplaintPending => "C-3",
            Reason::AwardStep { .. } | Reason::NoNextRanked => "C-4",
            Reason::ProductNotInAuction => "A-1",
            Reason::NotYetAccepted | Reason::RatingWindowOver { .. } => "E-1",
            Reason::SizeDeclared => "S-1",
            Reason::NotSme => "S-2",
        }
    }

    /// A stable machine-readable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::NotPermitted => "not_permitted",
            Reason::NotFound { .. } => "not_found",
            Reason::AlreadyExists { .. } => "already_exists",
            Reason::Invalid { .. } => "invalid_input",
            Reason::QuantityScale { .. } => "quantity_scale",
            Reason::NoAgreement => "no_agreement",
            Reason::AgreementNotValid => "agreement_not_valid",
            Reason::RegionNotCovered => "region_not_covered",
            Reason::SupplierSuspended => "supplier_suspended",
            Reason::AboveCeiling { .. } | Reason::OfferAboveCeiling { .. } => "above_ceiling",
            Reason::StockShort { .. } => "stock_short",
            Reason::LimitPrice { .. } => "limit_price",
            Reason::AboveLimit { .. } => "above_limit",
            Reason::BudgetShort { .. } => "budget_short",
            Reason::BelowUsed { .. } => "below_used",
            Reason::FiscalYear { .. } => "fiscal_year",
            Reason::SettlementStep { .. } => "settlement_step",
            Reason::MustBeatBestHidesNothing => "must_beat_best_hidden",
            Reason::AuctionNotOpen => "auction_not_open",
            Reason::NotEligible => "not_eligible",
            Reason::AffiliateBidding => "affiliate_bidding",
            Reason::BidAboveCeiling { .. } => "above_ceiling",
            Reason::StepTooSmall { .. } => "step_too_small",
            Reason::CancelAfterBids => "cancel_after_bids",
            Reason::NoticeTooShort { .. } => "notice_too_short",
            Reason::InquiryState => "inquiry_state",
            Reason::QuotesClosed => "quotes_closed",
            Reason::NoRoundsLeft { .. } => "no_rounds_left",
            Reason::QuoteNotSealed => "quote_not_sealed",
            Reason::WrongSealingKey => "wrong_sealing_key",
            Reason::TooFewHolders { .. } => "too_few_holders",
            Reason::ProposalNotBelowOffer { .. } => "proposal_not_below_offer",
            Reason::CounterOutOfBand { .. } => "counter_out_of_band",
            Reason::TooManyCounters { .. } => "too_many_counters",
            Reason::NotYourTurn => "not_your_turn",
            Reason::OutsideRegion => "outside_region",
            Reason::BidAboveOwnCeiling { .. } => "above_own_ceiling",
            Reason::AwardNotFinal { .. } => "award_not_final",
            Reason::ChallengePeriodOver { .. } => "challenge_period_over",
            Reason::ChallengeStep { .. } => "challenge_step",
            Reason::ComplaintPeriodOver { .. } => "complaint_period_over",
            Reason::NoComplaintPending => "no_complaint_pending",
            Reason::AwardStep { .. } => "award_state",
            Reason::NoNextRanked => "no_next_ranked",
            Reason::ProductNotInAuction => "product_not_in_auction",
            Reason::NotYetAccepted => "not_yet_accepted",
            Reason::RatingWindowOver { .. } => "rating_window_over",
            Reason::SizeDeclared => "size_declared",
            Reason::NotSme => "not_sme",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotPermitted => f.write_str("you may not do this"),
            Reason::NotFound { what } => write!(f, "{what:?} not found"),
            Reason::AlreadyExists { what } => write!(f, "{what:?} already exists"),
            Reason::Invalid { field } => f.write_str(field.rule_of_form()),
            Reason::QuantityScale { scale } => {
                write!(f, "this product is ordered in steps of {scale} decimals at most")
            }
            Reason::NoAgreement => f.write_str("no framework agreement offers this product"),
            Reason::AgreementNotValid => f.write_str(
                "the framework agreement is not valid today (expired, not yet valid or revoked)",
            ),
            Reason::RegionNotCovered => {
                f.write_str("no framework agreement for this product covers your region")
            }
            Reason::SupplierSuspended => f.write_str("the supplier is suspended"),
            Reason::AboveCeiling { ceiling } | Reason::OfferAboveCeiling { ceiling } => {
                write!(f, "the offer is above the agreement's ceiling price of {ceiling}")
            }
            Reason::StockShort { available } => {
                write!(f, "not enough stock: {available} available")
            }
            Reason::LimitPrice { best } => {
                write!(f, "the best eligible offer, {best}, is above your limit price")
            }
            Reason::AboveLimit { amount, limit } => write!(
                f,
                "the order amount {amount} exceeds the direct-order limit of {limit}; use an auction or an inquiry"
            ),
            Reason::BudgetShort { needed, available } => {
                write!(f, "the budget line has {available} available, {needed} needed")
            }
            Reason::BelowUsed { used } => write!(
                f,
                "the allocation may not go below the {used} already held, committed and paid"
            ),
            Reason::FiscalYear { line_year, current_year } => write!(
                f,
                "the budget line belongs to fiscal year {line_year}; the current year is {current_year}"
            ),
            Reason::MustBeatBestHidesNothing => f.write_str(
                "an auction that shows bidders only their rank cannot also require beating the best price",
            ),
            Reason::AuctionNotOpen => f.write_str("the auction does not take bids now"),
            Reason::NotEligible => f.write_str("you may not bid in this auction"),
            Reason::AffiliateBidding => f.write_str("an affiliated supplier already bids in this auction"),
            Reason::BidAboveCeiling { ceiling } => {
                write!(f, "the bid is above the auction's ceiling price of {ceiling}")
            }
            Reason::StepTooSmall { at_most } => {
                write!(f, "the bid must be at most {at_most}: one minimum step below the price to beat")
            }
            Reason::CancelAfterBids => {
                f.write_str("bids have been placed: only an operator may cancel, with a reason")
            }
            Reason::NoticeTooShort { working_days } => write!(
                f,
                "the quote deadline must be at least {working_days} working days after today"
            ),
            Reason::InquiryState => f.write_str("the inquiry does not allow this at its present stage"),
            Reason::QuotesClosed => {
                f.write_str("the quote deadline has passed: quotes are fixed and can no longer change")
            }
            Reason::NoRoundsLeft { max_rounds } => {
                write!(f, "the inquiry has already run the {max_rounds} rounds it may")
            }
            Reason::QuoteNotSealed => f.write_str("a quote must be sealed before it reaches the engine"),
            Reason::WrongSealingKey => {
                f.write_str("the sealing key is not the one this round's quotes are sealed under")
            }
            Reason::ProposalNotBelowOffer { offer } => {
                write!(f, "a negotiated price must be above zero and below the live offer of {offer}")
            }
            Reason::CounterOutOfBand { above, below } => {
                write!(f, "the price must be above {above} and below {below}")
            }
            Reason::TooManyCounters { max } => {
                write!(f, "this negotiation has had the {max} counters allowed: accept or reject")
            }
            Reason::NotYourTurn => {
                f.write_str("the other party is to answer now, or the negotiation has ended")
            }
            Reason::OutsideRegion => f.write_str(
                "this belongs to a region outside yours: an operator of that region, or of the province, acts on it",
            ),
            Reason::TooFewHolders { holders } => write!(
                f,
                "only {holders} active suppliers hold a valid agreement covering your region; a secondary competition needs 3"
            ),
            Reason::SettlementStep { state, step } => {
                write!(f, "a trade that is {state:?} cannot be {step:?}")
            }
            Reason::BidAboveOwnCeiling { ceiling } => write!(
                f,
                "the bid is above the ceiling price of {ceiling} in your own framework agreement"
            ),
            Reason::AwardNotFinal { suspended: true, .. } => f.write_str(
                "the regulator has suspended this deal while it hears a complaint: settlement waits for the ruling",
            ),
            Reason::AwardNotFinal { state, period_ends, .. } => write!(
                f,
                "the award is {state:?}: settlement may start once its challenge period ends ({}) with no challenge open",
                period_ends.0
            ),
            Reason::ChallengePeriodOver { ended } => {
                write!(f, "the challenge period of this award ended at {}", ended.0)
            }
            Reason::ChallengeStep { state, step } => {
                write!(f, "a challenge that is {state:?} cannot take the step {step:?}")
            }
            Reason::ComplaintPeriodOver { ended } => {
                write!(f, "the time to complain about this challenge ended at {}", ended.0)
            }
            Reason::NoComplaintPending => {
                f.write_str("a deal may be suspended only while a complaint about it is heard")
            }
            Reason::AwardStep { state } => write!(f, "the award is {state:?}: this step does not apply"),
            Reason::NoNextRanked => f.write_str(
                "no valid bid or quote is left in rank order: fail the deal instead",
            ),
            Reason::ProductNotInAuction => {
                f.write_str("the product is not the auction's, nor of the category it is held for")
            }
            Reason::NotYetAccepted => {
                f.write_str("a trade is rated once its delivery has been accepted")
            }
            Reason::RatingWindowOver { ended } => {
                write!(f, "the 30 days to rate this trade ended at {}", ended.0)
            }
            Reason::SizeDeclared => f.write_str(
                "a supplier declares its size once; afterwards only an operator of the province changes it",
            ),
            Reason::NotSme => f.write_str(
                "this deal is reserved for small and medium enterprises (a supplier without a declared size is not one)",
            ),
        }
    }
}

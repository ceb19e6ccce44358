//! Events: what happened, past tense, each in an envelope with the sequence and time of the command
//! that produced it. Read models, feeds, the persister and analytics all build from events alone.

use serde::{Deserialize, Serialize};

use crate::auction::AuctionSpec;
use crate::award::Vacancy;
use crate::budget::{Allocation, LedgerEntry};
use crate::catalog::{AffiliationBasis, Grant, ProductSpec, RegionLevel, Registration};
use crate::command::ActionKind;
use crate::direct::OrderRequest;
use crate::inquiry::seal::Commitment;
use crate::inquiry::{InquirySpec, OpenedQuote, Quoter, RoundOutcome};
use crate::negotiation::{Party, Proposal};
use crate::reject::Reason;
use crate::settlement::{SettlementStep, Trade, TradeState};
use crate::types::{
    AgreementId, Amount, BudgetLineId, CategoryCode, DealId, GroupId, ParticipantId, ProductId,
    Quantity, RegionCode, Seq, Timestamp, TradeId, UnitPrice, UserId,
};

/// An event with the sequence and engine time of its command and its index among that command's
/// events; `(seq, index)` is its unique key downstream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Sequence of the command.
    pub seq: Seq,
    /// Index within the command's events, from 0.
    pub index: u32,
    /// Engine time of the command.
    pub ts: Timestamp,
    /// What happened.
    pub event: Event,
}

/// Something that happened in the marketplace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Event {
    /// A region was defined.
    RegionDefined { code: RegionCode, name: String, parent: Option<RegionCode>, level: RegionLevel },
    /// A category was defined.
    CategoryDefined { code: CategoryCode, name: String, parent: Option<CategoryCode> },
    /// A product was defined.
    ProductDefined { product: ProductId, spec: ProductSpec },
    /// A participant was registered.
    ParticipantRegistered { participant: ParticipantId, registration: Registration },
    /// A supplier was suspended.
    SupplierSuspended { supplier: ParticipantId, reason: String },
    /// A supplier was reinstated.
    SupplierReinstated { supplier: ParticipantId, reason: String },
    /// Suppliers were recorded as affiliated.
    AffiliationGroupDefined { group: GroupId, members: Vec<ParticipantId>, basis: AffiliationBasis },
    /// A framework agreement was granted.
    AgreementGranted { agreement: AgreementId, grant: Grant },
    /// An agreement's ceiling changed.
    CeilingChanged { agreement: AgreementId, ceiling: UnitPrice },
    /// An agreement was revoked.
    AgreementRevoked { agreement: AgreementId, reason: String },
    /// A direct-order limit was set or cleared.
    DirectOrderLimitSet { region: RegionCode, category: CategoryCode, limit: Option<Amount> },
    /// A budget line was opened.
    BudgetLineOpened { line: BudgetLineId, allocation: Allocation },
    /// A budget line's allocation was adjusted to a new total.
    BudgetAdjusted { line: BudgetLineId, allocated: Amount, reason: String },
    /// A budget balance moved: one ledger entry (B-4).
    BudgetMoved(LedgerEntry),
    /// A supplier's offer was set (D-6): a price event.
    OfferChanged {
        agreement: AgreementId,
        supplier: ParticipantId,
        product: ProductId,
        price: UnitPrice,
        since: Seq,
    },
    /// An agreement's stock changed.
    StockChanged { agreement: AgreementId, product: ProductId, stock: Option<Quantity> },
    /// A trade was struck.
    TradeStruck(Trade),
    /// A direct order was filled, wholly or in part; the rest is cancelled.
    OrderFilled {
        order: DealId,
        purchaser: ParticipantId,
        request: OrderRequest,
        filled: Quantity,
        amount: Amount,
    },
    /// A trade took a settlement step.
    TradeSettled { trade: TradeId, step: SettlementStep, state: TradeState, reason: String },
    /// A command was refused; the rule is in the reason.
    Rejected { action: ActionKind, reason: Reason },
    /// An auction was opened; the budget is held (A-1, B-2).
    AuctionOpened {
        auction: DealId,
        purchaser: ParticipantId,
        spec: AuctionSpec,
        step: UnitPrice,
        hold: Amount,
    },
    /// An auction started taking bids.
    AuctionStarted { auction: DealId },
    /// A bid was accepted. Raw: names the bidder; feeds show each audience its own view.
    BidAccepted { auction: DealId, bidder: ParticipantId, price: UnitPrice, receipt: Seq },
    /// A bid in the last window moved the end.
    AuctionExtended { auction: DealId, end: Timestamp },
    /// The auction closed with a winner; a trade follows.
    AuctionAwarded {
        auction: DealId,
        winner: ParticipantId,
        price: UnitPrice,
        amount: Amount,
        bidders: u32,
    },
    /// The auction closed without enough bidders (流标); the budget is released.
    AuctionFailed { auction: DealId, bidders: u32 },
    /// The auction was cancelled.
    AuctionCancelled { auction: DealId, reason: String },
    /// A user account was opened.
    UserRegistered { user: UserId, participant: ParticipantId, login: String },
    /// A retry with an idempotency key already seen: nothing happened again; the first result is
    /// that of the command with sequence `original`.
    AlreadyApplied { original: Seq },
    /// The working-day calendar of a year was loaded.
    CalendarLoaded { year: i32, holidays: Vec<time::Date>, workdays: Vec<time::Date> },
    /// The inquiry notice period was set.
    InquiryNoticeSet { working_days: u32 },
    /// An inquiry was opened with its first round; the budget is held (Q-1, B-2).
    InquiryOpened { inquiry: DealId, purchaser: ParticipantId, spec: InquirySpec, hold: Amount },
    /// A sealed submission was received. It names nobody and nothing quoted.
    QuoteSealed { inquiry: DealId, round: u32, commitment: Commitment },
    /// The round's deadline came: its quotes are fixed.
    QuotesClosed { inquiry: DealId, round: u32 },
    /// The author layer opened: each supplier's final submission, and whether it counts.
    QuotersCounted { inquiry: DealId, round: u32, quoters: Vec<Quoter>, unreadable: u32 },
    /// The content layer opened: every counted quote, checked, kept for publication.
    QuotesOpened { inquiry: DealId, round: u32, quotes: Vec<OpenedQuote> },
    /// A round failed.
    InquiryRoundFailed { inquiry: DealId, round: u32, outcome: RoundOutcome },
    /// The next round opened, with its deadline and invitees.
    InquiryRoundOpened {
        inquiry: DealId,
        round: u32,
        deadline: Timestamp,
        invited: Vec<ParticipantId>,
    },
    /// The inquiry was awarded; a trade per line follows.
    InquiryAwarded {
        inquiry: DealId,
        round: u32,
        winner: ParticipantId,
        amount: Amount,
        suppliers: u32,
    },
    /// The inquiry failed for good; the budget is released.
    InquiryFailed { inquiry: DealId, reason: String },
    /// The inquiry was cancelled before its deadline; the budget is released.
    InquiryCancelled { inquiry: DealId, reason: String },
    /// The inquiry just opened is a secondary competition among agreement holders (N-4).
    CompetitionOpened { inquiry: DealId },
    /// A purchaser proposed a negotiated price; the budget is held (N-1). Private to the parties.
    NegotiationProposed {
        negotiation: DealId,
        purchaser: ParticipantId,
        supplier: ParticipantId,
        product: ProductId,
        proposal: Proposal,
        hold: Amount,
    },
    /// A party put a new price on the table; the hold follows it (N-2).
    NegotiationCountered { negotiation: DealId, by: Party, price: UnitPrice, hold: Amount },
    /// The price on the table was accepted; a trade follows (N-2).
    NegotiationAccepted { negotiation: DealId, by: Party, price: UnitPrice },
    /// A party rejected; the hold is released (N-2).
    NegotiationRejected { negotiation: DealId, by: Party },
    /// The response deadline passed; the hold is released (N-2).
    NegotiationExpired { negotiation: DealId },
    /// The counters allowed per negotiation were set (N-2).
    NegotiationRulesSet { max_counters: u32 },
    /// A rotation was published, in its order (N-5).
    RotationDefined { rotation: DealId, product: ProductId, order: Vec<ParticipantId> },
    /// An order under a rotation went to the supplier at `position` (N-5); its fill follows.
    RotationServed { rotation: DealId, order: DealId, supplier: ParticipantId, position: u32 },
    /// A supplier declined a rotation order and keeps its place, once in this cycle (N-5).
    RotationPlaceKept { rotation: DealId, supplier: ParticipantId },
    /// A password was set by its user, or reset by an operator to a one-time password (U-2); the
    /// account's earlier sessions ended.
    PasswordSet { user: UserId, one_time: bool },
    /// An account was disabled (its sessions ended) or enabled again (U-2).
    UserActiveSet { user: UserId, active: bool, reason: String },
    /// An award was published and is provisional until its challenge period ends (C-1).
    AwardProvisional { deal: DealId, winner: ParticipantId, period_ends: Timestamp },
    /// An award became final: its contract may be performed (C-1).
    AwardFinal { deal: DealId },
    /// A supplier that took part challenged the award (C-2).
    ChallengeFiled {
        deal: DealId,
        challenger: ParticipantId,
        grounds: String,
        answer_due: Timestamp,
    },
    /// The purchaser answered a challenge; upheld annuls the award (C-2, C-4).
    ChallengeAnswered {
        deal: DealId,
        challenger: ParticipantId,
        upheld: bool,
        reply: String,
        complaint_due: Option<Timestamp>,
    },
    /// The purchaser did not answer a challenge in time: an alert; the challenger may complain (C-2).
    ChallengeUnanswered {
        deal: DealId,
        challenger: ParticipantId,
        purchaser: ParticipantId,
        complaint_due: Timestamp,
    },
    /// A challenger complained to the regulator of the deal's region (C-3).
    ComplaintFiled {
        deal: DealId,
        challenger: ParticipantId,
        grounds: String,
        ruling_due: Timestamp,
    },
    /// The regulator suspended the deal while it hears a complaint (C-3, Art. 57).
    DealSuspended { deal: DealId, reason: String },
    /// The regulator ruled on a complaint; upheld annuls the award (C-3, C-4). The last ruling
    /// lifts a suspension (`resumed`).
    ComplaintRuled {
        deal: DealId,
        challenger: ParticipantId,
        upheld: bool,
        ruling: String,
        resumed: bool,
    },
    /// The regulator did not rule in time: an alert (C-3).
    RulingOverdue { deal: DealId, challenger: ParticipantId },
    /// The award fell vacant: annulled, declined or cancelled; its unpaid amount went back to the
    /// budget (C-4, B-3).
    AwardVacated { deal: DealId, supplier: ParticipantId, cause: Vacancy },
    /// The purchaser awarded the next valid bid or quote at its own price; its trades follow (C-4).
    AwardedToNext { deal: DealId, supplier: ParticipantId, rank: u32, amount: Amount },
    /// The purchaser failed the deal after a vacancy (C-4).
    AwardFailed { deal: DealId, reason: String },
    /// A trade accepted and unpaid past its payment term: an alert (P-6).
    PaymentOverdue {
        trade: TradeId,
        purchaser: ParticipantId,
        supplier: ParticipantId,
        amount: Amount,
        due: Timestamp,
    },
    /// An agreement's payment term was set (P-6).
    PaymentTermSet { agreement: AgreementId, days: u32 },
    /// A purchaser rated a trade (E-1).
    TradeRated {
        trade: TradeId,
        supplier: ParticipantId,
        marks: crate::evaluation::Marks,
        comment: String,
    },
    /// A supplier's size was declared, or changed by an operator, by the user named (S-1).
    SizeDeclared { supplier: ParticipantId, size: crate::catalog::EnterpriseSize, by: UserId },
    /// The deal just opened is reserved for small and medium enterprises (S-2).
    DealReserved { deal: DealId },
    /// The small-enterprise deduction was set (S-2).
    SmeDeductionSet { basis_points: u32 },
    /// The opened quotes as ranked: each valid total after the small-enterprise deduction where it
    /// applies (S-2); the trade is at the quoted total.
    QuotesEvaluated {
        inquiry: DealId,
        round: u32,
        basis_points: u32,
        evaluated: Vec<(ParticipantId, Amount)>,
    },
}

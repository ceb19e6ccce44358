//! Commands: what a user asks the engine to do, imperative (`PlaceOrder`, `SetOffer`), each carrying
//! the acting user. The journal stores them as given, so replay is the same computation again.
//!
//! Versioning: commands and events are encoded by variant position; new variants are appended at
//! the end and existing ones never reordered or changed, so old journals keep decoding.

use serde::{Deserialize, Serialize};

use crate::auction::AuctionSpec;
use crate::budget::Allocation;
use crate::catalog::{AffiliationBasis, Grant, ProductSpec, Registration};
use crate::direct::OrderRequest;
use crate::event::{Event, EventEnvelope};
use crate::idempotency::IdempotencyKey;
use crate::inquiry::seal::{RoundKey, SealedQuote};
use crate::inquiry::{CompetitionSpec, InquirySpec};
use crate::negotiation::Proposal;
use crate::types::{
    Actor, AgreementId, Amount, BudgetLineId, CategoryCode, DealId, ParticipantId, ProductId,
    Quantity, RegionCode, Seq, Timestamp, TradeId, UnitPrice, UserId,
};

/// A command: who acts, and what they ask for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The acting user and the participant it acts for.
    pub actor: Actor,
    /// What is asked.
    pub action: Action,
    /// The client's idempotency key, scoped to the acting participant.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl Command {
    /// A command by `actor`.
    pub fn new(actor: Actor, action: Action) -> Self {
        Self { actor, action, idempotency_key: None }
    }

    /// The same command carrying an idempotency key.
    pub fn with_key(self, key: IdempotencyKey) -> Self {
        Self { idempotency_key: Some(key), ..self }
    }
}

/// What can be asked of the engine. Its kind, without the data ([`ActionKind`], what a `Rejected`
/// event names), is derived from this list, so the list is written once; both encode by variant
/// position, so new variants go at the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(ActionKind),
    derive(Serialize, Deserialize),
    allow(missing_docs),
    doc = "The kind of an [`Action`], without its data: what a `Rejected` event names."
)]
pub enum Action {
    /// Operator: define a region under its parent.
    DefineRegion {
        /// Six-digit code.
        code: RegionCode,
        /// Official name.
        name: String,
        /// The region above; none for the province.
        parent: Option<RegionCode>,
    },
    /// Operator: define a catalog category under its parent.
    DefineCategory {
        /// Catalog code.
        code: CategoryCode,
        /// Official name.
        name: String,
        /// The category above; none for A, B and C.
        parent: Option<CategoryCode>,
    },
    /// Operator: define a product.
    DefineProduct(ProductSpec),
    /// Operator: register a participant.
    RegisterParticipant(Registration),
    /// Operator: suspend a supplier; its offers stop being eligible at once.
    SuspendSupplier {
        /// The supplier.
        supplier: ParticipantId,
        /// Why.
        reason: String,
    },
    /// Operator: reinstate a suspended supplier.
    ReinstateSupplier {
        /// The supplier.
        supplier: ParticipantId,
        /// Why.
        reason: String,
    },
    /// Operator: record suppliers that count as one.
    DefineAffiliationGroup {
        /// Member suppliers.
        members: Vec<ParticipantId>,
        /// Why they count as one.
        basis: AffiliationBasis,
    },
    /// Operator: grant a framework agreement.
    GrantAgreement(Grant),
    /// Operator: change an agreement's ceiling price.
    ChangeCeiling {
        /// The agreement.
        agreement: AgreementId,
        /// New ceiling.
        ceiling: UnitPrice,
    },
    /// Operator: revoke an agreement; its offer leaves the book.
    RevokeAgreement {
        /// The agreement.
        agreement: AgreementId,
        /// Why.
        reason: String,
    },
    /// Operator: set or clear the direct-order limit of a category in a region (D-4).
    SetDirectOrderLimit {
        /// Region.
        region: RegionCode,
        /// Category; applies to its descendants too.
        category: CategoryCode,
        /// The limit, or `None` to clear it.
        limit: Option<Amount>,
    },
    /// Operator: open a budget line.
    AllocateBudget(Allocation),
    /// Operator: set a line's allocation to a new total.
    AdjustBudget {
        /// The line.
        line: BudgetLineId,
        /// New allocated total.
        allocated: Amount,
        /// Why.
        reason: String,
    },
    /// Supplier: set the offer under one of its agreements (D-6).
    SetOffer {
        /// The agreement.
        agreement: AgreementId,
        /// Unit price, at or below the ceiling.
        price: UnitPrice,
    },
    /// Supplier: set the stock under one of its agreements.
    SetStock {
        /// The agreement.
        agreement: AgreementId,
        /// Stock, or `None` for unlimited.
        stock: Option<Quantity>,
    },
    /// Purchaser: order catalog goods directly (D-1).
    PlaceOrder(OrderRequest),
    /// Supplier: record delivery of a trade.
    RecordDelivery {
        /// The trade.
        trade: TradeId,
    },
    /// Purchaser: accept the delivery (验收).
    AcceptDelivery {
        /// The trade.
        trade: TradeId,
    },
    /// Purchaser: record payment (资金支付).
    RecordPayment {
        /// The trade.
        trade: TradeId,
    },
    /// Supplier: decline the contract (拒签), before delivery.
    DeclineContract {
        /// The trade.
        trade: TradeId,
        /// Why.
        reason: String,
    },
    /// Operator: cancel a trade with a stated reason.
    CancelTrade {
        /// The trade.
        trade: TradeId,
        /// Why.
        reason: String,
    },
    /// Purchaser: open a reverse auction.
    OpenAuction(AuctionSpec),
    /// Supplier: bid in an auction.
    SubmitBid {
        /// The auction.
        auction: DealId,
        /// Unit price.
        price: UnitPrice,
    },
    /// Purchaser before the first bid, operator with a reason after it: cancel an auction.
    CancelAuction {
        /// The auction.
        auction: DealId,
        /// Why.
        reason: String,
    },
    /// Nothing but the deadlines due: what the gateway sends at the engine's next deadline.
    Tick,
    /// Operator: open a user account for a participant.
    RegisterUser {
        /// The participant it acts for.
        participant: ParticipantId,
        /// Login name.
        login: String,
        /// Password hash, PHC string.
        password_hash: String,
    },
    /// Operator: load the working-day calendar of a year (holidays, exchanged working days).
    LoadCalendar {
        /// The year; every date must lie in it.
        year: i32,
        /// Weekdays off.
        holidays: Vec<time::Date>,
        /// Weekend days worked.
        workdays: Vec<time::Date>,
    },
    /// Operator: set the inquiry notice period in working days.
    SetInquiryNotice {
        /// Working days from issue to quote deadline.
        working_days: u32,
    },
    /// Purchaser: open an inquiry.
    OpenInquiry(InquirySpec),
    /// A sealed quote, replacement or withdrawal; its actor is [`crate::types::Actor::SEALED`].
    SubmitQuote {
        /// The inquiry.
        inquiry: DealId,
        /// The round it is for.
        round: u32,
        /// The sealed envelope.
        quote: SealedQuote,
    },
    /// Platform: open the author layer of a closed round with its key.
    OpenAuthors {
        /// The inquiry.
        inquiry: DealId,
        /// The round.
        round: u32,
        /// Its author key; journaled only now.
        key: RoundKey,
    },
    /// Platform: open the content layer of a counted round with its key.
    OpenPrices {
        /// The inquiry.
        inquiry: DealId,
        /// The round.
        round: u32,
        /// Its content key; journaled only now.
        key: RoundKey,
    },
    /// Purchaser: open the next round after a failed one.
    NextInquiryRound {
        /// The inquiry.
        inquiry: DealId,
        /// The new quote deadline.
        deadline: Timestamp,
        /// Suppliers invited in addition to those already invited.
        invite: Vec<ParticipantId>,
    },
    /// Purchaser or operator: cancel an inquiry before its deadline, or end it after a failed round.
    EndInquiry {
        /// The inquiry.
        inquiry: DealId,
        /// Why.
        reason: String,
    },
    /// Purchaser: open a secondary competition among every agreement holder (N-4).
    OpenCompetition(CompetitionSpec),
    /// Purchaser: propose a negotiated price to an agreement supplier (N-1).
    ProposeNegotiation(Proposal),
    /// The party whose turn it is: put a new price on the table (N-2).
    CounterNegotiation {
        /// The negotiation.
        negotiation: DealId,
        /// The unit price.
        price: UnitPrice,
    },
    /// The party whose turn it is: accept the price on the table (N-2).
    AcceptNegotiation {
        /// The negotiation.
        negotiation: DealId,
    },
    /// The party whose turn it is: reject (N-2).
    RejectNegotiation {
        /// The negotiation.
        negotiation: DealId,
    },
    /// Operator: the counters a supplier may make per negotiation (N-2).
    SetNegotiationRules {
        /// Counters allowed.
        max_counters: u32,
    },
    /// Operator: publish a rotation of a product's agreement suppliers (N-5).
    DefineRotation {
        /// The product (a service).
        product: ProductId,
        /// The suppliers, in their published order.
        order: Vec<ParticipantId>,
    },
    /// Purchaser: order under a rotation, from the next eligible supplier (N-5).
    OrderByRotation {
        /// The rotation.
        rotation: DealId,
        /// Quantity, filled wholly.
        quantity: Quantity,
        /// The budget line that pays.
        budget_line: BudgetLineId,
    },
    /// Operator: load a year's working-day calendar and set the inquiry notice period in one
    /// command: both take effect, or neither.
    LoadCalendarWithNotice {
        /// The year; every date must lie in it.
        year: i32,
        /// Weekdays off.
        holidays: Vec<time::Date>,
        /// Weekend days worked.
        workdays: Vec<time::Date>,
        /// Working days from issue to quote deadline.
        notice_working_days: u32,
    },
    /// A user: set its own password; an operator: reset a user's to a one-time password (U-2).
    SetPassword {
        /// The account.
        user: UserId,
        /// The new password's hash, PHC string (hashed in the gateway, never in the clear here).
        password_hash: String,
        /// A one-time password set by an operator, to be replaced at the next login.
        one_time: bool,
    },
    /// Operator: disable an account, ending its sessions, or enable it again (U-2).
    SetUserActive {
        /// The account.
        user: UserId,
        /// Enabled or not.
        active: bool,
        /// Why, for the record.
        reason: String,
    },
    /// Supplier that took part: challenge an award within its period (C-2).
    FileChallenge {
        /// The auction or inquiry.
        deal: DealId,
        /// The grounds.
        grounds: String,
    },
    /// Purchaser: answer a challenge; upheld annuls the award (C-2).
    AnswerChallenge {
        /// The deal.
        deal: DealId,
        /// Whose challenge.
        challenger: ParticipantId,
        /// Upheld or dismissed.
        upheld: bool,
        /// The answer.
        reply: String,
    },
    /// Challenger dismissed or not answered in time: complain to the regulator (C-3).
    FileComplaint {
        /// The deal.
        deal: DealId,
        /// The grounds.
        grounds: String,
    },
    /// Regulator of the deal's region: suspend it while a complaint is heard (C-3).
    SuspendDeal {
        /// The deal.
        deal: DealId,
        /// Why.
        reason: String,
    },
    /// Regulator of the deal's region: rule on a complaint; upheld annuls the award (C-3).
    RuleComplaint {
        /// The deal.
        deal: DealId,
        /// Whose complaint.
        challenger: ParticipantId,
        /// Upheld or dismissed.
        upheld: bool,
        /// The ruling.
        ruling: String,
    },
    /// Purchaser: award a vacant deal to the next valid bid or quote in rank order (C-4).
    AwardNextRanked {
        /// The deal.
        deal: DealId,
    },
    /// Purchaser: fail a vacant deal (C-4).
    FailAward {
        /// The deal.
        deal: DealId,
        /// Why.
        reason: String,
    },
    /// Purchaser: open a reverse auction over a category: bids name any product of it. The
    /// spec's product is the one its specification describes, of the category.
    OpenCategoryAuction {
        /// The category.
        category: CategoryCode,
        /// The terms.
        spec: AuctionSpec,
    },
    /// Supplier: bid in a category auction with a product of the category.
    SubmitProductBid {
        /// The auction.
        auction: DealId,
        /// The product offered.
        product: ProductId,
        /// Unit price.
        price: UnitPrice,
    },
    /// Operator: set an agreement's payment term in days, 1 to 60 (P-6).
    SetPaymentTerm {
        /// The agreement.
        agreement: AgreementId,
        /// Days from acceptance to payment.
        days: u32,
    },
    /// Purchaser: rate an accepted trade, once, within 30 days (E-1).
    RateTrade {
        /// The trade.
        trade: TradeId,
        /// Delivery, quality and service, 1 to 5 each.
        marks: crate::evaluation::Marks,
        /// An optional comment.
        comment: String,
    },
    /// A supplier declares its enterprise size once, at registration; an operator of the
    /// province changes it (S-1).
    DeclareSize {
        /// The supplier.
        supplier: ParticipantId,
        /// Its size.
        size: crate::catalog::EnterpriseSize,
    },
    /// Purchaser: open an auction reserved for small and medium enterprises (S-2), over its
    /// product or, with `category`, a category.
    OpenReservedAuction {
        /// The category, for an auction over a category.
        category: Option<CategoryCode>,
        /// The terms.
        spec: AuctionSpec,
    },
    /// Purchaser: open an inquiry reserved for small and medium enterprises; every invitee must be
    /// one (S-2).
    OpenReservedInquiry(InquirySpec),
    /// Operator: set the price deduction small and micro enterprises' quotes are ranked after, in
    /// basis points, 1000 to 2000 (S-2).
    SetSmeDeduction {
        /// The deduction.
        basis_points: u32,
    },
}

impl Action {
    /// The kind of this action.
    pub fn kind(&self) -> ActionKind {
        ActionKind::from(self)
    }
}

/// What a handler needs of the command being applied: its sequence, its time, and where its events
/// go, each wrapped in its envelope.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    /// Sequence of the command.
    pub seq: Seq,
    /// Engine time of the command.
    pub now: Timestamp,
    /// The fiscal year (calendar year in Shanghai) at `now`.
    pub fiscal_year: i32,
    out: &'a mut Vec<EventEnvelope>,
    start: usize,
    legs: u32,
}

impl<'a> Ctx<'a> {
    pub fn new(
        seq: Seq,
        now: Timestamp,
        fiscal_year: i32,
        out: &'a mut Vec<EventEnvelope>,
    ) -> Self {
        let start = out.len();
        Self { seq, now, fiscal_year, out, start, legs: 0 }
    }

    /// Appends an event of this command.
    pub fn emit(&mut self, event: Event) {
        let index = u32::try_from(self.out.len() - self.start).unwrap_or(u32::MAX);
        self.out.push(EventEnvelope { seq: self.seq, index, ts: self.now, event });
    }

    /// The id of the next trade this command strikes.
    pub fn next_trade_id(&mut self) -> crate::types::TradeId {
        let leg = self.legs;
        self.legs += 1;
        crate::types::TradeId { seq: self.seq, leg }
    }

    /// Number of events this command has emitted so far.
    pub fn emitted(&self) -> usize {
        self.out.len() - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::ActionKind;

    /// Journals name kinds by position: the derived list must keep the positions it always had.
    #[test]
    fn action_kinds_keep_their_positions_in_the_journal() {
        let position = |kind: ActionKind| postcard::to_stdvec(&kind).expect("encodes");
        assert_eq!(position(ActionKind::DefineRegion), [0]);
        assert_eq!(position(ActionKind::PlaceOrder), [15]);
        assert_eq!(position(ActionKind::Tick), [24]);
        assert_eq!(position(ActionKind::OrderByRotation), [41]);
        assert_eq!(position(ActionKind::LoadCalendarWithNotice), [42]);
    }
}

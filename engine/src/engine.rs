//! `Engine`: applies commands to the state, one at a time, in sequence.
//!
//! `apply(command, now, out)` is the whole interface that changes anything. It reads no clock, no
//! random source, no environment: the caller passes the time and a buffer it reuses, so the same
//! commands at the same times always give the same events and the same state.

use crate::arena::Ix;
use crate::budget::BudgetLine;
use crate::catalog::{Agreement, Category, Participant, ParticipantStatus, Product, Region};
use crate::command::{Action, Command, Ctx};
use crate::direct::{OfferKey, PlannedFill};
use crate::event::{Event, EventEnvelope};
use crate::settlement::{SettlementStep, TradeRecord};
use crate::state::State;
use crate::types::{
    AgreementId, Amount, BudgetLineId, CategoryCode, ParticipantId, ProductId, RegionCode, Seq,
    Timestamp, TradeId, fiscal_year,
};

/// The marketplace's matching engine.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    pub(crate) state: State,
    /// Reused buffer for a direct order's planned fill: not state, never snapshotted.
    plan: Vec<PlannedFill>,
    /// The fiscal year around the clock, so most commands skip the calendar arithmetic.
    year: FiscalYearWindow,
}

/// A fiscal year and the half-open window of engine time it spans.
#[derive(Clone, Copy, Debug, Default)]
struct FiscalYearWindow {
    year: i32,
    starts: Timestamp,
    ends: Timestamp,
}

impl FiscalYearWindow {
    fn around(now: Timestamp) -> Self {
        let year = fiscal_year(now);
        let first_day = |year| {
            time::Date::from_calendar_date(year, time::Month::January, 1)
                .map_or(now, Timestamp::shanghai_midnight)
        };
        Self { year, starts: first_day(year), ends: first_day(year + 1) }
    }

    fn at(&mut self, now: Timestamp) -> i32 {
        if now < self.starts || now >= self.ends {
            *self = Self::around(now);
        }
        self.year
    }
}

impl Engine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn from_state(state: State) -> Self {
        Self { state, plan: Vec::new(), year: FiscalYearWindow::default() }
    }

    /// Applies one command at `now`, appending its events to `out`, and returns its sequence.
    ///
    /// Time never goes back: a `now` earlier than the last command's is taken as the last command's.
    /// A command the rules refuse changes nothing and appends exactly one `Rejected` event. A command
    /// whose idempotency key the acting participant used in the last 24 hours changes nothing either
    /// and appends one `AlreadyApplied` event naming the first command.
    pub fn apply(&mut self, command: Command, now: Timestamp, out: &mut Vec<EventEnvelope>) -> Seq {
        let seq = self.state.seq.next();
        let now = now.max(self.state.clock);
        self.state.seq = seq;
        self.state.clock = now;
        let mut ctx = Ctx::new(seq, now, self.year.at(now), out);
        let kind = command.action.kind();
        // Deadlines due at `now` run first, as part of this command, so replay runs them alike.
        self.state.run_deadlines(&mut ctx);
        let before = ctx.emitted();
        self.state.idempotency.expire(now);
        if let Some(key) = command.idempotency_key {
            let participant = command.actor.participant;
            if let Some(original) = self.state.idempotency.first(participant, key) {
                ctx.emit(Event::AlreadyApplied { original });
                return seq;
            }
            self.state.idempotency.remember(participant, key, seq, now);
        }
        if let Err(reason) = self.dispatch(command, &mut ctx) {
            debug_assert_eq!(ctx.emitted(), before, "a refused command must change nothing");
            ctx.emit(Event::Rejected { action: kind, reason });
        }
        seq
    }

    fn dispatch(&mut self, command: Command, ctx: &mut Ctx<'_>) -> Result<(), crate::Reason> {
        let Command { actor, action, .. } = command;
        let state = &mut self.state;
        match action {
            Action::DefineRegion { code, name, parent } => {
                state.define_region(actor, code, name, parent, ctx)
            }
            Action::DefineCategory { code, name, parent } => {
                state.define_category(actor, code, name, parent, ctx)
            }
            Action::DefineProduct(spec) => state.define_product(actor, spec, ctx),
            Action::RegisterParticipant(registration) => {
                state.register_participant(actor, registration, ctx)
            }
            Action::SuspendSupplier { supplier, reason } => state.set_supplier_status(
                actor,
                supplier,
                ParticipantStatus::Suspended,
                reason,
                ctx,
            ),
            Action::ReinstateSupplier { supplier, reason } => {
                state.set_supplier_status(actor, supplier, ParticipantStatus::Active, reason, ctx)
            }
            Action::DefineAffiliationGroup { members, basis } => {
                state.define_affiliation_group(actor, members, basis, ctx)
            }
            Action::GrantAgreement(grant) => state.grant_agreement(actor, grant, ctx),
            Action::ChangeCeiling { agreement, ceiling } => {
                state.change_ceiling(actor, agreement, ceiling, ctx)
            }
            Action::RevokeAgreement { agreement, reason } => {
                state.revoke_agreement(actor, agreement, reason, ctx)
            }
            Action::SetDirectOrderLimit { region, category, limit } => {
                state.set_direct_order_limit(actor, region, category, limit, ctx)
            }
            Action::AllocateBudget(allocation) => state.allocate_budget(actor, allocation, ctx),
            Action::AdjustBudget { line, allocated, reason } => {
                state.adjust_budget(actor, line, allocated, reason, ctx)
            }
            Action::SetOffer { agreement, price } => state.set_offer(actor, agreement, price, ctx),
            Action::SetStock { agreement, stock } => state.set_stock(actor, agreement, stock, ctx),
            Action::PlaceOrder(request) => state.place_order(actor, request, &mut self.plan, ctx),
            Action::RecordDelivery { trade } => {
                state.settle(actor, trade, SettlementStep::Deliver, String::new(), ctx)
            }
            Action::AcceptDelivery { trade } => {
                state.settle(actor, trade, SettlementStep::Accept, String::new(), ctx)
            }
            Action::RecordPayment { trade } => {
                state.settle(actor, trade, SettlementStep::Pay, String::new(), ctx)
            }
            Action::DeclineContract { trade, reason } => {
                state.settle(actor, trade, SettlementStep::Decline, reason, ctx)
            }
            Action::CancelTrade { trade, reason } => {
                state.settle(actor, trade, SettlementStep::Cancel, reason, ctx)
            }
            Action::OpenAuction(spec) => state.open_auction(actor, spec, None, ctx),
            Action::SubmitBid { auction, price } => {
                state.submit_bid(actor, auction, None, price, ctx)
            }
            Action::CancelAuction { auction, reason } => {
                state.cancel_auction(actor, auction, reason, ctx)
            }
            Action::Tick => Ok(()),
            Action::RegisterUser { participant, login, password_hash } => {
                state.register_user(actor, participant, login, password_hash, ctx)
            }
            Action::LoadCalendar { year, holidays, workdays } => {
                state.load_calendar(actor, year, holidays, workdays, ctx)
            }
            Action::SetInquiryNotice { working_days } => {
                state.set_inquiry_notice(actor, working_days, ctx)
            }
            Action::LoadCalendarWithNotice { year, holidays, workdays, notice_working_days } => {
                state.load_calendar_with_notice(
                    actor,
                    year,
                    holidays,
                    workdays,
                    notice_working_days,
                    ctx,
                )
            }
            Action::OpenInquiry(spec) => state.open_inquiry(actor, spec, ctx),
            Action::SubmitQuote { inquiry, round, quote } => {
                state.submit_quote(actor, inquiry, round, quote, ctx)
            }
            Action::OpenAuthors { inquiry, round, key } => {
                state.open_authors(actor, inquiry, round, &key, ctx)
            }
            Action::OpenPrices { inquiry, round, key } => {
                state.open_prices(actor, inquiry, round, &key, ctx)
            }
            Action::NextInquiryRound { inquiry, deadline, invite } => {
                state.next_inquiry_round(actor, inquiry, deadline, invite, ctx)
            }
            Action::EndInquiry { inquiry, reason } => {
                state.end_inquiry(actor, inquiry, reason, ctx)
            }
            Action::OpenCompetition(spec) => state.open_competition(actor, spec, ctx),
            Action::ProposeNegotiation(proposal) => state.propose(actor, proposal, ctx),
            Action::CounterNegotiation { negotiation, price } => {
                state.counter(actor, negotiation, price, ctx)
            }
            Action::AcceptNegotiation { negotiation } => {
                state.accept_negotiation(actor, negotiation, ctx)
            }
            Action::RejectNegotiation { negotiation } => {
                state.reject_negotiation(actor, negotiation, ctx)
            }
            Action::SetNegotiationRules { max_counters } => {
                state.set_max_counters(actor, max_counters, ctx)
            }
            Action::DefineRotation { product, order } => {
                state.define_rotation(actor, product, order, ctx)
            }
            Action::OrderByRotation { rotation, quantity, budget_line } => {
                state.order_by_rotation(actor, rotation, quantity, budget_line, &mut self.plan, ctx)
            }
            Action::SetPassword { user, password_hash, one_time } => {
                state.set_password(actor, user, password_hash, one_time, ctx)
            }
            Action::SetUserActive { user, active, reason } => {
                state.set_user_active(actor, user, active, reason, ctx)
            }
            Action::FileChallenge { deal, grounds } => {
                state.file_challenge(actor, deal, grounds, ctx)
            }
            Action::AnswerChallenge { deal, challenger, upheld, reply } => {
                state.answer_challenge(actor, deal, challenger, upheld, reply, ctx)
            }
            Action::FileComplaint { deal, grounds } => {
                state.file_complaint(actor, deal, grounds, ctx)
            }
            Action::SuspendDeal { deal, reason } => state.suspend_deal(actor, deal, reason, ctx),
            Action::RuleComplaint { deal, challenger, upheld, ruling } => {
                state.rule_complaint(actor, deal, challenger, upheld, ruling, ctx)
            }
            Action::AwardNextRanked { deal } => state.award_next_ranked(actor, deal, ctx),
            Action::FailAward { deal, reason } => state.fail_award(actor, deal, reason, ctx),
            Action::OpenCategoryAuction { category, spec } => {
                state.open_auction(actor, spec, Some(category), ctx)
            }
            Action::SubmitProductBid { auction, product, price } => {
                state.submit_bid(actor, auction, Some(product), price, ctx)
            }
            Action::RateTrade { trade, marks, comment } => {
                state.rate_trade(actor, trade, marks, comment, ctx)
            }
            Action::SetPaymentTerm { agreement, days } => {
                state.set_payment_term(actor, agreement, days, ctx)
            }
            Action::DeclareSize { supplier, size } => {
                state.declare_size(actor, supplier, size, ctx)
            }
            Action::OpenReservedAuction { category, spec } => {
                state.open_reserved_auction(actor, spec, category, ctx)
            }
            Action::OpenReservedInquiry(spec) => state.open_reserved_inquiry(actor, spec, ctx),
            Action::SetSmeDeduction { basis_points } => {
                state.set_sme_deduction(actor, basis_points, ctx)
            }
        }
    }

    /// When the engine next needs a command (a `Tick` will do) to start or close an auction.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.state.next_deadline()
    }

    /// The user account with a login name.
    pub fn user_by_login(&self, login: &str) -> Option<&crate::catalog::UserAccount> {
        self.state.logins.get(login).and_then(|id| self.state.users.get(*id))
    }

    /// All user accounts, in the order opened.
    pub fn users(&self) -> impl Iterator<Item = &crate::catalog::UserAccount> {
        self.state.users.iter().map(|(_, u)| u)
    }

    /// A user account.
    pub fn user(&self, id: crate::types::UserId) -> Option<&crate::catalog::UserAccount> {
        self.state.users.get(id)
    }

    /// A supplier's score over the 12 months to the engine's clock (E-1).
    pub fn supplier_score(&self, supplier: ParticipantId) -> Option<crate::evaluation::Score> {
        self.state.score(supplier, self.clock())
    }

    /// The purchaser's rating of a trade, once given (E-1).
    pub fn rating(&self, trade: TradeId) -> Option<&crate::evaluation::Rating> {
        self.state.ratings.get(&trade)
    }

    /// The award of an auction or inquiry, and what followed it (C-1 to C-5).
    pub fn award(&self, deal: crate::types::DealId) -> Option<&crate::award::Award> {
        self.state.awards.get(&deal)
    }

    /// Every award, by deal.
    pub fn awards(&self) -> impl Iterator<Item = &crate::award::Award> {
        self.state.awards.values()
    }

    /// An auction.
    pub fn auction(&self, id: crate::types::DealId) -> Option<&crate::auction::Auction> {
        self.state.auctions.get(id)
    }

    /// Whether `supplier` may bid in `auction` at the engine's current time: invited, or
    /// holding a valid agreement for the product that covers the purchaser's region.
    pub fn may_bid(&self, auction: crate::types::DealId, supplier: ParticipantId) -> bool {
        self.state
            .auctions
            .get(auction)
            .is_some_and(|a| self.state.may_bid_in(a, supplier, self.clock()))
    }

    /// An inquiry.
    pub fn inquiry(&self, id: crate::types::DealId) -> Option<&crate::inquiry::Inquiry> {
        self.state.inquiries.get(id)
    }

    /// All inquiries, in the order opened.
    pub fn inquiries(&self) -> impl Iterator<Item = &crate::inquiry::Inquiry> {
        self.state.inquiries.iter().map(|(_, q)| q)
    }

    /// A negotiation: callers show it to its two parties only (N-3).
    pub fn negotiation(
        &self,
        id: crate::types::DealId,
    ) -> Option<&crate::negotiation::Negotiation> {
        self.state.negotiations.get(id)
    }

    /// All negotiations, in the order proposed.
    pub fn negotiations(&self) -> impl Iterator<Item = &crate::negotiation::Negotiation> {
        self.state.negotiations.iter().map(|(_, n)| n)
    }

    /// A rotation.
    pub fn rotation(&self, id: crate::types::DealId) -> Option<&crate::rotation::Rotation> {
        self.state.rotations.get(id)
    }

    /// All rotations, in the order published.
    pub fn rotations(&self) -> impl Iterator<Item = &crate::rotation::Rotation> {
        self.state.rotations.iter().map(|(_, r)| r)
    }

    /// The working-day calendar and the inquiry notice period.
    pub fn calendar(&self) -> &crate::inquiry::Calendar {
        &self.state.calendar
    }

    /// All auctions, in the order opened.
    pub fn auctions(&self) -> impl Iterator<Item = &crate::auction::Auction> {
        self.state.auctions.iter().map(|(_, a)| a)
    }

    /// Sequence of the last command applied.
    pub fn seq(&self) -> Seq {
        self.state.seq
    }

    /// Engine time of the last command applied.
    pub fn clock(&self) -> Timestamp {
        self.state.clock
    }

    /// A region.
    pub fn region(&self, code: RegionCode) -> Option<&Region> {
        self.state.regions.get(&code)
    }

    /// All regions, by code.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.state.regions.values()
    }

    /// A category.
    pub fn category(&self, code: CategoryCode) -> Option<&Category> {
        self.state.categories.get(&code)
    }

    /// All categories, by code.
    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.state.categories.values()
    }

    /// A product.
    pub fn product(&self, id: ProductId) -> Option<&Product> {
        self.state.products.get(id)
    }

    /// All products, in creation order.
    pub fn products(&self) -> impl Iterator<Item = &Product> {
        self.state.products.iter().map(|(_, p)| p)
    }

    /// A participant.
    pub fn participant(&self, id: ParticipantId) -> Option<&Participant> {
        self.state.participants.get(id)
    }

    /// All participants, in creation order.
    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.state.participants.iter().map(|(_, p)| p)
    }

    /// True when two suppliers share an affiliation group.
    pub fn affiliated(&self, a: ParticipantId, b: ParticipantId) -> bool {
        self.state.affiliated(a, b)
    }

    /// An agreement.
    pub fn agreement(&self, id: AgreementId) -> Option<&Agreement> {
        self.state.agreements.get(id)
    }

    /// All agreements, in creation order.
    pub fn agreements(&self) -> impl Iterator<Item = &Agreement> {
        self.state.agreements.iter().map(|(_, a)| a)
    }

    /// The live offers of a product in priority order, with their agreements.
    pub fn offers(&self, product: ProductId) -> impl Iterator<Item = (&OfferKey, &Agreement)> {
        let book = self.state.products.get(product).map(|p| &p.book);
        book.into_iter().flat_map(|b| b.iter()).map(|key| (key, self.agreement_at(key.agreement)))
    }

    fn agreement_at(&self, ix: Ix) -> &Agreement {
        self.state.agreements.at(ix)
    }

    /// The direct-order limit that applies to a purchaser in `region` buying in `category`.
    pub fn direct_order_limit(&self, region: RegionCode, category: CategoryCode) -> Option<Amount> {
        let region = self.state.regions.get(&region)?;
        let category = self.state.categories.get(&category)?;
        self.state.limits.resolve(&region.chain, &category.chain)
    }

    /// Every direct-order limit set, by region then category.
    pub fn direct_order_limits(&self) -> &crate::catalog::DirectOrderLimits {
        &self.state.limits
    }

    /// A budget line.
    pub fn budget_line(&self, id: BudgetLineId) -> Option<&BudgetLine> {
        self.state.budgets.get(id)
    }

    /// All budget lines, in creation order.
    pub fn budget_lines(&self) -> impl Iterator<Item = &BudgetLine> {
        self.state.budgets.iter().map(|(_, l)| l)
    }

    /// A trade and its settlement state.
    pub fn trade(&self, id: TradeId) -> Option<&TradeRecord> {
        self.state.trades.get(id)
    }

    /// All trades, in the order struck.
    pub fn trades(&self) -> impl Iterator<Item = &TradeRecord> {
        self.state.trades.iter()
    }
}

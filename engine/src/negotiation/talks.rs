//! The moves of a negotiation (N-1, N-2), with the budget held, adjusted and released (B-2, B-3),
//! and the trade struck on acceptance.

use super::{
    MAX_RESPONSE_MS, Move, Negotiation, NegotiationState, NegotiationStep, Party, Proposal,
};
use crate::arena::Ix;
use crate::budget::LedgerKind;
use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::settlement::{Trade, TradeMode, TradeRecord};
use crate::state::State;
use crate::types::{Actor, DealId, UnitPrice, UserId};

impl State {
    /// N-1: a purchaser proposes a price below the supplier's live offer.
    pub(crate) fn propose(
        &mut self,
        actor: Actor,
        proposal: Proposal,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let purchaser_ix = self.require_kind(actor, ParticipantKind::Purchaser)?;
        let region = self.participants.at(purchaser_ix).region.unwrap_or_default();
        let a_ix = self.agreement_ix(proposal.agreement)?;
        let a = self.agreements.at(a_ix);
        if !a.is_valid(ctx.now) {
            return Err(Reason::AgreementNotValid);
        }
        if !a.covers(&region) {
            return Err(Reason::RegionNotCovered);
        }
        if !self.participants.at(a.supplier_ix).is_active() {
            return Err(Reason::SupplierSuspended);
        }
        let offer = a.offer.map(|o| o.price).ok_or(Reason::NoAgreement)?;
        let product = self.products.at(a.product_ix);
        if !proposal.quantity.is_positive() {
            return Err(Reason::Invalid { field: Field::Quantity });
        }
        if !proposal.quantity.fits_scale(product.scale) {
            return Err(Reason::QuantityScale { scale: product.scale });
        }
        if !proposal.price.is_positive() || proposal.price >= offer {
            return Err(Reason::ProposalNotBelowOffer { offer });
        }
        let window = proposal.respond_by.0 - ctx.now.0;
        if window <= 0 || window > MAX_RESPONSE_MS {
            return Err(Reason::Invalid { field: Field::Schedule });
        }
        if a.fillable(proposal.quantity) < proposal.quantity {
            return Err(Reason::StockShort { available: a.fillable(proposal.quantity) });
        }
        let hold = proposal
            .price
            .times(proposal.quantity)
            .ok_or(Reason::Invalid { field: Field::Quantity })?;
        let (supplier, product_id, category) = (a.supplier, a.product, product.category);
        // The same agreement-supply limit as a direct order (D-4), at the most the deal could cost.
        let most = offer.times(proposal.quantity).unwrap_or(hold);
        if let Some(limit) = self.limits.resolve_cached(&region, &category)
            && most > limit
        {
            return Err(Reason::AboveLimit { amount: most, limit });
        }
        let line_ix = self.owned_line(actor, proposal.budget_line, ctx.fiscal_year)?;
        let available = self.budgets.at(line_ix).balance.available();
        if hold > available {
            return Err(Reason::BudgetShort { needed: hold, available });
        }
        let id = DealId::from_seq(ctx.seq);
        self.move_budget(line_ix, LedgerKind::Held, hold, Some(id), actor.user, ctx);
        let negotiation = Negotiation {
            id,
            purchaser: actor.participant,
            region,
            supplier,
            product: product_id,
            proposal,
            offer,
            moves: vec![Move {
                by: Party::Purchaser,
                price: proposal.price,
                seq: ctx.seq,
                at: ctx.now,
            }],
            counters: 0,
            hold,
            state: NegotiationState::Proposed,
            trade: None,
        };
        if let Some(deadline) = negotiation.deadline() {
            self.deadlines.insert(deadline);
        }
        self.negotiations.push(id, negotiation);
        ctx.emit(Event::NegotiationProposed {
            negotiation: id,
            purchaser: actor.participant,
            supplier,
            product: product_id,
            proposal,
            hold,
        });
        Ok(())
    }

    /// N-2: the supplier counters between the proposal and its offer; the purchaser proposes again
    /// between its last proposal and the counter. The hold follows the price on the table.
    pub(crate) fn counter(
        &mut self,
        actor: Actor,
        negotiation: DealId,
        price: UnitPrice,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.negotiation_ix(negotiation)?;
        let n = self.negotiations.at(ix);
        let party = self.party(actor, n)?;
        let step = match party {
            Party::Supplier => NegotiationStep::Counter,
            Party::Purchaser => NegotiationStep::Propose,
        };
        let next = n.state.after(step).ok_or(Reason::NotYourTurn)?;
        let (low, high) = match party {
            // Above the purchaser's price on the table, at most the offer it was proposed against.
            Party::Supplier => (n.price(), UnitPrice::from_minor(n.offer.minor() + 1)),
            // Above its own last proposal, below the counter on the table.
            Party::Purchaser => (n.purchaser_price(), n.price()),
        };
        if price <= low || price >= high {
            return Err(Reason::CounterOutOfBand { above: low, below: high });
        }
        if party == Party::Supplier && n.counters >= self.negotiation_rules.max_counters {
            return Err(Reason::TooManyCounters { max: self.negotiation_rules.max_counters });
        }
        let hold =
            price.times(n.proposal.quantity).ok_or(Reason::Invalid { field: Field::Quantity })?;
        let line_ix = self
            .budgets
            .index_of(n.proposal.budget_line)
            .ok_or(Reason::NotFound { what: Entity::BudgetLine })?;
        let more = hold.minus(n.hold);
        let available = self.budgets.at(line_ix).balance.available();
        if more.is_positive() && more > available {
            return Err(Reason::BudgetShort { needed: more, available });
        }
        let before = n.hold;
        let n = self.negotiations.at_mut(ix);
        n.state = next;
        n.hold = hold;
        n.moves.push(Move { by: party, price, seq: ctx.seq, at: ctx.now });
        if party == Party::Supplier {
            n.counters += 1;
        }
        ctx.emit(Event::NegotiationCountered { negotiation, by: party, price, hold });
        if hold > before {
            self.move_budget(
                line_ix,
                LedgerKind::Held,
                hold.minus(before),
                Some(negotiation),
                actor.user,
                ctx,
            );
        } else if before > hold {
            self.move_budget(
                line_ix,
                LedgerKind::Released,
                before.minus(hold),
                Some(negotiation),
                actor.user,
                ctx,
            );
        }
        Ok(())
    }

    /// N-2: the party whose turn it is accepts the price on the table: a trade under the agreement.
    pub(crate) fn accept_negotiation(
        &mut self,
        actor: Actor,
        negotiation: DealId,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let (ix, party) = self.answering(actor, negotiation)?;
        let n = self.negotiations.at(ix);
        let next = n.state.after(NegotiationStep::Accept).ok_or(Reason::NotYourTurn)?;
        let a_ix = self.agreement_ix(n.proposal.agreement)?;
        let a = self.agreements.at(a_ix);
        if !a.is_valid(ctx.now) {
            return Err(Reason::AgreementNotValid);
        }
        if !self.participants.at(a.supplier_ix).is_active() {
            return Err(Reason::SupplierSuspended);
        }
        // N-2, D-2: the ceiling may have been lowered since the price was put on the table.
        if n.price() > a.ceiling {
            return Err(Reason::AboveCeiling { ceiling: a.ceiling });
        }
        let quantity = n.proposal.quantity;
        if a.fillable(quantity) < quantity {
            return Err(Reason::StockShort { available: a.fillable(quantity) });
        }
        let line_ix = self
            .budgets
            .index_of(n.proposal.budget_line)
            .ok_or(Reason::NotFound { what: Entity::BudgetLine })?;
        let (price, hold, purchaser, region) = (n.price(), n.hold, n.purchaser, n.region.region());
        let trade = Trade {
            id: ctx.next_trade_id(),
            mode: TradeMode::Negotiation,
            deal: negotiation,
            purchaser,
            supplier: n.supplier,
            product: n.product,
            agreement: Some(n.proposal.agreement),
            quantity,
            unit_price: price,
            amount: hold,
            budget_line: n.proposal.budget_line,
            region,
            ts: ctx.now,
            seq: ctx.seq,
        };
        if let Some(deadline) = n.deadline() {
            self.deadlines.remove(&deadline);
        }
        let n = self.negotiations.at_mut(ix);
        n.state = next;
        n.trade = Some(trade.id);
        let a = self.agreements.at_mut(a_ix);
        let stock = a.stock.as_mut().map(|stock| {
            *stock = stock.minus(quantity);
            *stock
        });
        ctx.emit(Event::NegotiationAccepted { negotiation, by: party, price });
        self.trades.push(TradeRecord::struck(trade));
        ctx.emit(Event::TradeStruck(trade));
        if let Some(stock) = stock {
            let (agreement, product) = (trade.agreement.unwrap_or_default(), trade.product);
            ctx.emit(Event::StockChanged { agreement, product, stock: Some(stock) });
        }
        self.move_budget(line_ix, LedgerKind::Committed, hold, Some(negotiation), actor.user, ctx);
        Ok(())
    }

    /// N-2: the party whose turn it is rejects; the hold is released.
    pub(crate) fn reject_negotiation(
        &mut self,
        actor: Actor,
        negotiation: DealId,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let (ix, party) = self.answering(actor, negotiation)?;
        self.end_negotiation(ix, NegotiationStep::Reject, Some(party), actor.user, ctx);
        Ok(())
    }

    /// The response deadline came (N-2): the negotiation expires and the hold is released.
    pub(crate) fn expire_negotiation(&mut self, ix: Ix, ctx: &mut Ctx<'_>) {
        self.end_negotiation(ix, NegotiationStep::Expire, None, UserId::PLATFORM, ctx);
    }

    fn end_negotiation(
        &mut self,
        ix: Ix,
        step: NegotiationStep,
        by: Option<Party>,
        user: UserId,
        ctx: &mut Ctx<'_>,
    ) {
        let n = self.negotiations.at_mut(ix);
        let Some(next) = n.state.after(step) else { return };
        let deadline = n.deadline();
        n.state = next;
        let (id, hold, line) = (n.id, n.hold, n.proposal.budget_line);
        if let Some(deadline) = deadline {
            self.deadlines.remove(&deadline);
        }
        ctx.emit(match by {
            Some(by) => Event::NegotiationRejected { negotiation: id, by },
            None => Event::NegotiationExpired { negotiation: id },
        });
        if let Some(line_ix) = self.budgets.index_of(line) {
            self.move_budget(line_ix, LedgerKind::Released, hold, Some(id), user, ctx);
        }
    }

    /// Operator: how many counters a supplier may make (N-2).
    pub(crate) fn set_max_counters(
        &mut self,
        actor: Actor,
        max_counters: u32,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        if max_counters > 10 {
            return Err(Reason::Invalid { field: Field::Counters });
        }
        self.negotiation_rules.max_counters = max_counters;
        ctx.emit(Event::NegotiationRulesSet { max_counters });
        Ok(())
    }

    /// The negotiation `actor` answers, and as which party: it must be that party's turn.
    fn answering(&self, actor: Actor, negotiation: DealId) -> Result<(Ix, Party), Reason> {
        let ix = self.negotiation_ix(negotiation)?;
        let n = self.negotiations.at(ix);
        let party = self.party(actor, n)?;
        if n.state.turn() != Some(party) {
            return Err(Reason::NotYourTurn);
        }
        Ok((ix, party))
    }

    fn negotiation_ix(&self, negotiation: DealId) -> Result<Ix, Reason> {
        self.negotiations
            .index_of(negotiation)
            .ok_or(Reason::NotFound { what: Entity::Negotiation })
    }

    /// Which party `actor` is; anyone else may not act, nor learn more than that (N-3).
    fn party(&self, actor: Actor, n: &Negotiation) -> Result<Party, Reason> {
        if actor.participant == n.purchaser {
            Ok(Party::Purchaser)
        } else if actor.participant == n.supplier {
            Ok(Party::Supplier)
        } else {
            Err(Reason::NotFound { what: Entity::Negotiation })
        }
    }
}

/// The rules of negotiation the operator sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NegotiationRules {
    /// Counters a supplier may make in one negotiation.
    pub max_counters: u32,
}

impl Default for NegotiationRules {
    fn default() -> Self {
        Self { max_counters: super::DEFAULT_MAX_COUNTERS }
    }
}

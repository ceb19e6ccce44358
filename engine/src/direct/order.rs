//! A direct order (D-1 to D-5): plan the fill over the product's book, check the plan against the
//! direct-order limit and the budget as a whole, then hold, strike and commit in one step.
//!
//! Nothing changes until every check has passed, so a rejected order leaves no trace but its
//! `Rejected` event. The plan lives in a buffer the engine reuses, so a fill allocates nothing.

use serde::{Deserialize, Serialize};

use crate::arena::Ix;
use crate::budget::LedgerKind;
use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Field, Reason};
use crate::settlement::{Trade, TradeMode, TradeRecord};
use crate::state::State;
use crate::types::{
    Actor, Amount, BudgetLineId, DealId, ParticipantId, ProductId, Quantity, UnitPrice,
};

/// What a purchaser asks for (D-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The catalog product.
    pub product: ProductId,
    /// Quantity, at the product's scale.
    pub quantity: Quantity,
    /// The budget line that pays.
    pub budget_line: BudgetLineId,
    /// A named supplier, or `None` for the best offer.
    pub supplier: Option<ParticipantId>,
    /// Highest unit price the purchaser accepts.
    pub limit_price: Option<UnitPrice>,
    /// Fill the whole quantity or nothing.
    pub all_or_nothing: bool,
}

/// One leg of a planned fill.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PlannedFill {
    agreement: Ix,
    price: UnitPrice,
    quantity: Quantity,
    amount: Amount,
}

/// Why the walk skipped offers, ranked by how close the offer came to filling: when nothing fills,
/// the purchaser hears about the nearest miss.
fn obstacle_rank(reason: &Reason) -> u8 {
    match reason {
        Reason::RegionNotCovered => 1,
        Reason::AgreementNotValid => 2,
        Reason::SupplierSuspended => 3,
        Reason::AboveCeiling { .. } => 4,
        Reason::StockShort { .. } => 5,
        Reason::LimitPrice { .. } => 6,
        _ => 0,
    }
}

impl State {
    pub(crate) fn place_order(
        &mut self,
        actor: Actor,
        request: OrderRequest,
        plan: &mut Vec<PlannedFill>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        plan.clear();
        let purchaser_ix = self.require_kind(actor, ParticipantKind::Purchaser)?;
        let region = self.participants.at(purchaser_ix).region.unwrap_or_default();
        let product_ix = self
            .products
            .index_of(request.product)
            .ok_or(Reason::NotFound { what: Entity::Product })?;
        let product = self.products.at(product_ix);
        if !request.quantity.is_positive() {
            return Err(Reason::Invalid { field: Field::Quantity });
        }
        if !request.quantity.fits_scale(product.scale) {
            return Err(Reason::QuantityScale { scale: product.scale });
        }
        let line_ix = self.owned_line(actor, request.budget_line, ctx.fiscal_year)?;
        let line = self.budgets.at(line_ix);
        if let Some(supplier) = request.supplier
            && !self.participants.at(self.supplier_ix(supplier)?).is_active()
        {
            return Err(Reason::SupplierSuspended);
        }

        // Walk the book in price-time order (D-2, D-3).
        let mut remaining = request.quantity;
        let mut nearest_miss: Option<Reason> = None;
        let mut miss = |reason: Reason| {
            if nearest_miss.is_none_or(|m| obstacle_rank(&reason) > obstacle_rank(&m)) {
                nearest_miss = Some(reason);
            }
        };
        for key in product.book.iter() {
            let agreement = self.agreements.at(key.agreement);
            if request.supplier.is_some_and(|s| s != agreement.supplier) {
                continue;
            }
            if !agreement.covers(&region) {
                miss(Reason::RegionNotCovered);
                continue;
            }
            if !agreement.is_valid(ctx.now) {
                miss(Reason::AgreementNotValid);
                continue;
            }
            if !self.participants.at(agreement.supplier_ix).is_active() {
                miss(Reason::SupplierSuspended);
                continue;
            }
            if key.price > agreement.ceiling {
                miss(Reason::AboveCeiling { ceiling: agreement.ceiling });
                continue;
            }
            let take = agreement.fillable(remaining);
            if !take.is_positive() {
                miss(Reason::StockShort { available: Quantity::ZERO });
                continue;
            }
            if request.limit_price.is_some_and(|limit| key.price > limit) {
                // The book is sorted by price: every later offer is above the limit too.
                miss(Reason::LimitPrice { best: key.price });
                break;
            }
            let amount = key.price.times(take).ok_or(Reason::Invalid { field: Field::Quantity })?;
            plan.push(PlannedFill {
                agreement: key.agreement,
                price: key.price,
                quantity: take,
                amount,
            });
            remaining = remaining.minus(take);
            if !remaining.is_positive() {
                break;
            }
        }
        if plan.is_empty() {
            return Err(nearest_miss.unwrap_or(Reason::NoAgreement));
        }
        let filled = request.quantity.minus(remaining);
        if request.all_or_nothing && remaining.is_positive() {
            return Err(Reason::StockShort { available: filled });
        }
        let mut total = Amount::ZERO;
        for fill in plan.iter() {
            total =
                total.checked_add(fill.amount).ok_or(Reason::Invalid { field: Field::Quantity })?;
        }

        // The whole planned fill against the limit (D-4) and the budget (B-1).
        if let Some(limit) = self.limits.resolve_cached(&region, &product.category)
            && total > limit
        {
            return Err(Reason::AboveLimit { amount: total, limit });
        }
        let available = line.balance.available();
        if total > available {
            return Err(Reason::BudgetShort { needed: total, available });
        }

        // Every check passed: hold, strike each leg, commit (B-2, B-3).
        let deal = DealId::from_seq(ctx.seq);
        self.move_budget(line_ix, LedgerKind::Held, total, Some(deal), actor.user, ctx);
        for fill in plan.iter() {
            let agreement = self.agreements.at_mut(fill.agreement);
            if let Some(stock) = agreement.stock.as_mut() {
                *stock = stock.minus(fill.quantity);
            }
            let trade = Trade {
                id: ctx.next_trade_id(),
                mode: TradeMode::DirectOrder,
                deal,
                purchaser: actor.participant,
                supplier: agreement.supplier,
                product: request.product,
                agreement: Some(agreement.id),
                quantity: fill.quantity,
                unit_price: fill.price,
                amount: fill.amount,
                budget_line: request.budget_line,
                region: region.region(),
                ts: ctx.now,
                seq: ctx.seq,
            };
            let stock_left = agreement.stock.map(|stock| (agreement.id, stock));
            self.trades.push(TradeRecord::struck(trade));
            ctx.emit(Event::TradeStruck(trade));
            if let Some((agreement, stock)) = stock_left {
                ctx.emit(Event::StockChanged {
                    agreement,
                    product: request.product,
                    stock: Some(stock),
                });
            }
        }
        self.move_budget(line_ix, LedgerKind::Committed, total, Some(deal), actor.user, ctx);
        ctx.emit(Event::OrderFilled {
            order: deal,
            purchaser: actor.participant,
            request,
            filled,
            amount: total,
        });
        Ok(())
    }
}

//! Opening and cancelling an auction, with the budget held and released (B-2, B-3).

use super::{Auction, AuctionSpec, AuctionState, AuctionStep, Disclosure, Eligibility, MinStep};
use crate::budget::LedgerKind;
use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, CategoryCode, DealId, UnitPrice};

/// Basis points in a whole.
const BASIS: i64 = 10_000;

impl State {
    /// an auction of a product or, with `category`, of any product of that category (the
    /// spec's product is the one its specification describes, and must be of the category).
    pub(crate) fn open_auction(
        &mut self,
        actor: Actor,
        mut spec: AuctionSpec,
        category: Option<CategoryCode>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let purchaser_ix = self.require_kind(actor, ParticipantKind::Purchaser)?;
        let region = self.participants.at(purchaser_ix).region.unwrap_or_default();
        let product =
            self.products.get(spec.product).ok_or(Reason::NotFound { what: Entity::Product })?;
        if let Some(category) = category {
            if !self.categories.contains_key(&category) {
                return Err(Reason::NotFound { what: Entity::Category });
            }
            if !product.category.codes().contains(&category) {
                return Err(Reason::ProductNotInAuction);
            }
        }
        if !spec.quantity.is_positive() {
            return Err(Reason::Invalid { field: Field::Quantity });
        }
        if !spec.quantity.fits_scale(product.scale) {
            return Err(Reason::QuantityScale { scale: product.scale });
        }
        let line_ix = self.owned_line(actor, spec.budget_line, ctx.fiscal_year)?;
        if !spec.ceiling.is_positive() {
            return Err(Reason::Invalid { field: Field::Price });
        }
        let windows_ok =
            spec.soft_close_ms >= 0 && spec.extension_ms >= 0 && spec.max_extension_ms >= 0;
        if spec.starts >= spec.ends || spec.ends <= ctx.now || !windows_ok {
            return Err(Reason::Invalid { field: Field::Schedule });
        }
        let step = match spec.min_step {
            MinStep::Price(step) => step,
            MinStep::Basis(bp) if bp <= 10_000 => {
                UnitPrice::from_minor(spec.ceiling.minor().saturating_mul(i64::from(bp)) / BASIS)
            }
            MinStep::Basis(_) => UnitPrice::ZERO,
        };
        if !step.is_positive() || step >= spec.ceiling {
            return Err(Reason::Invalid { field: Field::Step });
        }
        if spec.min_bidders == 0 {
            return Err(Reason::Invalid { field: Field::Bidders });
        }
        if spec.must_beat_best && spec.disclosure == Disclosure::RankOnly {
            return Err(Reason::MustBeatBestHidesNothing);
        }
        if let Eligibility::Invited(list) = &mut spec.eligibility {
            list.sort_unstable();
            list.dedup();
            if list.is_empty() {
                return Err(Reason::Invalid { field: Field::Bidders });
            }
            for supplier in list.iter() {
                self.supplier_ix(*supplier)?;
            }
        }
        let hold =
            spec.ceiling.times(spec.quantity).ok_or(Reason::Invalid { field: Field::Quantity })?;
        let available = self.budgets.at(line_ix).balance.available();
        if hold > available {
            return Err(Reason::BudgetShort { needed: hold, available });
        }

        let id = DealId::from_seq(ctx.seq);
        let started = spec.starts <= ctx.now;
        self.move_budget(line_ix, LedgerKind::Held, hold, Some(id), actor.user, ctx);
        let auction = Auction {
            id,
            purchaser: actor.participant,
            region,
            end: spec.ends,
            spec: spec.clone(),
            category,
            step,
            hold,
            state: if started { AuctionState::Open } else { AuctionState::Scheduled },
            standings: Vec::new(),
            bids: Vec::new(),
            closed: None,
            reserved: false,
        };
        if let Some(deadline) = auction.deadline() {
            self.deadlines.insert(deadline);
        }
        self.auctions.push(id, auction);
        ctx.emit(Event::AuctionOpened {
            auction: id,
            purchaser: actor.participant,
            spec,
            step,
            hold,
        });
        if started {
            ctx.emit(Event::AuctionStarted { auction: id });
        }
        Ok(())
    }

    /// before the first bid the purchaser (or an operator) may cancel; after it only an
    /// operator, with a stated reason.
    pub(crate) fn cancel_auction(
        &mut self,
        actor: Actor,
        auction: DealId,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix =
            self.auctions.index_of(auction).ok_or(Reason::NotFound { what: Entity::Auction })?;
        let a = self.auctions.at(ix);
        let operator = self.require_operator(actor, Reach::Participant(a.purchaser));
        let owner = actor.participant == a.purchaser;
        match (a.standings.is_empty(), owner, operator) {
            (true, true, _) | (_, _, Ok(())) => {}
            (false, true, Err(_)) => return Err(Reason::CancelAfterBids),
            (_, false, Err(why)) => return Err(why),
        }
        let operator = operator.is_ok();
        if operator && !a.standings.is_empty() && !crate::catalog::text_ok(&reason) {
            return Err(Reason::Invalid { field: Field::Name });
        }
        let next = a.state.after(AuctionStep::Cancel).ok_or(Reason::AuctionNotOpen)?;
        let (deadline, hold, line) = (a.deadline(), a.hold, a.spec.budget_line);
        let line_ix =
            self.budgets.index_of(line).ok_or(Reason::NotFound { what: Entity::BudgetLine })?;
        if let Some(deadline) = deadline {
            self.deadlines.remove(&deadline);
        }
        let a = self.auctions.at_mut(ix);
        a.state = next;
        let bidders = u32::try_from(a.standings.len()).unwrap_or(u32::MAX);
        a.closed = Some(super::Closure { seq: ctx.seq, ts: ctx.now, bidders });
        ctx.emit(Event::AuctionCancelled { auction, reason });
        self.move_budget(line_ix, LedgerKind::Released, hold, Some(auction), actor.user, ctx);
        Ok(())
    }
}

//! Taking a settlement step on a trade: the party check, the transition table, and the budget and
//! stock consequences (B-3).

use super::{SettlementParty, SettlementStep};
use crate::budget::LedgerKind;
use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, TradeId};

impl State {
    pub(crate) fn settle(
        &mut self,
        actor: Actor,
        trade: TradeId,
        step: SettlementStep,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.trades.index_of(trade).ok_or(Reason::NotFound { what: Entity::Trade })?;
        let record = *self.trades.at(ix);
        match step.party() {
            SettlementParty::Supplier => {
                self.require_kind(actor, ParticipantKind::Supplier)?;
                if actor.participant != record.trade.supplier {
                    return Err(Reason::NotPermitted);
                }
            }
            SettlementParty::Purchaser => {
                self.require_kind(actor, ParticipantKind::Purchaser)?;
                if actor.participant != record.trade.purchaser {
                    return Err(Reason::NotPermitted);
                }
            }
            SettlementParty::Operator => {
                self.require_operator(actor, Reach::Participant(record.trade.purchaser))?;
                if !crate::catalog::text_ok(&reason) {
                    return Err(Reason::Invalid { field: Field::Name });
                }
            }
        }
        let state =
            record.state.after(step).ok_or(Reason::SettlementStep { state: record.state, step })?;
        let line_ix = self
            .budgets
            .index_of(record.trade.budget_line)
            .ok_or(Reason::NotFound { what: Entity::BudgetLine })?;

        let row = self.trades.at_mut(ix);
        row.state = state;
        if step == SettlementStep::Accept {
            row.accepted_ts = Some(ctx.now);
        }
        ctx.emit(Event::TradeSettled { trade, step, state, reason });
        if step == SettlementStep::Decline {
            self.rotation_declined(record.trade.deal, record.trade.supplier, ctx);
        }
        let deal = Some(record.trade.deal);
        if step == SettlementStep::Pay {
            self.move_budget(line_ix, LedgerKind::Paid, record.trade.amount, deal, actor.user, ctx);
        }
        if step.unwinds() {
            self.move_budget(
                line_ix,
                LedgerKind::Unwound,
                record.trade.amount,
                deal,
                actor.user,
                ctx,
            );
            if let Some(agreement) = record.trade.agreement
                && let Some(ag_ix) = self.agreements.index_of(agreement)
            {
                let row = self.agreements.at_mut(ag_ix);
                if let Some(stock) = row.stock.as_mut() {
                    *stock = stock.plus(record.trade.quantity);
                    let stock = Some(*stock);
                    ctx.emit(Event::StockChanged {
                        agreement,
                        product: record.trade.product,
                        stock,
                    });
                }
            }
        }
        Ok(())
    }
}

//! Taking a settlement step on a trade: the party check, the transition table, the award's
//! finality (C-1), and the budget and stock consequences (B-3); acceptance starts the payment term
//! (P-6).

use super::{SettlementParty, SettlementStep};
use crate::award::{Timer, TimerKind};
use crate::budget::LedgerKind;
use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, TradeId};

/// The payment term when the agreement sets none, or the trade has no agreement: 30 days
/// (保障中小企业款项支付条例 Art. 8).
pub const DEFAULT_PAYMENT_DAYS: u32 = 30;
const DAY_MS: i64 = 86_400_000;

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
        if step == SettlementStep::Annul {
            // Annulment follows an upheld challenge or complaint, never a command of its own.
            return Err(Reason::NotPermitted);
        }
        let state =
            record.state.after(step).ok_or(Reason::SettlementStep { state: record.state, step })?;
        if !step.unwinds() {
            self.award_allows_settlement(&record)?;
        }
        let line_ix = self
            .budgets
            .index_of(record.trade.budget_line)
            .ok_or(Reason::NotFound { what: Entity::BudgetLine })?;

        if step.unwinds() {
            self.unwind(trade, step, reason.clone(), actor.user, ctx);
            if step == SettlementStep::Decline {
                self.rotation_declined(record.trade.deal, record.trade.supplier, ctx);
            }
            self.contract_ended(trade, step, &reason, actor.user, ctx);
            return Ok(());
        }
        let payment_due = (step == SettlementStep::Accept).then(|| {
            let days = record
                .trade
                .agreement
                .and_then(|a| self.agreements.get(a))
                .map_or(DEFAULT_PAYMENT_DAYS, |a| a.payment_days);
            ctx.now.plus_ms(i64::from(days) * DAY_MS)
        });
        let row = self.trades.at_mut(ix);
        row.state = state;
        if let Some(due) = payment_due {
            row.accepted_ts = Some(ctx.now);
            row.payment_due = Some(due);
            let deal = record.trade.deal;
            self.timers.insert(Timer { at: due, deal, kind: TimerKind::PaymentDue(trade) });
        }
        if state.is_final() {
            self.trades.at_mut(ix).ended = Some((ctx.seq, ctx.now));
        }
        ctx.emit(Event::TradeSettled { trade, step, state, reason });
        if step == SettlementStep::Pay {
            let deal = Some(record.trade.deal);
            self.move_budget(line_ix, LedgerKind::Paid, record.trade.amount, deal, actor.user, ctx);
        }
        Ok(())
    }
}

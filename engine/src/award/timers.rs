//! The timers of what follows an award: the challenge period's end (C-1), a purchaser's answer due
//! (C-2), a regulator's ruling due (C-3) and a payment due (P-6). Like an auction's deadlines they
//! run before the first command at or after their time, as part of it, so replay runs them alike.
//! A timer that finds its subject moved on (answered, ruled, paid, awarded anew) does nothing.

use serde::{Deserialize, Serialize};

use crate::command::Ctx;
use crate::event::Event;
use crate::settlement::TradeState;
use crate::state::State;
use crate::types::{DealId, ParticipantId, Timestamp, TradeId};

/// What a timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum TimerKind {
    /// The award's challenge period ends.
    PeriodEnds,
    /// The purchaser's answer to this challenger falls due.
    AnswerDue(ParticipantId),
    /// The regulator's ruling on this challenger's complaint falls due.
    RulingDue(ParticipantId),
    /// Payment for this trade falls due.
    PaymentDue(TradeId),
}

/// A timer. Field order is the order timers run in: by time, then deal, then kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Timer {
    pub at: Timestamp,
    pub deal: DealId,
    pub kind: TimerKind,
}

impl State {
    pub(crate) fn on_timer(&mut self, timer: Timer, ctx: &mut Ctx<'_>) {
        match timer.kind {
            TimerKind::PeriodEnds => self.finalize_if_due(timer.deal, ctx),
            TimerKind::AnswerDue(challenger) => self.answer_overdue(timer.deal, challenger, ctx),
            TimerKind::RulingDue(challenger) => self.ruling_overdue(timer.deal, challenger, ctx),
            TimerKind::PaymentDue(trade) => self.payment_overdue(trade, ctx),
        }
    }

    /// P-6: a trade accepted and still unpaid at its due date raises one alert, and shows overdue
    /// until paid.
    fn payment_overdue(&mut self, trade: TradeId, ctx: &mut Ctx<'_>) {
        let Some(ix) = self.trades.index_of(trade) else { return };
        let row = self.trades.at_mut(ix);
        let Some(due) = row.payment_due.filter(|_| row.state == TradeState::Accepted) else {
            return;
        };
        row.late = Some(ctx.seq);
        let t = row.trade;
        ctx.emit(Event::PaymentOverdue {
            trade,
            purchaser: t.purchaser,
            supplier: t.supplier,
            amount: t.amount,
            due,
        });
    }
}

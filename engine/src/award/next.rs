//! The award's own steps: made provisional (C-1), final when its period ends with nothing open,
//! annulled or vacated (C-4), awarded to the next valid bid or quote in rank order at that bid's own
//! price, or failed with its budget released (B-3).

use serde::{Deserialize, Serialize};

use super::{Award, AwardState, AwardStep, CHALLENGE_WORKING_DAYS, Timer, TimerKind};
use crate::budget::LedgerKind;
use crate::catalog::text_ok;
use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Field, Reason};
use crate::settlement::{SettlementStep, Trade, TradeRecord};
use crate::state::State;
use crate::types::{Actor, Amount, DealId, TradeId, UserId};

/// Why an award fell vacant (C-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vacancy {
    /// The purchaser upheld a challenge.
    Challenge,
    /// The regulator upheld a complaint.
    Complaint,
    /// The winner declined the contract (拒签).
    Declined,
    /// An operator cancelled the contract.
    Cancelled,
}

impl State {
    /// C-1: records a deal's award, struck just now, as provisional until its challenge period ends.
    pub(crate) fn record_award(&mut self, mut award: Award, ctx: &mut Ctx<'_>) {
        award.published = ctx.now;
        award.period_ends = self.calendar.period_end(ctx.now, CHALLENGE_WORKING_DAYS);
        award.state = AwardState::Provisional;
        let (deal, period_ends) = (award.deal, award.period_ends);
        let winner = award.winner().map(|c| c.supplier);
        self.timers.insert(Timer { at: period_ends, deal, kind: TimerKind::PeriodEnds });
        self.awards.insert(deal, award);
        if let Some(winner) = winner {
            ctx.emit(Event::AwardProvisional { deal, winner, period_ends });
        }
    }

    /// C-1: the award becomes final once its period has ended, no challenge is open and it is not
    /// suspended.
    pub(super) fn finalize_if_due(&mut self, deal: DealId, ctx: &mut Ctx<'_>) {
        let Some(award) = self.awards.get_mut(&deal) else { return };
        let due = ctx.now >= award.period_ends
            && !award.challenge_open()
            && award.suspended.is_none()
            && award.state == AwardState::Provisional;
        if let Some(next) = award.state.after(AwardStep::Finalize).filter(|_| due) {
            award.state = next;
            ctx.emit(Event::AwardFinal { deal });
        }
    }

    /// C-4: an upheld challenge or complaint annuls the award: its trades are annulled and their
    /// amounts go back to the budget (B-3). A contract already paid for stays (Art. 73: losses are
    /// then made good, not undone), and so does the award.
    pub(super) fn annul_award(
        &mut self,
        deal: DealId,
        cause: Vacancy,
        user: UserId,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(award) = self.awards.get(&deal) else { return };
        if award.state.after(AwardStep::Annul).is_none() {
            return;
        }
        let trades = award.trades.clone();
        let annullable = trades.iter().all(|t| {
            self.trades.get(*t).is_some_and(|r| r.state.after(SettlementStep::Annul).is_some())
        });
        if !annullable {
            return;
        }
        for trade in trades {
            self.unwind(trade, SettlementStep::Annul, String::new(), user, ctx);
        }
        self.vacate(deal, cause, ctx);
    }

    /// C-4: the winner declined, or an operator cancelled, one trade of an award: the rest of its
    /// contract goes with it, and the award falls vacant.
    pub(crate) fn contract_ended(
        &mut self,
        trade: TradeId,
        step: SettlementStep,
        reason: &str,
        user: UserId,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(deal) = self.trades.get(trade).map(|r| r.trade.deal) else { return };
        let Some(award) = self.awards.get(&deal) else { return };
        if !award.trades.contains(&trade) || award.state.after(AwardStep::Vacate).is_none() {
            return;
        }
        for sibling in award.trades.clone() {
            let open = self.trades.get(sibling).is_some_and(|r| r.state.after(step).is_some());
            if sibling != trade && open {
                self.unwind(sibling, step, reason.to_owned(), user, ctx);
            }
        }
        let cause =
            if step == SettlementStep::Decline { Vacancy::Declined } else { Vacancy::Cancelled };
        self.vacate(deal, cause, ctx);
    }

    fn vacate(&mut self, deal: DealId, cause: Vacancy, ctx: &mut Ctx<'_>) {
        let Some(award) = self.awards.get_mut(&deal) else { return };
        let Some(next) = award.state.after(AwardStep::Vacate) else { return };
        award.state = next;
        let rank = award.rank;
        let Some(winner) = award.ranking.get_mut(rank) else { return };
        winner.passed = true;
        let supplier = winner.supplier;
        ctx.emit(Event::AwardVacated { deal, supplier, cause });
    }

    /// The index in rank order of the next candidate still valid now: active, and still holding
    /// the agreement it took part under.
    fn next_valid(&self, award: &Award, now: crate::types::Timestamp) -> Option<usize> {
        award.ranking.iter().enumerate().skip(award.rank + 1).find_map(|(at, c)| {
            let active = self.participants.get(c.supplier).is_some_and(|p| p.is_active());
            let holds =
                c.agreement.is_none_or(|a| self.agreements.get(a).is_some_and(|a| a.is_valid(now)));
            (!c.passed && active && holds).then_some(at)
        })
    }

    /// C-4: the purchaser awards the next valid bid or quote in rank order, at its own price: a new
    /// provisional award with a new challenge period. Its budget is held and committed anew (B-3).
    pub(crate) fn award_next_ranked(
        &mut self,
        actor: Actor,
        deal: DealId,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let award = self.purchasers_award(actor, deal)?;
        if award.state.after(AwardStep::AwardNext).is_none() {
            return Err(Reason::AwardStep { state: award.state });
        }
        let at = self.next_valid(award, ctx.now).ok_or(Reason::NoNextRanked)?;
        let line_ix = self
            .budgets
            .index_of(award.budget_line)
            .ok_or(Reason::NotFound { what: Entity::BudgetLine })?;
        let candidate = award.ranking[at].clone();
        let available = self.budgets.at(line_ix).balance.available();
        if candidate.amount > available {
            return Err(Reason::BudgetShort { needed: candidate.amount, available });
        }

        let (mode, purchaser, line) = (award.mode, award.purchaser, award.budget_line);
        let region = award.region.region();
        let lines = award.lines.clone();
        let skipped = award.rank + 1..at;
        let mut trades = Vec::with_capacity(lines.len());
        let rank = u32::try_from(at + 1).unwrap_or(u32::MAX);
        ctx.emit(Event::AwardedToNext {
            deal,
            supplier: candidate.supplier,
            rank,
            amount: candidate.amount,
        });
        for (l, price) in lines.iter().zip(&candidate.prices) {
            let trade = Trade {
                id: ctx.next_trade_id(),
                mode,
                deal,
                purchaser,
                supplier: candidate.supplier,
                product: candidate.product.unwrap_or(l.product),
                agreement: candidate.agreement,
                quantity: l.quantity,
                unit_price: *price,
                amount: price.times(l.quantity).unwrap_or(Amount::ZERO),
                budget_line: line,
                region,
                ts: ctx.now,
                seq: ctx.seq,
            };
            trades.push(trade.id);
            self.trades.push(TradeRecord::struck(trade));
            ctx.emit(Event::TradeStruck(trade));
        }
        let amount = candidate.amount;
        self.move_budget(line_ix, LedgerKind::Held, amount, Some(deal), actor.user, ctx);
        self.move_budget(line_ix, LedgerKind::Committed, amount, Some(deal), actor.user, ctx);
        let Some(award) = self.awards.remove(&deal) else { return Ok(()) };
        let mut award = Award { rank: at, trades, ..award };
        for c in &mut award.ranking[skipped] {
            c.passed = true;
        }
        self.record_award(award, ctx);
        Ok(())
    }

    /// C-4: with no next-ranked to award, or by the purchaser's choice, the deal fails; its budget
    /// went back when the award fell vacant (B-3).
    pub(crate) fn fail_award(
        &mut self,
        actor: Actor,
        deal: DealId,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.purchasers_award(actor, deal)?;
        if !text_ok(&reason) {
            return Err(Reason::Invalid { field: Field::Name });
        }
        let award = self.awards.get_mut(&deal).ok_or(Reason::NotFound { what: Entity::Award })?;
        award.state =
            award.state.after(AwardStep::Fail).ok_or(Reason::AwardStep { state: award.state })?;
        ctx.emit(Event::AwardFailed { deal, reason });
        Ok(())
    }

    /// Takes an unwinding step on one trade: its unpaid amount back to the budget and its goods
    /// back to stock (B-3).
    pub(crate) fn unwind(
        &mut self,
        trade: TradeId,
        step: SettlementStep,
        reason: String,
        user: UserId,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(ix) = self.trades.index_of(trade) else { return };
        let record = *self.trades.at(ix);
        let Some(state) = record.state.after(step) else { return };
        let Some(line_ix) = self.budgets.index_of(record.trade.budget_line) else { return };
        let row = self.trades.at_mut(ix);
        row.state = state;
        row.ended = Some((ctx.seq, ctx.now));
        ctx.emit(Event::TradeSettled { trade, step, state, reason });
        let deal = Some(record.trade.deal);
        self.move_budget(line_ix, LedgerKind::Unwound, record.trade.amount, deal, user, ctx);
        if let Some(agreement) = record.trade.agreement
            && let Some(ag_ix) = self.agreements.index_of(agreement)
            && let Some(stock) = self.agreements.at_mut(ag_ix).stock.as_mut()
        {
            *stock = stock.plus(record.trade.quantity);
            let stock = Some(*stock);
            ctx.emit(Event::StockChanged { agreement, product: record.trade.product, stock });
        }
    }

    /// C-1: settlement may not start on a trade of an award that is not final, or is suspended.
    pub(crate) fn award_allows_settlement(&self, record: &TradeRecord) -> Result<(), Reason> {
        let Some(award) = self.awards.get(&record.trade.deal) else { return Ok(()) };
        if !award.trades.contains(&record.trade.id) || award.settles() {
            return Ok(());
        }
        Err(Reason::AwardNotFinal {
            state: award.state,
            period_ends: award.period_ends,
            suspended: award.suspended.is_some(),
        })
    }
}

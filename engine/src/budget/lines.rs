//! Opening and adjusting budget lines, and the one function through which every balance moves.

use super::{Balance, BudgetLine, LedgerEntry, LedgerKind};
use crate::arena::Ix;
use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, Amount, BudgetLineId, DealId, ParticipantId, UserId};

/// What an operator gives to open a budget line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Allocation {
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Budget project.
    pub project: String,
    /// Line code, unique within the purchaser's project and year.
    pub line_code: String,
    /// Amount allocated.
    pub amount: Amount,
}

impl State {
    pub(crate) fn allocate_budget(
        &mut self,
        actor: Actor,
        allocation: Allocation,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Participant(allocation.purchaser))?;
        let purchaser = self
            .participants
            .get(allocation.purchaser)
            .ok_or(Reason::NotFound { what: Entity::Purchaser })?;
        if purchaser.kind != ParticipantKind::Purchaser {
            return Err(Reason::NotFound { what: Entity::Purchaser });
        }
        if !crate::catalog::text_ok(&allocation.project)
            || !crate::catalog::text_ok(&allocation.line_code)
        {
            return Err(Reason::Invalid { field: Field::Name });
        }
        if allocation.amount.minor() < 0 {
            return Err(Reason::Invalid { field: Field::Amount });
        }
        let key = (
            allocation.purchaser,
            allocation.fiscal_year,
            allocation.project.clone(),
            allocation.line_code.clone(),
        );
        if self.budget_keys.contains(&key) {
            return Err(Reason::AlreadyExists { what: Entity::BudgetLine });
        }
        self.budget_keys.insert(key);
        let id = BudgetLineId::from_seq(ctx.seq);
        let ix = self.budgets.push(
            id,
            BudgetLine {
                id,
                purchaser: allocation.purchaser,
                fiscal_year: allocation.fiscal_year,
                project: allocation.project.clone(),
                line_code: allocation.line_code.clone(),
                balance: Balance::default(),
            },
        );
        let amount = allocation.amount;
        ctx.emit(Event::BudgetLineOpened { line: id, allocation });
        self.move_budget(ix, LedgerKind::Allocated, amount, None, actor.user, ctx);
        Ok(())
    }

    /// Sets a line's allocation to a new total (追加调整), never below what is already held,
    /// committed and paid (B-1).
    pub(crate) fn adjust_budget(
        &mut self,
        actor: Actor,
        line: BudgetLineId,
        allocated: Amount,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_an_operator(actor)?;
        let ix =
            self.budgets.index_of(line).ok_or(Reason::NotFound { what: Entity::BudgetLine })?;
        self.require_operator(actor, Reach::Participant(self.budgets.at(ix).purchaser))?;
        let balance = self.budgets.at(ix).balance;
        if allocated.minor() < 0 {
            return Err(Reason::Invalid { field: Field::Amount });
        }
        if allocated < balance.used() {
            return Err(Reason::BelowUsed { used: balance.used() });
        }
        ctx.emit(Event::BudgetAdjusted { line, allocated, reason });
        let delta = allocated.minus(balance.allocated);
        self.move_budget(ix, LedgerKind::Adjusted, delta, None, actor.user, ctx);
        Ok(())
    }

    /// Moves a balance and records the movement in the ledger (B-4). Callers check B-1 first.
    pub(crate) fn move_budget(
        &mut self,
        ix: Ix,
        kind: LedgerKind,
        amount: Amount,
        deal: Option<DealId>,
        user: UserId,
        ctx: &mut Ctx<'_>,
    ) {
        let line = self.budgets.at_mut(ix);
        line.balance.apply(kind, amount);
        debug_assert!(line.balance.available().minor() >= 0, "B-1 broken on {}", line.id);
        ctx.emit(Event::BudgetMoved(LedgerEntry { line: line.id, kind, amount, deal, user }));
    }
}

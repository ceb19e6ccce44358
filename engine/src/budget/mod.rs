//! Budget lines (预算指标) and their balances (rules B-1 to B-4).
//!
//! Invariant B-1: `available = allocated - held - committed - paid` is never negative. Every change
//! to a balance is a ledger entry (B-4) applied through [`Balance::apply`], the same function a
//! reader of the ledger uses to rebuild balances, so the engine cannot move money without a trace.

mod ledger;
mod lines;

pub use ledger::{LedgerEntry, LedgerKind, rebuild_balances};
pub use lines::Allocation;

use serde::{Deserialize, Serialize};

use crate::types::{Amount, BudgetLineId, ParticipantId};

/// The four figures of a budget line, in fen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Allocated to the line.
    pub allocated: Amount,
    /// Held for purchases under way (B-2).
    pub held: Amount,
    /// Committed by awards, not yet paid (B-3).
    pub committed: Amount,
    /// Paid.
    pub paid: Amount,
}

impl Balance {
    /// `allocated - held - committed - paid`.
    pub fn available(&self) -> Amount {
        self.allocated.minus(self.used())
    }

    /// `held + committed + paid`: what an adjustment may not go below.
    pub fn used(&self) -> Amount {
        self.held.plus(self.committed).plus(self.paid)
    }

    /// Applies one ledger movement.
    pub fn apply(&mut self, kind: LedgerKind, amount: Amount) {
        match kind {
            LedgerKind::Allocated | LedgerKind::Adjusted => {
                self.allocated = self.allocated.plus(amount);
            }
            LedgerKind::Held => self.held = self.held.plus(amount),
            LedgerKind::Released => self.held = self.held.minus(amount),
            LedgerKind::Committed => {
                self.held = self.held.minus(amount);
                self.committed = self.committed.plus(amount);
            }
            LedgerKind::Paid => {
                self.committed = self.committed.minus(amount);
                self.paid = self.paid.plus(amount);
            }
            LedgerKind::Unwound => self.committed = self.committed.minus(amount),
        }
    }
}

/// A budget line of one purchasing unit for one fiscal year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// Id.
    pub id: BudgetLineId,
    /// The purchasing unit that spends it.
    pub purchaser: ParticipantId,
    /// Fiscal year (calendar year in Shanghai).
    pub fiscal_year: i32,
    /// Budget project (预算项目).
    pub project: String,
    /// Line code within the project.
    pub line_code: String,
    /// Its figures.
    pub balance: Balance,
}

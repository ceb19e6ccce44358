//! The budget ledger (B-4): every movement of every line, in order. Folding the entries with
//! [`rebuild_balances`] gives every balance the engine holds; reconciliation relies on it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Balance;
use crate::types::{Amount, BudgetLineId, DealId, UserId};

/// The kind of a movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerKind {
    /// First allocation of the line.
    Allocated,
    /// Adjustment (追加调整); the amount is the signed change.
    Adjusted,
    /// Held for a purchase (B-2).
    Held,
    /// Hold released: failure, cancellation, or the rest above the deal amount (B-3).
    Released,
    /// Hold turned into a commitment at the deal amount (B-3).
    Committed,
    /// Commitment paid (B-3).
    Paid,
    /// Commitment released by a declined contract or an operator's cancellation (B-3).
    Unwound,
}

/// One movement of one budget line. Its sequence and time are those of the event's envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The line moved.
    pub line: BudgetLineId,
    /// What moved.
    pub kind: LedgerKind,
    /// How much.
    pub amount: Amount,
    /// The deal it belongs to, if any.
    pub deal: Option<DealId>,
    /// The acting user.
    pub user: UserId,
}

/// Rebuilds every line's balance from the ledger alone.
pub fn rebuild_balances<'a>(
    entries: impl IntoIterator<Item = &'a LedgerEntry>,
) -> BTreeMap<BudgetLineId, Balance> {
    let mut balances = BTreeMap::<BudgetLineId, Balance>::new();
    for entry in entries {
        balances.entry(entry.line).or_default().apply(entry.kind, entry.amount);
    }
    balances
}

//! The trades struck so far, in the order struck. Trade ids increase with the striking command's
//! sequence, so the table is sorted by id: a lookup is a binary search, and striking a trade is a
//! plain append, with no index to maintain on the hot path (lookups happen only on settlement).

use serde::{Deserialize, Serialize};

use super::TradeRecord;
use crate::arena::Ix;
use crate::types::TradeId;

/// Trades in the order struck.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TradeTable {
    rows: Vec<TradeRecord>,
}

impl TradeTable {
    /// Appends a trade struck after every trade already held.
    ///
    /// # Panics
    /// When its id does not increase: ids derive from the engine's sequence, so that is a bug.
    pub fn push(&mut self, record: TradeRecord) {
        assert!(
            self.rows.last().is_none_or(|last| last.trade.id < record.trade.id),
            "trade ids must increase"
        );
        self.rows.push(record);
    }

    /// The position of a trade.
    pub fn index_of(&self, id: TradeId) -> Option<Ix> {
        let ix = self.rows.binary_search_by_key(&id, |row| row.trade.id).ok()?;
        Ix::try_from(ix).ok()
    }

    /// A trade by id.
    pub fn get(&self, id: TradeId) -> Option<&TradeRecord> {
        self.index_of(id).map(|ix| self.at(ix))
    }

    /// The trade at a position obtained from this table.
    pub fn at(&self, ix: Ix) -> &TradeRecord {
        &self.rows[ix as usize]
    }

    /// The trade at a position obtained from this table, mutably.
    pub fn at_mut(&mut self, ix: Ix) -> &mut TradeRecord {
        &mut self.rows[ix as usize]
    }

    /// Trades in the order struck.
    pub fn iter(&self) -> impl Iterator<Item = &TradeRecord> {
        self.rows.iter()
    }
}

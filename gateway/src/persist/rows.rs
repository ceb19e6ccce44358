//! What the database keeps of the journal: rows extracted from records, a batch at a time, with the
//! budget balance deltas and final trade states the batch implies.

use std::collections::BTreeMap;

use engine::Event;
use engine::budget::Balance;
use engine::settlement::Trade;
use engine::types::{Amount, BudgetLineId, Seq, TradeId};

use crate::journal::record::JournalRecord;

/// A region row.
#[derive(Clone, Debug)]
pub struct RegionRow {
    pub code: i32,
    pub name: String,
    pub parent: Option<i32>,
    pub level: &'static str,
    pub seq: i64,
}

/// A participant row.
#[derive(Clone, Debug)]
pub struct ParticipantRow {
    pub id: i64,
    pub kind: &'static str,
    pub name: String,
    pub credit_code: Option<String>,
    pub region: Option<i32>,
    pub seq: i64,
}

/// A budget line row, as opened.
#[derive(Clone, Debug)]
pub struct LineRow {
    pub id: i64,
    pub purchaser: i64,
    pub fiscal_year: i32,
    pub project: String,
    pub line_code: String,
    pub seq: i64,
}

/// A ledger entry row.
#[derive(Clone, Copy, Debug)]
pub struct LedgerRow {
    pub seq: i64,
    pub idx: i32,
    pub line: i64,
    pub kind: &'static str,
    pub amount: Amount,
    pub deal: Option<i64>,
    pub user: i64,
    pub ts_ms: i64,
}

/// A trade row, as struck.
#[derive(Clone, Copy, Debug)]
pub struct TradeRow {
    pub trade: Trade,
    pub idx: i32,
}

/// A settlement step row.
#[derive(Clone, Debug)]
pub struct StepRow {
    pub seq: i64,
    pub idx: i32,
    pub trade: TradeId,
    pub step: &'static str,
    pub state: &'static str,
    pub reason: String,
    pub ts_ms: i64,
}

/// The rows of a run of consecutive records.
#[derive(Debug, Default)]
pub struct RowBatch {
    /// Sequence of the last record taken.
    pub last: Option<Seq>,
    /// Records taken.
    pub records: usize,
    pub regions: Vec<RegionRow>,
    pub participants: Vec<ParticipantRow>,
    pub lines: Vec<LineRow>,
    pub ledger: Vec<LedgerRow>,
    pub trades: Vec<TradeRow>,
    pub steps: Vec<StepRow>,
    /// Change of each budget line's figures over the batch.
    pub balance_deltas: BTreeMap<BudgetLineId, Balance>,
    /// State of each trade settled in the batch, after the batch.
    pub trade_states: BTreeMap<TradeId, &'static str>,
}

/// Index of an event within its command, as stored.
fn idx(index: u32) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

fn id(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn code(region: engine::types::RegionCode) -> i32 {
    i32::try_from(region.get()).unwrap_or(i32::MAX)
}

impl RowBatch {
    /// True when the batch holds nothing to write but its offset.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Every budget line the batch's ledger entries and trades name, each once, in order.
    pub fn named_lines(&self) -> Vec<i64> {
        let mut lines: Vec<i64> = self.ledger.iter().map(|e| e.line).collect();
        lines.extend(self.trades.iter().map(|t| id(t.trade.budget_line.0)));
        lines.sort_unstable();
        lines.dedup();
        lines
    }

    /// Adds a record's rows.
    pub fn add(&mut self, record: &JournalRecord) {
        self.last = Some(record.seq);
        self.records += 1;
        let seq = id(record.seq.0);
        for envelope in &record.events {
            let idx = idx(envelope.index);
            let ts_ms = envelope.ts.ms();
            match &envelope.event {
                Event::RegionDefined { code: c, name, parent, level } => {
                    self.regions.push(RegionRow {
                        code: code(*c),
                        name: name.clone(),
                        parent: parent.map(code),
                        level: level.name(),
                        seq,
                    })
                }
                Event::ParticipantRegistered { participant, registration } => {
                    self.participants.push(ParticipantRow {
                        id: id(participant.0),
                        kind: registration.kind.name(),
                        name: registration.name.clone(),
                        credit_code: registration.credit_code.map(|c| c.to_string()),
                        region: registration.region.map(code),
                        seq,
                    });
                }
                Event::BudgetLineOpened { line, allocation } => self.lines.push(LineRow {
                    id: id(line.0),
                    purchaser: id(allocation.purchaser.0),
                    fiscal_year: allocation.fiscal_year,
                    project: allocation.project.clone(),
                    line_code: allocation.line_code.clone(),
                    seq,
                }),
                Event::BudgetMoved(entry) => {
                    self.ledger.push(LedgerRow {
                        seq,
                        idx,
                        line: id(entry.line.0),
                        kind: entry.kind.name(),
                        amount: entry.amount,
                        deal: entry.deal.map(|d| id(d.0)),
                        user: id(entry.user.0),
                        ts_ms,
                    });
                    self.balance_deltas
                        .entry(entry.line)
                        .or_default()
                        .apply(entry.kind, entry.amount);
                }
                Event::TradeStruck(trade) => self.trades.push(TradeRow { trade: *trade, idx }),
                Event::TradeSettled { trade, step, state, reason } => {
                    self.steps.push(StepRow {
                        seq,
                        idx,
                        trade: *trade,
                        step: step.name(),
                        state: state.name(),
                        reason: reason.clone(),
                        ts_ms,
                    });
                    self.trade_states.insert(*trade, state.name());
                }
                _ => {}
            }
        }
    }
}

/// Keeps the last of the rows sharing a key, in the order of those kept: rows written whole, as
/// they stand, need only their newest state in a batch (and one statement may not write a row twice).
pub fn keep_newest<T, K: std::hash::Hash + Eq>(rows: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    let mut kept: Vec<T> = Vec::with_capacity(rows.len());
    for row in rows.drain(..).rev() {
        if seen.insert(key(&row)) {
            kept.push(row);
        }
    }
    kept.reverse();
    *rows = kept;
}

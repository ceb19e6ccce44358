//! Budget reconciliation (对账 / 结余清算) as of the persister's watermark S: for every budget line,
//! purchasing unit and region, the figures by the engine (its state at S, rebuilt from a snapshot and
//! the journal), by the ledger (the database's ledger rows summed) and by the database (the balances
//! the persister maintained), side by side, with every difference listed.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use anyhow::{Context, ensure};
use engine::Engine;
use engine::budget::Balance;
use engine::types::{Amount, BudgetLineId, ParticipantId, RegionCode, Seq};

use crate::journal::access::JournalAccess;
use crate::journal::reader::scan;
use crate::journal::storage::Storage;
use crate::journal::{Layout, snapshots};
use crate::persist::Database;

/// What a row of the reconciliation covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// One budget line.
    Line(BudgetLineId),
    /// All lines of one purchasing unit.
    Purchaser(ParticipantId),
    /// All lines of the purchasing units in a region, its sub-regions included.
    Region(RegionCode),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Line(id) => write!(f, "line {id}"),
            Scope::Purchaser(id) => write!(f, "purchaser {id}"),
            Scope::Region(code) => write!(f, "region {code}"),
        }
    }
}

/// One scope's figures from the three sources.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// By the engine.
    pub engine: Balance,
    /// By the ledger.
    pub ledger: Balance,
    /// By the database.
    pub database: Balance,
}

/// A figure on which the sources disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Where.
    pub scope: Scope,
    /// Which figure: allocated, held, committed, paid or available.
    pub figure: &'static str,
    /// By the engine.
    pub engine: Amount,
    /// By the ledger.
    pub ledger: Amount,
    /// By the database.
    pub database: Amount,
}

/// A reconciliation.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The watermark S it is taken at.
    pub as_of: Seq,
    /// Every scope's figures.
    pub rows: BTreeMap<Scope, Sources>,
    /// Every disagreement.
    pub differences: Vec<Difference>,
}

fn figures(b: &Balance) -> [(&'static str, Amount); 5] {
    [
        ("allocated", b.allocated),
        ("held", b.held),
        ("committed", b.committed),
        ("paid", b.paid),
        ("available", b.available()),
    ]
}

fn add(into: &mut Balance, b: &Balance) {
    into.allocated = into.allocated.plus(b.allocated);
    into.held = into.held.plus(b.held);
    into.committed = into.committed.plus(b.committed);
    into.paid = into.paid.plus(b.paid);
}

/// The engine as it was after record `at`: the newest snapshot at or before it, plus the journal.
pub fn engine_at(storage: &dyn Storage, layout: &Layout, at: Seq) -> anyhow::Result<Engine> {
    let (snapshot, _) = snapshots::load_latest(storage, layout, Some(at))?;
    let (mut engine, from) = match snapshot {
        Some(s) => (s.engine, s.seq),
        None => (Engine::new(), Seq(0)),
    };
    let mut out = Vec::new();
    scan(storage, layout, |record, _| {
        if record.seq > from && record.seq <= at {
            out.clear();
            engine.apply(record.command, record.ts, &mut out);
        }
        Ok(())
    })
    .context("replaying the journal for reconciliation")?;
    ensure!(engine.seq() == at, "the journal reaches {} but the database is at {at}", engine.seq());
    Ok(engine)
}

/// Reconciles the database against the journal as of the persister's watermark.
pub async fn reconcile(
    db: &Database,
    storage: Arc<dyn Storage>,
    layout: &Layout,
) -> anyhow::Result<Report> {
    reconcile_with(db, &JournalAccess::Files { storage, layout: layout.clone() }).await
}

/// Reconciles the database against `journal`, wherever it is kept.
pub async fn reconcile_with(db: &Database, journal: &JournalAccess) -> anyhow::Result<Report> {
    let view = db.view().await.context("reading the database")?;
    let at = view.offset;
    let engine = journal.engine_at(at).await?;
    ensure!(engine.seq() == at, "the journal reaches {} but the database is at {at}", engine.seq());
    let mut report = Report { as_of: at, ..Report::default() };
    let mut lines: Vec<BudgetLineId> = engine.budget_lines().map(|l| l.id).collect();
    lines.extend(view.ledger.keys().chain(view.balances.keys()));
    lines.sort_unstable();
    lines.dedup();
    for id in lines {
        let sources = Sources {
            engine: engine.budget_line(id).map(|l| l.balance).unwrap_or_default(),
            ledger: view.ledger.get(&id).copied().unwrap_or_default(),
            database: view.balances.get(&id).copied().unwrap_or_default(),
        };
        let mut scopes = vec![Scope::Line(id)];
        if let Some(line) = engine.budget_line(id) {
            scopes.push(Scope::Purchaser(line.purchaser));
            let chain = engine.participant(line.purchaser).and_then(|p| p.region);
            scopes.extend(chain.iter().flat_map(|c| c.codes().iter().map(|r| Scope::Region(*r))));
        }
        for scope in scopes {
            let row = report.rows.entry(scope).or_default();
            add(&mut row.engine, &sources.engine);
            add(&mut row.ledger, &sources.ledger);
            add(&mut row.database, &sources.database);
        }
    }
    for (scope, sources) in &report.rows {
        let (e, l, d) =
            (figures(&sources.engine), figures(&sources.ledger), figures(&sources.database));
        for i in 0..5 {
            if e[i].1 != l[i].1 || e[i].1 != d[i].1 {
                report.differences.push(Difference {
                    scope: *scope,
                    figure: e[i].0,
                    engine: e[i].1,
                    ledger: l[i].1,
                    database: d[i].1,
                });
            }
        }
    }
    Ok(report)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |pick: fn(&Scope) -> bool| self.rows.keys().filter(|s| pick(s)).count();
        writeln!(
            f,
            "Reconciliation as of seq {}: {} budget lines, {} purchasing units, {} regions",
            self.as_of,
            count(|s| matches!(s, Scope::Line(_))),
            count(|s| matches!(s, Scope::Purchaser(_))),
            count(|s| matches!(s, Scope::Region(_))),
        )?;
        let mut total = Sources::default();
        for (scope, sources) in &self.rows {
            if matches!(scope, Scope::Line(_)) {
                add(&mut total.engine, &sources.engine);
                add(&mut total.ledger, &sources.ledger);
                add(&mut total.database, &sources.database);
            }
        }
        writeln!(f, "  {:<10} {:>20} {:>20} {:>20}", "figure", "engine", "ledger", "database")?;
        let (e, l, d) = (figures(&total.engine), figures(&total.ledger), figures(&total.database));
        for i in 0..5 {
            writeln!(f, "  {:<10} {:>20} {:>20} {:>20}", e[i].0, e[i].1, l[i].1, d[i].1)?;
        }
        if self.differences.is_empty() {
            writeln!(f, "0 differences")
        } else {
            writeln!(f, "{} differences:", self.differences.len())?;
            for d in &self.differences {
                writeln!(
                    f,
                    "  {} {}: engine {} ledger {} database {}",
                    d.scope, d.figure, d.engine, d.ledger, d.database
                )?;
            }
            Ok(())
        }
    }
}

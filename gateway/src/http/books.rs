//! Budgets and reconciliation.

use axum::Json;
use axum::extract::State;
use engine::catalog::ParticipantKind;
use serde::Deserialize;

use super::body::Query;
use super::state::AppState;
use super::{Session, read_after};
use crate::error::ApiError;
use crate::reconcile::{Scope, reconcile_with};

/// Query of `GET /api/v1/budgets`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BudgetQuery {
    min_seq: Option<u64>,
}

/// `GET /api/v1/budgets`: a purchasing unit's own budget lines with their figures.
#[utoipa::path(get, path = "/api/v1/budgets", params(BudgetQuery), tag = "budgets",
    responses((status = 200, description = "The unit's budget lines", body = BudgetLines), (status = 403, description = "Not a purchasing unit")))]
pub async fn budgets(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<BudgetQuery>,
) -> Result<Json<BudgetLines>, ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    read_after(&state, query.min_seq).await?;
    let me = session.actor.participant;
    let (lines, seq) = state.replica.read(|engine| {
        engine
            .budget_lines()
            .filter(|l| l.purchaser == me)
            .map(|l| BudgetLineView {
                id: l.id.0,
                fiscal_year: l.fiscal_year,
                project: l.project.clone(),
                line_code: l.line_code.clone(),
                allocated: l.balance.allocated.to_string(),
                held: l.balance.held.to_string(),
                committed: l.balance.committed.to_string(),
                paid: l.balance.paid.to_string(),
                available: l.balance.available().to_string(),
            })
            .collect::<Vec<_>>()
    });
    Ok(Json(BudgetLines { lines, as_of_seq: seq.0 }))
}

/// A purchasing unit's budget lines.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BudgetLines {
    lines: Vec<BudgetLineView>,
    as_of_seq: u64,
}

/// A budget line (预算指标) and its figures, decimal strings in yuan.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BudgetLineView {
    id: u64,
    fiscal_year: i32,
    project: String,
    line_code: String,
    allocated: String,
    /// Held by open deals.
    held: String,
    /// Committed to trades not yet paid.
    committed: String,
    paid: String,
    /// Allocated less held, committed and paid.
    available: String,
}

/// How long reconciliation may read before it answers that the database is unavailable.
const RECONCILE_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

fn database_unavailable(cause: &str) -> ApiError {
    tracing::warn!(cause, "reconciliation cannot read the database");
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
        "the database cannot be read now; the marketplace keeps trading and the database catches up from the journal",
    )
}

/// `GET /api/v1/reconciliation`: engine, ledger and database side by side as of the persister's
/// watermark, for analysts, regulators and operators; differences listed.
#[utoipa::path(get, path = "/api/v1/reconciliation", tag = "budgets",
    responses((status = 200, description = "Figures side by side, differences listed", body = Reconciliation), (status = 403, description = "Not an analyst or operator"),
        (status = 503, description = "The database cannot be read now (`database_unavailable`)")))]
pub async fn reconciliation(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Reconciliation>, ApiError> {
    session.require(&[ParticipantKind::Analyst, ParticipantKind::Operator])?;
    let books =
        state.books.as_ref().ok_or_else(|| ApiError::not_found("reconciliation on this node"))?;
    // The persister's last word on the database comes from memory: in an outage the answer is
    // at once, not after the pool's wait for a connection.
    if let Some(problem) = state.health.database.as_ref().and_then(|d| d.persister.problem()) {
        return Err(database_unavailable(&problem.error));
    }
    let report = tokio::time::timeout(RECONCILE_WITHIN, reconcile_with(&books.db, &books.journal))
        .await
        .map_err(|_| database_unavailable("no answer in time"))?
        .map_err(|e| {
            if e.chain().any(|cause| cause.downcast_ref::<sqlx::Error>().is_some()) {
                database_unavailable(&format!("{e:#}"))
            } else {
                ApiError::internal(&e)
            }
        })?;
    // A regulator or operator of a city or district sees its own region and those below (U-3).
    let (visible, _) = state.replica.read(|engine| {
        report
            .rows
            .keys()
            .filter(|scope| {
                let region = match scope {
                    Scope::Region(code) => Some(*code),
                    Scope::Purchaser(p) => {
                        engine.participant(*p).and_then(|p| p.region).map(|c| c.region())
                    }
                    Scope::Line(line) => engine
                        .budget_line(*line)
                        .and_then(|l| engine.participant(l.purchaser))
                        .and_then(|p| p.region)
                        .map(|c| c.region()),
                };
                session.oversees(engine, region)
            })
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
    });
    let differences: Vec<_> = report
        .differences
        .iter()
        .filter(|d| visible.contains(&d.scope))
        .map(|d| Difference {
            scope: d.scope.to_string(),
            figure: d.figure.to_string(),
            engine: d.engine.to_string(),
            ledger: d.ledger.to_string(),
            database: d.database.to_string(),
        })
        .collect();
    let count = |pick: fn(&Scope) -> bool| visible.iter().filter(|s| pick(s)).count();
    let figures = |b: &engine::budget::Balance| Figures {
        allocated: b.allocated.to_string(),
        held: b.held.to_string(),
        committed: b.committed.to_string(),
        paid: b.paid.to_string(),
        available: b.available().to_string(),
    };
    let (names, _) = state.replica.read(|engine| {
        engine
            .regions()
            .map(|r| (r.code, r.name.clone()))
            .collect::<std::collections::HashMap<_, _>>()
    });
    let by_region: Vec<_> = report
        .rows
        .iter()
        .filter(|(scope, _)| visible.contains(scope))
        .filter_map(|(scope, sources)| match scope {
            Scope::Region(code) => Some(RegionFigures {
                region: code.to_string(),
                name: names.get(code).cloned(),
                engine: figures(&sources.engine),
                ledger: figures(&sources.ledger),
                database: figures(&sources.database),
                differs: report.differences.iter().any(|d| d.scope == *scope),
            }),
            Scope::Line(_) | Scope::Purchaser(_) => None,
        })
        .collect();
    Ok(Json(Reconciliation {
        as_of_seq: report.as_of.0,
        budget_lines: count(|s| matches!(s, Scope::Line(_))),
        purchasers: count(|s| matches!(s, Scope::Purchaser(_))),
        regions: count(|s| matches!(s, Scope::Region(_))),
        differences,
        by_region,
    }))
}

/// Engine, ledger and database side by side, as of the persister's watermark.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    as_of_seq: u64,
    /// Budget lines, purchasing units and regions compared.
    budget_lines: usize,
    purchasers: usize,
    regions: usize,
    /// Every figure that differs between the three sources.
    differences: Vec<Difference>,
    by_region: Vec<RegionFigures>,
}

/// A figure that differs.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// line:<id>, purchaser:<id> or region:<code>.
    scope: String,
    /// allocated, held, committed or paid.
    figure: String,
    engine: String,
    ledger: String,
    database: String,
}

/// A region's figures in each source.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegionFigures {
    region: String,
    name: Option<String>,
    engine: Figures,
    ledger: Figures,
    database: Figures,
    differs: bool,
}

/// Budget figures, decimal strings in yuan.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Figures {
    allocated: String,
    held: String,
    committed: String,
    paid: String,
    available: String,
}

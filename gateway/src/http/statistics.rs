//! Procurement statistics (T-1), for analysts and operators over the region they oversee: JSON for
//! the storefront's page, CSV for a spreadsheet.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::catalog::ParticipantKind;
use engine::types::{CategoryCode, RegionCode};
use serde::Deserialize;

use super::Session;
use super::body::Query;
use super::state::AppState;
use crate::error::ApiError;
use crate::publish::deal::Mode;
use crate::publish::store::FactQuery;
use crate::statistics::{Grouping, Period, Row, csv, roll_up};

/// Query of `GET /api/v1/statistics` and `GET /api/v1/statistics.csv`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatisticsQuery {
    /// `month` (the default), `quarter` or `year`, in Asia/Shanghai.
    period: Option<String>,
    /// The first month, `YYYY-MM` (the current year's January by default).
    from: Option<String>,
    /// The last month, `YYYY-MM` (the current month by default).
    to: Option<String>,
    /// A region within the one the caller oversees (its own by default).
    region: Option<String>,
    /// A catalogue category: it and what lies beneath it.
    category: Option<String>,
    /// One mode: `auction`, `inquiry`, `competition`, `negotiation` or `direct_order`.
    mode: Option<String>,
    /// Besides the period, group by any of `region` (the regions one level below), `category`
    /// (the categories one level below) and `mode`, comma-separated.
    by: Option<String>,
}

/// Statistics as asked.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Statistics {
    period: &'static str,
    from: String,
    to: String,
    /// The region the figures are of, with what lies beneath it.
    region: Option<String>,
    category: Option<String>,
    mode: Option<String>,
    rows: Vec<Row>,
    /// The journal sequence the publisher had reached: the figures include every deal up to it.
    as_of_seq: u64,
}

fn month(text: &str, what: &str) -> Result<String, ApiError> {
    let ok = text.len() == 7
        && text.as_bytes()[4] == b'-'
        && text[..4].bytes().all(|b| b.is_ascii_digit())
        && text[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if ok {
        Ok(text.to_string())
    } else {
        Err(ApiError::invalid(format!("{what} is a month as YYYY-MM")))
    }
}

async fn compute(
    state: &AppState,
    session: &Session,
    q: &StatisticsQuery,
) -> Result<Statistics, ApiError> {
    session.require(&[ParticipantKind::Analyst, ParticipantKind::Operator])?;
    let period_name = q.period.as_deref().unwrap_or("month");
    let period = Period::parse(period_name)
        .ok_or_else(|| ApiError::invalid("period is month, quarter or year"))?;
    let now = engine::types::shanghai_date(state.clock.now());
    let this_month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let from = match &q.from {
        Some(f) => month(f, "from")?,
        None => format!("{:04}-01", now.year()),
    };
    let to = match &q.to {
        Some(t) => month(t, "to")?,
        None => this_month,
    };
    if from > to {
        return Err(ApiError::invalid("from comes after to"));
    }
    let region: Option<RegionCode> = match &q.region {
        Some(r) => Some(r.parse().map_err(|_| ApiError::invalid("region is a six-digit code"))?),
        None => session.region.map(|r| r.region()),
    };
    let category: Option<CategoryCode> = match &q.category {
        Some(c) => Some(c.parse().map_err(|_| ApiError::invalid("category is a catalogue code"))?),
        None => None,
    };
    let mode = match &q.mode {
        Some(m) => {
            Some(Mode::parse(m).ok_or_else(|| ApiError::invalid(format!("no such mode: {m}")))?)
        }
        None => None,
    };
    let mut grouping = Grouping::default();
    for part in q.by.as_deref().unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "region" => grouping.region = true,
            "category" => grouping.category = true,
            "mode" => grouping.mode = true,
            other => {
                return Err(ApiError::invalid(format!(
                    "by is region, category or mode, not {other}"
                )));
            }
        }
    }
    // U-3: the region asked for lies within the one the caller oversees.
    let (allowed, _) = state.replica.read(|engine| {
        let known = region.is_none_or(|r| engine.region(r).is_some());
        known && session.oversees(engine, region)
    });
    if !allowed {
        return Err(ApiError::forbidden());
    }
    let db = state
        .books
        .as_ref()
        .map(|b| &b.db)
        .ok_or_else(|| ApiError::not_found("statistics on this node"))?;
    let query = FactQuery {
        from: from.clone(),
        to: to.clone(),
        region: region.map(|r| r.to_string()),
        category: category.map(|c| c.to_string()),
        mode: mode.map(|m| m.name().to_string()),
    };
    let as_of = state.health.database.as_ref().map_or(0, |d| d.published.borrow().0);
    let sums = tokio::time::timeout(Duration::from_secs(10), db.fact_sums(&query))
        .await
        .map_err(|_| unavailable())?
        .map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), "statistics cannot read the database");
            unavailable()
        })?;
    let (rows, _) =
        state.replica.read(|engine| roll_up(engine, &sums, period, grouping, region, category));
    Ok(Statistics {
        period: match period {
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        },
        from,
        to,
        region: region.map(|r| r.to_string()),
        category: category.map(|c| c.to_string()),
        mode: mode.map(|m| m.name().to_string()),
        rows,
        as_of_seq: as_of,
    })
}

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
        "statistics cannot be read now; they are kept from the journal and catch up once the database is back",
    )
    .retry_after(Duration::from_secs(5))
}

/// `GET /api/v1/statistics`: procurement statistics of the region the caller oversees (T-1).
#[utoipa::path(get, path = "/api/v1/statistics", params(StatisticsQuery), tag = "statistics",
    responses((status = 200, description = "The figures, one row per group", body = Statistics),
              (status = 403, description = "Not an analyst or operator, or a region outside the caller's")))]
pub async fn statistics(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<StatisticsQuery>,
) -> Result<Json<Statistics>, ApiError> {
    Ok(Json(compute(&state, &session, &q).await?))
}

/// `GET /api/v1/statistics.csv`: the same figures as CSV, for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/statistics.csv", params(StatisticsQuery), tag = "statistics",
    responses((status = 200, description = "CSV with a header line, UTF-8 with a byte-order mark", content_type = "text/csv", body = String),
              (status = 403, description = "Not an analyst or operator, or a region outside the caller's")))]
pub async fn statistics_csv(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<StatisticsQuery>,
) -> Result<Response, ApiError> {
    let figures = compute(&state, &session, &q).await?;
    let name = format!(
        "attachment; filename=\"statistics-{}-{}-{}.csv\"",
        figures.region.as_deref().unwrap_or("all"),
        figures.from,
        figures.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        csv(&figures.rows),
    )
        .into_response())
}

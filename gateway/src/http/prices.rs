//! Prices and early warnings over REST (rules P-1 to P-5; docs/DESIGN.md, Interfaces): candle history by series, interval
//! and range; a product's reference price in a market; alerts with filters for those who oversee.

use axum::Json;
use axum::extract::State;
use engine::analytics::{Interval, Series};
use engine::catalog::ParticipantKind;
use engine::types::{CategoryCode, ProductId, RegionCode, Seq, Timestamp};
use serde::{Deserialize, Serialize};

use super::Session;
use super::body::{Page, Query, listing};
use super::state::AppState;
use crate::error::ApiError;
use crate::prices::{
    AlertView, CandleView, IndexView, PriceDesk, alert_view, candle_view, index_view,
};

/// Most candles or alerts in one answer.
const MAX_ITEMS: usize = 1_000;

fn desk(state: &AppState) -> Result<&PriceDesk, ApiError> {
    state.prices.as_ref().ok_or_else(|| ApiError::not_found("prices on this node"))
}

async fn after(desk: &PriceDesk, min_seq: Option<u64>) -> Result<(), ApiError> {
    let Some(seq) = min_seq else { return Ok(()) };
    tokio::time::timeout(std::time::Duration::from_secs(5), desk.caught_up(Seq(seq))).await.map_err(
        |_| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "not_caught_up",
                "prices have not reached that sequence yet",
            )
        },
    )
}

/// Query of `GET /api/v1/prices/candles`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CandleQuery {
    /// A product's candles; or give `category`.
    product: Option<u64>,
    category: Option<String>,
    /// 1m, 1h or 1d.
    interval: String,
    /// Candles starting at or after; the last day when absent.
    from_ms: Option<i64>,
    /// Candles starting before; now when absent.
    to_ms: Option<i64>,
    min_seq: Option<u64>,
}

/// `GET /api/v1/prices/candles`: candles of a product or a category, oldest first.
#[utoipa::path(get, path = "/api/v1/prices/candles", params(CandleQuery), tag = "prices",
    responses((status = 200, description = "Candles, oldest first", body = Candles), (status = 400, description = "Neither or both of product and category, or a bad interval")))]
pub async fn candles(
    State(state): State<AppState>,
    _session: Session,
    Query(q): Query<CandleQuery>,
) -> Result<Json<Candles>, ApiError> {
    let desk = desk(&state)?;
    after(desk, q.min_seq).await?;
    let series = match (q.product, q.category.as_deref()) {
        (Some(p), None) => Series::Product(ProductId(p)),
        (None, Some(c)) => Series::Category(
            c.parse::<CategoryCode>().map_err(|e| ApiError::invalid(format!("category: {e}")))?,
        ),
        _ => return Err(ApiError::invalid("give exactly one of product and category")),
    };
    let interval = Interval::ALL
        .into_iter()
        .find(|i| i.name() == q.interval)
        .ok_or_else(|| ApiError::invalid("interval is 1m, 1h or 1d"))?;
    let to = Timestamp(q.to_ms.unwrap_or(i64::MAX / 2));
    let from = Timestamp(q.from_ms.unwrap_or_else(|| state.clock.now().plus_ms(-86_400_000).ms()));
    if from > to {
        return Err(ApiError::invalid("from_ms is after to_ms"));
    }
    let (items, seq) = desk.read(|a| {
        a.candles(series, interval, from, to).take(MAX_ITEMS).map(candle_view).collect::<Vec<_>>()
    });
    Ok(Json(Candles { interval: interval.name(), items, as_of_seq: seq.0 }))
}

/// A series' candles.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Candles {
    interval: &'static str,
    /// Oldest first.
    items: Vec<CandleView>,
    as_of_seq: u64,
}

/// A category's price index by day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PriceIndex {
    category: String,
    /// Oldest first.
    items: Vec<IndexView>,
    as_of_seq: u64,
}

/// The quartiles of a product's trade prices in a market.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReferencePrice {
    product: u64,
    region: String,
    /// Days of trades the quartiles cover.
    window_days: i64,
    /// None without trades in the window.
    quartiles: Option<Quartiles>,
    as_of_seq: u64,
}

/// Quartiles, decimal strings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Quartiles {
    q1: String,
    median: String,
    q3: String,
    /// Trades they were computed from.
    samples: usize,
}

/// Query of `GET /api/v1/prices/index`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct IndexQuery {
    category: String,
    /// Days starting at or after; the last 90 days when absent.
    from_ms: Option<i64>,
    to_ms: Option<i64>,
}

/// `GET /api/v1/prices/index`: a category's daily price index against each product's base price.
#[utoipa::path(get, path = "/api/v1/prices/index", params(IndexQuery), tag = "prices",
    responses((status = 200, description = "Days, oldest first", body = PriceIndex)))]
pub async fn index(
    State(state): State<AppState>,
    _session: Session,
    Query(q): Query<IndexQuery>,
) -> Result<Json<PriceIndex>, ApiError> {
    let desk = desk(&state)?;
    let category: CategoryCode =
        q.category.parse().map_err(|e| ApiError::invalid(format!("category: {e}")))?;
    let from =
        Timestamp(q.from_ms.unwrap_or_else(|| state.clock.now().plus_ms(-90 * 86_400_000).ms()));
    let to = Timestamp(q.to_ms.unwrap_or(i64::MAX / 2));
    if from > to {
        return Err(ApiError::invalid("from_ms is after to_ms"));
    }
    let (items, seq) = desk
        .read(|a| a.index(category, from, to).take(MAX_ITEMS).map(index_view).collect::<Vec<_>>());
    Ok(Json(PriceIndex { category: category.to_string(), items, as_of_seq: seq.0 }))
}

/// Query of `GET /api/v1/prices/reference`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReferenceQuery {
    product: u64,
    /// The market (a city); the province's trades are kept by city.
    region: String,
}

/// `GET /api/v1/prices/reference`: the quartiles of a product's trade prices in a market (P-2).
#[utoipa::path(get, path = "/api/v1/prices/reference", params(ReferenceQuery), tag = "prices",
    responses((status = 200, description = "Quartiles over the rolling window, or null without trades", body = ReferencePrice)))]
pub async fn reference(
    State(state): State<AppState>,
    _session: Session,
    Query(q): Query<ReferenceQuery>,
) -> Result<Json<ReferencePrice>, ApiError> {
    let desk = desk(&state)?;
    let region: RegionCode =
        q.region.parse().map_err(|e| ApiError::invalid(format!("region: {e}")))?;
    let ((quartiles, window_days), seq) =
        desk.read(|a| (a.reference(ProductId(q.product), region), a.thresholds().window_days));
    Ok(Json(ReferencePrice {
        product: q.product,
        region: region.to_string(),
        window_days,
        quartiles: quartiles.map(|q| Quartiles {
            q1: q.q1.to_string(),
            median: q.median.to_string(),
            q3: q.q3.to_string(),
            samples: q.samples,
        }),
        as_of_seq: seq.0,
    }))
}

/// Query of `GET /api/v1/alerts`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AlertQuery {
    /// Alerts in this region and below; the caller's own region when absent.
    region: Option<String>,
    /// P-3 or P-4.
    rule: Option<String>,
    /// abnormal_price, abnormal_bid, split_purchase, few_bidders, identical_bids, bid_rotation.
    code: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// `GET /api/v1/alerts`: early warnings, newest first, for analysts, regulators and the centre,
/// within the region they oversee (P-5).
#[utoipa::path(get, path = "/api/v1/alerts", params(AlertQuery), tag = "prices",
    responses((status = 200, description = "A page of alerts, newest first", body = Page<AlertView>), (status = 403, description = "Analysts and operators only, within their region")))]
pub async fn alerts(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<AlertQuery>,
) -> Result<Json<Page<AlertView>>, ApiError> {
    session.require(&[ParticipantKind::Analyst, ParticipantKind::Operator])?;
    let desk = desk(&state)?;
    after(desk, q.min_seq).await?;
    let region = match q.region.as_deref() {
        Some(r) => {
            Some(r.parse::<RegionCode>().map_err(|e| ApiError::invalid(format!("region: {e}")))?)
        }
        None => session.region.map(|r| r.region()),
    };
    // Within the caller's oversight: the asked region must lie inside its own.
    let (inside, _) = state.replica.read(|engine| match (region, session.region) {
        (Some(asked), Some(own)) => {
            engine.region(asked).is_some_and(|r| r.chain.contains(own.region()))
        }
        _ => true,
    });
    if !inside {
        return Err(ApiError::forbidden());
    }
    // The regions inside the one asked for, looked up once rather than per alert.
    let (within, _) = state.replica.read(|engine| {
        region.map(|want| {
            engine
                .regions()
                .filter(|r| r.chain.contains(want))
                .map(|r| r.code)
                .collect::<std::collections::HashSet<_>>()
        })
    });
    let per_page = q.per_page.unwrap_or(50).clamp(1, MAX_ITEMS);
    let page = q.page.unwrap_or(1).max(1);
    let ((total, items), seq) = desk.read(|a| {
        let matching: Vec<_> = a
            .alerts()
            .iter()
            .rev()
            .filter(|x| q.rule.as_deref().is_none_or(|r| x.kind.rule() == r))
            .filter(|x| q.code.as_deref().is_none_or(|c| x.kind.code() == c))
            .filter(|x| within.as_ref().is_none_or(|regions| regions.contains(&x.region)))
            .collect();
        let items: Vec<_> = matching
            .iter()
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|x| alert_view(x))
            .collect();
        (matching.len(), items)
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

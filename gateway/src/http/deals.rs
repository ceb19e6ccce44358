//! Direct orders (D-1 to D-5), trades and their settlement steps.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::catalog::ParticipantKind;
use engine::direct::OrderRequest;
use engine::settlement::SettlementStep;
use engine::types::{BudgetLineId, ParticipantId, ProductId, Quantity, Seq, TradeId, UnitPrice};
use engine::{Action, Event};
use serde::{Deserialize, Serialize};

use super::body::{Body, Page, Query, listing, newest_first};
use super::state::AppState;
use super::{Done, Session, read_after, submit};
use crate::error::ApiError;
use crate::views::trade::TradeView;

/// Body of `POST /api/v1/orders`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlaceOrder {
    product: u64,
    quantity: String,
    budget_line: u64,
    supplier: Option<u64>,
    limit_price: Option<String>,
    #[serde(default)]
    all_or_nothing: bool,
}

/// How an order filled.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderFill {
    order: u64,
    /// Quantity asked for.
    requested: String,
    /// Quantity filled.
    filled: String,
    /// Quantity left unfilled (not all-or-nothing) and so cancelled.
    cancelled: String,
    /// Amount of its trades.
    amount: String,
}

/// Which supplier a rotation served, and its place in the rotation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotationServed {
    rotation: u64,
    supplier: u64,
    position: u32,
}

/// The answer to an order; a retry under its key answers `already_applied` alone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderPlaced {
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<OrderFill>,
    /// Its trades, one per supplier that filled part of it; none on a retry.
    trades: Vec<TradeView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rotation: Option<RotationServed>,
    /// The engine sequence of the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    /// The sequence of the first command with this Idempotency-Key, on a retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    already_applied: Option<u64>,
}

/// A trade's settlement step taken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepTaken {
    trade: String,
    step: &'static str,
    /// The trade's state after it.
    state: &'static str,
}

/// The answer to a settlement step; a retry answers `already_applied` alone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Settled {
    #[serde(skip_serializing_if = "Option::is_none")]
    settled: Option<StepTaken>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_applied: Option<u64>,
}

/// `POST /api/v1/orders`: a purchasing unit orders catalog goods directly.
#[utoipa::path(post, path = "/api/v1/orders", request_body = PlaceOrder, tag = "orders",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Filled, wholly or in part, with its trades", body = OrderPlaced),
              (status = 200, description = "A retry: the first order's sequence", body = OrderPlaced),
              (status = 400, description = "Malformed, or finer than the product's quantity scale (D-5)"),
              (status = 422, description = "Refused by a rule: no agreement, region, ceiling, stock, limit, budget (D-1 to D-5, B-1)")))]
pub async fn place_order(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<PlaceOrder>,
) -> Result<(StatusCode, Json<OrderPlaced>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let quantity =
        Quantity::parse(&body.quantity).map_err(|e| ApiError::invalid(format!("quantity: {e}")))?;
    let limit_price = match body.limit_price.as_deref() {
        Some(p) => {
            Some(UnitPrice::parse(p).map_err(|e| ApiError::invalid(format!("limit_price: {e}")))?)
        }
        None => None,
    };
    let request = OrderRequest {
        product: ProductId(body.product),
        quantity,
        budget_line: BudgetLineId(body.budget_line),
        supplier: body.supplier.map(ParticipantId),
        limit_price,
        all_or_nothing: body.all_or_nothing,
    };
    order_answer(submit(&state, &session, &headers, Action::PlaceOrder(request)).await?)
}

/// The answer to an order, direct or under a rotation: how it filled, and its trades.
pub(super) fn order_answer(done: Done) -> Result<(StatusCode, Json<OrderPlaced>), ApiError> {
    match done {
        Done::Retried { original } => Ok((
            StatusCode::OK,
            Json(OrderPlaced {
                order: None,
                trades: Vec::new(),
                rotation: None,
                seq: None,
                already_applied: Some(original.0),
            }),
        )),
        Done::Applied { seq, events } => {
            let served = events.iter().find_map(|e| match &e.event {
                Event::RotationServed { rotation, supplier, position, .. } => {
                    Some(RotationServed {
                        rotation: rotation.0,
                        supplier: supplier.0,
                        position: *position,
                    })
                }
                _ => None,
            });
            let trades: Vec<_> = events
                .iter()
                .filter_map(|e| match &e.event {
                    Event::TradeStruck(t) => Some(TradeView::of(t, None)),
                    _ => None,
                })
                .collect();
            let filled = events.iter().find_map(|e| match &e.event {
                Event::OrderFilled { order, filled, amount, request, .. } => Some(OrderFill {
                    order: order.0,
                    requested: request.quantity.to_string(),
                    filled: filled.to_string(),
                    cancelled: request.quantity.minus(*filled).to_string(),
                    amount: amount.to_string(),
                }),
                _ => None,
            });
            let placed = OrderPlaced {
                order: filled,
                trades,
                rotation: served,
                seq: Some(seq.0),
                already_applied: None,
            };
            Ok((StatusCode::CREATED, Json(placed)))
        }
    }
}

/// Query of `GET /api/v1/trades`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TradeQuery {
    /// Only trades accepted and unpaid past their payment term (P-6).
    #[serde(default)]
    overdue: bool,
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// `GET /api/v1/trades`: a purchaser's or supplier's own trades; an analyst's or operator's in the
/// region it oversees. Newest first.
#[utoipa::path(get, path = "/api/v1/trades", params(TradeQuery), tag = "trades",
    responses((status = 200, description = "The caller's trades, newest first, a page of them", body = Page<TradeView>)))]
pub async fn trades(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<TradeQuery>,
) -> Result<Json<Page<TradeView>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let per_page = query.per_page.unwrap_or(50).clamp(1, 200);
    let page = query.page.unwrap_or(1).max(1);
    let me = session.actor.participant;
    let ((total, items), seq) = state.replica.read(|engine| {
        let visible: Vec<_> = engine
            .trades()
            .filter(|r| !query.overdue || r.unpaid_late())
            .filter(|r| match session.role {
                ParticipantKind::Purchaser => r.trade.purchaser == me,
                ParticipantKind::Supplier => r.trade.supplier == me,
                ParticipantKind::Analyst | ParticipantKind::Operator => {
                    session.oversees(engine, Some(r.trade.region))
                }
            })
            .collect();
        let total = visible.len();
        let items = newest_first(&visible, page, per_page)
            .map(|r| TradeView::of(&r.trade, Some(r)).rated(engine.rating(r.trade.id)))
            .collect();
        (total, items)
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

/// Body of a settlement step: a reason, required to decline or cancel.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StepBody {
    #[serde(default)]
    reason: String,
}

fn parse_trade(text: &str) -> Option<TradeId> {
    let (seq, leg) = text.strip_prefix('T')?.split_once('-')?;
    Some(TradeId { seq: Seq(seq.parse().ok()?), leg: leg.parse().ok()? })
}

/// `POST /api/v1/trades/{trade}/{step}`: deliver, decline (supplier); accept, pay (purchaser);
/// cancel (operator, with a reason).
#[utoipa::path(post, path = "/api/v1/trades/{trade}/{step}", tag = "trades", request_body(content = Option<StepBody>),
    params(("trade" = String, Path, description = "Trade id, such as T1234-0"),
           ("step" = String, Path, description = "deliver, accept, pay, decline or cancel")),
    responses((status = 200, description = "The trade's new state", body = Settled), (status = 422, description = "The step does not follow")))]
pub async fn settle(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((trade, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Settled>, ApiError> {
    let trade =
        parse_trade(&trade).ok_or_else(|| ApiError::invalid("a trade id looks like T1234-0"))?;
    // The body is optional: only declining and cancelling need a reason.
    let reason = if body.is_empty() {
        String::new()
    } else {
        serde_json::from_slice::<StepBody>(&body)
            .map_err(|e| ApiError::invalid(e.to_string()))?
            .reason
    };
    let step = step.parse().map_err(|_| ApiError::not_found("settlement step"))?;
    let action = match step {
        SettlementStep::Deliver => Action::RecordDelivery { trade },
        SettlementStep::Accept => Action::AcceptDelivery { trade },
        SettlementStep::Pay => Action::RecordPayment { trade },
        SettlementStep::Decline => Action::DeclineContract { trade, reason },
        SettlementStep::Cancel => Action::CancelTrade { trade, reason },
        // Annulment follows an upheld challenge or complaint; nobody asks for it as a step.
        SettlementStep::Annul => return Err(ApiError::not_found("settlement step")),
    };
    match submit(&state, &session, &headers, action).await? {
        Done::Retried { original } => {
            Ok(Json(Settled { settled: None, seq: None, already_applied: Some(original.0) }))
        }
        Done::Applied { seq, events } => {
            let settled = events.iter().find_map(|e| match &e.event {
                Event::TradeSettled { trade, step, state, .. } => Some(StepTaken {
                    trade: trade.to_string(),
                    step: step.name(),
                    state: state.name(),
                }),
                _ => None,
            });
            Ok(Json(Settled { settled, seq: Some(seq.0), already_applied: None }))
        }
    }
}

/// Body of `POST /api/v1/ratings`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateTrade {
    /// The trade, such as `T1234-0`.
    trade: String,
    /// On time and as ordered, 1 to 5.
    delivery: u8,
    /// The goods or service, 1 to 5.
    quality: u8,
    /// After-sales service, 1 to 5.
    service: u8,
    /// An optional comment, at most 500 characters.
    #[serde(default)]
    comment: String,
}

/// A rating given, and the supplier's score now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rated {
    #[serde(skip_serializing_if = "Option::is_none")]
    trade: Option<String>,
    /// The supplier's mean mark over the last 12 months, such as `4.67`.
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier_score: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_applied: Option<u64>,
}

/// `POST /api/v1/ratings`: the purchaser rates an accepted trade, once, within 30 days (E-1).
#[utoipa::path(post, path = "/api/v1/ratings", request_body = RateTrade, tag = "trades",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Rated", body = Rated),
              (status = 409, description = "Already rated"),
              (status = 422, description = "Not accepted yet, or the 30 days have passed (E-1)")))]
pub async fn rate(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<RateTrade>,
) -> Result<(StatusCode, Json<Rated>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let trade = parse_trade(&body.trade)
        .ok_or_else(|| ApiError::invalid("a trade id looks like T1234-0"))?;
    let marks = engine::evaluation::Marks {
        delivery: body.delivery,
        quality: body.quality,
        service: body.service,
    };
    let action = Action::RateTrade { trade, marks, comment: body.comment };
    match submit(&state, &session, &headers, action).await? {
        Done::Retried { original } => Ok((
            StatusCode::OK,
            Json(Rated {
                trade: None,
                supplier_score: None,
                seq: None,
                already_applied: Some(original.0),
            }),
        )),
        Done::Applied { seq, events } => {
            let supplier = events.iter().find_map(|e| match &e.event {
                Event::TradeRated { supplier, .. } => Some(*supplier),
                _ => None,
            });
            read_after(&state, Some(seq.0)).await?;
            let (score, _) = state
                .replica
                .read(|e| supplier.and_then(|s| e.supplier_score(s)).map(crate::views::score_text));
            let rated = Rated {
                trade: Some(trade.to_string()),
                supplier_score: score,
                seq: Some(seq.0),
                already_applied: None,
            };
            Ok((StatusCode::CREATED, Json(rated)))
        }
    }
}

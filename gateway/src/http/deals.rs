//! Direct orders (D-1 to D-5), trades and their settlement steps.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::catalog::ParticipantKind;
use engine::direct::OrderRequest;
use engine::settlement::{SettlementStep, Trade, TradeRecord};
use engine::types::{BudgetLineId, ParticipantId, ProductId, Quantity, Seq, TradeId, UnitPrice};
use engine::{Action, Event};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{Body, Query, listing, newest_first};
use super::state::AppState;
use super::{Done, Session, read_after, submit};
use crate::error::ApiError;

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

fn trade_view(t: &Trade, state: Option<&TradeRecord>) -> Value {
    json!({
        "id": t.id.to_string(),
        "mode": t.mode.name(),
        "deal": t.deal.0,
        "purchaser": t.purchaser.0,
        "supplier": t.supplier.0,
        "product": t.product.0,
        "quantity": t.quantity.to_string(),
        "unit_price": t.unit_price.to_string(),
        "amount": t.amount.to_string(),
        "budget_line": t.budget_line.0,
        "region": t.region.to_string(),
        "ts_ms": t.ts.ms(),
        "seq": t.seq.0,
        "state": state.map_or("struck", |r| r.state.name()),
    })
}

/// `POST /api/v1/orders`: a purchasing unit orders catalog goods directly.
#[utoipa::path(post, path = "/api/v1/orders", request_body = PlaceOrder, tag = "orders",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Filled, wholly or in part, with its trades"),
              (status = 400, description = "Malformed, or finer than the product's quantity scale (D-5)"),
              (status = 422, description = "Refused by a rule: no agreement, region, ceiling, stock, limit, budget (D-1 to D-5, B-1)")))]
pub async fn place_order(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<PlaceOrder>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
pub(super) fn order_answer(done: Done) -> Result<(StatusCode, Json<Value>), ApiError> {
    match done {
        Done::Retried { original } => {
            Ok((StatusCode::OK, Json(json!({ "already_applied": original.0 }))))
        }
        Done::Applied { seq, events } => {
            let served = events.iter().find_map(|e| match &e.event {
                Event::RotationServed { rotation, supplier, position, .. } => Some(json!({
                    "rotation": rotation.0, "supplier": supplier.0, "position": position,
                })),
                _ => None,
            });
            let trades: Vec<_> = events
                .iter()
                .filter_map(|e| match &e.event {
                    Event::TradeStruck(t) => Some(trade_view(t, None)),
                    _ => None,
                })
                .collect();
            let filled = events.iter().find_map(|e| match &e.event {
                Event::OrderFilled { order, filled, amount, request, .. } => Some(json!({
                    "order": order.0,
                    "requested": request.quantity.to_string(),
                    "filled": filled.to_string(),
                    "cancelled": request.quantity.minus(*filled).to_string(),
                    "amount": amount.to_string(),
                })),
                _ => None,
            });
            Ok((
                StatusCode::CREATED,
                Json(
                    json!({ "order": filled, "trades": trades, "rotation": served, "seq": seq.0 }),
                ),
            ))
        }
    }
}

/// Query of `GET /api/v1/trades`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TradeQuery {
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// `GET /api/v1/trades`: a purchaser's or supplier's own trades; an analyst's or operator's in the
/// region it oversees. Newest first.
#[utoipa::path(get, path = "/api/v1/trades", params(TradeQuery), tag = "trades",
    responses((status = 200, description = "The caller's trades, newest first, a page of them")))]
pub async fn trades(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<TradeQuery>,
) -> Result<Json<Value>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let per_page = query.per_page.unwrap_or(50).clamp(1, 200);
    let page = query.page.unwrap_or(1).max(1);
    let me = session.actor.participant;
    let ((total, items), seq) = state.replica.read(|engine| {
        let visible: Vec<_> = engine
            .trades()
            .filter(|r| match session.role {
                ParticipantKind::Purchaser => r.trade.purchaser == me,
                ParticipantKind::Supplier => r.trade.supplier == me,
                ParticipantKind::Analyst | ParticipantKind::Operator => {
                    session.oversees(engine, Some(r.trade.region))
                }
            })
            .collect();
        let total = visible.len();
        let items =
            newest_first(&visible, page, per_page).map(|r| trade_view(&r.trade, Some(r))).collect();
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
    responses((status = 200, description = "The trade's new state"), (status = 422, description = "The step does not follow")))]
pub async fn settle(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((trade, step)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
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
    };
    match submit(&state, &session, &headers, action).await? {
        Done::Retried { original } => Ok(Json(json!({ "already_applied": original.0 }))),
        Done::Applied { seq, events } => {
            let settled = events.iter().find_map(|e| match &e.event {
                Event::TradeSettled { trade, step, state, .. } => Some(json!({
                    "trade": trade.to_string(),
                    "step": step.name(),
                    "state": state.name(),
                })),
                _ => None,
            });
            Ok(Json(json!({ "settled": settled, "seq": seq.0 })))
        }
    }
}

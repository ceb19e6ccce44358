//! Rotation over REST (N-5): the operator publishes a rotation of a product's agreement suppliers;
//! anyone reads its published order and whose turn is next; a purchasing unit orders under it and
//! the order goes to the next eligible supplier.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::catalog::ParticipantKind;
use engine::rotation::Rotation;
use engine::types::{BudgetLineId, ParticipantId, ProductId, Quantity};
use engine::{Action, Engine};
use serde::{Deserialize, Serialize};

use super::body::{Body, Page, Query, deal_id, listing, newest_first};
use super::deals::order_answer;
use super::state::AppState;
use super::{Session, created, submit, submit_and_show};
use crate::error::ApiError;
use crate::views::names_in;

/// Body of `POST /api/v1/rotations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineRotation {
    product: u64,
    /// The suppliers, in their published order.
    order: Vec<u64>,
}

/// Body of `POST /api/v1/rotations/{id}/orders`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationOrder {
    quantity: String,
    budget_line: u64,
}

/// A participant with its name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Named {
    id: u64,
    name: Option<String>,
}

/// A published rotation (N-5).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotationView {
    id: u64,
    product: u64,
    /// The suppliers in their published order.
    order: Vec<Named>,
    /// Whose turn it is.
    up_next: Option<Named>,
    /// How many times the order has come round.
    cycle: u32,
    /// Suppliers passed over this cycle (not eligible when their turn came), who keep their place.
    kept_place_this_cycle: Vec<u64>,
    orders_served: usize,
}

super::shown! {
    /// A rotation published.
    RotationPublished { rotation: RotationView }
}

fn view(engine: &Engine, r: &Rotation) -> RotationView {
    let names = names_in(engine);
    let party = |p: ParticipantId| Named { id: p.0, name: names(p).map(|(n, _)| n) };
    RotationView {
        id: r.id.0,
        product: r.product.0,
        order: r.order.iter().map(|p| party(*p)).collect(),
        up_next: r.up_next().map(party),
        cycle: r.cycle,
        kept_place_this_cycle: r.kept.iter().map(|p| p.0).collect(),
        orders_served: r.served.len(),
    }
}

/// `POST /api/v1/rotations`: the operator publishes a rotation (N-5).
#[utoipa::path(post, path = "/api/v1/rotations", request_body = DefineRotation, tag = "rotations",
    responses((status = 201, description = "Published", body = RotationPublished), (status = 403, description = "Operators only"),
              (status = 422, description = "A supplier without an agreement for the product")))]
pub async fn define(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<DefineRotation>,
) -> Result<(StatusCode, Json<RotationPublished>), ApiError> {
    session.require(&[ParticipantKind::Operator])?;
    let action = Action::DefineRotation {
        product: ProductId(body.product),
        order: body.order.into_iter().map(ParticipantId).collect(),
    };
    let show = |events: &[engine::EventEnvelope]| {
        let id = created(events, |e| match e {
            engine::Event::RotationDefined { rotation, .. } => Some(*rotation),
            _ => None,
        })?;
        let (view, _) = state.replica.read(|e| e.rotation(id).map(|r| view(e, r)));
        view.ok_or_else(|| ApiError::internal(&anyhow::anyhow!("the rotation is not in reads")))
    };
    submit_and_show(&state, &session, &headers, action, StatusCode::CREATED, show).await
}

/// Query of `GET /api/v1/rotations`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RotationQuery {
    product: Option<u64>,
    page: Option<usize>,
    per_page: Option<usize>,
}

/// `GET /api/v1/rotations`: published rotations, their order and whose turn is next.
#[utoipa::path(get, path = "/api/v1/rotations", params(RotationQuery), tag = "rotations",
    responses((status = 200, description = "A page of rotations", body = Page<RotationView>)))]
pub async fn list(
    State(state): State<AppState>,
    _session: Session,
    Query(query): Query<RotationQuery>,
) -> Result<Json<Page<RotationView>>, ApiError> {
    let per_page = query.per_page.unwrap_or(20).clamp(1, 100);
    let page = query.page.unwrap_or(1).max(1);
    let ((total, items), seq) = state.replica.read(|engine| {
        let all: Vec<_> =
            engine.rotations().filter(|r| query.product.is_none_or(|p| r.product.0 == p)).collect();
        let items = newest_first(&all, page, per_page).map(|r| view(engine, r)).collect();
        (all.len(), items)
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

/// `POST /api/v1/rotations/{id}/orders`: a purchasing unit orders under a rotation; the order
/// goes to the next eligible supplier in the published order, wholly, at its offer (N-5, D-2).
#[utoipa::path(post, path = "/api/v1/rotations/{id}/orders", request_body = RotationOrder, tag = "rotations",
    params(("id" = u64, Path, description = "Rotation id")),
    responses((status = 201, description = "Filled by the supplier whose turn it was", body = super::deals::OrderPlaced),
              (status = 422, description = "No supplier in the rotation is eligible, or a rule of the order (D-2 to D-5, B-1)")))]
pub async fn order(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(body): Body<RotationOrder>,
) -> Result<(StatusCode, Json<super::deals::OrderPlaced>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let rotation = deal_id(&id, "a rotation")?;
    let action = Action::OrderByRotation {
        rotation,
        quantity: Quantity::parse(&body.quantity)
            .map_err(|e| ApiError::invalid(format!("quantity: {e}")))?,
        budget_line: BudgetLineId(body.budget_line),
    };
    order_answer(submit(&state, &session, &headers, action).await?)
}

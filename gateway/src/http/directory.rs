//! Reading reference data: regions and categories for everyone logged in; participants for
//! operators and analysts; framework agreements with their offers for their supplier (its own)
//! and for operators and analysts (all, or one supplier's).

use axum::Json;
use axum::extract::State;
use engine::catalog::ParticipantKind;
use engine::types::ParticipantId;
use serde::{Deserialize, Serialize};

use super::body::{Page, Query, listing};
use super::state::AppState;
use super::{Session, read_after};
use crate::error::ApiError;

/// Most items on one page.
const MAX_PER_PAGE: usize = 200;

/// Paging and read-your-writes, common to the lists here.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Participants of one kind; agreements of one supplier.
    kind: Option<String>,
    supplier: Option<u64>,
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// A region or a category: a code in a hierarchy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CodeView {
    /// Its code.
    code: String,
    /// Its official name.
    name: String,
    /// The code above it, none at the top.
    parent: Option<String>,
}

/// A participant, as the directory lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParticipantView {
    id: u64,
    /// purchaser, supplier, analyst or operator.
    kind: &'static str,
    name: String,
    /// Unified social credit code.
    credit_code: Option<String>,
    region: Option<String>,
    /// active or suspended.
    status: &'static str,
    /// A supplier's enterprise size, once declared: micro, small, medium or large (S-1).
    size: Option<&'static str>,
}

/// A framework agreement with its live offer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgreementView {
    id: u64,
    supplier: u64,
    product: u64,
    product_name: Option<String>,
    /// Regions covered, each with its descendants.
    regions: Vec<String>,
    /// Ceiling unit price, a decimal string.
    ceiling: String,
    valid_from: String,
    valid_to: String,
    valid_now: bool,
    /// Stock left; none when not limited.
    stock: Option<String>,
    /// The supplier's live offer, if set.
    offer: Option<String>,
}

fn page<T>(query: &ListQuery, items: Vec<T>, seq: u64) -> Json<Page<T>> {
    let per_page = query.per_page.unwrap_or(50).clamp(1, MAX_PER_PAGE);
    let page = query.page.unwrap_or(1).max(1);
    let total = items.len();
    let items: Vec<_> =
        items.into_iter().skip((page - 1).saturating_mul(per_page)).take(per_page).collect();
    listing(items, page, per_page, total, seq)
}

/// `GET /api/v1/regions`: the province, its cities and counties.
#[utoipa::path(get, path = "/api/v1/regions", params(ListQuery), tag = "reference",
    responses((status = 200, description = "Regions by code", body = Page<CodeView>)))]
pub async fn regions(
    State(state): State<AppState>,
    _session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<CodeView>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let (items, seq) = state.replica.read(|engine| {
        engine
            .regions()
            .map(|r| CodeView {
                code: r.code.to_string(),
                name: r.name.clone(),
                parent: r.parent.map(|p| p.to_string()),
            })
            .collect()
    });
    Ok(page(&query, items, seq.0))
}

/// `GET /api/v1/categories`: the procurement catalog's categories.
#[utoipa::path(get, path = "/api/v1/categories", params(ListQuery), tag = "reference",
    responses((status = 200, description = "Categories by code", body = Page<CodeView>)))]
pub async fn categories(
    State(state): State<AppState>,
    _session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<CodeView>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let (items, seq) = state.replica.read(|engine| {
        engine
            .categories()
            .map(|c| CodeView {
                code: c.code.to_string(),
                name: c.name.clone(),
                parent: c.parent.map(|p| p.to_string()),
            })
            .collect()
    });
    Ok(page(&query, items, seq.0))
}

/// `GET /api/v1/participants?kind=`: for operators and analysts.
#[utoipa::path(get, path = "/api/v1/participants", params(ListQuery), tag = "reference",
    responses((status = 200, description = "Participants in order of registration", body = Page<ParticipantView>), (status = 403, description = "Operators and analysts only")))]
pub async fn participants(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<ParticipantView>>, ApiError> {
    session.require(&[ParticipantKind::Operator, ParticipantKind::Analyst])?;
    read_after(&state, query.min_seq).await?;
    let (items, seq) = state.replica.read(|engine| {
        engine
            .participants()
            .filter(|p| query.kind.as_deref().is_none_or(|k| p.kind.name() == k))
            .map(|p| ParticipantView {
                id: p.id.0,
                kind: p.kind.name(),
                name: p.name.clone(),
                credit_code: p.credit_code.map(|c| c.to_string()),
                region: p.region.map(|r| r.region().to_string()),
                status: if p.is_active() { "active" } else { "suspended" },
                size: p.size.map(|s| s.name()),
            })
            .collect()
    });
    Ok(page(&query, items, seq.0))
}

/// `GET /api/v1/agreements`: a supplier's own agreements with their live offers; all of them (or
/// one supplier's) for operators and analysts.
#[utoipa::path(get, path = "/api/v1/agreements", params(ListQuery), tag = "reference",
    responses((status = 200, description = "Agreements in order of grant", body = Page<AgreementView>), (status = 403, description = "Not for purchasing units")))]
pub async fn agreements(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<AgreementView>>, ApiError> {
    let supplier = match session.role {
        ParticipantKind::Supplier => Some(session.actor.participant),
        ParticipantKind::Operator | ParticipantKind::Analyst => query.supplier.map(ParticipantId),
        ParticipantKind::Purchaser => return Err(ApiError::forbidden()),
    };
    read_after(&state, query.min_seq).await?;
    let (items, seq) = state.replica.read(|engine| {
        let now = engine.clock();
        engine
            .agreements()
            .filter(|a| supplier.is_none_or(|s| a.supplier == s))
            .map(|a| AgreementView {
                id: a.id.0,
                supplier: a.supplier.0,
                product: a.product.0,
                product_name: engine.product(a.product).map(|p| format!("{} {}", p.brand, p.model)),
                regions: a.regions.iter().map(ToString::to_string).collect(),
                ceiling: a.ceiling.to_string(),
                valid_from: a.validity.from.to_string(),
                valid_to: a.validity.to.to_string(),
                valid_now: a.is_valid(now),
                stock: a.stock.map(|s| s.to_string()),
                offer: a.offer.map(|o| o.price.to_string()),
            })
            .collect()
    });
    Ok(page(&query, items, seq.0))
}

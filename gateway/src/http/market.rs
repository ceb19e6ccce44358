//! The catalog as a purchaser sees it (products of a category, a text search, a price limit, the
//! best offer eligible in its region), the offers of a product, and suppliers setting their offers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use engine::Engine;
use engine::catalog::{Agreement, ParticipantKind, RegionChain};
use engine::types::{AgreementId, CategoryCode, ProductId, Timestamp, UnitPrice};
use engine::{Action, Event};
use serde::{Deserialize, Serialize};

use super::body::{Body, Page, Query, listing};
use super::state::AppState;
use super::{Done, Session, read_after, submit};
use crate::error::ApiError;

/// Most items on one page.
const MAX_PER_PAGE: usize = 100;

/// Query of `GET /api/v1/catalog/products`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ProductQuery {
    category: Option<String>,
    q: Option<String>,
    max_price: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// A catalog product.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    id: u64,
    sku: String,
    /// Its category's code and name.
    category: String,
    category_name: Option<String>,
    brand: String,
    model: String,
    spec: String,
    /// Unit of measure.
    unit: String,
    /// Decimals a quantity may have (D-5).
    quantity_decimals: u8,
}

/// A product with the best offer eligible in the caller's region.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductListed {
    #[serde(flatten)]
    product: ProductView,
    /// The best eligible offer, a decimal string; none when no offer can fill an order here.
    best_offer: Option<String>,
}

/// A live offer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferView {
    agreement: u64,
    supplier: u64,
    supplier_name: Option<String>,
    price: String,
    ceiling: String,
    stock: Option<String>,
    /// Its time priority: the sequence that set the price.
    since_seq: u64,
    /// True when it can fill the caller's orders now (D-2).
    eligible: bool,
    /// The supplier's mean mark over the last 12 months, such as `4.67`, once rated (E-1).
    supplier_score: Option<String>,
}

/// A product and its live offers, best first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductOffers {
    product: u64,
    details: ProductView,
    offers: Vec<OfferView>,
    as_of_seq: u64,
}

/// An offer as set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferSetView {
    agreement: u64,
    product: u64,
    price: String,
    since_seq: u64,
}

/// The answer to setting an offer; a retry answers `already_applied` alone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferSet {
    #[serde(skip_serializing_if = "Option::is_none")]
    offer: Option<OfferSetView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_applied: Option<u64>,
}

fn product_view(engine: &Engine, p: &engine::catalog::Product) -> ProductView {
    ProductView {
        id: p.id.0,
        sku: p.sku.clone(),
        category: p.category.category().to_string(),
        category_name: engine.category(p.category.category()).map(|c| c.name.clone()),
        brand: p.brand.clone(),
        model: p.model.clone(),
        spec: p.spec.clone(),
        unit: p.unit.clone(),
        quantity_decimals: p.scale,
    }
}

/// True when an offer under `agreement` can fill an order from `region` now (D-2).
fn eligible(
    engine: &Engine,
    agreement: &Agreement,
    price: UnitPrice,
    region: Option<&RegionChain>,
    now: Timestamp,
) -> bool {
    let supplier_active = engine.participant(agreement.supplier).is_some_and(|p| p.is_active());
    let stock = agreement.stock.is_none_or(|s| s.is_positive());
    let covered = region.is_none_or(|r| agreement.covers(r));
    covered && agreement.is_valid(now) && supplier_active && price <= agreement.ceiling && stock
}

/// `GET /api/v1/catalog/products`.
#[utoipa::path(get, path = "/api/v1/catalog/products", params(ProductQuery), tag = "catalog",
    responses((status = 200, description = "Products with the best offer eligible in the caller's region, a page of them", body = Page<ProductListed>)))]
pub async fn products(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ProductQuery>,
) -> Result<Json<Page<ProductListed>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let category = match query.category.as_deref() {
        Some(code) => {
            Some(code.parse::<CategoryCode>().map_err(|e| ApiError::invalid(e.to_string()))?)
        }
        None => None,
    };
    let max_price = match query.max_price.as_deref() {
        Some(p) => {
            Some(UnitPrice::parse(p).map_err(|e| ApiError::invalid(format!("max_price: {e}")))?)
        }
        None => None,
    };
    let per_page = query.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
    let page = query.page.unwrap_or(1).max(1);
    let text = query.q.map(|q| q.to_lowercase());
    let region = session.region.filter(|_| session.role == ParticipantKind::Purchaser);
    let ((total, items), seq) = state.replica.read(|engine| {
        let now = engine.clock();
        let matching: Vec<ProductListed> = engine
            .products()
            .filter(|p| category.is_none_or(|c| p.category.codes().contains(&c)))
            .filter(|p| {
                text.as_deref().is_none_or(|t| {
                    [&p.sku, &p.brand, &p.model, &p.spec]
                        .iter()
                        .any(|f| f.to_lowercase().contains(t))
                })
            })
            .filter_map(|p| {
                let best = engine
                    .offers(p.id)
                    .find(|(key, a)| eligible(engine, a, key.price, region.as_ref(), now))
                    .map(|(key, _)| key.price);
                if max_price.is_some_and(|m| best.is_none_or(|b| b > m)) {
                    return None;
                }
                Some(ProductListed {
                    product: product_view(engine, p),
                    best_offer: best.map(|b| b.to_string()),
                })
            })
            .collect();
        let total = matching.len();
        (total, matching.into_iter().skip((page - 1) * per_page).take(per_page).collect::<Vec<_>>())
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

/// `GET /api/v1/catalog/products/{product}/offers`: live offers in price-time order; for a
/// purchaser, whether each can fill its orders.
#[utoipa::path(get, path = "/api/v1/catalog/products/{product}/offers", params(("product" = u64, Path, description = "Product id")),
    tag = "catalog", responses((status = 200, description = "Live offers, best first", body = ProductOffers), (status = 404, description = "No such product")))]
pub async fn offers(
    State(state): State<AppState>,
    session: Session,
    super::body::Path(product): super::body::Path<u64>,
) -> Result<Json<ProductOffers>, ApiError> {
    let region = session.region.filter(|_| session.role == ParticipantKind::Purchaser);
    let (found, seq) = state.replica.read(|engine| {
        let p = engine.product(ProductId(product))?;
        let details = product_view(engine, p);
        let now = engine.clock();
        Some((
            details,
            engine
                .offers(ProductId(product))
                .map(|(key, a)| OfferView {
                    agreement: a.id.0,
                    supplier: a.supplier.0,
                    supplier_name: engine.participant(a.supplier).map(|p| p.name.clone()),
                    price: key.price.to_string(),
                    ceiling: a.ceiling.to_string(),
                    stock: a.stock.map(|s| s.to_string()),
                    since_seq: key.since.0,
                    eligible: eligible(engine, a, key.price, region.as_ref(), now),
                    supplier_score: engine.supplier_score(a.supplier).map(crate::views::score_text),
                })
                .collect::<Vec<_>>(),
        ))
    });
    let (details, offers) = found.ok_or_else(|| ApiError::not_found("product"))?;
    Ok(Json(ProductOffers { product, details, offers, as_of_seq: seq.0 }))
}

/// Body of `POST /api/v1/offers`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SetOffer {
    agreement: u64,
    price: String,
}

/// `POST /api/v1/offers`: a supplier sets its offer under one of its agreements (D-6).
#[utoipa::path(post, path = "/api/v1/offers", request_body = SetOffer, tag = "offers",
    responses((status = 200, description = "The offer as set", body = OfferSet), (status = 403, description = "Not a supplier, or not its agreement"),
              (status = 422, description = "Refused by a rule, such as above the ceiling (D-6)")))]
pub async fn set_offer(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<SetOffer>,
) -> Result<(StatusCode, Json<OfferSet>), ApiError> {
    session.require(&[ParticipantKind::Supplier])?;
    let price =
        UnitPrice::parse(&body.price).map_err(|e| ApiError::invalid(format!("price: {e}")))?;
    let action = Action::SetOffer { agreement: AgreementId(body.agreement), price };
    match submit(&state, &session, &headers, action).await? {
        Done::Retried { original } => Ok((
            StatusCode::OK,
            Json(OfferSet { offer: None, seq: None, already_applied: Some(original.0) }),
        )),
        Done::Applied { seq, events } => {
            let offer = events.iter().find_map(|e| match &e.event {
                Event::OfferChanged { agreement, product, price, since, .. } => {
                    Some(OfferSetView {
                        agreement: agreement.0,
                        product: product.0,
                        price: price.to_string(),
                        since_seq: since.0,
                    })
                }
                _ => None,
            });
            let set = OfferSet { offer, seq: Some(seq.0), already_applied: None };
            Ok((StatusCode::OK, Json(set)))
        }
    }
}

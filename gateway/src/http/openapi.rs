//! The OpenAPI document at `/api/v1/openapi.json`, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use super::{auctions, auth, books, deals, market, system};

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Provincial government procurement marketplace", version = "1"),
    paths(
        auth::login,
        system::me,
        market::products,
        market::offers,
        market::set_offer,
        deals::place_order,
        deals::trades,
        deals::settle,
        auctions::open,
        auctions::list,
        auctions::get,
        auctions::results,
        auctions::bid,
        auctions::cancel,
        books::budgets,
        books::reconciliation,
    ),
    components(schemas(
        auth::Login,
        market::SetOffer,
        deals::PlaceOrder,
        deals::StepBody,
        auctions::OpenAuction,
        auctions::PlaceBid,
        auctions::CancelAuction
    ))
)]
struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

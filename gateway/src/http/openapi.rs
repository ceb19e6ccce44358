//! The OpenAPI document at `/api/v1/openapi.json`, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use super::{
    auctions, auth, books, deals, directory, inquiries, market, negotiations, prices, reference,
    rotations, system,
};

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Provincial government procurement marketplace", version = "1"),
    paths(
        auth::login,
        auth::logout,
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
        inquiries::open,
        inquiries::open_competition,
        inquiries::list,
        inquiries::get,
        inquiries::results,
        inquiries::quote,
        inquiries::withdraw,
        inquiries::next_round,
        inquiries::end,
        negotiations::propose,
        negotiations::list,
        negotiations::get,
        negotiations::counter,
        negotiations::answer,
        reference::set_negotiation_rules,
        rotations::define,
        rotations::list,
        rotations::order,
        reference::define_region,
        reference::define_category,
        reference::define_product,
        reference::register_participant,
        reference::supplier_status,
        reference::define_group,
        reference::grant_agreement,
        reference::change_agreement,
        reference::set_limit,
        reference::load_calendar,
        reference::allocate_budget,
        reference::adjust_budget,
        reference::register_user,
        directory::regions,
        directory::categories,
        directory::participants,
        directory::agreements,
        prices::candles,
        prices::reference,
        prices::index,
        prices::alerts,
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
        auctions::CancelAuction,
        inquiries::OpenInquiry,
        inquiries::OpenCompetition,
        inquiries::Line,
        inquiries::SubmitQuote,
        inquiries::NextRound,
        inquiries::EndInquiry,
        negotiations::Propose,
        negotiations::Counter,
        reference::NegotiationRules,
        rotations::DefineRotation,
        rotations::RotationOrder,
        reference::DefineCode,
        reference::DefineProduct,
        reference::RegisterParticipant,
        reference::Reasoned,
        reference::DefineGroup,
        reference::GrantAgreement,
        reference::AgreementChange,
        reference::SetLimit,
        reference::LoadCalendar,
        reference::AllocateBudget,
        reference::AdjustBudget,
        reference::RegisterUser
    ))
)]
struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

//! Negotiated purchase over REST (N-1 to N-3): a purchasing unit proposes a price to an agreement
//! supplier; the party whose turn it is counters, accepts or rejects. A negotiation is private to
//! its two parties: to anyone else it does not exist (404, never 403), it is in no list and on no
//! feed but the parties' own; once accepted, its trade is public like any other.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::Engine;
use engine::catalog::ParticipantKind;
use engine::negotiation::{Negotiation, Party, Proposal};
use engine::types::{AgreementId, BudgetLineId, DealId, Quantity, Timestamp, UnitPrice};
use engine::{Action, Event};
use serde::{Deserialize, Serialize};

use super::body::{Body, Page, Query, deal_id, listing, newest_first};
use super::state::AppState;
use super::{Session, created, read_after, submit_and_show};
use crate::error::ApiError;
use crate::views::names_in;

/// How long a supplier has to answer unless the purchaser says otherwise: two days.
const DEFAULT_RESPOND_HOURS: i64 = 48;
/// Most items on one page.
const MAX_PER_PAGE: usize = 100;

/// Body of `POST /api/v1/negotiations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Propose {
    /// The supplier's agreement for the product.
    agreement: u64,
    quantity: String,
    budget_line: u64,
    /// Unit price proposed, yuan: below the live offer.
    price: String,
    /// Hours the supplier has to answer, 1 to 720 (default 48).
    respond_hours: Option<i64>,
}

/// Body of `POST /api/v1/negotiations/{id}/counter`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    /// Unit price, yuan.
    price: String,
}

/// The party `session` is in `n`, if it is one.
fn party(session: &Session, n: &Negotiation) -> Option<Party> {
    let me = session.actor.participant;
    match session.role {
        ParticipantKind::Purchaser if n.purchaser == me => Some(Party::Purchaser),
        ParticipantKind::Supplier if n.supplier == me => Some(Party::Supplier),
        _ => None,
    }
}

/// A negotiation as one of its parties sees it: everything on the table, and whose turn it is.
/// A party to a negotiation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartyView {
    id: u64,
    name: String,
}

/// A price put on the table.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Move {
    /// purchaser or supplier.
    by: &'static str,
    price: String,
    seq: u64,
    at_ms: i64,
}

/// A negotiation as one of its two parties sees it (N-3).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NegotiationView {
    id: u64,
    /// proposed, countered, accepted, rejected or expired.
    state: &'static str,
    /// purchaser or supplier: which party the caller is.
    you_are: &'static str,
    your_turn: bool,
    purchaser: PartyView,
    supplier: PartyView,
    product: u64,
    product_name: Option<String>,
    agreement: u64,
    quantity: String,
    /// The supplier's live offer when proposed.
    offer: String,
    /// The price on the table now.
    price: String,
    respond_by_ms: i64,
    /// Counters the supplier has made.
    counters: u32,
    moves: Vec<Move>,
    /// The trade, once accepted.
    trade: Option<String>,
}

super::shown! {
    /// A negotiation after a move, as the caller sees it.
    NegotiationMoved { negotiation: NegotiationView }
}

fn view(engine: &Engine, n: &Negotiation, me: Party) -> NegotiationView {
    let names = names_in(engine);
    let name = |p| names(p).map(|(name, _)| name).unwrap_or_default();
    let product = engine.product(n.product);
    NegotiationView {
        id: n.id.0,
        state: n.state.name(),
        you_are: me.name(),
        your_turn: n.state.turn() == Some(me),
        purchaser: PartyView { id: n.purchaser.0, name: name(n.purchaser) },
        supplier: PartyView { id: n.supplier.0, name: name(n.supplier) },
        product: n.product.0,
        product_name: product.map(|p| format!("{} {}", p.brand, p.model)),
        agreement: n.proposal.agreement.0,
        quantity: n.proposal.quantity.to_string(),
        offer: n.offer.to_string(),
        price: n.price().to_string(),
        respond_by_ms: n.proposal.respond_by.ms(),
        counters: n.counters,
        moves: n
            .moves
            .iter()
            .map(|m| Move {
                by: m.by.name(),
                price: m.price.to_string(),
                seq: m.seq.0,
                at_ms: m.at.ms(),
            })
            .collect(),
        trade: n.trade.map(|t| t.to_string()),
    }
}

fn parse_id(text: &str) -> Result<DealId, ApiError> {
    deal_id(text, "a negotiation")
}

/// The caller's view of negotiation `id`; not found for anyone but its two parties (N-3).
fn view_of(state: &AppState, session: &Session, id: DealId) -> Result<NegotiationView, ApiError> {
    let (view, _) = state.replica.read(|engine| {
        let n = engine.negotiation(id).ok_or_else(|| ApiError::not_found("negotiation"))?;
        let me = party(session, n).ok_or_else(|| ApiError::not_found("negotiation"))?;
        Ok::<_, ApiError>(view(engine, n, me))
    });
    view
}

async fn changed(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    id: Option<DealId>,
    action: Action,
    status: StatusCode,
) -> Result<(StatusCode, Json<NegotiationMoved>), ApiError> {
    submit_and_show(state, session, headers, action, status, |events| {
        let id = match id {
            Some(id) => id,
            None => created(events, |e| match e {
                Event::NegotiationProposed { negotiation, .. } => Some(*negotiation),
                _ => None,
            })?,
        };
        view_of(state, session, id)
    })
    .await
}

/// `POST /api/v1/negotiations`: a purchasing unit proposes a price below an agreement supplier's
/// live offer; the budget is held at the proposed amount (N-1).
#[utoipa::path(post, path = "/api/v1/negotiations", request_body = Propose, tag = "negotiations",
    responses((status = 201, description = "Proposed: the purchaser's view", body = NegotiationMoved),
              (status = 422, description = "Not below the offer (N-1), agreement, stock, limit or budget")))]
pub async fn propose(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<Propose>,
) -> Result<(StatusCode, Json<NegotiationMoved>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let hours = body.respond_hours.unwrap_or(DEFAULT_RESPOND_HOURS);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::invalid("respond_hours: 1 to 720"));
    }
    let now = state.clock.now().max(state.replica.read(Engine::clock).0);
    let proposal = Proposal {
        agreement: AgreementId(body.agreement),
        quantity: Quantity::parse(&body.quantity)
            .map_err(|e| ApiError::invalid(format!("quantity: {e}")))?,
        budget_line: BudgetLineId(body.budget_line),
        price: UnitPrice::parse(&body.price)
            .map_err(|e| ApiError::invalid(format!("price: {e}")))?,
        respond_by: Timestamp(now.ms() + hours * 3_600_000),
    };
    let action = Action::ProposeNegotiation(proposal);
    changed(&state, &session, &headers, None, action, StatusCode::CREATED).await
}

/// Query of `GET /api/v1/negotiations`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NegotiationQuery {
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// `GET /api/v1/negotiations`: the caller's own negotiations, newest first (N-3).
#[utoipa::path(get, path = "/api/v1/negotiations", params(NegotiationQuery), tag = "negotiations",
    responses((status = 200, description = "A page of the negotiations the caller is a party to", body = Page<NegotiationView>)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NegotiationQuery>,
) -> Result<Json<Page<NegotiationView>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let per_page = query.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
    let page = query.page.unwrap_or(1).max(1);
    let ((total, items), seq) = state.replica.read(|engine| {
        let mine: Vec<_> =
            engine.negotiations().filter_map(|n| Some((n, party(&session, n)?))).collect();
        let items =
            newest_first(&mine, page, per_page).map(|(n, me)| view(engine, n, *me)).collect();
        (mine.len(), items)
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

/// `GET /api/v1/negotiations/{id}`: for its two parties only.
#[utoipa::path(get, path = "/api/v1/negotiations/{id}", params(("id" = u64, Path, description = "Negotiation id")), tag = "negotiations",
    responses((status = 200, description = "The negotiation", body = NegotiationView), (status = 404, description = "No such negotiation of yours")))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<NegotiationView>, ApiError> {
    view_of(&state, &session, parse_id(&id)?).map(Json)
}

/// `POST /api/v1/negotiations/{id}/counter`: the party whose turn it is puts a new price on the
/// table (N-2).
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/counter", request_body = Counter, tag = "negotiations",
    params(("id" = u64, Path, description = "Negotiation id")),
    responses((status = 200, description = "Countered", body = NegotiationMoved), (status = 422, description = "Outside the band, capped, or not your turn (N-2)")))]
pub async fn counter(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(body): Body<Counter>,
) -> Result<(StatusCode, Json<NegotiationMoved>), ApiError> {
    let negotiation = parse_id(&id)?;
    let price =
        UnitPrice::parse(&body.price).map_err(|e| ApiError::invalid(format!("price: {e}")))?;
    let action = Action::CounterNegotiation { negotiation, price };
    changed(&state, &session, &headers, Some(negotiation), action, StatusCode::OK).await
}

/// `POST /api/v1/negotiations/{id}/{accept|reject}`: the party whose turn it is answers (N-2).
#[utoipa::path(post, path = "/api/v1/negotiations/{id}/{answer}", tag = "negotiations",
    params(("id" = u64, Path, description = "Negotiation id"), ("answer" = String, Path, description = "accept or reject")),
    responses((status = 200, description = "Answered; on acceptance the trade is in the view", body = NegotiationMoved),
              (status = 422, description = "Not your turn, or the agreement, supplier or stock no longer allows it")))]
pub async fn answer(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, answer)): Path<(String, String)>,
) -> Result<(StatusCode, Json<NegotiationMoved>), ApiError> {
    let negotiation = parse_id(&id)?;
    let action = match answer.as_str() {
        "accept" => Action::AcceptNegotiation { negotiation },
        "reject" => Action::RejectNegotiation { negotiation },
        _ => return Err(ApiError::not_found("negotiation answer (accept or reject)")),
    };
    changed(&state, &session, &headers, Some(negotiation), action, StatusCode::OK).await
}

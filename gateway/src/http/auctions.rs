//! Reverse auctions over REST: a purchaser opens and cancels; suppliers bid; everyone
//! allowed in the room reads the view its audience may see, built by [`crate::views::auction`]
//! exactly as the live feed builds it; results with names once closed.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::Engine;
use engine::auction::{Auction, AuctionSpec, AuctionState, Disclosure, Eligibility, MinStep};
use engine::catalog::ParticipantKind;
use engine::types::{
    BudgetLineId, DealId, ParticipantId, ProductId, Quantity, Timestamp, UnitPrice,
};
use engine::{Action, Event};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::body::{Body, Page, Query, deal_id, listing, newest_first};
use super::state::AppState;
use super::{Done, Session, Shown, read_after, submit};
use crate::error::ApiError;
use crate::views;
use crate::views::auction::{self as room, AuctionView, Audience, ResultsView};

/// Defaults of the soft close: a bid in the last five minutes extends the end to five
/// minutes after it, by at most half an hour in all; common terms on provincial platforms.
const SOFT_CLOSE_SECONDS: i64 = 300;
const EXTENSION_SECONDS: i64 = 300;
const MAX_EXTENSION_SECONDS: i64 = 1_800;
/// The fewest distinct bidders for an award, unless the purchaser sets more.
const MIN_BIDDERS: u32 = 3;
/// Most items on one page.
const MAX_PER_PAGE: usize = 100;

/// Body of `POST /api/v1/auctions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAuction {
    product: u64,
    quantity: String,
    budget_line: u64,
    /// Ceiling unit price (最高限价), yuan.
    ceiling: String,
    /// Start, UTC milliseconds; now when absent.
    starts_ms: Option<i64>,
    /// End before any extension, UTC milliseconds; or give `duration_seconds`.
    ends_ms: Option<i64>,
    duration_seconds: Option<i64>,
    /// Minimum step as a unit price; or give `min_step_percent` of the ceiling.
    min_step: Option<String>,
    min_step_percent: Option<String>,
    soft_close_seconds: Option<i64>,
    extension_seconds: Option<i64>,
    max_extension_seconds: Option<i64>,
    min_bidders: Option<u32>,
    /// `rank_only` (the default) or `best_price`.
    disclosure: Option<String>,
    #[serde(default)]
    must_beat_best: bool,
    /// Only these suppliers may bid; agreement holders covering the purchaser's region when absent.
    invited: Option<Vec<u64>>,
    /// An auction over this catalog category: each bid names its product of the category, and
    /// `product` is the one the specification describes.
    category: Option<String>,
    /// Reserved for small and medium enterprises: only they may bid (S-2).
    #[serde(default)]
    reserved: bool,
}

fn seconds(field: &str, value: Option<i64>, default: i64) -> Result<i64, ApiError> {
    let value = value.unwrap_or(default);
    if value < 0 {
        return Err(ApiError::invalid(format!("{field} may not be negative")));
    }
    value.checked_mul(1_000).ok_or_else(|| ApiError::invalid(format!("{field} is too large")))
}

/// A percentage of the ceiling in basis points: "0.5" is 50.
fn basis_points(text: &str) -> Result<u32, ApiError> {
    let bad =
        || ApiError::invalid("min_step_percent: a percentage such as 0.5, at most 2 decimals");
    let percent: Decimal = text.trim().parse().map_err(|_| bad())?;
    let bp = percent.checked_mul(Decimal::ONE_HUNDRED).ok_or_else(bad)?;
    if bp.fract() != Decimal::ZERO || bp <= Decimal::ZERO || bp > Decimal::from(10_000) {
        return Err(bad());
    }
    u32::try_from(bp.mantissa() / 10_i128.pow(bp.scale())).map_err(|_| bad())
}

impl OpenAuction {
    fn spec(self, now: Timestamp) -> Result<AuctionSpec, ApiError> {
        let money = |field: &str, text: &str| {
            UnitPrice::parse(text).map_err(|e| ApiError::invalid(format!("{field}: {e}")))
        };
        let starts = Timestamp(self.starts_ms.unwrap_or(now.0));
        let ends = match (self.ends_ms, self.duration_seconds) {
            (Some(ends), None) => Timestamp(ends),
            (None, Some(duration)) => {
                starts.plus_ms(seconds("duration_seconds", Some(duration), 0)?)
            }
            _ => return Err(ApiError::invalid("give exactly one of ends_ms and duration_seconds")),
        };
        let min_step = match (self.min_step.as_deref(), self.min_step_percent.as_deref()) {
            (Some(step), None) => MinStep::Price(money("min_step", step)?),
            (None, Some(percent)) => MinStep::Basis(basis_points(percent)?),
            _ => {
                return Err(ApiError::invalid("give exactly one of min_step and min_step_percent"));
            }
        };
        let disclosure = match self.disclosure.as_deref() {
            None => Disclosure::RankOnly,
            Some(text) => text
                .parse()
                .map_err(|_| ApiError::invalid("disclosure is rank_only or best_price"))?,
        };
        let soft_close_ms =
            seconds("soft_close_seconds", self.soft_close_seconds, SOFT_CLOSE_SECONDS)?;
        let extension_ms = seconds("extension_seconds", self.extension_seconds, EXTENSION_SECONDS)?;
        let max_extension_ms =
            seconds("max_extension_seconds", self.max_extension_seconds, MAX_EXTENSION_SECONDS)?;
        let min_bidders = self.min_bidders.unwrap_or(MIN_BIDDERS);
        super::terms::auction(
            starts,
            ends,
            now,
            [("soft_close_seconds", soft_close_ms), ("extension_seconds", extension_ms)],
            max_extension_ms,
            min_bidders,
        )?;
        Ok(AuctionSpec {
            product: ProductId(self.product),
            quantity: Quantity::parse(&self.quantity)
                .map_err(|e| ApiError::invalid(format!("quantity: {e}")))?,
            budget_line: BudgetLineId(self.budget_line),
            ceiling: money("ceiling", &self.ceiling)?,
            starts,
            ends,
            min_step,
            soft_close_ms,
            extension_ms,
            max_extension_ms,
            min_bidders,
            disclosure,
            must_beat_best: self.must_beat_best,
            eligibility: match self.invited {
                Some(list) => Eligibility::Invited(list.into_iter().map(ParticipantId).collect()),
                None => Eligibility::AgreementHolders,
            },
        })
    }
}

super::shown! {
    /// An auction after a change, as the caller sees it.
    AuctionShown { auction: AuctionView }
}

/// A bid as received.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BidReceipt {
    price: String,
    /// Its receipt: the sequence that took it, its time priority.
    receipt_seq: u64,
}

/// The answer to a bid: its receipt and the room as the bidder may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BidPlaced {
    #[serde(skip_serializing_if = "Option::is_none")]
    bid: Option<BidReceipt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auction: Option<AuctionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_applied: Option<u64>,
}

/// The caller's view of auction `id`, as of the replica.
fn view_of(
    state: &AppState,
    session: &Session,
    id: DealId,
) -> Result<(AuctionView, u64), ApiError> {
    let (view, seq) = state.replica.read(|engine| {
        let a = engine.auction(id).ok_or_else(|| ApiError::not_found("auction"))?;
        let audience =
            room::audience(engine, &session.viewer(), a).ok_or_else(ApiError::forbidden)?;
        let mut view = room::view(
            a,
            audience,
            state.clock.now().max(engine.clock()),
            &views::names_in(engine),
        );
        view.results = view.results.take().map(|r| room::with_scores(r, engine));
        Ok::<_, ApiError>(view)
    });
    Ok((view?, seq.0))
}

/// `POST /api/v1/auctions`: a purchasing unit opens a reverse auction; its budget is held (A-1, B-2).
#[utoipa::path(post, path = "/api/v1/auctions", request_body = OpenAuction, tag = "auctions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Opened: the purchaser's view of it", body = AuctionShown),
              (status = 400, description = "Malformed terms: schedule, step, quantity scale"),
              (status = 422, description = "Refused by a rule (A-1, B-1)")))]
pub async fn open(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<OpenAuction>,
) -> Result<(StatusCode, Json<AuctionShown>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let category = body
        .category
        .as_deref()
        .map(|c| c.parse().map_err(|_| ApiError::invalid("category: not a catalog code")))
        .transpose()?;
    let reserved = body.reserved;
    let spec = body.spec(state.clock.now())?;
    let action = match (category, reserved) {
        (category, true) => Action::OpenReservedAuction { category, spec },
        (Some(category), false) => Action::OpenCategoryAuction { category, spec },
        (None, false) => Action::OpenAuction(spec),
    };
    match submit(&state, &session, &headers, action).await? {
        Done::Retried { original } => Ok((StatusCode::OK, Json(AuctionShown::retried(original.0)))),
        Done::Applied { seq, events } => {
            let id = events.iter().find_map(|e| match &e.event {
                Event::AuctionOpened { auction, .. } => Some(*auction),
                _ => None,
            });
            let id = id.ok_or_else(|| ApiError::internal(&anyhow::anyhow!("no auction opened")))?;
            read_after(&state, Some(seq.0)).await?;
            let (view, _) = view_of(&state, &session, id)?;
            Ok((StatusCode::CREATED, Json(AuctionShown::applied(view, seq.0))))
        }
    }
}

/// Query of `GET /api/v1/auctions`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuctionQuery {
    /// scheduled, open, awarded, failed or cancelled.
    state: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

fn parse_state(text: &str) -> Result<AuctionState, ApiError> {
    text.parse()
        .map_err(|_| ApiError::invalid("state is scheduled, open, awarded, failed or cancelled"))
}

/// How the caller sees an auction that belongs in its list: its own (purchaser), those it may
/// bid in or has (supplier), those of the region it oversees (analyst, operator).
fn listed(engine: &Engine, session: &Session, a: &Auction) -> Option<Audience> {
    let audience = room::audience(engine, &session.viewer(), a)?;
    let belongs = match session.role {
        ParticipantKind::Purchaser => audience == Audience::Purchaser,
        ParticipantKind::Supplier => matches!(audience, Audience::Bidder(_)),
        ParticipantKind::Analyst | ParticipantKind::Operator => true,
    };
    belongs.then_some(audience)
}

/// `GET /api/v1/auctions`: the caller's auctions, newest first.
#[utoipa::path(get, path = "/api/v1/auctions", params(AuctionQuery), tag = "auctions",
    responses((status = 200, description = "A page of auctions, each as the caller may see it", body = Page<AuctionView>)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<AuctionQuery>,
) -> Result<Json<Page<AuctionView>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let wanted = query.state.as_deref().map(parse_state).transpose()?;
    let per_page = query.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
    let page = query.page.unwrap_or(1).max(1);
    let ((total, items), seq) = state.replica.read(|engine| {
        let now = state.clock.now().max(engine.clock());
        let mine: Vec<_> = engine
            .auctions()
            .filter(|a| wanted.is_none_or(|w| a.state == w))
            .filter_map(|a| Some((a, listed(engine, &session, a)?)))
            .collect();
        let items = newest_first(&mine, page, per_page)
            .map(|(a, audience)| room::view(a, *audience, now, &views::names_in(engine)))
            .collect();
        (mine.len(), items)
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

fn parse_id(text: &str) -> Result<DealId, ApiError> {
    deal_id(text, "an auction")
}

/// Query of reads of one auction.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OneQuery {
    min_seq: Option<u64>,
}

/// `GET /api/v1/auctions/{id}`: the auction as the caller may see it.
#[utoipa::path(get, path = "/api/v1/auctions/{id}", params(("id" = u64, Path, description = "Auction id"), OneQuery), tag = "auctions",
    responses((status = 200, description = "The caller's view", body = AuctionView), (status = 403, description = "Not in this auction's room")))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<OneQuery>,
) -> Result<Json<AuctionView>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let (mut view, seq) = view_of(&state, &session, parse_id(&id)?)?;
    view.as_of_seq = Some(seq);
    Ok(Json(view))
}

/// `GET /api/v1/auctions/{id}/results`: every bid with its bidder, once closed.
#[utoipa::path(get, path = "/api/v1/auctions/{id}/results", params(("id" = u64, Path, description = "Auction id"), OneQuery), tag = "auctions",
    responses((status = 200, description = "The results", body = ResultsView), (status = 409, description = "Not closed yet: nothing is published")))]
pub async fn results(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<OneQuery>,
) -> Result<Json<ResultsView>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let id = parse_id(&id)?;
    let (results, _) = state.replica.read(|engine| {
        let a = engine.auction(id).ok_or_else(|| ApiError::not_found("auction"))?;
        room::audience(engine, &session.viewer(), a).ok_or_else(ApiError::forbidden)?;
        if !room::closed(a) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "results_not_published",
                "results are published once the auction has closed",
            ));
        }
        Ok(room::with_scores(room::results(a, &views::names_in(engine)), engine))
    });
    results.map(Json)
}

/// Body of `POST /api/v1/auctions/{id}/bids`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceBid {
    /// Unit price, yuan.
    price: String,
    /// In a category auction, the product offered; the auction's product when absent.
    product: Option<u64>,
}

/// `POST /api/v1/auctions/{id}/bids`: a supplier bids; the answer is its own standing.
#[utoipa::path(post, path = "/api/v1/auctions/{id}/bids", request_body = PlaceBid, tag = "auctions",
    params(("id" = u64, Path, description = "Auction id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Accepted: the bidder's rank and the room as it may see it", body = BidPlaced),
              (status = 422, description = "Refused: closed, not eligible, affiliate bidding, above the ceiling, step too small (A-2)")))]
pub async fn bid(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(body): Body<PlaceBid>,
) -> Result<(StatusCode, Json<BidPlaced>), ApiError> {
    session.require(&[ParticipantKind::Supplier])?;
    let auction = parse_id(&id)?;
    let price =
        UnitPrice::parse(&body.price).map_err(|e| ApiError::invalid(format!("price: {e}")))?;
    let action = match body.product {
        Some(product) => Action::SubmitProductBid { auction, product: ProductId(product), price },
        None => Action::SubmitBid { auction, price },
    };
    match submit(&state, &session, &headers, action).await? {
        Done::Retried { original } => Ok((
            StatusCode::OK,
            Json(BidPlaced {
                bid: None,
                auction: None,
                seq: None,
                already_applied: Some(original.0),
            }),
        )),
        Done::Applied { seq, events } => {
            let receipt = events.iter().find_map(|e| match &e.event {
                Event::BidAccepted { receipt, price, .. } => {
                    Some(BidReceipt { price: price.to_string(), receipt_seq: receipt.0 })
                }
                _ => None,
            });
            read_after(&state, Some(seq.0)).await?;
            let (view, _) = view_of(&state, &session, auction)?;
            let placed = BidPlaced {
                bid: receipt,
                auction: Some(view),
                seq: Some(seq.0),
                already_applied: None,
            };
            Ok((StatusCode::CREATED, Json(placed)))
        }
    }
}

/// Body of `POST /api/v1/auctions/{id}/cancel`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelAuction {
    /// Why; required of an operator after the first bid.
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/auctions/{id}/cancel`: the purchaser before the first bid, an operator with a
/// reason after it; the hold is released (B-3).
#[utoipa::path(post, path = "/api/v1/auctions/{id}/cancel", request_body(content = Option<CancelAuction>), tag = "auctions",
    params(("id" = u64, Path, description = "Auction id")),
    responses((status = 200, description = "Cancelled", body = AuctionShown), (status = 422, description = "Bids already in, or closed (A-7)")))]
pub async fn cancel(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<AuctionShown>, ApiError> {
    let auction = parse_id(&id)?;
    let reason = if body.is_empty() {
        String::new()
    } else {
        serde_json::from_slice::<CancelAuction>(&body)
            .map_err(|e| ApiError::invalid(e.to_string()))?
            .reason
    };
    match submit(&state, &session, &headers, Action::CancelAuction { auction, reason }).await? {
        Done::Retried { original } => Ok(Json(AuctionShown::retried(original.0))),
        Done::Applied { seq, .. } => {
            read_after(&state, Some(seq.0)).await?;
            let (view, _) = view_of(&state, &session, auction)?;
            Ok(Json(AuctionShown::applied(view, seq.0)))
        }
    }
}

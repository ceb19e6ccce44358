//! After the award (C-1 to C-5): the award of an auction or inquiry and its challenges; a supplier
//! that took part challenges and complains, the purchaser answers, awards the next-ranked or fails
//! the deal, the regulator of the deal's region suspends and rules.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::Action;
use engine::award::AwardState;
use engine::catalog::ParticipantKind;
use engine::types::{DealId, ParticipantId};
use serde::Deserialize;

use super::body::{Body, Page, Query, deal_id, listing, newest_first};
use super::state::AppState;
use super::{Session, read_after, shown, submit_and_show};
use crate::error::ApiError;
use crate::views;
use crate::views::award::{AwardView, standing};

shown! {
    /// The award after a command, as the caller may see it.
    AwardShown { award: AwardView }
}

/// Query of reads of awards.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AwardQuery {
    /// Only awards in this state: `provisional`, `final`, `vacant` or `failed`.
    state: Option<String>,
    /// Only awards with a challenge waiting for an answer or a complaint waiting for a ruling.
    #[serde(default)]
    pending: bool,
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// The award of `deal` as the session may see it.
fn view_of(state: &AppState, session: &Session, deal: DealId) -> Result<AwardView, ApiError> {
    let viewer = session.viewer();
    let (view, _) = state.replica.read(|engine| {
        let award = engine.award(deal).ok_or_else(|| ApiError::not_found("award"))?;
        let standing = standing(&viewer, award).ok_or_else(ApiError::forbidden)?;
        Ok(views::award::view(engine, &viewer, standing, award, &views::names_in(engine)))
    });
    view
}

fn parse_deal(text: &str) -> Result<DealId, ApiError> {
    deal_id(text, "a deal")
}

/// `GET /api/v1/awards`: the awards the caller is party to or oversees, newest first.
#[utoipa::path(get, path = "/api/v1/awards", params(AwardQuery), tag = "awards",
    responses((status = 200, description = "A page of awards, each as the caller may see it", body = Page<AwardView>)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<AwardQuery>,
) -> Result<Json<Page<AwardView>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let wanted = query
        .state
        .as_deref()
        .map(|s| s.parse::<AwardState>().map_err(|_| ApiError::invalid("unknown award state")))
        .transpose()?;
    let per_page = query.per_page.unwrap_or(20).clamp(1, 100);
    let page = query.page.unwrap_or(1).max(1);
    let viewer = session.viewer();
    let ((total, items), seq) = state.replica.read(|engine| {
        let mine: Vec<_> = engine
            .awards()
            .filter(|a| wanted.is_none_or(|w| a.state == w))
            .filter(|a| !query.pending || !views::award::ended(a) && !a.challenges.is_empty())
            .filter_map(|a| match standing(&viewer, a)? {
                // A supplier lists the deals it took part in, not every deal it may look at.
                views::award::Standing::Onlooker if viewer.role == ParticipantKind::Supplier => {
                    None
                }
                s => Some((a, s)),
            })
            .collect();
        let names = views::names_in(engine);
        let items = newest_first(&mine, page, per_page)
            .map(|(a, s)| views::award::view(engine, &viewer, *s, a, &names))
            .collect();
        (mine.len(), items)
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

/// Query of one award.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OneQuery {
    min_seq: Option<u64>,
}

/// `GET /api/v1/deals/{deal}/award`: the award of an auction or inquiry, its ranking, trades and
/// the challenges the caller may see (C-5).
#[utoipa::path(get, path = "/api/v1/deals/{deal}/award", params(("deal" = u64, Path, description = "Auction or inquiry id"), OneQuery), tag = "awards",
    responses((status = 200, description = "The award", body = AwardView), (status = 404, description = "No award: not closed, failed or not a deal")))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    Path(deal): Path<String>,
    Query(query): Query<OneQuery>,
) -> Result<Json<AwardView>, ApiError> {
    read_after(&state, query.min_seq).await?;
    view_of(&state, &session, parse_deal(&deal)?).map(Json)
}

/// Body of a challenge or a complaint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grounds {
    /// The grounds, 1 to 2,000 characters.
    grounds: String,
}

/// `POST /api/v1/deals/{deal}/challenges`: a supplier that took part challenges the award within
/// its period (C-2).
#[utoipa::path(post, path = "/api/v1/deals/{deal}/challenges", request_body = Grounds, tag = "awards",
    params(("deal" = u64, Path, description = "Auction or inquiry id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Filed", body = AwardShown),
              (status = 422, description = "The period is over, or a challenge of yours exists (C-2)")))]
pub async fn challenge(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(deal): Path<String>,
    Body(body): Body<Grounds>,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    session.require(&[ParticipantKind::Supplier])?;
    let deal = parse_deal(&deal)?;
    let action = Action::FileChallenge { deal, grounds: body.grounds };
    act(&state, &session, &headers, deal, action, StatusCode::CREATED).await
}

/// Body of an answer to a challenge, or of a ruling on a complaint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Upheld (the award is annulled, C-4) or dismissed.
    upheld: bool,
    /// The answer or ruling, 1 to 2,000 characters.
    text: String,
}

/// `POST /api/v1/deals/{deal}/challenges/{challenger}/answer`: the purchaser answers (C-2).
#[utoipa::path(post, path = "/api/v1/deals/{deal}/challenges/{challenger}/answer", request_body = Decision, tag = "awards",
    params(("deal" = u64, Path, description = "Auction or inquiry id"), ("challenger" = u64, Path, description = "The challenger"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 200, description = "Answered", body = AwardShown),
              (status = 422, description = "Already answered, or gone to complaint (C-2)")))]
pub async fn answer(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((deal, challenger)): Path<(String, u64)>,
    Body(body): Body<Decision>,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let deal = parse_deal(&deal)?;
    let action = Action::AnswerChallenge {
        deal,
        challenger: ParticipantId(challenger),
        upheld: body.upheld,
        reply: body.text,
    };
    act(&state, &session, &headers, deal, action, StatusCode::OK).await
}

/// `POST /api/v1/deals/{deal}/complaint`: a challenger dismissed, or not answered in time,
/// complains to the regulator of the deal's region (C-3).
#[utoipa::path(post, path = "/api/v1/deals/{deal}/complaint", request_body = Grounds, tag = "awards",
    params(("deal" = u64, Path, description = "Auction or inquiry id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Filed", body = AwardShown),
              (status = 422, description = "No dismissed or overdue challenge of yours, or its time is over (C-3)")))]
pub async fn complain(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(deal): Path<String>,
    Body(body): Body<Grounds>,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    session.require(&[ParticipantKind::Supplier])?;
    let deal = parse_deal(&deal)?;
    let action = Action::FileComplaint { deal, grounds: body.grounds };
    act(&state, &session, &headers, deal, action, StatusCode::CREATED).await
}

/// Body of a suspension, or of failing a deal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Why, 1 to 2,000 characters.
    reason: String,
}

/// `POST /api/v1/deals/{deal}/suspension`: the regulator suspends the deal while it hears a
/// complaint (C-3, Art. 57).
#[utoipa::path(post, path = "/api/v1/deals/{deal}/suspension", request_body = Reason, tag = "awards",
    params(("deal" = u64, Path, description = "Auction or inquiry id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 200, description = "Suspended", body = AwardShown),
              (status = 422, description = "No complaint pending, or already suspended (C-3)")))]
pub async fn suspend(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(deal): Path<String>,
    Body(body): Body<Reason>,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    session.require(&[ParticipantKind::Operator])?;
    let deal = parse_deal(&deal)?;
    let action = Action::SuspendDeal { deal, reason: body.reason };
    act(&state, &session, &headers, deal, action, StatusCode::OK).await
}

/// `POST /api/v1/deals/{deal}/challenges/{challenger}/ruling`: the regulator rules on a complaint
/// (C-3); upheld annuls the award (C-4).
#[utoipa::path(post, path = "/api/v1/deals/{deal}/challenges/{challenger}/ruling", request_body = Decision, tag = "awards",
    params(("deal" = u64, Path, description = "Auction or inquiry id"), ("challenger" = u64, Path, description = "The complainant"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 200, description = "Ruled", body = AwardShown),
              (status = 403, description = "Not the regulator of the deal's region"),
              (status = 422, description = "No complaint pending from this challenger (C-3)")))]
pub async fn rule(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((deal, challenger)): Path<(String, u64)>,
    Body(body): Body<Decision>,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    session.require(&[ParticipantKind::Operator])?;
    let deal = parse_deal(&deal)?;
    let action = Action::RuleComplaint {
        deal,
        challenger: ParticipantId(challenger),
        upheld: body.upheld,
        ruling: body.text,
    };
    act(&state, &session, &headers, deal, action, StatusCode::OK).await
}

/// `POST /api/v1/deals/{deal}/next-ranked`: the purchaser awards a vacant deal to the next valid
/// bid or quote in rank order, at its own price (C-4).
#[utoipa::path(post, path = "/api/v1/deals/{deal}/next-ranked", tag = "awards",
    params(("deal" = u64, Path, description = "Auction or inquiry id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Awarded: a new provisional award", body = AwardShown),
              (status = 422, description = "Not vacant, no valid bid left, or budget short (C-4, B-1)")))]
pub async fn award_next(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(deal): Path<String>,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let deal = parse_deal(&deal)?;
    let action = Action::AwardNextRanked { deal };
    act(&state, &session, &headers, deal, action, StatusCode::CREATED).await
}

/// `POST /api/v1/deals/{deal}/failure`: the purchaser fails a vacant deal (C-4).
#[utoipa::path(post, path = "/api/v1/deals/{deal}/failure", request_body = Reason, tag = "awards",
    params(("deal" = u64, Path, description = "Auction or inquiry id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 200, description = "Failed", body = AwardShown),
              (status = 422, description = "Not vacant (C-4)")))]
pub async fn fail(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(deal): Path<String>,
    Body(body): Body<Reason>,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let deal = parse_deal(&deal)?;
    let action = Action::FailAward { deal, reason: body.reason };
    act(&state, &session, &headers, deal, action, StatusCode::OK).await
}

/// Submits a command on `deal`'s award and answers with the award as the caller now sees it.
async fn act(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    deal: DealId,
    action: Action,
    status: StatusCode,
) -> Result<(StatusCode, Json<AwardShown>), ApiError> {
    submit_and_show(state, session, headers, action, status, |_| view_of(state, session, deal))
        .await
}

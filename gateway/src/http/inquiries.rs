//! Sealed inquiry rounds over REST: a purchaser opens an inquiry, opens the next
//! round after a failed one, or ends it; an invited supplier submits, replaces or withdraws its
//! sealed quote and keeps the receipt; everyone the inquiry admits reads the view its audience may
//! see ([`crate::views::inquiry`]); the results with names once it has ended.
//!
//! A quote is sealed here, before it reaches the engine: the command carries no acting user, the
//! journal and the bus see only ciphertext, and the answer (the receipt) goes to its author alone.
//! Nothing in any other answer, error included, depends on whether anyone has quoted.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::catalog::ParticipantKind;
use engine::inquiry::{CompetitionSpec, Inquiry, InquiryLine, InquirySpec, InquiryState};
use engine::types::{
    Actor, BudgetLineId, DealId, ParticipantId, ProductId, Quantity, Timestamp, UnitPrice,
};
use engine::{Action, Command, Event};
use serde::{Deserialize, Serialize};

use super::body::{Body, Page, Query, deal_id, listing, newest_first};
use super::state::AppState;
use super::{
    Done, Session, created, idempotency_key, read_after, submit_and_show, submit_command_for,
};
use crate::error::ApiError;
use crate::sealing::Submission;
use crate::views::inquiry::{self as room, Audience, InquiryResults, InquiryView};
use crate::views::names_in;

/// Rounds an inquiry may run unless the purchaser says otherwise: one retry after a failure.
const DEFAULT_ROUNDS: u32 = 2;
/// Most items on one page.
const MAX_PER_PAGE: usize = 100;

/// One line of `POST /api/v1/inquiries`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Line {
    product: u64,
    quantity: String,
    /// Ceiling unit price (最高限价), yuan.
    ceiling: String,
}

/// Body of `POST /api/v1/inquiries`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenInquiry {
    lines: Vec<Line>,
    budget_line: u64,
    /// Quote deadline, UTC milliseconds; at least the notice period in working days away.
    deadline_ms: i64,
    /// The suppliers invited, at least three.
    invited: Vec<u64>,
    /// Rounds it may run, 1 to 5 (default 2).
    max_rounds: Option<u32>,
    /// Reserved for small and medium enterprises: every invitee must be one (S-2).
    #[serde(default)]
    reserved: bool,
}

impl OpenInquiry {
    fn spec(self, now: Timestamp) -> Result<InquirySpec, ApiError> {
        super::terms::within_horizon("deadline_ms", Timestamp(self.deadline_ms), now)?;
        let lines = self
            .lines
            .into_iter()
            .enumerate()
            .map(|(n, l)| {
                Ok(InquiryLine {
                    product: ProductId(l.product),
                    quantity: Quantity::parse(&l.quantity)
                        .map_err(|e| ApiError::invalid(format!("lines[{n}].quantity: {e}")))?,
                    ceiling: UnitPrice::parse(&l.ceiling)
                        .map_err(|e| ApiError::invalid(format!("lines[{n}].ceiling: {e}")))?,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(InquirySpec {
            lines,
            budget_line: BudgetLineId(self.budget_line),
            deadline: Timestamp(self.deadline_ms),
            invited: self.invited.into_iter().map(ParticipantId).collect(),
            max_rounds: self.max_rounds.unwrap_or(DEFAULT_ROUNDS),
        })
    }
}

fn parse_id(text: &str) -> Result<DealId, ApiError> {
    deal_id(text, "an inquiry")
}

/// The caller's view of inquiry `id`, as of the replica.
fn view_of(
    state: &AppState,
    session: &Session,
    id: DealId,
) -> Result<(InquiryView, u64), ApiError> {
    let (view, seq) = state.replica.read(|engine| {
        let q = engine.inquiry(id).ok_or_else(|| ApiError::not_found("inquiry"))?;
        let audience = room::audience(&session.viewer(), q).ok_or_else(ApiError::forbidden)?;
        let now = state.clock.now().max(engine.clock());
        Ok::<_, ApiError>(room::view(engine, q, audience, now))
    });
    Ok((view?, seq.0))
}

/// `POST /api/v1/inquiries`: a purchasing unit opens an inquiry; its budget is held (Q-1, B-2).
#[utoipa::path(post, path = "/api/v1/inquiries", request_body = OpenInquiry, tag = "inquiries",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key answer with the first result")),
    responses((status = 201, description = "Opened: the purchaser's view of it", body = InquiryShown),
              (status = 400, description = "Malformed lines, invitees or rounds"),
              (status = 422, description = "Refused by a rule: notice period (Q-1), budget (B-1)")))]
pub async fn open(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<OpenInquiry>,
) -> Result<(StatusCode, Json<InquiryShown>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let reserved = body.reserved;
    let spec = body.spec(state.clock.now())?;
    let action =
        if reserved { Action::OpenReservedInquiry(spec) } else { Action::OpenInquiry(spec) };
    opened(&state, &session, &headers, action).await
}

/// Body of `POST /api/v1/competitions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCompetition {
    product: u64,
    quantity: String,
    budget_line: u64,
    /// Quote deadline, UTC milliseconds; at least the notice period in working days away.
    deadline_ms: i64,
}

/// `POST /api/v1/competitions`: a secondary competition (二次竞价, N-4) among every supplier holding
/// a valid agreement for the product that covers the purchaser's region; sealed, opened and
/// awarded as an inquiry, read and quoted under `/api/v1/inquiries`.
#[utoipa::path(post, path = "/api/v1/competitions", request_body = OpenCompetition, tag = "inquiries",
    responses((status = 201, description = "Opened: the purchaser's view, the holders invited", body = InquiryShown),
              (status = 422, description = "Fewer than three holders (N-4), notice period (Q-1), budget (B-1)")))]
pub async fn open_competition(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<OpenCompetition>,
) -> Result<(StatusCode, Json<InquiryShown>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    super::terms::within_horizon("deadline_ms", Timestamp(body.deadline_ms), state.clock.now())?;
    let spec = CompetitionSpec {
        product: ProductId(body.product),
        quantity: Quantity::parse(&body.quantity)
            .map_err(|e| ApiError::invalid(format!("quantity: {e}")))?,
        budget_line: BudgetLineId(body.budget_line),
        deadline: Timestamp(body.deadline_ms),
    };
    opened(&state, &session, &headers, Action::OpenCompetition(spec)).await
}

super::shown! {
    /// An inquiry after a change, as the caller sees it.
    InquiryShown { inquiry: InquiryView }
}

/// Submits an opening and answers with the purchaser's view of what it opened.
async fn opened(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    action: Action,
) -> Result<(StatusCode, Json<InquiryShown>), ApiError> {
    submit_and_show(state, session, headers, action, StatusCode::CREATED, |events| {
        let id = created(events, |e| match e {
            Event::InquiryOpened { inquiry, .. } => Some(*inquiry),
            _ => None,
        })?;
        view_of(state, session, id).map(|(view, _)| view)
    })
    .await
}

/// Query of `GET /api/v1/inquiries`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InquiryQuery {
    /// collecting, opening, round_failed, awarded, failed or cancelled.
    state: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
    min_seq: Option<u64>,
}

/// How the caller sees an inquiry that belongs in its list: its own (purchaser), those it is
/// invited to (supplier), those of the region it oversees (analyst, operator).
fn listed(session: &Session, q: &Inquiry) -> Option<Audience> {
    let audience = room::audience(&session.viewer(), q)?;
    let belongs = match session.role {
        ParticipantKind::Purchaser => audience == Audience::Purchaser,
        ParticipantKind::Supplier => matches!(audience, Audience::Invitee(_)),
        ParticipantKind::Analyst | ParticipantKind::Operator => true,
    };
    belongs.then_some(audience)
}

/// `GET /api/v1/inquiries`: the caller's inquiries, newest first.
#[utoipa::path(get, path = "/api/v1/inquiries", params(InquiryQuery), tag = "inquiries",
    responses((status = 200, description = "A page of inquiries, each as the caller may see it", body = Page<InquiryView>)))]
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<InquiryQuery>,
) -> Result<Json<Page<InquiryView>>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let known = ["collecting", "opening", "round_failed", "awarded", "failed", "cancelled"];
    if let Some(wanted) = query.state.as_deref().filter(|s| !known.contains(s)) {
        return Err(ApiError::invalid(format!(
            "state {wanted:?} is not one of {}",
            known.join(", ")
        )));
    }
    let per_page = query.per_page.unwrap_or(20).clamp(1, MAX_PER_PAGE);
    let page = query.page.unwrap_or(1).max(1);
    let ((total, items), seq) = state.replica.read(|engine| {
        let now = state.clock.now().max(engine.clock());
        let mine: Vec<_> = engine
            .inquiries()
            .filter(|q| query.state.as_deref().is_none_or(|w| q.state.name() == w))
            .filter_map(|q| Some((q, listed(&session, q)?)))
            .collect();
        let items = newest_first(&mine, page, per_page)
            .map(|(q, audience)| room::view(engine, q, *audience, now))
            .collect();
        (mine.len(), items)
    });
    Ok(listing(items, page, per_page, total, seq.0))
}

/// Query of reads of one inquiry.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OneQuery {
    min_seq: Option<u64>,
}

/// `GET /api/v1/inquiries/{id}`: the inquiry as the caller may see it.
#[utoipa::path(get, path = "/api/v1/inquiries/{id}", params(("id" = u64, Path, description = "Inquiry id"), OneQuery), tag = "inquiries",
    responses((status = 200, description = "The caller's view: terms, deadline, how rounds ended; nothing of quotes before the opening", body = InquiryView),
              (status = 403, description = "Not a party to this inquiry")))]
pub async fn get(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<OneQuery>,
) -> Result<Json<InquiryView>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let (mut view, seq) = view_of(&state, &session, parse_id(&id)?)?;
    view.as_of_seq = Some(seq);
    Ok(Json(view))
}

/// `GET /api/v1/inquiries/{id}/results`: every round's receipts and opened quotes with names,
/// once the inquiry has ended.
#[utoipa::path(get, path = "/api/v1/inquiries/{id}/results", params(("id" = u64, Path, description = "Inquiry id"), OneQuery), tag = "inquiries",
    responses((status = 200, description = "The results", body = InquiryResults), (status = 409, description = "Not ended yet: nothing is published")))]
pub async fn results(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<OneQuery>,
) -> Result<Json<InquiryResults>, ApiError> {
    read_after(&state, query.min_seq).await?;
    let id = parse_id(&id)?;
    let (results, _) = state.replica.read(|engine| {
        let q = engine.inquiry(id).ok_or_else(|| ApiError::not_found("inquiry"))?;
        room::audience(&session.viewer(), q).ok_or_else(ApiError::forbidden)?;
        if !room::ended(q) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "results_not_published",
                "results are published once the inquiry has been awarded or has ended",
            ));
        }
        Ok(room::results(q, &names_in(engine)))
    });
    results.map(Json)
}

/// Body of `POST /api/v1/inquiries/{id}/quotes`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitQuote {
    /// A unit price per line, yuan, in line order.
    prices: Vec<String>,
}

/// `POST /api/v1/inquiries/{id}/quotes`: an invited supplier submits or replaces its sealed quote
/// the answer is the receipt to keep.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/quotes", request_body = SubmitQuote, tag = "inquiries",
    params(("id" = u64, Path, description = "Inquiry id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and quote gets the same receipt")),
    responses((status = 201, description = "Sealed: the receipt, with the commitment and its nonce", body = Sealed),
              (status = 403, description = "Not invited to the current round"),
              (status = 422, description = "The deadline has passed (Q-2)")))]
pub async fn quote(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(body): Body<SubmitQuote>,
) -> Result<(StatusCode, Json<Sealed>), ApiError> {
    let prices = body
        .prices
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let price =
                UnitPrice::parse(p).map_err(|e| ApiError::invalid(format!("prices[{n}]: {e}")))?;
            if !price.is_positive() {
                return Err(ApiError::invalid(format!("prices[{n}] must be above zero")));
            }
            Ok(price)
        })
        .collect::<Result<Vec<_>, _>>()?;
    seal_and_submit(&state, &session, &headers, &id, Submission::Quote(prices)).await
}

/// `POST /api/v1/inquiries/{id}/quotes/withdraw`: the supplier takes its quote back before the
/// deadline; the withdrawal has a receipt too.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/quotes/withdraw", tag = "inquiries",
    params(("id" = u64, Path, description = "Inquiry id")),
    responses((status = 201, description = "Sealed: the withdrawal's receipt", body = Sealed),
              (status = 403, description = "Not invited to the current round"),
              (status = 422, description = "The deadline has passed (Q-2)")))]
pub async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Sealed>), ApiError> {
    seal_and_submit(&state, &session, &headers, &id, Submission::Withdrawal).await
}

async fn seal_and_submit(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    id: &str,
    submission: Submission,
) -> Result<(StatusCode, Json<Sealed>), ApiError> {
    session.require(&[ParticipantKind::Supplier])?;
    let inquiry = parse_id(id)?;
    let sealer = state.sealer.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "quotes_not_taken_here",
            "this node does not take quotes; use the marketplace's main address",
        )
    })?;
    let me = session.actor.participant;
    let (terms, _) = state.replica.read(|engine| {
        let q = engine.inquiry(inquiry).ok_or_else(|| ApiError::not_found("inquiry"))?;
        if !q.invites(me) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not_invited",
                "your company is not invited to the current round of this inquiry",
            ));
        }
        if q.state != InquiryState::Collecting {
            return Err(engine::Reason::QuotesClosed.into());
        }
        Ok((q.round_number(), q.spec.lines.clone()))
    });
    let (round, lines) = terms?;
    // The supplier's own share of the round; the message speaks of it alone, never of how full
    // the round is (which would tell how many submissions others made).
    let share_used = || {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "submissions_used",
            format!(
                "you have made the {} submissions one supplier may make in a round; your last one stands",
                engine::inquiry::MAX_SUBMISSIONS_PER_SUPPLIER
            ),
        )
    };
    if !sealer.may_submit(inquiry, round, me) {
        return Err(share_used());
    }
    let warnings: Vec<String> = match &submission {
        Submission::Quote(prices) if prices.len() != lines.len() => {
            return Err(ApiError::invalid(format!(
                "give one price per line: this inquiry has {} lines",
                lines.len()
            )));
        }
        // Told to the author alone; the rule applies at the opening.
        Submission::Quote(prices) => lines
            .iter()
            .zip(prices)
            .enumerate()
            .filter(|(_, (line, price))| **price > line.ceiling)
            .map(|(n, (line, _))| {
                format!(
                    "line {} is above its ceiling of {}: the quote will be invalid at the opening",
                    n + 1,
                    line.ceiling
                )
            })
            .collect(),
        Submission::Withdrawal => Vec::new(),
    };
    let idem = idempotency_key(headers)?;
    let sealing = sealer
        .seal(
            inquiry,
            round,
            me,
            session.actor.user,
            &submission,
            idem.as_ref().map(|k| k.as_str()),
        )
        .map_err(|e| ApiError::internal(&e))?;
    let commitment = sealing.sealed.commitment;
    let command =
        Command::new(Actor::SEALED, Action::SubmitQuote { inquiry, round, quote: sealing.sealed });
    // Counted against the supplier that seals, not the anonymous author the engine sees.
    let submitted = match submit_command_for(state, command, me).await {
        Err(refused) if refused.code() == "invalid_input" => return Err(share_used()),
        other => other?,
    };
    let (status, receipt_seq, received) = match submitted {
        Done::Retried { original } => (StatusCode::OK, original.0, None),
        Done::Applied { seq, events } => {
            sealer.submitted(inquiry, round, me);
            (StatusCode::CREATED, seq.0, events.last().map(|e| e.ts.ms()))
        }
    };
    let (kind, prices) = match &submission {
        Submission::Quote(prices) => ("quote", prices.iter().map(ToString::to_string).collect()),
        Submission::Withdrawal => ("withdrawal", Vec::new()),
    };
    let nonce: String = sealing.nonce.iter().map(|b| format!("{b:02x}")).collect();
    let receipt = QuoteReceipt {
        inquiry: inquiry.0,
        round,
        supplier: me.0,
        kind,
        prices,
        nonce,
        commitment: commitment.to_string(),
        receipt_seq,
        received_ms: received,
    };
    Ok((status, Json(Sealed { receipt, warnings })))
}

/// The receipt of a sealed submission: what the supplier keeps to check the published results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuoteReceipt {
    inquiry: u64,
    round: u32,
    supplier: u64,
    /// quote or withdrawal.
    kind: &'static str,
    /// The unit prices quoted, by line.
    prices: Vec<String>,
    /// The nonce sealed with them, hex: with the prices it recomputes the commitment.
    nonce: String,
    commitment: String,
    receipt_seq: u64,
    /// When received; none on a retry.
    received_ms: Option<i64>,
}

/// The answer to a sealed submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sealed {
    receipt: QuoteReceipt,
    /// Told to the author alone: lines above their ceilings, invalid at the opening.
    warnings: Vec<String>,
}

/// Body of `POST /api/v1/inquiries/{id}/rounds`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextRound {
    /// The new quote deadline, UTC milliseconds.
    deadline_ms: i64,
    /// Suppliers to invite in addition, at least one new.
    invite: Vec<u64>,
}

/// `POST /api/v1/inquiries/{id}/rounds`: after a failed round, the next one.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/rounds", request_body = NextRound, tag = "inquiries",
    params(("id" = u64, Path, description = "Inquiry id")),
    responses((status = 201, description = "The next round is open", body = InquiryShown),
              (status = 422, description = "No failed round to follow, no rounds left, or too short a notice")))]
pub async fn next_round(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(body): Body<NextRound>,
) -> Result<(StatusCode, Json<InquiryShown>), ApiError> {
    session.require(&[ParticipantKind::Purchaser])?;
    let inquiry = parse_id(&id)?;
    super::terms::within_horizon("deadline_ms", Timestamp(body.deadline_ms), state.clock.now())?;
    let action = Action::NextInquiryRound {
        inquiry,
        deadline: Timestamp(body.deadline_ms),
        invite: body.invite.into_iter().map(ParticipantId).collect(),
    };
    deal_changed(&state, &session, &headers, inquiry, action, StatusCode::CREATED).await
}

/// Body of `POST /api/v1/inquiries/{id}/end`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndInquiry {
    /// Why.
    reason: String,
}

/// `POST /api/v1/inquiries/{id}/end`: cancel before the deadline, or end after a failed round
/// instead of running another; the hold is released (B-3).
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/end", request_body = EndInquiry, tag = "inquiries",
    params(("id" = u64, Path, description = "Inquiry id")),
    responses((status = 200, description = "Ended", body = InquiryShown), (status = 422, description = "Being opened, or already ended")))]
pub async fn end(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(body): Body<EndInquiry>,
) -> Result<(StatusCode, Json<InquiryShown>), ApiError> {
    let inquiry = parse_id(&id)?;
    let action = Action::EndInquiry { inquiry, reason: body.reason };
    deal_changed(&state, &session, &headers, inquiry, action, StatusCode::OK).await
}

/// Submits a change to an inquiry and answers with the caller's view after it.
async fn deal_changed(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    inquiry: DealId,
    action: Action,
    status: StatusCode,
) -> Result<(StatusCode, Json<InquiryShown>), ApiError> {
    submit_and_show(state, session, headers, action, status, |_| {
        view_of(state, session, inquiry).map(|(view, _)| view)
    })
    .await
}

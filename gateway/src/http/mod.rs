//! The HTTP API under `/api/v1` (docs/DESIGN.md, Interfaces): JSON in and out, money as decimal strings,
//! errors as `{"error": {"code", "message", "rule"}}` with a 4xx status. Commands go to the engine
//! task through its handle; reads come from the replica, stamped with the sequence they answer as
//! of, and wait for `min_seq` when a client asks to read its own writes.
//!
//! - `login`: logging in and out (tokens and sessions themselves are [`crate::auth`]'s).
//! - `live`: the WebSocket endpoints: a ticket, then the live feeds of [`crate::feed`].
//! - `accounts`: password changes and resets, disabling accounts (U-2).
//! - `security`: each request witnessed for the security log; operators read it (U-7).
//! - `limits`: request and command rates, each participant's share of the engine's queue (U-5).
//! - `terms`: sane bounds on a deal's terms.
//! - `idempotency`: a retry answered with its first outcome; a reused key refused.
//! - `market`: catalog search and offers.
//! - `deals`: direct orders, trades and their settlement steps.
//! - `auctions`: reverse auctions: open, list, view, bid, cancel, results.
//! - `inquiries`: sealed inquiry rounds: open, list, view, quote with a receipt, withdraw, next
//!   round, end, results.
//! - `negotiations`: negotiated purchase, private to its two parties.
//! - `rotations`: rotation of agreement suppliers for services.
//! - `books`: budgets and reconciliation.
//! - `prices`: candles, reference prices and alerts.
//! - `reference`, `directory`: reference data written by the operator, and read back.
//! - `system`: health, readiness, the caller.
//! - `storefront`: the browser storefront's static files, compiled in.

mod accounts;
mod auctions;
mod body;
mod books;
mod deals;
mod directory;
mod idempotency;
mod inquiries;
mod limits;
mod live;
mod login;
mod market;
mod negotiations;
mod openapi;
mod prices;
mod reference;
mod rotations;
mod security;
mod state;
mod storefront;
mod system;
mod terms;

pub use accounts::{hash as hash_password, one_time_password};
pub use limits::{Limits, LimitsConfig, MAX_IN_FLIGHT};
pub use state::{AppState, Books, JournalFiles};

use std::time::Duration;

use crate::auth::Session;
use crate::error::ApiError;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use engine::idempotency::IdempotencyKey;
use engine::types::Seq;
use engine::{Action, Command, Event, EventEnvelope};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(storefront::index))
        .route("/style.css", get(storefront::style))
        .route("/js/{module}", get(storefront::script))
        .route("/health", get(system::health))
        .route("/ready", get(system::ready))
        .route("/metrics", get(system::metrics))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/login", post(login::login))
        .route("/api/v1/logout", post(login::logout))
        .route("/api/v1/me", get(system::me))
        .route("/api/v1/about", get(system::about))
        .route("/api/v1/catalog/products", get(market::products))
        .route("/api/v1/catalog/products/{product}/offers", get(market::offers))
        .route("/api/v1/offers", post(market::set_offer))
        .route("/api/v1/orders", post(deals::place_order))
        .route("/api/v1/trades", get(deals::trades))
        .route("/api/v1/trades/{trade}/{step}", post(deals::settle))
        .route("/api/v1/auctions", post(auctions::open).get(auctions::list))
        .route("/api/v1/auctions/{id}", get(auctions::get))
        .route("/api/v1/auctions/{id}/results", get(auctions::results))
        .route("/api/v1/auctions/{id}/bids", post(auctions::bid))
        .route("/api/v1/auctions/{id}/cancel", post(auctions::cancel))
        .route("/api/v1/inquiries", post(inquiries::open).get(inquiries::list))
        .route("/api/v1/competitions", post(inquiries::open_competition))
        .route("/api/v1/negotiations", post(negotiations::propose).get(negotiations::list))
        .route("/api/v1/negotiations/{id}", get(negotiations::get))
        .route("/api/v1/negotiations/{id}/counter", post(negotiations::counter))
        .route("/api/v1/negotiations/{id}/{answer}", post(negotiations::answer))
        .route("/api/v1/negotiation-rules", post(reference::set_negotiation_rules))
        .route("/api/v1/rotations", post(rotations::define).get(rotations::list))
        .route("/api/v1/rotations/{id}/orders", post(rotations::order))
        .route("/api/v1/inquiries/{id}", get(inquiries::get))
        .route("/api/v1/inquiries/{id}/quotes", post(inquiries::quote))
        .route("/api/v1/inquiries/{id}/quotes/withdraw", post(inquiries::withdraw))
        .route("/api/v1/inquiries/{id}/rounds", post(inquiries::next_round))
        .route("/api/v1/inquiries/{id}/end", post(inquiries::end))
        .route("/api/v1/inquiries/{id}/results", get(inquiries::results))
        .route("/api/v1/budgets", get(books::budgets).post(reference::allocate_budget))
        .route("/api/v1/budgets/{id}/adjust", post(reference::adjust_budget))
        .route("/api/v1/regions", get(directory::regions).post(reference::define_region))
        .route("/api/v1/categories", get(directory::categories).post(reference::define_category))
        .route("/api/v1/products", post(reference::define_product))
        .route(
            "/api/v1/participants",
            get(directory::participants).post(reference::register_participant),
        )
        .route("/api/v1/suppliers/{id}/{step}", post(reference::supplier_status))
        .route("/api/v1/affiliation-groups", post(reference::define_group))
        .route("/api/v1/agreements", get(directory::agreements).post(reference::grant_agreement))
        .route("/api/v1/agreements/{id}/{change}", post(reference::change_agreement))
        .route("/api/v1/direct-order-limits", post(reference::set_limit))
        .route("/api/v1/calendar", post(reference::load_calendar))
        .route("/api/v1/users", post(reference::register_user))
        .route("/api/v1/users/{id}/{change}", post(accounts::change_account))
        .route("/api/v1/me/password", post(accounts::change_password))
        .route("/api/v1/security-events", get(security::events))
        .route("/api/v1/reconciliation", get(books::reconciliation))
        .route("/api/v1/prices/candles", get(prices::candles))
        .route("/api/v1/prices/reference", get(prices::reference))
        .route("/api/v1/prices/index", get(prices::index))
        .route("/api/v1/alerts", get(prices::alerts))
        .route("/api/v1/ws/ticket", post(live::ticket))
        .route("/api/v1/ws", get(live::connect))
        .fallback(system::not_found)
        .layer(axum::middleware::from_fn(idempotency::mark_replays))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::per_address))
        // Outside the limits, so that their refusals are on the record too.
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::witness))
        .layer(DefaultBodyLimit::max(body::MAX_BODY_BYTES))
        // Outermost last: a request first gets its id, then the span that carries it; the id is
        // answered back in `x-request-id`.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(request_span).on_request(()).on_response(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The span over one request, naming its id, method and path, so each log line of the request
/// names it. The path only: a query may carry a WebSocket ticket, and bodies are never logged.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The peer's address reaches the handlers, for the login limits.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// What a command came to, once durable.
pub(crate) enum Done {
    /// Applied now, with its events.
    Applied { seq: Seq, events: Vec<EventEnvelope> },
    /// A retry of the command with sequence `original`.
    Retried { original: Seq },
}

/// Submits `action` for the session, with the request's `Idempotency-Key` if any; a refusal
/// becomes the matching API error.
pub(crate) async fn submit(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    action: Action,
) -> Result<Done, ApiError> {
    let mut command = Command::new(session.actor, action);
    if let Some(key) = idempotency_key(headers)? {
        command = command.with_key(key);
    }
    submit_command(state, command).await
}

/// The request's `Idempotency-Key`, if it has one.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(key) = headers.get("idempotency-key") else { return Ok(None) };
    key.to_str().ok().and_then(|k| IdempotencyKey::parse(k).ok()).map(Some).ok_or_else(|| {
        ApiError::invalid("Idempotency-Key must be 1 to 64 printable ASCII characters")
    })
}

/// Submits a command as built; a refusal becomes the matching API error. A retry under an
/// idempotency key answers with the first outcome (see [`idempotency`]).
pub(crate) async fn submit_command(state: &AppState, command: Command) -> Result<Done, ApiError> {
    let participant = command.actor.participant;
    submit_command_for(state, command, participant).await
}

/// As [`submit_command`], counting the command against `participant`'s limits: the supplier that
/// seals a quote, whose command acts as no one.
pub(crate) async fn submit_command_for(
    state: &AppState,
    command: Command,
    participant: engine::types::ParticipantId,
) -> Result<Done, ApiError> {
    // Kept only for keyed commands, the ones that can come back as retries.
    let retry = command.idempotency_key.map(|_| idempotency::Retry {
        participant: command.actor.participant,
        action: command.action.clone(),
    });
    // The participant's share of the engine's queue, held until the answer.
    security::note_command(state, &command);
    let _place = state.limits.command(participant)?;
    let timer = crate::metrics::METRICS.command_seconds.start_timer();
    let outcome = state.handle.submit(command).await?;
    timer.observe_duration();
    // Deadlines due may have run first; the command's own outcome is its last event.
    match outcome.events.last().map(|e| &e.event) {
        Some(Event::Rejected { reason, .. }) => Err((*reason).into()),
        Some(Event::AlreadyApplied { original }) => {
            match idempotency::first_outcome(state, retry, *original).await? {
                idempotency::FirstOutcome::Applied { seq, events } => {
                    Ok(Done::Applied { seq, events })
                }
                idempotency::FirstOutcome::Known { seq } => Ok(Done::Retried { original: seq }),
            }
        }
        _ => Ok(Done::Applied { seq: outcome.seq, events: outcome.events }),
    }
}

/// Submits `action` and, once the replica has it, answers with `status` and what `show` makes of
/// the command's events, under `key`; a retry answers with the first command's sequence.
pub(crate) async fn submit_and_show(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    action: Action,
    (status, key): (axum::http::StatusCode, &str),
    show: impl FnOnce(&[EventEnvelope]) -> Result<serde_json::Value, ApiError>,
) -> Result<(axum::http::StatusCode, axum::Json<serde_json::Value>), ApiError> {
    match submit(state, session, headers, action).await? {
        Done::Retried { original } => Ok((
            axum::http::StatusCode::OK,
            axum::Json(serde_json::json!({ "already_applied": original.0 })),
        )),
        Done::Applied { seq, events } => {
            read_after(state, Some(seq.0)).await?;
            let mut body = serde_json::Map::new();
            body.insert(key.to_owned(), show(&events)?);
            body.insert("seq".to_owned(), seq.0.into());
            Ok((status, axum::Json(body.into())))
        }
    }
}

/// The id of what a command created, from its events; an internal error if it created none.
pub(crate) fn created<T>(
    events: &[EventEnvelope],
    pick: impl Fn(&Event) -> Option<T>,
) -> Result<T, ApiError> {
    events
        .iter()
        .find_map(|e| pick(&e.event))
        .ok_or_else(|| ApiError::internal(&anyhow::anyhow!("the command created nothing to show")))
}

/// Waits, briefly, until the replica has applied `min_seq`: reading one's own writes.
pub(crate) async fn read_after(state: &AppState, min_seq: Option<u64>) -> Result<(), ApiError> {
    let Some(seq) = min_seq else { return Ok(()) };
    tokio::time::timeout(Duration::from_secs(5), state.replica.caught_up(Seq(seq))).await.map_err(
        |_| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "not_caught_up",
                "reads have not reached that sequence yet",
            )
        },
    )
}

//! The HTTP API under `/api/v1` (docs/DESIGN.md, Interfaces): JSON in and out, money as decimal strings,
//! errors as `{"error": {"code", "message", "rule"}}` with a 4xx status. Commands go to the engine
//! task through its handle; reads come from the replica, stamped with the sequence they answer as
//! of, and wait for `min_seq` when a client asks to read its own writes.
//!
//! - `api` (below): every route with its OpenAPI operation, one list; `openapi`: what every
//!   operation shares (security, the error body, common refusals), and the document itself.
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
//! - `awards`: after the award: challenges, complaints, suspension, rulings, the next-ranked.
//! - `inquiries`: sealed inquiry rounds: open, list, view, quote with a receipt, withdraw, next
//!   round, end, results.
//! - `negotiations`: negotiated purchase, private to its two parties.
//! - `rotations`: rotation of agreement suppliers for services.
//! - `books`: budgets and reconciliation.
//! - `prices`: candles, reference prices and alerts.
//! - `statistics`: procurement statistics by period, region, category and mode (T-1).
//! - `public`: notices and OCDS releases and records, without login (O-1, O-2).
//! - `reference`, `directory`: reference data written by the operator, and read back.
//! - `system`: health, readiness, the caller.
//! - `storefront`: the browser storefront's static files, compiled in.

mod accounts;
mod auctions;
mod awards;
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
pub mod openapi;
mod prices;
mod public;
mod reference;
mod rotations;
mod security;
pub mod standby;
mod state;
mod statistics;
mod storefront;
mod system;
mod terms;

pub use accounts::{hash as hash_password, one_time_password};
pub use limits::{Limits, LimitsConfig, MAX_IN_FLIGHT};
pub use public::record_of as public_record;
pub use state::{AppState, Books, Shared};

use std::time::Duration;

use crate::auth::Session;
use crate::error::ApiError;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use axum::routing::get;
use engine::idempotency::IdempotencyKey;
use engine::types::Seq;
use engine::{Action, Command, Event, EventEnvelope};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The API: every route is added with its OpenAPI operation from one list, so none can go
/// undocumented; the document is served at `/api/v1/openapi.json`. The storefront's static files
/// are the only routes outside it.
pub fn router(state: AppState) -> Router {
    let (api, mut document) = api().split_for_parts();
    openapi::finish(&mut document);
    let document = std::sync::Arc::new(document);
    Router::new()
        .route("/", get(storefront::index))
        .route("/style.css", get(storefront::style))
        .route("/js/{module}", get(storefront::script))
        .route("/api/v1/openapi.json", get(move || openapi::serve(document.clone())))
        .merge(api)
        .fallback(system::not_found)
        .layer(axum::middleware::from_fn(idempotency::mark_replays))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::per_address))
        .layer(axum::middleware::from_fn(crate::error::json_errors))
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

/// Every route of the API with its operation.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(system::health))
        .routes(routes!(system::ready))
        .routes(routes!(system::metrics))
        .routes(routes!(login::login))
        .routes(routes!(login::logout))
        .routes(routes!(system::me))
        .routes(routes!(system::about))
        .routes(routes!(market::products))
        .routes(routes!(market::offers))
        .routes(routes!(market::set_offer))
        .routes(routes!(deals::place_order))
        .routes(routes!(deals::trades))
        .routes(routes!(deals::settle))
        .routes(routes!(deals::rate))
        .routes(routes!(auctions::open, auctions::list))
        .routes(routes!(auctions::get))
        .routes(routes!(auctions::results))
        .routes(routes!(auctions::bid))
        .routes(routes!(auctions::cancel))
        .routes(routes!(awards::list))
        .routes(routes!(awards::get))
        .routes(routes!(awards::challenge))
        .routes(routes!(awards::answer))
        .routes(routes!(awards::complain))
        .routes(routes!(awards::suspend))
        .routes(routes!(awards::rule))
        .routes(routes!(awards::award_next))
        .routes(routes!(awards::fail))
        .routes(routes!(inquiries::open, inquiries::list))
        .routes(routes!(inquiries::open_competition))
        .routes(routes!(inquiries::get))
        .routes(routes!(inquiries::quote))
        .routes(routes!(inquiries::withdraw))
        .routes(routes!(inquiries::next_round))
        .routes(routes!(inquiries::end))
        .routes(routes!(inquiries::results))
        .routes(routes!(negotiations::propose, negotiations::list))
        .routes(routes!(negotiations::get))
        .routes(routes!(negotiations::counter))
        .routes(routes!(negotiations::answer))
        .routes(routes!(reference::set_negotiation_rules))
        .routes(routes!(rotations::define, rotations::list))
        .routes(routes!(rotations::order))
        .routes(routes!(books::budgets, reference::allocate_budget))
        .routes(routes!(reference::adjust_budget))
        .routes(routes!(directory::regions, reference::define_region))
        .routes(routes!(directory::categories, reference::define_category))
        .routes(routes!(reference::define_product))
        .routes(routes!(directory::participants, reference::register_participant))
        .routes(routes!(reference::supplier_status))
        .routes(routes!(reference::declare_size))
        .routes(routes!(reference::set_sme_deduction))
        .routes(routes!(reference::define_group))
        .routes(routes!(directory::agreements, reference::grant_agreement))
        .routes(routes!(reference::change_agreement))
        .routes(routes!(reference::set_limit))
        .routes(routes!(reference::load_calendar))
        .routes(routes!(reference::register_user))
        .routes(routes!(accounts::change_account))
        .routes(routes!(accounts::change_password))
        .routes(routes!(security::events))
        .routes(routes!(books::reconciliation))
        .routes(routes!(prices::candles))
        .routes(routes!(prices::reference))
        .routes(routes!(prices::index))
        .routes(routes!(prices::alerts))
        .routes(routes!(live::ticket))
        .routes(routes!(live::connect))
        .routes(routes!(public::notices))
        .routes(routes!(public::notice))
        .routes(routes!(public::atom))
        .routes(routes!(public::direct_orders))
        .routes(routes!(public::releases))
        .routes(routes!(public::releases_of))
        .routes(routes!(public::record))
        .routes(routes!(public::records))
        .routes(routes!(statistics::statistics))
        .routes(routes!(statistics::statistics_csv))
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

/// The answer to a command that shows what it made: the view under its own name and the command's
/// sequence, or, for a retry under the same Idempotency-Key, the first command's sequence alone.
pub(crate) trait Shown<T>: serde::Serialize {
    /// The view of what the command made, at `seq`.
    fn applied(view: T, seq: u64) -> Self;
    /// A retry of the command at `original`.
    fn retried(original: u64) -> Self;
}

/// An answer type for [`Shown`]: `name { key: view, seq }` or `name { already_applied }`.
macro_rules! shown {
    ($(#[$doc:meta])* $name:ident { $key:ident: $view:ty }) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            #[serde(skip_serializing_if = "Option::is_none")]
            $key: Option<$view>,
            /// The command's sequence.
            #[serde(skip_serializing_if = "Option::is_none")]
            seq: Option<u64>,
            /// On a retry under the same Idempotency-Key: the first command's sequence.
            #[serde(skip_serializing_if = "Option::is_none")]
            already_applied: Option<u64>,
        }

        impl $crate::http::Shown<$view> for $name {
            fn applied(view: $view, seq: u64) -> Self {
                Self { $key: Some(view), seq: Some(seq), already_applied: None }
            }
            fn retried(original: u64) -> Self {
                Self { $key: None, seq: None, already_applied: Some(original) }
            }
        }
    };
}
pub(crate) use shown;

/// Submits `action` and, once the replica has it, answers with `status` and what `show` makes of
/// the command's events; a retry answers with the first command's sequence.
pub(crate) async fn submit_and_show<T, A: Shown<T>>(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    action: Action,
    status: axum::http::StatusCode,
    show: impl FnOnce(&[EventEnvelope]) -> Result<T, ApiError>,
) -> Result<(axum::http::StatusCode, axum::Json<A>), ApiError> {
    match submit(state, session, headers, action).await? {
        Done::Retried { original } => {
            Ok((axum::http::StatusCode::OK, axum::Json(A::retried(original.0))))
        }
        Done::Applied { seq, events } => {
            read_after(state, Some(seq.0)).await?;
            Ok((status, axum::Json(A::applied(show(&events)?, seq.0))))
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

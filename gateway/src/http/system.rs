//! Health, readiness and the caller's own session.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::state::AppState;
use crate::auth::Session;
use crate::error::ApiError;

/// `GET /health`: the process answers.
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, description = "`ok`: the process answers", body = String, content_type = "text/plain")))]
pub async fn health() -> &'static str {
    "ok"
}

/// How long readiness waits for Redis to answer a PING.
const REDIS_WITHIN: std::time::Duration = std::time::Duration::from_millis(300);

/// `GET /ready`: 200 while this node can take commands (its engine task runs and, on the owner, its
/// journal takes records), 503 otherwise; the body says how each part is, the database's from what
/// the persister last heard (a database outage is reported, and does not make the node unready:
/// the journal holds every command and the persister catches up).
#[utoipa::path(get, path = "/ready", tag = "system",
    responses((status = 200, description = "Ready: each part and how it is", body = Object),
              (status = 503, description = "Not ready: the engine or the journal cannot take commands", body = Object)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let engine_runs = !state.handle.is_closed();
    let mut body = json!({
        "engine": { "ok": engine_runs, "queue_depth": state.handle.queue_depth() },
        "replica_seq": state.replica.seq().0,
    });
    let mut ready = engine_runs;
    if let Some((ok, journal)) = state.health.journal_report() {
        ready &= ok;
        body["journal"] = journal;
    }
    if let Some(database) = state.health.database_report() {
        body["database"] = database;
    }
    if let Some((ok, cluster)) = state.health.cluster_report() {
        ready &= ok;
        body["cluster"] = cluster;
    }
    if let Some(bus) = &state.health.redis {
        // Without Redis, tickets and login counts stay with each node: reported, still ready.
        let answer = bus.answers(REDIS_WITHIN).await;
        body["redis"] = json!({ "ok": answer.is_ok(), "error": answer.err() });
    }
    // The security log: a store that cannot take entries is reported, with why; the node still
    // trades (the entries wait in a bounded queue, and what it cannot hold is counted as lost).
    let problem = state.security.problem().borrow().clone();
    body["security_log"] = json!({ "ok": problem.is_none(), "error": problem });
    body["ready"] = ready.into();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}

/// `GET /metrics`: Prometheus text exposition, from memory only: it never waits on the database.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> String {
    let m = &crate::metrics::METRICS;
    m.queue_depth.set(i64::try_from(state.handle.queue_depth()).unwrap_or(i64::MAX));
    m.replica_seq.set(i64::try_from(state.replica.seq().0).unwrap_or(i64::MAX));
    if let Some(lag) = state.health.persister_lag() {
        m.persister_lag.set(i64::try_from(lag).unwrap_or(i64::MAX));
    }
    if let Some(lag) = state.health.publication_lag() {
        m.publication_lag.set(i64::try_from(lag).unwrap_or(i64::MAX));
    }
    if let Some(database) = &state.health.database {
        m.database_up.set(i64::from(database.persister.problem().is_none()));
    }
    if let Some(journal) = &state.health.journal {
        m.journal_up.set(i64::from(journal.failure().is_none()));
    }
    if let Some((ok, _)) = state.health.cluster_report() {
        m.cluster_up.set(i64::from(ok));
    }
    m.render()
}

/// `GET /api/v1/me`.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, description = "The caller's participant, role and region", body = Me)))]
pub async fn me(State(state): State<AppState>, session: Session) -> Json<Me> {
    let (name, seq) =
        state.replica.read(|e| e.participant(session.actor.participant).map(|p| p.name.clone()));
    Json(Me {
        participant: session.actor.participant.0,
        user: session.actor.user.0,
        name,
        role: session.role.name(),
        region: session.region.map(|r| r.region().to_string()),
        demo: state.demo,
        as_of_seq: seq.0,
    })
}

/// The caller.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    participant: u64,
    user: u64,
    name: Option<String>,
    /// purchaser, supplier, analyst or operator.
    role: &'static str,
    region: Option<String>,
    /// True in a demo market, whose passwords are public.
    demo: bool,
    as_of_seq: u64,
}

/// What this marketplace is.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct About {
    /// True in a demo market, whose passwords are public.
    demo: bool,
}

/// `GET /api/v1/about`, without login: what this marketplace is, so every page (the login page
/// included) can say when it is a demo whose passwords are public.
#[utoipa::path(get, path = "/api/v1/about", tag = "auth",
    responses((status = 200, description = "Whether this is a demo market", body = About)))]
pub async fn about(State(state): State<AppState>) -> Json<About> {
    Json(About { demo: state.demo })
}

/// Anything else.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_such_endpoint", "there is no endpoint at this path")
}

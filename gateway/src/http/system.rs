//! Health, readiness and the caller's own session.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::auth::{Session, role_name};
use super::error::ApiError;
use super::state::AppState;

/// `GET /health`: the process answers.
pub async fn health() -> &'static str {
    "ok"
}

/// `GET /ready`: the engine task takes commands and the replica follows it.
pub async fn ready(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "replica_seq": state.replica.seq().0,
        "queue_depth": state.handle.queue_depth(),
    }))
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> String {
    let m = &crate::metrics::METRICS;
    m.queue_depth.set(i64::try_from(state.handle.queue_depth()).unwrap_or(i64::MAX));
    let replica = i64::try_from(state.replica.seq().0).unwrap_or(i64::MAX);
    m.replica_seq.set(replica);
    if let Some(books) = &state.books
        && let Ok(offset) = books.db.offset(crate::persist::PERSISTER).await
    {
        m.persister_lag.set(replica - i64::try_from(offset.0).unwrap_or(0));
    }
    m.render()
}

/// `GET /api/v1/me`.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, description = "The caller's participant, role and region")))]
pub async fn me(State(state): State<AppState>, session: Session) -> Json<Value> {
    let (name, seq) =
        state.replica.read(|e| e.participant(session.actor.participant).map(|p| p.name.clone()));
    Json(json!({
        "participant": session.actor.participant.0,
        "user": session.actor.user.0,
        "name": name,
        "role": role_name(session.role),
        "region": session.region.map(|r| r.region().to_string()),
        "as_of_seq": seq.0,
    }))
}

/// Anything else.
pub async fn not_found() -> ApiError {
    ApiError::not_found("endpoint")
}

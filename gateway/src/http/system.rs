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

/// `GET /api/v1/me`.
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

//! The live feeds' HTTP side: a single-use ticket for a logged-in session, then the WebSocket it
//! opens, served by [`crate::feed`]. A ticket keeps the token out of the URL (and out of logs).

use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::feed::{MAX_CLIENT_MESSAGE, serve};

/// `POST /api/v1/ws/ticket`: a single-use ticket to open the WebSocket with.
pub async fn ticket(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Value>, ApiError> {
    let hub = state.hub.as_ref().ok_or_else(|| ApiError::not_found("live feeds on this node"))?;
    let ticket = hub.issue_ticket(session).await.map_err(|e| ApiError::internal(&e))?;
    Ok(Json(json!({ "ticket": ticket })))
}

/// Query of `GET /api/v1/ws`.
#[derive(Debug, Deserialize)]
pub struct Ticket {
    ticket: String,
}

/// `GET /api/v1/ws?ticket=...`: the live feeds.
pub async fn connect(
    State(state): State<AppState>,
    Query(query): Query<Ticket>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(hub) = state.hub.clone() else {
        return ApiError::not_found("live feeds on this node").into_response();
    };
    let Some(session) = hub.redeem(&query.ticket).await else {
        return ApiError::unauthenticated().into_response();
    };
    let Some(place) = hub.open_socket(session.actor.participant) else {
        return ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_sockets",
            "your organisation has too many live connections open; close one first",
        )
        .into_response();
    };
    upgrade.max_message_size(MAX_CLIENT_MESSAGE).max_frame_size(MAX_CLIENT_MESSAGE).on_upgrade(
        move |socket| async move {
            serve(socket, hub, session).await;
            drop(place);
        },
    )
}

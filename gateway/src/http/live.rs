//! The live feeds' HTTP side: a single-use ticket for a logged-in session, then the WebSocket it
//! opens, served by [`crate::feed`]. A ticket keeps the token out of the URL (and out of logs).

use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::state::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::feed::{MAX_CLIENT_MESSAGE, serve};

/// A single-use ticket.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WsTicket {
    /// Valid for 30 seconds, once.
    pub ticket: String,
}

/// `POST /api/v1/ws/ticket`: a single-use ticket to open the WebSocket with.
#[utoipa::path(post, path = "/api/v1/ws/ticket", tag = "feeds",
    responses((status = 200, description = "A ticket for `GET /api/v1/ws`", body = WsTicket),
              (status = 404, description = "This node serves no live feeds")))]
pub async fn ticket(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<WsTicket>, ApiError> {
    let hub = state.hub.as_ref().ok_or_else(|| ApiError::not_found("live feeds on this node"))?;
    let ticket = hub.issue_ticket(session).await.map_err(|e| ApiError::internal(&e))?;
    Ok(Json(WsTicket { ticket }))
}

/// Query of `GET /api/v1/ws`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Ticket {
    /// The ticket from `POST /api/v1/ws/ticket`.
    ticket: String,
}

/// `GET /api/v1/ws?ticket=...`: the live feeds, over a WebSocket. The client sends
/// `{"op": "subscribe" | "unsubscribe", "topic": "..."}` (at most 4 KiB, 64 topics a connection);
/// the server sends `subscribed`, `event` (with the topic, the engine sequence and a gap-free
/// counter `n`), `lagged` followed by a `snapshot`, `error` and `closed`. Topics: `offers:<product>`,
/// `trades:<category>`, `candles:product:<id>:<1m|1h|1d>`, `candles:category:<code>:<..>`,
/// `index:<category>`, `budget:<purchaser>`, `orders:<purchaser>`, `negotiations:<participant>`,
/// `auction:<id>`, `inquiry:<id>`, `alerts:<region>`.
#[utoipa::path(get, path = "/api/v1/ws", tag = "feeds", params(Ticket),
    responses((status = 101, description = "Switching to the WebSocket protocol"),
              (status = 401, description = "The ticket is unknown, used or expired"),
              (status = 429, description = "The organisation holds the most live connections it may")))]
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

//! Logging in and out: a login checks the password against the account's hash (slowed, never
//! locked, for a guesser: [`crate::auth::logins`]) and issues a token, as a bearer token and as the
//! session cookie; a logout revokes it on every node.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::body::Body;
use super::state::AppState;
use crate::auth::{Admission, ClientAddress, TOKEN_TTL, token_from};
use crate::error::ApiError;

/// Longest login name and password taken: anything longer is refused before any check.
const MAX_LOGIN_LEN: usize = 64;
const MAX_PASSWORD_LEN: usize = 1_024;
/// The browser's session cookie.
const COOKIE: &str = "session";

/// What a client logs in with.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    login: String,
    password: String,
}

/// What a login answers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoggedIn {
    token: String,
    expires_at: u64,
    participant: u64,
    name: String,
    role: &'static str,
    /// True after an operator reset the password: choose one before anything else.
    must_change_password: bool,
}

/// `POST /api/v1/login`.
#[utoipa::path(post, path = "/api/v1/login", request_body = Login, tag = "auth",
    responses((status = 200, description = "A token, also set as the session cookie", body = LoggedIn),
              (status = 401, description = "Wrong login or password"),
              (status = 429, description = "Too many failed logins")))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Body(body): Body<Login>,
) -> Result<Response, ApiError> {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    if body.login.len() > MAX_LOGIN_LEN || body.password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::invalid("a login is at most 64 characters, a password 1,024"));
    }
    // For the security log: the name tried, and the account it names if any.
    let login_name = body.login.clone();
    let (named, _) = state.replica.read(|engine| {
        let user = engine.user_by_login(&login_name)?;
        let participant = engine.participant(user.participant)?;
        Some(crate::audit::Who {
            user: user.id.0,
            participant: participant.id.0,
            role: participant.kind,
            region: crate::audit::region_path(participant.region.as_ref()),
        })
    });
    crate::audit::note(|w| {
        w.login = Some(login_name);
        w.named = named;
    });
    match state.logins.admit(&body.login, &address).await {
        Admission::Refused(wait) => {
            return Err(too_many(
                wait,
                "too many failed logins from here for this account; try again later",
            ));
        }
        Admission::Go(delay) => tokio::time::sleep(delay).await,
    }
    let (account, _) = state.replica.read(|engine| {
        let user = engine.user_by_login(&body.login)?;
        let participant = engine.participant(user.participant)?;
        Some((
            user.id,
            user.participant,
            user.password_hash.clone(),
            participant.name.clone(),
            participant.kind,
            (user.active, user.must_change_password),
        ))
    });
    let refused =
        || ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "wrong login or password");
    // An unknown name is checked against a decoy, so it costs what a known one does.
    let hash = account.as_ref().map(|(_, _, hash, ..)| hash.clone());
    let Some(ok) = state.logins.check(body.password, hash).await else {
        return Err(too_many(
            Duration::from_secs(1),
            "the marketplace is checking many logins; try again in a moment",
        ));
    };
    let Some((user, participant, _, name, kind, (active, must_change))) = account.filter(|_| ok)
    else {
        state.logins.failed(&body.login, &address).await;
        return Err(refused());
    };
    if !active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "this account has been disabled",
        ));
    }
    state.logins.succeeded(&body.login, &address).await;
    let (token, expires_at) = state.tokens.issue(user, participant);
    // Secure behind HTTPS (a proxy in front says so), so the cookie never travels in the clear.
    let secure = if forwarded_https { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        TOKEN_TTL.as_secs()
    );
    let logged_in = LoggedIn {
        token,
        expires_at,
        participant: participant.0,
        name,
        role: kind.name(),
        must_change_password: must_change,
    };
    let mut response = Json(logged_in).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// 429 with `Retry-After`.
fn too_many(wait: Duration, message: &'static str) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message).retry_after(wait)
}

/// `POST /api/v1/logout`: revokes the token the request carries (bearer or cookie) on every node,
/// and clears the session cookie.
#[utoipa::path(post, path = "/api/v1/logout", tag = "auth",
    responses((status = 204, description = "The token is revoked and the cookie cleared")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some((token, _)) = token_from(&headers) {
        if let Some((actor, _)) = state.tokens.verify(token) {
            crate::audit::note_actor(&state.replica, actor);
        }
        state.tokens.revoke(token).await;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

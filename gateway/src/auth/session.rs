//! The session of every request, checked against current data: the token must be ours, intact,
//! unexpired and not revoked; the account and its participant must exist, the account be enabled
//! and issued the token after its sessions last ended (a password change, a disabling), and a
//! suspended supplier is refused at once. A write carried by the cookie must come from our pages.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use engine::catalog::{ParticipantKind, RegionChain};
use engine::types::Actor;

use super::Tokens;
use crate::error::ApiError;
use crate::read::Replica;

/// What checking a session takes: whatever state a router has gives it.
#[derive(Clone, Debug)]
pub struct Sessions {
    /// The token keys and revocations.
    pub tokens: std::sync::Arc<Tokens>,
    /// Current data.
    pub replica: Replica,
}

/// Who is calling, checked against current data.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    /// The acting user and participant.
    pub actor: Actor,
    /// The participant's role.
    pub role: ParticipantKind,
    /// The participant's region, when it has one.
    pub region: Option<RegionChain>,
}

/// Where a request's token came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// `Authorization: Bearer`: only a script holding the token sends it.
    Bearer,
    /// The session cookie: the browser sends it with any request to us, a forged one included.
    Cookie,
}

/// The token a request carries, and how.
pub fn token_from(headers: &HeaderMap) -> Option<(&str, Carrier)> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some((bearer.trim(), Carrier::Bearer));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix("session="))
        .map(|token| (token, Carrier::Cookie))
}

/// A write carried by the cookie must come from our own pages (rule U-6): its `Origin` names the
/// host it was sent to. A page elsewhere posting a form or a script to us sends its own origin,
/// which does not match; SameSite=Strict is the second line, not the only one.
fn same_origin(parts: &Parts) -> bool {
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => {
            origin.split_once("://").is_some_and(|(_, authority)| authority == host)
        }
        _ => false,
    }
}

impl<S> FromRequestParts<S> for Session
where
    Sessions: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = Sessions::from_ref(state);
        let (token, carrier) = token_from(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let (actor, issued_ms) =
            state.tokens.verify(token).ok_or_else(ApiError::unauthenticated)?;
        crate::audit::note_actor(&state.replica, actor);
        if state.tokens.is_revoked(token).await {
            return Err(ApiError::unauthenticated());
        }
        let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if carrier == Carrier::Cookie && writes && !same_origin(parts) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site_refused",
                "a change sent with the session cookie must come from the marketplace's own pages",
            ));
        }
        let session = Session::of(&state.replica, actor)?;
        let (account, _) = state.replica.read(|engine| {
            engine.user(actor.user).map(|u| (u.sessions_from, u.must_change_password))
        });
        let (sessions_from, must_change) = account.ok_or_else(ApiError::unauthenticated)?;
        if i64::try_from(issued_ms).unwrap_or(i64::MAX) < sessions_from.ms() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "session_ended",
                "this session ended when the password was changed or the account disabled; log in again",
            ));
        }
        let allowed = ["/api/v1/me", "/api/v1/me/password", "/api/v1/logout"];
        if must_change && !allowed.contains(&parts.uri.path()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "choose your own password first (POST /api/v1/me/password)",
            ));
        }
        Ok(session)
    }
}

impl Session {
    /// The session of `actor` as current data has it: its role and region, refused when the
    /// account is gone or its organisation suspended.
    pub fn of(replica: &crate::read::Replica, actor: Actor) -> Result<Self, ApiError> {
        let (session, _) = replica.read(|engine| {
            let user = engine.user(actor.user)?;
            let participant = engine.participant(user.participant)?;
            (user.participant == actor.participant).then_some((
                participant.kind,
                participant.region,
                participant.is_active(),
                user.active,
            ))
        });
        let (role, region, active, account_active) =
            session.ok_or_else(ApiError::unauthenticated)?;
        if !account_active {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "account_disabled",
                "this account has been disabled",
            ));
        }
        if !active {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "supplier_suspended",
                "your organisation is suspended",
            ));
        }
        Ok(Session { actor, role, region })
    }
}

impl Session {
    /// Who is looking, for the views.
    pub fn viewer(&self) -> crate::views::Viewer {
        crate::views::Viewer {
            participant: self.actor.participant,
            role: self.role,
            region: self.region,
        }
    }

    /// Refuses unless the session's role is one of `roles`.
    pub fn require(&self, roles: &[ParticipantKind]) -> Result<(), ApiError> {
        if roles.contains(&self.role) { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    /// True when `region` lies within the region this session oversees (U-3): its own region or
    /// one below it; everything for a session of the province or of no region (the platform's
    /// centre). Nothing without a region (`None`) lies within a city or a district.
    pub fn oversees(
        &self,
        engine: &engine::Engine,
        region: Option<engine::types::RegionCode>,
    ) -> bool {
        let Some(own) = self.region else { return true };
        if own.codes().len() == 1 {
            return true;
        }
        region.and_then(|code| engine.region(code)).is_some_and(|r| r.chain.contains(own.region()))
    }
}

/// The caller's network address, as the connection shows it (a proxy in front would have to be
/// trusted explicitly to name another); `unknown` where there is no connection (in-process tests).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
        Ok(Self(address))
    }
}

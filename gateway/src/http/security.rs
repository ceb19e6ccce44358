//! The security log's HTTP side (U-7): every request is witnessed, and those worth keeping become
//! an entry once answered; operators read the entries of their region and below.

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use engine::catalog::ParticipantKind;
use serde::{Deserialize, Serialize};

use super::state::AppState;
use crate::audit::{self, Acted, Entry, Kind, Page, Witness};
use crate::auth::Session;
use crate::error::{ApiError, ErrorCode};

/// Witnesses the request, and records what the answer makes of it.
pub async fn witness(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let address = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let request_id =
        request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (response, witness) = audit::witnessed(next.run(request)).await;
    let status = response.status();
    let code = response.extensions().get::<ErrorCode>().map(|c| c.0.to_owned());
    if let Some(kind) = classify(&path, status, &witness) {
        let (user, participant, region_path) = subject(kind, &witness);
        state.security.record(Entry {
            at_ms: audit::now_ms(),
            kind,
            login: witness.login.clone(),
            user,
            participant,
            region_path,
            address,
            method,
            path,
            status: status.as_u16(),
            code,
            action: witness.action.as_ref().map(|a| a.name.clone()),
            request_id,
        });
    }
    response
}

/// What a request is to the log, if anything.
fn classify(path: &str, status: StatusCode, witness: &Witness) -> Option<Kind> {
    if path == "/api/v1/login" {
        return Some(match status {
            s if s.is_success() => Kind::LoginSucceeded,
            StatusCode::TOO_MANY_REQUESTS => Kind::LoginRefused,
            _ => Kind::LoginFailed,
        });
    }
    if path == "/api/v1/logout" {
        return Some(Kind::Logout);
    }
    match &witness.action {
        Some(acted) if acted.on_account => return Some(Kind::AccountAction),
        Some(_) if witness.actor.as_ref().is_some_and(|a| a.role == ParticipantKind::Operator) => {
            return Some(Kind::OperatorAction);
        }
        _ => {}
    }
    matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    )
    .then_some(Kind::Refused)
}

/// Whom the entry is about, and the region it belongs to: an account action belongs to the region
/// of the account acted on; anything else to the region of whoever acted (or tried to log in).
fn subject(kind: Kind, witness: &Witness) -> (Option<u64>, Option<u64>, String) {
    let who = witness.actor.as_ref().or(witness.named.as_ref());
    let (user, participant) = (who.map(|w| w.user), who.map(|w| w.participant));
    match (&witness.action, kind) {
        (Some(acted), Kind::AccountAction) => (user, participant, acted.region.clone()),
        _ => (user, participant, who.map(|w| w.region.clone()).unwrap_or_default()),
    }
}

/// Notes the command a request submits: an account action belongs to the account's region.
pub(super) fn note_command(state: &AppState, command: &engine::Command) {
    use engine::Action;
    let target = match &command.action {
        Action::RegisterUser { participant, .. } => Some(*participant),
        Action::SetPassword { user, .. } | Action::SetUserActive { user, .. } => {
            state.replica.read(|engine| engine.user(*user).map(|u| u.participant)).0
        }
        _ => None,
    };
    let account = matches!(
        command.action,
        Action::RegisterUser { .. } | Action::SetPassword { .. } | Action::SetUserActive { .. }
    );
    let region = target
        .and_then(|p| state.replica.read(|engine| engine.participant(p).map(|p| p.region)).0)
        .map(|chain| audit::region_path(chain.as_ref()))
        .unwrap_or_default();
    let name = format!("{:?}", command.action.kind());
    audit::note(|w| w.action = Some(Acted { name, on_account: account, region }));
}

/// Which entries an operator asks for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SecurityQuery {
    /// Only entries numbered below this (the `next_before` of the previous page).
    before: Option<i64>,
    /// Entries per page, 1 to 200; 50 when absent.
    limit: Option<u32>,
    /// Only of this kind (`login_failed`, `refused`, `operator_action`, ...).
    kind: Option<String>,
    /// Only of this user.
    user: Option<u64>,
}

/// `GET /api/v1/security-events`: the security log of the operator's region and the regions below,
/// newest first (U-7).
#[utoipa::path(get, path = "/api/v1/security-events", params(SecurityQuery), tag = "accounts",
    responses((status = 200, description = "A page of the security log, newest first", body = SecurityEvents),
              (status = 403, description = "Operators only"),
              (status = 404, description = "This node does not keep the log (an edge node)")))]
pub async fn events(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<SecurityQuery>,
) -> Result<Json<SecurityEvents>, ApiError> {
    session.require(&[ParticipantKind::Operator])?;
    let kind = match query.kind.as_deref() {
        Some(text) => Some(text.parse::<Kind>().map_err(|_| {
            let kinds: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
            ApiError::invalid(format!("kind is one of {}", kinds.join(", ")))
        })?),
        None => None,
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit: 1 to 200"));
    }
    // The province's operators (and the platform's centre) read everything, unknown names and
    // suppliers included; an operator of a city or district its region and those below.
    let region = session
        .region
        .filter(|chain| chain.codes().len() > 1)
        .map(|chain| audit::region_path(Some(&chain)));
    let page = Page { before: query.before, limit, kind, user: query.user, region };
    let stored = state
        .security
        .store()
        .read(&page)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(|| ApiError::not_found("the security log on this node"))?;
    let next_before = (stored.len() == usize::try_from(limit).unwrap_or(usize::MAX))
        .then(|| stored.last().map(|s| s.id))
        .flatten();
    let events = stored
        .into_iter()
        .map(|s| {
            let e = s.entry;
            let region = e.region_path.trim_end_matches('/').rsplit('/').next().map(str::to_owned);
            SecurityEvent {
                id: s.id,
                at_ms: e.at_ms,
                kind: e.kind.name(),
                login: e.login,
                user: e.user,
                participant: e.participant,
                region: region.filter(|r| !r.is_empty()),
                address: e.address,
                method: e.method,
                path: e.path,
                status: e.status,
                code: e.code,
                action: e.action,
                request_id: e.request_id,
            }
        })
        .collect();
    Ok(Json(SecurityEvents { events, next_before }))
}

/// A page of the security log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecurityEvents {
    /// Newest first.
    events: Vec<SecurityEvent>,
    /// Ask with `before` set to this for the next page; none on the last.
    next_before: Option<i64>,
}

/// One entry of the security log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecurityEvent {
    id: i64,
    /// Unix milliseconds.
    at_ms: i64,
    /// login_succeeded, login_failed, login_refused, logout, refused, account_action,
    /// operator_action, entries_lost or refusals_suppressed.
    kind: &'static str,
    /// The login name tried.
    login: Option<String>,
    user: Option<u64>,
    participant: Option<u64>,
    /// The region it belongs to.
    region: Option<String>,
    /// The caller's address.
    address: String,
    method: String,
    path: String,
    /// The answer's status.
    status: u16,
    /// The error code answered.
    code: Option<String>,
    /// The command, or for a count, how many.
    action: Option<String>,
    request_id: Option<String>,
}

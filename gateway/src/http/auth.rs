//! Authentication: a login checks the password against the account's hash and issues a signed
//! token (HMAC-SHA256 with a key id, valid 15 minutes), as a bearer token for API clients and an
//! HttpOnly cookie for the browser. Every request's session is checked against current data: the
//! account and its participant must exist, and a suspended supplier is refused at once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use engine::catalog::{ParticipantKind, RegionChain};
use engine::types::{Actor, ParticipantId, UserId};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::body::Body;
use super::error::ApiError;
use super::logins::Admission;
use super::state::AppState;

/// How long a token is valid.
pub const TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// Longest login name and password taken: anything longer is refused before any check.
const MAX_LOGIN_LEN: usize = 64;
const MAX_PASSWORD_LEN: usize = 1_024;
/// The browser's session cookie.
const COOKIE: &str = "session";

type HmacSha256 = Hmac<Sha256>;

/// The signing keys of tokens, and the tokens revoked before their expiry (by a logout).
pub struct Tokens {
    kid: String,
    key: [u8; 32],
    /// Revoked tokens by a hash of the token, with the expiry after which they need no entry.
    revoked: std::sync::Mutex<std::collections::HashMap<[u8; 16], u64>>,
    /// Revocations shared with every node, when nodes share a bus.
    shared: Option<crate::bus::Bus>,
}

fn token_hash(token: &str) -> [u8; 16] {
    use sha2::Digest;
    let digest = Sha256::digest(token.as_bytes());
    let mut hash = [0; 16];
    hash.copy_from_slice(&digest[..16]);
    hash
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({})", self.kid)
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    kid: String,
    uid: u64,
    pid: u64,
    exp: u64,
    /// Issued at, Unix milliseconds: a token issued before the account's sessions were ended (a
    /// password change, a disabling) opens nothing.
    iat: u64,
    jti: String,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Tokens {
    /// Keys from 32 random bytes, named `kid`.
    pub fn new(kid: impl Into<String>, key: [u8; 32]) -> Self {
        Self { kid: kid.into(), key, revoked: Default::default(), shared: None }
    }

    /// The same keys, with revocations shared by every node on `bus`.
    pub fn sharing_revocations(self, bus: crate::bus::Bus) -> Self {
        Self { shared: Some(bus), ..self }
    }

    /// Revokes `token` (a logout): it opens nothing from now on, on any node sharing the bus.
    pub async fn revoke(&self, token: &str) {
        let Some(exp) = self.expiry(token) else { return };
        let hash = token_hash(token);
        {
            let mut revoked =
                self.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = unix_now();
            revoked.retain(|_, until| *until > now);
            revoked.insert(hash, exp);
        }
        if let Some(bus) = &self.shared {
            let ttl = exp.saturating_sub(unix_now()).max(1);
            bus.revoke_token(&hash, Duration::from_secs(ttl)).await;
        }
    }

    /// True when `token` was revoked.
    pub async fn is_revoked(&self, token: &str) -> bool {
        let hash = token_hash(token);
        let here = self
            .revoked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(&hash);
        match &self.shared {
            Some(bus) if !here => bus.token_revoked(&hash).await,
            _ => here,
        }
    }

    /// When a token of ours expires, if it is intact.
    fn expiry(&self, token: &str) -> Option<u64> {
        self.claims(token).map(|claims| claims.exp)
    }

    /// The claims of a token signed with our key, whatever they say.
    fn claims(&self, token: &str) -> Option<Claims> {
        let (payload, signature) = token.split_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    /// Keys from a 32-byte secret, named by a hash of it (so a token signed with another key is
    /// told apart without revealing anything of this one).
    pub fn from_key(key: [u8; 32]) -> Self {
        use sha2::Digest;
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(key)[..6]);
        Self::new(kid, key)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; 32 bytes always fit.
        HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length")
    }

    /// A token for a user of a participant, and when it expires (Unix seconds).
    pub fn issue(&self, user: UserId, participant: ParticipantId) -> (String, u64) {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let exp = unix_now() + TOKEN_TTL.as_secs();
        // A random id makes every token distinct, so revoking one revokes no other.
        let mut jti = [0_u8; 12];
        OsRng.fill_bytes(&mut jti);
        let jti = URL_SAFE_NO_PAD.encode(jti);
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let claims =
            Claims { kid: self.kid.clone(), uid: user.0, pid: participant.0, exp, iat, jti };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        (format!("{payload}.{signature}"), exp)
    }

    /// The actor a token stands for, if it is ours, intact and not expired, and when it was
    /// issued (Unix milliseconds).
    pub fn verify(&self, token: &str) -> Option<(Actor, u64)> {
        let claims = self.claims(token)?;
        (claims.kid == self.kid && claims.exp > unix_now())
            .then_some((Actor::new(ParticipantId(claims.pid), UserId(claims.uid)), claims.iat))
    }
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
enum Carrier {
    /// `Authorization: Bearer`: only a script holding the token sends it.
    Bearer,
    /// The session cookie: the browser sends it with any request to us, a forged one included.
    Cookie,
}

fn token_from(headers: &HeaderMap) -> Option<(&str, Carrier)> {
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
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let (token, carrier) = token_from(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let (actor, issued_ms) =
            state.tokens.verify(token).ok_or_else(ApiError::unauthenticated)?;
        super::security::note_actor(&state, actor);
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

/// What a client logs in with.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    login: String,
    password: String,
}

/// What a login answers.
#[derive(Debug, Serialize)]
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
    responses((status = 200, description = "A token, also set as the session cookie"),
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

/// `POST /api/v1/logout`: revokes the token the request carries (bearer or cookie) on every node,
/// and clears the session cookie.
#[utoipa::path(post, path = "/api/v1/logout", tag = "auth",
    responses((status = 204, description = "The token is revoked and the cookie cleared")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some((token, _)) = token_from(&headers) {
        if let Some((actor, _)) = state.tokens.verify(token) {
            super::security::note_actor(&state, actor);
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

//! Accounts over REST (rule U-2): a user changes its own password; an operator resets a user's to
//! a one-time password, or disables and enables an account. A password is hashed here (argon2),
//! never journaled in the clear; a change or a disabling ends the account's earlier sessions at
//! once (the engine records when, and every request's token is checked against it).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use engine::Action;
use engine::catalog::ParticipantKind;
use engine::types::UserId;
use serde::Deserialize;

use super::body::{Body, Path};
use super::state::AppState;
use super::{Done, Session, read_after, submit};
use crate::error::ApiError;

/// Fewest characters of a password.
pub const MIN_PASSWORD: usize = 10;

/// Passwords too common to allow whatever their length: the top of the lists guessers start with,
/// and the demo's own.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "a123456789",
    "aa123456789",
    "abc1234567",
    "abcd123456",
    "password1",
    "password12",
    "password123",
    "passw0rd123",
    "qwertyuiop",
    "qwerty1234",
    "qwerty123456",
    "iloveyou123",
    "admin12345",
    "administrator",
    "woaini1314",
    "woaini520",
    "1314520520",
    "5201314520",
    "zxcvbnm123",
    "asdfghjkl1",
    "00000000000",
    "11111111111",
    "88888888888",
    "demo",
    "changeme123",
];

/// Refuses a password too short, too common, or the login itself.
pub fn policy(login: &str, password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::invalid(format!(
            "a password has at least {MIN_PASSWORD} characters"
        )));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || lower.contains(&login.to_lowercase()) {
        return Err(ApiError::invalid(
            "that password is too easy to guess: avoid common passwords and your login name",
        ));
    }
    Ok(())
}

/// The argon2 hash of a password, computed off the async workers.
pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(&e.into()))?
    .map_err(|e| ApiError::internal(&anyhow::anyhow!("hashing a password: {e}")))
}

/// A one-time password: 16 characters from an alphabet without look-alikes.
pub fn one_time_password() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0_u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}

/// Body of `POST /api/v1/me/password`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current: String,
    new: String,
}

/// `POST /api/v1/me/password`: the caller changes its own password, proving the current one. Its
/// sessions, this one included, end: it logs in again with the new password.
#[utoipa::path(post, path = "/api/v1/me/password", request_body = ChangePassword, tag = "auth",
    responses((status = 204, description = "Changed; log in again"),
              (status = 400, description = "The new password is too short or too common"),
              (status = 401, description = "The current password is wrong")))]
pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Body(body): Body<ChangePassword>,
) -> Result<StatusCode, ApiError> {
    let (account, _) = state.replica.read(|engine| {
        engine.user(session.actor.user).map(|u| (u.login.clone(), u.password_hash.clone()))
    });
    let (login, current_hash) = account.ok_or_else(ApiError::unauthenticated)?;
    policy(&login, &body.new)?;
    let Some(true) = state.logins.check(body.current, Some(current_hash)).await else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "the current password is wrong",
        ));
    };
    let password_hash = hash(body.new).await?;
    let action = Action::SetPassword { user: session.actor.user, password_hash, one_time: false };
    let seq = match submit(&state, &session, &headers, action).await? {
        Done::Applied { seq, .. } => seq,
        Done::Retried { original } => original,
    };
    // Answered once logins read the new password, so the next login uses it.
    read_after(&state, Some(seq.0)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/users/{id}/{disable|enable}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    /// Why, for the record.
    reason: String,
}

/// `POST /api/v1/users/{id}/{password-reset|disable|enable}` (operators): a reset answers a
/// one-time password, shown once, which the user must replace at its next login; disabling ends
/// the account's sessions at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/{change}", tag = "reference",
    params(("id" = u64, Path, description = "The user"),
           ("change" = String, Path, description = "password-reset, disable or enable")),
    responses((status = 200, description = "Done; a reset answers the one-time password", body = AccountChanged),
              (status = 403, description = "Operators only, and not on their own account"),
              (status = 404, description = "No such user or change")))]
pub async fn change_account(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, change)): Path<(u64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<AccountChanged>, ApiError> {
    session.require(&[ParticipantKind::Operator])?;
    let user = UserId(id);
    let reason = || {
        let AccountChange { reason } = serde_json::from_slice(&body)
            .map_err(|_| ApiError::invalid("give a reason: {\"reason\": \"...\"}"))?;
        match super::body::text_problem(&reason) {
            Some(problem) => Err(ApiError::invalid(problem)),
            None => Ok(reason),
        }
    };
    let (action, one_time) = match change.as_str() {
        "password-reset" => {
            let password = one_time_password();
            let password_hash = hash(password.clone()).await?;
            (Action::SetPassword { user, password_hash, one_time: true }, Some(password))
        }
        "disable" => (Action::SetUserActive { user, active: false, reason: reason()? }, None),
        "enable" => (Action::SetUserActive { user, active: true, reason: reason()? }, None),
        _ => return Err(ApiError::not_found("account change")),
    };
    let seq = match submit(&state, &session, &headers, action).await? {
        Done::Applied { seq, .. } => seq.0,
        Done::Retried { original } => original.0,
    };
    // Answered once every read sees it: the disabled account's next request is refused.
    read_after(&state, Some(seq)).await?;
    Ok(Json(AccountChanged { user: id, change, seq, one_time_password: one_time }))
}

/// An account changed by an operator.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AccountChanged {
    user: u64,
    /// password-reset, disable or enable.
    change: String,
    seq: u64,
    /// After a reset: the one-time password to hand to the user, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    one_time_password: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_login_like_passwords_are_refused() {
        assert!(policy("unit7", "short").is_err());
        assert!(policy("unit7", "Password123").is_err());
        assert!(policy("unit7", "my-unit7-secret").is_err());
        assert!(policy("unit7", "西湖边的第三棵柳树").is_err(), "nine characters");
        assert!(policy("unit7", "西湖边的第三棵柳树下").is_ok());
        assert!(policy("unit7", "correct horse battery").is_ok());
    }
}

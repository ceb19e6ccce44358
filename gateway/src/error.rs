//! One error type for every endpoint: a status, a machine-readable code, a message a person can
//! read, and the rule of docs/RULES.md that refused the request when there is one. Internal detail
//! never reaches the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::Reason;

use crate::runtime::SubmitError;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    rule: Option<&'static str>,
    retry_after: Option<std::time::Duration>,
}

impl ApiError {
    /// An error with its status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), rule: None, retry_after: None }
    }

    /// The same error, telling the client how long to wait (`Retry-After`, whole seconds).
    pub fn retry_after(self, wait: std::time::Duration) -> Self {
        Self { retry_after: Some(wait), ..self }
    }

    /// 400: the request is malformed.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 401: no valid session.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "log in first, or your session has expired",
        )
    }

    /// 403: the session's role may not do this.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "not_permitted", "your role may not do this")
    }

    /// 404: nothing here.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    /// Its machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// 500 without detail; the detail goes to the log.
    pub fn internal(error: &anyhow::Error) -> Self {
        tracing::error!(error = %format!("{error:#}"), "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side")
    }
}

/// The code of an error answer, for the security log to read off the response.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

impl From<Reason> for ApiError {
    fn from(reason: Reason) -> Self {
        let status = match reason {
            Reason::NotPermitted | Reason::OutsideRegion => StatusCode::FORBIDDEN,
            Reason::NotFound { .. } => StatusCode::NOT_FOUND,
            Reason::AlreadyExists { .. } => StatusCode::CONFLICT,
            Reason::Invalid { .. } | Reason::QuantityScale { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let rule = Some(reason.rule()).filter(|r| !matches!(*r, "auth" | "input"));
        Self { status, code: reason.code(), message: reason.to_string(), rule, retry_after: None }
    }
}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> Self {
        let code = match error {
            SubmitError::Overloaded => "overloaded",
            SubmitError::Unavailable => "unavailable",
            SubmitError::OutcomeUnknown => "outcome_unknown",
        };
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, error.to_string())
    }
}

/// The body of every error answer.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for a program and for a person.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code (`budget_short`, `not_permitted`, ...).
    pub code: String,
    /// A message a person can read.
    pub message: String,
    /// The rule of the catalogue that refused the request, when one did (`B-1`, `A-2`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                rule: self.rule.map(str::to_owned),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        if let Some(wait) = self.retry_after {
            let seconds = wait.as_secs().max(1).to_string();
            if let Ok(value) = axum::http::HeaderValue::from_str(&seconds) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Longest framework message passed on in an error answer.
const MAX_FRAMEWORK_MESSAGE: usize = 300;

/// Gives every error answer the API's error shape: an answer the framework made itself (a path
/// that does not parse, a body over the limit, a method the path does not take) comes as plain
/// text, and becomes `{"error": {"code", "message"}}` here, its text kept as the message.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "invalid_input",
    };
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 10).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let mut message: String = text.trim().chars().take(MAX_FRAMEWORK_MESSAGE).collect();
    if message.is_empty() {
        message = status.canonical_reason().unwrap_or("refused").to_owned();
    }
    ApiError::new(status, code, message).into_response()
}

//! Request bodies and query strings that fail to parse answer with the API's own error shape, never
//! with a bare framework message.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(value)| Body(value))
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        rejection.status(),
                        "too_large",
                        format!("a request body is at most {MAX_BODY_BYTES} bytes"),
                    )
                } else {
                    ApiError::invalid(rejection.body_text())
                }
            })
    }
}

/// A query string.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| ApiError::invalid(rejection.body_text()))
    }
}

/// One page of `items` (kept oldest first, as the engine holds them), newest first.
pub(crate) fn newest_first<T>(
    items: &[T],
    page: usize,
    per_page: usize,
) -> impl Iterator<Item = &T> {
    items.iter().rev().skip(page.saturating_sub(1).saturating_mul(per_page)).take(per_page)
}

/// A page of a list as every list answers: its items, where it is, and as of which sequence.
pub(crate) fn listing(
    items: Vec<serde_json::Value>,
    page: usize,
    per_page: usize,
    total: usize,
    seq: u64,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "items": items, "page": page, "per_page": per_page, "total": total, "as_of_seq": seq,
    }))
}

/// A deal id from the path; `what` names the deal in the error ("an auction").
pub(crate) fn deal_id(text: &str, what: &str) -> Result<engine::types::DealId, super::ApiError> {
    text.parse()
        .map(engine::types::DealId)
        .map_err(|_| super::ApiError::invalid(format!("{what} id is a number")))
}

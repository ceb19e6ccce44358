//! Request bodies and query strings that fail to parse answer with the API's own error shape, never
//! with a bare framework message.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Longest text a request may carry in any one string: every name, reason and description the
/// engine keeps is at most 500 characters.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// A JSON body. Every string in it is checked before the body is read into its type: at most
/// [`MAX_TEXT_CHARS`] characters, and no control characters (tabs and line breaks aside), no
/// bidirectional overrides and no invisible characters, which would make a name read differently
/// from what it is (a supplier's name reversed on screen, two names that look alike).
#[derive(Debug)]
pub struct Body<T>(pub T);

/// Why a text is refused, if it is.
pub(crate) fn text_problem(text: &str) -> Option<&'static str> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Some("a text is at most 1,000 characters");
    }
    let hidden = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    text.chars().any(hidden).then_some(
        "a text may not hold control characters, direction overrides or invisible characters",
    )
}

fn check_texts(value: &serde_json::Value) -> Result<(), &'static str> {
    match value {
        serde_json::Value::String(text) => text_problem(text).map_or(Ok(()), Err),
        serde_json::Value::Array(items) => items.iter().try_for_each(check_texts),
        serde_json::Value::Object(fields) => fields.iter().try_for_each(|(key, value)| {
            text_problem(key).map_or(Ok(()), Err)?;
            check_texts(value)
        }),
        _ => Ok(()),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
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
            })?;
        check_texts(&value).map_err(ApiError::invalid)?;
        serde_json::from_value(value).map(Body).map_err(|e| ApiError::invalid(e.to_string()))
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

/// A path parameter.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
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
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Which page, from 1.
    pub page: usize,
    /// Items a page.
    pub per_page: usize,
    /// Items on every page.
    pub total: usize,
    /// The engine sequence the page reads as of.
    pub as_of_seq: u64,
}

/// The page of `items` as answered.
pub(crate) fn listing<T>(
    items: Vec<T>,
    page: usize,
    per_page: usize,
    total: usize,
    as_of_seq: u64,
) -> axum::Json<Page<T>> {
    axum::Json(Page { items, page, per_page, total, as_of_seq })
}

/// A deal id from the path; `what` names the deal in the error ("an auction").
pub(crate) fn deal_id(text: &str, what: &str) -> Result<engine::types::DealId, super::ApiError> {
    text.parse()
        .map(engine::types::DealId)
        .map_err(|_| super::ApiError::invalid(format!("{what} id is a number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_capped_and_hidden_characters_refused_before_anything_is_done() {
        assert_eq!(text_problem("中标通知书\n第二行\t"), None);
        assert!(text_problem(&"x".repeat(MAX_TEXT_CHARS + 1)).is_some());
        assert!(text_problem(&"字".repeat(MAX_TEXT_CHARS)).is_none(), "characters, not bytes");
        for hidden in ["\u{202E}", "\u{200B}", "\u{0000}", "\u{2066}", "\u{FEFF}", "\u{001B}"] {
            assert!(text_problem(&format!("杭州{hidden}供应商")).is_some(), "{hidden:?}");
        }
        let nested = serde_json::json!({ "lines": [{ "note": "a\u{202E}b" }] });
        assert!(check_texts(&nested).is_err());
    }
}

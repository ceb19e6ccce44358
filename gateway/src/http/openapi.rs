//! The OpenAPI document at `/api/v1/openapi.json`. Its operations come with the routes themselves
//! (see `api` in this module's parent), so a route cannot go undocumented; what every operation
//! shares is written here once: the error body of every error answer, how a caller authenticates,
//! and the refusals any endpoint may answer (too many requests, not logged in, the engine away).

use std::sync::Arc;

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder, SecurityRequirement};
use utoipa::{Modify, PartialSchema, ToSchema};

use crate::error::{ErrorBody, ErrorDetail};

/// The API's description, before its operations are added.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Provincial government procurement marketplace",
        version = "1",
        description = "Money travels as decimal strings, exact to the unit's scale; every error \
            answers with the `ErrorBody` shape. Authenticate with the token `POST /api/v1/login` \
            returns, as a bearer token or the `session` cookie (writes by cookie must come from \
            the marketplace's own pages). Live feeds: `POST /api/v1/ws/ticket`, then \
            `GET /api/v1/ws?ticket=...`."
    ),
    modifiers(&Shared)
)]
pub struct ApiDoc;

/// Operations anyone may call, without a session.
const PUBLIC: [&str; 15] = [
    "/health",
    "/ready",
    "/metrics",
    "/api/v1/login",
    "/api/v1/logout",
    "/api/v1/about",
    "/api/v1/ws",
    "/api/v1/public/notices",
    "/api/v1/public/notices/{id}",
    "/api/v1/public/notices.atom",
    "/api/v1/public/direct-orders",
    "/api/v1/ocds/releases",
    "/api/v1/ocds/releases/{ocid}",
    "/api/v1/ocds/records",
    "/api/v1/ocds/records/{ocid}",
];

#[derive(Debug)]
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("session"))),
        );
        for (name, schema) in
            [(ErrorBody::name(), ErrorBody::schema()), (ErrorDetail::name(), ErrorDetail::schema())]
        {
            components.schemas.insert(name.into_owned(), schema);
        }
    }
}

/// Completes the document once the routes have added their operations: every operation states
/// how it is authenticated, and every error answer has the shared error body.
pub fn finish(doc: &mut OpenApi) {
    for (path, item) in &mut doc.paths.paths {
        let public = PUBLIC.contains(&path.as_str());
        let operations = [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, true),
        ];
        for (operation, writes) in operations {
            if let Some(operation) = operation.as_mut() {
                complete(operation, public, writes);
            }
        }
    }
}

fn error_answer(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(Ref::from_schema_name(ErrorBody::name()))))
        .into()
}

fn complete(operation: &mut Operation, public: bool, writes: bool) {
    if public {
        operation.security = Some(vec![SecurityRequirement::default()]);
    } else {
        operation.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("cookie", Vec::<String>::new()),
        ]);
    }
    let responses = &mut operation.responses.responses;
    let mut shared = vec![
        ("400", "Malformed input (`invalid_input`)"),
        ("429", "Too many requests from this address or participant; see `Retry-After`"),
    ];
    if !public {
        shared.push(("401", "Not logged in, or the session has ended"));
        shared.push(("403", "The caller's role or region may not do this"));
    }
    if writes {
        shared.push(("503", "The engine cannot take commands now (`overloaded`, `unavailable`, or `outcome_unknown`: retry with the same Idempotency-Key)"));
    }
    for (status, description) in shared {
        responses.entry(status.to_owned()).or_insert_with(|| error_answer(description));
    }
    // Every error answer, documented or added here, carries the shared body.
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response) {
            response
                .content
                .entry("application/json".to_owned())
                .or_insert_with(|| Content::new(Some(Ref::from_schema_name(ErrorBody::name()))));
        }
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn serve(doc: Arc<OpenApi>) -> Json<OpenApi> {
    Json((*doc).clone())
}

/// The document as the router serves it, for tools and tests.
pub fn document() -> OpenApi {
    let (_, mut doc) = super::api().split_for_parts();
    finish(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    #[test]
    fn the_base_document_has_the_shared_parts() {
        let doc = super::ApiDoc::openapi();
        let components = doc.components.expect("components");
        assert!(components.schemas.contains_key("ErrorBody"));
        assert!(components.security_schemes.contains_key("bearer"));
    }
}

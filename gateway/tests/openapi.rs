//! The OpenAPI document against the router it is made with: every documented operation is routed
//! (generated from the document itself, not from a list kept by hand), every answer with a body
//! has its schema, every error answer has the shared error body, every reference resolves, every path parameter is declared, and answers the
//! framework makes itself (a bad path id, a body over the limit) come in the API's error shape.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use gateway::demo::{DemoSizes, demo_user};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn answer(router: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target.clone());
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_routed_and_every_error_has_the_shared_body() {
    let market = support::market(DemoSizes { suppliers: 4, purchasers: 4, variants: 1 }).await;
    let state = market.app_state(7);
    let router = gateway::http::router(state.clone());
    let operator = demo_user(market.province.operator);
    let token = state.tokens.issue(operator.user, operator.participant).0;
    let request = Request::get("/api/v1/openapi.json").body(Body::empty()).expect("request");
    let (status, doc) = answer(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{doc}");
    let schemes = &doc["components"]["securitySchemes"];
    assert!(schemes["bearer"].is_object() && schemes["cookie"].is_object(), "{schemes}");

    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 55, "every endpoint is documented: {} paths", paths.len());
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            operations += 1;
            // Every `{parameter}` of the path is declared.
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let mut uri = path.clone();
            for name in path.split('{').skip(1).filter_map(|rest| rest.split('}').next()) {
                assert!(declared.contains(&name), "{method} {path}: parameter {name} undeclared");
                uri = uri.replace(&format!("{{{name}}}"), "1");
            }
            // Every answer with a body says what the body is.
            let responses = operation["responses"].as_object().expect("responses");
            for (status, response) in responses {
                if status.starts_with('2') && status != "204" {
                    let content = response["content"].as_object();
                    let typed =
                        content.is_some_and(|c| c.values().all(|m| m["schema"].is_object()));
                    assert!(
                        typed && content.is_some_and(|c| !c.is_empty()),
                        "{method} {path} {status}: no schema"
                    );
                }
            }
            // Every error answer carries the shared body.
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s == "101"),
                "{method} {path}: no success answer"
            );
            for (status, response) in responses {
                // Readiness answers 503 with its report of each part, not with an error.
                let report = path == "/ready" && status == "503";
                if (status.starts_with('4') || status.starts_with('5')) && !report {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
            // The router has it: whatever it answers, it is not the fallback's "no such endpoint"
            // nor a method the path does not take.
            if path == "/api/v1/ws" {
                continue; // An upgrade: its refusal of a plain request is checked below.
            }
            let request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .expect("request");
            let (status, body) = answer(&router, request).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}: {body}");
            assert_ne!(body["error"]["code"], "no_such_endpoint", "{method} {uri} is not routed");
        }
    }
    assert!(operations >= 65, "{operations} operations");
    let request = Request::get("/api/v1/nothing-here").body(Body::empty()).expect("request");
    let (status, body) = answer(&router, request).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_endpoint"))
    );

    // Every reference resolves.
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let name = target.strip_prefix("#/components/schemas/").expect("a schema reference");
        assert!(doc["components"]["schemas"][name].is_object(), "{target} does not resolve");
    }
    market.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_the_framework_makes_come_in_the_error_shape() {
    let market = support::market(DemoSizes { suppliers: 4, purchasers: 4, variants: 1 }).await;
    let state = market.app_state(8);
    let router = gateway::http::router(state.clone());
    let unit = demo_user(market.province.purchasers[0].id);
    let token = state.tokens.issue(unit.user, unit.participant).0;
    let bearer = format!("Bearer {token}");
    let cases = [
        (Method::GET, "/api/v1/auctions/not-a-number", "{}".to_owned(), StatusCode::BAD_REQUEST),
        (Method::DELETE, "/api/v1/orders", "{}".to_owned(), StatusCode::METHOD_NOT_ALLOWED),
        (Method::POST, "/api/v1/orders", "x".repeat(70 * 1024), StatusCode::PAYLOAD_TOO_LARGE),
        (
            Method::POST,
            "/api/v1/trades/T-1/deliver",
            "not json".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (Method::GET, "/api/v1/ws?ticket=nope", String::new(), StatusCode::BAD_REQUEST),
    ];
    for (method, uri, body, expected) in cases {
        let request = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(header::AUTHORIZATION, &bearer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("request");
        let (status, body) = answer(&router, request).await;
        assert_eq!(status, expected, "{method} {uri}: {body}");
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{method} {uri}: {body}"
        );
    }
    market.runtime.shutdown().await.expect("shutdown");
}

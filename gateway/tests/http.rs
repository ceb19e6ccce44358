//! The HTTP API in process: authentication, the authorisation matrix, hostile input, idempotent
//! retries, suspension taking effect at once, reading one's own writes.

mod support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::types::{Actor, ParticipantId};
use engine::{Action, Command};
use gateway::auth::Tokens;
use gateway::demo::{self, DemoSizes, demo_user};
use gateway::http::{self, AppState};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: Router,
    state: AppState,
    runtime: gateway::runtime::Runtime,
    province: demo::DemoProvince,
    clock: gateway::runtime::ManualClock,
}

async fn app() -> App {
    let market = support::market(DemoSizes { suppliers: 20, purchasers: 40, variants: 1 }).await;
    let state = market.app_state(7);
    App {
        router: http::router(state.clone()),
        state,
        runtime: market.runtime,
        province: market.province,
        clock: market.clock,
    }
}

impl App {
    fn token(&self, participant: ParticipantId) -> String {
        let actor = demo_user(participant);
        self.state.tokens.issue(actor.user, actor.participant).0
    }

    fn purchaser(&self) -> ParticipantId {
        self.province.purchasers[1].id
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_with(method, uri, token, body.map(|b| b.to_string()), &[]).await
    }

    async fn call_with(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(body) => {
                request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body))
            }
            None => request.body(Body::empty()),
        }
        .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    /// A valid order body for the purchaser: one unit of the first product with an offer in its region.
    async fn order_body(&self, token: &str) -> Value {
        let (_, catalog) =
            self.call("GET", "/api/v1/catalog/products?per_page=100", Some(token), None).await;
        let product = catalog["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["best_offer"].is_string())
            .expect("a product on offer")["id"]
            .clone();
        let (_, budgets) = self.call("GET", "/api/v1/budgets", Some(token), None).await;
        json!({ "product": product, "quantity": "1", "budget_line": budgets["lines"][0]["id"] })
    }
}

/// A hostile request: method, path, body, extra headers, and the status and code it must get.
type Hostile<'a> = (&'a str, &'a str, Option<String>, Vec<(&'a str, &'a str)>, StatusCode, &'a str);

/// The member of the JSON list `list` whose `key` is `value`; the test fails, naming `what`, if
/// there is none.
fn member<V>(list: &Value, key: &str, value: V, what: &str) -> Value
where
    Value: PartialEq<V>,
{
    let members = list.as_array().unwrap_or_else(|| panic!("{what}: not a list: {list}"));
    let found = members.iter().find(|m| m[key] == value);
    found.unwrap_or_else(|| panic!("{what} is not in {list}")).clone()
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_issues_a_token_and_cookie_and_repeated_failures_are_rate_limited() {
    let app = app().await;
    let (status, body) = app
        .call("POST", "/api/v1/login", None, Some(json!({"login": "unit2", "password": "demo"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "purchaser");
    let token = body["token"].as_str().expect("token").to_string();
    let (status, me) = app.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((status, me["role"].as_str()), (StatusCode::OK, Some("purchaser")));

    for _ in 0..5 {
        let (status, body) = app
            .call(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"login": "unit3", "password": "wrong"})),
            )
            .await;
        assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    }
    let (status, body) = app
        .call("POST", "/api/v1/login", None, Some(json!({"login": "unit3", "password": "demo"})))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_refuses_a_missing_or_forged_session() {
    let app = app().await;
    let forged = {
        let other = Tokens::new("test", [8; 32]);
        let actor = demo_user(app.purchaser());
        other.issue(actor.user, actor.participant).0
    };
    for (method, uri) in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/catalog/products"),
        ("GET", "/api/v1/catalog/products/1/offers"),
        ("POST", "/api/v1/offers"),
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/trades"),
        ("POST", "/api/v1/trades/T1-0/deliver"),
        ("GET", "/api/v1/budgets"),
        ("GET", "/api/v1/reconciliation"),
        ("POST", "/api/v1/auctions"),
        ("GET", "/api/v1/auctions"),
        ("GET", "/api/v1/auctions/1"),
        ("GET", "/api/v1/auctions/1/results"),
        ("POST", "/api/v1/auctions/1/bids"),
        ("POST", "/api/v1/auctions/1/cancel"),
        ("GET", "/api/v1/regions"),
        ("POST", "/api/v1/regions"),
        ("GET", "/api/v1/categories"),
        ("POST", "/api/v1/categories"),
        ("POST", "/api/v1/products"),
        ("GET", "/api/v1/participants"),
        ("POST", "/api/v1/participants"),
        ("POST", "/api/v1/suppliers/1/suspend"),
        ("POST", "/api/v1/affiliation-groups"),
        ("GET", "/api/v1/agreements"),
        ("POST", "/api/v1/agreements"),
        ("POST", "/api/v1/agreements/1/stock"),
        ("POST", "/api/v1/direct-order-limits"),
        ("POST", "/api/v1/budgets"),
        ("POST", "/api/v1/budgets/1/adjust"),
        ("POST", "/api/v1/users"),
        ("POST", "/api/v1/calendar"),
        ("POST", "/api/v1/inquiries"),
        ("POST", "/api/v1/competitions"),
        ("POST", "/api/v1/negotiations"),
        ("GET", "/api/v1/negotiations"),
        ("GET", "/api/v1/negotiations/1"),
        ("POST", "/api/v1/negotiations/1/counter"),
        ("POST", "/api/v1/negotiations/1/accept"),
        ("POST", "/api/v1/negotiation-rules"),
        ("POST", "/api/v1/rotations"),
        ("GET", "/api/v1/rotations"),
        ("POST", "/api/v1/rotations/1/orders"),
        ("GET", "/api/v1/inquiries"),
        ("GET", "/api/v1/inquiries/1"),
        ("GET", "/api/v1/inquiries/1/results"),
        ("POST", "/api/v1/inquiries/1/quotes"),
        ("POST", "/api/v1/inquiries/1/quotes/withdraw"),
        ("POST", "/api/v1/inquiries/1/rounds"),
        ("POST", "/api/v1/inquiries/1/end"),
    ] {
        for token in [None, Some(forged.as_str()), Some("garbage.token")] {
            let (status, body) = app.call(method, uri, token, Some(json!({}))).await;
            assert_eq!(
                (status, code(&body)),
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
                "{method} {uri}"
            );
        }
    }
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_reaches_only_what_it_may() {
    let app = app().await;
    let purchaser = app.token(app.purchaser());
    let supplier = app.token(app.province.suppliers[0]);
    let analyst = app.token(app.province.analyst);
    let operator = app.token(app.province.operator);
    let order = app.order_body(&purchaser).await;
    let own_agreement = app
        .province
        .agreements
        .iter()
        .find(|a| a.supplier == app.province.suppliers[0])
        .expect("agreement");
    let others_agreement = app
        .province
        .agreements
        .iter()
        .find(|a| a.supplier != app.province.suppliers[0])
        .expect("agreement");
    let offer =
        |a: &demo::DemoAgreement| json!({ "agreement": a.id.0, "price": a.ceiling.to_string() });

    let auction = json!({ "product": order["product"], "quantity": "1",
        "budget_line": order["budget_line"], "ceiling": "10.00", "duration_seconds": 600,
        "min_step": "0.10" });
    let bid = json!({ "price": "9.00" });
    let inquiry = json!({ "lines": [{ "product": order["product"], "quantity": "1", "ceiling": "10.00" }],
        "budget_line": order["budget_line"], "deadline_ms": 0, "invited": [1, 2, 3] });
    let quote = json!({ "prices": ["9.00"] });
    // (who, method, uri, body, expected status)
    let matrix: Vec<(&str, &str, &str, Option<Value>, StatusCode)> = vec![
        (&purchaser, "POST", "/api/v1/orders", Some(order.clone()), StatusCode::CREATED),
        (&supplier, "POST", "/api/v1/orders", Some(order.clone()), StatusCode::FORBIDDEN),
        (&analyst, "POST", "/api/v1/orders", Some(order.clone()), StatusCode::FORBIDDEN),
        (&operator, "POST", "/api/v1/orders", Some(order.clone()), StatusCode::FORBIDDEN),
        (&supplier, "POST", "/api/v1/offers", Some(offer(own_agreement)), StatusCode::OK),
        (&supplier, "POST", "/api/v1/offers", Some(offer(others_agreement)), StatusCode::FORBIDDEN),
        (&purchaser, "POST", "/api/v1/offers", Some(offer(own_agreement)), StatusCode::FORBIDDEN),
        (&analyst, "POST", "/api/v1/offers", Some(offer(own_agreement)), StatusCode::FORBIDDEN),
        (&purchaser, "GET", "/api/v1/budgets", None, StatusCode::OK),
        (&supplier, "GET", "/api/v1/budgets", None, StatusCode::FORBIDDEN),
        (&analyst, "GET", "/api/v1/budgets", None, StatusCode::FORBIDDEN),
        (&purchaser, "GET", "/api/v1/reconciliation", None, StatusCode::FORBIDDEN),
        (&supplier, "GET", "/api/v1/reconciliation", None, StatusCode::FORBIDDEN),
        // Allowed, but this node keeps no database: not found rather than forbidden.
        (&analyst, "GET", "/api/v1/reconciliation", None, StatusCode::NOT_FOUND),
        (&operator, "GET", "/api/v1/reconciliation", None, StatusCode::NOT_FOUND),
        (&supplier, "POST", "/api/v1/auctions", Some(auction.clone()), StatusCode::FORBIDDEN),
        (&analyst, "POST", "/api/v1/auctions", Some(auction.clone()), StatusCode::FORBIDDEN),
        (&operator, "POST", "/api/v1/auctions", Some(auction.clone()), StatusCode::FORBIDDEN),
        (&purchaser, "POST", "/api/v1/auctions", Some(auction.clone()), StatusCode::CREATED),
        (&purchaser, "POST", "/api/v1/auctions/1/bids", Some(bid.clone()), StatusCode::FORBIDDEN),
        (&analyst, "POST", "/api/v1/auctions/1/bids", Some(bid.clone()), StatusCode::FORBIDDEN),
        (&operator, "POST", "/api/v1/auctions/1/bids", Some(bid.clone()), StatusCode::FORBIDDEN),
        (&supplier, "POST", "/api/v1/auctions/1/cancel", None, StatusCode::NOT_FOUND),
        (&supplier, "POST", "/api/v1/inquiries", Some(inquiry.clone()), StatusCode::FORBIDDEN),
        (&analyst, "POST", "/api/v1/inquiries", Some(inquiry.clone()), StatusCode::FORBIDDEN),
        (&operator, "POST", "/api/v1/inquiries", Some(inquiry.clone()), StatusCode::FORBIDDEN),
        (
            &purchaser,
            "POST",
            "/api/v1/inquiries/1/quotes",
            Some(quote.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            &analyst,
            "POST",
            "/api/v1/inquiries/1/quotes",
            Some(quote.clone()),
            StatusCode::FORBIDDEN,
        ),
        (&operator, "POST", "/api/v1/inquiries/1/quotes/withdraw", None, StatusCode::FORBIDDEN),
        (
            &supplier,
            "POST",
            "/api/v1/inquiries/1/quotes",
            Some(quote.clone()),
            StatusCode::NOT_FOUND,
        ),
        (
            &supplier,
            "POST",
            "/api/v1/calendar",
            Some(json!({ "year": 2026, "holidays": [] })),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (who, method, uri, body, expected) in matrix {
        let (status, reply) = app.call(method, uri, Some(who), body).await;
        assert_eq!(status, expected, "{method} {uri}: {reply}");
    }
    for who in [&purchaser, &supplier, &analyst, &operator] {
        let (status, _) = app.call("GET", "/api/v1/catalog/products", Some(who), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.call("GET", "/api/v1/trades", Some(who), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.call("GET", "/api/v1/auctions", Some(who), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.call("GET", "/api/v1/inquiries", Some(who), None).await;
        assert_eq!(status, StatusCode::OK);
    }
    // A supplier sees its own trades only; the purchaser's trade is not the other supplier's.
    let (_, trades) = app.call("GET", "/api/v1/trades", Some(&purchaser), None).await;
    let seller = trades["items"][0]["supplier"].as_u64().expect("a trade");
    let stranger = app.province.suppliers.iter().find(|s| s.0 != seller).expect("another supplier");
    let (_, theirs) = app.call("GET", "/api/v1/trades", Some(&app.token(*stranger)), None).await;
    assert!(
        theirs["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|t| t["supplier"].as_u64() == Some(stranger.0))
    );
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_and_hostile_input_gets_a_4xx_with_a_code() {
    let app = app().await;
    let token = app.token(app.purchaser());
    let order = app.order_body(&token).await;
    let with = |field: &str, value: Value| {
        let mut body = order.clone();
        body[field] = value;
        body.to_string()
    };
    let cases: Vec<Hostile> = vec![
        (
            "POST",
            "/api/v1/orders",
            Some("{\"product\": ".into()),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(with("quantity", json!(3))),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(with("quantity", json!("-1"))),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(with("quantity", json!("1e9"))),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(with("quantity", json!("0.5"))),
            vec![],
            StatusCode::BAD_REQUEST,
            "quantity_scale",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(with("quantity", json!("0.00001"))),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(with("product", json!(u64::MAX))),
            vec![],
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(with("budget_line", json!(-5))),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some("x".repeat(100_000)),
            vec![],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(order.to_string()),
            vec![("idempotency-key", "has space")],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/trades/not-a-trade/deliver",
            None,
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        ("POST", "/api/v1/trades/T1-0/teleport", None, vec![], StatusCode::NOT_FOUND, "not_found"),
        (
            "POST",
            "/api/v1/trades/T999999-0/accept",
            None,
            vec![],
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "GET",
            "/api/v1/catalog/products?category=Z99",
            None,
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/catalog/products?page=abc",
            None,
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/catalog/products?max_price=-3",
            None,
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        ("GET", "/api/v1/nowhere", None, vec![], StatusCode::NOT_FOUND, "no_such_endpoint"),
        (
            "GET",
            "/api/v1/catalog/products/not-a-number/offers",
            None,
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/trades/1-0/decline",
            Some(json!({ "reason": "x".repeat(60_000) }).to_string()),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/trades/1-0/decline",
            Some(json!({ "reason": "\u{202E}正常理由" }).to_string()),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/auctions",
            Some(json!({ "product": 1, "quantity": "1", "budget_line": 1, "ceiling": "10.00",
                         "min_step": "1.00", "duration_seconds": 4_294_967_295_u64 }).to_string()),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/auctions",
            Some(json!({ "product": 1, "quantity": "1", "budget_line": 1, "ceiling": "10.00",
                         "min_step": "1.00", "duration_seconds": 3_600,
                         "min_bidders": 4_294_967_295_u64 }).to_string()),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/inquiries",
            Some(json!({ "lines": [{ "product": 1, "quantity": "1", "ceiling": "1.00" }],
                         "budget_line": 1, "deadline_ms": 9_000_000_000_000_000_i64,
                         "invited": [1, 2, 3] }).to_string()),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/login",
            Some("{not json".into()),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "GET",
            "/api/v1/prices/index?category=A02010105&from_ms=10&to_ms=5",
            None,
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
        (
            "POST",
            "/api/v1/orders",
            Some(
                json!({ "product": 1, "quantity": "1.00000000000000000000000000001", "budget_line": 1 })
                    .to_string(),
            ),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_input",
        ),
    ];
    for (method, uri, body, headers, expected, expected_code) in cases {
        let (status, reply) = app.call_with(method, uri, Some(&token), body, &headers).await;
        assert_eq!((status, code(&reply)), (expected, expected_code), "{method} {uri}: {reply}");
    }
    let (status, page) =
        app.call("GET", "/api/v1/catalog/products?page=999999", Some(&token), None).await;
    assert_eq!((status, page["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_order_is_not_placed_twice_and_the_buyer_reads_its_own_write() {
    let app = app().await;
    let token = app.token(app.purchaser());
    let order = app.order_body(&token).await.to_string();
    let key = [("idempotency-key", "order-2026-0615-0001")];
    let (status, first) =
        app.call_with("POST", "/api/v1/orders", Some(&token), Some(order.clone()), &key).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, retry) =
        app.call_with("POST", "/api/v1/orders", Some(&token), Some(order), &key).await;
    assert_eq!((status, &retry), (StatusCode::CREATED, &first), "the first outcome, in full");
    let seq = first["seq"].as_u64().expect("seq");
    let (_, trades) =
        app.call("GET", &format!("/api/v1/trades?min_seq={seq}"), Some(&token), None).await;
    assert_eq!(trades["total"], 1, "one order, one trade: {trades}");
    let line = first["trades"][0]["budget_line"].clone();
    let (_, budgets) =
        app.call("GET", &format!("/api/v1/budgets?min_seq={seq}"), Some(&token), None).await;
    let line = member(&budgets["lines"], "id", line, "the order's budget line");
    assert_eq!(line["committed"], first["order"]["amount"]);
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_answers_the_first_outcome_marked_replayed_and_a_reused_key_is_refused() {
    let app = app().await;
    let token = app.token(app.purchaser());
    let order = app.order_body(&token).await;
    let send = |body: String, key: &'static str, uri: &'static str| {
        let request = Request::builder()
            .method("POST")
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body))
            .expect("request");
        let router = app.router.clone();
        async move {
            let response = router.oneshot(request).await.expect("response");
            let replayed = response.headers().get("idempotent-replayed").is_some();
            let status = response.status();
            let bytes = response.into_body().collect().await.expect("body").to_bytes();
            let body: Value = serde_json::from_slice(&bytes).expect("json");
            (status, body, replayed)
        }
    };
    // A refused order, retried: the same refusal with its code and rule, marked as a replay.
    let mut too_much = order.clone();
    too_much["quantity"] = json!("900000");
    let (status, refused, replayed) =
        send(too_much.to_string(), "refused-once", "/api/v1/orders").await;
    assert!(status.is_client_error() && !replayed, "{status} {refused}");
    let (again, refused_again, replayed) =
        send(too_much.to_string(), "refused-once", "/api/v1/orders").await;
    assert_eq!((again, &refused_again, replayed), (status, &refused, true));
    // A success, retried with other spacing in its JSON: the same trades, marked as a replay.
    let (status, first, replayed) = send(order.to_string(), "placed-once", "/api/v1/orders").await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false), "{first}");
    let spaced = serde_json::to_string_pretty(&order).expect("json");
    let (status, retry, replayed) = send(spaced, "placed-once", "/api/v1/orders").await;
    assert_eq!((status, &retry, replayed), (StatusCode::CREATED, &first, true));
    // The same key for another body, or on another endpoint: refused, and nothing done.
    let mut other = order.clone();
    other["quantity"] = json!("2");
    let (status, reused, _) = send(other.to_string(), "placed-once", "/api/v1/orders").await;
    assert_eq!(
        (status, code(&reused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let trade = first["trades"][0]["id"].as_str().expect("trade id");
    let accept: &'static str = format!("/api/v1/trades/{trade}/accept").leak();
    let (status, reused, _) = send(String::new(), "placed-once", accept).await;
    assert_eq!(
        (status, code(&reused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let seq = first["seq"].as_u64().expect("seq");
    let (_, trades) =
        app.call("GET", &format!("/api/v1/trades?min_seq={seq}"), Some(&token), None).await;
    assert_eq!(trades["total"], 1, "one order placed, whatever came after: {trades}");
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_with_a_notice_period_is_one_command_under_one_key() {
    let app = app().await;
    let operator = app.token(app.province.operator);
    let body = json!({ "year": 2027, "holidays": ["2027-10-01", "2027-10-04"], "workdays": [],
                       "notice_working_days": 4 })
    .to_string();
    let key = [("idempotency-key", "calendar-2027")];
    let (status, first) =
        app.call_with("POST", "/api/v1/calendar", Some(&operator), Some(body.clone()), &key).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["created"]["holidays"], 2, "the year's holidays kept: {first}");
    let (status, retry) =
        app.call_with("POST", "/api/v1/calendar", Some(&operator), Some(body), &key).await;
    assert_eq!((status, &retry), (StatusCode::CREATED, &first));
    // A notice period out of range refuses the whole command: the calendar is not loaded either.
    let bad = json!({ "year": 2028, "holidays": ["2028-10-02"], "notice_working_days": 999 });
    let (status, refused) = app.call("POST", "/api/v1/calendar", Some(&operator), Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    // Read once the replica has everything the journal holds, the refused command included.
    app.state.replica.caught_up(*app.runtime.durable().borrow()).await;
    let ((notice, working), _) = app.state.replica.read(|e| {
        let day = time::Date::from_calendar_date(2028, time::Month::October, 2).expect("date");
        (e.calendar().notice_working_days, e.calendar().is_working_day(day))
    });
    assert_eq!((notice, working), (4, true), "nothing of the refused command took effect");
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_be_written_answers_outcome_unknown_and_makes_the_node_unready() {
    let market = support::market(DemoSizes { suppliers: 20, purchasers: 40, variants: 1 }).await;
    let disk = market.disk.clone();
    let state = market.app_state(7);
    let app = App {
        router: http::router(state.clone()),
        state,
        runtime: market.runtime,
        province: market.province,
        clock: market.clock,
    };
    let (status, ready) = app.call("GET", "/ready", None, None).await;
    assert_eq!((status, &ready["journal"]["ok"]), (StatusCode::OK, &json!(true)), "{ready}");
    let token = app.token(app.purchaser());
    let order = app.order_body(&token).await;
    disk.fail_syncs(true);
    let (status, answer) = app.call("POST", "/api/v1/orders", Some(&token), Some(order)).await;
    assert_eq!((status, code(&answer)), (StatusCode::SERVICE_UNAVAILABLE, "outcome_unknown"));
    let mut failure = app.runtime.failure();
    failure.wait_for(Option::is_some).await.expect("the failure is reported");
    let (status, ready) = app.call("GET", "/ready", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["journal"]["ok"], json!(false));
    assert!(ready["journal"]["error"].as_str().is_some_and(|e| e.contains("syncing")), "{ready}");
    let (status, metrics) = app.call("GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.as_str().is_some_and(|m| m.contains("marketplace_journal_up 0")), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id_and_a_clients_own_is_echoed() {
    let app = app().await;
    let ask = |id: Option<&'static str>| {
        let mut request = Request::builder().uri("/health");
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        app.router.clone().oneshot(request.body(Body::empty()).expect("request"))
    };
    let first = ask(None).await.expect("response");
    let second = ask(None).await.expect("response");
    let id = |r: &axum::response::Response| {
        r.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(String::from)
    };
    let (a, b) = (id(&first).expect("an id"), id(&second).expect("an id"));
    assert_ne!(a, b, "each request has its own id");
    let echoed = ask(Some("client-7f3a")).await.expect("response");
    assert_eq!(id(&echoed).as_deref(), Some("client-7f3a"));
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_participant_is_told_to_slow_down_and_another_still_trades() {
    let mut app = app().await;
    app.state.limits =
        std::sync::Arc::new(gateway::http::Limits::new(gateway::http::LimitsConfig {
            commands_per_second: 1,
            command_burst: 5,
            in_flight: 3,
            ..gateway::http::LimitsConfig::default()
        }));
    app.router = http::router(app.state.clone());
    let flooder = app.token(app.province.purchasers[2].id);
    let order = app.order_body(&flooder).await.to_string();
    let flood: Vec<_> = (0..50)
        .map(|_| app.call_with("POST", "/api/v1/orders", Some(&flooder), Some(order.clone()), &[]))
        .collect();
    let answers = futures_util::future::join_all(flood).await;
    let refused =
        answers.iter().filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS).count();
    // Five pass at once and one a second after: even a slow machine refuses most of the fifty.
    assert!(refused >= 30, "the flood is slowed: {refused} of 50 refused");
    assert!(
        answers.iter().all(|(status, body)| matches!(
            (*status, code(body)),
            (StatusCode::CREATED, _)
                | (StatusCode::TOO_MANY_REQUESTS, "rate_limited" | "too_many_in_flight")
        )),
        "nothing but trades and 429s"
    );
    // Another purchasing unit is not crowded out.
    let other = app.token(app.purchaser());
    let body = app.order_body(&other).await;
    let (status, placed) = app.call("POST", "/api/v1/orders", Some(&other), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_revokes_the_token_at_once_and_cookie_writes_must_come_from_our_pages() {
    let app = app().await;
    let token = app.token(app.purchaser());
    let (status, _) = app.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    // A write carried by the cookie from another site's page is refused; from ours it passes.
    let cookie = format!("session={token}");
    let order = app.order_body(&token).await.to_string();
    let from = |origin: Option<&'static str>| {
        let mut headers = vec![("cookie", cookie.clone()), ("host", "market.example".to_owned())];
        if let Some(origin) = origin {
            headers.push(("origin", origin.to_owned()));
        }
        headers
    };
    for (origin, expected) in [
        (Some("https://evil.example"), StatusCode::FORBIDDEN),
        (None, StatusCode::FORBIDDEN),
        (Some("https://market.example"), StatusCode::CREATED),
    ] {
        let headers = from(origin);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) =
            app.call_with("POST", "/api/v1/orders", None, Some(order.clone()), &headers).await;
        assert_eq!(status, expected, "{origin:?}: {body}");
        if expected == StatusCode::FORBIDDEN {
            assert_eq!(code(&body), "cross_site_refused");
        }
    }
    // Reads by cookie need no origin.
    let (status, _) = app.call_with("GET", "/api/v1/me", None, None, &[("cookie", &cookie)]).await;
    assert_eq!(status, StatusCode::OK);
    // Logging out revokes the token itself, not only the cookie.
    let (status, _) = app.call("POST", "/api/v1/logout", Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let other = app.token(app.purchaser());
    let (status, _) = app.call("GET", "/api/v1/me", Some(&other), None).await;
    assert_eq!(status, StatusCode::OK, "another token of the same user still works");
    app.runtime.shutdown().await.expect("shutdown");
}

/// Moves the engine's clock past the wall clock, which tokens are stamped with, so that what the
/// engine does next happens after every token issued so far.
fn after_every_token(app: &App) {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    app.clock.set(engine::types::Timestamp(i64::try_from(wall).expect("ms") + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_password_is_used_once_and_replaced_and_a_disabled_account_opens_nothing() {
    let app = app().await;
    let unit = app.purchaser();
    let user = demo_user(unit).user;
    let login = app.state.replica.read(|e| e.user(user).map(|u| u.login.clone())).0.expect("login");
    let old = app.token(unit);
    let operator = app.token(app.province.operator);
    after_every_token(&app);
    let reset = format!("/api/v1/users/{}/password-reset", user.0);
    let (status, answer) = app.call("POST", &reset, Some(&operator), None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let one_time = answer["one_time_password"].as_str().expect("shown once").to_owned();
    let seq = answer["seq"].as_u64().expect("seq");
    app.state.replica.caught_up(engine::types::Seq(seq)).await;
    let (status, body) = app.call("GET", "/api/v1/me", Some(&old), None).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, "session_ended"));
    // The one-time password logs in, and opens nothing but the change of password.
    let (status, logged) = app
        .call("POST", "/api/v1/login", None, Some(json!({ "login": login, "password": one_time })))
        .await;
    assert_eq!((status, &logged["must_change_password"]), (StatusCode::OK, &json!(true)));
    let token = logged["token"].as_str().expect("token").to_owned();
    let (status, body) = app.call("GET", "/api/v1/budgets", Some(&token), None).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "password_change_required"));
    let weak = json!({ "current": one_time, "new": "password123" });
    let (status, _) = app.call("POST", "/api/v1/me/password", Some(&token), Some(weak)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a common password is refused");
    after_every_token(&app);
    let own = json!({ "current": one_time, "new": "西湖边的第三棵柳树下" });
    let (status, _) = app.call("POST", "/api/v1/me/password", Some(&token), Some(own)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, me) = app.call("GET", "/api/v1/me", None, None).await;
    assert_eq!(code(&me), "unauthenticated");
    let (status, logged) = app
        .call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({ "login": login, "password": "西湖边的第三棵柳树下" })),
        )
        .await;
    assert_eq!((status, &logged["must_change_password"]), (StatusCode::OK, &json!(false)));
    let token = logged["token"].as_str().expect("token").to_owned();
    // Disabled: the session ends at once and the password logs in no more; enabled again, it does.
    let disable = format!("/api/v1/users/{}/disable", user.0);
    let reason = json!({ "reason": "调离岗位" });
    let (status, answer) = app.call("POST", &disable, Some(&operator), Some(reason.clone())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    app.state.replica.caught_up(engine::types::Seq(answer["seq"].as_u64().expect("seq"))).await;
    let (status, body) = app.call("GET", "/api/v1/budgets", Some(&token), None).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "account_disabled"));
    let again = json!({ "login": login, "password": "西湖边的第三棵柳树下" });
    let (status, body) = app.call("POST", "/api/v1/login", None, Some(again.clone())).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "account_disabled"));
    let enable = format!("/api/v1/users/{}/enable", user.0);
    let (status, answer) = app.call("POST", &enable, Some(&operator), Some(reason)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    app.state.replica.caught_up(engine::types::Seq(answer["seq"].as_u64().expect("seq"))).await;
    let (status, _) = app.call("POST", "/api/v1/login", None, Some(again)).await;
    assert_eq!(status, StatusCode::OK);
    // A purchaser resets nobody.
    let (status, _) = app.call("POST", &reset, Some(&app.token(unit)), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspension_bites_at_once_on_a_session_already_open() {
    let app = app().await;
    let supplier = app.province.suppliers[0];
    let token = app.token(supplier);
    let (status, _) = app.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let suspend = Command::new(
        Actor::SYSTEM,
        Action::SuspendSupplier { supplier, reason: "围标调查".into() },
    );
    let outcome = app.state.handle.submit(suspend).await.expect("suspended");
    app.state.replica.caught_up(outcome.seq).await;
    let (status, body) = app.call("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "supplier_suspended"));
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_commands_and_time_the_journal() {
    let app = app().await;
    let token = app.token(app.purchaser());
    let order = app.order_body(&token).await;
    let (status, _) = app.call("POST", "/api/v1/orders", Some(&token), Some(order)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, text) = app.call("GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().expect("text");
    for metric in [
        "marketplace_commands_total{outcome=\"applied\"}",
        "marketplace_http_command_seconds_count",
        "marketplace_journal_fsync_seconds_count",
        "marketplace_queue_depth",
        "marketplace_replica_seq",
    ] {
        assert!(text.contains(metric), "{metric} missing from:\n{text}");
    }
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_supplier_cannot_fill_a_sealed_round_for_the_others() {
    use gateway::runtime::Clock;
    const DAY: i64 = 86_400_000;
    let app = app().await;
    let purchaser = app.token(app.purchaser());
    let order = app.order_body(&purchaser).await;
    let s = &app.province.suppliers;
    let terms = json!({ "lines": [{ "product": order["product"], "quantity": "1", "ceiling": "10.00" }],
        "budget_line": order["budget_line"], "deadline_ms": app.clock.now().ms() + 7 * DAY,
        "invited": [s[0].0, s[1].0, s[2].0], "max_rounds": 1 });
    let (status, opened) =
        app.call("POST", "/api/v1/inquiries", Some(&purchaser), Some(terms)).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let quotes = format!("/api/v1/inquiries/{}/quotes", opened["inquiry"]["id"]);
    let hostile = app.token(s[0]);
    let share = engine::inquiry::MAX_SUBMISSIONS_PER_SUPPLIER;
    for n in 0..share {
        let price = json!({ "prices": [format!("9.{:02}", n % 100)] });
        let (status, reply) = app.call("POST", &quotes, Some(&hostile), Some(price)).await;
        assert_eq!(status, StatusCode::CREATED, "submission {n}: {reply}");
    }
    let (status, reply) =
        app.call("POST", &quotes, Some(&hostile), Some(json!({ "prices": ["8.00"] }))).await;
    assert_eq!((status, code(&reply)), (StatusCode::TOO_MANY_REQUESTS, "submissions_used"));
    assert!(!reply.to_string().contains("full"), "nothing tells how full the round is: {reply}");
    let other = app.token(s[1]);
    let (status, reply) =
        app.call("POST", &quotes, Some(&other), Some(json!({ "prices": ["9.50"] }))).await;
    assert_eq!(status, StatusCode::CREATED, "another invitee still quotes: {reply}");
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inquiries_refuse_bad_terms_strangers_and_late_quotes_with_clear_errors() {
    use gateway::runtime::Clock;
    const DAY: i64 = 86_400_000;
    let app = app().await;
    let purchaser = app.token(app.purchaser());
    let other_unit = app.token(app.province.purchasers[2].id);
    let order = app.order_body(&purchaser).await;
    let s = &app.province.suppliers;
    let now = app.clock.now().ms();
    let terms = |deadline: i64, invited: &[ParticipantId], quantity: &str| {
        json!({ "lines": [{ "product": order["product"], "quantity": quantity, "ceiling": "10.00" }],
            "budget_line": order["budget_line"], "deadline_ms": deadline,
            "invited": invited.iter().map(|p| p.0).collect::<Vec<_>>(), "max_rounds": 1 })
    };
    let week = now + 7 * DAY;
    let cases = [
        (terms(week, &s[..2], "1"), StatusCode::BAD_REQUEST, "invalid_input"),
        (terms(week, &s[..3], "x"), StatusCode::BAD_REQUEST, "invalid_input"),
        (terms(week, &s[..3], "0"), StatusCode::BAD_REQUEST, "invalid_input"),
        (terms(now + DAY, &s[..3], "1"), StatusCode::UNPROCESSABLE_ENTITY, "notice_too_short"),
        (terms(week, &s[..3], "99999999"), StatusCode::UNPROCESSABLE_ENTITY, "budget_short"),
    ];
    for (body, status, code) in cases {
        let (got, reply) =
            app.call("POST", "/api/v1/inquiries", Some(&purchaser), Some(body.clone())).await;
        assert_eq!((got, reply["error"]["code"].as_str()), (status, Some(code)), "{body}: {reply}");
    }
    let (status, opened) = app
        .call("POST", "/api/v1/inquiries", Some(&purchaser), Some(terms(week, &s[..3], "2")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let id = opened["inquiry"]["id"].as_u64().expect("id");
    let uri = |tail: &str| format!("/api/v1/inquiries/{id}{tail}");
    let invited = app.token(s[0]);
    let stranger = app.token(s[5]);
    // Who may read it: the purchaser, invitees, overseers; not another unit or an uninvited supplier.
    for (who, expected) in [
        (&purchaser, StatusCode::OK),
        (&invited, StatusCode::OK),
        (&app.token(app.province.analyst), StatusCode::OK),
        (&other_unit, StatusCode::FORBIDDEN),
        (&stranger, StatusCode::FORBIDDEN),
    ] {
        let (status, view) = app.call("GET", &uri(""), Some(who), None).await;
        assert_eq!(status, expected, "{view}");
    }
    let (_, view) = app.call("GET", &uri(""), Some(&invited), None).await;
    assert_eq!((view["may_quote"].as_bool(), view.get("invited")), (Some(true), None), "{view}");
    let quote = |prices: Value| Some(json!({ "prices": prices }));
    let (status, reply) =
        app.call("POST", &uri("/quotes"), Some(&stranger), quote(json!(["9.00"]))).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_invited"))
    );
    for prices in [json!(["9.00", "8.00"]), json!(["-1"]), json!(["0"]), json!(["nine"])] {
        let (status, reply) =
            app.call("POST", &uri("/quotes"), Some(&invited), quote(prices.clone())).await;
        assert_eq!(
            (status, reply["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_input")),
            "{prices}"
        );
    }
    // Above the ceiling: sealed all the same, with a warning to its author alone (Q-4 applies at the opening).
    let (status, reply) =
        app.call("POST", &uri("/quotes"), Some(&invited), quote(json!(["11.00"]))).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["warnings"].as_array().map(Vec::len), Some(1), "{reply}");
    let (status, reply) = app
        .call(
            "POST",
            &uri("/rounds"),
            Some(&purchaser),
            Some(json!({ "deadline_ms": week, "invite": [s[4].0] })),
        )
        .await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("inquiry_state"))
    );
    let (status, _) =
        app.call("POST", &uri("/end"), Some(&other_unit), Some(json!({ "reason": "x" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, reply) = app.call("GET", &uri("/results"), Some(&purchaser), None).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("results_not_published"))
    );

    // At the deadline quotes are fixed: neither a quote nor a withdrawal is taken.
    app.clock.advance_ms(7 * DAY);
    let (status, reply) =
        app.call("POST", &uri("/quotes"), Some(&invited), quote(json!(["9.00"]))).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quotes_closed")),
        "{reply}"
    );
    let (status, reply) = app.call("POST", &uri("/quotes/withdraw"), Some(&invited), None).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quotes_closed")),
        "{reply}"
    );
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secondary_competition_invites_every_agreement_holder_covering_the_unit() {
    use gateway::runtime::Clock;
    let app = app().await;
    let available = engine::types::Amount::parse("100000").expect("amount");
    let (contest, _) = app.state.replica.read(|e| demo::contests(e, 3, available).next());
    let demo::Contest { purchaser, line, product, bidders } = contest.expect("a contested product");
    let deadline = app.clock.now().ms() + 7 * 86_400_000;
    let body = json!({ "product": product.0, "quantity": "1", "budget_line": line.0, "deadline_ms": deadline });
    let unit = app.token(purchaser);
    let (status, opened) = app.call("POST", "/api/v1/competitions", Some(&unit), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!(opened["inquiry"]["kind"], "secondary_competition");
    assert_eq!(opened["inquiry"]["max_rounds"], 1);
    let id = opened["inquiry"]["id"].as_u64().expect("id");
    let invited: Vec<u64> = opened["inquiry"]["invited"]
        .as_array()
        .expect("invited")
        .iter()
        .map(|p| p["id"].as_u64().expect("id"))
        .collect();
    assert!(
        bidders.iter().all(|b| invited.contains(&b.0)),
        "every holder: {invited:?} {bidders:?}"
    );
    for holder in &bidders {
        let (status, view) = app
            .call("GET", &format!("/api/v1/inquiries/{id}"), Some(&app.token(*holder)), None)
            .await;
        assert_eq!((status, view["may_quote"].as_bool()), (StatusCode::OK, Some(true)), "{view}");
    }
    let outsider = app.province.suppliers.iter().find(|s| !invited.contains(&s.0)).expect("one");
    let (status, _) = app
        .call("GET", &format!("/api/v1/inquiries/{id}"), Some(&app.token(*outsider)), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negotiation_with_one_counter_ends_in_a_trade_and_stays_private_to_its_parties() {
    let app = app().await;
    let unit = app.purchaser();
    let token = app.token(unit);
    let order = app.order_body(&token).await;
    let product = engine::types::ProductId(order["product"].as_u64().expect("product"));
    let (found, _) = app.state.replica.read(|e| {
        let region = e.participant(unit).and_then(|p| p.region)?;
        let now = e.clock();
        e.offers(product)
            .find(|(_, a)| {
                a.covers(&region) && a.is_valid(now) && a.stock.is_none_or(|s| s.is_positive())
            })
            .map(|(key, a)| (a.id, a.supplier, key.price))
    });
    let (agreement, supplier, offer) = found.expect("an eligible offer");
    let below = engine::types::UnitPrice::from_minor(offer.minor() * 9 / 10 / 100 * 100);
    let between =
        engine::types::UnitPrice::from_minor((below.minor() + offer.minor()) / 2 / 100 * 100);
    let body = json!({ "agreement": agreement.0, "quantity": "1", "budget_line": order["budget_line"],
        "price": below.to_string() });
    let (status, reply) =
        app.call("POST", "/api/v1/negotiations", Some(&token), Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let id = reply["negotiation"]["id"].as_u64().expect("id");
    assert_eq!(reply["negotiation"]["your_turn"], false);
    let at_offer = json!({ "agreement": agreement.0, "quantity": "1", "budget_line": order["budget_line"], "price": offer.to_string() });
    let (status, refused) =
        app.call("POST", "/api/v1/negotiations", Some(&token), Some(at_offer)).await;
    assert_eq!(
        (status, refused["error"]["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("N-1")),
        "{refused}"
    );

    // Nobody else learns it exists: another supplier, the analyst, another unit.
    let stranger =
        app.province.suppliers.iter().find(|s| **s != supplier).expect("another supplier");
    for who in [
        app.token(*stranger),
        app.token(app.province.analyst),
        app.token(app.province.purchasers[2].id),
    ] {
        let (status, _) =
            app.call("GET", &format!("/api/v1/negotiations/{id}"), Some(&who), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = app.call("GET", "/api/v1/negotiations", Some(&who), None).await;
        assert_eq!(list["total"], 0, "{list}");
        let (status, _) =
            app.call("POST", &format!("/api/v1/negotiations/{id}/accept"), Some(&who), None).await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN, "{status}");
    }

    // The supplier counters once, within the band; the purchaser accepts: a trade.
    let seller = app.token(supplier);
    let (status, out) = app
        .call(
            "POST",
            &format!("/api/v1/negotiations/{id}/counter"),
            Some(&seller),
            Some(json!({ "price": just_above(offer) })),
        )
        .await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("counter_out_of_band")),
        "{out}"
    );
    let (status, countered) = app
        .call(
            "POST",
            &format!("/api/v1/negotiations/{id}/counter"),
            Some(&seller),
            Some(json!({ "price": between.to_string() })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{countered}");
    assert_eq!(countered["negotiation"]["state"], "countered");
    let (status, accepted) =
        app.call("POST", &format!("/api/v1/negotiations/{id}/accept"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["negotiation"]["state"], "accepted");
    let trade = accepted["negotiation"]["trade"].as_str().expect("a trade").to_string();
    let (_, trades) = app.call("GET", "/api/v1/trades?per_page=100", Some(&token), None).await;
    let struck = member(&trades["items"], "id", trade.as_str(), "the negotiated trade");
    assert_eq!(
        (struck["mode"].as_str(), struck["unit_price"].as_str()),
        (Some("negotiation"), Some(between.to_string().as_str()))
    );
    app.runtime.shutdown().await.expect("shutdown");
}

/// One ten-thousandth of a yuan above `price`: the first price outside a counter's band.
fn just_above(price: engine::types::UnitPrice) -> String {
    engine::types::UnitPrice::from_minor(price.minor() + 1).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_hands_three_orders_to_three_suppliers_in_turn() {
    let app = app().await;
    let available = engine::types::Amount::parse("100000").expect("amount");
    let (contest, _) = app.state.replica.read(|e| demo::contests(e, 3, available).next());
    let demo::Contest { purchaser, line, product, bidders } = contest.expect("a contested product");
    let order: Vec<u64> = bidders.iter().take(3).map(|b| b.0).collect();
    let operator = app.token(app.province.operator);
    let body = json!({ "product": product.0, "order": order });
    let (status, refused) = app
        .call("POST", "/api/v1/rotations", Some(&app.token(purchaser)), Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, published) =
        app.call("POST", "/api/v1/rotations", Some(&operator), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    let id = published["rotation"]["id"].as_u64().expect("id");
    assert_eq!(published["rotation"]["up_next"]["id"], order[0]);
    let unit = app.token(purchaser);
    let mut served = Vec::new();
    let mut last = 0;
    for _ in 0..3 {
        let body = json!({ "quantity": "1", "budget_line": line.0 });
        let (status, filled) = app
            .call("POST", &format!("/api/v1/rotations/{id}/orders"), Some(&unit), Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filled}");
        served.push(filled["trades"][0]["supplier"].as_u64().expect("supplier"));
        last = filled["seq"].as_u64().expect("seq");
    }
    // The list is read from the replica: wait until it has the last order.
    app.state.replica.caught_up(engine::types::Seq(last)).await;
    assert_eq!(served, order, "each order to the next supplier in the published order");
    let (_, list) = app
        .call("GET", &format!("/api/v1/rotations?product={}", product.0), Some(&unit), None)
        .await;
    assert_eq!(list["items"][0]["cycle"], 1, "{list}");
    assert_eq!(list["items"][0]["up_next"]["id"], order[0]);
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e1_a_purchaser_rates_an_accepted_trade_once_and_the_score_shows_beside_the_offers() {
    let app = app().await;
    let token = app.token(app.purchaser());
    let order = app.order_body(&token).await;
    let product = order["product"].clone();
    let (status, placed) = app.call("POST", "/api/v1/orders", Some(&token), Some(order)).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let trade = placed["trades"][0]["id"].as_str().expect("trade").to_string();
    let seller =
        app.token(ParticipantId(placed["trades"][0]["supplier"].as_u64().expect("supplier")));
    let rating =
        json!({ "trade": trade, "delivery": 5, "quality": 4, "service": 4, "comment": "按时送达" });
    let (status, early) =
        app.call("POST", "/api/v1/ratings", Some(&token), Some(rating.clone())).await;
    assert_eq!(
        (status, early["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_yet_accepted"))
    );
    let (status, _) =
        app.call("POST", &format!("/api/v1/trades/{trade}/deliver"), Some(&seller), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        app.call("POST", &format!("/api/v1/trades/{trade}/accept"), Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, rated) =
        app.call("POST", "/api/v1/ratings", Some(&token), Some(rating.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{rated}");
    assert_eq!(rated["supplier_score"], "4.33");
    let (status, again) = app.call("POST", "/api/v1/ratings", Some(&token), Some(rating)).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists"))
    );
    let seq = rated["seq"].as_u64().expect("seq");
    let (_, offers) = app
        .call(
            "GET",
            &format!("/api/v1/catalog/products/{product}/offers?min_seq={seq}"),
            Some(&token),
            None,
        )
        .await;
    let supplier = placed["trades"][0]["supplier"].clone();
    let offer = member(&offers["offers"], "supplier", supplier, "the supplier's offer");
    assert_eq!(offer["supplier_score"], "4.33", "{offer}");
    // The purchaser's own list carries the marks given, so its page shows the trade as rated.
    let (_, trades) =
        app.call("GET", &format!("/api/v1/trades?min_seq={seq}"), Some(&token), None).await;
    let listed = member(&trades["items"], "id", trade.as_str(), "the rated trade");
    assert_eq!(listed["rating"], json!({ "delivery": 5, "quality": 4, "service": 4 }), "{listed}");
    app.runtime.shutdown().await.expect("shutdown");
}

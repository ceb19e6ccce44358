//! Reference data over REST: the procurement centre registers a supplier and a purchasing unit,
//! grants an agreement, allocates a budget and opens accounts; the new supplier sets its stock and
//! offer, the new unit logs in with its own password and orders. Only operators write reference
//! data, and bad input gets a clear error.

mod support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::types::{CreditCode, ParticipantId};
use gateway::demo::{DemoSizes, demo_user};
use gateway::http::{self, AppState};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct App {
    router: Router,
    state: AppState,
    runtime: gateway::runtime::Runtime,
    operator: ParticipantId,
    supplier: ParticipantId,
    purchaser: ParticipantId,
}

async fn app() -> App {
    let market = support::market(DemoSizes { suppliers: 10, purchasers: 10, variants: 1 }).await;
    let state = market.app_state(3);
    App {
        router: http::router(state.clone()),
        state,
        runtime: market.runtime,
        operator: market.province.operator,
        supplier: market.province.suppliers[0],
        purchaser: market.province.purchasers[0].id,
    }
}

impl App {
    fn token(&self, participant: ParticipantId) -> String {
        let actor = demo_user(participant);
        self.state.tokens.issue(actor.user, actor.participant).0
    }

    async fn call(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// As the operator; the created thing's field `key`, once reads see it.
    async fn create(&self, uri: &str, body: Value, key: &str) -> Value {
        let (status, reply) = self.call(&self.token(self.operator), "POST", uri, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{uri}: {reply}");
        self.seen(&reply).await;
        reply["created"][key].clone()
    }

    /// Waits until reads (sessions, logins, lists) have reached the write that answered `reply`.
    async fn seen(&self, reply: &Value) {
        let seq = engine::types::Seq(reply["seq"].as_u64().expect("a sequence"));
        self.state.replica.caught_up(seq).await;
    }
}

fn credit_code(serial: u32) -> String {
    let first17 = format!("91330100MA{serial:07}");
    let check =
        CreditCode::check_char(first17.as_bytes()).map(char::from).expect("check character");
    format!("{first17}{check}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centre_registers_a_supplier_and_a_unit_and_the_unit_orders_from_it() {
    let app = app().await;
    let region = "330106";
    let category = app
        .create(
            "/api/v1/categories",
            json!({ "code": "A02010199", "name": "其他计算机", "parent": "A02010100" }),
            "category",
        )
        .await;
    assert_eq!(category, "A02010199");
    let product = app
        .create(
            "/api/v1/products",
            json!({ "sku": "REF-1", "category": "A02010199", "brand": "浙芯", "model": "ZX-1",
                    "spec": "8 核 / 16 GB", "unit": "台", "scale": 0 }),
            "product",
        )
        .await;
    let supplier = app
        .create(
            "/api/v1/participants",
            json!({ "kind": "supplier", "name": "杭州浙芯科技有限公司", "credit_code": credit_code(4242), "size": "small" }),
            "participant",
        )
        .await;
    let unit = app
        .create(
            "/api/v1/participants",
            json!({ "kind": "purchaser", "name": "杭州市西湖区测试学校", "region": region }),
            "participant",
        )
        .await;
    let agreement = app
        .create(
            "/api/v1/agreements",
            json!({ "supplier": supplier, "product": product, "regions": ["330100"], "ceiling": "5000.00",
                    "valid_from": "2026-01-01", "valid_to": "2026-12-31", "stock": "5" }),
            "agreement",
        )
        .await;
    let line = app
        .create(
            "/api/v1/budgets",
            json!({ "purchaser": unit, "fiscal_year": 2026, "project": "教学设备", "line_code": "302-01", "amount": "20000.00" }),
            "line",
        )
        .await;
    for (participant, login) in [(&supplier, "zhexin"), (&unit, "xihu-school")] {
        app.create(
            "/api/v1/users",
            json!({ "participant": participant, "login": login, "password": "correct horse" }),
            "user",
        )
        .await;
    }

    // The new accounts log in with their own passwords.
    let login = |login: &str| json!({ "login": login, "password": "correct horse" });
    let (_, s) = app.call("", "POST", "/api/v1/login", Some(login("zhexin"))).await;
    let supplier_token = s["token"].as_str().expect("a token").to_string();
    let (_, u) = app.call("", "POST", "/api/v1/login", Some(login("xihu-school"))).await;
    let unit_token = u["token"].as_str().expect("a token").to_string();

    let (status, mine) = app.call(&supplier_token, "GET", "/api/v1/agreements", None).await;
    assert_eq!((status, mine["total"].as_u64()), (StatusCode::OK, Some(1)), "{mine}");
    assert_eq!(mine["items"][0]["stock"], "5");
    let stock = format!("/api/v1/agreements/{agreement}/stock");
    let (status, _) =
        app.call(&supplier_token, "POST", &stock, Some(json!({ "stock": "3" }))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .call(
            &supplier_token,
            "POST",
            "/api/v1/offers",
            Some(json!({ "agreement": agreement, "price": "4800.00" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let order = json!({ "product": product, "quantity": "2", "budget_line": line });
    let (status, filled) = app.call(&unit_token, "POST", "/api/v1/orders", Some(order)).await;
    assert_eq!(status, StatusCode::CREATED, "{filled}");
    assert_eq!(filled["order"]["amount"], "9600.00");

    // A budget adjustment below what is spoken for is refused by the ledger's rule (B-1).
    let adjust = format!("/api/v1/budgets/{line}/adjust");
    let operator = app.token(app.operator);
    let (status, refused) = app
        .call(&operator, "POST", &adjust, Some(json!({ "allocated": "100.00", "reason": "追减" })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, _) = app
        .call(
            &operator,
            "POST",
            &adjust,
            Some(json!({ "allocated": "30000.00", "reason": "追加" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Suspended, the supplier is refused at once, and reinstated it trades again.
    for (step, expected) in [("suspend", StatusCode::FORBIDDEN), ("reinstate", StatusCode::OK)] {
        let uri = format!("/api/v1/suppliers/{supplier}/{step}");
        let (status, done) =
            app.call(&operator, "POST", &uri, Some(json!({ "reason": "违规调查" }))).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        app.seen(&done).await;
        let (status, _) = app.call(&supplier_token, "GET", "/api/v1/agreements", None).await;
        assert_eq!(status, expected, "after {step}");
    }
    app.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_centre_writes_reference_data_and_bad_input_gets_a_clear_error() {
    let app = app().await;
    let operator = app.token(app.operator);
    let region = json!({ "code": "330199", "name": "测试区", "parent": "330100" });
    for who in [app.supplier, app.purchaser] {
        let (status, _) =
            app.call(&app.token(who), "POST", "/api/v1/regions", Some(region.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.call(&app.token(who), "GET", "/api/v1/participants", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = app.call(&app.token(app.purchaser), "GET", "/api/v1/agreements", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let cases = [
        ("/api/v1/regions", json!({ "code": "33", "name": "x", "parent": null }), "invalid_input"),
        (
            "/api/v1/participants",
            json!({ "kind": "supplier", "name": "某公司", "credit_code": "91330100MA0000000X" }),
            "invalid_input",
        ),
        ("/api/v1/participants", json!({ "kind": "wizard", "name": "某公司" }), "invalid_input"),
        // S-1: a supplier declares its size at registration; only a supplier has one.
        (
            "/api/v1/participants",
            json!({ "kind": "supplier", "name": "某公司", "credit_code": credit_code(4343) }),
            "invalid_input",
        ),
        (
            "/api/v1/participants",
            json!({ "kind": "purchaser", "name": "某单位", "region": "330100", "size": "small" }),
            "invalid_input",
        ),
        (
            "/api/v1/agreements",
            json!({ "supplier": app.supplier.0, "product": 1, "regions": ["330100"], "ceiling": "1.00", "valid_from": "2026-13-01", "valid_to": "2026-12-31" }),
            "invalid_input",
        ),
        (
            "/api/v1/users",
            json!({ "participant": app.supplier.0, "login": "short", "password": "short" }),
            "invalid_input",
        ),
        (
            "/api/v1/users",
            json!({ "participant": app.supplier.0, "login": "centre", "password": "long enough password" }),
            "already_exists",
        ),
        (
            "/api/v1/direct-order-limits",
            json!({ "region": "330100", "category": "A02", "limit": "-5.00" }),
            "invalid_input",
        ),
        (
            "/api/v1/affiliation-groups",
            json!({ "members": [app.supplier.0], "basis": "friendship" }),
            "invalid_input",
        ),
        (
            "/api/v1/regions",
            json!({ "code": "330199", "name": "x", "colour": "red" }),
            "invalid_input",
        ),
        ("/api/v1/calendar", json!({ "year": 2026, "holidays": ["2026-10-32"] }), "invalid_input"),
        ("/api/v1/calendar", json!({ "year": 2026, "holidays": ["2027-01-01"] }), "invalid_input"),
        (
            "/api/v1/calendar",
            json!({ "year": 2026, "holidays": [], "notice_working_days": 999 }),
            "invalid_input",
        ),
    ];
    for (uri, body, code) in cases {
        let (status, reply) = app.call(&operator, "POST", uri, Some(body.clone())).await;
        assert!(status.is_client_error(), "{uri} {body}: {status} {reply}");
        assert_eq!(reply["error"]["code"], code, "{uri} {body}: {reply}");
    }
    let (status, regions) = app.call(&operator, "GET", "/api/v1/regions?per_page=200", None).await;
    assert_eq!((status, regions["total"].as_u64()), (StatusCode::OK, Some(102)));
    app.runtime.shutdown().await.expect("shutdown");
}

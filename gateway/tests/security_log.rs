//! The security log (U-7) and tiered reading (U-3): logins, refusals and account and operator
//! actions are recorded with user, address and time; an operator reads its region's entries and
//! those below, the province's operators everything.

mod support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::types::{ParticipantId, RegionCode, UserId};
use gateway::demo::{DemoSizes, demo_user};
use gateway::http::{self, AppState};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const HANGZHOU: &str = "330100";
const NINGBO: &str = "330200";

struct App {
    router: Router,
    state: AppState,
    _runtime: gateway::runtime::Runtime,
    centre: ParticipantId,
    province: gateway::demo::DemoProvince,
}

async fn app() -> App {
    let market = support::market(DemoSizes { suppliers: 6, purchasers: 40, variants: 1 }).await;
    let state = market.app_state(5);
    App {
        router: http::router(state.clone()),
        state,
        _runtime: market.runtime,
        centre: market.province.operator,
        province: market.province,
    }
}

impl App {
    fn token_of(&self, user: UserId, participant: ParticipantId) -> String {
        self.state.tokens.issue(user, participant).0
    }

    fn token(&self, participant: ParticipantId) -> String {
        let actor = demo_user(participant);
        self.token_of(actor.user, actor.participant)
    }

    async fn call(
        &self,
        token: Option<&str>,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// A purchasing unit of the demo within `city`, and its login name.
    fn unit_in(&self, city: &str) -> (ParticipantId, String) {
        let city: RegionCode = city.parse().expect("a region");
        let (found, _) = self.state.replica.read(|engine| {
            self.province.purchasers.iter().find_map(|p| {
                let chain = engine.region(p.region)?.chain;
                let user = engine.user(demo_user(p.id).user)?;
                chain.contains(city).then(|| (p.id, user.login.clone()))
            })
        });
        found.expect("a unit in the city")
    }

    /// An operator of `city`, registered by the centre, with a token.
    async fn city_operator(&self, city: &str) -> String {
        let centre = self.token(self.centre);
        let body =
            json!({ "kind": "operator", "name": format!("{city} 政府采购中心"), "region": city });
        let (status, reply) =
            self.call(Some(&centre), "POST", "/api/v1/participants", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        let participant = ParticipantId(reply["created"]["participant"].as_u64().expect("an id"));
        let body = json!({ "participant": participant.0, "login": format!("op{city}"), "password": "a long enough passphrase 7" });
        let (status, reply) = self.call(Some(&centre), "POST", "/api/v1/users", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        self.state.replica.caught_up(engine::types::Seq(reply["seq"].as_u64().expect("seq"))).await;
        let user = UserId(reply["created"]["user"].as_u64().expect("a user"));
        self.token_of(user, participant)
    }

    async fn log(&self, token: &str, query: &str) -> Vec<Value> {
        self.state.security.flushed().await;
        let (status, reply) =
            self.call(Some(token), "GET", &format!("/api/v1/security-events{query}"), None).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        reply["events"].as_array().expect("events").clone()
    }
}

fn has(events: &[Value], kind: &str, pick: impl Fn(&Value) -> bool) -> bool {
    events.iter().any(|e| e["kind"] == kind && pick(e))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u7_logins_refusals_and_account_and_operator_actions_are_on_the_record() {
    let app = app().await;
    let (unit, login) = app.unit_in(HANGZHOU);
    let wrong = json!({ "login": login, "password": "not the password" });
    let (status, _) = app.call(None, "POST", "/api/v1/login", Some(wrong)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let nobody = json!({ "login": "nobody.at.all", "password": "whatever it is" });
    app.call(None, "POST", "/api/v1/login", Some(nobody)).await;
    // A unit asking for what only regulators read; a request with a forged token.
    let (status, _) = app.call(Some(&app.token(unit)), "GET", "/api/v1/reconciliation", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.call(Some("forged.token"), "GET", "/api/v1/trades", None).await;
    // The centre opens an operator and its account: an operator action and an account action.
    app.city_operator(HANGZHOU).await;
    // A logout.
    app.call(Some(&app.token(unit)), "POST", "/api/v1/logout", None).await;

    let events = app.log(&app.token(app.centre), "?limit=200").await;
    let unit_id = json!(unit.0);
    assert!(has(&events, "login_failed", |e| e["login"] == login.as_str()
        && e["participant"] == unit_id
        && e["region"].as_str().is_some_and(|r| r.starts_with("3301"))
        && e["code"] == "bad_credentials"
        && e["address"] == "unknown"
        && e["at_ms"].as_i64() > Some(0)));
    assert!(has(&events, "login_failed", |e| e["login"] == "nobody.at.all" && e["user"].is_null()));
    assert!(has(&events, "refused", |e| e["participant"] == unit_id
        && e["path"] == "/api/v1/reconciliation"
        && e["status"] == 403));
    assert!(has(&events, "refused", |e| e["status"] == 401 && e["path"] == "/api/v1/trades"));
    assert!(has(&events, "operator_action", |e| e["action"] == "RegisterParticipant"
        && e["participant"] == json!(app.centre.0)
        && e["status"] == 201));
    assert!(has(&events, "account_action", |e| e["action"] == "RegisterUser"
        && e["region"] == HANGZHOU));
    assert!(has(&events, "logout", |e| e["participant"] == unit_id));
    // Newest first, numbered, and paged.
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().expect("an id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let first = app.log(&app.token(app.centre), "?limit=2").await;
    let before = first[1]["id"].as_i64().expect("an id");
    let next = app.log(&app.token(app.centre), &format!("?limit=2&before={before}")).await;
    assert!(next[0]["id"].as_i64() < Some(before));
    let failed = app.log(&app.token(app.centre), "?kind=login_failed").await;
    assert!(failed.iter().all(|e| e["kind"] == "login_failed") && failed.len() == 2);

    // Only operators read it, and bad queries get a code.
    let (status, _) =
        app.call(Some(&app.token(unit)), "GET", "/api/v1/security-events", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let centre = app.token(app.centre);
    let (status, reply) =
        app.call(Some(&centre), "GET", "/api/v1/security-events?kind=nonsense", None).await;
    assert_eq!(
        (status, reply["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, _) =
        app.call(Some(&centre), "GET", "/api/v1/security-events?limit=100000", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u3_regulators_and_operators_read_their_region_only() {
    let app = app().await;
    let hangzhou = app.city_operator(HANGZHOU).await;
    let (_, hangzhou_login) = app.unit_in(HANGZHOU);
    let (ningbo_unit, ningbo_login) = app.unit_in(NINGBO);
    for login in [&hangzhou_login, &ningbo_login, &"nobody.at.all".to_owned()] {
        let wrong = json!({ "login": login, "password": "not the password" });
        app.call(None, "POST", "/api/v1/login", Some(wrong)).await;
    }
    let events = app.log(&hangzhou, "?kind=login_failed").await;
    let logins: Vec<&str> = events.iter().filter_map(|e| e["login"].as_str()).collect();
    assert_eq!(logins, [hangzhou_login.as_str()], "a city's operator reads its own region's only");
    let all = app.log(&app.token(app.centre), "?kind=login_failed").await;
    assert_eq!(all.len(), 3, "the province's operators read everything");

    // Acting outside its region is refused with the rule, and that refusal is on its record.
    let body = json!({ "purchaser": ningbo_unit.0, "fiscal_year": 2026, "project": "追加", "line_code": "X-1", "amount": "100.00" });
    let (status, reply) = app.call(Some(&hangzhou), "POST", "/api/v1/budgets", Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
    assert_eq!(
        (reply["error"]["code"].as_str(), reply["error"]["rule"].as_str()),
        (Some("outside_region"), Some("U-3"))
    );
    let own = app.log(&hangzhou, "?kind=operator_action").await;
    assert!(has(&own, "operator_action", |e| e["action"] == "AllocateBudget"
        && e["code"] == "outside_region"));

    // Trades: a city's operator sees its region's only.
    let (status, reply) =
        app.call(Some(&hangzhou), "GET", "/api/v1/trades?per_page=200", None).await;
    assert_eq!(status, StatusCode::OK);
    let (regions, _) = app.state.replica.read(|engine| {
        let city: RegionCode = HANGZHOU.parse().expect("a region");
        reply["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|t| {
                let code: RegionCode =
                    t["region"].as_str().expect("a region").parse().expect("a code");
                engine.region(code).is_some_and(|r| r.chain.contains(city))
            })
            .collect::<Vec<_>>()
    });
    assert!(regions.iter().all(|inside| *inside), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u7_entries_are_kept_their_time_and_then_forgotten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("market.db").display());
    let db = gateway::persist::Database::connect(&url).await.expect("database");
    let store = gateway::audit::Store::Database(db.clone());
    let day = 86_400_000;
    let now = gateway::audit::now_ms();
    let entry = |age_days: i64, login: &str| gateway::audit::Entry {
        at_ms: now - age_days * day,
        kind: gateway::audit::Kind::LoginFailed,
        login: Some(login.into()),
        user: None,
        participant: None,
        region_path: String::new(),
        address: "127.0.0.1".into(),
        method: "POST".into(),
        path: "/api/v1/login".into(),
        status: 401,
        code: Some("bad_credentials".into()),
        action: None,
        request_id: None,
    };
    let entries = [entry(gateway::audit::KEEP_DAYS + 1, "old"), entry(1, "recent")];
    store.write(&entries).await.expect("written");
    let page = gateway::audit::Page { limit: 10, ..Default::default() };
    let kept = || async { store.read(&page).await.expect("read").expect("kept") };
    assert_eq!(kept().await.len(), 2);
    let forgotten = store.prune(now - gateway::audit::KEEP_DAYS * day).await.expect("prune");
    assert_eq!(forgotten, 1);
    let logins: Vec<_> = kept().await.into_iter().filter_map(|s| s.entry.login).collect();
    assert_eq!(logins, ["recent"]);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn u7_a_security_log_that_cannot_write_is_reported_by_readiness() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("market.db").display());
    let db = gateway::persist::Database::connect(&url).await.expect("database");
    let log = gateway::audit::SecurityLog::start(gateway::audit::Store::Database(db.clone()));
    db.close().await;
    let app = app().await;
    let mut state = app.state.clone();
    state.security = log.clone();
    let router = http::router(state);
    let wrong = json!({ "login": "nobody.at.all", "password": "not the password" });
    let request = Request::post("/api/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(wrong.to_string()))
        .expect("request");
    router.clone().oneshot(request).await.expect("response");
    let mut problem = log.problem();
    tokio::time::timeout(std::time::Duration::from_secs(30), problem.wait_for(Option::is_some))
        .await
        .expect("the failed write is noticed")
        .expect("the writer runs");
    let request = Request::get("/ready").body(Body::empty()).expect("request");
    let response = router.oneshot(request).await.expect("response");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let ready: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(ready["security_log"]["ok"], false, "{ready}");
    assert!(ready["security_log"]["error"].as_str().is_some_and(|e| !e.is_empty()), "{ready}");
}

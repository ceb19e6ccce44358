//! Prices and early warnings through the gateway (P-1 to P-5): trades become candles on the feed
//! and over REST; orders split under the direct-order limit raise exactly one alert, pushed live
//! to the provincial supervisor; and analytics rebuilt from the engine, as at a restart, equal the
//! live ones.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::direct::OrderRequest;
use engine::types::{Amount, ParticipantId, Quantity, RegionCode, Seq};
use engine::{Action, Command, Event};
use futures_util::{SinkExt, StreamExt};
use gateway::demo::{DemoSizes, demo_user};
use gateway::http::{self, AppState};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn get(state: &AppState, who: ParticipantId, uri: &str) -> (StatusCode, Value) {
    let actor = demo_user(who);
    let token = state.tokens.issue(actor.user, actor.participant).0;
    let request = Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let response = http::router(state.clone()).oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn socket(
    state: &AppState,
    address: std::net::SocketAddr,
    who: ParticipantId,
    topic: &str,
) -> Socket {
    let session = gateway::auth::Session::of(&state.replica, demo_user(who)).expect("a session");
    let ticket = state.hub.as_ref().expect("hub").issue_ticket(session).await.expect("ticket");
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{address}/api/v1/ws?ticket={ticket}"))
            .await
            .expect("the socket opens");
    let subscribe = json!({ "op": "subscribe", "topic": topic });
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("sent");
    assert_eq!(next(&mut socket).await["type"], "subscribed", "{topic}");
    socket
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s");
        if let Message::Text(text) = frame.expect("open").expect("a frame") {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trades_make_candles_split_orders_raise_one_alert_and_a_rebuild_equals_the_live_desk() {
    let market = support::market(DemoSizes { suppliers: 20, purchasers: 20, variants: 1 }).await;
    let state = market.app_state(4);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(http::serve(listener, state.clone(), std::future::pending()));

    // A unit, a product with an eligible offer for it, and its best price.
    let unit = market.province.purchasers[0].clone();
    let ((product, category, best), _) = market.replica.read(|e| {
        let region = e.participant(unit.id).and_then(|p| p.region).expect("region");
        let now = e.clock();
        e.products()
            .find_map(|p| {
                let (key, _) = e.offers(p.id).find(|(k, a)| {
                    a.covers(&region)
                        && a.is_valid(now)
                        && k.price <= a.ceiling
                        && a.stock.is_none()
                })?;
                Some((p.id, p.category.category(), key.price))
            })
            .expect("a product on offer")
    });
    let limit = Amount::from_minor(
        best.times(Quantity::parse("1.5").expect("qty")).expect("amount").minor(),
    );
    let limit_set = Command::new(
        engine::types::Actor::SYSTEM,
        Action::SetDirectOrderLimit {
            region: "330000".parse().expect("region"),
            category,
            limit: Some(limit),
        },
    );
    market.runtime.handle().submit(limit_set).await.expect("limit");

    let analyst = market.province.analyst;
    let mut candles =
        socket(&state, address, unit.id, &format!("candles:product:{}:1m", product.0)).await;
    let mut alerts = socket(&state, address, analyst, "alerts:330000").await;
    // Two orders of one unit each, a minute apart: each under the limit, together over it.
    let mut last = Seq(0);
    for _ in 0..2 {
        let order = OrderRequest {
            product,
            quantity: Quantity::parse("1").expect("qty"),
            budget_line: unit.lines[0],
            supplier: None,
            limit_price: None,
            all_or_nothing: false,
        };
        let outcome = market
            .runtime
            .handle()
            .submit(Command::new(demo_user(unit.id), Action::PlaceOrder(order)))
            .await
            .expect("order");
        assert!(
            outcome.events.iter().any(|e| matches!(e.event, Event::TradeStruck(_))),
            "{:?}",
            outcome.events.last()
        );
        last = outcome.seq;
        market.clock.advance_ms(60_000);
    }
    let candle = next(&mut candles).await;
    assert_eq!(candle["event"]["trades"], 1);
    assert_eq!(candle["event"]["open"], best.to_string());
    let alert = next(&mut alerts).await;
    assert_eq!(
        (alert["event"]["rule"].as_str(), alert["event"]["code"].as_str()),
        (Some("P-4"), Some("split_purchase"))
    );
    assert_eq!(alert["seq"], last.0);

    let (status, history) = get(
        &state,
        unit.id,
        &format!(
            "/api/v1/prices/candles?product={}&interval=1m&from_ms=0&min_seq={}",
            product.0, last.0
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["items"].as_array().map(Vec::len), Some(2), "one candle a minute");
    let (status, listed) =
        get(&state, analyst, &format!("/api/v1/alerts?min_seq={}", last.0)).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["total"], 1, "exactly the expected alert and no other: {listed}");
    assert_eq!(listed["items"][0]["figures"]["limit"], limit.to_string());
    let (status, _) = get(&state, unit.id, "/api/v1/alerts").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "alerts are for those who oversee");
    let (status, index) =
        get(&state, analyst, &format!("/api/v1/prices/index?category={category}&from_ms=0")).await;
    assert_eq!(status, StatusCode::OK, "{index}");
    assert_eq!(index["items"][0]["index"], "100.00", "both trades at the base price: {index}");
    assert_eq!(index["items"][0]["trades"], 2);
    let city: RegionCode = "330100".parse().expect("region");
    let (status, _) = get(
        &state,
        unit.id,
        &format!("/api/v1/prices/reference?product={}&region={city}", product.0),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // A restart rebuilds from the engine's trades and auctions: the same analytics.
    market.prices.caught_up(last).await;
    let (rebuilt, _) = market
        .replica
        .read(|e| gateway::prices::rebuild(e, engine::analytics::Thresholds::default()));
    let (live, _) = market.prices.read(Clone::clone);
    assert_eq!(rebuilt, live);
    market.runtime.shutdown().await.expect("shutdown");
}

/// Places an order of one unit of the first product on offer to `unit`; returns its trade and its
/// supplier.
async fn one_trade(
    market: &support::Market,
    unit: &gateway::demo::DemoPurchaser,
) -> (engine::types::TradeId, ParticipantId) {
    let (product, _) = market.replica.read(|e| {
        let region = e.participant(unit.id).and_then(|p| p.region).expect("region");
        let now = e.clock();
        e.products()
            .find(|p| {
                e.offers(p.id).any(|(k, a)| {
                    a.covers(&region)
                        && a.is_valid(now)
                        && k.price <= a.ceiling
                        && a.stock.is_none()
                })
            })
            .map(|p| p.id)
            .expect("a product on offer")
    });
    let order = OrderRequest {
        product,
        quantity: Quantity::parse("1").expect("qty"),
        budget_line: unit.lines[0],
        supplier: None,
        limit_price: None,
        all_or_nothing: false,
    };
    let outcome = market
        .runtime
        .handle()
        .submit(Command::new(demo_user(unit.id), Action::PlaceOrder(order)))
        .await
        .expect("order");
    outcome
        .events
        .iter()
        .find_map(|e| match &e.event {
            Event::TradeStruck(t) => Some((t.id, t.supplier)),
            _ => None,
        })
        .expect("a trade")
}

async fn step(market: &support::Market, who: ParticipantId, action: Action) -> Seq {
    let outcome =
        market.runtime.handle().submit(Command::new(demo_user(who), action)).await.expect("step");
    assert!(
        !matches!(outcome.events.last().map(|e| &e.event), Some(Event::Rejected { .. })),
        "{:?}",
        outcome.events.last()
    );
    outcome.seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p6_a_late_payment_and_c4_a_declined_contract_each_raise_one_alert_and_a_rebuild_equals_the_live_desk()
 {
    let market = support::market(DemoSizes { suppliers: 20, purchasers: 20, variants: 1 }).await;
    let state = market.app_state(4);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(http::serve(listener, state.clone(), std::future::pending()));
    let unit = market.province.purchasers[0].clone();
    let analyst = market.province.analyst;
    let mut alerts = socket(&state, address, analyst, "alerts:330000").await;

    let (late, seller) = one_trade(&market, &unit).await;
    step(&market, seller, Action::RecordDelivery { trade: late }).await;
    step(&market, unit.id, Action::AcceptDelivery { trade: late }).await;
    // Thirty days and one minute later the deadline timer runs the payment's due date.
    market.clock.advance_ms(30 * 86_400_000 + 60_000);
    let alert = next(&mut alerts).await;
    assert_eq!(
        (alert["event"]["rule"].as_str(), alert["event"]["code"].as_str()),
        (Some("P-6"), Some("late_payment")),
        "{alert}"
    );
    assert_eq!(alert["event"]["figures"]["trade"], late.to_string());
    let (status, overdue) = get(&state, unit.id, "/api/v1/trades?overdue=true").await;
    assert_eq!(status, StatusCode::OK, "{overdue}");
    assert_eq!(overdue["total"], 1, "{overdue}");
    assert_eq!(overdue["items"][0]["overdue"], true);

    let (declined, seller) = one_trade(&market, &unit).await;
    let decline = Action::DeclineContract { trade: declined, reason: "无法供货".into() };
    let last = step(&market, seller, decline).await;
    let alert = next(&mut alerts).await;
    assert_eq!(alert["event"]["code"], "contract_declined", "{alert}");
    assert_eq!(alert["seq"], last.0);
    let (_, listed) = get(&state, analyst, &format!("/api/v1/alerts?min_seq={}", last.0)).await;
    assert_eq!(listed["total"], 2, "one alert each, no more: {listed}");

    market.prices.caught_up(last).await;
    let (rebuilt, _) = market
        .replica
        .read(|e| gateway::prices::rebuild(e, engine::analytics::Thresholds::default()));
    let (live, _) = market.prices.read(Clone::clone);
    assert_eq!(rebuilt, live);
    market.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e1_a_rating_that_takes_the_score_below_the_low_mark_and_a_second_decline_in_a_year_alert_the_operator()
 {
    let market = support::market(DemoSizes { suppliers: 20, purchasers: 20, variants: 1 }).await;
    let state = market.app_state(4);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(http::serve(listener, state.clone(), std::future::pending()));
    let unit = market.province.purchasers[0].clone();
    let analyst = market.province.analyst;
    let mut alerts = socket(&state, address, analyst, "alerts:330000").await;

    // A fair rating (3.00) is not low; a poor one takes the mean to 2.50: one alert.
    let (first, seller) = one_trade(&market, &unit).await;
    step(&market, seller, Action::RecordDelivery { trade: first }).await;
    step(&market, unit.id, Action::AcceptDelivery { trade: first }).await;
    let marks = |n| engine::evaluation::Marks { delivery: n, quality: n, service: n };
    step(
        &market,
        unit.id,
        Action::RateTrade { trade: first, marks: marks(3), comment: String::new() },
    )
    .await;
    let (second, other) = one_trade(&market, &unit).await;
    assert_eq!(other, seller, "the same supplier's best offer");
    step(&market, seller, Action::RecordDelivery { trade: second }).await;
    step(&market, unit.id, Action::AcceptDelivery { trade: second }).await;
    let rated =
        Action::RateTrade { trade: second, marks: marks(2), comment: "延迟交货".into() };
    let last = step(&market, unit.id, rated).await;
    let alert = next(&mut alerts).await;
    assert_eq!(
        (alert["event"]["rule"].as_str(), alert["event"]["code"].as_str()),
        (Some("E-1"), Some("low_score")),
        "{alert}"
    );
    assert_eq!(alert["event"]["figures"]["score"], "2.50");
    assert_eq!(alert["seq"], last.0);

    // The supplier declines two contracts: the first is a C-4 alert, the second also an E-1.
    let (one, _) = one_trade(&market, &unit).await;
    step(&market, seller, Action::DeclineContract { trade: one, reason: "无法供货".into() }).await;
    assert_eq!(next(&mut alerts).await["event"]["code"], "contract_declined");
    let (two, _) = one_trade(&market, &unit).await;
    let last =
        step(&market, seller, Action::DeclineContract { trade: two, reason: "无法供货".into() })
            .await;
    let mut codes = vec![
        next(&mut alerts).await["event"]["code"].as_str().map(String::from),
        next(&mut alerts).await["event"]["code"].as_str().map(String::from),
    ];
    codes.sort();
    assert_eq!(codes, [Some("contract_declined".into()), Some("repeated_declines".into())]);
    let (_, listed) = get(&state, analyst, &format!("/api/v1/alerts?min_seq={}", last.0)).await;
    assert_eq!(listed["total"], 4, "one low score, two declines, one repeat: {listed}");

    market.prices.caught_up(last).await;
    let (rebuilt, _) = market
        .replica
        .read(|e| gateway::prices::rebuild(e, engine::analytics::Thresholds::default()));
    let (live, _) = market.prices.read(Clone::clone);
    assert_eq!(rebuilt, live);
    market.runtime.shutdown().await.expect("shutdown");
}

//! Reverse auctions through the gateway: REST and the live room over a real WebSocket, with the
//! engine's clock set by hand and the deadline timer closing auctions. The leak test
//! records every frame and body a competing bidder and the purchaser receive before the close and
//! finds no other bidder's identity, and in `rank_only` no other bidder's price.

mod support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::types::{Amount, ParticipantId, ProductId, Timestamp};
use futures_util::{SinkExt, StreamExt};
use gateway::demo::{self, DemoSizes, demo_user};
use gateway::http::{self, AppState};
use gateway::runtime::ManualClock;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A market served on a real port, with a product that several suppliers may bid for.
struct Room {
    router: Router,
    state: AppState,
    runtime: gateway::runtime::Runtime,
    address: std::net::SocketAddr,
    clock: ManualClock,
    purchaser: ParticipantId,
    line: u64,
    product: ProductId,
    /// Suppliers holding a valid agreement for `product` covering the purchaser's region.
    bidders: Vec<ParticipantId>,
    /// Suppliers that may not bid for `product` there.
    outsiders: Vec<ParticipantId>,
    analyst: ParticipantId,
}

async fn room() -> Room {
    let market = support::market(DemoSizes { suppliers: 30, purchasers: 20, variants: 1 }).await;
    let state = market.app_state(5);
    // A product four unaffiliated suppliers may bid for, and a line that can hold its ceiling.
    let (contest, _) = market.replica.read(|engine| {
        demo::contests(engine, 4, Amount::parse("10000.00").expect("amount")).next()
    });
    let demo::Contest { purchaser, line, product, bidders } = contest.expect("a contested product");
    let outsiders =
        market.province.suppliers.iter().copied().filter(|s| !bidders.contains(s)).collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(http::serve(listener, state.clone(), std::future::pending()));
    Room {
        router: http::router(state.clone()),
        state,
        runtime: market.runtime,
        address,
        clock: market.clock,
        purchaser,
        line: line.0,
        product,
        bidders,
        outsiders,
        analyst: market.province.analyst,
    }
}

/// Everything one participant received: HTTP bodies and WebSocket frames, as text.
#[derive(Default)]
struct Received(Vec<String>);

impl Room {
    fn token(&self, participant: ParticipantId) -> String {
        let actor = demo_user(participant);
        self.state.tokens.issue(actor.user, actor.participant).0
    }

    fn now(&self) -> Timestamp {
        gateway::runtime::Clock::now(&self.clock)
    }

    async fn call(
        &self,
        who: ParticipantId,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token(who)));
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => {
                request = request.header(header::CONTENT_LENGTH, "0");
                request.body(Body::empty())
            }
        }
        .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    }

    /// As [`Self::call`], keeping the body in `log`.
    async fn recorded(
        &self,
        log: &mut Received,
        who: ParticipantId,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, value, text) = self.call(who, method, uri, body).await;
        log.0.push(text);
        (status, value)
    }

    async fn open_auction(&self, terms: Value) -> u64 {
        let mut body = json!({
            "product": self.product.0, "quantity": "2", "budget_line": self.line,
            "ceiling": "5000.00", "duration_seconds": 600, "min_step": "10.00",
            "soft_close_seconds": 60, "extension_seconds": 60, "max_extension_seconds": 120,
        });
        for (key, value) in terms.as_object().expect("terms") {
            body[key] = value.clone();
        }
        let (status, reply, _) =
            self.call(self.purchaser, "POST", "/api/v1/auctions", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
        reply["auction"]["auction"].as_u64().expect("id")
    }

    async fn bid(&self, log: &mut Received, bidder: ParticipantId, id: u64, price: &str) -> Value {
        let uri = format!("/api/v1/auctions/{id}/bids");
        let (status, reply) =
            self.recorded(log, bidder, "POST", &uri, Some(json!({ "price": price }))).await;
        assert_eq!(status, StatusCode::CREATED, "{price}: {reply}");
        reply
    }

    async fn socket(&self, who: ParticipantId) -> Socket {
        let actor = demo_user(who);
        let ((role, region), _) = self.state.replica.read(|e| {
            let p = e.participant(who).expect("participant");
            (p.kind, p.region)
        });
        let session = gateway::auth::Session { actor, role, region };
        let ticket =
            self.state.hub.as_ref().expect("hub").issue_ticket(session).await.expect("a ticket");
        let url = format!("ws://{}/api/v1/ws?ticket={ticket}", self.address);
        tokio_tungstenite::connect_async(url).await.expect("the socket opens").0
    }

    fn names(&self, who: ParticipantId) -> Vec<String> {
        self.state
            .replica
            .read(|e| {
                let p = e.participant(who).expect("participant");
                let mut names = vec![p.name.clone()];
                names.extend(p.credit_code.map(|c| c.to_string()));
                names.extend(e.users().filter(|u| u.participant == who).map(|u| u.login.clone()));
                names
            })
            .0
    }
}

/// Subscribes to an auction's room and returns the socket.
async fn enter(room: &Room, who: ParticipantId, id: u64, log: &mut Received) -> Socket {
    let mut socket = room.socket(who).await;
    let subscribe = json!({ "op": "subscribe", "topic": format!("auction:{id}") });
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("sent");
    let first = next_frame(&mut socket, log).await;
    assert!(matches!(first["type"].as_str(), Some("subscribed" | "snapshot")), "{first}");
    socket
}

/// The next text frame, kept in `log`.
async fn next_frame(socket: &mut Socket, log: &mut Received) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            log.0.push(text.to_string());
            return serde_json::from_str(&text).expect("json");
        }
    }
}

/// Reads frames until one matches `pick`, keeping every frame in `log`.
async fn until(socket: &mut Socket, log: &mut Received, pick: impl Fn(&Value) -> bool) -> Value {
    loop {
        let frame = next_frame(socket, log).await;
        if pick(&frame) {
            return frame;
        }
    }
}

fn event_kind(frame: &Value) -> &str {
    frame["event"]["kind"].as_str().or(frame["state"]["kind"].as_str()).unwrap_or("")
}

/// Every value in a JSON document under a key that names a participant.
fn named_participants(value: &Value, found: &mut Vec<u64>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let names_one =
                    matches!(key.as_str(), "supplier" | "bidder" | "winner" | "participant");
                if names_one && let Some(id) = inner.as_u64() {
                    found.push(id);
                }
                named_participants(inner, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| named_participants(i, found)),
        _ => {}
    }
}

/// Asserts that nothing in `log` names any of `others` or shows any of `prices`.
fn assert_no_leak(log: &Received, room: &Room, others: &[ParticipantId], prices: &[&str]) {
    assert!(!log.0.is_empty());
    for text in &log.0 {
        for other in others {
            for name in room.names(*other) {
                assert!(!text.contains(&name), "{name} of bidder {} leaked in {text}", other.0);
            }
        }
        let mut ids = Vec::new();
        named_participants(&serde_json::from_str(text).unwrap_or(Value::Null), &mut ids);
        for other in others {
            assert!(!ids.contains(&other.0), "bidder {} named in {text}", other.0);
        }
        for price in prices {
            assert!(!text.contains(price), "price {price} leaked in {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_auction_runs_from_opening_to_award_with_an_extension_and_leaks_nothing() {
    let room = room().await;
    let opened_at = room.now();
    let id = room.open_auction(json!({ "disclosure": "rank_only" })).await;
    let [a, b, c, ..] = room.bidders[..] else { panic!("four bidders") };
    let (mut log_a, mut log_b, mut log_p) =
        (Received::default(), Received::default(), Received::default());
    let mut socket_a = enter(&room, a, id, &mut log_a).await;
    let mut socket_b = enter(&room, b, id, &mut log_b).await;
    let mut socket_p = enter(&room, room.purchaser, id, &mut log_p).await;

    room.bid(&mut log_a, a, id, "4888.89").await;
    let mine = room.bid(&mut log_b, b, id, "4777.71").await;
    assert_eq!(mine["auction"]["mine"]["rank"], 1, "{mine}");
    let mut log_c = Received::default();
    room.bid(&mut log_c, c, id, "4666.63").await;
    // B learns it has lost the lead, and nothing else.
    let standing = until(&mut socket_b, &mut log_b, |f| {
        event_kind(f) == "standing" && f["event"]["bidders"] == 3
    })
    .await;
    assert_eq!(standing["event"]["rank"], 2);
    assert_eq!(standing["event"]["my_price"], "4777.71");

    // Thirty seconds before the end A bids again: the end moves to a minute after its bid.
    room.clock.set(opened_at.plus_ms(570_000));
    let last = room.bid(&mut log_a, a, id, "4555.57").await;
    assert_eq!(last["auction"]["mine"]["rank"], 1);
    let extended = until(&mut socket_b, &mut log_b, |f| f["event"]["extended"] == true).await;
    let end = extended["event"]["end_ms"].as_i64().expect("end");
    assert_eq!(end, opened_at.plus_ms(630_000).ms());
    let ranking = until(&mut socket_p, &mut log_p, |f| {
        let ranking = &f["event"]["ranking"];
        event_kind(f) == "ranking" && ranking[2].is_object() && ranking[0]["label"] == "竞价人1"
    })
    .await;
    assert_eq!(ranking["event"]["ranking"].as_array().map(Vec::len), Some(3));

    // What B and the purchaser saw over REST while the auction ran.
    let uri = format!("/api/v1/auctions/{id}");
    let (status, view) = room.recorded(&mut log_b, b, "GET", &uri, None).await;
    assert_eq!((status, view["mine"]["rank"].as_u64()), (StatusCode::OK, Some(3)));
    assert!(view.get("best_price").is_none(), "rank_only shows no best price");
    room.recorded(&mut log_b, b, "GET", "/api/v1/auctions", None).await;
    let (_, view) = room.recorded(&mut log_p, room.purchaser, "GET", &uri, None).await;
    assert_eq!(view["bidders"], 3);
    let results = format!("/api/v1/auctions/{id}/results");
    let (status, refused) = room.recorded(&mut log_p, room.purchaser, "GET", &results, None).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("results_not_published"))
    );

    // Nothing B or the purchaser received names another bidder or shows another's price.
    assert_no_leak(&log_b, &room, &[a, c], &["4888.89", "4666.63", "4555.57"]);
    assert_no_leak(&log_p, &room, &[a, b, c], &["4888.89", "4777.71", "4666.63", "4555.57"]);
    assert_no_leak(&log_a, &room, &[b, c], &["4777.71", "4666.63"]);

    // The clock passes the extended end: the timer ticks, A wins, the results name everyone.
    room.clock.set(Timestamp(end));
    let closed = until(&mut socket_b, &mut log_b, |f| event_kind(f) == "results").await;
    assert_eq!(closed["event"]["state"], "awarded");
    assert_eq!(closed["event"]["winner"]["supplier"], a.0);
    assert_eq!(closed["event"]["winner"]["price"], "4555.57");
    assert_eq!(closed["event"]["bids"].as_array().map(Vec::len), Some(4));
    until(&mut socket_a, &mut log_a, |f| event_kind(f) == "results").await;
    // The feed and the replica follow the journal apart: read as of the close.
    let as_of = format!("?min_seq={}", closed["seq"]);
    let (status, published, _) =
        room.call(room.analyst, "GET", &format!("{results}{as_of}"), None).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["ranking"][1]["supplier"], c.0);
    assert_eq!(published["ranking"][2]["name"], room.names(b)[0]);

    // The trade is struck at the winning price; the rest of the hold is released (B-3).
    let (_, trades, _) = room.call(a, "GET", &format!("/api/v1/trades{as_of}"), None).await;
    assert_eq!(trades["items"][0]["mode"], "auction", "{trades}");
    assert_eq!(trades["items"][0]["amount"], "9111.14");
    let (held, committed) = room
        .state
        .replica
        .read(|e| {
            let line = e.budget_line(engine::types::BudgetLineId(room.line)).expect("line");
            (line.balance.held, line.balance.committed)
        })
        .0;
    assert_eq!(held, Amount::ZERO);
    assert_eq!(committed, Amount::parse("9111.14").expect("amount"));
    room.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn best_price_mode_shows_the_best_price_and_labelled_prices_but_no_names() {
    let room = room().await;
    let id = room.open_auction(json!({ "disclosure": "best_price", "must_beat_best": true })).await;
    let [a, b, ..] = room.bidders[..] else { panic!("bidders") };
    let (mut log_b, mut log_p, mut log_a) =
        (Received::default(), Received::default(), Received::default());
    let mut socket_b = enter(&room, b, id, &mut log_b).await;
    room.bid(&mut log_a, a, id, "4900.00").await;
    let public = until(&mut socket_b, &mut log_b, |f| f["event"]["best_price"] == "4900.00").await;
    assert_eq!(public["event"]["bidders"], 1);
    // must_beat_best: B must undercut A's best by a step.
    let (status, refused) = room
        .recorded(
            &mut log_b,
            b,
            "POST",
            &format!("/api/v1/auctions/{id}/bids"),
            Some(json!({ "price": "4895.00" })),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("A-2"))
    );
    room.bid(&mut log_b, b, id, "4890.00").await;
    let (_, view) = room
        .recorded(&mut log_p, room.purchaser, "GET", &format!("/api/v1/auctions/{id}"), None)
        .await;
    assert_eq!(view["ranking"][0], json!({ "rank": 1, "label": "竞价人2", "price": "4890.00" }));
    assert_no_leak(&log_b, &room, &[a], &[]);
    assert_no_leak(&log_p, &room, &[a, b], &[]);
    room.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bid_one_millisecond_after_the_close_is_refused_and_too_few_bidders_fail_the_auction() {
    let room = room().await;
    let opened_at = room.now();
    let id = room
        .open_auction(
            json!({ "soft_close_seconds": 0, "extension_seconds": 0, "max_extension_seconds": 0 }),
        )
        .await;
    let [a, b, c, ..] = room.bidders[..] else { panic!("bidders") };
    let mut log = Received::default();
    let mut watcher = enter(&room, room.analyst, id, &mut log).await;
    room.bid(&mut log, a, id, "4990.00").await;
    // A millisecond before the end is in time, and with no soft close it extends nothing.
    room.clock.set(opened_at.plus_ms(599_999));
    room.bid(&mut log, b, id, "4980.00").await;
    room.clock.set(opened_at.plus_ms(600_001));
    let uri = format!("/api/v1/auctions/{id}/bids");
    let (status, late, _) = room.call(c, "POST", &uri, Some(json!({ "price": "4000.00" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{late}");
    assert_eq!(late["error"]["code"], "auction_not_open");
    assert_eq!(late["error"]["rule"], "A-2");

    // Two bidders of the three required: the auction fails and the whole hold is released.
    let closed = until(&mut watcher, &mut log, |f| event_kind(f) == "results").await;
    assert_eq!(closed["event"]["state"], "failed");
    assert!(closed["event"]["winner"].is_null());
    let as_of = format!("?min_seq={}", closed["seq"]);
    let budgets = format!("/api/v1/budgets{as_of}");
    let (_, budgets, _) = room.call(room.purchaser, "GET", &budgets, None).await;
    let line = budgets["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["id"] == room.line)
        .expect("the line")
        .clone();
    assert_eq!(line["held"], "0.00", "{line}");
    let (_, trades, _) = room.call(a, "GET", "/api/v1/trades", None).await;
    assert_eq!(trades["total"], 0);
    room.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_purchaser_eligible_suppliers_and_overseers_enter_the_room() {
    let room = room().await;
    let id = room.open_auction(json!({})).await;
    let outsider = room.outsiders[0];
    let other_unit = room
        .state
        .replica
        .read(|e| {
            e.participants()
                .find(|p| {
                    p.kind == engine::catalog::ParticipantKind::Purchaser && p.id != room.purchaser
                })
                .map(|p| p.id)
        })
        .0
        .expect("another unit");
    let uri = format!("/api/v1/auctions/{id}");
    for (who, expected) in [
        (room.purchaser, StatusCode::OK),
        (room.bidders[0], StatusCode::OK),
        (room.analyst, StatusCode::OK),
        (other_unit, StatusCode::FORBIDDEN),
    ] {
        let (status, body, _) = room.call(who, "GET", &uri, None).await;
        assert_eq!(status, expected, "participant {}: {body}", who.0);
    }
    let (status, body, _) = room
        .call(outsider, "POST", &format!("{uri}/bids"), Some(json!({ "price": "4000.00" })))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_eligible"))
    );
    let terms = json!({ "product": room.product.0, "quantity": "1", "budget_line": room.line,
        "ceiling": "100.00", "duration_seconds": 600, "min_step": "1.00" });
    let (status, _, _) = room.call(room.bidders[0], "POST", "/api/v1/auctions", Some(terms)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only purchasing units open auctions");
    let (status, _, _) = room
        .call(room.analyst, "POST", &format!("{uri}/bids"), Some(json!({ "price": "4000.00" })))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut log = Received::default();
    let mut socket = room.socket(outsider).await;
    let subscribe = json!({ "op": "subscribe", "topic": format!("auction:{id}") });
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("sent");
    let refused = next_frame(&mut socket, &mut log).await;
    assert_eq!(refused["code"], "not_permitted");
    let private =
        json!({ "op": "subscribe", "topic": format!("auction:{id}/bidder:{}", room.bidders[0].0) });
    socket.send(Message::Text(private.to_string().into())).await.expect("sent");
    assert_eq!(next_frame(&mut socket, &mut log).await["code"], "not_permitted");
    // The purchaser may cancel before the first bid; the hold goes back (A-7, B-3).
    let (status, cancelled, _) =
        room.call(room.purchaser, "POST", &format!("{uri}/cancel"), None).await;
    assert_eq!(
        (status, cancelled["auction"]["state"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    room.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_auction_terms_get_a_clear_error() {
    let room = room().await;
    let base = json!({ "product": room.product.0, "quantity": "1", "budget_line": room.line,
        "ceiling": "100.00", "duration_seconds": 600, "min_step": "1.00" });
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = base.clone();
        body.as_object_mut().expect("object").remove(key);
        body
    };
    let cases = [
        (with("min_step_percent", json!("0.5")), "invalid_input"),
        (without("min_step"), "invalid_input"),
        (with("ends_ms", json!(1)), "invalid_input"),
        (with("soft_close_seconds", json!(-1)), "invalid_input"),
        (with("duration_seconds", json!(i64::MAX)), "invalid_input"),
        (with("disclosure", json!("everything")), "invalid_input"),
        (with("ceiling", json!("1e3")), "invalid_input"),
        (with("ceilng", json!("100.00")), "invalid_input"),
        (with("min_step", json!("100.00")), "invalid_input"),
        (with("min_bidders", json!(0)), "invalid_input"),
        (with("quantity", json!("-1")), "invalid_input"),
        (with("ceiling", json!("99999999999.00")), "budget_short"),
        (with("duration_seconds", json!(0)), "invalid_input"),
        (with("must_beat_best", json!(true)), "must_beat_best_hidden"),
    ];
    for (body, expected) in cases {
        let (status, reply, _) =
            room.call(room.purchaser, "POST", "/api/v1/auctions", Some(body.clone())).await;
        assert!(status.is_client_error(), "{body} got {status}: {reply}");
        assert_eq!(reply["error"]["code"], expected, "{body}: {reply}");
    }
    let mut percent = without("min_step");
    percent["min_step_percent"] = json!("0.5");
    let (status, reply, _) =
        room.call(room.purchaser, "POST", "/api/v1/auctions", Some(percent)).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["auction"]["step"], "0.50");
    for bad in ["/api/v1/auctions/x", "/api/v1/auctions?state=done"] {
        let (status, reply, _) = room.call(room.purchaser, "GET", bad, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {reply}");
    }
    let (status, _, _) = room.call(room.purchaser, "GET", "/api/v1/auctions/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    room.runtime.shutdown().await.expect("shutdown");
}

/// Subscribes to `topic` and reads the answer and, for rooms, the opening snapshot.
async fn follow(room: &Room, who: ParticipantId, topic: &str, log: &mut Received) -> Socket {
    let mut socket = room.socket(who).await;
    let subscribe = json!({ "op": "subscribe", "topic": topic });
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("sent");
    until(&mut socket, log, |f| f["type"] == "subscribed").await;
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c5_the_award_feed_tells_each_party_of_its_challenge_and_onlookers_only_the_state() {
    let room = room().await;
    let id = room.open_auction(json!({ "disclosure": "best_price" })).await;
    let [a, b, c, onlooker, ..] = room.bidders[..] else { panic!("four bidders") };
    let mut ignored = Received::default();
    for (who, price) in [(a, "4900.00"), (b, "4890.00"), (c, "4880.00")] {
        room.bid(&mut ignored, who, id, price).await;
    }
    let mut results = enter(&room, room.purchaser, id, &mut ignored).await;
    room.clock.advance_ms(601_000);
    until(&mut results, &mut ignored, |f| event_kind(f) == "results").await;
    let topic = format!("award:{id}");
    let (mut log_p, mut log_b, mut log_o) =
        (Received::default(), Received::default(), Received::default());
    let mut purchaser = follow(&room, room.purchaser, &topic, &mut log_p).await;
    let mut challenger = follow(&room, b, &topic, &mut log_b).await;
    let mut outsider = follow(&room, onlooker, &topic, &mut log_o).await;

    let uri = format!("/api/v1/deals/{id}/challenges");
    let (status, filed, _) =
        room.call(b, "POST", &uri, Some(json!({ "grounds": "成交价格异常" }))).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let private = |f: &Value, part: &str| {
        f["topic"] == format!("award:{id}/{part}") && f["event"]["challenger"] == b.0
    };
    until(&mut purchaser, &mut log_p, |f| private(f, "purchaser")).await;
    until(&mut challenger, &mut log_b, |f| private(f, &b.0.to_string())).await;
    let answer = format!("/api/v1/deals/{id}/challenges/{}/answer", b.0);
    let (status, answered, _) = room
        .call(room.purchaser, "POST", &answer, Some(json!({ "upheld": false, "text": "不成立" })))
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    // The period ends: everyone hears the award is final; the onlooker heard nothing before it.
    let ends = answered["award"]["period_ends_ms"].as_i64().expect("period end");
    room.clock.set(Timestamp(ends));
    let last = until(&mut outsider, &mut log_o, |f| f["event"]["state"] == "final").await;
    assert_eq!(last["topic"], topic);
    for text in &log_o.0 {
        assert!(!text.contains("challenger"), "an onlooker learnt of a challenge: {text}");
    }
    let (_, seen, _) = room.call(onlooker, "GET", &format!("/api/v1/deals/{id}/award"), None).await;
    assert_eq!(seen["ended"], true);
    assert_eq!(seen["challenges"][0]["challenger"], b.0, "public once the deal has ended: {seen}");
    room.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a1_an_auction_over_a_category_takes_bids_naming_their_product_over_http() {
    let room = room().await;
    let ((category, elsewhere), _) = room.state.replica.read(|e| {
        let category = e.product(room.product).expect("product").category.category();
        let elsewhere = e
            .products()
            .find(|p| !p.category.codes().contains(&category))
            .map(|p| p.id.0)
            .expect("a product of another category");
        (category.to_string(), elsewhere)
    });
    let id = room.open_auction(json!({ "category": category, "disclosure": "best_price" })).await;
    let (_, view, _) =
        room.call(room.purchaser, "GET", &format!("/api/v1/auctions/{id}"), None).await;
    assert_eq!(view["category"], category, "{view}");
    let [a, b, c, ..] = room.bidders[..] else { panic!("four bidders") };
    let uri = format!("/api/v1/auctions/{id}/bids");
    let (status, refused, _) =
        room.call(a, "POST", &uri, Some(json!({ "price": "4900.00", "product": elsewhere }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "product_not_in_auction");
    let mut log = Received::default();
    for (who, price) in [(a, "4900.00"), (b, "4890.00"), (c, "4880.00")] {
        let body = json!({ "price": price, "product": room.product.0 });
        let (status, reply) = room.recorded(&mut log, who, "POST", &uri, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
    }
    let mut results = enter(&room, room.purchaser, id, &mut log).await;
    room.clock.advance_ms(601_000);
    let closed = until(&mut results, &mut log, |f| event_kind(f) == "results").await;
    assert_eq!(closed["event"]["winner"]["supplier"], c.0, "{closed}");
    assert_eq!(closed["event"]["winner"]["product"], room.product.0, "{closed}");
    room.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e1_auction_results_show_each_bidders_score() {
    let room = room().await;
    let id = room.open_auction(json!({ "disclosure": "best_price" })).await;
    let [a, b, c, ..] = room.bidders[..] else { panic!("three bidders") };
    let mut ignored = Received::default();
    for (who, price) in [(a, "4900.00"), (b, "4890.00"), (c, "4880.00")] {
        room.bid(&mut ignored, who, id, price).await;
    }
    let mut watching = enter(&room, room.purchaser, id, &mut ignored).await;
    room.clock.advance_ms(601_000);
    until(&mut watching, &mut ignored, |f| event_kind(f) == "results").await;
    // Final once the challenge period has run; the winner delivers, the purchaser accepts and
    // rates it.
    room.clock.advance_ms(30 * 86_400_000);
    let award_uri = format!("/api/v1/deals/{id}/award");
    let final_award = async {
        loop {
            let (_, award, _) = room.call(room.purchaser, "GET", &award_uri, None).await;
            if award["state"] == "final" {
                break award["trades"][0]["id"].as_str().expect("trade").to_string();
            }
            tokio::task::yield_now().await;
        }
    };
    let trade = tokio::time::timeout(std::time::Duration::from_secs(60), final_award)
        .await
        .expect("the award becomes final");
    let deliver = format!("/api/v1/trades/{trade}/deliver");
    assert!(room.call(c, "POST", &deliver, None).await.0.is_success());
    let accept = format!("/api/v1/trades/{trade}/accept");
    assert!(room.call(room.purchaser, "POST", &accept, None).await.0.is_success());
    let rating = json!({ "trade": trade, "delivery": 5, "quality": 4, "service": 4 });
    let (status, rated, _) =
        room.call(room.purchaser, "POST", "/api/v1/ratings", Some(rating)).await;
    assert_eq!(status, StatusCode::CREATED, "{rated}");
    let (status, results, _) =
        room.call(room.analyst, "GET", &format!("/api/v1/auctions/{id}/results"), None).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert_eq!(results["winner"]["supplier_score"], "4.33", "{results}");
    for bid in results["bids"].as_array().expect("bids") {
        let expected = if bid["supplier"] == c.0 { json!("4.33") } else { Value::Null };
        assert_eq!(bid["supplier_score"], expected, "only the rated supplier has a score: {bid}");
    }
    room.runtime.shutdown().await.expect("shutdown");
}

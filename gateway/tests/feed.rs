//! Live feeds over a real WebSocket: tickets, topic authorisation, messages with topic, engine
//! sequence and a gap-free counter.

mod support;

use std::time::Duration;

use engine::types::UnitPrice;
use engine::{Action, Command};
use futures_util::{SinkExt, StreamExt};
use gateway::demo::{self, DemoSizes, demo_user};
use gateway::http::{self, AppState};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

struct Live {
    state: AppState,
    runtime: gateway::runtime::Runtime,
    address: std::net::SocketAddr,
    province: demo::DemoProvince,
}

async fn live() -> Live {
    let market = support::market(DemoSizes { suppliers: 20, purchasers: 20, variants: 1 }).await;
    let state = market.app_state(9);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(http::serve(listener, state.clone(), std::future::pending()));
    Live { state, runtime: market.runtime, address, province: market.province }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Live {
    async fn open(&self, participant: engine::types::ParticipantId) -> Socket {
        let ticket = self.ticket(participant).await;
        let (socket, _) = tokio_tungstenite::connect_async(format!(
            "ws://{}/api/v1/ws?ticket={ticket}",
            self.address
        ))
        .await
        .expect("the socket opens");
        socket
    }

    async fn ticket(&self, participant: engine::types::ParticipantId) -> String {
        let actor = demo_user(participant);
        let session = gateway::auth::Session {
            actor,
            role: self
                .state
                .replica
                .read(|e| e.participant(participant).map(|p| p.kind))
                .0
                .expect("participant"),
            region: self
                .state
                .replica
                .read(|e| e.participant(participant).and_then(|p| p.region))
                .0,
        };
        self.state.hub.as_ref().expect("hub").issue_ticket(session).await.expect("a ticket")
    }
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

async fn send(socket: &mut Socket, value: Value) {
    socket.send(Message::Text(value.to_string().into())).await.expect("sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_changes_reach_subscribers_with_sequence_and_a_gap_free_counter() {
    let live = live().await;
    let agreement = live.province.agreements[0].clone();
    let purchaser = live.province.purchasers[0].id;
    let mut socket = live.open(purchaser).await;
    let topic = format!("offers:{}", agreement.product.0);
    send(&mut socket, json!({ "op": "subscribe", "topic": topic })).await;
    assert_eq!(next_json(&mut socket).await, json!({ "type": "subscribed", "topic": topic }));
    let mut seqs = Vec::new();
    for cents in [100, 200] {
        let price = UnitPrice::from_minor(agreement.ceiling.minor() - cents * 100);
        let command = Command::new(
            demo_user(agreement.supplier),
            Action::SetOffer { agreement: agreement.id, price },
        );
        seqs.push(live.state.handle.submit(command).await.expect("offer").seq.0);
    }
    for (n, seq) in seqs.iter().enumerate() {
        let message = next_json(&mut socket).await;
        assert_eq!(message["topic"], topic);
        assert_eq!(message["seq"], *seq);
        assert_eq!(message["n"], n as u64 + 1);
        assert_eq!(message["event"]["kind"], "offer");
    }
    live.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchaser_follows_only_its_own_budget_and_a_ticket_opens_one_socket() {
    let live = live().await;
    let me = live.province.purchasers[0].id;
    let other = live.province.purchasers[1].id;
    let mut socket = live.open(me).await;
    send(&mut socket, json!({ "op": "subscribe", "topic": format!("budget:{}", me.0) })).await;
    assert_eq!(next_json(&mut socket).await["type"], "subscribed");
    send(&mut socket, json!({ "op": "subscribe", "topic": format!("budget:{}", other.0) })).await;
    let refused = next_json(&mut socket).await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("not_permitted"))
    );
    send(&mut socket, json!({ "op": "dance" , "topic": "offers:1" })).await;
    assert_eq!(next_json(&mut socket).await["code"], "invalid_input");

    let ticket = live.ticket(me).await;
    let url = format!("ws://{}/api/v1/ws?ticket={ticket}", live.address);
    tokio_tungstenite::connect_async(&url).await.expect("first use opens");
    assert!(tokio_tungstenite::connect_async(&url).await.is_err(), "a ticket is single-use");
    live.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_topics_and_too_many_subscriptions_are_refused_and_topics_are_freed() {
    let live = live().await;
    let hub = live.state.hub.clone().expect("hub");
    let supplier = live.province.suppliers[0];
    let mut socket = live.open(supplier).await;
    let before = hub.topic_count();
    // A topic name of megabytes is refused by its length, and nothing is kept of it.
    let huge = format!("candles:product:1:1m{}", "9".repeat(3_000));
    send(&mut socket, json!({ "op": "subscribe", "topic": huge })).await;
    let refused = next_json(&mut socket).await;
    assert_eq!(refused["code"], "not_permitted", "{refused}");
    assert!(refused.to_string().len() < 500, "the answer does not echo the name: {refused}");
    assert_eq!(hub.topic_count(), before);
    // A socket follows at most so many topics.
    for product in 1..=gateway::feed::MAX_SUBSCRIPTIONS_PER_SOCKET as u64 {
        send(&mut socket, json!({ "op": "subscribe", "topic": format!("offers:{product}") })).await;
        assert_eq!(next_json(&mut socket).await["type"], "subscribed");
    }
    send(&mut socket, json!({ "op": "subscribe", "topic": "offers:99999" })).await;
    assert_eq!(next_json(&mut socket).await["code"], "too_many_subscriptions");
    // Closing the socket frees its topics once the hub next tidies up.
    drop(socket);
    let mut other = live.open(supplier).await;
    for product in 0..1_100_u64 {
        let topic = format!("offers:{}", 100_000 + product);
        send(&mut other, json!({ "op": "subscribe", "topic": topic.clone() })).await;
        assert_eq!(next_json(&mut other).await["type"], "subscribed");
        send(&mut other, json!({ "op": "unsubscribe", "topic": topic })).await;
        assert_eq!(next_json(&mut other).await["type"], "unsubscribed");
    }
    assert!(hub.topic_count() < 1_024, "topics nobody follows are freed: {}", hub.topic_count());
    live.runtime.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_issued_before_a_suspension_opens_nothing_and_messages_are_small() {
    let live = live().await;
    let supplier = live.province.suppliers[1];
    // A message far larger than any subscription closes the socket.
    let mut socket = live.open(supplier).await;
    let big = json!({ "op": "subscribe", "topic": "x".repeat(64 << 10) }).to_string();
    let _ = socket.send(Message::Text(big.into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("the socket closes");
    assert!(closed);
    // A ticket taken, then the supplier suspended: the ticket opens nothing.
    let ticket = live.ticket(supplier).await;
    let suspend = engine::Command::new(
        engine::types::Actor::SYSTEM,
        Action::SuspendSupplier { supplier, reason: "围标调查".into() },
    );
    let outcome = live.state.handle.submit(suspend).await.expect("suspended");
    live.state.replica.caught_up(outcome.seq).await;
    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{}/api/v1/ws?ticket={ticket}",
        live.address
    ))
    .await;
    assert!(refused.is_err(), "a suspended supplier's ticket opens no socket");
    live.runtime.shutdown().await.expect("shutdown");
}

/// One participant holds at most its share of live connections (32 unless the limits say
/// otherwise); a connection closed gives its place back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_holds_at_most_its_share_of_live_connections() {
    let live = live().await;
    let me = live.province.purchasers[0].id;
    let hub = live.state.hub.clone().expect("hub");
    let mut places: Vec<_> = (0..gateway::feed::MAX_SOCKETS_PER_PARTICIPANT)
        .map(|_| hub.open_socket(me).expect("a place"))
        .collect();
    assert!(hub.open_socket(me).is_none(), "the 33rd is refused");
    let ticket = live.ticket(me).await;
    let url = format!("ws://{}/api/v1/ws?ticket={ticket}", live.address);
    let refused = tokio_tungstenite::connect_async(&url).await.expect_err("refused");
    assert!(refused.to_string().contains("429"), "{refused}");
    assert!(hub.open_socket(live.province.purchasers[1].id).is_some(), "others are not held back");
    places.pop();
    assert!(hub.open_socket(me).is_some(), "a closed connection gives its place back");
    hub.limit_sockets(2);
    places.truncate(1);
    let _second = hub.open_socket(me).expect("the second of two");
    assert!(hub.open_socket(me).is_none(), "the limits set two");
    live.runtime.shutdown().await.expect("shutdown");
}

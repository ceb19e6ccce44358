//! One WebSocket connection: opened with a single-use ticket, then `subscribe` / `unsubscribe`
//! messages from the client and events, lag notices, snapshots and pings to it. Sending has a task
//! of its own (a slow reader never holds up receiving) that reads the client's topics directly: a
//! client too slow for a topic's bounded buffer lags on that topic alone and is resynced.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use engine::catalog::ParticipantKind;
use engine::types::{DealId, ParticipantId, ProductId};
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::StreamMap;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::hub::Delivery;
use super::{BadTopic, Hub, Topic, bidder_topic, purchaser_topic};
use crate::auth::Session;
use crate::views::award::Standing;
use crate::views::{self, auction as room, auction::Audience, inquiry};

/// Subscription changes and answers waiting for a client's sending half.
const CONTROL_QUEUE: usize = 64;
/// Most queued messages written to a client before one flush.
const SEND_BATCH: usize = 64;
/// How often the server pings an idle client, and checks that its session still stands (a
/// suspension or a disabled account closes the socket within this time).
const HEARTBEAT: Duration = Duration::from_secs(20);
/// Largest message a client may send: a subscription is a few dozen bytes.
pub const MAX_CLIENT_MESSAGE: usize = 4 << 10;
/// Topics one socket may follow at once.
pub const MAX_SUBSCRIPTIONS_PER_SOCKET: usize = 64;

/// A topic a client may follow: its canonical name, and the private topic of the caller's own
/// view that comes with it (an auction room's bidder or purchaser stream).
struct Grant {
    topic: String,
    private: Option<String>,
}

/// Whether `session` may follow `topic`, and the topic in canonical form.
fn authorise(hub: &Hub, session: &Session, topic: &str) -> Result<Grant, &'static str> {
    let topic: Topic = topic.parse().map_err(|BadTopic(shape)| shape)?;
    let me = session.actor.participant;
    let plain = |topic: Topic| Grant { topic: topic.to_string(), private: None };
    match topic {
        Topic::Offers(_) | Topic::Trades(_) | Topic::Candles(..) | Topic::Index(_) => {
            Ok(plain(topic))
        }
        Topic::Negotiations(owner) if owner == me => Ok(plain(topic)),
        Topic::Negotiations(_) => Err("only a party to its negotiations follows that topic"),
        Topic::Budget(owner) | Topic::Orders(owner)
            if session.role == ParticipantKind::Purchaser && owner == me =>
        {
            Ok(plain(topic))
        }
        Topic::Budget(_) | Topic::Orders(_) => {
            Err("only the purchasing unit itself follows that topic")
        }
        Topic::Auction(id) => {
            let (audience, _) = hub.replica.read(|engine| {
                engine.auction(id).and_then(|a| room::audience(engine, &session.viewer(), a))
            });
            let private = match audience.ok_or("you may not enter that auction room")? {
                Audience::Bidder(me) => Some(bidder_topic(id, me)),
                Audience::Purchaser => Some(purchaser_topic(id)),
                Audience::Observer => None,
            };
            Ok(Grant { topic: topic.to_string(), private })
        }
        Topic::Inquiry(id) => {
            let (audience, _) = hub.replica.read(|engine| {
                engine.inquiry(id).and_then(|q| inquiry::audience(&session.viewer(), q))
            });
            audience.ok_or("you may not follow that inquiry")?;
            Ok(plain(topic))
        }
        Topic::Award(id) => {
            let (standing, _) = hub.replica.read(|engine| {
                engine.award(id).and_then(|a| views::award::standing(&session.viewer(), a))
            });
            let private = match standing.ok_or("you may not follow that award")? {
                Standing::Purchaser => Some(award_topic(id, "purchaser")),
                Standing::Regulator => Some(award_topic(id, "regulator")),
                Standing::Participant => Some(award_topic(id, &me.0.to_string())),
                Standing::Onlooker => None,
            };
            Ok(Grant { topic: topic.to_string(), private })
        }
        Topic::Alerts(code) => {
            let overseer =
                matches!(session.role, ParticipantKind::Analyst | ParticipantKind::Operator);
            let (inside, _) = hub.replica.read(|engine| match session.region {
                Some(own) => engine.region(code).is_some_and(|r| r.chain.contains(own.region())),
                None => engine.region(code).is_some(),
            });
            if overseer && inside {
                Ok(plain(topic))
            } else {
                Err("alerts are for analysts and operators, within the region they oversee")
            }
        }
    }
}

/// The current view of an auction room's topic, public or private.
fn auction_snapshot(engine: &engine::Engine, topic: &str) -> Value {
    let (room_part, private) = match topic.split_once('/') {
        Some((room_part, private)) => (room_part, Some(private)),
        None => (topic, None),
    };
    let id = room_part.strip_prefix("auction:").and_then(|id| id.parse().ok()).map(DealId);
    let Some(a) = id.and_then(|id| engine.auction(id)) else { return Value::Null };
    match private {
        None if room::closed(a) => json!(room::results(a, &views::names_in(engine))),
        None => json!(room::public_view(a, engine.clock())),
        Some("purchaser") => json!(room::purchaser_view(a)),
        Some(bidder) => {
            let bidder = bidder.strip_prefix("bidder:").and_then(|b| b.parse().ok());
            bidder.map_or(Value::Null, |b| json!(room::bidder_view(a, ParticipantId(b))))
        }
    }
}

/// The private part of an award's topic: the purchaser's, the regulators', or a participant's.
pub(crate) fn award_topic(deal: DealId, part: &str) -> String {
    format!("{}/{part}", Topic::Award(deal))
}

/// What the `award:` topic carries: the award's state, never its challenges (C-5); the private
/// parts say as well that a challenge moved, and whose, for the party to re-read the award.
pub(crate) fn award_notice(award: &engine::award::Award) -> Value {
    json!({ "kind": "award", "deal": award.deal.0, "state": award.state.name(),
            "suspended": award.suspended.is_some(), "period_ends_ms": award.period_ends.ms() })
}

/// What a subscriber is sent after lagging: the current state of what it follows.
fn snapshot(hub: &Hub, topic: &str) -> Value {
    let (view, seq) = hub.replica.read(|engine| match topic.split_once(':') {
        Some(("offers", product)) => {
            let product = ProductId(product.parse().unwrap_or(0));
            json!(engine.offers(product).map(|(key, a)| json!({
                "agreement": a.id.0, "supplier": a.supplier.0, "price": key.price.to_string(),
                "stock": a.stock.map(|s| s.to_string()), "since_seq": key.since.0,
            })).collect::<Vec<_>>())
        }
        Some(("budget", owner)) => {
            let owner: u64 = owner.parse().unwrap_or(0);
            json!(engine.budget_lines().filter(|l| l.purchaser.0 == owner).map(|l| json!({
                "line": l.id.0, "allocated": l.balance.allocated.to_string(), "held": l.balance.held.to_string(),
                "committed": l.balance.committed.to_string(), "paid": l.balance.paid.to_string(),
                "available": l.balance.available().to_string(),
            })).collect::<Vec<_>>())
        }
        Some(("auction", _)) => auction_snapshot(engine, topic),
        Some(("award", id)) => {
            let id = id.split('/').next().and_then(|id| id.parse().ok()).map(DealId);
            id.and_then(|id| engine.award(id)).map_or(Value::Null, award_notice)
        }
        Some(("inquiry", id)) => {
            let id = id.parse().map(DealId).ok();
            id.and_then(|id| engine.inquiry(id)).map_or(Value::Null, |q| json!(inquiry::snapshot(q)))
        }
        // Trades and orders are histories: the client re-reads them over REST.
        _ => Value::Null,
    });
    json!({ "type": "snapshot", "topic": topic, "as_of_seq": seq.0, "state": view })
}

#[derive(Deserialize)]
struct ClientMessage {
    op: String,
    topic: String,
}

/// Serves one opened connection for `session` until either side ends it.
pub async fn serve(socket: WebSocket, hub: Arc<Hub>, session: Session) {
    let clients = &crate::metrics::METRICS.websocket_clients;
    clients.inc();
    serve_client(socket, hub, session).await;
    clients.dec();
}

/// What the receiving half asks of the sending half.
enum Control {
    /// Follow `topic` from `receiver` on, after sending `opening` if there is one.
    Follow { topic: String, receiver: broadcast::Receiver<Delivery>, opening: Option<Value> },
    /// Stop following `topic`.
    Drop { topic: String },
    /// Send this answer.
    Reply(Value),
}

fn text(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(crate::json_text(value)))
}

async fn serve_client(socket: WebSocket, hub: Arc<Hub>, session: Session) {
    let (sink, mut stream) = socket.split();
    let (control, controls) = mpsc::channel::<Control>(CONTROL_QUEUE);
    let sender = tokio::spawn(send_loop(sink, controls, hub.clone(), session.actor));
    // Topics followed, each with its private companion (an auction room's own stream).
    let mut followed: HashMap<String, Option<String>> = HashMap::new();
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => break,
            _ => continue,
        };
        let Ok(request) = serde_json::from_str::<ClientMessage>(&text) else {
            let error = json!({ "type": "error", "code": "invalid_input", "message": "send {\"op\": \"subscribe\", \"topic\": \"offers:267\"}" });
            if control.send(Control::Reply(error)).await.is_err() {
                break;
            }
            continue;
        };
        let mut asks = Vec::new();
        // Judged on the session as it stands now, not as it stood when the socket opened.
        let Ok(session) = Session::of(&hub.replica, session.actor) else { break };
        let answer = match (request.op.as_str(), authorise(&hub, &session, &request.topic)) {
            (_, Err(why)) => {
                json!({ "type": "error", "code": "not_permitted", "message": why })
            }
            ("subscribe", Ok(Grant { topic, .. }))
                if !followed.contains_key(&topic)
                    && followed.len() >= MAX_SUBSCRIPTIONS_PER_SOCKET =>
            {
                json!({ "type": "error", "code": "too_many_subscriptions", "topic": topic,
                        "message": "a connection follows at most 64 topics; unsubscribe from one first" })
            }
            ("subscribe", Ok(Grant { topic, private })) => {
                if !followed.contains_key(&topic) {
                    for topic in std::iter::once(&topic).chain(private.as_ref()) {
                        // Subscribed before the snapshot is read, so nothing falls between.
                        let receiver = hub.subscribe(topic);
                        let rooms =
                            ["auction:", "inquiry:", "award:"].iter().any(|p| topic.starts_with(p));
                        let opening = rooms.then(|| snapshot(&hub, topic));
                        asks.push(Control::Follow { topic: topic.clone(), receiver, opening });
                    }
                    followed.insert(topic.clone(), private.clone());
                }
                let mut answer = json!({ "type": "subscribed", "topic": topic });
                if let Some(private) = private {
                    answer["private"] = json!(private);
                }
                answer
            }
            ("unsubscribe", Ok(Grant { topic, .. })) => {
                if let Some(private) = followed.remove(&topic) {
                    for topic in std::iter::once(topic.clone()).chain(private) {
                        asks.push(Control::Drop { topic });
                    }
                }
                json!({ "type": "unsubscribed", "topic": topic })
            }
            (_, Ok(_)) => {
                json!({ "type": "error", "code": "invalid_input", "message": "op is subscribe or unsubscribe" })
            }
        };
        asks.push(Control::Reply(answer));
        let mut gone = false;
        for ask in asks {
            gone = gone || control.send(ask).await.is_err();
        }
        if gone {
            break;
        }
    }
    drop(control);
    let _ = sender.await;
}

/// The sending half: one task per client reading its topics directly (no hop in between), so a
/// message costs one wake-up per recipient; whatever is ready goes out with a single flush. A
/// topic that lagged is told so and sent a snapshot. Ends when the client or the receiving half
/// goes away.
async fn send_loop(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut controls: mpsc::Receiver<Control>,
    hub: Arc<Hub>,
    actor: engine::types::Actor,
) {
    let mut topics: StreamMap<String, BroadcastStream<Delivery>> = StreamMap::new();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut batch: Vec<Message> = Vec::with_capacity(SEND_BATCH);
    let on_item = |batch: &mut Vec<Message>, topic: String, item| match item {
        Ok(Delivery::Text(text)) => batch.push(Message::Text(text)),
        // The read side itself started over: what the client holds may be stale.
        Ok(Delivery::Resync) => {
            batch.push(text(&json!({ "type": "lagged", "topic": topic, "missed": null })));
            batch.push(text(&snapshot(&hub, &topic)));
        }
        Err(BroadcastStreamRecvError::Lagged(missed)) => {
            batch.push(text(&json!({ "type": "lagged", "topic": topic, "missed": missed })));
            batch.push(text(&snapshot(&hub, &topic)));
        }
    };
    loop {
        tokio::select! {
            ask = controls.recv() => match ask {
                None => break,
                Some(Control::Follow { topic, receiver, opening }) => {
                    batch.extend(opening.as_ref().map(text));
                    topics.insert(topic, BroadcastStream::new(receiver));
                }
                Some(Control::Drop { topic }) => {
                    topics.remove(&topic);
                }
                Some(Control::Reply(answer)) => batch.push(text(&answer)),
            },
            Some((topic, item)) = topics.next(), if !topics.is_empty() => {
                on_item(&mut batch, topic, item);
                while batch.len() < SEND_BATCH {
                    match topics.next().now_or_never() {
                        Some(Some((topic, item))) => on_item(&mut batch, topic, item),
                        _ => break,
                    }
                }
            }
            _ = heartbeat.tick() => {
                if let Err(ended) = Session::of(&hub.replica, actor) {
                    // Suspended, or the account is gone: the feed ends here.
                    let notice = json!({ "type": "closed", "code": ended.code(), "message": "your session has ended" });
                    let _ = sink.send(text(&notice)).await;
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
                batch.push(Message::Ping(Default::default()));
            }
        }
        let mut failed = false;
        for message in batch.drain(..) {
            failed = failed || sink.feed(message).await.is_err();
        }
        if failed || sink.flush().await.is_err() {
            break;
        }
    }
}

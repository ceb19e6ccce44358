//! The hub: topic -> bounded broadcast of ready-to-send JSON texts. It follows the replica
//! ([`Follower`]): each released batch arrives with the engine as it stands after it, and every view
//! is built from that engine, as REST builds it; the hub keeps no engine state of its own. When the
//! read side resyncs, every topic's subscribers are told and sent a snapshot.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use engine::auction::{Auction, AuctionState};
use engine::types::{DealId, ParticipantId};
use engine::{Engine, Event};
use serde_json::json;
use tokio::sync::broadcast;

use super::{Topic, bidder_topic, purchaser_topic};
use crate::auth::Session;
use crate::read::{Follower, Replica};
use crate::runtime::Released;
use crate::views::{self, auction as room, inquiry};

/// Messages a topic holds for a slow subscriber before it counts as lagging.
const TOPIC_CAPACITY: usize = 512;
/// How long a WebSocket ticket may wait to be used.
const TICKET_TTL: Duration = Duration::from_secs(30);
/// Live connections one participant may hold open at once (its users' tabs and devices), unless
/// the limits say otherwise (`sockets_per_participant`).
pub const MAX_SOCKETS_PER_PARTICIPANT: usize = 32;
/// Topics held before those nobody follows any more are freed.
const TOPICS_BEFORE_PRUNING: usize = 1_024;

/// The feed hub.
#[derive(Debug)]
pub struct Hub {
    /// Ready-to-send texts; a clone shares the bytes, so a message is encoded once for all.
    topics: Mutex<HashMap<String, broadcast::Sender<Delivery>>>,
    tickets: Mutex<HashMap<String, (Session, Instant)>>,
    /// Messages sent per topic: the gap-free `n` of every message.
    counters: Mutex<HashMap<String, u64>>,
    /// Live connections per participant.
    sockets: Arc<Mutex<HashMap<ParticipantId, usize>>>,
    /// Live connections one participant may hold.
    socket_limit: std::sync::atomic::AtomicUsize,
    /// Topics at which the next pruning happens.
    prune_at: Mutex<usize>,
    /// Tickets kept on the bus instead, when nodes share them.
    shared: std::sync::OnceLock<crate::bus::Bus>,
    /// Reads for snapshots.
    pub replica: Replica,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    /// A hub reading snapshots from `replica`; it publishes once it follows the replica
    /// (see [`crate::read::ReadSide`]).
    pub fn new(replica: Replica) -> Arc<Self> {
        Arc::new(Self {
            topics: Mutex::default(),
            tickets: Mutex::default(),
            counters: Mutex::default(),
            sockets: Arc::default(),
            socket_limit: MAX_SOCKETS_PER_PARTICIPANT.into(),
            prune_at: Mutex::new(TOPICS_BEFORE_PRUNING),
            shared: std::sync::OnceLock::new(),
            replica,
        })
    }

    /// Sets the live connections one participant may hold open at once (the node's limits).
    pub fn limit_sockets(&self, per_participant: usize) {
        self.socket_limit.store(per_participant, std::sync::atomic::Ordering::Relaxed);
    }

    /// A place for one more live connection of `participant`, held until the returned guard is
    /// dropped; none when it holds the most it may.
    pub fn open_socket(&self, participant: ParticipantId) -> Option<SocketPlace> {
        let limit = self.socket_limit.load(std::sync::atomic::Ordering::Relaxed);
        let mut sockets = lock(&self.sockets);
        let open = sockets.entry(participant).or_default();
        if *open >= limit {
            return None;
        }
        *open += 1;
        Some(SocketPlace { sockets: self.sockets.clone(), participant })
    }

    /// Topics with a channel now (followed, or not yet pruned).
    pub fn topic_count(&self) -> usize {
        lock(&self.topics).len()
    }

    /// A receiver of a topic's messages, from now on. Topics nobody follows any more are freed
    /// (with their counters) once the hub holds many: a topic costs a channel's buffer.
    pub fn subscribe(&self, topic: &str) -> broadcast::Receiver<Delivery> {
        let mut topics = lock(&self.topics);
        let mut prune_at = lock(&self.prune_at);
        if topics.len() >= *prune_at {
            topics.retain(|_, sender| sender.receiver_count() > 0);
            lock(&self.counters).retain(|topic, _| topics.contains_key(topic));
            *prune_at = (topics.len() * 2).max(TOPICS_BEFORE_PRUNING);
        }
        drop(prune_at);
        topics
            .entry(topic.to_string())
            .or_insert_with(|| broadcast::channel(TOPIC_CAPACITY).0)
            .subscribe()
    }

    /// Shares tickets with every node on `bus`: a ticket issued here opens a socket on any node.
    pub fn share_tickets(&self, bus: crate::bus::Bus) {
        let _ = self.shared.set(bus);
    }

    /// A single-use ticket that opens a WebSocket as `session`.
    pub async fn issue_ticket(&self, session: Session) -> anyhow::Result<String> {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut bytes = [0_u8; 16];
        OsRng.fill_bytes(&mut bytes);
        let ticket: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if let Some(bus) = self.shared.get() {
            bus.put_ticket(&ticket, session.actor, TICKET_TTL).await?;
            return Ok(ticket);
        }
        let mut tickets = lock(&self.tickets);
        tickets.retain(|_, (_, issued)| issued.elapsed() < TICKET_TTL);
        tickets.insert(ticket.clone(), (session, Instant::now()));
        Ok(ticket)
    }

    /// The session a ticket was issued to, once, while fresh; checked against current data when
    /// it came through the bus.
    pub async fn redeem(&self, ticket: &str) -> Option<Session> {
        if let Some(bus) = self.shared.get() {
            let actor = bus.take_ticket(ticket).await?;
            return Session::of(&self.replica, actor).ok();
        }
        let (session, issued) = lock(&self.tickets).remove(ticket)?;
        // As the session stands now: a ticket issued before a suspension opens nothing.
        (issued.elapsed() < TICKET_TTL).then(|| Session::of(&self.replica, session.actor).ok())?
    }

    /// Publishes a view on `topic` as of engine sequence `seq`, with the topic's gap-free
    /// counter: from the hub's own loop and from publishers beside it (the price desk).
    pub fn publish_view(&self, topic: String, seq: u64, event: impl serde::Serialize) {
        self.publish_with(topic, seq, || event);
    }

    /// Publishes the view `event` builds, building it only when the topic has subscribers.
    fn publish_with<V: serde::Serialize>(
        &self,
        topic: String,
        seq: u64,
        event: impl FnOnce() -> V,
    ) {
        let sender = match lock(&self.topics).get(&topic) {
            Some(sender) if sender.receiver_count() > 0 => sender.clone(),
            _ => return,
        };
        let event = event();
        // Counted and sent under one lock, so two publishers of a topic cannot reorder `n`.
        let mut counters = lock(&self.counters);
        let counter = counters.entry(topic.clone()).or_default();
        *counter += 1;
        let text = crate::json_text(
            &json!({ "type": "event", "topic": topic, "seq": seq, "n": *counter, "event": event }),
        );
        let _ = sender.send(Delivery::Text(Utf8Bytes::from(text)));
    }
}

/// One participant's place among its live connections, given back when dropped.
#[derive(Debug)]
pub struct SocketPlace {
    sockets: Arc<Mutex<HashMap<ParticipantId, usize>>>,
    participant: ParticipantId,
}

impl Drop for SocketPlace {
    fn drop(&mut self) {
        let mut sockets = lock(&self.sockets);
        if let Some(open) = sockets.get_mut(&self.participant) {
            *open -= 1;
            if *open == 0 {
                sockets.remove(&self.participant);
            }
        }
    }
}

/// What a topic carries to its subscribers.
#[derive(Clone, Debug)]
pub enum Delivery {
    /// A message, encoded once for every subscriber.
    Text(Utf8Bytes),
    /// The read side lost step and started over from a fresh copy: whatever a subscriber holds may
    /// be stale, so it is told it lagged and sent a snapshot.
    Resync,
}

impl Follower for Hub {
    fn batch(&self, engine: &Engine, batch: &[Released]) {
        // Rooms touched by the batch, in order, each shown once as it stands after the batch.
        let mut rooms: Vec<(DealId, bool)> = Vec::new();
        for record in batch {
            let seq = record.seq.0;
            for envelope in &record.events {
                if let Some((id, bid)) = auction_of(&envelope.event) {
                    match rooms.iter_mut().find(|(room, _)| *room == id) {
                        Some((_, any_bid)) => *any_bid |= bid,
                        None => rooms.push((id, bid)),
                    }
                    continue;
                }
                route(self, engine, seq, &envelope.event);
            }
        }
        let seq = engine.seq().0;
        for (id, bid) in rooms {
            if let Some(a) = engine.auction(id) {
                publish_room(self, engine, seq, a, bid);
            }
        }
    }

    fn resync(&self, _engine: &Engine) {
        let topics: Vec<_> = lock(&self.topics).values().cloned().collect();
        for topic in topics {
            let _ = topic.send(Delivery::Resync);
        }
    }
}

/// Publishes what one event shows, on the topics it reaches; the engine, as of the batch, says
/// whose line, trade or negotiation it is and which category a product is in.
fn route(hub: &Hub, engine: &Engine, seq: u64, event: &Event) {
    match event {
        Event::OfferChanged { agreement, supplier, product, price, since } => {
            let view = json!({ "kind": "offer", "agreement": agreement.0, "supplier": supplier.0,
                "price": price.to_string(), "since_seq": since.0 });
            hub.publish_view(Topic::Offers(*product).to_string(), seq, view);
        }
        Event::StockChanged { agreement, product, stock } => {
            let view = json!({ "kind": "stock", "agreement": agreement.0, "stock": stock.map(|s| s.to_string()) });
            hub.publish_view(Topic::Offers(*product).to_string(), seq, view);
        }
        Event::TradeStruck(t) => {
            // The trade as REST shows it, marked as a trade among the topic's other messages.
            let mut view =
                serde_json::to_value(views::trade::TradeView::of(t, None)).unwrap_or_default();
            view["kind"] = json!("trade");
            if let Some(category) = engine.product(t.product).map(|p| p.category.category()) {
                hub.publish_view(Topic::Trades(category).to_string(), seq, view.clone());
            }
            hub.publish_view(Topic::Orders(t.purchaser).to_string(), seq, view);
        }
        Event::BudgetMoved(entry) => {
            if let Some(owner) = engine.budget_line(entry.line).map(|l| l.purchaser) {
                let view = json!({ "kind": "budget", "line": entry.line.0, "movement": entry.kind.name(),
                    "amount": entry.amount.to_string(), "deal": entry.deal.map(|d| d.0) });
                hub.publish_view(Topic::Budget(owner).to_string(), seq, view);
            }
        }
        Event::OrderFilled { order, purchaser, filled, amount, request } => {
            let view = json!({ "kind": "order", "order": order.0, "requested": request.quantity.to_string(),
                "filled": filled.to_string(), "amount": amount.to_string() });
            hub.publish_view(Topic::Orders(*purchaser).to_string(), seq, view);
        }
        Event::TradeSettled { trade, step, state, .. } => {
            if let Some(owner) = engine.trade(*trade).map(|t| t.trade.purchaser) {
                let view = json!({ "kind": "settlement", "trade": trade.to_string(),
                    "step": step.name(), "state": state.name() });
                hub.publish_view(Topic::Orders(owner).to_string(), seq, view);
            }
        }
        // Sealed submissions and the counting and opening of quotes publish nothing: the
        // results carry them once the inquiry has ended.
        Event::QuoteSealed { .. } | Event::QuotersCounted { .. } | Event::QuotesOpened { .. } => {}
        // A negotiation reaches its two parties only (N-3), each on its own topic.
        Event::NegotiationProposed { negotiation, .. }
        | Event::NegotiationCountered { negotiation, .. }
        | Event::NegotiationAccepted { negotiation, .. }
        | Event::NegotiationRejected { negotiation, .. }
        | Event::NegotiationExpired { negotiation } => {
            publish_negotiation(hub, engine, seq, *negotiation);
        }
        // The award's state is public; that a challenge moved reaches only the purchaser, the
        // regulators and the challenger, each on its private part (C-5).
        Event::AwardProvisional { deal, .. }
        | Event::AwardFinal { deal }
        | Event::DealSuspended { deal, .. }
        | Event::AwardVacated { deal, .. }
        | Event::AwardedToNext { deal, .. }
        | Event::AwardFailed { deal, .. } => {
            if let Some(award) = engine.award(*deal) {
                let view = super::socket::award_notice(award);
                hub.publish_view(Topic::Award(*deal).to_string(), seq, view);
            }
        }
        Event::ChallengeFiled { deal, challenger, .. }
        | Event::ChallengeAnswered { deal, challenger, .. }
        | Event::ChallengeUnanswered { deal, challenger, .. }
        | Event::ComplaintFiled { deal, challenger, .. }
        | Event::ComplaintRuled { deal, challenger, .. }
        | Event::RulingOverdue { deal, challenger } => {
            let Some(award) = engine.award(*deal) else { return };
            let mut view = super::socket::award_notice(award);
            view["challenger"] = json!(challenger.0);
            for part in ["purchaser", "regulator", &challenger.0.to_string()] {
                let topic = super::socket::award_topic(*deal, part);
                hub.publish_view(topic, seq, view.clone());
            }
            if let Event::ComplaintRuled { resumed: true, .. } = event {
                hub.publish_view(
                    Topic::Award(*deal).to_string(),
                    seq,
                    super::socket::award_notice(award),
                );
            }
        }
        Event::InquiryOpened { .. }
        | Event::QuotesClosed { .. }
        | Event::InquiryRoundFailed { .. }
        | Event::InquiryRoundOpened { .. }
        | Event::InquiryAwarded { .. }
        | Event::InquiryFailed { .. }
        | Event::InquiryCancelled { .. } => {
            let view = inquiry::feed_view(event, &views::names_in(engine));
            if let Some((id, view)) = view {
                hub.publish_with(Topic::Inquiry(id).to_string(), seq, || view);
            }
        }
        _ => {}
    }
}

/// Tells each party of a negotiation, on its own topic, that it moved; the parties re-read it.
fn publish_negotiation(hub: &Hub, engine: &Engine, seq: u64, negotiation: DealId) {
    let Some(n) = engine.negotiation(negotiation) else { return };
    for party in [n.purchaser, n.supplier] {
        let view = json!({ "kind": "negotiation", "negotiation": negotiation.0 });
        hub.publish_view(Topic::Negotiations(party).to_string(), seq, view);
    }
}

/// The live room, as the engine holds the auction after the batch: the public view to
/// everyone; after a bid, each bidder's own standing (its topic is private to it) and the
/// purchaser's anonymous ranking; once closed, the results with names.
fn publish_room(hub: &Hub, engine: &Engine, seq: u64, a: &Auction, bid: bool) {
    let public = Topic::Auction(a.id).to_string();
    if room::closed(a) {
        hub.publish_with(public, seq, || room::results(a, &views::names_in(engine)));
        return;
    }
    hub.publish_with(public, seq, || room::public_view(a, engine.clock()));
    if bid && a.state != AuctionState::Cancelled {
        for s in &a.standings {
            let topic = bidder_topic(a.id, s.bidder);
            hub.publish_with(topic, seq, || room::bidder_view(a, s.bidder));
        }
        hub.publish_with(purchaser_topic(a.id), seq, || room::purchaser_view(a));
    }
}

/// The auction an event is about, and whether it is a bid.
fn auction_of(event: &Event) -> Option<(DealId, bool)> {
    match event {
        Event::BidAccepted { auction, .. } => Some((*auction, true)),
        Event::AuctionOpened { auction, .. }
        | Event::AuctionStarted { auction }
        | Event::AuctionExtended { auction, .. }
        | Event::AuctionAwarded { auction, .. }
        | Event::AuctionFailed { auction, .. }
        | Event::AuctionCancelled { auction, .. } => Some((*auction, false)),
        _ => None,
    }
}

//! The hub: topic -> bounded broadcast of ready-to-send JSON texts, fed by one task that reads the
//! released batches in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use engine::Event;
use engine::auction::{Auction, AuctionState};
use engine::types::{
    BudgetLineId, CategoryCode, DealId, ParticipantId, ProductId, Timestamp, TradeId,
};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::room;
use crate::http::Session;
use crate::persist::rows::{ledger_kind, settlement_step, trade_mode, trade_state};
use crate::read::Replica;
use crate::runtime::ReleasedBatch;

/// Messages a topic holds for a slow subscriber before it counts as lagging.
const TOPIC_CAPACITY: usize = 512;
/// How long a WebSocket ticket may wait to be used.
const TICKET_TTL: Duration = Duration::from_secs(30);

/// The feed hub.
#[derive(Debug)]
pub struct Hub {
    /// Ready-to-send texts; a clone shares the bytes, so a message is encoded once for all.
    topics: Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>,
    tickets: Mutex<HashMap<String, (Session, Instant)>>,
    /// Messages sent per topic: the gap-free `n` of every message.
    counters: Mutex<HashMap<String, u64>>,
    /// Tickets kept on the bus instead, when nodes share them.
    shared: std::sync::OnceLock<crate::bus::Bus>,
    /// Reads for snapshots.
    pub replica: Replica,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the hub remembers to route events: which purchaser owns a line or a trade, which category
/// a product is in. Filled from the replica at start and kept current from the events themselves.
struct Routes {
    line_owner: HashMap<BudgetLineId, ParticipantId>,
    trade_owner: HashMap<TradeId, ParticipantId>,
    category: HashMap<ProductId, CategoryCode>,
    /// Auctions not yet closed, mirrored from their events: what the room views are built from.
    auctions: HashMap<DealId, Auction>,
    /// The two parties of each negotiation: the only ones its moves reach (N-3).
    negotiations: HashMap<DealId, [ParticipantId; 2]>,
}

impl Hub {
    /// Starts the hub on the released batches. `released` must be subscribed before the replica
    /// copy it reads its routes from was taken, so no event falls between.
    pub fn start(replica: Replica, released: broadcast::Receiver<ReleasedBatch>) -> Arc<Self> {
        let hub = Arc::new(Self {
            topics: Mutex::default(),
            tickets: Mutex::default(),
            counters: Mutex::default(),
            shared: std::sync::OnceLock::new(),
            replica,
        });
        let (routes, _) = hub.replica.read(|engine| Routes {
            line_owner: engine.budget_lines().map(|l| (l.id, l.purchaser)).collect(),
            trade_owner: engine.trades().map(|t| (t.trade.id, t.trade.purchaser)).collect(),
            category: engine.products().map(|p| (p.id, p.category.category())).collect(),
            auctions: engine
                .auctions()
                .filter(|a| matches!(a.state, AuctionState::Scheduled | AuctionState::Open))
                .map(|a| (a.id, a.clone()))
                .collect(),
            negotiations: engine
                .negotiations()
                .map(|n| (n.id, [n.purchaser, n.supplier]))
                .collect(),
        });
        tokio::spawn(run(hub.clone(), routes, released));
        hub
    }

    /// A receiver of a topic's messages, from now on.
    pub fn subscribe(&self, topic: &str) -> broadcast::Receiver<Utf8Bytes> {
        lock(&self.topics)
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
        (issued.elapsed() < TICKET_TTL).then_some(session)
    }

    /// Publishes a view on `topic` as of engine sequence `seq`, with the topic's gap-free
    /// counter: from the hub's own loop and from publishers beside it (the price desk).
    pub fn publish_view(&self, topic: String, seq: u64, event: Value) {
        self.publish_with(topic, seq, || event);
    }

    /// Publishes the view `event` builds, building it only when the topic has subscribers.
    fn publish_with(&self, topic: String, seq: u64, event: impl FnOnce() -> Value) {
        let sender = match lock(&self.topics).get(&topic) {
            Some(sender) if sender.receiver_count() > 0 => sender.clone(),
            _ => return,
        };
        let event = event();
        // Counted and sent under one lock, so two publishers of a topic cannot reorder `n`.
        let mut counters = lock(&self.counters);
        let counter = counters.entry(topic.clone()).or_default();
        *counter += 1;
        let text =
            json!({ "type": "event", "topic": topic, "seq": seq, "n": *counter, "event": event })
                .to_string();
        let _ = sender.send(Utf8Bytes::from(text));
    }
}

async fn run(hub: Arc<Hub>, mut routes: Routes, mut released: broadcast::Receiver<ReleasedBatch>) {
    loop {
        let batch = match released.recv().await {
            Ok(batch) => batch,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                // The hub itself fell behind: subscribers learn through their counters' gap.
                tracing::warn!(missed, "feed hub lagged behind released batches");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        for record in batch.iter() {
            let seq = record.seq.0;
            for envelope in &record.events {
                route(&hub, &mut routes, seq, envelope.ts, &envelope.event);
            }
        }
    }
}

fn route(hub: &Hub, routes: &mut Routes, seq: u64, ts: Timestamp, event: &Event) {
    match event {
        Event::ProductDefined { product, spec } => {
            routes.category.insert(*product, spec.category);
        }
        Event::BudgetLineOpened { line, allocation } => {
            routes.line_owner.insert(*line, allocation.purchaser);
        }
        Event::OfferChanged { agreement, supplier, product, price, since } => {
            let view = json!({ "kind": "offer", "agreement": agreement.0, "supplier": supplier.0,
                "price": price.to_string(), "since_seq": since.0 });
            hub.publish_view(format!("offers:{}", product.0), seq, view);
        }
        Event::StockChanged { agreement, product, stock } => {
            let view = json!({ "kind": "stock", "agreement": agreement.0, "stock": stock.map(|s| s.to_string()) });
            hub.publish_view(format!("offers:{}", product.0), seq, view);
        }
        Event::TradeStruck(t) => {
            routes.trade_owner.insert(t.id, t.purchaser);
            let view = json!({ "kind": "trade", "id": t.id.to_string(), "mode": trade_mode(t.mode),
                "product": t.product.0, "supplier": t.supplier.0, "purchaser": t.purchaser.0,
                "quantity": t.quantity.to_string(), "unit_price": t.unit_price.to_string(),
                "amount": t.amount.to_string(), "region": t.region.to_string(), "ts_ms": t.ts.ms() });
            if let Some(category) = routes.category.get(&t.product).copied() {
                hub.publish_view(format!("trades:{category}"), seq, view.clone());
            }
            hub.publish_view(format!("orders:{}", t.purchaser.0), seq, view);
        }
        Event::BudgetMoved(entry) => {
            if let Some(owner) = routes.line_owner.get(&entry.line).copied() {
                let view = json!({ "kind": "budget", "line": entry.line.0, "movement": ledger_kind(entry.kind),
                    "amount": entry.amount.to_string(), "deal": entry.deal.map(|d| d.0) });
                hub.publish_view(format!("budget:{}", owner.0), seq, view);
            }
        }
        Event::OrderFilled { order, purchaser, filled, amount, request } => {
            let view = json!({ "kind": "order", "order": order.0, "requested": request.quantity.to_string(),
                "filled": filled.to_string(), "amount": amount.to_string() });
            hub.publish_view(format!("orders:{}", purchaser.0), seq, view);
        }
        Event::TradeSettled { trade, step, state, .. } => {
            if let Some(owner) = routes.trade_owner.get(trade).copied() {
                let view = json!({ "kind": "settlement", "trade": trade.to_string(),
                    "step": settlement_step(*step), "state": trade_state(*state) });
                hub.publish_view(format!("orders:{}", owner.0), seq, view);
            }
        }
        Event::AuctionOpened { .. }
        | Event::AuctionStarted { .. }
        | Event::BidAccepted { .. }
        | Event::AuctionExtended { .. }
        | Event::AuctionAwarded { .. }
        | Event::AuctionFailed { .. }
        | Event::AuctionCancelled { .. } => route_auction(hub, routes, seq, ts, event),
        // Sealed submissions and the counting and opening of quotes publish nothing: the
        // results carry them once the inquiry has ended.
        Event::QuoteSealed { .. } | Event::QuotersCounted { .. } | Event::QuotesOpened { .. } => {}
        // A negotiation reaches its two parties only (N-3), each on its own topic.
        Event::NegotiationProposed { negotiation, purchaser, supplier, .. } => {
            routes.negotiations.insert(*negotiation, [*purchaser, *supplier]);
            publish_negotiation(hub, routes, seq, *negotiation);
        }
        Event::NegotiationCountered { negotiation, .. }
        | Event::NegotiationAccepted { negotiation, .. }
        | Event::NegotiationRejected { negotiation, .. }
        | Event::NegotiationExpired { negotiation } => {
            publish_negotiation(hub, routes, seq, *negotiation);
        }
        Event::InquiryOpened { .. }
        | Event::QuotesClosed { .. }
        | Event::InquiryRoundFailed { .. }
        | Event::InquiryRoundOpened { .. }
        | Event::InquiryAwarded { .. }
        | Event::InquiryFailed { .. }
        | Event::InquiryCancelled { .. } => {
            let (view, _) = hub
                .replica
                .read(|engine| super::inquiry::feed_view(event, &room::names_in(engine)));
            if let Some((id, view)) = view {
                hub.publish_view(super::inquiry::topic(id), seq, view);
            }
        }
        _ => {}
    }
}

/// Tells each party of a negotiation, on its own topic, that it moved; the parties re-read it.
fn publish_negotiation(hub: &Hub, routes: &Routes, seq: u64, negotiation: DealId) {
    for party in routes.negotiations.get(&negotiation).into_iter().flatten() {
        let view = json!({ "kind": "negotiation", "negotiation": negotiation.0 });
        hub.publish_view(format!("negotiations:{}", party.0), seq, view);
    }
}

/// The live room: every change goes out as the public view; a bid also goes to each bidder
/// as its own standing (its topic is private to it) and to the purchaser as anonymous labels;
/// the close publishes the results with names, and the mirror is dropped.
fn route_auction(hub: &Hub, routes: &mut Routes, seq: u64, now: Timestamp, event: &Event) {
    room::apply(&mut routes.auctions, event, now);
    let Some(id) = auction_of(event) else { return };
    let Some(a) = routes.auctions.get(&id).cloned() else { return };
    let public = room::topic(id);
    if room::closed(&a) || a.state == AuctionState::Cancelled {
        routes.auctions.remove(&id);
        let view = if room::closed(&a) {
            hub.replica.read(|engine| room::results(&a, &room::names_in(engine))).0
        } else {
            room::public_view(&a, now)
        };
        hub.publish_view(public, seq, view);
        return;
    }
    hub.publish_with(public, seq, || room::public_view(&a, now));
    if matches!(event, Event::BidAccepted { .. }) {
        for s in &a.standings {
            let topic = room::bidder_topic(id, s.bidder);
            hub.publish_with(topic, seq, || room::bidder_view(&a, s.bidder));
        }
        hub.publish_with(room::purchaser_topic(id), seq, || room::purchaser_view(&a));
    }
}

fn auction_of(event: &Event) -> Option<DealId> {
    match event {
        Event::AuctionOpened { auction, .. }
        | Event::AuctionStarted { auction }
        | Event::BidAccepted { auction, .. }
        | Event::AuctionExtended { auction, .. }
        | Event::AuctionAwarded { auction, .. }
        | Event::AuctionFailed { auction, .. }
        | Event::AuctionCancelled { auction, .. } => Some(*auction),
        _ => None,
    }
}

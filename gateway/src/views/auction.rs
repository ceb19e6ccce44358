//! Auction rooms: what each audience of a reverse auction may see, from one place, so that the
//! REST views and the live feed cannot disagree on what is disclosed.
//!
//! Before the close nobody but the bidder itself learns a bidder's identity: other bidders see their
//! own rank and the number of bidders (and the best price in `best_price` mode); the purchaser sees
//! anonymous labels in rank order (with prices only in `best_price` mode); observers (analysts,
//! operators, eligible suppliers yet to bid) see what the public view shows. After an award or a
//! failure the results publish every bid with the bidder's name. Views are built from the
//! engine's own [`Auction`], as of the sequence they are read at, for REST and feed alike.

use engine::auction::{Auction, AuctionState, Disclosure, MinStep, Standing};
use engine::types::{ParticipantId, Timestamp};
use serde_json::{Value, json};

use super::{Names, Viewer};

/// Who is looking at an auction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// A supplier that may bid (or has): its own standing only.
    Bidder(ParticipantId),
    /// The purchasing unit that opened it: anonymous labels.
    Purchaser,
    /// Anyone else allowed in the room: the public view.
    Observer,
}

/// True once results may be published: the auction closed with or without a winner.
pub fn closed(a: &Auction) -> bool {
    matches!(a.state, AuctionState::Awarded | AuctionState::Failed)
}

/// What everyone in the room sees: the terms, the schedule, the bidder count and, in `best_price`
/// mode, the best price. No identity, ever, before the close.
pub fn public_view(a: &Auction, now: Timestamp) -> Value {
    let spec = &a.spec;
    let mut view = json!({
        "kind": "auction",
        "auction": a.id.0,
        "state": a.state.name(),
        "product": spec.product.0,
        "quantity": spec.quantity.to_string(),
        "ceiling": spec.ceiling.to_string(),
        "step": a.step.to_string(),
        "step_percent": match spec.min_step { MinStep::Basis(bp) => Some(format!("{}.{:02}", bp / 100, bp % 100)), MinStep::Price(_) => None },
        "starts_ms": spec.starts.ms(),
        "scheduled_end_ms": spec.ends.ms(),
        "end_ms": a.end.ms(),
        "latest_end_ms": spec.ends.plus_ms(spec.max_extension_ms).ms(),
        "soft_close_seconds": spec.soft_close_ms / 1_000,
        "extension_seconds": spec.extension_ms / 1_000,
        "extended": a.end > spec.ends,
        "min_bidders": spec.min_bidders,
        "disclosure": spec.disclosure.name(),
        "must_beat_best": spec.must_beat_best,
        "bidders": a.standings.len(),
        "server_ms": now.ms(),
    });
    if spec.disclosure == Disclosure::BestPrice
        && let Some(best) = a.best()
    {
        view["best_price"] = json!(best.price.to_string());
    }
    view
}

/// A bidder's own standing: its rank, its price, the bidder count.
pub fn bidder_view(a: &Auction, bidder: ParticipantId) -> Value {
    let ranking = a.ranking();
    let mine = ranking.iter().position(|s| s.bidder == bidder);
    json!({
        "kind": "standing",
        "auction": a.id.0,
        "rank": mine.map(|r| r + 1),
        "my_price": mine.map(|r| ranking[r].price.to_string()),
        "bidders": ranking.len(),
        "end_ms": a.end.ms(),
    })
}

/// Anonymous labels in order of first bid: they tell bidders apart without telling who they are.
fn label(a: &Auction, bidder: ParticipantId) -> String {
    let n = a.standings.iter().position(|s| s.bidder == bidder).map_or(0, |i| i + 1);
    format!("竞价人{n}")
}

/// The purchaser's view: the ranking by anonymous label, prices only in `best_price` mode.
pub fn purchaser_view(a: &Auction) -> Value {
    let prices = a.spec.disclosure == Disclosure::BestPrice;
    let ranking: Vec<_> = a
        .ranking()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut entry = json!({ "rank": i + 1, "label": label(a, s.bidder) });
            if prices {
                entry["price"] = json!(s.price.to_string());
            }
            entry
        })
        .collect();
    json!({ "kind": "ranking", "auction": a.id.0, "ranking": ranking, "end_ms": a.end.ms() })
}

/// The published results: every bid with its bidder, the ranking, the winner.
pub fn results(a: &Auction, names: Names<'_>) -> Value {
    let named = |s: &Standing| {
        let (name, code) = names(s.bidder).unwrap_or_default();
        json!({ "supplier": s.bidder.0, "name": name, "credit_code": code,
                "price": s.price.to_string(), "receipt_seq": s.receipt.0 })
    };
    let winner = (a.state == AuctionState::Awarded).then(|| a.best()).flatten();
    json!({
        "kind": "results",
        "auction": a.id.0,
        "state": a.state.name(),
        "end_ms": a.end.ms(),
        "winner": winner.as_ref().map(named),
        "ranking": a.ranking().iter().map(named).collect::<Vec<_>>(),
        "bids": a.bids.iter().map(named).collect::<Vec<_>>(),
    })
}

/// Everything an audience may see of an auction now, in one document: what `GET` answers.
pub fn view(a: &Auction, audience: Audience, now: Timestamp, names: Names<'_>) -> Value {
    let mut view = public_view(a, now);
    match audience {
        Audience::Bidder(bidder) => view["mine"] = bidder_view(a, bidder),
        Audience::Purchaser => {
            view["ranking"] = purchaser_view(a)["ranking"].clone();
            view["budget_line"] = json!(a.spec.budget_line.0);
            view["hold"] = json!(a.hold.to_string());
        }
        Audience::Observer => {}
    }
    if closed(a) {
        view["results"] = results(a, names);
    }
    view
}

/// How `viewer` may look at `a`, or `None` when it may not enter the room at all: the purchaser
/// that opened it, suppliers that may bid or have bid, and analysts and operators overseeing its
/// region. Once closed, the results are public.
pub fn audience(engine: &engine::Engine, viewer: &Viewer, a: &Auction) -> Option<Audience> {
    use engine::catalog::ParticipantKind as Kind;
    let me = viewer.participant;
    let inside = match viewer.role {
        Kind::Purchaser if a.purchaser == me => return Some(Audience::Purchaser),
        Kind::Supplier => {
            if a.standings.iter().any(|s| s.bidder == me) || engine.may_bid(a.id, me) {
                return Some(Audience::Bidder(me));
            }
            false
        }
        Kind::Purchaser => false,
        Kind::Analyst | Kind::Operator => {
            viewer.region.is_none_or(|oversees| a.region.contains(oversees.region()))
        }
    };
    (inside || closed(a)).then_some(Audience::Observer)
}

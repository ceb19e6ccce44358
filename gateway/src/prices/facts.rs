//! Turning the engine's trades, bids and closed auctions into the facts analytics folds, and the
//! fold of a whole engine at start. The rebuild visits everything in the order the live feed saw
//! it: by command sequence; within one command, the auctions its deadlines closed (in deadline
//! order, each before the trade it struck), then its own trades by leg, then its bid.

use engine::Engine;
use engine::analytics::{Analytics, AuctionFacts, BidFacts, Thresholds, TradeFacts};
use engine::auction::{Auction, AuctionState};
use engine::catalog::RegionLevel;
use engine::settlement::{Trade, TradeMode};
use engine::types::{DealId, ParticipantId, RegionCode, Seq, Timestamp, TradeId, UnitPrice};

/// The city of a region (itself when it is one, the province for the province).
fn market(engine: &Engine, region: RegionCode) -> RegionCode {
    let Some(r) = engine.region(region) else { return region };
    r.chain
        .codes()
        .iter()
        .copied()
        .find(|c| engine.region(*c).is_some_and(|x| x.level == RegionLevel::City))
        .unwrap_or(region)
}

/// The facts of a trade.
pub fn trade(engine: &Engine, t: &Trade) -> Option<TradeFacts> {
    let category = engine.product(t.product)?.category.category();
    let line = engine.budget_line(t.budget_line)?;
    Some(TradeFacts {
        trade: *t,
        category,
        market: market(engine, t.region),
        project: line.project.clone(),
        fiscal_year: line.fiscal_year,
        direct_order_limit: engine.direct_order_limit(t.region, category),
    })
}

/// The facts of an accepted bid.
pub fn bid(
    engine: &Engine,
    auction: DealId,
    bidder: ParticipantId,
    price: UnitPrice,
    ts: Timestamp,
    seq: Seq,
) -> Option<BidFacts> {
    let a = engine.auction(auction)?;
    let region = a.region.region();
    Some(BidFacts {
        auction,
        product: a.spec.product,
        market: market(engine, region),
        region,
        bidder,
        price,
        ts,
        seq,
    })
}

/// The facts of an auction that closed with or without a winner, as its closure recorded it.
pub fn auction(engine: &Engine, a: &Auction) -> Option<AuctionFacts> {
    let closure =
        a.closed.filter(|_| matches!(a.state, AuctionState::Awarded | AuctionState::Failed))?;
    let category = engine.product(a.spec.product)?.category.category();
    // The award's trade was struck by the closing command: one of its legs.
    let winner = (a.state == AuctionState::Awarded)
        .then(|| {
            (0..)
                .map_while(|leg| engine.trade(TradeId { seq: closure.seq, leg }))
                .find(|r| r.trade.deal == a.id)
                .map(|r| r.trade.supplier)
        })
        .flatten();
    Some(AuctionFacts {
        auction: a.id,
        category,
        region: a.region.region(),
        winner,
        bidders: closure.bidders,
        standings: a.ranking(),
        ts: closure.ts,
        seq: closure.seq,
    })
}

/// One fact of the rebuild, with the key that puts it where the live feed saw it.
enum Fact {
    Closed(AuctionFacts),
    Trade(TradeFacts),
    Bid(BidFacts),
    Raised(engine::analytics::Alert),
}

/// Where a fact falls: (seq, phase, deadline time, auction, leg).
type Order = (u64, u8, i64, u64, u32);

/// Analytics over everything the engine holds, as the live feed would have computed it.
pub fn rebuild(engine: &Engine, thresholds: Thresholds) -> Analytics {
    // (seq, phase, deadline time, auction, leg): closes and their trades first, in deadline
    // order; then the command's own trades by leg; then its bid.
    let mut facts: Vec<(Order, Fact)> = Vec::new();
    for a in engine.auctions() {
        for s in &a.bids {
            if let Some(f) = bid(engine, a.id, s.bidder, s.price, s.at, s.receipt) {
                facts.push(((s.receipt.0, 2, 0, 0, 0), Fact::Bid(f)));
            }
        }
        if let Some(f) = auction(engine, a) {
            facts.push(((f.seq.0, 0, a.end.0, a.id.0, 0), Fact::Closed(f)));
        }
    }
    for r in engine.trades() {
        let t = &r.trade;
        let Some(f) = trade(engine, t) else { continue };
        let key = match (t.mode, engine.auction(t.deal)) {
            (TradeMode::Auction, Some(a)) => (t.seq.0, 0, a.end.0, a.id.0, 1 + t.id.leg),
            _ => (t.seq.0, 1, 0, 0, t.id.leg),
        };
        facts.push((key, Fact::Trade(f)));
    }
    for (n, alert) in super::lifecycle::alerts_in(engine).into_iter().enumerate() {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        facts.push(((alert.seq.0, 3, 0, 0, n), Fact::Raised(alert)));
    }
    facts.sort_by_key(|(key, _)| *key);
    let mut analytics = Analytics::new(thresholds);
    for (_, fact) in facts {
        match fact {
            Fact::Closed(f) => drop(analytics.auction_closed(&f)),
            Fact::Trade(f) => drop(analytics.trade(&f)),
            Fact::Bid(f) => drop(analytics.bid(&f)),
            Fact::Raised(alert) => drop(analytics.raised(alert)),
        }
    }
    analytics
}

//! The facts statistics count of each concluded deal (T-1): its mode, when and where it concluded,
//! what it bought, its amount as it stands, its ceiling and the budget it held, how many suppliers
//! took part, and how much of it went to small and micro enterprises.
//!
//! The publisher keeps one row per deal, rewritten whenever an event changes the deal (an award
//! annulled and the next-ranked's, a contract declined), from its own engine and in the same
//! transaction as its offset: the statistics are the journal's, exact and never counted twice, and
//! a regulator's question is a `GROUP BY` over these rows rather than a scan of the engine.

use engine::Engine;
use engine::auction::AuctionState;
use engine::award::AwardState;
use engine::inquiry::InquiryState;
use engine::negotiation::NegotiationState;
use engine::settlement::{TradeRecord, TradeState};
use engine::types::{
    Amount, CategoryCode, DealId, ParticipantId, RegionCode, Seq, Timestamp, TradeId,
};
use engine::{Event, EventEnvelope};

use super::deal::{Deal, Mode};

/// How a deal ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Awarded, ordered or accepted: it bought something.
    Awarded,
    /// Failed: too few bidders or quotes, or no valid next-ranked (流标、废标).
    Failed,
    /// Cancelled by the purchaser before it closed.
    Cancelled,
}

impl Outcome {
    /// Its name in the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::Awarded => "awarded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// What statistics count of one deal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealFacts {
    /// The deal.
    pub deal: DealId,
    /// How it was made.
    pub mode: Mode,
    /// How it ended.
    pub outcome: Outcome,
    /// When it ended (the close, the opening, the order).
    pub concluded: Timestamp,
    /// The purchaser's region and its ancestors, nearest first.
    pub regions: Vec<RegionCode>,
    /// The category bought and its ancestors, nearest first.
    pub categories: Vec<CategoryCode>,
    /// The amount of its trades that stand (neither declined, cancelled nor annulled).
    pub amount: Amount,
    /// The ceilings times the quantities, where the deal has ceilings: an auction's or inquiry's
    /// own, or the framework agreement's for an order or a negotiation.
    pub ceiling: Option<Amount>,
    /// The budget held for it, where it held one.
    pub held: Option<Amount>,
    /// Suppliers that took part: bidders counted at the close, quoters in the last round.
    pub participants: Option<u32>,
    /// The part of `amount` traded with small and micro enterprises.
    pub small: Amount,
}

/// The facts of each deal the record's events changed, once each.
pub fn of_record(engine: &Engine, events: &[EventEnvelope]) -> Vec<DealFacts> {
    let mut deals: Vec<DealId> = Vec::new();
    for envelope in events {
        let deal = match &envelope.event {
            Event::AuctionAwarded { auction: d, .. }
            | Event::AuctionFailed { auction: d, .. }
            | Event::AuctionCancelled { auction: d, .. }
            | Event::InquiryAwarded { inquiry: d, .. }
            | Event::InquiryFailed { inquiry: d, .. }
            | Event::InquiryCancelled { inquiry: d, .. }
            | Event::AwardVacated { deal: d, .. }
            | Event::AwardedToNext { deal: d, .. }
            | Event::AwardFailed { deal: d, .. }
            | Event::NegotiationAccepted { negotiation: d, .. }
            | Event::OrderFilled { order: d, .. } => *d,
            Event::TradeSettled {
                trade,
                state: TradeState::Declined | TradeState::Cancelled | TradeState::Annulled,
                ..
            } => match engine.trade(*trade) {
                Some(record) => record.trade.deal,
                None => continue,
            },
            _ => continue,
        };
        if !deals.contains(&deal) {
            deals.push(deal);
        }
    }
    deals.into_iter().filter_map(|deal| facts(engine, deal)).collect()
}

/// The facts of `deal` as it stands, once it has ended.
pub fn facts(engine: &Engine, id: DealId) -> Option<DealFacts> {
    if let Some(a) = engine.auction(id) {
        let outcome = match a.state {
            AuctionState::Awarded => award_outcome(engine, id),
            AuctionState::Failed => Outcome::Failed,
            AuctionState::Cancelled => Outcome::Cancelled,
            AuctionState::Scheduled | AuctionState::Open => return None,
        };
        let closed = a.closed?;
        let deal = Deal::find(engine, id)?;
        let trades = award_trades(engine, id);
        return Some(make(
            engine,
            &deal,
            outcome,
            closed.ts,
            &trades,
            Some(a.hold),
            Some(a.hold),
            Some(closed.bidders),
        ));
    }
    if let Some(q) = engine.inquiry(id) {
        let outcome = match q.state {
            InquiryState::Awarded => award_outcome(engine, id),
            InquiryState::Failed => Outcome::Failed,
            InquiryState::Cancelled => Outcome::Cancelled,
            _ => return None,
        };
        let (_, ended) = q.ended?;
        let deal = Deal::find(engine, id)?;
        let trades = award_trades(engine, id);
        let quoters = u32::try_from(q.round().quoters.len()).unwrap_or(u32::MAX);
        return Some(make(
            engine,
            &deal,
            outcome,
            ended,
            &trades,
            Some(q.hold),
            Some(q.hold),
            Some(quoters),
        ));
    }
    if let Some(n) = engine.negotiation(id) {
        if n.state != NegotiationState::Accepted {
            return None;
        }
        let record = engine.trade(n.trade?)?;
        let deal = Deal::find(engine, id)?;
        let ceiling = engine
            .agreement(n.proposal.agreement)
            .and_then(|a| a.ceiling.times(n.proposal.quantity));
        let held = n.price().times(n.proposal.quantity);
        return Some(make(
            engine,
            &deal,
            Outcome::Awarded,
            record.trade.ts,
            &[record],
            ceiling,
            held,
            None,
        ));
    }
    // A direct order: its trades were struck by the command whose sequence is its id.
    let trades: Vec<&TradeRecord> = (0..)
        .map_while(|leg| engine.trade(TradeId { seq: Seq(id.0), leg }))
        .filter(|r| r.trade.deal == id)
        .collect();
    let first = trades.first()?;
    let struck: Vec<_> = trades.iter().map(|r| r.trade).collect();
    let deal = Deal::of_order(engine, &struck)?;
    let ceiling = trades
        .iter()
        .map(|r| {
            r.trade
                .agreement
                .and_then(|a| engine.agreement(a))
                .and_then(|a| a.ceiling.times(r.trade.quantity))
        })
        .try_fold(Amount::ZERO, |sum, c| c.and_then(|c| sum.checked_add(c)));
    Some(make(engine, &deal, Outcome::Awarded, first.trade.ts, &trades, ceiling, None, None))
}

/// An awarded auction or inquiry counts as failed once its award has failed for want of a valid
/// next-ranked (C-4).
fn award_outcome(engine: &Engine, deal: DealId) -> Outcome {
    match engine.award(deal).map(|a| a.state) {
        Some(AwardState::Failed) => Outcome::Failed,
        _ => Outcome::Awarded,
    }
}

fn award_trades(engine: &Engine, deal: DealId) -> Vec<&TradeRecord> {
    engine
        .award(deal)
        .filter(|a| a.state != AwardState::Vacant && a.state != AwardState::Failed)
        .map(|a| a.trades.iter().filter_map(|t| engine.trade(*t)).collect())
        .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn make(
    engine: &Engine,
    deal: &Deal,
    outcome: Outcome,
    concluded: Timestamp,
    trades: &[&TradeRecord],
    ceiling: Option<Amount>,
    held: Option<Amount>,
    participants: Option<u32>,
) -> DealFacts {
    let standing = trades.iter().filter(|r| {
        !matches!(r.state, TradeState::Declined | TradeState::Cancelled | TradeState::Annulled)
    });
    let (mut amount, mut small) = (Amount::ZERO, Amount::ZERO);
    for r in standing {
        amount = amount.checked_add(r.trade.amount).unwrap_or(amount);
        if is_small(engine, r.trade.supplier) {
            small = small.checked_add(r.trade.amount).unwrap_or(small);
        }
    }
    DealFacts {
        deal: deal.id,
        mode: deal.mode,
        outcome,
        concluded,
        regions: deal.regions.clone(),
        categories: deal.categories.clone(),
        amount,
        ceiling: if outcome == Outcome::Awarded { ceiling } else { None },
        held: if outcome == Outcome::Awarded { held } else { None },
        participants,
        small,
    }
}

/// True for a small or micro enterprise (S-1).
fn is_small(engine: &Engine, supplier: ParticipantId) -> bool {
    engine.participant(supplier).and_then(|p| p.size).is_some_and(|s| s.is_small_or_micro())
}

/// The Shanghai month of `at`, `YYYY-MM`: the statistics' smallest period.
pub fn month(at: Timestamp) -> String {
    let date = engine::types::shanghai_date(at);
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

//! Deadlines (an inquiry's run in [`crate::inquiry`]): an auction starts at its start time and closes at its (possibly extended) end
//! bidders still active and still eligible count as distinct legal entities; with at least
//! the minimum, rank 1 wins and a trade is struck; otherwise the auction fails and the budget is
//! released.

use super::{AuctionState, AuctionStep, Eligibility};
use crate::award::{Award, AwardLine, AwardState, Candidate};
use crate::budget::LedgerKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::settlement::{Trade, TradeMode, TradeRecord};
use crate::state::State;
use crate::types::{DealId, Timestamp, UserId};

impl State {
    /// The earliest deadline the engine keeps.
    pub(crate) fn next_deadline(&self) -> Option<Timestamp> {
        let deal = self.deadlines.first().map(|d| d.at);
        let timer = self.timers.first().map(|t| t.at);
        deal.into_iter().chain(timer).min()
    }

    /// Runs every deadline and timer due at `ctx.now`, in time order; at the same time a deal's
    /// deadline runs before a timer.
    pub(crate) fn run_deadlines(&mut self, ctx: &mut Ctx<'_>) {
        loop {
            let deal = self.deadlines.first().copied().filter(|d| d.at <= ctx.now);
            let timer = self.timers.first().copied().filter(|t| t.at <= ctx.now);
            match (deal, timer) {
                (Some(d), Some(t)) if t.at < d.at => {
                    self.timers.remove(&t);
                    self.on_timer(t, ctx);
                }
                (Some(d), _) => {
                    self.deadlines.remove(&d);
                    self.on_deadline(d.deal, ctx);
                }
                (None, Some(t)) => {
                    self.timers.remove(&t);
                    self.on_timer(t, ctx);
                }
                (None, None) => break,
            }
        }
    }

    fn on_deadline(&mut self, deal: DealId, ctx: &mut Ctx<'_>) {
        if let Some(ix) = self.inquiries.index_of(deal) {
            self.close_quotes(ix, ctx);
            return;
        }
        if let Some(ix) = self.negotiations.index_of(deal) {
            self.expire_negotiation(ix, ctx);
            return;
        }
        let auction = deal;
        let Some(ix) = self.auctions.index_of(auction) else { return };
        match self.auctions.at(ix).state {
            AuctionState::Scheduled => {
                let a = self.auctions.at_mut(ix);
                a.state = AuctionState::Open;
                if let Some(next) = a.deadline() {
                    self.deadlines.insert(next);
                }
                ctx.emit(Event::AuctionStarted { auction });
            }
            AuctionState::Open => self.close_auction(ix, ctx),
            AuctionState::Awarded | AuctionState::Failed | AuctionState::Cancelled => {}
        }
    }

    fn close_auction(&mut self, ix: crate::arena::Ix, ctx: &mut Ctx<'_>) {
        let a = self.auctions.at(ix);
        let counted: Vec<_> = a
            .standings
            .iter()
            .copied()
            .filter(|s| {
                let active = self.participants.get(s.bidder).is_some_and(|p| p.is_active());
                active && self.may_bid(s.bidder, &a.spec.eligibility, s.product, &a.region, ctx.now)
            })
            .collect();
        let bidders = u32::try_from(counted.len()).unwrap_or(u32::MAX);
        let mut ranked = counted;
        ranked.sort_by_key(|s| (s.price, s.receipt));
        let winner = ranked.first().copied();
        let (id, hold, line, purchaser) = (a.id, a.hold, a.spec.budget_line, a.purchaser);
        let (product, quantity, region) = (a.spec.product, a.spec.quantity, a.region.region());
        let Some(line_ix) = self.budgets.index_of(line) else { return };
        let award = winner.filter(|_| bidders >= a.spec.min_bidders);
        let step = if award.is_some() { AuctionStep::Award } else { AuctionStep::Fail };
        let Some(next) = a.state.after(step) else { return };
        let a = self.auctions.at_mut(ix);
        a.state = next;
        a.closed = Some(super::Closure { seq: ctx.seq, ts: ctx.now, bidders });
        let Some(winner) = award else {
            ctx.emit(Event::AuctionFailed { auction: id, bidders });
            self.move_budget(line_ix, LedgerKind::Released, hold, Some(id), UserId::PLATFORM, ctx);
            return;
        };
        // a holder's trade records the agreement under which it won.
        let a = self.auctions.at(ix);
        let holders = a.spec.eligibility == Eligibility::AgreementHolders;
        let ranking: Vec<Candidate> = ranked
            .iter()
            .map(|s| Candidate {
                supplier: s.bidder,
                product: Some(s.product),
                prices: vec![s.price],
                amount: s.price.times(quantity).unwrap_or(hold).min(hold),
                agreement: holders
                    .then(|| self.holder_agreement(s.bidder, s.product, &a.region, ctx.now))
                    .flatten()
                    .map(|ag| ag.id),
                passed: false,
            })
            .collect();
        let mut participants: Vec<_> = a.standings.iter().map(|s| s.bidder).collect();
        participants.sort_unstable();
        let chain = a.region;
        // The price is at or under the ceiling, so the amount is at most the hold.
        let amount = ranking[0].amount;
        let agreement = ranking[0].agreement;
        let trade = Trade {
            id: ctx.next_trade_id(),
            mode: TradeMode::Auction,
            deal: id,
            purchaser,
            supplier: winner.bidder,
            product: winner.product,
            agreement,
            quantity,
            unit_price: winner.price,
            amount,
            budget_line: line,
            region,
            ts: ctx.now,
            seq: ctx.seq,
        };
        self.trades.push(TradeRecord::struck(trade));
        ctx.emit(Event::AuctionAwarded {
            auction: id,
            winner: winner.bidder,
            price: winner.price,
            amount,
            bidders,
        });
        ctx.emit(Event::TradeStruck(trade));
        self.move_budget(line_ix, LedgerKind::Committed, amount, Some(id), UserId::PLATFORM, ctx);
        let rest = hold.minus(amount);
        if rest.is_positive() {
            self.move_budget(line_ix, LedgerKind::Released, rest, Some(id), UserId::PLATFORM, ctx);
        }
        let award = Award {
            deal: id,
            mode: TradeMode::Auction,
            purchaser,
            region: chain,
            budget_line: line,
            lines: vec![AwardLine { product, quantity }],
            ranking,
            participants,
            state: AwardState::Provisional,
            rank: 0,
            trades: vec![trade.id],
            published: ctx.now,
            period_ends: ctx.now,
            suspended: None,
            challenges: Vec::new(),
        };
        self.record_award(award, ctx);
    }
}

//! Deadlines (an inquiry's run in [`crate::inquiry`]): an auction starts at its start time and closes at its (possibly extended) end
//! bidders still active and still eligible count as distinct legal entities; with at least
//! the minimum, rank 1 wins and a trade is struck; otherwise the auction fails and the budget is
//! released.

use super::{AuctionState, AuctionStep};
use crate::budget::LedgerKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::settlement::{Trade, TradeMode, TradeRecord, TradeState};
use crate::state::State;
use crate::types::{DealId, Timestamp, UserId};

impl State {
    /// The earliest deadline the engine keeps.
    pub(crate) fn next_deadline(&self) -> Option<Timestamp> {
        self.deadlines.first().map(|d| d.at)
    }

    /// Runs every deadline due at `ctx.now`, in time order.
    pub(crate) fn run_deadlines(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(first) = self.deadlines.first().copied() {
            if first.at > ctx.now {
                break;
            }
            self.deadlines.remove(&first);
            self.on_deadline(first.deal, ctx);
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
                active
                    && self.may_bid(
                        s.bidder,
                        &a.spec.eligibility,
                        a.spec.product,
                        &a.region,
                        ctx.now,
                    )
            })
            .collect();
        let bidders = u32::try_from(counted.len()).unwrap_or(u32::MAX);
        let winner = counted.iter().copied().min_by_key(|s| (s.price, s.receipt));
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
        // The price is at or under the ceiling, so the amount is at most the hold.
        let amount = winner.price.times(quantity).unwrap_or(hold).min(hold);
        let trade = Trade {
            id: ctx.next_trade_id(),
            mode: TradeMode::Auction,
            deal: id,
            purchaser,
            supplier: winner.bidder,
            product,
            agreement: None,
            quantity,
            unit_price: winner.price,
            amount,
            budget_line: line,
            region,
            ts: ctx.now,
            seq: ctx.seq,
        };
        self.trades.push(TradeRecord { trade, state: TradeState::Struck, accepted_ts: None });
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
    }
}

//! A demo market that lives: in a demo market (and unless `run --still`), the province's units and
//! suppliers trade at a gentle pace through the same engine commands as anyone, so that a visitor
//! sees candles grow, auctions open, fill with bids and close, and alerts arrive, without doing
//! anything. Orders, offer moves and settlement steps come from the scripted day; every few
//! minutes a purchasing unit opens a reverse auction on a contested product and the suppliers
//! holding agreements for it bid it down, one step at a time, until the deadline closes it; and
//! now and then a unit splits a purchase over the direct-order limit into orders each under it,
//! which the price desk's early warning catches (P-4).
//!
//! [`Living::turn`] decides, from the engine and the time alone, what is sent at `now`; the
//! driver ([`start`]) calls it every second and sends it. Tests call it with the engine clock.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use engine::auction::{AuctionSpec, Disclosure, Eligibility, MinStep};
use engine::types::{DealId, ParticipantId, Quantity, Timestamp, UnitPrice};
use engine::{Action, Command, Engine, Event};

use super::{DemoProvince, contests, day_commands, demo_user, live};
use crate::read::Replica;
use crate::runtime::{Clock, EngineHandle, Outcome};

/// How fast the demo market lives.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Trading commands (orders, offer moves) sent each turn; settlement follows their trades.
    pub per_turn: usize,
    /// Milliseconds between turns that trade.
    pub trade_every_ms: i64,
    /// Milliseconds between one demo auction's close and the next one's opening.
    pub auction_every_ms: i64,
    /// How long a demo auction runs.
    pub auction_ms: i64,
    /// Milliseconds between bids in a running demo auction.
    pub bid_every_ms: i64,
    /// Milliseconds between split purchases (the first comes 40 seconds after the start).
    pub split_every_ms: i64,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            per_turn: 3,
            trade_every_ms: 3_000,
            auction_every_ms: 60_000,
            auction_ms: 240_000,
            bid_every_ms: 15_000,
            split_every_ms: 300_000,
        }
    }
}

/// A demo auction under way.
#[derive(Debug)]
struct Running {
    id: DealId,
    bidders: Vec<ParticipantId>,
    ceiling: UnitPrice,
    step: UnitPrice,
    ends: Timestamp,
    bids: i64,
    next_bid: Timestamp,
}

/// What the demo market does next.
#[derive(Debug)]
pub struct Living {
    pace: Pace,
    script: VecDeque<Command>,
    rounds: u64,
    next_trade: Timestamp,
    next_auction: Timestamp,
    contests_opened: usize,
    /// The bidders of the auction being opened, until it has opened.
    opening: Option<Vec<ParticipantId>>,
    auction: Option<Running>,
    next_split: Timestamp,
    splits: usize,
}

impl Living {
    /// A demo market starting at `now`: trading at once, the first auction a few seconds later.
    pub fn new(pace: Pace, now: Timestamp) -> Self {
        Self {
            pace,
            script: VecDeque::new(),
            rounds: 0,
            next_trade: now,
            next_auction: now.plus_ms(5_000),
            contests_opened: 0,
            opening: None,
            auction: None,
            next_split: now.plus_ms(40_000),
            splits: 0,
        }
    }

    /// The commands to send at `now`.
    pub fn turn(&mut self, engine: &Engine, now: Timestamp) -> Vec<Command> {
        let mut commands = Vec::new();
        if now >= self.next_trade {
            self.next_trade = now.plus_ms(self.pace.trade_every_ms);
            if self.script.len() < self.pace.per_turn {
                self.refill(engine);
            }
            let take = self.pace.per_turn.min(self.script.len());
            commands.extend(self.script.drain(..take));
        }
        if let Some(running) = &mut self.auction {
            if now >= running.ends {
                self.next_auction = now.plus_ms(self.pace.auction_every_ms);
                self.auction = None;
            } else if now >= running.next_bid && !running.bidders.is_empty() {
                running.bids += 1;
                running.next_bid = now.plus_ms(self.pace.bid_every_ms);
                let bidder = running.bidders[(running.bids as usize - 1) % running.bidders.len()];
                let below = running.step.minor().saturating_mul(running.bids);
                let price = UnitPrice::from_minor(running.ceiling.minor().saturating_sub(below));
                if price.minor() > 0 {
                    let bid = Action::SubmitBid { auction: running.id, price };
                    commands.push(Command::new(demo_user(bidder), bid));
                }
            }
        } else if self.opening.is_none() && now >= self.next_auction {
            if let Some(open) = self.open_auction(engine, now) {
                commands.push(open);
            } else {
                self.next_auction = now.plus_ms(self.pace.auction_every_ms);
            }
        }
        if now >= self.next_split {
            self.next_split = now.plus_ms(self.pace.split_every_ms);
            commands.extend(self.split_purchase(engine, now));
        }
        commands
    }

    /// Two orders of one product by one unit, each under the direct-order limit of its region and
    /// category and together over it: what the early warning of split purchases is for (P-4).
    fn split_purchase(&mut self, engine: &Engine, now: Timestamp) -> Vec<Command> {
        self.splits += 1;
        let units =
            engine.participants().filter(|p| p.kind == engine::catalog::ParticipantKind::Purchaser);
        for unit in units.skip(self.splits * 7 % 50) {
            let Some(region) = unit.region else { continue };
            for product in engine.products().filter(|p| p.scale == 0) {
                let Some(limit) = product
                    .category
                    .codes()
                    .iter()
                    .find_map(|c| engine.direct_order_limit(region.region(), *c))
                else {
                    continue;
                };
                let best = engine
                    .offers(product.id)
                    .filter(|(_, a)| a.covers(&region) && a.is_valid(now) && a.stock.is_none())
                    .map(|(k, _)| k.price)
                    .min();
                let Some(price) = best.filter(|p| p.minor() > 0) else { continue };
                // Each order about 55 % of the limit: under it alone, over it together.
                let per_order = limit.minor() * 55 / 100;
                let whole = per_order * 100 / price.minor();
                if whole < 1 {
                    continue;
                }
                let Ok(quantity) = Quantity::parse(&whole.to_string()) else { continue };
                let Some(amount) = price.times(quantity) else { continue };
                let line = engine
                    .budget_lines()
                    .filter(|l| l.purchaser == unit.id)
                    .find(|l| l.balance.available().minor() >= 3 * amount.minor());
                let Some(line) = line else { continue };
                let order = engine::direct::OrderRequest {
                    product: product.id,
                    quantity,
                    budget_line: line.id,
                    supplier: None,
                    limit_price: None,
                    all_or_nothing: true,
                };
                let command = Command::new(demo_user(unit.id), Action::PlaceOrder(order));
                return vec![command.clone(), command];
            }
        }
        Vec::new()
    }

    /// Learns what a command sent came to: the demo auction's id once it has opened.
    pub fn answered(&mut self, command: &Command, outcome: &Outcome) {
        let Action::OpenAuction(spec) = &command.action else { return };
        let bidders = self.opening.take().unwrap_or_default();
        let opened = outcome.events.iter().any(|e| matches!(e.event, Event::AuctionOpened { .. }));
        if !opened {
            self.next_auction = spec.starts.plus_ms(self.pace.auction_every_ms);
            return;
        }
        let step = match spec.min_step {
            MinStep::Price(step) => step,
            MinStep::Basis(_) => UnitPrice::from_minor(1),
        };
        self.auction = Some(Running {
            id: DealId(outcome.seq.0),
            bidders,
            ceiling: spec.ceiling,
            step,
            ends: spec.ends,
            bids: 0,
            next_bid: spec.starts.plus_ms(2_000),
        });
    }

    /// The next round of the scripted day: orders and offer moves.
    fn refill(&mut self, engine: &Engine) {
        let province = DemoProvince::from_engine(engine);
        if province.purchasers.is_empty() {
            return;
        }
        self.rounds += 1;
        let today = engine::types::shanghai_date(engine.clock());
        let seed = engine.seq().0.wrapping_add(self.rounds);
        self.script.extend(day_commands(&province, today, 60, seed).into_iter().map(|(c, _)| c));
    }

    /// An auction on the next contested product, at the lowest of its bidders' agreement ceilings
    /// (a holder bids within its own, A-2), in steps of a thousandth of it.
    fn open_auction(&mut self, engine: &Engine, now: Timestamp) -> Option<Command> {
        let contest = contests(engine, 3, engine::types::Amount::ZERO)
            .nth(self.contests_opened % 50)
            .or_else(|| contests(engine, 3, engine::types::Amount::ZERO).next())?;
        self.contests_opened += 1;
        let ceiling = engine
            .agreements()
            .filter(|a| a.product == contest.product && contest.bidders.contains(&a.supplier))
            .map(|a| a.ceiling)
            .min()?;
        let step = UnitPrice::from_minor((ceiling.minor() / 1_000).max(1));
        let spec = AuctionSpec {
            product: contest.product,
            quantity: Quantity::parse("1").ok()?,
            budget_line: contest.line,
            ceiling,
            starts: now,
            ends: now.plus_ms(self.pace.auction_ms),
            min_step: MinStep::Price(step),
            soft_close_ms: 30_000,
            extension_ms: 30_000,
            max_extension_ms: 120_000,
            min_bidders: 3,
            disclosure: Disclosure::BestPrice,
            must_beat_best: true,
            eligibility: Eligibility::AgreementHolders,
        };
        self.opening = Some(contest.bidders);
        Some(Command::new(demo_user(contest.purchaser), Action::OpenAuction(spec)))
    }
}

/// Runs the demo market's life until the engine stops: a turn every second on `clock`.
pub fn start(handle: EngineHandle, replica: Replica, clock: Arc<dyn Clock>, pace: Pace) {
    tokio::spawn(async move {
        let mut living = Living::new(pace, clock.now());
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticker.tick().await;
            if handle.is_closed() {
                return;
            }
            let now = clock.now();
            let (commands, _) = replica.read(|engine| living.turn(engine, now));
            let mut trading = Vec::new();
            for command in commands {
                if matches!(command.action, Action::OpenAuction(_) | Action::SubmitBid { .. }) {
                    let Ok(outcome) = handle.submit(command.clone()).await else { continue };
                    living.answered(&command, &outcome);
                } else {
                    trading.push(command);
                }
            }
            if !trading.is_empty() {
                live::trade(handle.clone(), trading, 2, false).await;
            }
        }
    });
}

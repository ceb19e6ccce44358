//! The bids workload and its baseline: live reverse auctions on the benchmark province, each open
//! to the agreement holders of a contested product, and a stream of valid bids walking prices down
//! by at least the step, the last stretch inside the soft-close window so that bids extend the end.
//!
//! `NaiveAuctions` checks what check (window, eligibility through the product's
//! agreements, affiliates, ceiling, step below the bidder's own bid, soft close) the obvious way,
//! with `HashMap`s and a `Vec` of standings, and keeps no events, ledger or bid history.

use std::collections::HashMap;

use engine::auction::{AuctionSpec, Disclosure, Eligibility, MinStep};
use engine::types::{
    AgreementId, Amount, DealId, ParticipantId, ProductId, Quantity, RegionCode, Seq, Timestamp,
    UnitPrice,
};
use engine::{Action, Command, Engine, Event};
use gateway::demo::{self, Contest, DemoSizes, Driver};

use crate::workload::{DAY, Workload};

/// Ceiling of every benchmark auction: room for hundreds of one-yuan steps.
const CEILING_MINOR: i64 = 20_000 * 10_000;
/// Minimum step: one yuan.
const STEP_MINOR: i64 = 10_000;
/// Bidding runs an hour; the last five minutes are the soft-close window.
const HOUR_MS: i64 = 3_600_000;
const SOFT_CLOSE_MS: i64 = 300_000;

/// Loads the province, opens `auctions` auctions at 09:00 and scripts `count` bids spread over the
/// next 59 minutes. Every bid is valid when applied in order.
pub fn bids(sizes: DemoSizes, auctions: usize, count: usize) -> Workload {
    let opens = Timestamp::shanghai_midnight(DAY).plus_ms(9 * HOUR_MS);
    let mut driver = Driver { now: opens, ..Driver::default() };
    demo::load(&mut driver, DAY, sizes).expect("the demo province loads");
    let rooms = open_auctions(&mut driver, opens, auctions);
    assert!(!rooms.is_empty(), "the province has contested products");
    let mut last: HashMap<(DealId, ParticipantId), i64> = HashMap::new();
    let commands = (0..count)
        .map(|i| {
            let (auction, bidders) = &rooms[i % rooms.len()];
            let bidder = bidders[(i / rooms.len()) % bidders.len()];
            let own = last.entry((*auction, bidder)).or_insert(CEILING_MINOR);
            // One to three steps below its own last bid: valid under A-2, never the same price.
            *own -= STEP_MINOR * (1 + i64::try_from(i % 3).unwrap_or(0));
            let at =
                opens.plus_ms(i64::try_from(i).unwrap_or(0) * (HOUR_MS - 60_000) / count as i64);
            let action =
                Action::SubmitBid { auction: *auction, price: UnitPrice::from_minor(*own) };
            (Command::new(demo::demo_user(bidder), action), at)
        })
        .collect();
    Workload { engine: driver.engine, commands }
}

/// Opens up to `n` auctions, each by a different purchasing unit, for products with at least three
/// unaffiliated agreement holders covering its region; returns each auction with its bidders.
fn open_auctions(
    driver: &mut Driver,
    at: Timestamp,
    n: usize,
) -> Vec<(DealId, Vec<ParticipantId>)> {
    let hold = Amount::from_minor(CEILING_MINOR / 100);
    let plans: Vec<Contest> = demo::contests(&driver.engine, 3, hold).take(n).collect();
    let mut rooms = Vec::new();
    for Contest { purchaser, line, product, bidders } in plans {
        let spec = AuctionSpec {
            product,
            quantity: Quantity::parse("1").expect("one"),
            budget_line: line,
            ceiling: UnitPrice::from_minor(CEILING_MINOR),
            starts: at,
            ends: at.plus_ms(HOUR_MS),
            min_step: MinStep::Price(UnitPrice::from_minor(STEP_MINOR)),
            soft_close_ms: SOFT_CLOSE_MS,
            extension_ms: 60_000,
            max_extension_ms: 1_800_000,
            min_bidders: 3,
            disclosure: Disclosure::BestPrice,
            must_beat_best: false,
            eligibility: Eligibility::AgreementHolders,
        };
        let command = Command::new(demo::demo_user(purchaser), Action::OpenAuction(spec));
        let mut out = Vec::new();
        let seq = driver.engine.apply(command, at, &mut out);
        if out.iter().any(|e| matches!(e.event, Event::AuctionOpened { .. })) {
            rooms.push((DealId(seq.0), bidders));
        }
    }
    rooms
}

struct Agreement {
    supplier: ParticipantId,
    regions: Vec<RegionCode>,
    from: Timestamp,
    until: Timestamp,
}

struct Room {
    product: ProductId,
    region: Vec<RegionCode>,
    ceiling: UnitPrice,
    step: UnitPrice,
    starts: Timestamp,
    end: Timestamp,
    soft_close_ms: i64,
    extension_ms: i64,
    cap: Timestamp,
    standings: Vec<(ParticipantId, UnitPrice, Seq)>,
}

/// The naive auction house.
pub struct NaiveAuctions {
    seq: u64,
    rooms: HashMap<DealId, Room>,
    agreements: HashMap<AgreementId, Agreement>,
    by_product: HashMap<ProductId, Vec<AgreementId>>,
    groups: HashMap<ParticipantId, Vec<u64>>,
    active: HashMap<ParticipantId, bool>,
}

impl std::fmt::Debug for NaiveAuctions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NaiveAuctions({} auctions at seq {})", self.rooms.len(), self.seq)
    }
}

impl NaiveAuctions {
    /// The same auctions, agreements and suppliers as `engine` holds.
    pub fn from_engine(engine: &Engine) -> Self {
        let mut by_product: HashMap<ProductId, Vec<AgreementId>> = HashMap::new();
        let agreements = engine
            .agreements()
            .map(|a| {
                by_product.entry(a.product).or_default().push(a.id);
                let regions = a.regions.to_vec();
                let until = Timestamp::shanghai_midnight(a.validity.to.next_day().expect("date"));
                let from = Timestamp::shanghai_midnight(a.validity.from);
                (a.id, Agreement { supplier: a.supplier, regions, from, until })
            })
            .collect();
        let rooms = engine
            .auctions()
            .map(|a| {
                let room = Room {
                    product: a.spec.product,
                    region: a.region.codes().to_vec(),
                    ceiling: a.spec.ceiling,
                    step: a.step,
                    starts: a.spec.starts,
                    end: a.end,
                    soft_close_ms: a.spec.soft_close_ms,
                    extension_ms: a.spec.extension_ms,
                    cap: a.spec.ends.plus_ms(a.spec.max_extension_ms),
                    standings: Vec::new(),
                };
                (a.id, room)
            })
            .collect();
        let participants = engine.participants();
        let (mut groups, mut active) = (HashMap::new(), HashMap::new());
        for p in participants {
            groups.insert(p.id, p.groups.iter().map(|g| g.0).collect());
            active.insert(p.id, p.is_active());
        }
        Self { seq: engine.seq().0, rooms, agreements, by_product, groups, active }
    }

    /// Applies one bid; true when accepted.
    pub fn apply(&mut self, command: &Command, now: Timestamp) -> bool {
        self.seq += 1;
        let Action::SubmitBid { auction, price } = command.action else { return false };
        let bidder = command.actor.participant;
        if !self.active.get(&bidder).copied().unwrap_or(false) {
            return false;
        }
        let Some(room) = self.rooms.get(&auction) else { return false };
        if now < room.starts || now >= room.end || !price.is_positive() || price > room.ceiling {
            return false;
        }
        let eligible = self.by_product.get(&room.product).is_some_and(|ids| {
            ids.iter().any(|id| {
                let a = &self.agreements[id];
                a.supplier == bidder
                    && now >= a.from
                    && now < a.until
                    && a.regions.iter().any(|r| room.region.contains(r))
            })
        });
        let mine = self.groups.get(&bidder);
        let affiliate = room.standings.iter().any(|(other, _, _)| {
            *other != bidder
                && self
                    .groups
                    .get(other)
                    .is_some_and(|g| g.iter().any(|x| mine.is_some_and(|m| m.contains(x))))
        });
        let own = room.standings.iter().position(|(b, _, _)| *b == bidder);
        let too_high =
            own.is_some_and(|i| price.minor() > room.standings[i].1.minor() - room.step.minor());
        if !eligible || affiliate || too_high {
            return false;
        }
        let Some(room) = self.rooms.get_mut(&auction) else { return false };
        let standing = (bidder, price, Seq(self.seq));
        match own {
            Some(i) => room.standings[i] = standing,
            None => room.standings.push(standing),
        }
        if now >= room.end.plus_ms(-room.soft_close_ms) {
            room.end = room.end.max(now.plus_ms(room.extension_ms)).min(room.cap);
        }
        true
    }
}

//! A scripted trading day of the demo province: purchasing units order catalog goods (best offer or
//! a named supplier, now and then all-or-nothing or with a limit price), suppliers move their offers,
//! and trades are delivered, accepted and paid. What the `run` command shows a newcomer, and a
//! realistic command mix for benchmarks.

use std::collections::BTreeMap;

use engine::direct::OrderRequest;
use engine::types::{Amount, CategoryCode, Quantity, RegionCode, Timestamp, UnitPrice};
use engine::{Action, Command, Event};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use time::Date;

use super::{DemoProvince, Driver, demo_user};

/// What happened during the day.
#[derive(Debug, Default)]
pub struct DaySummary {
    /// Commands applied.
    pub commands: u64,
    /// Direct orders placed.
    pub orders: u64,
    /// Orders filled, wholly or in part.
    pub filled: u64,
    /// Orders filled only in part.
    pub partly_filled: u64,
    /// Trades struck.
    pub trades: u64,
    /// Amount traded.
    pub amount: Amount,
    /// Offer changes accepted.
    pub offer_changes: u64,
    /// Settlement steps taken.
    pub settlement_steps: u64,
    /// Refusals by rule and code.
    pub rejections: BTreeMap<(&'static str, &'static str), u64>,
    /// Trades and amount by city (the province for provincial units).
    pub by_city: BTreeMap<RegionCode, (u64, Amount)>,
    /// Trades and amount by category.
    pub by_category: BTreeMap<CategoryCode, (u64, Amount)>,
}

/// One step of a scripted day.
#[derive(Clone, Debug)]
pub enum ScriptStep {
    /// A command as a participant sends it.
    Command(Box<Command>),
    /// The next settlement step of an earlier trade, the `pick`-th modulo the trades struck so far;
    /// who takes it (supplier or purchaser) depends on where that trade stands by then.
    Settle {
        /// Which trade.
        pick: u64,
    },
}

/// The commands of one trading day, without the settlement steps: for sessions whose clients
/// settle their own trades as they learn of them.
pub fn day_commands(
    province: &DemoProvince,
    day: Date,
    count: usize,
    seed: u64,
) -> Vec<(Command, Timestamp)> {
    day_script(province, day, count, seed)
        .into_iter()
        .filter_map(|(step, at)| match step {
            ScriptStep::Command(command) => Some((*command, at)),
            ScriptStep::Settle { .. } => None,
        })
        .collect()
}

/// The steps of one trading day between 08:30 and 17:30 in Shanghai, generated deterministically
/// from `seed`: orders, offer changes and settlement steps.
pub fn day_script(
    province: &DemoProvince,
    day: Date,
    count: usize,
    seed: u64,
) -> Vec<(ScriptStep, Timestamp)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let opening = Timestamp::shanghai_midnight(day).plus_ms(8 * 3_600_000 + 30 * 60_000);
    let spacing_ms = (9 * 3_600_000) / i64::try_from(count.max(1)).unwrap_or(i64::MAX);
    let mut by_product: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for agreement in &province.agreements {
        by_product.entry(agreement.product).or_default().push(agreement);
    }
    let mut steps = Vec::with_capacity(count);
    let mut i = 0_i64;
    while steps.len() < count {
        let at = opening.plus_ms(i * spacing_ms);
        i += 1;
        let roll = rng.random_range(0..100);
        let step = if roll < 75 {
            let Some(purchaser) = province.purchasers.choose(&mut rng) else {
                break;
            };
            let Some(product) = province.products.choose(&mut rng) else {
                break;
            };
            let Some(line) = purchaser.lines.choose(&mut rng) else {
                continue;
            };
            let typical_yuan = (product.typical.minor() / 10_000).max(1);
            let most = (60_000 / typical_yuan).clamp(1, 40);
            let step = 10_i64.pow(3 - u32::from(product.scale.min(3)));
            let whole = rng.random_range(1..=most) * 1_000;
            let fraction =
                if product.scale > 0 { rng.random_range(0..1_000 / step) * step } else { 0 };
            let supplier = if rng.random_bool(0.25) {
                by_product.get(&product.id).and_then(|a| a.choose(&mut rng)).map(|a| a.supplier)
            } else {
                None
            };
            let limit_price = rng
                .random_bool(0.1)
                .then(|| UnitPrice::from_minor(product.typical.minor() * 95 / 100));
            Command::new(
                demo_user(purchaser.id),
                Action::PlaceOrder(OrderRequest {
                    product: product.id,
                    quantity: Quantity::from_minor(whole + fraction),
                    budget_line: *line,
                    supplier,
                    limit_price,
                    all_or_nothing: rng.random_bool(0.1),
                }),
            )
        } else if roll < 95 {
            let Some(agreement) = province.agreements.choose(&mut rng) else {
                break;
            };
            // Now and then a supplier tries to go above its ceiling, and is refused (D-6).
            let pct = if rng.random_bool(0.02) { 102 } else { rng.random_range(85..=100) };
            let price = UnitPrice::from_minor(agreement.ceiling.minor() * pct / 100 / 100 * 100);
            Command::new(
                demo_user(agreement.supplier),
                Action::SetOffer { agreement: agreement.id, price },
            )
        } else {
            let pick = rng.random_range(1..=u64::try_from(steps.len()).unwrap_or(1).max(1));
            steps.push((ScriptStep::Settle { pick }, at));
            continue;
        };
        steps.push((ScriptStep::Command(Box::new(step)), at));
    }
    steps
}

/// Trades a day: `count` commands between 08:30 and 17:30 in Shanghai on `day`.
pub fn trade_a_day(
    driver: &mut Driver,
    province: &DemoProvince,
    day: Date,
    count: usize,
    seed: u64,
) -> DaySummary {
    let mut summary = DaySummary::default();
    for (step, at) in day_script(province, day, count, seed) {
        driver.now = at;
        let command = match step {
            ScriptStep::Command(command) => *command,
            ScriptStep::Settle { pick } => match next_settlement_step(&driver.engine, pick) {
                Some(command) => command,
                None => continue,
            },
        };
        let start = driver.events.len();
        driver.engine.apply(command, at, &mut driver.events);
        summary.commands += 1;
        tally(&mut summary, driver, start);
    }
    summary
}

/// The next settlement step of the `pick`-th trade struck (modulo their number), if any.
pub(super) fn next_settlement_step(engine: &engine::Engine, pick: u64) -> Option<Command> {
    let count = engine.trades().count();
    if count == 0 {
        return None;
    }
    let index = usize::try_from(pick).unwrap_or(0) % count;
    let record = engine.trades().nth(index)?;
    let trade = record.trade.id;
    use engine::settlement::TradeState as S;
    match record.state {
        S::Struck => {
            Some(Command::new(demo_user(record.trade.supplier), Action::RecordDelivery { trade }))
        }
        S::Delivered => {
            Some(Command::new(demo_user(record.trade.purchaser), Action::AcceptDelivery { trade }))
        }
        S::Accepted => {
            Some(Command::new(demo_user(record.trade.purchaser), Action::RecordPayment { trade }))
        }
        S::Paid | S::Declined | S::Cancelled | S::Annulled => None,
    }
}

fn tally(summary: &mut DaySummary, driver: &Driver, start: usize) {
    for envelope in &driver.events[start..] {
        match &envelope.event {
            Event::TradeStruck(trade) => {
                summary.trades += 1;
                summary.amount = summary.amount.plus(trade.amount);
                let city = city_of(trade.region);
                let entry = summary.by_city.entry(city).or_default();
                *entry = (entry.0 + 1, entry.1.plus(trade.amount));
                if let Some(product) = driver.engine.product(trade.product) {
                    let entry = summary.by_category.entry(product.category.category()).or_default();
                    *entry = (entry.0 + 1, entry.1.plus(trade.amount));
                }
            }
            Event::OrderFilled { request, filled, .. } => {
                summary.orders += 1;
                summary.filled += 1;
                if *filled < request.quantity {
                    summary.partly_filled += 1;
                }
            }
            Event::OfferChanged { .. } => summary.offer_changes += 1,
            Event::TradeSettled { .. } => summary.settlement_steps += 1,
            Event::Rejected { action, reason } => {
                if *action == engine::ActionKind::PlaceOrder {
                    summary.orders += 1;
                }
                *summary.rejections.entry((reason.rule(), reason.code())).or_default() += 1;
            }
            _ => {}
        }
    }
}

/// The city of a county, or the region itself for a city or the province.
fn city_of(region: RegionCode) -> RegionCode {
    let code = region.get();
    if code.is_multiple_of(10_000) {
        region
    } else {
        RegionCode::new(code / 100 * 100).unwrap_or(region)
    }
}

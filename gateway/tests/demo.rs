//! The demo province loads cleanly through ordinary commands, and a scripted day trades in it
//! without breaking the budget rules.

use engine::Event;
use engine::budget::rebuild_balances;
use engine::types::Timestamp;
use gateway::demo::{self, DemoSizes, Driver};

fn loaded(sizes: DemoSizes) -> (Driver, demo::DemoProvince) {
    let today = time::macros::date!(2026 - 06 - 15);
    let mut driver = Driver { now: Timestamp::shanghai_midnight(today), ..Driver::default() };
    let province = demo::load(&mut driver, today, sizes).expect("the demo province loads");
    (driver, province)
}

#[test]
fn the_demo_province_has_zhejiangs_regions_the_catalog_and_a_market() {
    let (driver, province) = loaded(DemoSizes::default());
    let engine = &driver.engine;
    assert_eq!(engine.regions().count(), 102);
    assert_eq!(engine.categories().count(), 148);
    let xihu = engine.region("330106".parse().expect("code")).expect("西湖区");
    assert_eq!(xihu.name, "西湖区");
    assert_eq!(
        engine.category("A02010105".parse().expect("code")).expect("台式计算机").name,
        "台式计算机"
    );
    assert!(province.products.len() >= 200, "{} products", province.products.len());
    assert_eq!(province.suppliers.len(), 200);
    assert_eq!(province.purchasers.len(), 2_000);
    assert!(province.agreements.len() >= 3 * province.products.len());
    // Every product has live offers, and every agreement is at or under its ceiling.
    for product in &province.products {
        assert!(engine.offers(product.id).count() >= 3);
        for (key, agreement) in engine.offers(product.id) {
            assert!(key.price <= agreement.ceiling);
        }
    }
    // Purchasing units sit in every county.
    let counties =
        province.purchasers.iter().map(|p| p.region).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(counties.len(), 102, "every county, city and the province has purchasing units");
}

#[test]
fn a_scripted_day_trades_and_keeps_every_budget_rule() {
    let (mut driver, province) = loaded(DemoSizes { suppliers: 60, purchasers: 300, variants: 1 });
    let today = time::macros::date!(2026 - 06 - 15);
    let summary = demo::trade_a_day(&mut driver, &province, today, 5_000, 3);
    assert!(summary.trades > 1_000, "{summary:?}");
    assert!(summary.settlement_steps > 0);
    assert!(summary.rejections.keys().any(|(rule, _)| *rule == "D-2"));
    let entries: Vec<_> = driver
        .events
        .iter()
        .filter_map(|e| match &e.event {
            Event::BudgetMoved(entry) => Some(*entry),
            _ => None,
        })
        .collect();
    let rebuilt = rebuild_balances(&entries);
    for line in driver.engine.budget_lines() {
        assert!(line.balance.available().minor() >= 0);
        assert_eq!(rebuilt.get(&line.id), Some(&line.balance));
    }
}

#[test]
fn every_demo_participant_has_an_account_whose_id_follows_its_own() {
    let (driver, province) = loaded(DemoSizes { suppliers: 10, purchasers: 30, variants: 1 });
    let engine = &driver.engine;
    for participant in province.suppliers.iter().chain(province.purchasers.iter().map(|p| &p.id)) {
        let actor = demo::demo_user(*participant);
        assert_eq!(engine.user(actor.user).map(|u| u.participant), Some(*participant));
    }
    let centre = engine.user_by_login("centre").expect("the operator's account");
    assert_eq!(centre.participant, province.operator);
    assert!(engine.user_by_login("unit1").is_some() && engine.user_by_login("supplier1").is_some());
}

/// The living demo market, driven turn by turn on the engine's clock (no sleeps): within a minute
/// of a fresh start purchasing units have traded, a reverse auction has opened and drawn bids from
/// several suppliers, and once its time is up the auction closes with an award.
#[test]
fn a_fresh_demo_market_trades_and_runs_an_auction_within_a_minute() {
    use gateway::demo::living::{Living, Pace};
    use gateway::runtime::Outcome;
    let (mut driver, _) = loaded(DemoSizes::default());
    let start =
        Timestamp::shanghai_midnight(time::macros::date!(2026 - 06 - 15)).plus_ms(10 * 3_600_000);
    let pace = Pace::default();
    let mut living = Living::new(pace, start);
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut run =
        |living: &mut Living, driver: &mut Driver, now: Timestamp, events: &mut Vec<Event>| {
            for command in living.turn(&driver.engine, now) {
                out.clear();
                let seq = driver.engine.apply(command.clone(), now, &mut out);
                living.answered(&command, &Outcome { seq, events: out.clone() });
                events.extend(out.iter().map(|e| e.event.clone()));
            }
        };
    for second in 0..=60 {
        run(&mut living, &mut driver, start.plus_ms(second * 1_000), &mut events);
    }
    fn count(events: &[Event], pick: fn(&Event) -> bool) -> usize {
        events.iter().filter(|e| pick(e)).count()
    }
    assert!(count(&events, |e| matches!(e, Event::TradeStruck(_))) >= 5, "trades in a minute");
    let opened = count(&events, |e| matches!(e, Event::AuctionOpened { .. }));
    assert_eq!(opened, 1, "an auction within a minute");
    let bidders: std::collections::BTreeSet<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::BidAccepted { bidder, .. } => Some(*bidder),
            _ => None,
        })
        .collect();
    assert!(bidders.len() >= 3, "several suppliers bid: {bidders:?}");
    // A split purchase, which the early warning catches within the minute (P-4).
    let analytics =
        gateway::prices::rebuild(&driver.engine, engine::analytics::Thresholds::default());
    let splits = analytics
        .alerts()
        .iter()
        .filter(|a| a.kind == engine::analytics::AlertKind::SplitPurchase && a.ts >= start)
        .count();
    assert!(splits >= 1, "a split purchase alert within a minute");
    // The auction's time runs out; the next command after it finds it closed and awarded.
    for second in 61..=(pace.auction_ms / 1_000 + 200) {
        run(&mut living, &mut driver, start.plus_ms(second * 1_000), &mut events);
    }
    let awarded = count(&events, |e| matches!(e, Event::AuctionAwarded { .. }));
    assert!(awarded >= 1, "the auction closes with an award");
}

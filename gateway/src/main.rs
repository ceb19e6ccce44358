//! `gateway`: starts the marketplace. Until the HTTP server lands it loads the demo province into
//! a fresh engine, trades a scripted day and prints what happened.

use std::time::Instant;

use anyhow::Context;
use engine::types::Amount;
use gateway::demo::{self, DemoSizes, Driver};

/// Commands of the scripted day.
const DAY_COMMANDS: usize = 50_000;

fn main() -> anyhow::Result<()> {
    let today = time::macros::date!(2026 - 06 - 15);
    let mut driver =
        Driver { now: engine::types::Timestamp::shanghai_midnight(today), ..Driver::default() };
    let started = Instant::now();
    let province = demo::load(&mut driver, today, DemoSizes::default())
        .context("loading the demo province")?;
    let loaded = started.elapsed();
    println!(
        "Demo province loaded in {loaded:.2?}: {} regions, {} categories, {} products, {} suppliers, {} agreements, {} purchasing units, {} budget lines",
        province.regions.len(),
        driver.engine.categories().count(),
        province.products.len(),
        province.suppliers.len(),
        province.agreements.len(),
        province.purchasers.len(),
        driver.engine.budget_lines().count(),
    );

    let started = Instant::now();
    let summary = demo::trade_a_day(&mut driver, &province, today, DAY_COMMANDS, 7);
    let elapsed = started.elapsed();
    let per_second = summary.commands as f64 / elapsed.as_secs_f64().max(1e-9);
    println!(
        "\nA trading day on {today}: {} commands in {elapsed:.2?} ({per_second:.0} commands/s)",
        summary.commands
    );
    println!(
        "  orders {} (filled {}, of which partly {}), trades {}, amount {} yuan",
        summary.orders, summary.filled, summary.partly_filled, summary.trades, summary.amount
    );
    println!(
        "  offer changes {}, settlement steps {}",
        summary.offer_changes, summary.settlement_steps
    );
    println!("\nRefusals by rule:");
    for ((rule, code), count) in &summary.rejections {
        println!("  {rule:<6} {code:<22} {count:>7}");
    }
    println!("\nTrades by city:");
    for (city, (count, amount)) in &summary.by_city {
        let name = province.regions.get(city).map_or("?", String::as_str);
        println!("  {city} {name:<8} {count:>7} trades {amount:>16} yuan");
    }
    println!("\nTop categories by amount:");
    let mut categories: Vec<_> = summary.by_category.iter().collect();
    categories.sort_by_key(|(_, (_, amount))| std::cmp::Reverse(*amount));
    for (code, (count, amount)) in categories.into_iter().take(10) {
        let name = driver.engine.category(*code).map_or("?", |c| c.name.as_str());
        println!("  {code} {name:<14} {count:>7} trades {amount:>16} yuan");
    }
    let (mut allocated, mut committed, mut paid) = (Amount::ZERO, Amount::ZERO, Amount::ZERO);
    for line in driver.engine.budget_lines() {
        allocated = allocated.plus(line.balance.allocated);
        committed = committed.plus(line.balance.committed);
        paid = paid.plus(line.balance.paid);
    }
    println!("\nBudgets: allocated {allocated}, committed {committed}, paid {paid} yuan");
    println!("Engine at seq {}, state hash {}", driver.engine.seq(), driver.engine.state_hash());
    Ok(())
}

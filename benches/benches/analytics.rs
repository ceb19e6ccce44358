//! The price desk's analytics against the engine that feeds it: can the consumer keep up with the
//! engine's peak event rate?
//!
//! Workload: the direct-order day of `direct_orders` (`PROVINCE`, `BATCH` commands). Setup (outside
//! the timing) applies it once to collect every trade struck, with its facts (category, market,
//! project, limit) resolved as the gateway's desk resolves them. Measured: the engine applying the
//! commands (the rate trades are produced at), and analytics folding those trades (candles at three
//! intervals for two series, index, reference window, split-purchase checks). The ratio is engine
//! time over analytics time for the same day: above 1, the desk keeps up with the engine's peak.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::timing::{bench_engine, engine_round};
use benches::workload::{self, PROVINCE, Workload};
use criterion::{Criterion, criterion_group};
use engine::analytics::{Analytics, Thresholds, TradeFacts};
use engine::{Engine, Event};

/// Commands in the day.
const BATCH: usize = 20_000;
/// Alternating rounds of the ratio run.
const ROUNDS: usize = 7;

fn trades(
    engine: &Engine,
    commands: &[(engine::Command, engine::types::Timestamp)],
) -> Vec<TradeFacts> {
    let mut engine = engine.clone();
    let mut out = Vec::new();
    for (command, at) in commands {
        engine.apply(command.clone(), *at, &mut out);
    }
    out.iter()
        .filter_map(|e| match &e.event {
            Event::TradeStruck(t) => gateway::prices::trade_facts(&engine, t),
            _ => None,
        })
        .collect()
}

fn analytics_round(facts: &[TradeFacts]) -> u128 {
    let mut analytics = Analytics::new(Thresholds::default());
    let start = Instant::now();
    for f in facts {
        black_box(analytics.trade(f));
    }
    start.elapsed().as_nanos()
}

fn analytics(c: &mut Criterion) {
    let Workload { engine, commands } = workload::direct_orders(PROVINCE, BATCH);
    let facts = trades(&engine, &commands);
    let mut group = c.benchmark_group("analytics");
    group.sample_size(20).measurement_time(Duration::from_secs(6));
    bench_engine(&mut group, "engine_day", &engine, &commands);
    group.bench_function("analytics_day", |b| b.iter(|| analytics_round(&facts)));
    group.finish();
}

criterion_group!(benches, analytics);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let Workload { engine, commands } = workload::direct_orders(PROVINCE, BATCH);
    let facts = trades(&engine, &commands);
    let (mut e, mut a) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        e.push(engine_round(engine.clone(), &commands, None));
        a.push(analytics_round(&facts));
    }
    e.sort_unstable();
    a.sort_unstable();
    let (e, a) = (e[ROUNDS / 2], a[ROUNDS / 2]);
    let n = facts.len().max(1) as u128;
    println!(
        "\nanalytics, {ROUNDS} alternating rounds of a {BATCH}-command day with {n} trades (median):"
    );
    println!("  {:<34} {:>12}", "engine ns for the day", e);
    println!("  {:<34} {:>12}", "analytics ns for its trades", a);
    println!("  {:<34} {:>12}", "analytics ns per trade", a / n);
    println!(
        "  {:<34} {:>9}.{:02}x",
        "ratio engine / analytics time",
        e / a.max(1),
        (e * 100 / a.max(1)) % 100
    );
}

//! Direct orders through the engine against a naive book, on a province-sized market.
//!
//! Workload: a scripted trading day's mix of best-offer orders, named-supplier orders (some
//! all-or-nothing or with a limit price) and offer changes, on the demo province at benchmark size
//! (`PROVINCE`: 400 suppliers, 5,000 purchasing units, thousands of products and ~25,000 agreements).
//! Baseline: `NaiveMarket`, the same lookups with `HashMap`s and a `BTreeMap` book, no events or
//! ledger. Each measured iteration applies `BATCH` commands to a fresh copy of the loaded market;
//! copying happens outside the timing.
//!
//! After criterion's groups, an alternating run (engine, naive, engine, ... `ROUNDS` times each)
//! prints ns per command for both, their ratio, and the engine's per-command p50/p99/p99.9.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::naive::NaiveMarket;
use benches::timing::{bench_engine, engine_round};
use benches::workload::{self, PROVINCE, Workload};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use engine::Command;
use engine::types::Timestamp;

/// Commands per measured iteration.
const BATCH: usize = 20_000;
/// Alternating rounds of the ratio run.
const ROUNDS: usize = 7;

fn direct_orders(c: &mut Criterion) {
    let Workload { engine, commands } = workload::direct_orders(PROVINCE, BATCH);
    let naive = NaiveMarket::from_engine(&engine);
    let mut group = c.benchmark_group("direct_orders");
    group.throughput(Throughput::Elements(commands.len() as u64));
    group.sample_size(20).measurement_time(Duration::from_secs(8));
    bench_engine(&mut group, "engine", &engine, &commands);
    group.bench_function("naive_book", |b| {
        b.iter_batched_ref(
            || NaiveMarket::from_engine(&engine),
            |naive| {
                for (command, at) in &commands {
                    black_box(naive.apply(command, *at));
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
    drop(naive);
}

criterion_group!(benches, direct_orders);

/// One timed pass of the naive book over the commands: total ns.
#[inline(never)]
fn naive_round(mut naive: NaiveMarket, commands: &[(Command, Timestamp)]) -> u128 {
    let start = Instant::now();
    for (command, at) in commands {
        black_box(naive.apply(command, *at));
    }
    start.elapsed().as_nanos()
}

/// Engine and naive book alternately, with per-command latencies of the engine.
fn ratio_run() {
    let Workload { engine, commands } = workload::direct_orders(PROVINCE, BATCH);
    let n = commands.len() as u128;
    if std::env::var_os("PROFILE_ENGINE_ROUND").is_some() {
        // One engine pass alone, for `valgrind --tool=callgrind --zero-before=*engine_round*`.
        engine_round(engine.clone(), &commands, None);
        return;
    }
    let mut engine_ns = Vec::new();
    let mut naive_ns = Vec::new();
    let mut latencies = Vec::with_capacity(commands.len() * ROUNDS);
    for _ in 0..ROUNDS {
        engine_ns.push(engine_round(engine.clone(), &commands, None) / n);
        naive_ns.push(naive_round(NaiveMarket::from_engine(&engine), &commands) / n);
    }
    for _ in 0..ROUNDS {
        engine_round(engine.clone(), &commands, Some(&mut latencies));
    }
    engine_ns.sort_unstable();
    naive_ns.sort_unstable();
    latencies.sort_unstable();
    let median = |v: &[u128]| v[v.len() / 2];
    let pct = |p: usize| latencies[(latencies.len() * p / 1000).min(latencies.len() - 1)];
    let (e, b) = (median(&engine_ns), median(&naive_ns));
    println!("\ndirect orders, {ROUNDS} alternating rounds of {n} commands (median of rounds):");
    println!("  {:<28} {:>10}", "engine ns/command", e);
    println!("  {:<28} {:>10}", "naive book ns/command", b);
    println!(
        "  {:<28} {:>9}.{:02}x",
        "ratio engine / naive",
        e / b.max(1),
        (e * 100 / b.max(1)) % 100
    );
    println!(
        "  {:<28} p50 {} ns, p99 {} ns, p99.9 {} ns (each timed alone)",
        "engine per command",
        pct(500),
        pct(990),
        pct(999)
    );
}

fn main() {
    if std::env::var_os("PROFILE_ENGINE_ROUND").is_none() {
        benches();
    }
    Criterion::default().configure_from_args().final_summary();
    ratio_run();
}

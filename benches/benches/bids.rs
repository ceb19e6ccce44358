//! Bids through the engine against a naive auction house, on the benchmark province.
//!
//! Workload: `AUCTIONS` live reverse auctions open to the agreement holders of contested products,
//! and `BATCH` valid bids across them, each one to three steps below the bidder's own last bid, the
//! last stretch inside the soft-close window. Baseline: `NaiveAuctions`, the same
//! checks with `HashMap`s and a `Vec` of standings, no events, ledger or bid history. Each measured
//! iteration applies the bids to a fresh copy of the market; copying happens outside the timing.
//!
//! After criterion's group, an alternating run (engine, naive, ... `ROUNDS` times each) prints ns
//! per bid for both, their ratio, and the engine's per-bid p50/p99/p99.9.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::auctions::{self, NaiveAuctions};
use benches::timing::{bench_engine, engine_round};
use benches::workload::{PROVINCE, Workload};
use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use engine::Command;
use engine::types::Timestamp;

/// Live auctions bid in at once.
const AUCTIONS: usize = 500;
/// Bids per measured iteration.
const BATCH: usize = 20_000;
/// Alternating rounds of the ratio run.
const ROUNDS: usize = 7;

fn bids(c: &mut Criterion) {
    let Workload { engine, commands } = auctions::bids(PROVINCE, AUCTIONS, BATCH);
    let mut group = c.benchmark_group("bids");
    group.throughput(Throughput::Elements(commands.len() as u64));
    group.sample_size(20).measurement_time(Duration::from_secs(8));
    bench_engine(&mut group, "engine", &engine, &commands);
    group.bench_function("naive_auctions", |b| {
        b.iter_batched_ref(
            || NaiveAuctions::from_engine(&engine),
            |naive| {
                for (command, at) in &commands {
                    black_box(naive.apply(command, *at));
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bids);

#[inline(never)]
fn naive_round(mut naive: NaiveAuctions, commands: &[(Command, Timestamp)]) -> (u128, usize) {
    let start = Instant::now();
    let accepted = commands.iter().filter(|(command, at)| naive.apply(command, *at)).count();
    (start.elapsed().as_nanos(), accepted)
}

fn ratio_run() {
    let Workload { engine, commands } = auctions::bids(PROVINCE, AUCTIONS, BATCH);
    let n = commands.len() as u128;
    // Every scripted bid must be valid for both, or the comparison would be of refusals.
    let mut check = engine.clone();
    let mut out = Vec::new();
    let refused = commands
        .iter()
        .filter(|(command, at)| {
            out.clear();
            check.apply(command.clone(), *at, &mut out);
            out.iter().any(|e| matches!(e.event, engine::Event::Rejected { .. }))
        })
        .count();
    let (_, accepted) = naive_round(NaiveAuctions::from_engine(&engine), &commands);
    assert_eq!((refused, accepted), (0, commands.len()), "every scripted bid is valid");
    let (mut engine_ns, mut naive_ns) = (Vec::new(), Vec::new());
    let mut latencies = Vec::with_capacity(commands.len() * ROUNDS);
    for _ in 0..ROUNDS {
        engine_ns.push(engine_round(engine.clone(), &commands, None) / n);
        naive_ns.push(naive_round(NaiveAuctions::from_engine(&engine), &commands).0 / n);
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
    println!(
        "\nbids, {ROUNDS} alternating rounds of {n} bids in {AUCTIONS} auctions (median of rounds):"
    );
    println!("  {:<28} {:>10}", "engine ns/bid", e);
    println!("  {:<28} {:>10}", "naive auctions ns/bid", b);
    println!(
        "  {:<28} {:>9}.{:02}x",
        "ratio engine / naive",
        e / b.max(1),
        (e * 100 / b.max(1)) % 100
    );
    println!("  {:<28} {:>10}", "engine bids/s", 1_000_000_000 / e.max(1));
    println!(
        "  {:<28} p50 {} ns, p99 {} ns, p99.9 {} ns (each timed alone)",
        "engine per bid",
        pct(500),
        pct(990),
        pct(999)
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratio_run();
}

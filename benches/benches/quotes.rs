//! Sealed quotes through the engine against a naive keeper of envelopes, and the opening of the
//! rounds against deciding them in the clear, on the benchmark province.
//!
//! Workload: `INQUIRIES` inquiry rounds, each inviting the unaffiliated agreement holders of a
//! contested product, and `BATCH` sealed submissions across them (sealed beforehand, as the
//! gateway seals, outside the timing). Baselines: `NaiveQuotes` (a `HashMap` of rounds, a
//! `HashSet` of commitments, a `Vec` of envelopes: what a submission needs, no events) and
//! `open_in_the_clear` (the last quote per supplier, the lowest of at least three, from the
//! plaintext). Each measured iteration starts from a fresh copy made outside the timing.
//!
//! After criterion's group, an alternating run prints ns per submission for both and their ratio,
//! and ns per quote opened (two AEAD openings, the commitment, the judging) against the clear
//! decision.

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::quotes::{self, NaiveQuotes, Quotes, open_all, open_in_the_clear};
use benches::timing::{bench_engine, engine_round};
use benches::workload::PROVINCE;
use criterion::{BatchSize, Criterion, Throughput, criterion_group};

/// Inquiry rounds quoted in at once.
const INQUIRIES: usize = 500;
/// Submissions per measured iteration.
const BATCH: usize = 20_000;
/// Alternating rounds of the ratio run.
const ROUNDS: usize = 7;

fn submissions(c: &mut Criterion) {
    let Quotes { workload, .. } = quotes::quotes(PROVINCE, INQUIRIES, BATCH);
    let (engine, commands) = (&workload.engine, &workload.commands);
    let mut group = c.benchmark_group("quotes");
    group.throughput(Throughput::Elements(commands.len() as u64));
    group.sample_size(20).measurement_time(Duration::from_secs(8));
    bench_engine(&mut group, "engine", engine, commands);
    group.bench_function("naive_quotes", |b| {
        b.iter_batched_ref(
            || NaiveQuotes::from_engine(engine),
            |naive| {
                for (command, at) in commands {
                    black_box(naive.apply(command, *at));
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, submissions);

fn ratio_run() {
    let Quotes { workload, plain, deadline, keys } = quotes::quotes(PROVINCE, INQUIRIES, BATCH);
    let (engine, commands) = (&workload.engine, &workload.commands);
    let n = commands.len() as u128;
    // Every scripted submission must be taken by both, or the comparison would be of refusals.
    let mut filled = engine.clone();
    let mut out = Vec::new();
    for (command, at) in commands {
        out.clear();
        filled.apply(command.clone(), *at, &mut out);
        assert!(!out.iter().any(|e| matches!(e.event, engine::Event::Rejected { .. })));
    }
    let mut naive = NaiveQuotes::from_engine(engine);
    assert!(commands.iter().all(|(c, at)| naive.apply(c, *at)), "every submission is taken");
    let rounds = keys.len();
    assert_eq!(open_all(&mut filled.clone(), deadline, &keys), open_in_the_clear(&plain));
    let (mut engine_ns, mut naive_ns, mut open_ns, mut clear_ns) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Quotes opened: the final one of each supplier in each round.
    let suppliers: u128 = {
        let mut once = filled.clone();
        open_all(&mut once, deadline, &keys);
        once.inquiries().map(|q| q.round().quoters.len() as u128).sum()
    };
    for _ in 0..ROUNDS {
        engine_ns.push(engine_round(engine.clone(), commands, None) / n);
        let mut naive = NaiveQuotes::from_engine(engine);
        let start = Instant::now();
        for (command, at) in commands {
            black_box(naive.apply(command, *at));
        }
        naive_ns.push(start.elapsed().as_nanos() / n);
        let mut copy = filled.clone();
        let start = Instant::now();
        black_box(open_all(&mut copy, deadline, &keys));
        open_ns.push(start.elapsed().as_nanos() / suppliers.max(1));
        let start = Instant::now();
        black_box(open_in_the_clear(&plain));
        clear_ns.push(start.elapsed().as_nanos() / suppliers.max(1));
    }
    for v in [&mut engine_ns, &mut naive_ns, &mut open_ns, &mut clear_ns] {
        v.sort_unstable();
    }
    let median = |v: &[u128]| v[v.len() / 2];
    let ratio = |a: u128, b: u128| format!("{}.{:02}x", a / b.max(1), (a * 100 / b.max(1)) % 100);
    let (e, b) = (median(&engine_ns), median(&naive_ns));
    let (o, cl) = (median(&open_ns), median(&clear_ns));
    println!(
        "\nquotes, {ROUNDS} alternating rounds of {n} sealed submissions to {rounds} rounds ({suppliers} final quotes opened):"
    );
    println!("  {:<32} {:>10}", "engine ns/submission", e);
    println!("  {:<32} {:>10}", "naive quotes ns/submission", b);
    println!("  {:<32} {:>11}", "ratio engine / naive", ratio(e, b));
    println!("  {:<32} {:>10}", "opening ns/final quote", o);
    println!("  {:<32} {:>10}", "in the clear ns/final quote", cl);
    println!("  {:<32} {:>11}", "ratio opening / clear", ratio(o, cl));
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratio_run();
}

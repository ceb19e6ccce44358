//! Timed passes shared by the engine benchmarks: the engine over a day of commands, as a
//! criterion function and as a plain timed round.

use std::hint::black_box;
use std::time::Instant;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup};

use engine::types::Timestamp;
use engine::{Command, Engine};

/// One timed pass of `engine` over the commands: total ns. With `latencies`, each command is also
/// timed on its own (a separate pass, since the timer itself costs tens of ns).
#[inline(never)]
pub fn engine_round(
    mut engine: Engine,
    commands: &[(Command, Timestamp)],
    latencies: Option<&mut Vec<u128>>,
) -> u128 {
    let mut out = Vec::with_capacity(64);
    let start = Instant::now();
    match latencies {
        None => {
            for (command, at) in commands {
                out.clear();
                engine.apply(command.clone(), *at, &mut out);
            }
        }
        Some(latencies) => {
            for (command, at) in commands {
                let t = Instant::now();
                out.clear();
                engine.apply(command.clone(), *at, &mut out);
                latencies.push(t.elapsed().as_nanos());
            }
        }
    }
    start.elapsed().as_nanos()
}

/// Benchmarks `engine` applying `commands` as `name` in `group`, each iteration on a fresh copy
/// made outside the timing.
pub fn bench_engine(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    engine: &Engine,
    commands: &[(Command, Timestamp)],
) {
    group.bench_function(name, |b| {
        b.iter_batched_ref(
            || (engine.clone(), Vec::with_capacity(64)),
            |(engine, out)| {
                for (command, at) in commands {
                    out.clear();
                    engine.apply(command.clone(), *at, out);
                }
                black_box(out.len())
            },
            BatchSize::PerIteration,
        );
    });
}

//! A province-sized market and a trading day's commands for it, built outside any timing.

use engine::types::Timestamp;
use engine::{Command, Engine};
use gateway::demo::{self, DemoSizes, Driver};
use time::Date;

/// The day the workloads trade on.
pub const DAY: Date = time::macros::date!(2026 - 06 - 15);

/// Sizes of the benchmark province: thousands of products, hundreds of suppliers.
pub const PROVINCE: DemoSizes = DemoSizes { suppliers: 400, purchasers: 5_000, variants: 10 };

/// A loaded engine and the commands of a day for it.
#[derive(Debug)]
pub struct Workload {
    /// The engine with the province loaded.
    pub engine: Engine,
    /// Orders (best offer and named supplier) and offer changes, with their times.
    pub commands: Vec<(Command, Timestamp)>,
}

/// Loads the province and scripts `count` direct-order commands (settlement steps left out).
pub fn direct_orders(sizes: DemoSizes, count: usize) -> Workload {
    let mut driver = Driver { now: Timestamp::shanghai_midnight(DAY), ..Driver::default() };
    let province = demo::load(&mut driver, DAY, sizes).expect("the demo province loads");
    let commands =
        demo::day_commands(&province, DAY, count * 2, 11).into_iter().take(count).collect();
    Workload { engine: driver.engine, commands }
}

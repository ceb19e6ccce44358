//! The read replica reaches exactly the engine task's state from the released commands alone.

use std::sync::Arc;

use engine::types::Timestamp;
use gateway::demo::{self, DemoProvince, DemoSizes, JournalSink, day_commands, live};
use gateway::journal::Layout;
use gateway::journal::storage::FaultyStorage;
use gateway::read::Replica;
use gateway::runtime::{ManualClock, Runtime, RuntimeConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replica_equals_the_engine_after_a_trading_session() {
    let disk = Arc::new(FaultyStorage::new());
    let layout = Layout::new("/data");
    let today = time::macros::date!(2026 - 06 - 15);
    let now = Timestamp::shanghai_midnight(today).plus_ms(9 * 3_600_000);
    let mut sink = JournalSink::create(disk.clone(), layout.clone(), now).expect("sink");
    let sizes = DemoSizes { suppliers: 40, purchasers: 200, variants: 1 };
    demo::load(&mut sink, today, sizes).expect("demo");
    sink.finish().expect("finish");
    let runtime =
        Runtime::start(disk, layout, Arc::new(ManualClock::at(now)), RuntimeConfig::default())
            .expect("start");
    let replica = Replica::start(runtime.handle(), runtime.subscribe()).await.expect("replica");
    let copy = runtime.handle().copy_engine().await.expect("copy");
    let province = DemoProvince::from_engine(&copy);
    let script: Vec<_> =
        day_commands(&province, today, 3_000, 21).into_iter().map(|(c, _)| c).collect();
    let summary = live::trade(runtime.handle(), script, 8, false).await;
    assert!(summary.trades > 100, "{summary:?}");
    let durable = *runtime.durable().borrow();
    replica.caught_up(durable).await;
    let engine = runtime.handle().copy_engine().await.expect("copy");
    let (hash, at) = replica.read(|e| e.state_hash());
    assert_eq!(at, durable);
    assert_eq!(hash, engine.state_hash());
    runtime.shutdown().await.expect("shutdown");
}

//! What the gateway's tests share: a small demo market on a disk that loses unsynced writes, with
//! its engine task, read replica and feed hub running.

// Each test binary compiles this module for itself and uses only part of it.
#![allow(dead_code)]

use std::sync::Arc;

use engine::types::Timestamp;
use gateway::demo::{self, DemoProvince, DemoSizes, JournalSink};
use gateway::feed::Hub;
use gateway::journal::Layout;
use gateway::journal::storage::FaultyStorage;
use gateway::read::Replica;
use gateway::runtime::{ManualClock, Runtime, RuntimeConfig};

/// A running market.
pub struct Market {
    pub runtime: Runtime,
    pub replica: Replica,
    pub hub: Arc<Hub>,
    pub province: DemoProvince,
    /// The engine task's clock, set by hand; the deadline timer follows it.
    pub clock: ManualClock,
    /// Candles, reference prices and alerts.
    pub prices: gateway::prices::PriceDesk,
    /// Seals quotes, with its key file in a folder of the test's own.
    pub sealer: Arc<gateway::sealing::Sealer>,
    /// The disk under the journal, to fail on purpose.
    pub disk: Arc<FaultyStorage>,
    _keys: tempfile::TempDir,
}

/// The demo province at `sizes`, loaded on 2026-06-15 and running at 10:00 that day.
pub async fn market(sizes: DemoSizes) -> Market {
    market_with(sizes, RuntimeConfig::default()).await
}

/// As [`market`], with the engine task configured as `config` says.
pub async fn market_with(sizes: DemoSizes, config: RuntimeConfig) -> Market {
    let disk = Arc::new(FaultyStorage::new());
    let layout = Layout::new("/data");
    let today = time::macros::date!(2026 - 06 - 15);
    let now = Timestamp::shanghai_midnight(today).plus_ms(10 * 3_600_000);
    let mut sink = JournalSink::create(disk.clone(), layout.clone(), now).expect("sink");
    let province = demo::load(&mut sink, today, sizes).expect("demo");
    sink.finish().expect("finish");
    let clock = ManualClock::at(now);
    let runtime =
        Runtime::start(disk.clone(), layout, Arc::new(clock.clone()), config).expect("start");
    let gateway::read::ReadSide { replica, hub, prices } = gateway::read::ReadSide::start(
        runtime.handle(),
        runtime.subscribe(),
        engine::analytics::Thresholds::default(),
        None,
    )
    .await
    .expect("read side");
    let keys = tempfile::tempdir().expect("key folder");
    let sealer = gateway::sealing::Sealer::new(keys.path().join("sealing.key"), "/data".as_ref())
        .expect("sealer");
    let sealer = Arc::new(sealer);
    gateway::runtime::deadlines::start(
        runtime.handle(),
        replica.clone(),
        Arc::new(clock.clone()),
        sealer.clone(),
    );
    Market { runtime, replica, hub, province, clock, prices, sealer, disk, _keys: keys }
}

impl Market {
    /// The state the HTTP API serves from, with token keys made from `key` and no database.
    pub fn app_state(&self, key: u8) -> gateway::http::AppState {
        gateway::http::Shared {
            handle: self.runtime.handle(),
            replica: self.replica.clone(),
            tokens: Arc::new(gateway::auth::Tokens::new("test", [key; 32])),
            logins: Arc::default(),
            books: None,
            journal: Some(gateway::journal::access::JournalAccess::Files {
                storage: self.disk.clone(),
                layout: Layout::new("/data"),
            }),
            hub: Some(self.hub.clone()),
            clock: Arc::new(self.clock.clone()),
            prices: Some(self.prices.clone()),
            sealer: Some(self.sealer.clone()),
            limits: Arc::default(),
            demo: true,
            security: gateway::audit::SecurityLog::default(),
            health: gateway::health::Health {
                journal: Some(gateway::health::JournalHealth {
                    durable: self.runtime.durable(),
                    failure: self.runtime.failure(),
                }),
                ..Default::default()
            },
        }
        .into()
    }
}

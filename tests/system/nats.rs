//! NATS for the tests: the machine's single JetStream server (ops/test.sh starts it when it is
//! not running), on which each test's market has a name of its own and is removed afterwards; and
//! servers of a test's own (three-server clusters, a server with a password) from the load tools.

use std::sync::atomic::{AtomicU32, Ordering};

use gateway::cluster::ClusterSettings;
pub use load::nats::{GuardedServer, NatsCluster, drop_market};

/// The machine's NATS server.
pub const NATS: &str = "nats://127.0.0.1:4222";

static NEXT_MARKET: AtomicU32 = AtomicU32::new(0);

/// A market name of the test's own.
pub fn market_name() -> String {
    format!("t{}_{}", std::process::id(), NEXT_MARKET.fetch_add(1, Ordering::SeqCst))
}

/// Settings of market `market` at `url`, with `replicas` copies. The lease is long: these tests
/// hand ownership over by a graceful stop (which gives the lease up at once), and a test process
/// starved of CPU by its neighbours must not lose a lease it holds.
pub fn market(url: &str, market: &str, replicas: usize) -> ClusterSettings {
    ClusterSettings {
        url: url.to_string(),
        market: market.to_string(),
        replicas,
        credentials: None,
        lease: std::time::Duration::from_secs(10),
        deadline: ClusterSettings::DEADLINE,
    }
}

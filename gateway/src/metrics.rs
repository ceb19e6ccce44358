//! Prometheus metrics (`GET /metrics`): commands by outcome, HTTP command latency, journal fsync
//! time, and, read at each scrape from memory, queue depth, replica sequence, persister lag,
//! whether the journal and the database are up, and WebSocket clients. One registry per process, so every part of the gateway records into the same one.

use std::sync::LazyLock;

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Latency buckets in seconds, from 50 µs to 2.5 s.
const BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5,
];

/// The gateway's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Commands made durable, by outcome (`applied`, `refused`, `retried`).
    pub commands: IntCounterVec,
    /// Time from an HTTP command's submission to its durable answer.
    pub command_seconds: Histogram,
    /// Time of one journal batch write and fsync.
    pub fsync_seconds: Histogram,
    /// Commands waiting in the engine queue.
    pub queue_depth: IntGauge,
    /// Sequence the read replica has applied.
    pub replica_seq: IntGauge,
    /// Records durable in the journal but not yet in the database.
    pub persister_lag: IntGauge,
    /// Records durable in the journal but not yet published as notices and releases.
    pub publication_lag: IntGauge,
    /// Open WebSocket connections.
    pub websocket_clients: IntGauge,
    /// 1 while the journal takes records, 0 once it has failed.
    pub journal_up: IntGauge,
    /// 1 while the persister's last write or check of the database succeeded.
    pub database_up: IntGauge,
    /// On a cluster: 1 while this node is ready in its role (an owner holding a fresh lease, an
    /// edge seeing an owner renew its lease and following the stream).
    pub cluster_up: IntGauge,
}

fn histogram(name: &str, help: &str) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(BUCKETS.to_vec()))
        .expect("valid histogram")
}

fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::new(name, help).expect("valid gauge")
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let metrics = Metrics {
        registry: Registry::new(),
        commands: IntCounterVec::new(
            Opts::new("marketplace_commands_total", "Commands made durable, by outcome"),
            &["outcome"],
        )
        .expect("valid counter"),
        command_seconds: histogram(
            "marketplace_http_command_seconds",
            "HTTP command to durable answer",
        ),
        fsync_seconds: histogram(
            "marketplace_journal_fsync_seconds",
            "Journal batch write and fsync",
        ),
        queue_depth: gauge("marketplace_queue_depth", "Commands waiting in the engine queue"),
        replica_seq: gauge("marketplace_replica_seq", "Sequence applied by the read replica"),
        persister_lag: gauge(
            "marketplace_persister_lag",
            "Durable records not yet in the database",
        ),
        publication_lag: gauge(
            "marketplace_publication_lag",
            "Durable records not yet published as notices and OCDS releases",
        ),
        websocket_clients: gauge("marketplace_websocket_clients", "Open WebSocket connections"),
        journal_up: gauge("marketplace_journal_up", "1 while the journal takes records"),
        database_up: gauge("marketplace_database_up", "1 while the database answers the persister"),
        cluster_up: gauge(
            "marketplace_cluster_up",
            "1 while this node is ready in its cluster role",
        ),
    };
    let r = &metrics.registry;
    let collectors: [Box<dyn prometheus::core::Collector>; 11] = [
        Box::new(metrics.commands.clone()),
        Box::new(metrics.command_seconds.clone()),
        Box::new(metrics.fsync_seconds.clone()),
        Box::new(metrics.queue_depth.clone()),
        Box::new(metrics.replica_seq.clone()),
        Box::new(metrics.persister_lag.clone()),
        Box::new(metrics.publication_lag.clone()),
        Box::new(metrics.websocket_clients.clone()),
        Box::new(metrics.journal_up.clone()),
        Box::new(metrics.database_up.clone()),
        Box::new(metrics.cluster_up.clone()),
    ];
    for collector in collectors {
        // Names are distinct constants; registering can only fail on a duplicate.
        r.register(collector).expect("metric names are distinct");
    }
    metrics
});

impl Metrics {
    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buffer);
        String::from_utf8(buffer).unwrap_or_default()
    }
}

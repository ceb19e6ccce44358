//! `hostile`: what one hostile participant can do to the marketplace, measured (rule U-4, U-5):
//!
//! 1. **Login storm**: `STORM` failed logins at once, each from an address of its own (so that no
//!    per-address refusal cheapens them), for existing names: the node's resident memory before,
//!    at its peak and after, and how every login was answered (401, or 429 told to wait).
//! 2. **Lock-out attempt**: a competitor fails `LOCKOUT` logins for a bidder's account from its own
//!    address; then the bidder logs in from its address: does it get in, and how long does it wait.
//! 3. **Flood**: one purchasing unit sends `FLOOD` orders from `FLOOD_CLIENTS` connections as fast as
//!    it can, while another unit places `VICTIM` orders one at a time: how many of the victim's
//!    succeed, its p99, and how the flood is answered.
//!
//! It starts its own node (demo province, SQLite, the default limits) in a temporary folder on a
//! loopback port, in this process (the resident memory measured is the node's with a small client
//! beside it). Bounded in count and time; loopback only (addresses of 127.0.0.0/8).
//!
//! `cargo run --release -p load --bin hostile`

/// The node in this process runs on the marketplace's own allocator.
#[global_allocator]
static ALLOCATOR: gateway::Allocator = gateway::Allocator;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use load::{HttpClient, call, percentile};
use serde_json::json;

const STORM: usize = 320;
const LOCKOUT: usize = 30;
const FLOOD: usize = 2_000;
const FLOOD_CLIENTS: usize = 64;
const VICTIM: usize = 40;
/// No part may run longer than this.
const LIMIT: Duration = Duration::from_secs(180);

fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn client_from(address: &str) -> anyhow::Result<HttpClient> {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_local_address(Some(address.parse::<IpAddr>()?));
    Ok(hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector))
}

fn tally(statuses: &[u16]) -> String {
    let mut counts = BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_insert(0) += 1;
    }
    counts.iter().map(|(s, n)| format!("{s}x{n}")).collect::<Vec<_>>().join(" ")
}

async fn storm(base: &str) -> anyhow::Result<()> {
    let uri = format!("{base}/api/v1/login");
    let idle = resident_mib();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..STORM {
        let client = client_from(&format!("127.0.{}.{}", 2 + n / 250, 1 + n % 250))?;
        let uri = uri.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "login": format!("unit{}", n + 1), "password": "not the password" });
            call(&client, &uri, None, &body).await.map(|(status, _)| status).unwrap_or(0)
        }));
    }
    let mut peak = idle;
    while tasks.iter().any(|t| !t.is_finished()) && start.elapsed() < LIMIT {
        peak = peak.max(resident_mib());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await?);
    }
    let took = start.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_mib();
    println!(
        "| login storm | {STORM} failed logins at once | {:.1}s | resident {idle:.0} MiB idle, {peak:.0} MiB peak ({:.2}x idle), {after:.0} MiB after | {} |",
        took.as_secs_f64(),
        peak / idle.max(1.0),
        tally(&statuses)
    );
    Ok(())
}

async fn lockout(base: &str) -> anyhow::Result<()> {
    let uri = format!("{base}/api/v1/login");
    let competitor = client_from("127.0.9.1")?;
    let mut statuses = Vec::new();
    for _ in 0..LOCKOUT {
        let body = json!({ "login": "supplier3", "password": "guess" });
        statuses.push(call(&competitor, &uri, None, &body).await?.0);
    }
    let bidder = client_from("127.0.9.2")?;
    let start = Instant::now();
    let (status, _) =
        call(&bidder, &uri, None, &json!({ "login": "supplier3", "password": "demo" })).await?;
    println!(
        "| lock-out attempt | {LOCKOUT} failures for supplier3 from one address, then its owner from another | {:.2}s for the owner | owner answered {status} | competitor: {} |",
        start.elapsed().as_secs_f64(),
        tally(&statuses)
    );
    Ok(())
}

async fn flood(base: &str) -> anyhow::Result<()> {
    // Each from an address of its own, as two organisations would be.
    let client = client_from("127.0.8.1")?;
    let victim_client = client_from("127.0.8.2")?;
    let flooder = load::login(&client, base, "unit11").await?;
    let victim = load::login(&victim_client, base, "unit12").await?;
    let flooder_order = load::order_body(&client, base, &flooder).await?;
    let victim_order = load::order_body(&victim_client, base, &victim).await?;
    let uri = format!("{base}/api/v1/orders");
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..FLOOD_CLIENTS {
        let (client, uri, token, body, next) =
            (client.clone(), uri.clone(), flooder.clone(), flooder_order.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < FLOOD
                && start.elapsed() < LIMIT
            {
                statuses.push(call(&client, &uri, Some(&token), &body).await.map_or(0, |r| r.0));
            }
            statuses
        }));
    }
    let mut victim_latencies = Vec::new();
    let mut victim_statuses = Vec::new();
    for _ in 0..VICTIM {
        let t = Instant::now();
        victim_statuses.push(call(&victim_client, &uri, Some(&victim), &victim_order).await?.0);
        victim_latencies.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    let mut flood_statuses = Vec::new();
    for task in tasks {
        flood_statuses.extend(task.await?);
    }
    victim_latencies.sort_unstable();
    println!(
        "| flood | {FLOOD} orders by one unit from {FLOOD_CLIENTS} connections, {VICTIM} by another | {:.1}s | victim: {}, p50 {:.1} ms, p99 {:.1} ms | flooder: {} |",
        start.elapsed().as_secs_f64(),
        tally(&victim_statuses),
        percentile(&victim_latencies, 500) as f64 / 1_000.0,
        percentile(&victim_latencies, 990) as f64 / 1_000.0,
        tally(&flood_statuses)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (node, base, _dir) = load::demo_node_with(gateway::http::LimitsConfig::default())
        .await
        .context("starting the node")?;
    println!("| attack | load | took | what the node did | answers |");
    println!("| --- | --- | --- | --- | --- |");
    storm(&base).await?;
    lockout(&base).await?;
    flood(&base).await?;
    node.shutdown().await
}

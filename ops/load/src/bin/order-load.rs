//! `order-load`: `POST /api/v1/orders` end to end (token check, engine, journal fsync, durable
//! answer) against a plain axum handler that parses the same body and answers the same shape of
//! JSON, in the same run, alternating.
//!
//! It starts its own marketplace node (demo province, SQLite) in a temporary folder and a reference
//! server, both on loopback ports, logs in `CLIENTS` purchasing units, and sends `REQUESTS` orders
//! per round from `CLIENTS` concurrent connections. Bounded in count and time; loopback only.
//! Prints a progress line per round and a summary table with throughput, p50/p99/p99.9 and ratio.
//!
//! `cargo run --release -p load --bin order-load [requests] [clients]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::routing::post;
use bytes::Bytes;
use load::{HttpClient, call, percentile};
use serde_json::{Value, json};

const ROUNDS: usize = 3;
/// No round may run longer than this.
const ROUND_LIMIT: Duration = Duration::from_secs(120);

async fn reference(body: Bytes) -> axum::Json<Value> {
    let order: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    axum::Json(json!({
        "order": { "order": 1, "requested": order["quantity"], "filled": order["quantity"], "cancelled": "0", "amount": "5.00" },
        "trades": [{ "id": "T1-0", "product": order["product"], "quantity": order["quantity"], "unit_price": "5.00", "amount": "5.00" }],
        "seq": 1,
    }))
}

/// One round: `requests` orders from `clients` connections; per-request latencies in µs.
async fn round(
    client: &HttpClient,
    uri: &str,
    sessions: &[(String, Value)],
    requests: usize,
) -> anyhow::Result<(Duration, Vec<u64>, usize)> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (token, body) in sessions {
        let (token, body) = (token.clone(), body.clone());
        let (client, uri, next) = (client.clone(), uri.to_string(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0;
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                let t = Instant::now();
                match call(&client, &uri, Some(&token), &body).await {
                    Ok((201 | 200, _)) => {}
                    Ok((status, reply)) => {
                        if failures == 0 {
                            eprintln!("first refusal: {status} {reply}");
                        }
                        failures += 1;
                    }
                    Err(e) => {
                        if failures == 0 {
                            eprintln!("first failure: {e}");
                        }
                        failures += 1;
                    }
                }
                latencies.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            (latencies, failures)
        }));
    }
    let mut all = Vec::with_capacity(requests);
    let mut failures = 0;
    for task in tasks {
        let (latencies, failed) = tokio::time::timeout(ROUND_LIMIT, task)
            .await
            .context("round over its time limit")??;
        all.extend(latencies);
        failures += failed;
    }
    Ok((start.elapsed(), all, failures))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let clients: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);

    let (node, market, _dir) = load::demo_node().await?;
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let plain_addr = plain.local_addr()?;
    let plain_app = axum::Router::new().route("/api/v1/orders", post(reference));
    tokio::spawn(async move { axum::serve(plain, plain_app).await });

    let client = load::client();
    // The cheapest product whose best offer covers the whole province without a stock limit,
    // so every order fills; and one session and budget line per client.
    let province: engine::types::RegionCode = "330000".parse()?;
    let ((product, units), _) = node.replica.read(|engine| {
        let product = engine
            .products()
            .filter_map(|p| {
                let (key, a) = engine.offers(p.id).next()?;
                (a.stock.is_none() && a.regions.contains(&province)).then_some((key.price, p.id.0))
            })
            .min()
            .map(|(_, id)| id);
        let units: Vec<_> = (1..=clients).map(|n| format!("unit{n}")).collect();
        (product, units)
    });
    let product = product.context("a notebook on offer in the demo province")?;
    let mut sessions = Vec::new();
    for login in units {
        let token = load::login(&client, &market, &login).await?;
        let (line, _) = node.replica.read(|engine| {
            let purchaser = engine.user_by_login(&login).map(|u| u.participant);
            engine.budget_lines().find(|l| Some(l.purchaser) == purchaser).map(|l| l.id.0)
        });
        let order = json!({ "product": product, "quantity": "1", "budget_line": line });
        sessions.push((token, order));
    }

    let targets = [
        ("marketplace", format!("{market}/api/v1/orders")),
        ("plain axum", format!("http://{plain_addr}/api/v1/orders")),
    ];
    let mut results: Vec<(Vec<f64>, Vec<u64>, usize)> =
        vec![(Vec::new(), Vec::new(), 0), (Vec::new(), Vec::new(), 0)];
    for r in 0..ROUNDS {
        for (i, (name, uri)) in targets.iter().enumerate() {
            let (elapsed, latencies, failures) = round(&client, uri, &sessions, requests).await?;
            #[allow(clippy::cast_precision_loss)]
            let per_second = latencies.len() as f64 / elapsed.as_secs_f64();
            eprintln!(
                "round {}/{ROUNDS} {name:<12} {per_second:>9.0} requests/s, {failures} failed",
                r + 1
            );
            results[i].0.push(per_second);
            results[i].1.extend(latencies);
            results[i].2 += failures;
        }
    }
    println!(
        "\nPOST /api/v1/orders, {requests} requests x {ROUNDS} rounds, {clients} connections (median round):"
    );
    println!(
        "  {:<12} {:>12} {:>9} {:>9} {:>9} {:>8}",
        "target", "requests/s", "p50 us", "p99 us", "p99.9 us", "failed"
    );
    let mut medians = Vec::new();
    for (i, (name, _)) in targets.iter().enumerate() {
        let (rates, latencies, failures) = &mut results[i];
        rates.sort_by(f64::total_cmp);
        latencies.sort_unstable();
        let median = rates[rates.len() / 2];
        medians.push(median);
        println!(
            "  {name:<12} {median:>12.0} {:>9} {:>9} {:>9} {failures:>8}",
            percentile(latencies, 500),
            percentile(latencies, 990),
            percentile(latencies, 999)
        );
    }
    println!("  ratio marketplace / plain axum: {:.2}x", medians[0] / medians[1]);
    node.shutdown().await?;
    Ok(())
}

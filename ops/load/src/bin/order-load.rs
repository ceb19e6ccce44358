//! `order-load`: `POST /api/v1/orders` end to end (token check, limits, engine, journal fsync,
//! durable answer) against a plain axum handler that parses the same body and answers the same
//! shape of JSON, in the same run, alternating.
//!
//! The two servers run as child processes of this tool pinned to core 0 (`taskset`), one loaded at
//! a time, and the load generator runs pinned to core 1, so that neither side's work is counted
//! against the other. The marketplace child is a node with the demo province on its embedded
//! defaults (SQLite, local journal). Every order fills: the cheapest product on offer province-wide
//! without a stock limit, one unit, each client its own purchasing unit and budget line.
//!
//! Three phases, all alternating marketplace and plain handler, `ROUNDS` times:
//! 1. peak: `clients` connections, each sending its next order as soon as the last is answered;
//! 2. half the peak: the same connections paced to half of each target's own median peak rate,
//!    latency measured from the moment each request was due (so queueing counts);
//! 3. a profile of the marketplace child at its peak (`perf record`), its top entries printed.
//!
//! Every round starts once its server has used no CPU for a fifth of a second, so that the work a
//! round leaves behind (the marketplace's persister, publisher and price history catching up) is
//! counted against it, in each server's CPU time per request, and never slows the next round.
//!
//! `ORDER_LOAD_ROUNDS` changes the number of rounds; `ORDER_LOAD_PROFILE=path` keeps the profile
//! for `perf report -i path`; `ORDER_LOAD_SLOW=1` prints every paced request slower than 20 ms
//! with the moment it was due, to see whether slow answers come together.
//!
//! `cargo build --release -p load && target/release/order-load [requests] [clients]`

/// The node in this process runs on the marketplace's own allocator.
#[global_allocator]
static ALLOCATOR: gateway::Allocator = gateway::Allocator;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::routing::post;
use bytes::Bytes;
use load::{HttpClient, call, percentile};
use serde_json::{Value, json};

/// Alternating rounds of each phase (`ORDER_LOAD_ROUNDS` to change).
const ROUNDS: usize = 5;
/// No round may run longer than this.
const ROUND_LIMIT: Duration = Duration::from_secs(120);
/// The server's core and the load generator's.
const SERVER_CORE: &str = "0";
const LOAD_CORE: &str = "1";
/// Profile entries printed.
const PROFILE_TOP: usize = 25;

async fn reference(body: Bytes) -> axum::Json<Value> {
    let order: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    axum::Json(json!({
        "order": { "order": 1, "requested": order["quantity"], "filled": order["quantity"], "cancelled": "0", "amount": "5.00" },
        "trades": [{ "id": "T1-0", "product": order["product"], "quantity": order["quantity"], "unit_price": "5.00", "amount": "5.00" }],
        "seq": 1,
    }))
}

/// How a round sends: as fast as answered, or paced to a total rate.
#[derive(Clone, Copy)]
enum Pace {
    Closed,
    Rate(f64),
}

/// One round: `requests` orders from the sessions' connections; per-request latencies in µs (from
/// the moment each was due when paced), and the failures.
async fn round(
    client: &HttpClient,
    uri: &str,
    sessions: &[(String, Value)],
    requests: usize,
    pace: Pace,
) -> anyhow::Result<(Duration, Vec<u64>, usize)> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for (token, body) in sessions {
        let (token, body) = (token.clone(), body.clone());
        let (client, uri, next) = (client.clone(), uri.to_string(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let due = match pace {
                    Pace::Closed => tokio::time::Instant::now(),
                    Pace::Rate(rate) => {
                        #[allow(clippy::cast_precision_loss)]
                        let due = start + Duration::from_secs_f64(n as f64 / rate);
                        tokio::time::sleep_until(due).await;
                        due
                    }
                };
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
                let latency = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX);
                if matches!(pace, Pace::Rate(_))
                    && std::env::var_os("ORDER_LOAD_SLOW").is_some()
                    && latency > 20_000
                {
                    eprintln!("slow: {latency} us at {} ms", (due - start).as_millis());
                }
                latencies.push(latency);
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

/// A server child pinned to the server core; it prints one line of JSON once serving and stops when
/// its standard input closes.
struct Server {
    child: Child,
    hello: Value,
}

impl Server {
    fn start(role: &str, clients: usize) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new("taskset")
            .args(["-c", SERVER_CORE])
            .arg(exe)
            .args(["--serve", role, &clients.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting a server under taskset (util-linux)")?;
        let stdout = child.stdout.take().context("the child's output")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let hello: Value = serde_json::from_str(&line)
            .with_context(|| format!("the {role} server did not start: {line:?}"))?;
        Ok(Self { child, hello })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) -> anyhow::Result<()> {
        drop(self.child.stdin.take());
        let status = self.child.wait()?;
        anyhow::ensure!(status.success(), "a server child ended with {status}");
        Ok(())
    }
}

/// The child's side: serve until standard input closes.
async fn serve(role: &str, clients: usize) -> anyhow::Result<()> {
    let hello;
    let mut node = None;
    let _dir;
    match role {
        "plain" => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            hello = json!({ "base": format!("http://{}", listener.local_addr()?) });
            let app = axum::Router::new().route("/api/v1/orders", post(reference));
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        "marketplace" => {
            let (started, base, dir) = load::demo_node().await?;
            _dir = dir;
            hello = buyers(&started, &base, clients)?;
            node = Some(started);
        }
        other => anyhow::bail!("no server role {other}"),
    }
    println!("{hello}");
    std::io::stdout().flush()?;
    tokio::task::spawn_blocking(|| std::io::stdin().lines().for_each(drop)).await?;
    if let Some(node) = node {
        node.shutdown().await?;
    }
    Ok(())
}

/// The product every order buys (the cheapest on offer province-wide without a stock limit, so
/// every order fills) and `clients` purchasing units with a budget line each.
fn buyers(node: &gateway::node::Node, base: &str, clients: usize) -> anyhow::Result<Value> {
    let province: engine::types::RegionCode = "330000".parse()?;
    let (product, buyers) = node
        .replica
        .read(|engine| {
            let product = engine
                .products()
                .filter_map(|p| {
                    let (key, a) = engine.offers(p.id).next()?;
                    (a.stock.is_none() && a.regions.contains(&province))
                        .then_some((key.price, p.id.0))
                })
                .min()
                .map(|(_, id)| id);
            let buyers: Vec<_> = (1..=clients)
                .filter_map(|n| {
                    let login = format!("unit{n}");
                    let purchaser = engine.user_by_login(&login)?.participant;
                    let line = engine.budget_lines().find(|l| l.purchaser == purchaser)?.id.0;
                    Some(json!([login, line]))
                })
                .collect();
            (product, buyers)
        })
        .0;
    let product = product.context("a product on offer in the whole demo province")?;
    anyhow::ensure!(buyers.len() == clients, "only {} demo units have budget lines", buyers.len());
    Ok(json!({ "base": base, "product": product, "buyers": buyers }))
}

/// A target's rounds: the rate of each, every latency, the failures.
type Rounds = (Vec<f64>, Vec<u64>, usize);

/// Adds a round to its target's rounds and prints a line for it.
fn tally(
    label: &str,
    rounds: &mut Rounds,
    elapsed: Duration,
    latencies: Vec<u64>,
    failures: usize,
) {
    #[allow(clippy::cast_precision_loss)]
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    eprintln!("{label} {rate:>9.0} requests/s, {failures} failed");
    rounds.0.push(rate);
    rounds.1.extend(latencies);
    rounds.2 += failures;
}

/// The median of `values`, sorted in place.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Prints a phase's summary: the median round's rate and the latency percentiles of all rounds.
fn summary(title: &str, names: &[&str], results: &mut [Rounds]) -> Vec<f64> {
    println!("\n{title}");
    println!(
        "  {:<12} {:>12} {:>9} {:>9} {:>9} {:>8}",
        "target", "requests/s", "p50 us", "p99 us", "p99.9 us", "failed"
    );
    let mut medians = Vec::new();
    for (name, (rates, latencies, failures)) in names.iter().zip(results.iter_mut()) {
        latencies.sort_unstable();
        let rate = median(rates);
        medians.push(rate);
        println!(
            "  {name:<12} {rate:>12.0} {:>9} {:>9} {:>9} {failures:>8}",
            percentile(latencies, 500),
            percentile(latencies, 990),
            percentile(latencies, 999)
        );
    }
    println!("  ratio marketplace / plain axum: {:.2}x", medians[0] / medians[1]);
    medians
}

/// CPU time a process has used, all its threads, from `/proc/<pid>/stat` (in clock ticks of
/// 10 ms, the kernel's `USER_HZ` on Linux).
fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; the fields counted here follow its closing parenthesis.
    let fields: Vec<&str> =
        stat.rsplit_once(')').context("a /proc stat line")?.1.split_whitespace().collect();
    let ticks =
        |i: usize| -> anyhow::Result<u64> { Ok(fields.get(i).context("a stat field")?.parse()?) };
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// Waits until the process has used no CPU for a fifth of a second: the marketplace's followers
/// (persister, publisher, price history) have caught up with what a round sent, so that their work
/// is counted against the round that caused it and not against the next server's round.
async fn settle(pid: u32) -> anyhow::Result<Duration> {
    let mut last = cpu_time(pid)?;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = cpu_time(pid)?;
        if now == last {
            return Ok(now);
        }
        last = now;
    }
    anyhow::bail!("the server never went idle")
}

/// Records the server child's profile while `work` runs, and prints its top entries by own time.
async fn profiled<F: std::future::Future<Output = anyhow::Result<()>>>(
    pid: u32,
    work: F,
) -> anyhow::Result<()> {
    // `ORDER_LOAD_PROFILE=path` keeps the recording for `perf report -i path`.
    let file = tempfile::NamedTempFile::new()?;
    let path = std::env::var_os("ORDER_LOAD_PROFILE")
        .map_or_else(|| file.path().to_path_buf(), std::path::PathBuf::from);
    let mut perf = Command::new("perf")
        .args(["record", "-F", "1999", "-g", "-o"])
        .arg(&path)
        .args(["-p", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting perf (Debian's linux-perf)")?;
    // perf attaches in a moment; the round is long enough for that not to matter.
    let worked = work.await;
    Command::new("kill").args(["-INT", &perf.id().to_string()]).status()?;
    perf.wait()?;
    worked?;
    let report = Command::new("perf")
        .args(["report", "--stdio", "--no-children", "--sort", "comm,symbol", "-g", "none", "-i"])
        .arg(&path)
        .stderr(Stdio::null())
        .output()
        .context("perf report")?;
    println!("\nprofile of the marketplace at its peak (own time, top {PROFILE_TOP}):");
    String::from_utf8_lossy(&report.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .take(PROFILE_TOP)
        .for_each(|l| println!("  {}", l.trim_end().trim_end_matches(['-', ' '])));
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = |threads: Option<usize>| {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if let Some(threads) = threads {
            builder.worker_threads(threads);
        }
        builder.enable_all().build()
    };
    if args.first().map(String::as_str) == Some("--serve") {
        let role = args.get(1).context("--serve marketplace|plain")?.clone();
        let clients = args.get(2).map(|c| c.parse()).transpose()?.unwrap_or(64);
        return runtime(None)?.block_on(serve(&role, clients));
    }
    let requests: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(20_000);
    let clients: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(64);
    // Pinned before any other thread exists, so that every thread of the runtime inherits it.
    let pinned = Command::new("taskset")
        .args(["-p", "-c", LOAD_CORE, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .context("pinning the load generator (taskset, util-linux)")?;
    anyhow::ensure!(pinned.success(), "taskset could not pin the load generator");
    runtime(Some(1))?.block_on(drive(requests, clients))
}

async fn drive(requests: usize, clients: usize) -> anyhow::Result<()> {
    let rounds: usize =
        std::env::var("ORDER_LOAD_ROUNDS").ok().map(|r| r.parse()).transpose()?.unwrap_or(ROUNDS);
    let marketplace = Server::start("marketplace", clients)?;
    let plain = Server::start("plain", clients)?;
    let client = load::client();
    let base = marketplace.hello["base"].as_str().context("base")?.to_string();
    let product = marketplace.hello["product"].clone();
    let mut sessions = Vec::new();
    for buyer in marketplace.hello["buyers"].as_array().context("buyers")? {
        let login = buyer[0].as_str().context("login")?;
        let token = load::login(&client, &base, login).await?;
        sessions
            .push((token, json!({ "product": product, "quantity": "1", "budget_line": buyer[1] })));
    }
    let names = ["marketplace", "plain axum"];
    let targets = [
        format!("{base}/api/v1/orders"),
        format!("{}/api/v1/orders", plain.hello["base"].as_str().context("base")?),
    ];
    let empty = || vec![(Vec::new(), Vec::new(), 0), (Vec::new(), Vec::new(), 0)];

    let pids = [marketplace.pid(), plain.pid()];
    let mut cpu = [Duration::ZERO; 2];
    let mut peak = empty();
    for r in 0..rounds {
        for (i, uri) in targets.iter().enumerate() {
            let before = settle(pids[i]).await?;
            let (elapsed, latencies, failures) =
                round(&client, uri, &sessions, requests, Pace::Closed).await?;
            cpu[i] += settle(pids[i]).await? - before;
            let label = format!("peak {}/{rounds} {:<12}", r + 1, names[i]);
            tally(&label, &mut peak[i], elapsed, latencies, failures);
        }
    }
    let title = format!(
        "peak: POST /api/v1/orders, {requests} requests x {rounds} rounds, {clients} connections, \
         server on core {SERVER_CORE}, load on core {LOAD_CORE} (median round):"
    );
    let peaks = summary(&title, &names, &mut peak);
    // CPU per request, the followers' catching up included: the measure least moved by a noisy
    // neighbour on a shared machine, since time stolen from the core is not counted.
    #[allow(clippy::cast_precision_loss)]
    let per_request = cpu.map(|c| c.as_secs_f64() * 1e6 / (requests * rounds) as f64);
    println!(
        "  server CPU per request: marketplace {:.0} us, plain axum {:.0} us, ratio {:.2}x",
        per_request[0],
        per_request[1],
        per_request[1] / per_request[0]
    );

    let mut half = empty();
    for r in 0..rounds {
        for (i, uri) in targets.iter().enumerate() {
            let rate = peaks[i] / 2.0;
            let count = requests / 2;
            settle(pids[i]).await?;
            let (elapsed, latencies, failures) =
                round(&client, uri, &sessions, count, Pace::Rate(rate)).await?;
            let label = format!("half {}/{rounds} {:<12}", r + 1, names[i]);
            tally(&label, &mut half[i], elapsed, latencies, failures);
        }
    }
    summary(
        "half of each target's own peak rate, latency from each request's due time:",
        &names,
        &mut half,
    );

    let uri = targets[0].clone();
    profiled(marketplace.pid(), async {
        round(&client, &uri, &sessions, requests, Pace::Closed).await.map(drop)
    })
    .await?;
    marketplace.stop()?;
    plain.stop()?;
    Ok(())
}

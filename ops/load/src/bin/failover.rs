//! Failover time of a market: an owner and a standby (the gateway binary, as an operator runs it)
//! on a three-server JetStream cluster of the tool's own, orders placed all along; the owner is
//! killed with SIGKILL, and the time until the standby acknowledges an order is taken. The killed
//! node is started again as the next standby, and so on: `--kills` times (10 by default). Prints
//! each time, the median and the maximum, and the orders lost (must be none: every acknowledged
//! order answers its first outcome at the new owner).
//!
//! `cargo build --release -p gateway && cargo run --release -p load --bin failover -- target/release/gateway`

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use load::nats::{NatsCluster, free_port};
use load::{HttpClient, client, login};
use serde_json::{Value, json};

struct Node {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(binary: &Path, dir: &Path, name: &str, role: &str, url: &str) -> anyhow::Result<Node> {
    let port = free_port();
    let log = dir.join(format!("{name}.log"));
    let child = Command::new(binary)
        .args(["--data-dir", &dir.join(name).to_string_lossy()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg(role)
        .env("NATS_URL", url)
        .env("APP_MARKET", "failover")
        .env("APP_TOKEN_KEY_FILE", dir.join("token.key"))
        .env("APP_SEALING_KEY_FILE", dir.join("sealing.key"))
        .env("RUST_LOG", "warn,gateway=info")
        .env("APP_DEMO_STILL", "1")
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    Ok(Node { child, base: format!("http://127.0.0.1:{port}"), log })
}

async fn until(
    what: &str,
    limit: Duration,
    mut done: impl AsyncFnMut() -> bool,
) -> anyhow::Result<()> {
    let start = Instant::now();
    while !done().await {
        if start.elapsed() > limit {
            bail!("{what} did not happen within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

async fn ready(client: &HttpClient, node: &Node) -> bool {
    let request = hyper::Request::get(format!("{}/ready", node.base))
        .body(http_body_util::Full::new(bytes::Bytes::new()));
    let Ok(request) = request else { return false };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), client.request(request)).await,
        Ok(Ok(response)) if response.status() == 200
    )
}

fn standing_by(node: &Node) -> bool {
    std::fs::read_to_string(&node.log).unwrap_or_default().contains("Standing by")
}

/// Places one order with `key`; its status and sequence, or none when nothing answered.
async fn order(
    client: &HttpClient,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Option<(u16, Option<u64>)> {
    use http_body_util::BodyExt;
    let request = hyper::Request::post(format!("{base}/api/v1/orders"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(http_body_util::Full::new(bytes::Bytes::from(body.to_string())))
        .ok()?;
    let response =
        tokio::time::timeout(Duration::from_secs(10), client.request(request)).await.ok()?.ok()?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.ok()?.to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Some((status, body["seq"].as_u64()))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(args.next().unwrap_or_else(|| "target/release/gateway".into()));
    let kills: usize = match args.next().as_deref() {
        Some("--kills") => args.next().context("--kills N")?.parse()?,
        _ => 10,
    };
    let nats = NatsCluster::start_new().await;
    let dir = tempfile::tempdir()?;
    let http = client();
    let mut owner = start(&binary, dir.path(), "n0", "run", &nats.url())?;
    until("the first owner serving", Duration::from_secs(300), async || ready(&http, &owner).await)
        .await?;
    let token = login(&http, &owner.base, "unit1").await?;
    let budgets = {
        use http_body_util::BodyExt;
        let request = hyper::Request::get(format!("{}/api/v1/budgets", owner.base))
            .header("authorization", format!("Bearer {token}"))
            .body(http_body_util::Full::new(bytes::Bytes::new()))?;
        let bytes = http.request(request).await?.into_body().collect().await?.to_bytes();
        serde_json::from_slice::<Value>(&bytes)?
    };
    let body = json!({ "product": 267, "quantity": "1", "budget_line": budgets["lines"][0]["id"] });
    let mut standby = start(&binary, dir.path(), "n1", "standby", &nats.url())?;
    until("the standby standing by", Duration::from_secs(120), async || standing_by(&standby))
        .await?;
    let mut acknowledged = Vec::new();
    let mut times = Vec::new();
    for kill in 0..kills {
        for n in 0..20 {
            let key = format!("k{kill}-{n}");
            if let Some((status, seq)) = order(&http, &owner.base, &token, &key, &body).await
                && matches!(status, 200 | 201 | 422)
            {
                acknowledged.push((key, status, seq));
            }
        }
        let _ = owner.child.kill();
        let killed = Instant::now();
        let _ = owner.child.wait();
        let key = format!("after-{kill}");
        until("the standby acknowledging an order", Duration::from_secs(60), async || {
            order(&http, &standby.base, &token, &key, &body)
                .await
                .is_some_and(|(status, _)| matches!(status, 200 | 201 | 422))
        })
        .await?;
        let took = killed.elapsed();
        println!(
            "kill {}: the standby acknowledged an order {took:.2?} after the owner's death",
            kill + 1
        );
        times.push(took);
        // Nodes n0 and n1 are the first owner and standby; each kill starts the next.
        let name = format!("n{}", kill + 2);
        let fresh = start(&binary, dir.path(), &name, "standby", &nats.url())?;
        until("the next standby standing by", Duration::from_secs(120), async || {
            standing_by(&fresh)
        })
        .await?;
        owner = std::mem::replace(&mut standby, fresh);
    }
    let mut lost = 0;
    for (key, status, seq) in &acknowledged {
        let mut answer = order(&http, &owner.base, &token, key, &body).await;
        // Checking 200 orders at once meets the participant's command rate: wait and ask again.
        while answer.is_some_and(|(status, _)| status == 429) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            answer = order(&http, &owner.base, &token, key, &body).await;
        }
        match answer {
            Some((again, again_seq)) if again == *status && again_seq == *seq => {}
            other => {
                lost += 1;
                eprintln!("{key}: first {status} {seq:?}, now {other:?}");
            }
        }
    }
    println!(
        "failover over {kills} kills: median {:.2?}, max {:.2?}; {} acknowledged orders, {lost} lost or changed",
        median(times.clone()),
        times.iter().max().copied().unwrap_or_default(),
        acknowledged.len()
    );
    if lost > 0 {
        bail!("{lost} acknowledged orders were lost or changed");
    }
    Ok(())
}

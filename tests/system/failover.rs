//! A market on a three-server JetStream cluster of the test's own, its nodes real processes: the
//! owner killed (-9) or paused (SIGSTOP) with a standby running, NATS servers killed one and two at
//! a time, an edge whose owner died. Whatever happens, every acknowledged order is in the new
//! owner's state exactly once (a retry with its Idempotency-Key answers the first outcome), the
//! journal stays one chain, and the budgets reconcile.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;
use crate::nats::{NatsCluster, market, market_name};

/// A market's shared parts: the cluster, the database, the key files every node uses.
struct Market {
    nats: NatsCluster,
    name: String,
    db: Database,
    dir: tempfile::TempDir,
}

/// A node process, its base URL and its log.
struct Process {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Market {
    async fn start() -> Self {
        let nats = NatsCluster::start_new().await;
        let db = fresh_database().await;
        let dir = tempfile::tempdir().expect("tempdir");
        Self { nats, name: market_name(), db, dir }
    }

    /// Starts `gateway <role>` with a data folder of its own, on a port the node picks itself
    /// (a port picked here and let go could be taken by a test beside it before the node binds
    /// it), read back from its log.
    fn spawn(&self, role: &str, node: &str, env: &[(&str, &str)]) -> Process {
        let log = self.dir.path().join(format!("{node}.log"));
        let mut command = Command::new(node_binary());
        command
            .args(["--data-dir", self.path(node).to_str().expect("utf-8")])
            .args(["--listen", "127.0.0.1:0"])
            .arg(role)
            .env("NATS_URL", self.nats.url())
            .env("APP_MARKET", &self.name)
            .env("DATABASE_URL", &self.db.url)
            .env("APP_TOKEN_KEY_FILE", self.dir.path().join("token.key"))
            .env("APP_SEALING_KEY_FILE", self.dir.path().join("sealing.key"))
            .env("RUST_LOG", "warn,gateway=info")
            // Longer than the production default, so that a node starved of CPU by the tests
            // running beside it keeps its lease; the take-over is timed by ops/load's failover.
            .env("APP_LEASE_MS", "5000")
            // The demo market kept still: the test's own orders are all the load.
            .env("APP_DEMO_STILL", "1")
            .env_remove("REDIS_URL")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the node starts");
        let base = address_in(&log, &mut child);
        Process { child, base, log }
    }

    /// An owner serving the demo province, and a standby following it warm.
    async fn owner_and_standby(&self, client: &HttpClient) -> (Process, Process) {
        let owner = self.spawn("run", "a", &[]);
        owner.ready(client).await;
        let standby = self.spawn("standby", "b", &[]);
        standby.says("Standing by").await;
        (owner, standby)
    }

    fn path(&self, node: &str) -> PathBuf {
        self.dir.path().join(node)
    }

    async fn finish(self) {
        self.db.drop_now().await;
    }
}

/// The address a node started on port 0 says it listens at, as soon as it says so (a guard of 180
/// s against a node that never does; a node that exits first fails the test with its log).
fn address_in(log: &std::path::Path, child: &mut Child) -> String {
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(at) = text.find(" at http://") {
            let rest = &text[at + " at ".len()..];
            let end = rest.find('/').and_then(|i| rest[i + 2..].find('/').map(|j| i + 2 + j));
            if let Some(end) = end {
                return rest[..end].to_string();
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("the node exited ({status}) before listening; its log:\n{text}");
        }
        assert!(started.elapsed() < Duration::from_secs(180), "the node never listened:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Process {
    /// Waits until the node answers `/ready` with 200; if it never does, fails with the end of
    /// its log, which says why.
    async fn ready(&self, client: &HttpClient) {
        let waiting = async {
            while status(client, &format!("{}/ready", self.base)).await != Some(200) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(180), waiting).await.is_err() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: String =
                log.chars().rev().take(4000).collect::<Vec<_>>().into_iter().rev().collect();
            panic!("{} did not become ready within 180 s; its log ends:\n{tail}", self.base);
        }
    }

    /// Waits until the node's log says `words`.
    async fn says(&self, words: &str) {
        let what = format!("{} saying {words:?}", self.log.display());
        within(Duration::from_secs(120), &what, async {
            while !std::fs::read_to_string(&self.log).unwrap_or_default().contains(words) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal}");
    }

    /// Stops the node and waits until every thread of it has stopped. `kill -STOP` returns once
    /// the signal is sent; the stop itself spreads to a process's threads as one of them takes the
    /// signal, and on a busy machine the others may run on, and answer, for a few milliseconds.
    async fn pause(&self) {
        self.signal("-STOP");
        let tasks = format!("/proc/{}/task", self.child.id());
        within(Duration::from_secs(30), "every thread of the node stopped", async {
            while !every_thread_stopped(&tasks) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when every thread listed under `tasks` (`/proc/<pid>/task`) is in the stopped state.
fn every_thread_stopped(tasks: &str) -> bool {
    let Ok(threads) = std::fs::read_dir(tasks) else { return false };
    threads.flatten().all(|thread| {
        // The state follows the command name, which is in parentheses and may hold spaces.
        let stat = std::fs::read_to_string(thread.path().join("stat")).unwrap_or_default();
        stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('T'))
    })
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The status of a GET, or none when nothing answers.
async fn status(client: &HttpClient, uri: &str) -> Option<u16> {
    let request = hyper::Request::get(uri)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("request");
    let response = tokio::time::timeout(Duration::from_secs(5), client.request(request)).await;
    Some(response.ok()?.ok()?.status().as_u16())
}

/// What an order's POST came to.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    body: Value,
    replayed: bool,
}

impl Answer {
    /// A durable outcome: the order placed, or refused by a rule (journaled like any command).
    fn acknowledged(&self) -> bool {
        matches!(self.status, 200 | 201 | 422)
    }

    fn seq(&self) -> Option<u64> {
        self.body["seq"].as_u64()
    }
}

/// Places an order with `key`; none when no answer came (the node died mid-request).
async fn order(
    client: &HttpClient,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Option<Answer> {
    use http_body_util::BodyExt;
    let request = hyper::Request::post(format!("{base}/api/v1/orders"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .body(http_body_util::Full::new(bytes::Bytes::from(body.to_string())))
        .expect("request");
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("an answer or a broken connection within 30 s")
        .ok()?;
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let bytes = response.into_body().collect().await.ok()?.to_bytes();
    Some(Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), replayed })
}

/// A purchasing unit's token and the body of an order it may place.
async fn buyer(client: &HttpClient, base: &str, unit: &str) -> (String, Value) {
    let (status, login) = call(
        client,
        "POST",
        &format!("{base}/api/v1/login"),
        None,
        Some(json!({ "login": unit, "password": "demo" })),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().expect("token").to_string();
    // The cheapest product on offer, so that the budget lasts for many orders.
    let uri = format!("{base}/api/v1/catalog/products?per_page=100");
    let (_, catalog) = call(client, "GET", &uri, Some(&token), None).await;
    let price = |p: &Value| p["best_offer"].as_str().and_then(|s| s.parse::<f64>().ok());
    let product = catalog["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|p| price(p).is_some())
        .min_by(|a, b| price(a).partial_cmp(&price(b)).expect("prices compare"))
        .expect("a product on offer")["id"]
        .clone();
    let (_, budgets) =
        call(client, "GET", &format!("{base}/api/v1/budgets"), Some(&token), None).await;
    let body =
        json!({ "product": product, "quantity": "1", "budget_line": budgets["lines"][0]["id"] });
    (token, body)
}

/// Retries every order at `base` with its key: an acknowledged one answers its first outcome
/// (same sequence, marked replayed); any other is decided now, once: a second retry repeats it.
async fn every_order_once(
    client: &HttpClient,
    base: &str,
    orders: &BTreeMap<String, (String, Value, Option<Answer>)>,
) {
    for (key, (token, body, first)) in orders {
        let retry = order(client, base, token, key, body).await.expect("the new owner answers");
        match first {
            Some(first) if first.acknowledged() => {
                assert_eq!(retry.status, first.status, "{key}: {retry:?} after {first:?}");
                assert_eq!(retry.seq(), first.seq(), "{key}: {retry:?} after {first:?}");
                assert!(retry.replayed, "{key}: {retry:?}");
            }
            _ => {
                let again = order(client, base, token, key, body).await.expect("an answer");
                assert_eq!((again.status, again.seq()), (retry.status, retry.seq()), "{key}");
            }
        }
    }
}

/// Waits until reconciliation at `base`, as of every acknowledged command, shows no difference.
async fn reconciles(client: &HttpClient, base: &str, up_to: u64) {
    let (_, login) = call(
        client,
        "POST",
        &format!("{base}/api/v1/login"),
        None,
        Some(json!({ "login": "supervisor", "password": "demo" })),
    )
    .await;
    let token = login["token"].as_str().expect("token").to_string();
    within(Duration::from_secs(60), "the database catching up and reconciling", async {
        loop {
            let (status, report) =
                call(client, "GET", &format!("{base}/api/v1/reconciliation"), Some(&token), None)
                    .await;
            if status == 200 && report["as_of_seq"].as_u64() >= Some(up_to) {
                assert_eq!(report["differences"], json!([]), "{report}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

/// The highest sequence among acknowledged answers.
fn last_acknowledged(orders: &BTreeMap<String, (String, Value, Option<Answer>)>) -> u64 {
    orders
        .values()
        .filter_map(|(_, _, a)| a.as_ref().filter(|a| a.acknowledged()).and_then(Answer::seq))
        .max()
        .unwrap_or(0)
}

/// Verifies the journal stream end to end (checksums, chain, replayed events) up to `at`.
async fn one_history(of: &Market, at: u64) {
    let cluster = gateway::cluster::Cluster::connect(market(&of.nats.url(), &of.name, 3))
        .await
        .expect("the cluster");
    let engine = gateway::cluster::reading::engine_at(&cluster, engine::types::Seq(at))
        .await
        .expect("the journal stream replays as one chain");
    assert_eq!(engine.seq().0, at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_owner_under_load_hands_the_market_to_the_standby_with_nothing_lost() {
    let market = Market::start().await;
    let client = http_client();
    let (mut owner, standby) = market.owner_and_standby(&client).await;

    let buyers: Vec<_> = {
        let mut buyers = Vec::new();
        for unit in ["unit1", "unit2", "unit3", "unit4", "unit5", "unit6"] {
            buyers.push(buyer(&client, &owner.base, unit).await);
        }
        buyers
    };
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut traders = Vec::new();
    for (i, (token, body)) in buyers.into_iter().enumerate() {
        let (client, base) = (client.clone(), owner.base.clone());
        let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
        traders.push(tokio::spawn(async move {
            let mut placed = BTreeMap::new();
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let key = format!("load-{i}-{n}");
                let answer = order(&client, &base, &token, &key, &body).await;
                if answer.as_ref().is_some_and(Answer::acknowledged) {
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                }
                let died = answer.is_none();
                placed.insert(key, (token.clone(), body.clone(), answer));
                if died {
                    break;
                }
            }
            placed
        }));
    }
    within(Duration::from_secs(120), "200 orders acknowledged", async {
        while acknowledged.load(Ordering::SeqCst) < 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    owner.kill();
    let killed = Instant::now();
    stop.store(true, Ordering::SeqCst);
    let mut orders = BTreeMap::new();
    for trader in traders {
        orders.extend(trader.await.expect("trader"));
    }
    standby.ready(&client).await;
    eprintln!("the standby served {:?} after the kill", killed.elapsed());

    assert!(last_acknowledged(&orders) > 0);
    decided_once_and_reconciled(&client, &market, &standby.base, &orders).await;
    drop(standby);
    market.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_owner_finds_its_appends_refused_and_steps_down_when_it_wakes() {
    let market = Market::start().await;
    let client = http_client();
    let (mut owner, standby) = market.owner_and_standby(&client).await;
    // Standing by, it is alive but not ready, names the owner, and takes no orders.
    let (status, ready) =
        call(&client, "GET", &format!("{}/ready", standby.base), None, None).await;
    assert_eq!((status, ready["cluster"]["role"].as_str()), (503, Some("standby")), "{ready}");
    assert!(ready["cluster"]["owner"].is_string(), "{ready}");
    let (token, body) = buyer(&client, &owner.base, "unit1").await;
    let refused = order(&client, &standby.base, &token, "too-early", &body).await;
    assert_eq!(
        refused.map(|a| (a.status, a.body["error"]["code"].clone())),
        Some((503, json!("standing_by")))
    );
    let mut orders = BTreeMap::new();
    let first = order(&client, &owner.base, &token, "before", &body).await;
    assert!(first.as_ref().is_some_and(Answer::acknowledged), "{first:?}");
    orders.insert("before".to_string(), (token.clone(), body.clone(), first));

    owner.pause().await;
    // An order reaches the paused owner's socket and waits there.
    let paused = {
        let (client, base, token, body) =
            (client.clone(), owner.base.clone(), token.clone(), body.clone());
        tokio::spawn(async move { order(&client, &base, &token, "paused", &body).await })
    };
    standby.ready(&client).await;
    let taken = order(&client, &standby.base, &token, "after", &body).await;
    assert!(taken.as_ref().is_some_and(Answer::acknowledged), "{taken:?}");
    orders.insert("after".to_string(), (token.clone(), body.clone(), taken));

    owner.signal("-CONT");
    // Awake, the old owner finds the lease taken and its append refused: it stops, and the order
    // it held is not acknowledged.
    let exited = within(Duration::from_secs(60), "the old owner stepping down", async {
        loop {
            if let Some(status) = owner.child.try_wait().expect("wait") {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(!exited.success(), "the deposed owner exits with a failure: {exited}");
    let log = std::fs::read_to_string(&owner.log).unwrap_or_default();
    assert!(log.contains("no longer owns the market"), "{log}");
    let paused = paused.await.expect("task");
    assert!(!paused.as_ref().is_some_and(Answer::acknowledged), "{paused:?}");
    orders.insert("paused".to_string(), (token, body, paused));

    decided_once_and_reconciled(&client, &market, &standby.base, &orders).await;
    drop(standby);
    market.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trading_goes_on_without_one_nats_server_stops_without_two_and_resumes_when_they_return() {
    let mut market = Market::start().await;
    let client = http_client();
    let (owner, standby) = market.owner_and_standby(&client).await;
    let (token, body) = buyer(&client, &owner.base, "unit1").await;
    let mut orders = BTreeMap::new();

    // One server down: every order is acknowledged (a retry with the key covers an answer lost
    // while the owner moved to another server, or while the standby took over from an owner that
    // could not renew its lease during the cluster's elections).
    market.nats.kill(0);
    for n in 0..5 {
        let key = format!("one-down-{n}");
        let answer = within(Duration::from_secs(60), "an order with one server down", async {
            loop {
                for node in [&owner, &standby] {
                    if let Some(answer) = order(&client, &node.base, &token, &key, &body).await
                        && answer.acknowledged()
                    {
                        return answer;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        orders.insert(key, (token.clone(), body.clone(), Some(answer)));
    }

    // Two down: no quorum, nothing is acknowledged, wherever it is sent.
    market.nats.kill(1);
    for n in 0..4 {
        let key = format!("two-down-{n}");
        let to = [&owner, &standby][n % 2];
        let answer = order(&client, &to.base, &token, &key, &body).await;
        assert!(!answer.as_ref().is_some_and(Answer::acknowledged), "{answer:?}");
        if let Some(answer) = &answer {
            assert_eq!(answer.status, 503, "{answer:?}");
        }
        orders.insert(key, (token.clone(), body.clone(), answer));
    }

    // Back: the market resumes. A node that stopped while the cluster had no quorum (it could
    // not journal, or keep its lease) is started again as a standby, as its supervisor would; the
    // order placed now is retried with its key until a node acknowledges it.
    market.nats.start(0);
    market.nats.start(1);
    market.nats.wait_replicating().await;
    let mut nodes = vec![owner, standby];
    let mut restarts = 0;
    let (resumed, serving) = within(Duration::from_secs(180), "the market resuming", async {
        loop {
            for (i, node) in nodes.iter_mut().enumerate() {
                if node.child.try_wait().expect("wait").is_some() {
                    restarts += 1;
                    *node = market.spawn("standby", &format!("restart{i}-{restarts}"), &[]);
                }
            }
            for node in &nodes {
                if let Some(answer) = order(&client, &node.base, &token, "resumed", &body).await
                    && answer.acknowledged()
                {
                    return (answer, node.base.clone());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    orders.insert("resumed".into(), (token, body, Some(resumed)));
    decided_once_and_reconciled(&client, &market, &serving, &orders).await;
    drop(nodes);
    market.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_whose_owner_died_answers_within_its_deadline_and_is_not_ready() {
    let market = Market::start().await;
    let client = http_client();
    let namespace = namespace();
    let mut owner = market.spawn("run", "a", &[]);
    owner.ready(&client).await;
    let edge = market.spawn(
        "edge",
        "e",
        &[
            ("REDIS_URL", REDIS),
            ("APP_REDIS_NAMESPACE", &namespace),
            ("APP_COMMAND_DEADLINE_MS", "1500"),
        ],
    );
    edge.ready(&client).await;
    let (token, body) = buyer(&client, &edge.base, "unit1").await;
    let placed = order(&client, &edge.base, &token, "through-the-edge", &body).await;
    assert!(placed.as_ref().is_some_and(Answer::acknowledged), "{placed:?}");

    owner.kill();
    within(Duration::from_secs(60), "the edge noticing that no owner renews its lease", async {
        while status(&client, &format!("{}/ready", edge.base)).await != Some(503) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let asked = Instant::now();
    let refused = order(&client, &edge.base, &token, "nobody-owns", &body).await.expect("answer");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert!(asked.elapsed() < Duration::from_millis(1_500) * 4, "{:?}", asked.elapsed());
    drop(edge);
    clean(&namespace).await;
    market.finish().await;
}

/// Every order decided exactly once at `base` (the owner now), the budgets reconciled as of all
/// that is durable there, and the stream one chain up to it.
async fn decided_once_and_reconciled(
    client: &HttpClient,
    of: &Market,
    base: &str,
    orders: &BTreeMap<String, (String, Value, Option<Answer>)>,
) {
    every_order_once(client, base, orders).await;
    let last = last_acknowledged(orders).max(durable(client, base).await);
    reconciles(client, base, last).await;
    one_history(of, last).await;
}

/// What a node reports durable.
async fn durable(client: &HttpClient, base: &str) -> u64 {
    let (_, ready) = call(client, "GET", &format!("{base}/ready"), None, None).await;
    ready["journal"]["durable_seq"].as_u64().unwrap_or(0)
}

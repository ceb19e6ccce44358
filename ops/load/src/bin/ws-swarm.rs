//! `ws-swarm`: fan-out of one hot auction's live room to a swarm of watchers, against a minimal
//! tokio broadcast + tungstenite server publishing messages of the same shape, in the same run,
//! alternating.
//!
//! It starts its own marketplace node (demo province, SQLite) in a temporary folder, opens a
//! `best_price` auction for a contested product, and connects `WATCHERS` WebSocket clients as the
//! provincial supervisor (each with its own ticket) subscribed to `auction:<id>`, plus one client
//! that subscribes and never reads. Bids go in at `RATE` per second through the engine handle; each
//! bid is one step below the last, so the best price in a message names the bid it reports, and a
//! watcher's latency is the time from handing the bid to the engine (journal fsync, hub, fan-out
//! included) to receiving the view. The reference server broadcasts the same-sized view at the
//! same rate. Deliveries count messages carrying a best price (snapshots after a lag included).
//! Bounded in count and time; loopback only; a progress line per second and a summary table.
//!
//! `cargo run --release -p load --bin ws-swarm [watchers] [rate] [seconds]`
//! (more than about a thousand watchers needs `ulimit -n` raised first).

/// The node in this process runs on the marketplace's own allocator.
#[global_allocator]
static ALLOCATOR: gateway::Allocator = gateway::Allocator;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use engine::auction::{AuctionSpec, Disclosure, Eligibility, MinStep};
use engine::types::{Amount, DealId, Quantity, UnitPrice};
use engine::{Action, Command, Event};
use futures_util::{SinkExt, StreamExt};
use load::percentile;
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const ROUNDS: usize = 3;
/// The budget the purchaser must have free for the auction.
const BUDGET: &str = "50000.00";
/// The step each bid goes down by: room for millions of bids below any agreement's ceiling.
const STEP: &str = "0.01";
/// The auction's ceiling: the lowest agreement ceiling of its bidders for the product, for a
/// holder may not bid above its own agreement's (A-2). Set once, before the first bid.
static CEILING: std::sync::OnceLock<UnitPrice> = std::sync::OnceLock::new();

fn ceiling() -> UnitPrice {
    CEILING.get().copied().unwrap_or(UnitPrice::ZERO)
}
/// How long after the last message a round waits for stragglers.
const DRAIN: Duration = Duration::from_secs(1);
/// No round may take longer than this to connect its watchers.
const CONNECT_LIMIT: Duration = Duration::from_secs(120);

/// When each bid (by its number) was handed over, in ns since the epoch, 0 for not yet.
struct Sent {
    epoch: Instant,
    at: Vec<AtomicU64>,
}

impl Sent {
    fn mark(&self, k: usize) {
        let ns = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX).max(1);
        self.at[k].store(ns, Ordering::Relaxed);
    }

    /// Microseconds since bid `k` was handed over.
    fn since(&self, k: usize) -> Option<u64> {
        let at = self.at.get(k)?.load(Ordering::Relaxed);
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        (at > 0).then(|| now.saturating_sub(at) / 1_000)
    }
}

/// Which bid a best price reports: the number of steps below the ceiling.
fn bid_number(price: &str) -> Option<usize> {
    let (ceiling, step) = (ceiling(), UnitPrice::parse(STEP).ok()?);
    let price = UnitPrice::parse(price).ok()?;
    usize::try_from((ceiling.minor() - price.minor()) / step.minor()).ok()
}

fn price_of(k: usize) -> UnitPrice {
    let (ceiling, step) = (ceiling(), UnitPrice::parse(STEP).unwrap_or(UnitPrice::ZERO));
    UnitPrice::from_minor(ceiling.minor() - step.minor() * i64::try_from(k).unwrap_or(0))
}

/// What one watcher saw.
#[derive(Default)]
struct Seen {
    deliveries: u64,
    lagged: u64,
    latencies_us: Vec<u64>,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str, topic: &str) -> anyhow::Result<Socket> {
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .with_context(|| format!("connecting {url}"))?;
    let subscribe = json!({ "op": "subscribe", "topic": topic });
    socket.send(Message::Text(subscribe.to_string().into())).await?;
    // The first answer (a snapshot or the acknowledgement) says the subscription stands; an error
    // ends the run, not a round of watchers that silently see nothing.
    let answer = socket.next().await.context("closed before subscribing")??;
    if let Message::Text(text) = &answer {
        let value: Value = serde_json::from_str(text).unwrap_or_default();
        anyhow::ensure!(value["type"] != "error", "subscribing to {topic}: {value}");
    }
    Ok(socket)
}

async fn watch_room(mut socket: Socket, sent: Arc<Sent>, mut stop: watch::Receiver<bool>) -> Seen {
    let mut seen = Seen::default();
    let mut resync = false;
    loop {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            _ = stop.changed() => break,
        };
        let Some(Ok(Message::Text(text))) = frame else {
            if matches!(frame, None | Some(Err(_))) {
                break;
            }
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(&text) else { continue };
        if value["type"] == "lagged" {
            seen.lagged += 1;
            resync = true;
        }
        // Events, and the snapshot that resyncs a lagging watcher; not the opening snapshot,
        // which reports a bid of an earlier round.
        let best = match value["type"].as_str() {
            Some("event") => value["event"]["best_price"].as_str(),
            Some("snapshot") if std::mem::take(&mut resync) => {
                value["state"]["best_price"].as_str()
            }
            _ => None,
        };
        if let Some(k) = best.and_then(bid_number) {
            seen.deliveries += 1;
            if let Some(us) = sent.since(k) {
                seen.latencies_us.push(us);
            }
        }
    }
    seen
}

/// A minimal broadcast server: every connection gets every message, from a send task of its own.
async fn reference_server(listener: tokio::net::TcpListener, feed: broadcast::Sender<Arc<str>>) {
    while let Ok((stream, _)) = listener.accept().await {
        let mut receiver = feed.subscribe();
        tokio::spawn(async move {
            let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
            let Ok(socket) =
                tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
            else {
                return;
            };
            let (mut sink, mut stream) = socket.split();
            let _ = stream.next().await;
            let _ = sink.send(Message::Text(r#"{"type":"subscribed"}"#.into())).await;
            // The reading half only notices the client leaving, so its connection is freed.
            let (gone_tx, mut gone) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(async move {
                while let Some(Ok(_)) = stream.next().await {}
                let _ = gone_tx.send(());
            });
            loop {
                let received = tokio::select! {
                    received = receiver.recv() => received,
                    _ = &mut gone => return,
                };
                let text = match received {
                    Ok(text) => text,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if sink.send(Message::Text(text.as_ref().into())).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// The reference's message: the marketplace's public room view, with the bid's best price.
fn reference_view(template: &Value, k: usize) -> Arc<str> {
    let mut view = template.clone();
    view["event"]["best_price"] = json!(price_of(k).to_string());
    Arc::from(view.to_string())
}

/// Publishes message number `k`: a bid into the engine, or a view into the reference broadcast.
type Publish = Box<dyn FnMut(usize) + Send>;

/// What every round shares.
struct Load {
    topic: String,
    seconds: u64,
    rate: u64,
    sent: Arc<Sent>,
}

/// One round against one target: watchers connect, messages flow for `seconds`, everything is
/// counted.
async fn round(
    load: &Load,
    name: &str,
    urls: Vec<String>,
    next_bid: &mut usize,
    send: &mut Publish,
) -> anyhow::Result<(f64, Seen, u64)> {
    let Load { topic, seconds, rate, sent } = load;
    let (seconds, rate) = (*seconds, *rate);
    let (stop_tx, stop) = watch::channel(false);
    let mut sockets = Vec::new();
    for url in &urls {
        sockets.push(tokio::time::timeout(CONNECT_LIMIT, connect(url, topic)).await??);
    }
    // One more subscribes and never reads: it must not hold up anyone else.
    let stalled = sockets.pop().context("at least two watchers")?;
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|socket| tokio::spawn(watch_room(socket, sent.clone(), stop.clone())))
        .collect();
    let start = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
    let mut messages = 0;
    let mut last_report = Instant::now();
    while start.elapsed() < Duration::from_secs(seconds) {
        ticker.tick().await;
        sent.mark(*next_bid);
        send(*next_bid);
        *next_bid += 1;
        messages += 1;
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            eprint!(
                "\r  {name:<12} {:>4.1} s of {seconds} s, {messages} messages sent",
                start.elapsed().as_secs_f64()
            );
        }
    }
    let elapsed = start.elapsed();
    tokio::time::sleep(DRAIN).await;
    let _ = stop_tx.send(true);
    let mut total = Seen::default();
    for task in tasks {
        let seen = task.await?;
        total.deliveries += seen.deliveries;
        total.lagged += seen.lagged;
        total.latencies_us.extend(seen.latencies_us);
    }
    drop(stalled);
    eprintln!();
    #[allow(clippy::cast_precision_loss)]
    let per_second = total.deliveries as f64 / elapsed.as_secs_f64();
    Ok((per_second, total, messages))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let watchers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);
    let rate: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    anyhow::ensure!(
        watchers >= 1 && rate >= 1 && seconds >= 1,
        "watchers, rate and seconds are at least 1"
    );

    let (node, base, _dir) = load::demo_node().await?;
    let client = load::client();
    let supervisor = load::login(&client, &base, "supervisor").await?;
    let (contest, _) = node.replica.read(|e| {
        gateway::demo::contests(e, 3, Amount::parse(BUDGET).unwrap_or(Amount::ZERO)).next()
    });
    let contest = contest.context("a contested product in the demo province")?;
    let (lowest, _) = node.replica.read(|e| {
        e.agreements()
            .filter(|a| a.product == contest.product && contest.bidders.contains(&a.supplier))
            .map(|a| a.ceiling)
            .min()
    });
    let budget = UnitPrice::parse(BUDGET)?;
    let _ = CEILING.set(lowest.map_or(budget, |l| l.min(budget)));
    let now = gateway::runtime::Clock::now(node.clock.as_ref());
    let spec = AuctionSpec {
        product: contest.product,
        quantity: Quantity::parse("1")?,
        budget_line: contest.line,
        ceiling: ceiling(),
        starts: now,
        ends: now.plus_ms(4 * 3_600_000),
        min_step: MinStep::Price(UnitPrice::parse(STEP)?),
        soft_close_ms: 0,
        extension_ms: 0,
        max_extension_ms: 0,
        min_bidders: 3,
        disclosure: Disclosure::BestPrice,
        must_beat_best: false,
        eligibility: Eligibility::AgreementHolders,
    };
    let handle = node.runtime.handle();
    let opened = handle
        .submit(Command::new(
            gateway::demo::demo_user(contest.purchaser),
            Action::OpenAuction(spec),
        ))
        .await?;
    anyhow::ensure!(
        opened.events.iter().any(|e| matches!(e.event, Event::AuctionOpened { .. })),
        "the auction did not open: {:?}",
        opened.events.last()
    );
    let auction = DealId(opened.seq.0);
    // Bid 0, at the ceiling, must stand: a refused bid would leave every round silently empty.
    let first = handle
        .submit(Command::new(
            gateway::demo::demo_user(contest.bidders[0]),
            Action::SubmitBid { auction, price: price_of(0) },
        ))
        .await?;
    anyhow::ensure!(
        !first.events.iter().any(|e| matches!(e.event, Event::Rejected { .. })),
        "the first bid was refused: {:?}",
        first.events.last()
    );
    let topic = format!("auction:{}", auction.0);
    let ws_base = base.replacen("http://", "ws://", 1);
    // A public view as the marketplace sends it, for the reference to send alike.
    let (template, _) = node
        .replica
        .read(|e| e.auction(auction).map(|a| gateway::views::auction::public_view(a, e.clock())));
    let template = json!({ "type": "event", "topic": topic, "seq": 1, "n": 1, "event": template });

    let (feed, _) = broadcast::channel::<Arc<str>>(512);
    let reference = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let reference_url = format!("ws://{}/", reference.local_addr()?);
    tokio::spawn(reference_server(reference, feed.clone()));

    let total_bids = usize::try_from(rate * seconds + 10).unwrap_or(usize::MAX) * ROUNDS * 2;
    let sent = Arc::new(Sent {
        epoch: Instant::now(),
        at: (0..total_bids + 1).map(|_| AtomicU64::new(0)).collect(),
    });
    let load = Load { topic: topic.clone(), seconds, rate, sent };
    let mut next_bid = 1;
    let mut results: Vec<(Vec<f64>, Seen, u64)> =
        vec![(Vec::new(), Seen::default(), 0), (Vec::new(), Seen::default(), 0)];
    for r in 0..ROUNDS {
        for (target, result) in results.iter_mut().enumerate() {
            let (name, urls, mut send): (&str, Vec<String>, Publish) = if target == 0 {
                let mut urls = Vec::new();
                for _ in 0..=watchers {
                    let (_, ticket) = load::call(
                        &client,
                        &format!("{base}/api/v1/ws/ticket"),
                        Some(&supervisor),
                        &json!({}),
                    )
                    .await?;
                    let ticket = ticket["ticket"].as_str().context("a ticket")?.to_string();
                    urls.push(format!("{ws_base}/api/v1/ws?ticket={ticket}"));
                }
                let (handle, bidders) = (handle.clone(), contest.bidders.clone());
                let send = move |k: usize| {
                    let bidder = gateway::demo::demo_user(bidders[k % bidders.len()]);
                    let bid = Action::SubmitBid { auction, price: price_of(k) };
                    // The answer is not awaited: the watchers' views are what is measured.
                    let _ = handle.try_enqueue(Command::new(bidder, bid));
                };
                ("marketplace", urls, Box::new(send))
            } else {
                let (feed, template) = (feed.clone(), template.clone());
                let send = move |k: usize| {
                    let _ = feed.send(reference_view(&template, k));
                };
                ("reference", vec![reference_url.clone(); watchers + 1], Box::new(send))
            };
            eprintln!(
                "round {}/{ROUNDS} {name}: {watchers} watchers (+1 stalled), {rate} messages/s",
                r + 1
            );
            let (per_second, seen, messages) =
                round(&load, name, urls, &mut next_bid, &mut send).await?;
            #[allow(clippy::cast_precision_loss)]
            let share =
                seen.deliveries as f64 * 100.0 / (messages as f64 * watchers as f64).max(1.0);
            eprintln!(
                "  {name:<12} {per_second:>10.0} deliveries/s, {share:.1}% of messages x watchers, {} lag notices",
                seen.lagged
            );
            let (rates, total, sent_messages) = result;
            rates.push(per_second);
            total.deliveries += seen.deliveries;
            total.lagged += seen.lagged;
            total.latencies_us.extend(seen.latencies_us);
            *sent_messages += messages;
        }
    }
    println!(
        "\nauction room fan-out, {watchers} watchers (+1 stalled) x {rate} messages/s x {seconds} s x {ROUNDS} rounds (median round):"
    );
    println!(
        "  {:<12} {:>13} {:>10} {:>9} {:>9} {:>10} {:>8}",
        "target", "deliveries/s", "delivered", "p50 ms", "p99 ms", "p99.9 ms", "lagged"
    );
    let mut medians = Vec::new();
    for (target, name) in ["marketplace", "reference"].iter().enumerate() {
        let (rates, seen, messages) = &mut results[target];
        rates.sort_by(f64::total_cmp);
        seen.latencies_us.sort_unstable();
        let median = rates[rates.len() / 2];
        medians.push(median);
        #[allow(clippy::cast_precision_loss)]
        let share = seen.deliveries as f64 * 100.0 / (*messages as f64 * watchers as f64).max(1.0);
        let ms = |p| format!("{:.1}", percentile(&seen.latencies_us, p) as f64 / 1_000.0);
        println!(
            "  {name:<12} {median:>13.0} {share:>9.1}% {:>9} {:>9} {:>10} {:>8}",
            ms(500),
            ms(990),
            ms(999),
            seen.lagged
        );
    }
    println!(
        "  ratio marketplace / reference: {:.2}x deliveries/s",
        medians[0] / medians[1].max(1.0)
    );
    node.shutdown().await?;
    Ok(())
}

//! The read side's one lag policy: when the replica falls behind the released stream it takes one
//! fresh copy, every follower starts over from it, and every subscriber is told it lagged; the
//! rooms published afterwards are right, because they are built from the engine, not from a copy
//! of their own that missed events.

mod support;

use engine::Action;
use engine::auction::{AuctionSpec, Disclosure, Eligibility, MinStep};
use engine::types::{Amount, Quantity, Seq, UnitPrice};
use gateway::demo::{self, DemoSizes, demo_user};
use gateway::feed::{Delivery, Topic, bidder_topic};
use gateway::runtime::RuntimeConfig;
use gateway::views::auction as room;
use serde_json::Value;
use tokio::sync::broadcast;

fn command(who: engine::types::ParticipantId, action: Action) -> engine::Command {
    engine::Command::new(demo_user(who), action)
}

/// A step of the test, bounded: a step that never ends fails, naming itself, rather than hanging.
async fn step<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(60), future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen within a minute"))
}

/// The next message of a topic: its text, or `None` for a resync.
async fn next(topic: &mut broadcast::Receiver<Delivery>) -> Option<Value> {
    let message = step("the next message of a topic", topic.recv()).await;
    match message.expect("the topic is open") {
        Delivery::Text(text) => Some(serde_json::from_str(&text).expect("json")),
        Delivery::Resync => None,
    }
}

/// What a subscriber of `topic` holds once it has seen sequence `seq`: the view published for it,
/// or, when the read side started over again (a stream this small may lag a second time, while
/// batches still in flight at the first copy arrive) and its fresh copy already holds `seq`, the
/// snapshot a client is sent after a resync, as `snapshot` reads it from the replica.
async fn seen_at(
    topic: &mut broadcast::Receiver<Delivery>,
    seq: Seq,
    snapshot: impl Fn() -> (Value, Seq),
) -> Value {
    loop {
        match next(topic).await {
            Some(view) if view["seq"].as_u64() >= Some(seq.0) => return view["event"].clone(),
            Some(_) => {}
            None => {
                let (state, at) = snapshot();
                if at >= seq {
                    return state;
                }
            }
        }
    }
}

// One thread: while the test blocks it, no task of the read side runs, so the released stream
// surely overflows; no timing is involved.
#[tokio::test(flavor = "current_thread")]
async fn a_read_side_that_lagged_resyncs_and_its_rooms_are_right_afterwards() {
    // Every command its own batch, and a stream that holds two batches.
    let config = RuntimeConfig { max_batch: 1, released: 2, ..RuntimeConfig::default() };
    let market =
        support::market_with(DemoSizes { suppliers: 30, purchasers: 20, variants: 1 }, config)
            .await;
    let (contest, _) = market.replica.read(|engine| {
        demo::contests(engine, 4, Amount::parse("10000.00").expect("amount")).next()
    });
    let demo::Contest { purchaser, line, product, bidders } = contest.expect("a contested product");
    let now = gateway::runtime::Clock::now(&market.clock);
    let spec = AuctionSpec {
        product,
        quantity: Quantity::parse("1").expect("quantity"),
        budget_line: line,
        ceiling: UnitPrice::parse("3000.00").expect("price"),
        starts: now,
        ends: now.plus_ms(3_600_000),
        min_step: MinStep::Price(UnitPrice::parse("1.00").expect("step")),
        soft_close_ms: 60_000,
        extension_ms: 60_000,
        max_extension_ms: 600_000,
        min_bidders: 3,
        disclosure: Disclosure::RankOnly,
        must_beat_best: false,
        eligibility: Eligibility::Invited(bidders.clone()),
    };
    let handle = market.runtime.handle();
    let opened =
        handle.submit(command(purchaser, Action::OpenAuction(spec))).await.expect("opened");
    let auction = opened
        .events
        .iter()
        .find_map(|e| match &e.event {
            engine::Event::AuctionOpened { auction, .. } => Some(*auction),
            _ => None,
        })
        .expect("an auction");
    market.replica.caught_up(opened.seq).await;
    // The deadline timer starts the auction with a tick of its own; let that settle first, so
    // that the bids below are the only batches (no tick lands while the read side re-copies).
    let mut changes = market.replica.changes();
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while market.replica.read(|e| e.auction(auction).map(|a| a.state)).0
            != Some(engine::auction::AuctionState::Open)
        {
            let _ = changes.changed().await;
        }
    })
    .await
    .expect("the auction starts");
    let mut public = market.hub.subscribe(&Topic::Auction(auction).to_string());
    let mut first_bidder = market.hub.subscribe(&bidder_topic(auction, bidders[0]));

    // A burst of bids, each its own batch, while the read side cannot run.
    let burst = {
        let (handle, bidders) = (handle.clone(), bidders.clone());
        std::thread::spawn(move || {
            let mut last = Seq(0);
            for round in 0..5_u32 {
                for (i, bidder) in bidders.iter().take(3).enumerate() {
                    let price = 2_900 - round * 50 - u32::try_from(i).expect("small") * 10;
                    let price = UnitPrice::parse(&format!("{price}.00")).expect("price");
                    let bid = Action::SubmitBid { auction, price };
                    last = handle.submit_blocking(command(*bidder, bid)).expect("durable").seq;
                }
            }
            last
        })
    };
    let last = burst.join().expect("the burst");
    step("the replica catching up after the burst", market.replica.caught_up(last)).await;

    // Every subscriber hears that the read side started over; nothing stale comes after it.
    assert_eq!(next(&mut public).await, None, "the room is told to resync");
    assert_eq!(next(&mut first_bidder).await, None, "the bidder is told to resync");
    // Nothing built from a stale copy follows; at most another resync, when batches still in
    // flight at the copy made the stream lag once more.
    assert!(
        !matches!(public.try_recv(), Ok(Delivery::Text(_))),
        "nothing built from a stale copy follows"
    );

    // The next bid publishes the room as the engine holds it: all three bidders, and the first
    // bidder's own standing (best now) as REST shows it.
    let bid = Action::SubmitBid { auction, price: UnitPrice::parse("2000.00").expect("price") };
    let after =
        step("the bid after", handle.submit(command(bidders[0], bid))).await.expect("durable");
    step("the replica catching up after the bid", market.replica.caught_up(after.seq)).await;
    let room_now = seen_at(&mut public, after.seq, || {
        market.replica.read(|engine| {
            serde_json::json!(room::public_view(
                engine.auction(auction).expect("auction"),
                engine.clock()
            ))
        })
    })
    .await;
    assert_eq!(room_now["bidders"], 3, "{room_now}");
    let bidder_now = || {
        market.replica.read(|engine| {
            serde_json::json!(room::bidder_view(
                engine.auction(auction).expect("auction"),
                bidders[0]
            ))
        })
    };
    let standing = seen_at(&mut first_bidder, after.seq, bidder_now).await;
    assert_eq!(standing["rank"], 1, "{standing}");
    let (rest, at) = bidder_now();
    assert_eq!(at, after.seq);
    assert_eq!(standing, rest, "the feed and REST show the same standing");
    step("the shutdown", market.runtime.shutdown()).await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trade_goes_out_on_its_category_and_moves_the_category_index() {
    let market = support::market(DemoSizes { suppliers: 30, purchasers: 20, variants: 1 }).await;
    let (contest, _) = market.replica.read(|engine| {
        demo::contests(engine, 3, Amount::parse("10000.00").expect("amount")).next()
    });
    let demo::Contest { purchaser, line, product, .. } = contest.expect("a product on offer");
    let (category, _) = market
        .replica
        .read(|engine| engine.product(product).map(|p| p.category.category()).expect("product"));
    let mut trades = market.hub.subscribe(&format!("trades:{category}"));
    let mut index = market.hub.subscribe(&format!("index:{category}"));
    let order = engine::direct::OrderRequest {
        product,
        quantity: Quantity::parse("1").expect("quantity"),
        budget_line: line,
        supplier: None,
        limit_price: None,
        all_or_nothing: false,
    };
    let placed = market
        .runtime
        .handle()
        .submit(command(purchaser, Action::PlaceOrder(order)))
        .await
        .expect("durable");
    let struck = placed
        .events
        .iter()
        .find_map(|e| match &e.event {
            engine::Event::TradeStruck(t) => Some(*t),
            _ => None,
        })
        .expect("a trade");
    let trade = next(&mut trades).await.expect("the trade on its category");
    assert_eq!(
        (&trade["topic"], &trade["seq"]),
        (&Value::from(format!("trades:{category}")), &Value::from(placed.seq.0))
    );
    assert_eq!(trade["event"]["id"], struck.id.to_string());
    assert_eq!(trade["event"]["unit_price"], struck.unit_price.to_string());
    let point = next(&mut index).await.expect("the index moved");
    assert_eq!(point["event"]["category"], category.to_string());
    assert_eq!(point["n"], 1, "the topic's first message");
    market.runtime.shutdown().await.expect("shutdown");
}

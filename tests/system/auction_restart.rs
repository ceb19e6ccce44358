//! A node restarted in the middle of a live auction carries on: the bids stand, the soft close
//! still applies, the deadline timer closes it at the recovered end, and the feed publishes the
//! results (A-4, A-6; docs/DESIGN.md, Runtime: replay reaches the same state).

use std::sync::Arc;
use std::time::Duration;

use engine::auction::{AuctionSpec, AuctionState, Disclosure, Eligibility, MinStep};
use engine::types::{Amount, DealId, ParticipantId, Quantity, Timestamp, UnitPrice};
use engine::{Action, Command, Event};
use gateway::demo::{Contest, contests, demo_user};
use gateway::node::Node;
use gateway::runtime::{Clock, ManualClock};

use crate::helpers::*;

async fn submit(node: &Node, who: ParticipantId, action: Action) -> Vec<engine::EventEnvelope> {
    let outcome =
        node.runtime.handle().submit(Command::new(demo_user(who), action)).await.expect("applied");
    if let Some(Event::Rejected { reason, .. }) = outcome.events.last().map(|e| &e.event) {
        panic!("refused: {reason}");
    }
    outcome.events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_mid_auction_keeps_the_bids_and_closes_it_at_the_recovered_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::at(gateway::runtime::SystemClock.now());
    let start = clock.now();
    let (node, _) =
        Node::open_with_clock(&settings(dir.path(), None), true, Arc::new(clock.clone()))
            .await
            .expect("open");
    let (contest, _) = node.replica.read(|e| contests(e, 3, Amount::from_minor(300_000)).next());
    let Contest { purchaser, line, product, bidders } = contest.expect("a contested product");
    let spec = AuctionSpec {
        product,
        quantity: Quantity::parse("1").expect("quantity"),
        budget_line: line,
        ceiling: UnitPrice::parse("3000.00").expect("price"),
        starts: start,
        ends: start.plus_ms(600_000),
        min_step: MinStep::Price(UnitPrice::parse("5.00").expect("step")),
        soft_close_ms: 60_000,
        extension_ms: 60_000,
        max_extension_ms: 300_000,
        min_bidders: 3,
        disclosure: Disclosure::RankOnly,
        must_beat_best: false,
        eligibility: Eligibility::AgreementHolders,
    };
    let opened = submit(&node, purchaser, Action::OpenAuction(spec)).await;
    let id = DealId(opened[0].seq.0);
    let bid = |price: &str| Action::SubmitBid {
        auction: id,
        price: UnitPrice::parse(price).expect("price"),
    };
    submit(&node, bidders[0], bid("2990.00")).await;
    clock.set(start.plus_ms(580_000));
    let extended = submit(&node, bidders[1], bid("2980.00")).await;
    assert!(extended.iter().any(|e| matches!(e.event, Event::AuctionExtended { .. })));
    node.shutdown().await.expect("shutdown");

    // Restarted: the extended end and both bids are back, and a third bidder joins in time.
    let (node, _) =
        Node::open_with_clock(&settings(dir.path(), None), true, Arc::new(clock.clone()))
            .await
            .expect("reopen");
    let (recovered, _) = node.replica.read(|e| e.auction(id).cloned());
    let recovered = recovered.expect("the auction");
    assert_eq!(recovered.state, AuctionState::Open);
    assert_eq!(recovered.end, start.plus_ms(640_000));
    assert_eq!(recovered.standings.len(), 2);
    let mut room = node.hub.subscribe(&format!("auction:{}", id.0));
    clock.set(start.plus_ms(620_000));
    submit(&node, bidders[2], bid("2970.00")).await;

    // The clock passes the end once more extended; the timer closes it, the feed names the winner.
    clock.set(start.plus_ms(680_000));
    let results = within(Duration::from_secs(30), "the results on the feed", async {
        loop {
            let gateway::feed::Delivery::Text(text) = room.recv().await.expect("the room's feed")
            else {
                continue;
            };
            if text.contains("\"kind\":\"results\"") {
                return text.to_string();
            }
        }
    })
    .await;
    let results: serde_json::Value = serde_json::from_str(&results).expect("json");
    assert_eq!(results["event"]["state"], "awarded");
    assert_eq!(results["event"]["winner"]["supplier"], bidders[2].0);
    assert_eq!(results["event"]["bids"].as_array().map(Vec::len), Some(3));
    let seq = engine::types::Seq(results["seq"].as_u64().expect("seq"));
    node.replica.caught_up(seq).await;
    let (state, _) = node.replica.read(|e| e.auction(id).map(|a| a.state));
    assert_eq!(state, Some(AuctionState::Awarded));
    let ts = Timestamp(results["event"]["end_ms"].as_i64().expect("end"));
    assert_eq!(ts, start.plus_ms(680_000));
    node.shutdown().await.expect("shutdown");
    assert_eq!(clean_replay(dir.path()).auction(id).map(|a| a.state), Some(AuctionState::Awarded));
}

//! A fresh demo market that lives is given some weeks of history: its charts, index, statistics
//! and notices are not empty at first sight, every past command went through the engine at its
//! own time, and the history replays to the same state after a restart.

use std::collections::BTreeSet;
use std::time::Duration;

use engine::analytics::Interval;
use gateway::node::Node;
use gateway::publish::store::FactQuery;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_demo_market_has_weeks_of_history_behind_it_that_replays_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = gateway::node::Settings { demo_history_days: 14, ..settings(dir.path(), None) };
    let (node, loaded) = Node::open(&settings, true).await.expect("open");
    assert!(loaded.is_some(), "a fresh folder loads the demo province");
    let engine = node.runtime.handle().copy_engine().await.expect("engine");
    let today = engine::types::Timestamp::shanghai_midnight(engine::types::shanghai_date(
        gateway::runtime::Clock::now(&gateway::runtime::SystemClock),
    ));
    let past: Vec<_> = engine.trades().filter(|t| t.trade.ts < today).collect();
    let days: BTreeSet<_> = past.iter().map(|t| engine::types::shanghai_date(t.trade.ts)).collect();
    assert!(days.len() >= 8, "trades on each past working day: {days:?}");
    assert!(past.iter().any(|t| t.state == engine::settlement::TradeState::Paid), "some settled");
    let awarded = engine
        .auctions()
        .filter(|a| a.state == engine::auction::AuctionState::Awarded && a.end < today)
        .count();
    assert!(awarded >= 8, "an auction a working day: {awarded}");
    // Inquiries sealed with the market's key: one opened and awarded in the history, one still
    // collecting quotes into today, for the deadline timer to open live.
    use engine::inquiry::InquiryState;
    let states: Vec<_> = engine.inquiries().map(|q| q.state).collect();
    assert!(states.contains(&InquiryState::Awarded), "an inquiry awarded: {states:?}");
    assert!(states.contains(&InquiryState::Collecting), "an inquiry open: {states:?}");

    // The price desk rebuilt from it: daily candles over the past days and an index.
    let ((candles, index), _) = node.prices.read(|a| {
        let days: BTreeSet<_> = a
            .all_candles()
            .filter(|c| c.interval == Interval::Day && c.start < today)
            .map(|c| c.start)
            .collect();
        (days.len(), a.all_index().count())
    });
    assert!(candles >= 8, "daily candles over the history: {candles}");
    assert!(index > 0, "a category index");

    // Published: statistics over the history's months, and notices.
    within(Duration::from_secs(120), "the publisher catching up", node.published()).await;
    let months = FactQuery { from: "2000-01".into(), to: "2999-12".into(), ..FactQuery::default() };
    let sums = node.db.fact_sums(&months).await.expect("facts");
    assert!(sums.iter().map(|s| s.deals).sum::<i64>() > 100, "deals to count: {sums:?}");
    let (notices, releases) = node.db.publication_counts().await.expect("counts");
    assert!(notices > 100 && releases > 100, "{notices} notices, {releases} releases");

    // A restart replays the history to the same state.
    let before = engine.state_hash();
    node.shutdown().await.expect("shutdown");
    let (node, loaded) = Node::open(&settings, true).await.expect("reopen");
    assert!(loaded.is_none(), "a restart loads nothing again");
    let after = node.runtime.handle().copy_engine().await.expect("engine").state_hash();
    assert_eq!(before, after);
    node.shutdown().await.expect("shutdown");
}

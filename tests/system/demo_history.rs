//! A fresh demo market that lives is given some weeks of history: its charts, index, statistics
//! and notices are not empty at first sight, every past command went through the engine at its
//! own time, and a restart recovers the history rather than loading it again.

use std::collections::BTreeSet;
use std::time::Duration;

use engine::analytics::Interval;
use gateway::node::Node;
use gateway::publish::store::FactQuery;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_demo_market_has_weeks_of_history_behind_it_that_a_restart_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = gateway::node::Settings { demo_history_days: 28, ..settings(dir.path(), None) };
    // A fixed Monday in June, so the history (which stays within the year) is the same length
    // whatever day the test runs.
    let date = time::macros::date!(2026 - 06 - 15);
    let today = engine::types::Timestamp::shanghai_midnight(date);
    let clock = gateway::runtime::ManualClock::at(today.plus_ms(10 * 3_600_000));
    let open = |settings| {
        let clock = std::sync::Arc::new(clock.clone());
        async move { Node::open_with_clock(&settings, true, clock).await }
    };
    let (node, loaded) = open(settings.clone()).await.expect("open");
    assert!(loaded.is_some(), "a fresh folder loads the demo province");
    let engine = node.runtime.handle().copy_engine().await.expect("engine");
    let past: Vec<_> = engine.trades().filter(|t| t.trade.ts < today).collect();
    let days: BTreeSet<_> = past.iter().map(|t| engine::types::shanghai_date(t.trade.ts)).collect();
    assert!(days.len() >= 8, "trades on each past working day: {days:?}");
    assert!(past.iter().any(|t| t.state == engine::settlement::TradeState::Paid), "some settled");
    let awarded = engine
        .auctions()
        .filter(|a| a.state == engine::auction::AuctionState::Awarded && a.end < today)
        .count();
    assert!(awarded >= 8, "an auction a working day: {awarded}");
    // Inquiries sealed with the market's key, one a week with twelve days to quote: the first ones
    // opened and awarded within the history, the last still collecting quotes into today (those
    // due since the history's last working day are the live deadline timer's, racing this test,
    // and are not looked at).
    use engine::inquiry::InquiryState;
    let awarded_in_history = engine
        .inquiries()
        .filter(|q| q.state == InquiryState::Awarded && q.ended.is_some_and(|(_, at)| at < today))
        .count();
    assert!(awarded_in_history >= 1, "an inquiry opened and awarded in the history");
    let states: Vec<_> = engine.inquiries().map(|q| q.state).collect();
    assert!(states.contains(&InquiryState::Collecting), "an inquiry still open: {states:?}");

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

    // A restart recovers the history rather than loading it again. (The deadline timer may send a
    // tick meanwhile: the recovered engine is at least where this copy was.)
    node.shutdown().await.expect("shutdown");
    let (node, loaded) = open(settings.clone()).await.expect("reopen");
    assert!(loaded.is_none(), "a restart loads nothing again");
    let after = node.runtime.handle().copy_engine().await.expect("engine");
    assert!(after.seq() >= engine.seq());
    assert!(engine.trades().all(|t| after.trade(t.trade.id).is_some_and(|a| a.trade == t.trade)));
    node.shutdown().await.expect("shutdown");
}

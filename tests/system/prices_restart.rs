//! Price history survives a restart (P-1, P-5): a node that traded, raised an alert and wrote its
//! history is stopped and opened again; the rebuilt desk equals the one before, and the database
//! holds the same rows, nothing written twice.

use std::sync::Arc;
use std::time::Duration;

use engine::direct::OrderRequest;
use engine::types::{Actor, Amount, Quantity};
use engine::{Action, Command, Event};
use gateway::demo::demo_user;
use gateway::node::Node;
use gateway::runtime::{Clock, ManualClock, SystemClock};

use crate::helpers::*;

async fn history(node: &Node, at_least: (i64, i64, i64)) -> (i64, i64, i64) {
    within(Duration::from_secs(60), "the price history in the database", async {
        loop {
            let counts = node.db.price_row_counts().await.expect("counts");
            if counts.0 >= at_least.0 && counts.1 >= at_least.1 && counts.2 >= at_least.2 {
                return counts;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_rebuilds_the_same_candles_index_and_alerts_and_writes_nothing_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::at(SystemClock.now());
    let (node, _) =
        Node::open_with_clock(&settings(dir.path(), None), true, Arc::new(clock.clone()))
            .await
            .expect("open");
    // A unit, a product on offer for it, and a limit that two orders together pass.
    let (found, _) = node.replica.read(|e| {
        let unit = e.budget_lines().next().map(|l| (l.purchaser, l.id))?;
        let region = e.participant(unit.0).and_then(|p| p.region)?;
        let now = e.clock();
        e.products().find_map(|p| {
            let (key, _) = e.offers(p.id).find(|(k, a)| {
                a.covers(&region) && a.is_valid(now) && k.price <= a.ceiling && a.stock.is_none()
            })?;
            Some((unit, p.id, p.category.category(), key.price))
        })
    });
    let ((purchaser, line), product, category, price) = found.expect("a product on offer");
    let limit = Amount::from_minor(
        price.times(Quantity::parse("1.5").expect("qty")).expect("amount").minor(),
    );
    let set_limit = Action::SetDirectOrderLimit {
        region: "330000".parse().expect("region"),
        category,
        limit: Some(limit),
    };
    node.runtime.handle().submit(Command::new(Actor::SYSTEM, set_limit)).await.expect("limit");
    let mut last = engine::types::Seq(0);
    for _ in 0..3 {
        let order = OrderRequest {
            product,
            quantity: Quantity::parse("1").expect("qty"),
            budget_line: line,
            supplier: None,
            limit_price: None,
            all_or_nothing: false,
        };
        let outcome = node
            .runtime
            .handle()
            .submit(Command::new(demo_user(purchaser), Action::PlaceOrder(order)))
            .await
            .expect("order");
        assert!(outcome.events.iter().any(|e| matches!(e.event, Event::TradeStruck(_))));
        last = outcome.seq;
        clock.advance_ms(90_000);
    }
    node.prices.caught_up(last).await;
    let (before, _) = node.prices.read(Clone::clone);
    assert_eq!(before.alerts().len(), 1, "the split purchase, and nothing else");
    // Every row the desk holds, once the history writer has caught up with it.
    let rows = (
        i64::try_from(before.all_candles().count()).expect("count"),
        i64::try_from(before.all_index().count()).expect("count"),
        i64::try_from(before.alerts().len()).expect("count"),
    );
    assert_eq!(history(&node, rows).await, rows);
    node.shutdown().await.expect("shutdown");

    let (node, _) =
        Node::open_with_clock(&settings(dir.path(), None), true, Arc::new(clock.clone()))
            .await
            .expect("reopen");
    let (after, _) = node.prices.read(Clone::clone);
    assert_eq!(after, before, "the same candles, index, windows and alerts");
    // The rebuild is written again, by key: the same rows, none twice.
    assert_eq!(history(&node, rows).await, rows);
    node.shutdown().await.expect("shutdown");
}

//! Supplier evaluation: E-1, on the desktop scene (Lenovo offers 4,800; the Xihu school buys).

use engine::evaluation::{Marks, Score};
use engine::types::{Actor, TradeId};
use engine::{Action, Event, Reason};

use crate::market::*;

const DAY: i64 = 86_400_000;

fn marks(delivery: u8, quality: u8, service: u8) -> Marks {
    Marks { delivery, quality, service }
}

fn rate(s: &mut Scene, trade: TradeId, m: Marks) -> Vec<Event> {
    let action = Action::RateTrade { trade, marks: m, comment: "按时送达".into() };
    s.market.exec(as_user(s.school), action)
}

/// A trade of one desktop, delivered and accepted now.
fn accepted(s: &mut Scene) -> TradeId {
    let trade = first_trade(&s.buy("1"));
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    s.market.ok(as_user(s.school), Action::AcceptDelivery { trade });
    trade
}

fn refusal(events: &[Event]) -> Option<Reason> {
    match events.last() {
        Some(Event::Rejected { reason, .. }) => Some(*reason),
        _ => None,
    }
}

#[test]
fn e1_a_purchaser_rates_an_accepted_trade_once_within_thirty_days() {
    let mut s = Scene::new();
    let early = first_trade(&s.buy("1"));
    assert_eq!(refusal(&rate(&mut s, early, marks(5, 5, 5))), Some(Reason::NotYetAccepted));
    let trade = accepted(&mut s);
    assert_eq!(
        refusal(&rate(&mut s, trade, marks(0, 5, 5))).map(|r| r.code()),
        Some("invalid_input")
    );
    assert_eq!(
        refusal(&rate(&mut s, trade, marks(6, 5, 5))).map(|r| r.code()),
        Some("invalid_input")
    );
    let other = s.market.purchaser("杭州市西湖区第二小学", XIHU);
    let action = Action::RateTrade { trade, marks: marks(1, 1, 1), comment: String::new() };
    assert_eq!(s.market.refused(as_user(other), action), Reason::NotPermitted);
    s.market.now = s.market.now.plus_ms(30 * DAY - 1);
    let events = rate(&mut s, trade, marks(5, 4, 3));
    assert!(
        matches!(events.last(), Some(Event::TradeRated { marks: m, .. }) if *m == marks(5, 4, 3)),
        "{events:?}"
    );
    assert_eq!(
        refusal(&rate(&mut s, trade, marks(1, 1, 1))).map(|r| r.code()),
        Some("already_exists")
    );
    // One day too late for another.
    let late = accepted(&mut s);
    s.market.now = s.market.now.plus_ms(30 * DAY);
    let reason = refusal(&rate(&mut s, late, marks(3, 3, 3))).expect("refused");
    assert_eq!((reason.code(), reason.rule()), ("rating_window_over", "E-1"));
}

#[test]
fn e1_a_suppliers_score_is_the_mean_of_its_ratings_over_the_last_twelve_months() {
    let mut s = Scene::new();
    assert_eq!(s.market.engine.supplier_score(s.lenovo), None);
    let old = accepted(&mut s);
    rate(&mut s, old, marks(1, 1, 1));
    s.market.now = s.market.now.plus_ms(150 * DAY);
    let recent = accepted(&mut s);
    rate(&mut s, recent, marks(5, 5, 4));
    // (3 + 14) / 6 = 2.8333: 283 hundredths, half up.
    s.market.ok(Actor::SYSTEM, Action::Tick);
    assert_eq!(
        s.market.engine.supplier_score(s.lenovo),
        Some(Score { hundredths: 283, ratings: 2 })
    );
    // A year after the first rating it has left the window: 14 / 3 = 4.6667.
    s.market.now = s.market.now.plus_ms(215 * DAY);
    s.market.ok(Actor::SYSTEM, Action::Tick);
    assert_eq!(
        s.market.engine.supplier_score(s.lenovo),
        Some(Score { hundredths: 467, ratings: 1 })
    );
    assert_eq!(s.market.engine.supplier_score(s.dell), None);
}

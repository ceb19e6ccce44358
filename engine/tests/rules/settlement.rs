//! The settlement lifecycle of trades (docs/DESIGN.md, Trades).

use engine::settlement::{SettlementStep, TradeState};
use engine::{Action, Event, Reason};

use crate::market::*;

#[test]
fn a_trade_runs_struck_delivered_accepted_paid() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    let state = |m: &Market| m.engine.trade(trade).expect("trade").state;
    assert_eq!(state(&s.market), TradeState::Struck);
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    assert_eq!(state(&s.market), TradeState::Delivered);
    s.market.ok(as_user(s.school), Action::AcceptDelivery { trade });
    assert_eq!(state(&s.market), TradeState::Accepted);
    assert_eq!(s.market.engine.trade(trade).expect("trade").accepted_ts, Some(s.market.now));
    let events = s.market.ok(as_user(s.school), Action::RecordPayment { trade });
    assert!(matches!(
        events[0],
        Event::TradeSettled { step: SettlementStep::Pay, state: TradeState::Paid, .. }
    ));
}

#[test]
fn a_step_out_of_order_is_refused_naming_state_and_step() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    let reason = s.market.refused(as_user(s.school), Action::RecordPayment { trade });
    assert_eq!(
        reason,
        Reason::SettlementStep { state: TradeState::Struck, step: SettlementStep::Pay }
    );
    assert_eq!(reason.code(), "settlement_step");
}

#[test]
fn only_the_trades_own_parties_take_its_steps() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    assert_eq!(
        s.market.refused(as_user(s.dell), Action::RecordDelivery { trade }),
        Reason::NotPermitted
    );
    assert_eq!(
        s.market.refused(as_user(s.school), Action::RecordDelivery { trade }),
        Reason::NotPermitted
    );
    let other = s.market.purchaser("别的学校", XIHU);
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    assert_eq!(
        s.market.refused(as_user(other), Action::AcceptDelivery { trade }),
        Reason::NotPermitted
    );
}

#[test]
fn a_contract_can_no_longer_be_declined_after_delivery() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    let reason =
        s.market.refused(as_user(s.lenovo), Action::DeclineContract { trade, reason: "x".into() });
    assert_eq!(reason.code(), "settlement_step");
}

#[test]
fn a_paid_trade_cannot_be_cancelled() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    s.market.ok(as_user(s.school), Action::AcceptDelivery { trade });
    s.market.ok(as_user(s.school), Action::RecordPayment { trade });
    let reason = s.market.refused(
        engine::types::Actor::SYSTEM,
        Action::CancelTrade { trade, reason: "事后撤销".into() },
    );
    assert_eq!(
        reason,
        Reason::SettlementStep { state: TradeState::Paid, step: SettlementStep::Cancel }
    );
}

#[test]
fn trade_ids_derive_from_the_striking_command_and_leg() {
    let mut s = Scene::new();
    let events = s.buy("15");
    let seq = s.market.last_seq_id();
    let ids: Vec<_> =
        trades(&events).iter().map(|t| (t.id.seq.0, t.id.leg, t.seq.0, t.deal.0)).collect();
    assert_eq!(ids, vec![(seq, 0, seq, seq), (seq, 1, seq, seq)]);
    assert_eq!(trades(&events)[1].id.to_string(), format!("T{seq}-1"));
}

const DAY: i64 = 86_400_000;

/// Delivers and accepts a fresh direct-order trade; returns it and its acceptance time.
fn accepted(s: &mut Scene) -> (engine::types::TradeId, engine::types::Timestamp) {
    let trade = first_trade(&s.buy("1"));
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    s.market.ok(as_user(s.school), Action::AcceptDelivery { trade });
    (trade, s.market.now)
}

fn tick(s: &mut Scene, at: engine::types::Timestamp) -> Vec<Event> {
    s.market.now = at;
    s.market.ok(engine::types::Actor::SYSTEM, Action::Tick)
}

fn overdue(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::PaymentOverdue { .. })).count()
}

#[test]
fn p6_a_payment_one_day_late_raises_exactly_one_alert_and_shows_overdue_until_paid() {
    let mut s = Scene::new();
    let (trade, at) = accepted(&mut s);
    let due = at.plus_ms(30 * DAY);
    assert_eq!(s.market.engine.trade(trade).expect("trade").payment_due, Some(due));
    assert_eq!(overdue(&tick(&mut s, due.plus_ms(-1))), 0);
    assert!(!s.market.engine.trade(trade).expect("trade").overdue(s.market.now));
    let events = tick(&mut s, due.plus_ms(DAY));
    assert_eq!(overdue(&events), 1);
    assert!(events.iter().any(|e| matches!(e,
        Event::PaymentOverdue { trade: t, due: d, amount: a, .. }
            if *t == trade && *d == due && *a == amount("4800"))));
    assert!(s.market.engine.trade(trade).expect("trade").overdue(s.market.now));
    assert_eq!(overdue(&tick(&mut s, due.plus_ms(2 * DAY))), 0, "one alert, not one a day");
    s.market.ok(as_user(s.school), Action::RecordPayment { trade });
    let record = s.market.engine.trade(trade).expect("trade");
    assert!(!record.overdue(s.market.now));
    assert!(record.late.is_some(), "the late payment stays on the record");
}

#[test]
fn p6_an_agreement_may_set_a_payment_term_up_to_sixty_days() {
    let mut s = Scene::new();
    let set = |days| Action::SetPaymentTerm { agreement: s.lenovo_fa, days };
    assert_eq!(s.market.refused(engine::types::Actor::SYSTEM, set(61)).code(), "invalid_input");
    assert_eq!(s.market.refused(engine::types::Actor::SYSTEM, set(0)).code(), "invalid_input");
    let reason = s.market.refused(as_user(s.lenovo), set(60));
    assert_eq!(reason, Reason::NotPermitted);
    s.market.operator(set(60));
    let (trade, at) = accepted(&mut s);
    assert_eq!(
        s.market.engine.trade(trade).expect("trade").payment_due,
        Some(at.plus_ms(60 * DAY))
    );
    assert_eq!(overdue(&tick(&mut s, at.plus_ms(45 * DAY))), 0);
    // Paid in time: the due date passes without an alert.
    s.market.ok(as_user(s.school), Action::RecordPayment { trade });
    assert_eq!(overdue(&tick(&mut s, at.plus_ms(61 * DAY))), 0);
}

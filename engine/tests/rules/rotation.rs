//! Rotation (N-5): orders in the published order, skipping the ineligible; a decline keeps the
//! place once per cycle; the turn survives a snapshot and replay.

use engine::types::{DealId, ParticipantId};
use engine::{Action, Engine, Event};

use crate::market::*;

/// The desktop scene plus HP province-wide; a rotation Lenovo, Dell, HP.
fn rotation() -> (Scene, DealId, [ParticipantId; 3]) {
    let mut s = Scene::new();
    let hp = s.market.supplier("惠普贸易（上海）有限公司");
    s.market.offering(hp, s.desktop, &[PROVINCE], "5000", "4950", None);
    let order = vec![s.lenovo, s.dell, hp];
    s.market.operator(Action::DefineRotation { product: s.desktop, order });
    let id = DealId(s.market.last_seq_id());
    let suppliers = [s.lenovo, s.dell, hp];
    (s, id, suppliers)
}

fn order(s: &mut Scene, rotation: DealId) -> (ParticipantId, engine::types::TradeId) {
    let action = Action::OrderByRotation { rotation, quantity: qty("1"), budget_line: s.line };
    let events = s.market.ok(as_user(s.school), action);
    let trade = trades(&events)[0];
    (trade.supplier, trade.id)
}

#[test]
fn n5_three_orders_go_to_three_suppliers_in_turn_at_their_own_offers() {
    let (mut s, id, [lenovo, dell, hp]) = rotation();
    let served: Vec<_> = (0..4).map(|_| order(&mut s, id).0).collect();
    assert_eq!(served, vec![lenovo, dell, hp, lenovo]);
    let prices: Vec<_> = s.market.engine.trades().map(|t| t.trade.unit_price).collect();
    assert_eq!(prices, vec![price("4800"), price("4900"), price("4950"), price("4800")]);
    let r = s.market.engine.rotation(id).expect("rotation");
    assert_eq!((r.cycle, r.up_next()), (1, Some(dell)));
}

#[test]
fn n5_a_suspended_supplier_is_skipped() {
    let (mut s, id, [lenovo, dell, hp]) = rotation();
    s.market.operator(Action::SuspendSupplier { supplier: dell, reason: "行政处罚".into() });
    let served: Vec<_> = (0..3).map(|_| order(&mut s, id).0).collect();
    assert_eq!(served, vec![lenovo, hp, lenovo]);
}

#[test]
fn n5_a_supplier_that_declines_keeps_its_place_only_once_per_cycle() {
    let (mut s, id, [lenovo, dell, _]) = rotation();
    let (first, trade) = order(&mut s, id);
    assert_eq!(first, lenovo);
    let decline = |trade| Action::DeclineContract { trade, reason: "产能不足".into() };
    let events = s.market.ok(as_user(lenovo), decline(trade));
    assert!(events.iter().any(|e| matches!(e, Event::RotationPlaceKept { .. })));
    let (again, trade) = order(&mut s, id);
    assert_eq!(again, lenovo, "it kept its place");
    let events = s.market.ok(as_user(lenovo), decline(trade));
    assert!(!events.iter().any(|e| matches!(e, Event::RotationPlaceKept { .. })));
    assert_eq!(order(&mut s, id).0, dell, "a second decline in the cycle loses it");
}

#[test]
fn n5_the_turn_survives_a_snapshot_and_replay() {
    let (mut s, id, [_, dell, hp]) = rotation();
    order(&mut s, id);
    let restored = Engine::restore(&s.market.engine.snapshot()).expect("restore");
    assert_eq!(restored.rotation(id).and_then(|r| r.up_next()), Some(dell));
    let mut replayed = Engine::new();
    let mut out = Vec::new();
    for (command, at) in &s.market.commands {
        replayed.apply(command.clone(), *at, &mut out);
    }
    assert_eq!(replayed.state_hash(), s.market.engine.state_hash());
    order(&mut s, id);
    assert_eq!(s.market.engine.rotation(id).and_then(|r| r.up_next()), Some(hp));
}

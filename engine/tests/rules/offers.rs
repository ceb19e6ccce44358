//! Offers: D-6 and the agreement rules around them.

use engine::{Action, Event, Reason};

use crate::market::*;

#[test]
fn d6_a_supplier_changes_its_offer_within_the_ceiling_and_each_change_is_a_price_event() {
    let mut s = Scene::new();
    let events = s
        .market
        .ok(as_user(s.lenovo), Action::SetOffer { agreement: s.lenovo_fa, price: price("4750") });
    match events.as_slice() {
        [Event::OfferChanged { agreement, supplier, product, price: p, since }] => {
            assert_eq!((*agreement, *supplier, *product), (s.lenovo_fa, s.lenovo, s.desktop));
            assert_eq!(*p, price("4750"));
            assert_eq!(since.0, s.market.last_seq_id());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn d6_an_offer_above_the_ceiling_is_refused() {
    let mut s = Scene::new();
    let reason = s.market.refused(
        as_user(s.lenovo),
        Action::SetOffer { agreement: s.lenovo_fa, price: price("5000.01") },
    );
    assert_eq!(reason, Reason::OfferAboveCeiling { ceiling: price("5000") });
    assert_eq!(reason.rule(), "D-6");
    // At the ceiling exactly is allowed.
    s.market.offer(s.lenovo, s.lenovo_fa, "5000");
}

#[test]
fn d6_a_supplier_cannot_set_another_suppliers_offer() {
    let mut s = Scene::new();
    let reason = s
        .market
        .refused(as_user(s.dell), Action::SetOffer { agreement: s.lenovo_fa, price: price("1") });
    assert_eq!(reason, Reason::NotPermitted);
}

#[test]
fn d6_a_suspended_supplier_cannot_change_its_offer() {
    let mut s = Scene::new();
    s.market.operator(Action::SuspendSupplier { supplier: s.lenovo, reason: "调查中".into() });
    let reason = s.market.refused(
        as_user(s.lenovo),
        Action::SetOffer { agreement: s.lenovo_fa, price: price("4000") },
    );
    assert_eq!(reason, Reason::SupplierSuspended);
}

#[test]
fn d6_a_revoked_agreement_takes_no_offer() {
    let mut s = Scene::new();
    s.market.operator(Action::RevokeAgreement { agreement: s.lenovo_fa, reason: "违约".into() });
    let reason = s.market.refused(
        as_user(s.lenovo),
        Action::SetOffer { agreement: s.lenovo_fa, price: price("4000") },
    );
    assert_eq!(reason, Reason::AgreementNotValid);
}

#[test]
fn stock_is_set_at_the_products_scale() {
    let mut s = Scene::new();
    let reason = s.market.refused(
        as_user(s.lenovo),
        Action::SetStock { agreement: s.lenovo_fa, stock: Some(qty("1.5")) },
    );
    assert_eq!(reason, Reason::QuantityScale { scale: 0 });
}

#[test]
fn unlimited_stock_never_runs_short() {
    let mut s = Scene::new();
    s.market.ok(as_user(s.lenovo), Action::SetStock { agreement: s.lenovo_fa, stock: None });
    let events = s.buy("20");
    assert_eq!(trades(&events).len(), 1);
    assert_eq!(s.market.stock(s.lenovo_fa), None);
}

//! Direct orders: D-1 to D-5.

use engine::budget::LedgerKind;
use engine::settlement::TradeMode;
use engine::{Action, Event, Reason};
use rstest::rstest;

use crate::market::*;

#[test]
fn d1_best_offer_order_fills_at_the_lowest_eligible_offer() {
    let mut s = Scene::new();
    let events = s.buy("3");
    let fills = trades(&events);
    assert_eq!(fills.len(), 1);
    let t = fills[0];
    assert_eq!((t.supplier, t.unit_price, t.quantity), (s.lenovo, price("4800"), qty("3")));
    assert_eq!(t.amount, amount("14400"));
    assert_eq!(t.mode, TradeMode::DirectOrder);
    assert_eq!(t.purchaser, s.school);
    assert_eq!(t.budget_line, s.line);
    assert_eq!(t.region, region(XIHU));
    assert_eq!(t.agreement, Some(s.lenovo_fa));
    assert_eq!(s.market.available(s.line), amount("85600"));
    assert_eq!(s.market.stock(s.lenovo_fa), Some(qty("7")));
}

#[test]
fn d1_named_supplier_order_fills_only_at_that_supplier() {
    let mut s = Scene::new();
    let request =
        engine::direct::OrderRequest { supplier: Some(s.dell), ..order(s.desktop, "2", s.line) };
    let events = s.market.ok(as_user(s.school), Action::PlaceOrder(request));
    let fills = trades(&events);
    assert_eq!(fills.len(), 1);
    assert_eq!((fills[0].supplier, fills[0].unit_price), (s.dell, price("4900")));
}

#[test]
fn d1_named_supplier_without_an_agreement_is_refused_as_no_agreement() {
    let mut s = Scene::new();
    let other = s.market.supplier("华为技术有限公司");
    let request =
        engine::direct::OrderRequest { supplier: Some(other), ..order(s.desktop, "1", s.line) };
    assert_eq!(s.refuse(request), Reason::NoAgreement);
}

#[test]
fn d1_limit_price_stops_the_fill_at_the_limit() {
    let mut s = Scene::new();
    // 10 at Lenovo's 4,800; Dell's 4,900 is above the 4,850 limit, so the rest is cancelled.
    let request = engine::direct::OrderRequest {
        limit_price: Some(price("4850")),
        ..order(s.desktop, "15", s.line)
    };
    let events = s.market.ok(as_user(s.school), Action::PlaceOrder(request));
    assert_eq!(trades(&events).len(), 1);
    let filled = events.iter().find_map(|e| match e {
        Event::OrderFilled { filled, .. } => Some(*filled),
        _ => None,
    });
    assert_eq!(filled, Some(qty("10")));
}

#[test]
fn d1_an_order_whose_limit_is_below_every_offer_is_refused_naming_the_best_price() {
    let mut s = Scene::new();
    let request = engine::direct::OrderRequest {
        limit_price: Some(price("4700")),
        ..order(s.desktop, "1", s.line)
    };
    assert_eq!(s.refuse(request), Reason::LimitPrice { best: price("4800") });
}

#[test]
fn d2_ties_go_to_the_offer_that_has_stood_longest() {
    let mut s = Scene::new();
    let hp = s.market.supplier("惠普贸易（上海）有限公司");
    // Dell moves to 4,800 after Lenovo; then HP joins at 4,800: Lenovo, Dell, HP in that order.
    s.market.offer(s.dell, s.dell_fa, "4800");
    s.market.offering(hp, s.desktop, &[PROVINCE], "5000", "4800", None);
    let events = s.buy("15");
    let order: Vec<_> = trades(&events).iter().map(|t| (t.supplier, t.quantity)).collect();
    assert_eq!(order, vec![(s.lenovo, qty("10")), (s.dell, qty("5"))]);
}

#[test]
fn d2_a_price_change_resets_time_priority_but_a_stock_change_does_not() {
    let mut s = Scene::new();
    s.market.offer(s.dell, s.dell_fa, "4800"); // Dell now behind Lenovo at 4,800.
    // Lenovo's stock change keeps its place.
    s.market
        .ok(as_user(s.lenovo), Action::SetStock { agreement: s.lenovo_fa, stock: Some(qty("50")) });
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.lenovo);
    // Lenovo re-prices to the same 4,800: no change of priority either.
    s.market.offer(s.lenovo, s.lenovo_fa, "4800");
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.lenovo);
    // Lenovo moves away and back: it now stands behind Dell.
    s.market.offer(s.lenovo, s.lenovo_fa, "4850");
    s.market.offer(s.lenovo, s.lenovo_fa, "4800");
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.dell);
}

#[test]
fn d2_offers_of_agreements_that_do_not_cover_the_purchasers_region_are_not_eligible() {
    let mut s = Scene::new();
    let haier = s.market.supplier("海尔集团");
    // Cheaper, but only in Ningbo.
    s.market.offering(haier, s.desktop, &[NINGBO], "5000", "4000", None);
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.lenovo);
    let ningbo_school = s.market.purchaser("宁波市海曙区中学", HAISHU);
    let line = s.market.budget(ningbo_school, "10000");
    let events =
        s.market.ok(as_user(ningbo_school), Action::PlaceOrder(order(s.desktop, "1", line)));
    assert_eq!(trades(&events)[0].supplier, haier);
}

#[test]
fn d2_an_agreement_covering_a_city_covers_its_districts() {
    let mut m = Market::new();
    let school = m.purchaser("滨江区实验小学", BINJIANG);
    let line = m.budget(school, "10000");
    let desktop = m.product("D1", DESKTOPS, 0);
    let s = m.supplier("杭州供应商");
    m.offering(s, desktop, &[HANGZHOU], "5000", "4500", None);
    let events = m.ok(as_user(school), Action::PlaceOrder(order(desktop, "1", line)));
    assert_eq!(trades(&events).len(), 1);
}

#[test]
fn d2_offers_of_suspended_suppliers_are_skipped_and_reinstatement_restores_them() {
    let mut s = Scene::new();
    s.market.operator(Action::SuspendSupplier { supplier: s.lenovo, reason: "失信".into() });
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.dell);
    s.market
        .operator(Action::ReinstateSupplier { supplier: s.lenovo, reason: "整改完成".into() });
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.lenovo);
}

#[test]
fn d2_an_offer_left_above_a_lowered_ceiling_is_not_eligible() {
    let mut s = Scene::new();
    s.market.operator(Action::ChangeCeiling { agreement: s.lenovo_fa, ceiling: price("4700") });
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.dell);
}

#[test]
fn d2_agreements_outside_their_validity_are_not_eligible() {
    let mut s = Scene::new();
    // 2027-01-01 in Shanghai: both agreements (valid through 2026) have lapsed; the 2027 line exists.
    s.market.now = engine::types::Timestamp::shanghai_midnight(time::macros::date!(2027 - 01 - 01));
    let line = s.market.budget_for_year(s.school, "10000", 2027);
    assert_eq!(s.refuse(order(s.desktop, "1", line)), Reason::AgreementNotValid);
}

#[test]
fn d2_revoked_agreements_leave_the_book() {
    let mut s = Scene::new();
    s.market.operator(Action::RevokeAgreement { agreement: s.lenovo_fa, reason: "违约".into() });
    assert_eq!(s.market.engine.offers(s.desktop).count(), 1);
    assert_eq!(trades(&s.buy("1"))[0].supplier, s.dell);
}

#[test]
fn d3_a_fill_walks_offers_across_suppliers_until_the_quantity_is_filled() {
    let mut s = Scene::new();
    let events = s.buy("15");
    let legs: Vec<_> = trades(&events).iter().map(|t| (t.supplier, t.quantity, t.amount)).collect();
    assert_eq!(
        legs,
        vec![(s.lenovo, qty("10"), amount("48000")), (s.dell, qty("5"), amount("24500"))]
    );
    assert_eq!(s.market.stock(s.lenovo_fa), Some(qty("0")));
    assert_eq!(s.market.stock(s.dell_fa), Some(qty("15")));
    assert_eq!(s.market.available(s.line), amount("27500"));
}

#[test]
fn d3_without_all_or_nothing_an_order_fills_what_stock_allows_and_cancels_the_rest() {
    let mut s = Scene::new();
    let line = s.market.budget(s.school, "200000");
    let events = s.market.ok(as_user(s.school), Action::PlaceOrder(order(s.desktop, "40", line)));
    let filled = events.iter().find_map(|e| match e {
        Event::OrderFilled { filled, amount, request, .. } => {
            Some((request.quantity, *filled, *amount))
        }
        _ => None,
    });
    // 10 x 4,800 + 20 x 4,900; the 10 no one has are cancelled.
    assert_eq!(filled, Some((qty("40"), qty("30"), amount("146000"))));
    assert_eq!(s.market.available(line), amount("54000"));
}

#[test]
fn d3_all_or_nothing_fills_wholly_or_not_at_all() {
    let mut s = Scene::new();
    let whole =
        engine::direct::OrderRequest { all_or_nothing: true, ..order(s.desktop, "31", s.line) };
    assert_eq!(s.refuse(whole), Reason::StockShort { available: qty("30") });
    assert_eq!(s.market.stock(s.lenovo_fa), Some(qty("10")));
    assert_eq!(s.market.available(s.line), amount("100000"));
    let fits =
        engine::direct::OrderRequest { all_or_nothing: true, ..order(s.desktop, "12", s.line) };
    let events = s.market.ok(as_user(s.school), Action::PlaceOrder(fits));
    assert_eq!(trades(&events).len(), 2);
}

#[test]
fn d3_budget_is_checked_on_the_whole_planned_fill() {
    let mut s = Scene::new();
    // 20 desktops: 10 x 4,800 + 10 x 4,900 = 97,000 fits; then 1 more at 4,900 does not fit 3,000.
    s.buy("20");
    assert_eq!(s.market.available(s.line), amount("3000"));
    assert_eq!(
        s.refuse(order(s.desktop, "1", s.line)),
        Reason::BudgetShort { needed: amount("4900"), available: amount("3000") }
    );
}

#[test]
fn d3_an_order_with_no_stock_anywhere_is_refused_as_stock_short() {
    let mut s = Scene::new();
    let big = s.market.budget(s.school, "200000");
    s.market.ok(as_user(s.school), Action::PlaceOrder(order(s.desktop, "30", big)));
    assert_eq!(s.refuse(order(s.desktop, "1", s.line)), Reason::StockShort { available: qty("0") });
}

#[test]
fn d4_an_order_above_the_direct_order_limit_of_its_category_is_refused() {
    let mut s = Scene::new();
    s.market.limit(PROVINCE, "A", "50000");
    assert_eq!(
        s.refuse(order(s.desktop, "11", s.line)),
        Reason::AboveLimit { amount: amount("52900"), limit: amount("50000") }
    );
    assert_eq!(trades(&s.buy("10")).len(), 1);
}

#[test]
fn d4_the_nearest_region_and_category_with_a_limit_decide() {
    let mut s = Scene::new();
    s.market.limit(PROVINCE, "A", "1000000");
    s.market.limit(HANGZHOU, "A02010100", "10000");
    let engine = &s.market.engine;
    assert_eq!(engine.direct_order_limit(region(XIHU), category(DESKTOPS)), Some(amount("10000")));
    assert_eq!(
        engine.direct_order_limit(region(HAISHU), category(DESKTOPS)),
        Some(amount("1000000"))
    );
    assert_eq!(
        engine.direct_order_limit(region(XIHU), category("A05000000")),
        Some(amount("1000000"))
    );
    assert_eq!(
        s.refuse(order(s.desktop, "3", s.line)),
        Reason::AboveLimit { amount: amount("14400"), limit: amount("10000") }
    );
}

#[test]
fn d5_an_order_at_a_finer_quantity_than_the_product_allows_is_refused() {
    let mut s = Scene::new();
    assert_eq!(s.refuse(order(s.desktop, "1.5", s.line)), Reason::QuantityScale { scale: 0 });
}

#[test]
fn d5_quantities_at_the_products_scale_are_priced_half_up_to_the_fen() {
    let mut m = Market::new();
    let unit = m.purchaser("西湖区机关事务局", XIHU);
    let line = m.budget(unit, "1000");
    let paper = m.product("A4-70G", "A05000000", 1);
    let s = m.supplier("得力集团有限公司");
    m.offering(s, paper, &[PROVINCE], "30", "23.3333", None);
    // 2.5 x 23.3333 = 58.33325 -> 58.33
    let events = m.ok(as_user(unit), Action::PlaceOrder(order(paper, "2.5", line)));
    assert_eq!(trades(&events)[0].amount, amount("58.33"));
}

/// Every rejection of a direct order names its rule and code (D-5).
#[rstest]
#[case::no_agreement("no-agreement", "D-2", "no_agreement")]
#[case::region_not_covered("region", "D-2", "region_not_covered")]
#[case::agreement_not_valid("expired", "D-2", "agreement_not_valid")]
#[case::supplier_suspended("suspended", "D-2", "supplier_suspended")]
#[case::above_ceiling("ceiling", "D-2", "above_ceiling")]
#[case::stock_short("stock", "D-3", "stock_short")]
#[case::limit_price("limit-price", "D-1", "limit_price")]
#[case::above_limit("limit", "D-4", "above_limit")]
#[case::budget_short("budget", "B-1", "budget_short")]
#[case::quantity_scale("scale", "D-5", "quantity_scale")]
#[case::fiscal_year("year", "B-1", "fiscal_year")]
#[case::not_permitted("foreign-line", "auth", "not_permitted")]
fn d5_every_rejection_names_its_rule(#[case] setup: &str, #[case] rule: &str, #[case] code: &str) {
    let mut m = Market::new();
    let school = m.purchaser("西湖区学校", XIHU);
    let line = m.budget(school, "10000");
    let desktop = m.product("D1", DESKTOPS, 0);
    let supplier = m.supplier("供应商甲");
    let mut request = order(desktop, "1", line);
    match setup {
        "no-agreement" => {}
        "region" => {
            m.offering(supplier, desktop, &[NINGBO], "5000", "4000", None);
        }
        "expired" => {
            let fa = m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            m.operator(Action::RevokeAgreement { agreement: fa, reason: "test".into() });
            // A revoked offer leaves the book; an expired one stays but is not valid.
            m.operator(engine::Action::GrantAgreement(engine::catalog::Grant {
                supplier,
                product: desktop,
                regions: vec![region(PROVINCE)],
                ceiling: price("5000"),
                valid_from: time::macros::date!(2026 - 01 - 01),
                valid_to: time::macros::date!(2026 - 12 - 31),
                stock: None,
            }));
            let fa = engine::types::AgreementId(m.last_seq_id());
            m.offer(supplier, fa, "4000");
            m.now =
                engine::types::Timestamp::shanghai_midnight(time::macros::date!(2027 - 01 - 01));
            request.budget_line = m.budget_for_year(school, "10000", 2027);
        }
        "suspended" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            m.operator(Action::SuspendSupplier { supplier, reason: "test".into() });
        }
        "ceiling" => {
            let fa = m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            m.operator(Action::ChangeCeiling { agreement: fa, ceiling: price("3000") });
        }
        "stock" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", Some("0"));
        }
        "limit-price" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            request.limit_price = Some(price("3999"));
        }
        "limit" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            m.limit(PROVINCE, "A", "3000");
        }
        "budget" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            request.quantity = qty("3");
        }
        "scale" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            request.quantity = qty("0.5");
        }
        "year" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            request.budget_line = m.budget_for_year(school, "10000", 2025);
        }
        "foreign-line" => {
            m.offering(supplier, desktop, &[PROVINCE], "5000", "4000", None);
            let other = m.purchaser("另一所学校", XIHU);
            request.budget_line = m.budget(other, "10000");
        }
        other => panic!("unknown setup {other}"),
    }
    let reason = m.refused(as_user(school), Action::PlaceOrder(request));
    assert_eq!((reason.rule(), reason.code()), (rule, code), "{reason}");
    assert!(!reason.to_string().is_empty());
}

#[test]
fn d5_a_refused_order_changes_no_balance_and_no_stock() {
    let mut s = Scene::new();
    s.market.limit(PROVINCE, "A", "10000");
    let before = (s.market.available(s.line), s.market.stock(s.lenovo_fa));
    s.refuse(order(s.desktop, "5", s.line));
    assert_eq!((s.market.available(s.line), s.market.stock(s.lenovo_fa)), before);
}

#[test]
fn b2_an_order_holds_its_amount_then_commits_it_in_the_ledger() {
    let mut s = Scene::new();
    let events = s.buy("2");
    let kinds: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::BudgetMoved(entry) => Some((entry.kind, entry.amount)),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![(LedgerKind::Held, amount("9600")), (LedgerKind::Committed, amount("9600"))]
    );
    let line = s.market.engine.budget_line(s.line).expect("line");
    assert_eq!((line.balance.held, line.balance.committed), (amount("0"), amount("9600")));
}

#[test]
fn only_purchasers_place_orders() {
    let mut s = Scene::new();
    let request = order(s.desktop, "1", s.line);
    assert_eq!(
        s.market.refused(as_user(s.lenovo), Action::PlaceOrder(request)),
        Reason::NotPermitted
    );
}

//! Budgets: B-1 to B-4.

use engine::budget::{LedgerKind, rebuild_balances};
use engine::{Action, Event, Reason};

use crate::market::*;

#[test]
fn b1_available_is_allocated_less_held_committed_and_paid() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("2"));
    let (lenovo, school) = (as_user(s.lenovo), as_user(s.school));
    s.market.ok(lenovo, Action::RecordDelivery { trade });
    s.market.ok(school, Action::AcceptDelivery { trade });
    s.market.ok(school, Action::RecordPayment { trade });
    s.buy("1");
    let b = s.market.engine.budget_line(s.line).expect("line").balance;
    assert_eq!(
        (b.allocated, b.held, b.committed, b.paid),
        (amount("100000"), amount("0"), amount("4800"), amount("9600"))
    );
    assert_eq!(b.available(), amount("85600"));
}

#[test]
fn b1_an_adjustment_may_not_go_below_what_is_held_committed_and_paid() {
    let mut s = Scene::new();
    s.buy("10"); // 48,000 committed
    let reason = s.market.refused(
        engine::types::Actor::SYSTEM,
        Action::AdjustBudget {
            line: s.line, allocated: amount("47999.99"), reason: "压减".into()
        },
    );
    assert_eq!(reason, Reason::BelowUsed { used: amount("48000") });
    assert_eq!(reason.rule(), "B-1");
    let events = s.market.operator(Action::AdjustBudget {
        line: s.line,
        allocated: amount("48000"),
        reason: "压减".into(),
    });
    assert!(events.iter().any(|e| matches!(e,
        Event::BudgetMoved(entry) if entry.kind == LedgerKind::Adjusted && entry.amount == engine::types::Amount::from_minor(-5_200_000))));
    assert_eq!(s.market.available(s.line), amount("0"));
}

#[test]
fn b1_an_upward_adjustment_makes_room_for_the_next_order() {
    let mut s = Scene::new();
    s.buy("20");
    assert!(matches!(s.refuse(order(s.desktop, "1", s.line)), Reason::BudgetShort { .. }));
    s.market.operator(Action::AdjustBudget {
        line: s.line,
        allocated: amount("110000"),
        reason: "追加".into(),
    });
    assert_eq!(trades(&s.buy("1")).len(), 1);
}

#[test]
fn b1_a_budget_line_of_another_fiscal_year_has_nothing_available() {
    let mut s = Scene::new();
    let old = s.market.budget_for_year(s.school, "5000", 2025);
    let refused = s.refuse(order(s.desktop, "1", old));
    assert_eq!(refused, Reason::FiscalYear { line_year: 2025, current_year: 2026 });
    assert_eq!(refused.rule(), "B-1");
}

#[test]
fn b2_budget_lines_are_unique_per_purchaser_year_project_and_code() {
    let mut m = Market::new();
    let school = m.purchaser("学校", XIHU);
    let allocation = engine::budget::Allocation {
        purchaser: school,
        fiscal_year: 2026,
        project: "办公设备".into(),
        line_code: "001".into(),
        amount: amount("100"),
    };
    m.operator(Action::AllocateBudget(allocation.clone()));
    let reason = m.refused(engine::types::Actor::SYSTEM, Action::AllocateBudget(allocation));
    assert_eq!(reason.code(), "already_exists");
}

#[test]
fn b3_payment_turns_committed_into_paid() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    s.market.ok(as_user(s.school), Action::AcceptDelivery { trade });
    let events = s.market.ok(as_user(s.school), Action::RecordPayment { trade });
    assert!(events.iter().any(|e| matches!(e,
        Event::BudgetMoved(entry) if entry.kind == LedgerKind::Paid && entry.amount == amount("4800"))));
    let b = s.market.engine.budget_line(s.line).expect("line").balance;
    assert_eq!((b.committed, b.paid), (amount("0"), amount("4800")));
}

#[test]
fn b3_a_declined_contract_releases_the_unpaid_amount_and_restores_stock() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("4"));
    assert_eq!(s.market.stock(s.lenovo_fa), Some(qty("6")));
    let events =
        s.market.ok(as_user(s.lenovo), Action::DeclineContract { trade, reason: "缺货".into() });
    assert!(events.iter().any(|e| matches!(e,
        Event::BudgetMoved(entry) if entry.kind == LedgerKind::Unwound && entry.amount == amount("19200"))));
    assert_eq!(s.market.available(s.line), amount("100000"));
    assert_eq!(s.market.stock(s.lenovo_fa), Some(qty("10")));
}

#[test]
fn b3_an_operator_cancellation_needs_a_reason_and_releases_the_unpaid_amount() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade });
    let reason = s
        .market
        .refused(engine::types::Actor::SYSTEM, Action::CancelTrade { trade, reason: "  ".into() });
    assert_eq!(reason.code(), "invalid_input");
    s.market.operator(Action::CancelTrade { trade, reason: "质量不合格".into() });
    assert_eq!(s.market.available(s.line), amount("100000"));
}

#[test]
fn b3_neither_party_may_cancel_a_trade_only_an_operator() {
    let mut s = Scene::new();
    let trade = first_trade(&s.buy("1"));
    for party in [s.school, s.lenovo] {
        let reason = s
            .market
            .refused(as_user(party), Action::CancelTrade { trade, reason: "不想要了".into() });
        assert_eq!(reason, Reason::NotPermitted);
    }
}

#[test]
fn b4_every_movement_is_a_ledger_entry_and_the_ledger_alone_rebuilds_every_balance() {
    let mut s = Scene::new();
    let t1 = first_trade(&s.buy("3"));
    let t2 = first_trade(&s.buy("12"));
    s.market.ok(as_user(s.lenovo), Action::RecordDelivery { trade: t1 });
    s.market.ok(as_user(s.school), Action::AcceptDelivery { trade: t1 });
    s.market.ok(as_user(s.school), Action::RecordPayment { trade: t1 });
    s.market.ok(as_user(s.lenovo), Action::DeclineContract { trade: t2, reason: "缺货".into() });
    let entries: Vec<_> = s
        .market
        .log
        .iter()
        .filter_map(|e| match &e.event {
            Event::BudgetMoved(entry) => Some(*entry),
            _ => None,
        })
        .collect();
    let rebuilt = rebuild_balances(&entries);
    for line in s.market.engine.budget_lines() {
        assert_eq!(rebuilt.get(&line.id), Some(&line.balance));
    }
    // Each entry names the acting user and the deal.
    assert!(entries.iter().filter(|e| e.kind != LedgerKind::Allocated).all(|e| e.deal.is_some()));
    assert!(entries.iter().any(|e| e.user == as_user(s.lenovo).user));
}

//! Negotiated purchase: N-1 to N-3, on the desktop scene (Lenovo offers 4,800 under a 5,000
//! ceiling, stock 10; the Xihu school has 100,000).

use engine::budget::LedgerKind;
use engine::negotiation::{NegotiationState, Party, Proposal};
use engine::settlement::TradeMode;
use engine::types::DealId;
use engine::{Action, Event, Reason};

use crate::market::*;

const HOUR: i64 = 3_600_000;

fn propose(s: &mut Scene, at: &str, quantity: &str) -> Result<DealId, Reason> {
    let proposal = Proposal {
        agreement: s.lenovo_fa,
        quantity: qty(quantity),
        budget_line: s.line,
        price: price(at),
        respond_by: s.market.now.plus_ms(48 * HOUR),
    };
    let events = s.market.exec(as_user(s.school), Action::ProposeNegotiation(proposal));
    match events.last() {
        Some(Event::Rejected { reason, .. }) => Err(*reason),
        _ => Ok(DealId(s.market.last_seq_id())),
    }
}

/// The supplier counters.
fn counter(s: &mut Scene, n: DealId, at: &str) -> Vec<Event> {
    let lenovo = as_user(s.lenovo);
    s.market.exec(lenovo, Action::CounterNegotiation { negotiation: n, price: price(at) })
}

fn state(s: &Scene, n: DealId) -> NegotiationState {
    s.market.engine.negotiation(n).expect("negotiation").state
}

#[test]
fn n1_a_proposal_below_the_offer_holds_its_amount_and_one_at_or_above_it_is_refused() {
    let mut s = Scene::new();
    assert_eq!(
        propose(&mut s, "4800", "2"),
        Err(Reason::ProposalNotBelowOffer { offer: price("4800") })
    );
    assert_eq!(
        propose(&mut s, "0", "2"),
        Err(Reason::ProposalNotBelowOffer { offer: price("4800") })
    );
    assert!(matches!(propose(&mut s, "4500", "11"), Err(Reason::StockShort { .. })));
    let n = propose(&mut s, "4500", "2").expect("proposed");
    assert_eq!(s.market.available(s.line), amount("91000"));
    assert_eq!(state(&s, n), NegotiationState::Proposed);
}

#[test]
fn n2_a_negotiation_with_one_counter_ends_in_a_trade_at_the_countered_price() {
    let mut s = Scene::new();
    let n = propose(&mut s, "4500", "2").expect("proposed");
    let events = counter(&mut s, n, "4650");
    assert!(
        matches!(events.last(), Some(Event::BudgetMoved(e)) if e.kind == LedgerKind::Held && e.amount == amount("300"))
    );
    assert_eq!(state(&s, n), NegotiationState::Countered);
    let events = s.market.ok(as_user(s.school), Action::AcceptNegotiation { negotiation: n });
    let trades = trades(&events);
    assert_eq!(trades.len(), 1);
    let t = trades[0];
    assert_eq!(
        (t.mode, t.supplier, t.unit_price, t.amount),
        (TradeMode::Negotiation, s.lenovo, price("4650"), amount("9300"))
    );
    assert_eq!(t.agreement, Some(s.lenovo_fa));
    assert_eq!(state(&s, n), NegotiationState::Accepted);
    assert_eq!(s.market.available(s.line), amount("90700"));
    assert_eq!(s.market.stock(s.lenovo_fa), Some(qty("8")));
}

#[test]
fn n2_a_counter_outside_the_band_or_out_of_turn_is_refused_and_counters_are_capped() {
    let mut s = Scene::new();
    let n = propose(&mut s, "4500", "1").expect("proposed");
    let band = Reason::CounterOutOfBand { above: price("4500"), below: price("4800.0001") };
    assert!(
        matches!(counter(&mut s, n, "4500").last(), Some(Event::Rejected { reason, .. }) if *reason == band)
    );
    assert!(
        matches!(counter(&mut s, n, "4800.0001").last(), Some(Event::Rejected { reason, .. }) if *reason == band)
    );
    // The purchaser may not answer its own proposal.
    assert_eq!(
        s.market.refused(as_user(s.school), Action::AcceptNegotiation { negotiation: n }),
        Reason::NotYourTurn
    );
    s.market
        .ok(as_user(s.lenovo), Action::CounterNegotiation { negotiation: n, price: price("4800") });
    // The purchaser proposes again, between its last proposal and the counter.
    let again = Reason::CounterOutOfBand { above: price("4500"), below: price("4800") };
    assert_eq!(
        s.market.refused(
            as_user(s.school),
            Action::CounterNegotiation { negotiation: n, price: price("4800") }
        ),
        again
    );
    s.market
        .ok(as_user(s.school), Action::CounterNegotiation { negotiation: n, price: price("4600") });
    s.market
        .ok(as_user(s.lenovo), Action::CounterNegotiation { negotiation: n, price: price("4700") });
    s.market
        .ok(as_user(s.school), Action::CounterNegotiation { negotiation: n, price: price("4650") });
    // Two counters by default: the supplier must now accept or reject.
    assert_eq!(
        s.market.refused(
            as_user(s.lenovo),
            Action::CounterNegotiation { negotiation: n, price: price("4680") }
        ),
        Reason::TooManyCounters { max: 2 }
    );
    let events = s.market.ok(as_user(s.lenovo), Action::AcceptNegotiation { negotiation: n });
    assert_eq!(trades(&events)[0].unit_price, price("4650"));
}

#[test]
fn n2_rejection_and_expiry_release_the_hold() {
    let mut s = Scene::new();
    let n = propose(&mut s, "4500", "2").expect("proposed");
    let events = s.market.ok(as_user(s.lenovo), Action::RejectNegotiation { negotiation: n });
    assert!(
        events.iter().any(|e| matches!(e, Event::NegotiationRejected { by: Party::Supplier, .. }))
    );
    assert_eq!(s.market.available(s.line), amount("100000"));
    let n = propose(&mut s, "4500", "2").expect("proposed");
    s.market.now = s.market.now.plus_ms(48 * HOUR);
    let events = s.market.ok(engine::types::Actor::SYSTEM, Action::Tick);
    assert!(events.iter().any(|e| matches!(e, Event::NegotiationExpired { .. })));
    assert_eq!(state(&s, n), NegotiationState::Expired);
    assert_eq!(s.market.available(s.line), amount("100000"));
    assert_eq!(
        s.market.refused(as_user(s.lenovo), Action::AcceptNegotiation { negotiation: n }),
        Reason::NotYourTurn
    );
}

#[test]
fn n3_a_third_party_cannot_act_on_or_find_a_negotiation() {
    let mut s = Scene::new();
    let n = propose(&mut s, "4500", "2").expect("proposed");
    let missing = Reason::NotFound { what: engine::Entity::Negotiation };
    assert_eq!(
        s.market.refused(as_user(s.dell), Action::AcceptNegotiation { negotiation: n }),
        missing
    );
    assert_eq!(
        s.market.refused(as_user(s.dell), Action::RejectNegotiation { negotiation: n }),
        missing
    );
    let other_unit = s.market.purchaser("杭州市滨江区第二小学", BINJIANG);
    assert_eq!(
        s.market.refused(as_user(other_unit), Action::AcceptNegotiation { negotiation: n }),
        missing
    );
}

#[test]
fn n2_an_acceptance_after_the_ceiling_was_lowered_below_the_price_is_refused() {
    let mut s = Scene::new();
    let n = propose(&mut s, "4500", "2").expect("proposed");
    s.market.operator(Action::ChangeCeiling { agreement: s.lenovo_fa, ceiling: price("4400") });
    let accept = Action::AcceptNegotiation { negotiation: n };
    let reason = s.market.refused(as_user(s.lenovo), accept);
    assert_eq!(reason, Reason::AboveCeiling { ceiling: price("4400") });
    assert_eq!(state(&s, n), NegotiationState::Proposed);
}

//! Reverse auctions.

use engine::auction::{AuctionSpec, AuctionState, Disclosure, Eligibility, MinStep};
use engine::budget::LedgerKind;
use engine::catalog::AffiliationBasis;
use engine::settlement::TradeMode;
use engine::types::{Actor, DealId, ParticipantId, Timestamp};
use engine::{Action, Engine, Event, Reason};
use proptest::prelude::*;

use crate::market::*;

const MINUTE: i64 = 60_000;

/// The desktop scene plus a third supplier, HP, holding a province-wide agreement too.
struct Room {
    s: Scene,
    hp: ParticipantId,
}

fn room() -> Room {
    let mut s = Scene::new();
    let hp = s.market.supplier("惠普贸易（上海）有限公司");
    s.market.offering(hp, s.desktop, &[PROVINCE], "5000", "4950", None);
    Room { s, hp }
}

/// Ten desktops under a 5,000 ceiling, open now for 30 minutes, step 10.00, a 2-minute soft-close
/// window extending to receipt + 2 minutes, capped at 10 minutes, 3 bidders needed, best price shown.
fn spec(r: &Room) -> AuctionSpec {
    let now = r.s.market.now;
    AuctionSpec {
        product: r.s.desktop,
        quantity: qty("10"),
        budget_line: r.s.line,
        ceiling: price("5000"),
        starts: now,
        ends: now.plus_ms(30 * MINUTE),
        min_step: MinStep::Price(price("10")),
        soft_close_ms: 2 * MINUTE,
        extension_ms: 2 * MINUTE,
        max_extension_ms: 10 * MINUTE,
        min_bidders: 3,
        disclosure: Disclosure::BestPrice,
        must_beat_best: false,
        eligibility: Eligibility::AgreementHolders,
    }
}

fn open(spec: AuctionSpec, r: &mut Room) -> DealId {
    let school = as_user(r.s.school);
    r.s.market.ok(school, Action::OpenAuction(spec));
    DealId(r.s.market.last_seq_id())
}

fn bid(who: ParticipantId, r: &mut Room, auction: DealId, at: &str) -> Vec<Event> {
    r.s.market.exec(as_user(who), Action::SubmitBid { auction, price: price(at) })
}

fn bid_ok(who: ParticipantId, r: &mut Room, auction: DealId, at: &str) {
    r.s.market.ok(as_user(who), Action::SubmitBid { auction, price: price(at) });
}

fn refused_bid(who: ParticipantId, r: &mut Room, auction: DealId, at: &str) -> Reason {
    r.s.market.refused(as_user(who), Action::SubmitBid { auction, price: price(at) })
}

fn tick_at(r: &mut Room, at: Timestamp) -> Vec<Event> {
    r.s.market.now = at;
    r.s.market.ok(Actor::SYSTEM, Action::Tick)
}

fn state(r: &Room, auction: DealId) -> AuctionState {
    r.s.market.engine.auction(auction).expect("auction").state
}

#[test]
fn a1_opening_holds_ceiling_times_quantity_and_a_scheduled_auction_starts_at_its_start() {
    let mut r = room();
    let later = AuctionSpec { starts: r.s.market.now.plus_ms(MINUTE), ..spec(&r) };
    let events = r.s.market.ok(as_user(r.s.school), Action::OpenAuction(later));
    let auction = DealId(r.s.market.last_seq_id());
    assert!(events.iter().any(|e| matches!(e,
        Event::BudgetMoved(m) if m.kind == LedgerKind::Held && m.amount == amount("50000"))));
    assert_eq!(state(&r, auction), AuctionState::Scheduled);
    assert_eq!(r.s.market.engine.next_deadline(), Some(r.s.market.now.plus_ms(MINUTE)));
    assert_eq!(refused_bid(r.s.lenovo, &mut r, auction, "4900"), Reason::AuctionNotOpen);
    let start = r.s.market.now.plus_ms(MINUTE);
    let events = tick_at(&mut r, start);
    assert_eq!(events.first(), Some(&Event::AuctionStarted { auction }));
    assert_eq!(state(&r, auction), AuctionState::Open);
}

#[test]
fn a1_rank_only_with_must_beat_best_is_refused_and_so_are_bad_schedules() {
    let mut r = room();
    let probe = AuctionSpec { disclosure: Disclosure::RankOnly, must_beat_best: true, ..spec(&r) };
    let reason = r.s.market.refused(as_user(r.s.school), Action::OpenAuction(probe));
    assert_eq!((reason, reason.rule()), (Reason::MustBeatBestHidesNothing, "A-1"));
    let backwards = AuctionSpec { ends: r.s.market.now, ..spec(&r) };
    assert_eq!(
        r.s.market.refused(as_user(r.s.school), Action::OpenAuction(backwards)).code(),
        "invalid_input"
    );
    let no_step = AuctionSpec { min_step: MinStep::Basis(0), ..spec(&r) };
    assert_eq!(
        r.s.market.refused(as_user(r.s.school), Action::OpenAuction(no_step)).code(),
        "invalid_input"
    );
    let too_big = AuctionSpec { quantity: qty("30"), ..spec(&r) };
    assert!(matches!(
        r.s.market.refused(as_user(r.s.school), Action::OpenAuction(too_big)),
        Reason::BudgetShort { .. }
    ));
}

#[test]
fn a1_a_percentage_step_is_fixed_in_money_at_opening() {
    let mut r = room();
    let auction = open(AuctionSpec { min_step: MinStep::Basis(50), ..spec(&r) }, &mut r);
    assert_eq!(r.s.market.engine.auction(auction).expect("auction").step, price("25"));
}

#[test]
fn a2_only_suppliers_with_an_agreement_covering_the_region_may_bid_or_those_invited() {
    let mut r = room();
    let stranger = r.s.market.supplier("无协议供应商");
    let auction = open(spec(&r), &mut r);
    assert_eq!(refused_bid(stranger, &mut r, auction, "4900"), Reason::NotEligible);
    assert_eq!(refused_bid(r.s.school, &mut r, auction, "4900"), Reason::NotPermitted);
    let invited =
        AuctionSpec { eligibility: Eligibility::Invited(vec![stranger, r.hp]), ..spec(&r) };
    let auction = open(invited, &mut r);
    bid_ok(stranger, &mut r, auction, "4900");
    assert_eq!(refused_bid(r.s.lenovo, &mut r, auction, "4800"), Reason::NotEligible);
}

#[test]
fn a2_an_affiliate_of_a_bidder_may_not_bid_in_the_same_auction() {
    let mut r = room();
    r.s.market.operator(Action::DefineAffiliationGroup {
        members: vec![r.s.lenovo, r.s.dell],
        basis: AffiliationBasis::Control,
    });
    let auction = open(spec(&r), &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4900");
    let reason = refused_bid(r.s.dell, &mut r, auction, "4800");
    assert_eq!((reason, reason.rule()), (Reason::AffiliateBidding, "A-2"));
}

#[test]
fn a2_a_bid_must_be_positive_within_the_ceiling_and_a_step_below_the_bidders_own() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    assert_eq!(
        refused_bid(r.s.lenovo, &mut r, auction, "5000.01"),
        Reason::BidAboveCeiling { ceiling: price("5000") }
    );
    assert_eq!(refused_bid(r.s.lenovo, &mut r, auction, "0").code(), "invalid_input");
    bid_ok(r.s.lenovo, &mut r, auction, "4900");
    assert_eq!(
        refused_bid(r.s.lenovo, &mut r, auction, "4895"),
        Reason::StepTooSmall { at_most: price("4890") }
    );
    bid_ok(r.s.lenovo, &mut r, auction, "4890");
    // Without must_beat_best another bidder may bid above the best.
    bid_ok(r.s.dell, &mut r, auction, "4950");
}

#[test]
fn a2_with_must_beat_best_a_bid_must_also_be_a_step_below_the_best() {
    let mut r = room();
    let auction = open(AuctionSpec { must_beat_best: true, ..spec(&r) }, &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4900");
    assert_eq!(
        refused_bid(r.s.dell, &mut r, auction, "4895"),
        Reason::StepTooSmall { at_most: price("4890") }
    );
    bid_ok(r.s.dell, &mut r, auction, "4890");
}

#[test]
fn a2_a_bid_one_millisecond_after_the_close_and_one_at_exactly_the_end_are_late() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    let end = r.s.market.now.plus_ms(30 * MINUTE);
    r.s.market.now = end.plus_ms(-1);
    bid_ok(r.s.lenovo, &mut r, auction, "4900");
    // That bid was in the window, so the end moved; a bid at the new end is late.
    let new_end = r.s.market.engine.auction(auction).expect("auction").end;
    r.s.market.now = new_end;
    // The deadline runs first: the auction closes (failed: one bidder), then the bid is refused.
    assert_eq!(refused_bid(r.s.dell, &mut r, auction, "4800"), Reason::AuctionNotOpen);
    assert_eq!(state(&r, auction), AuctionState::Failed);
}

#[test]
fn a3_equal_prices_rank_by_earlier_receipt() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    bid_ok(r.s.dell, &mut r, auction, "4800");
    bid_ok(r.s.lenovo, &mut r, auction, "4800");
    bid_ok(r.hp, &mut r, auction, "4850");
    let ranking: Vec<_> =
        r.s.market
            .engine
            .auction(auction)
            .expect("auction")
            .ranking()
            .iter()
            .map(|s| s.bidder)
            .collect();
    assert_eq!(ranking, vec![r.s.dell, r.s.lenovo, r.hp]);
}

#[test]
fn a4_a_bid_in_the_last_window_extends_the_end_up_to_the_cap() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    let scheduled_end = r.s.market.now.plus_ms(30 * MINUTE);
    // Outside the window: no extension.
    r.s.market.now = scheduled_end.plus_ms(-3 * MINUTE);
    assert!(
        !bid(r.s.lenovo, &mut r, auction, "4900")
            .iter()
            .any(|e| matches!(e, Event::AuctionExtended { .. }))
    );
    // Inside it: the end moves to receipt + 2 minutes.
    r.s.market.now = scheduled_end.plus_ms(-MINUTE);
    let events = bid(r.s.dell, &mut r, auction, "4890");
    assert!(
        events.contains(&Event::AuctionExtended { auction, end: scheduled_end.plus_ms(MINUTE) })
    );
    // Bids keep extending, never past the scheduled end plus 10 minutes.
    let mut price_now = 4880;
    for minute in 0..12 {
        r.s.market.now = scheduled_end.plus_ms(minute * MINUTE + MINUTE / 2);
        let who = if minute % 2 == 0 { r.s.lenovo } else { r.s.dell };
        bid_ok(who, &mut r, auction, &price_now.to_string());
        price_now -= 10;
        let end = r.s.market.engine.auction(auction).expect("auction").end;
        assert!(end <= scheduled_end.plus_ms(10 * MINUTE));
        if r.s.market.now.plus_ms(2 * MINUTE) >= scheduled_end.plus_ms(10 * MINUTE) {
            break;
        }
    }
    assert_eq!(
        r.s.market.engine.auction(auction).expect("auction").end,
        scheduled_end.plus_ms(10 * MINUTE)
    );
}

#[test]
fn a6_with_enough_bidders_rank_one_wins_and_the_hold_becomes_the_deal_amount() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4700");
    bid_ok(r.s.dell, &mut r, auction, "4650");
    bid_ok(r.hp, &mut r, auction, "4680");
    let end = r.s.market.now.plus_ms(30 * MINUTE);
    let events = tick_at(&mut r, end);
    assert!(events.contains(&Event::AuctionAwarded {
        auction,
        winner: r.s.dell,
        price: price("4650"),
        amount: amount("46500"),
        bidders: 3
    }));
    let trade = trades(&events)[0];
    assert_eq!(
        (trade.mode, trade.supplier, trade.amount, trade.deal),
        (TradeMode::Auction, r.s.dell, amount("46500"), auction)
    );
    let moves: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::BudgetMoved(m) => Some((m.kind, m.amount)),
            _ => None,
        })
        .collect();
    assert_eq!(
        moves,
        vec![(LedgerKind::Committed, amount("46500")), (LedgerKind::Released, amount("3500"))]
    );
    assert_eq!(r.s.market.available(r.s.line), amount("53500"));
    assert_eq!(state(&r, auction), AuctionState::Awarded);
}

#[test]
fn a6_with_too_few_bidders_the_auction_fails_and_releases_the_budget() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4700");
    bid_ok(r.s.dell, &mut r, auction, "4650");
    let end = r.s.market.now.plus_ms(30 * MINUTE);
    let events = tick_at(&mut r, end);
    assert!(events.contains(&Event::AuctionFailed { auction, bidders: 2 }));
    assert!(trades(&events).is_empty());
    assert_eq!(r.s.market.available(r.s.line), amount("100000"));
}

#[test]
fn a6_a_supplier_suspended_before_the_close_drops_out_of_ranking_and_count() {
    let mut r = room();
    let auction = open(AuctionSpec { min_bidders: 2, ..spec(&r) }, &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4600");
    bid_ok(r.s.dell, &mut r, auction, "4650");
    bid_ok(r.hp, &mut r, auction, "4700");
    r.s.market
        .operator(Action::SuspendSupplier { supplier: r.s.lenovo, reason: "围标调查".into() });
    let end = r.s.market.now.plus_ms(30 * MINUTE);
    let events = tick_at(&mut r, end);
    assert!(events.iter().any(|e| matches!(e,
        Event::AuctionAwarded { winner, bidders: 2, .. } if *winner == r.s.dell)));
}

#[test]
fn a6_a_supplier_whose_agreement_lapsed_before_the_close_drops_out_of_ranking_and_count() {
    let mut r = room();
    let auction = open(AuctionSpec { min_bidders: 2, ..spec(&r) }, &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4600");
    bid_ok(r.s.dell, &mut r, auction, "4650");
    bid_ok(r.hp, &mut r, auction, "4700");
    let lapsed =
        r.s.market
            .engine
            .agreements()
            .find(|a| a.supplier == r.s.lenovo && a.product == r.s.desktop);
    let agreement = lapsed.expect("lenovo's desktop agreement").id;
    r.s.market.operator(Action::RevokeAgreement { agreement, reason: "协议终止".into() });
    let end = r.s.market.now.plus_ms(30 * MINUTE);
    let events = tick_at(&mut r, end);
    assert!(events.iter().any(|e| matches!(e,
        Event::AuctionAwarded { winner, bidders: 2, .. } if *winner == r.s.dell)));
}

#[test]
fn a7_the_purchaser_cancels_before_the_first_bid_and_only_an_operator_with_a_reason_after_it() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    r.s.market.ok(as_user(r.s.school), Action::CancelAuction { auction, reason: String::new() });
    assert_eq!(state(&r, auction), AuctionState::Cancelled);
    assert_eq!(r.s.market.available(r.s.line), amount("100000"));

    let auction = open(spec(&r), &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4900");
    let reason = r
        .s
        .market
        .refused(as_user(r.s.school), Action::CancelAuction { auction, reason: "不买了".into() });
    assert_eq!((reason, reason.rule()), (Reason::CancelAfterBids, "A-7"));
    let reason =
        r.s.market.refused(Actor::SYSTEM, Action::CancelAuction { auction, reason: " ".into() });
    assert_eq!(reason.code(), "invalid_input");
    r.s.market
        .operator(Action::CancelAuction { auction, reason: "需求变更，经批准".into() });
    assert_eq!(state(&r, auction), AuctionState::Cancelled);
    assert_eq!(refused_bid(r.s.dell, &mut r, auction, "4800"), Reason::AuctionNotOpen);
}

#[test]
fn an_auction_restored_from_a_snapshot_in_the_middle_carries_on_to_the_same_result() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    bid_ok(r.s.lenovo, &mut r, auction, "4700");
    let mut restored = Engine::restore(&r.s.market.engine.snapshot()).expect("restore");
    bid_ok(r.s.dell, &mut r, auction, "4650");
    bid_ok(r.hp, &mut r, auction, "4680");
    let end = r.s.market.now.plus_ms(30 * MINUTE);
    tick_at(&mut r, end);
    let (_, half) = r.s.market.commands.split_at(r.s.market.commands.len() - 3);
    let mut out = Vec::new();
    for (command, at) in half {
        restored.apply(command.clone(), *at, &mut out);
    }
    assert_eq!(restored.state_hash(), r.s.market.engine.state_hash());
    assert_eq!(restored.auction(auction).expect("auction").state, AuctionState::Awarded);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the bids, the winner is the lowest valid standing bid, earliest on ties.
    #[test]
    fn a3_the_winner_is_the_lowest_valid_bid_earliest_on_ties(
        bids in proptest::collection::vec((0..3_usize, 4000..5001_i64), 1..40),
    ) {
        let mut r = room();
        let auction = open(AuctionSpec { min_bidders: 1, soft_close_ms: 0, ..spec(&r) }, &mut r);
        let bidders = [r.s.lenovo, r.s.dell, r.hp];
        let mut accepted: Vec<(ParticipantId, i64, u64)> = Vec::new();
        for (who, yuan) in bids {
            let events = bid(bidders[who], &mut r, auction, &yuan.to_string());
            if let Some(Event::BidAccepted { bidder, receipt, .. }) = events.first() {
                accepted.retain(|(b, _, _)| b != bidder);
                accepted.push((*bidder, yuan, receipt.0));
            }
        }
        let expected = accepted.iter().min_by_key(|(_, yuan, receipt)| (*yuan, *receipt)).map(|(b, _, _)| *b);
        let end = r.s.market.now.plus_ms(30 * MINUTE);
        let events = tick_at(&mut r, end);
        let winner = events.iter().find_map(|e| match e {
            Event::AuctionAwarded { winner, .. } => Some(*winner),
            _ => None,
        });
        prop_assert_eq!(winner, expected);
    }
}

#[test]
fn u3_an_auction_is_cancelled_by_an_operator_of_its_purchasers_region_only() {
    let mut r = room();
    let auction = open(spec(&r), &mut r);
    let mut operator_of = |name: &str, at: &str| {
        r.s.market.operator(Action::RegisterParticipant(engine::catalog::Registration {
            kind: engine::catalog::ParticipantKind::Operator,
            name: name.into(),
            credit_code: None,
            region: Some(region(at)),
        }));
        as_user(ParticipantId(r.s.market.last_seq_id()))
    };
    let ningbo = operator_of("宁波市政府采购中心", NINGBO);
    let hangzhou = operator_of("杭州市政府采购中心", HANGZHOU);
    bid_ok(r.s.lenovo, &mut r, auction, "4990");
    let cancel = Action::CancelAuction { auction, reason: "需求变更".into() };
    assert_eq!(r.s.market.refused(ningbo, cancel.clone()), Reason::OutsideRegion);
    r.s.market.ok(hangzhou, cancel);
}

#[test]
fn s1_a_supplier_declares_its_size_once_and_only_an_operator_changes_it() {
    use engine::catalog::EnterpriseSize;
    let mut r = room();
    let lenovo = r.s.lenovo;
    let declare = |size| Action::DeclareSize { supplier: lenovo, size };
    let events = r.s.market.ok(as_user(lenovo), declare(EnterpriseSize::Small));
    assert!(
        matches!(events.last(), Some(Event::SizeDeclared { supplier, size: EnterpriseSize::Small, by })
            if *supplier == lenovo && *by == as_user(lenovo).user),
        "the declaration is recorded with the acting user: {events:?}"
    );
    // Declared, it is the operator's to change: not the supplier's, nor another's, nor a city's.
    let again = r.s.market.refused(as_user(lenovo), declare(EnterpriseSize::Micro));
    assert_eq!((again, again.rule(), again.code()), (Reason::SizeDeclared, "S-1", "size_declared"));
    let other = r.s.market.refused(as_user(r.s.dell), declare(EnterpriseSize::Large));
    assert_eq!(other, Reason::SizeDeclared);
    let city = operator_of(&mut r.s.market, "杭州市政府采购中心", Some(HANGZHOU));
    assert_eq!(
        r.s.market.refused(as_user(city), declare(EnterpriseSize::Large)),
        Reason::SizeDeclared
    );
    r.s.market.operator(declare(EnterpriseSize::Large));
    let size = r.s.market.engine.participant(lenovo).and_then(|p| p.size);
    assert_eq!(size, Some(EnterpriseSize::Large));
    // Only suppliers have a size.
    let school = r.s.school;
    let refused = r.s.market.refused(
        Actor::SYSTEM,
        Action::DeclareSize { supplier: school, size: EnterpriseSize::Small },
    );
    assert_eq!(refused.code(), "not_found");
}

#[test]
fn s2_a_reserved_auction_refuses_a_large_supplier() {
    use engine::catalog::EnterpriseSize;
    let mut r = room();
    r.s.market.operator(Action::DeclareSize { supplier: r.s.lenovo, size: EnterpriseSize::Large });
    r.s.market.operator(Action::DeclareSize { supplier: r.hp, size: EnterpriseSize::Medium });
    let reserved = Action::OpenReservedAuction { category: None, spec: spec(&r) };
    let events = r.s.market.ok(as_user(r.s.school), reserved);
    let auction = DealId(r.s.market.last_seq_id());
    assert!(events.iter().any(|e| matches!(e, Event::DealReserved { deal } if *deal == auction)));
    let large = refused_bid(r.s.lenovo, &mut r, auction, "4900");
    assert_eq!((large, large.rule(), large.code()), (Reason::NotSme, "S-2", "not_sme"));
    // A supplier that never declared its size is not a small or medium enterprise.
    assert_eq!(refused_bid(r.s.dell, &mut r, auction, "4900"), Reason::NotSme);
    bid_ok(r.hp, &mut r, auction, "4900");
    // The same terms not reserved take every holder.
    let open_to_all = open(spec(&r), &mut r);
    bid_ok(r.s.lenovo, &mut r, open_to_all, "4900");
}

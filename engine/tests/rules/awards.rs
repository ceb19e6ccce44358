//! After the award: C-1 to C-4 on auctions, and the A-2 holder's own ceiling. (Inquiries: in
//! `inquiries`; late payment: in `settlement`.)

use engine::auction::{AuctionSpec, Disclosure, Eligibility, MinStep};
use engine::award::{AwardState, ChallengeState, ChallengeStep, Vacancy};
use engine::budget::LedgerKind;
use engine::settlement::TradeState;
use engine::types::{Actor, DealId, ParticipantId, Timestamp, TradeId};
use engine::{Action, Engine, Event, Reason};
use time::macros::date;

use crate::market::*;

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// 2026-06-25 00:00 in Shanghai: seven working days after Monday 2026-06-15 with no holiday loaded.
const SEVEN_WORKING_DAYS_LATER: Timestamp = Timestamp(1_782_316_800_000);

/// An auction of ten desktops under 5,000 bid by Lenovo 4,700, Dell 4,750 and HP 4,800 and closed:
/// Lenovo provisionally wins at 47,000.
struct Hall {
    s: Scene,
    hp: ParticipantId,
    auction: DealId,
    close: Vec<Event>,
}

fn spec(s: &Scene, min_bidders: u32) -> AuctionSpec {
    let now = s.market.now;
    AuctionSpec {
        product: s.desktop,
        quantity: qty("10"),
        budget_line: s.line,
        ceiling: price("5000"),
        starts: now,
        ends: now.plus_ms(30 * MINUTE),
        min_step: MinStep::Price(price("10")),
        soft_close_ms: 0,
        extension_ms: 0,
        max_extension_ms: 0,
        min_bidders,
        disclosure: Disclosure::BestPrice,
        must_beat_best: false,
        eligibility: Eligibility::AgreementHolders,
    }
}

fn hall_with(bids: &[(usize, &str)], min_bidders: u32) -> Hall {
    let mut s = Scene::new();
    let hp = s.market.supplier("惠普贸易（上海）有限公司");
    s.market.offering(hp, s.desktop, &[PROVINCE], "5000", "4950", None);
    let school = as_user(s.school);
    s.market.ok(school, Action::OpenAuction(spec(&s, min_bidders)));
    let auction = DealId(s.market.last_seq_id());
    let bidders = [s.lenovo, s.dell, hp];
    for (who, at) in bids {
        let submit = Action::SubmitBid { auction, price: price(at) };
        s.market.ok(as_user(bidders[*who]), submit);
    }
    s.market.now = s.market.now.plus_ms(30 * MINUTE);
    let close = s.market.ok(Actor::SYSTEM, Action::Tick);
    Hall { s, hp, auction, close }
}

fn hall() -> Hall {
    hall_with(&[(0, "4700"), (1, "4750"), (2, "4800")], 3)
}

impl Hall {
    fn at(&mut self, at: Timestamp) -> Vec<Event> {
        self.s.market.now = at;
        self.s.market.ok(Actor::SYSTEM, Action::Tick)
    }

    fn award_state(&self) -> AwardState {
        self.s.market.engine.award(self.auction).expect("award").state
    }

    fn winning_trade(&self) -> TradeId {
        *self.s.market.engine.award(self.auction).expect("award").trades.first().expect("a trade")
    }

    fn challenge(&mut self, who: ParticipantId) -> Vec<Event> {
        let file =
            Action::FileChallenge { deal: self.auction, grounds: "报价低于成本".into() };
        self.s.market.exec(as_user(who), file)
    }

    fn answer(&mut self, challenger: ParticipantId, upheld: bool) -> Vec<Event> {
        let answer = Action::AnswerChallenge {
            deal: self.auction,
            challenger,
            upheld,
            reply: "经复核".into(),
        };
        self.s.market.ok(as_user(self.s.school), answer)
    }

    fn trade_state(&self, trade: TradeId) -> TradeState {
        self.s.market.engine.trade(trade).expect("trade").state
    }
}

#[test]
fn c1_an_auction_award_is_provisional_for_seven_working_days_and_settlement_waits() {
    let mut h = hall();
    assert!(h.close.contains(&Event::AwardProvisional {
        deal: h.auction,
        winner: h.s.lenovo,
        period_ends: SEVEN_WORKING_DAYS_LATER,
    }));
    let trade = h.winning_trade();
    let deliver = Action::RecordDelivery { trade };
    let refused = h.s.market.refused(as_user(h.s.lenovo), deliver.clone());
    assert!(matches!(refused, Reason::AwardNotFinal { state: AwardState::Provisional, .. }));
    assert_eq!(refused.rule(), "C-1");
    assert!(
        !h.at(SEVEN_WORKING_DAYS_LATER.plus_ms(-1))
            .contains(&Event::AwardFinal { deal: h.auction })
    );
    assert!(h.at(SEVEN_WORKING_DAYS_LATER).contains(&Event::AwardFinal { deal: h.auction }));
    h.s.market.ok(as_user(h.s.lenovo), deliver);
    assert_eq!(h.trade_state(trade), TradeState::Delivered);
}

#[test]
fn c1_the_period_counts_working_days_on_the_loaded_calendar() {
    let mut s = Scene::new();
    // The Dragon Boat Festival, Friday 2026-06-19, is a holiday: the period ends a day later.
    s.market.operator(Action::LoadCalendar {
        year: 2026,
        holidays: vec![date!(2026 - 06 - 19)],
        workdays: vec![],
    });
    let calendar = s.market.engine.calendar();
    assert_eq!(calendar.period_end(s.market.now, 7), SEVEN_WORKING_DAYS_LATER.plus_ms(DAY));
}

#[test]
fn c2_a_challenge_inside_the_period_is_taken_and_one_a_day_outside_is_refused() {
    let mut h = hall();
    let stranger = h.s.market.supplier("未参与的供应商");
    assert_eq!(
        h.s.market.refused(as_user(stranger), challenge_of(h.auction)),
        Reason::NotPermitted
    );
    h.s.market.now = SEVEN_WORKING_DAYS_LATER.plus_ms(-1);
    let events = h.challenge(h.s.dell);
    assert!(
        matches!(events.last(), Some(Event::ChallengeFiled { challenger, .. }) if *challenger == h.s.dell)
    );
    let twice = h.s.market.refused(as_user(h.s.dell), challenge_of(h.auction));
    assert_eq!(twice.code(), "already_exists");
    h.s.market.now = SEVEN_WORKING_DAYS_LATER.plus_ms(DAY);
    let late = h.s.market.refused(as_user(h.hp), challenge_of(h.auction));
    assert_eq!(late, Reason::ChallengePeriodOver { ended: SEVEN_WORKING_DAYS_LATER });
    assert_eq!(late.rule(), "C-2");
}

fn challenge_of(deal: DealId) -> Action {
    Action::FileChallenge { deal, grounds: "中标人资格存疑".into() }
}

#[test]
fn c2_an_open_challenge_keeps_the_award_provisional_until_it_is_dismissed() {
    let mut h = hall();
    h.challenge(h.s.dell);
    h.at(SEVEN_WORKING_DAYS_LATER.plus_ms(DAY));
    assert_eq!(h.award_state(), AwardState::Provisional);
    let events = h.answer(h.s.dell, false);
    assert!(events.contains(&Event::AwardFinal { deal: h.auction }));
    let challenge = h.s.market.engine.award(h.auction).expect("award").challenges[0].clone();
    assert_eq!(challenge.state, ChallengeState::Dismissed);
    assert!(challenge.complaint_due.is_some());
    // A second answer is a step the table refuses.
    let again = Action::AnswerChallenge {
        deal: h.auction,
        challenger: h.s.dell,
        upheld: true,
        reply: "再议".into(),
    };
    let refused = h.s.market.refused(as_user(h.s.school), again);
    assert_eq!(
        refused,
        Reason::ChallengeStep { state: ChallengeState::Dismissed, step: ChallengeStep::Uphold }
    );
}

#[test]
fn c2_an_unanswered_challenge_raises_an_alert_and_goes_to_complaint_whose_ruling_falls_overdue() {
    let mut h = hall();
    let filed = h.challenge(h.hp);
    let Some(Event::ChallengeFiled { answer_due, .. }) = filed.last().cloned() else {
        panic!("filed: {filed:?}")
    };
    let events = h.at(answer_due);
    let unanswered: Vec<_> =
        events.iter().filter(|e| matches!(e, Event::ChallengeUnanswered { .. })).collect();
    assert_eq!(unanswered.len(), 1, "{events:?}");
    assert_eq!(h.award_state(), AwardState::Provisional, "an unanswered challenge is still open");
    let complain =
        Action::FileComplaint { deal: h.auction, grounds: "采购人逾期未答复".into() };
    let events = h.s.market.ok(as_user(h.hp), complain);
    let Some(Event::ComplaintFiled { ruling_due, .. }) = events.last().cloned() else {
        panic!("complained: {events:?}")
    };
    let events = h.at(ruling_due);
    assert!(events.contains(&Event::RulingOverdue { deal: h.auction, challenger: h.hp }));
    assert!(
        h.at(ruling_due.plus_ms(DAY)).iter().all(|e| !matches!(e, Event::RulingOverdue { .. }))
    );
}

#[test]
fn c3_an_upheld_complaint_annuls_the_award_and_the_next_ranked_takes_it_at_its_own_price() {
    let mut h = hall();
    let line = h.s.line;
    let first = h.winning_trade();
    assert_eq!(h.s.market.available(line), amount("53000"));
    h.challenge(h.s.dell);
    h.answer(h.s.dell, false);
    let complain = Action::FileComplaint { deal: h.auction, grounds: "答复不成立".into() };
    h.s.market.ok(as_user(h.s.dell), complain);
    // Only a regulator over the deal's region rules; Ningbo's is not.
    let ningbo = as_user(operator_of(&mut h.s.market, "宁波市财政局", Some(NINGBO)));
    let ruling = Action::RuleComplaint {
        deal: h.auction,
        challenger: h.s.dell,
        upheld: true,
        ruling: "投诉成立，中标结果无效".into(),
    };
    assert_eq!(h.s.market.refused(ningbo, ruling.clone()), Reason::OutsideRegion);
    let hangzhou = as_user(operator_of(&mut h.s.market, "杭州市财政局", Some(HANGZHOU)));
    let suspend =
        Action::SuspendDeal { deal: h.auction, reason: "投诉处理期间暂停".into() };
    h.s.market.ok(hangzhou, suspend);
    h.at(SEVEN_WORKING_DAYS_LATER.plus_ms(DAY));
    assert_eq!(h.award_state(), AwardState::Provisional, "a suspended award does not become final");
    let events = h.s.market.ok(hangzhou, ruling);
    assert!(events.contains(&Event::AwardVacated {
        deal: h.auction,
        supplier: h.s.lenovo,
        cause: Vacancy::Complaint
    }));
    assert_eq!(h.trade_state(first), TradeState::Annulled);
    assert_eq!(h.s.market.available(line), amount("100000"), "the annulled amount is back");

    let events = h.s.market.ok(as_user(h.s.school), Action::AwardNextRanked { deal: h.auction });
    let next = trades(&events);
    assert_eq!(next.len(), 1);
    assert_eq!((next[0].supplier, next[0].unit_price), (h.s.dell, price("4750")));
    assert_eq!(next[0].amount, amount("47500"));
    assert_eq!(next[0].agreement, Some(h.s.dell_fa), "a holder's trade records its agreement");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::AwardProvisional { winner, .. } if *winner == h.s.dell))
    );
    assert_eq!(h.s.market.available(line), amount("52500"));
    let balance = h.s.market.engine.budget_line(line).expect("line").balance;
    assert_eq!((balance.held, balance.committed), (amount("0"), amount("47500")));
    assert_ledger_rebuilds_the_balance(&h.s.market.log, &h.s.market.engine, line);
}

/// B-4: the ledger entries alone rebuild the line's balance, after all the moves above.
fn assert_ledger_rebuilds_the_balance(
    log: &[engine::EventEnvelope],
    engine: &Engine,
    line: engine::types::BudgetLineId,
) {
    let mut balance = engine::budget::Balance::default();
    for e in log {
        if let Event::BudgetMoved(m) = &e.event
            && m.line == line
        {
            balance.apply(m.kind, m.amount);
        }
    }
    assert_eq!(balance, engine.budget_line(line).expect("line").balance);
}

#[test]
fn c4_a_decline_vacates_the_award_and_with_no_valid_next_bid_the_deal_fails() {
    let mut h = hall_with(&[(0, "4700"), (1, "4750")], 2);
    h.at(SEVEN_WORKING_DAYS_LATER);
    let decline =
        Action::DeclineContract { trade: h.winning_trade(), reason: "无法按期供货".into() };
    let events = h.s.market.ok(as_user(h.s.lenovo), decline);
    assert!(
        events.iter().any(|e| matches!(e, Event::AwardVacated { cause: Vacancy::Declined, .. }))
    );
    // Dell, next in rank, has been suspended since the close: no valid bid is left.
    h.s.market.operator(Action::SuspendSupplier { supplier: h.s.dell, reason: "违规".into() });
    let next = Action::AwardNextRanked { deal: h.auction };
    let refused = h.s.market.refused(as_user(h.s.school), next);
    assert_eq!((refused, refused.rule()), (Reason::NoNextRanked, "C-4"));
    let fail = Action::FailAward { deal: h.auction, reason: "无有效候选人".into() };
    let events = h.s.market.ok(as_user(h.s.school), fail);
    assert!(matches!(events.last(), Some(Event::AwardFailed { .. })));
    assert_eq!(h.award_state(), AwardState::Failed);
    assert_eq!(h.s.market.available(h.s.line), amount("100000"));
    assert!(
        events.iter().all(|e| !matches!(e, Event::BudgetMoved(m) if m.kind == LedgerKind::Held))
    );
}

#[test]
fn c4_the_next_ranked_passes_over_a_suspended_bidder_to_the_one_after() {
    let mut h = hall();
    h.challenge(h.s.dell);
    h.answer(h.s.dell, true);
    h.s.market.operator(Action::SuspendSupplier { supplier: h.s.dell, reason: "违规".into() });
    let events = h.s.market.ok(as_user(h.s.school), Action::AwardNextRanked { deal: h.auction });
    assert!(events.contains(&Event::AwardedToNext {
        deal: h.auction,
        supplier: h.hp,
        rank: 3,
        amount: amount("48000")
    }));
    let award = h.s.market.engine.award(h.auction).expect("award");
    assert!(award.ranking[0].passed && award.ranking[1].passed && !award.ranking[2].passed);
}

#[test]
fn c4_a_replay_of_challenge_annulment_and_next_award_gives_the_same_state_hash() {
    let mut h = hall();
    h.challenge(h.s.dell);
    h.answer(h.s.dell, true);
    h.s.market.ok(as_user(h.s.school), Action::AwardNextRanked { deal: h.auction });
    h.at(SEVEN_WORKING_DAYS_LATER.plus_ms(7 * DAY));
    assert_replays(&h.s.market);
}

#[test]
fn a2_a_holder_may_not_bid_above_its_own_agreements_ceiling() {
    let mut s = Scene::new();
    s.market.operator(Action::ChangeCeiling { agreement: s.dell_fa, ceiling: price("4600") });
    s.market.ok(as_user(s.school), Action::OpenAuction(spec(&s, 1)));
    let auction = DealId(s.market.last_seq_id());
    let high = Action::SubmitBid { auction, price: price("4650") };
    let refused = s.market.refused(as_user(s.dell), high);
    assert_eq!(
        (refused, refused.rule()),
        (Reason::BidAboveOwnCeiling { ceiling: price("4600") }, "A-2")
    );
    s.market.ok(as_user(s.dell), Action::SubmitBid { auction, price: price("4600") });
    s.market.now = s.market.now.plus_ms(30 * MINUTE);
    let events = s.market.ok(Actor::SYSTEM, Action::Tick);
    assert_eq!(trades(&events)[0].agreement, Some(s.dell_fa));
}

#[test]
fn a1_a_category_auction_takes_bids_naming_products_and_awards_across_two_products() {
    let mut s = Scene::new();
    let hp = s.market.supplier("惠普贸易（上海）有限公司");
    s.market.offering(hp, s.desktop, &[PROVINCE], "5000", "4950", None);
    let optiplex = s.market.product("DELL-OPTIPLEX-7010", DESKTOPS, 0);
    let optiplex_fa = s.market.offering(s.dell, optiplex, &[PROVINCE], "5000", "4900", None);
    let server = s.market.product("INSPUR-NF5280", SERVERS, 0);
    let school = as_user(s.school);
    let terms = spec(&s, 3);
    let open = |product| Action::OpenCategoryAuction {
        category: category(DESKTOPS),
        spec: AuctionSpec { product, ..terms.clone() },
    };
    let wrong = s.market.refused(school, open(server));
    assert_eq!((wrong, wrong.rule()), (Reason::ProductNotInAuction, "A-1"));
    s.market.ok(school, open(s.desktop));
    let auction = DealId(s.market.last_seq_id());
    let bid = |product, at: &str| Action::SubmitProductBid { auction, product, price: price(at) };
    let refused = s.market.refused(as_user(s.dell), bid(server, "4000"));
    assert_eq!(refused, Reason::ProductNotInAuction);
    // Lenovo holds no agreement for the OptiPlex: eligibility is per product.
    assert_eq!(s.market.refused(as_user(s.lenovo), bid(optiplex, "4600")), Reason::NotEligible);
    s.market.ok(as_user(s.lenovo), Action::SubmitBid { auction, price: price("4700") });
    s.market.ok(as_user(s.dell), bid(optiplex, "4650"));
    s.market.ok(as_user(hp), bid(s.desktop, "4800"));
    s.market.now = s.market.now.plus_ms(30 * MINUTE);
    let events = s.market.ok(Actor::SYSTEM, Action::Tick);
    let first = trades(&events);
    assert_eq!((first[0].supplier, first[0].product), (s.dell, optiplex));
    assert_eq!(first[0].agreement, Some(optiplex_fa));
    // Upheld on challenge: the next-ranked takes it with its own product at its own price.
    let file = Action::FileChallenge { deal: auction, grounds: "型号不符".into() };
    s.market.ok(as_user(s.lenovo), file);
    let uphold = Action::AnswerChallenge {
        deal: auction,
        challenger: s.lenovo,
        upheld: true,
        reply: "质疑成立".into(),
    };
    s.market.ok(school, uphold);
    let events = s.market.ok(school, Action::AwardNextRanked { deal: auction });
    let next = trades(&events);
    assert_eq!(
        (next[0].supplier, next[0].product, next[0].unit_price),
        (s.lenovo, s.desktop, price("4700"))
    );
    assert_eq!(next[0].agreement, Some(s.lenovo_fa));
    assert_replays(&s.market);
}

/// Replaying the market's commands gives the same events and the same state hash, and a snapshot
/// restores it.
fn assert_replays(market: &Market) {
    let mut replayed = Engine::new();
    let mut out = Vec::new();
    for (command, at) in market.commands.clone() {
        replayed.apply(command, at, &mut out);
    }
    assert_eq!(replayed.state_hash(), market.engine.state_hash());
    assert_eq!(out, market.log);
    let restored = Engine::restore(&market.engine.snapshot()).expect("restores");
    assert_eq!(restored.state_hash(), market.engine.state_hash());
}

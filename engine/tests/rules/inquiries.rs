//! Online inquiry rounds, sealing included. The tests seal as the gateway does, with
//! fixed keys per round and layer and nonces from a counter.

use engine::budget::LedgerKind;
use engine::catalog::AffiliationBasis;
use engine::inquiry::seal::{
    Commitment, Layer, QuoteAuthor, QuoteContent, RoundKey, SealContext, Sealed, SealedQuote,
};
use engine::inquiry::{
    Exclusion, InquiryLine, InquirySpec, InquiryState, OpenedQuote, QuoteDefect, RoundOutcome,
};
use engine::settlement::TradeMode;
use engine::types::{Actor, DealId, ParticipantId, Timestamp, UserId};
use engine::{Action, Engine, Event, Reason};
use time::macros::date;

use crate::market::*;

const DAY: i64 = 86_400_000;

/// A Xihu school buying ten desktops (ceiling 5,000) and two servers (ceiling 20,000) from five
/// invited suppliers, quotes due a week from Monday 2026-06-15; a sixth supplier to invite later.
struct Desk {
    m: Market,
    school: ParticipantId,
    line: engine::types::BudgetLineId,
    suppliers: Vec<ParticipantId>,
    later: ParticipantId,
    nonce: u64,
}

fn desk() -> Desk {
    let mut m = Market::new();
    let school = m.purchaser("杭州市西湖区第一小学", XIHU);
    let line = m.budget(school, "100000");
    let names = ["联想（北京）有限公司", "戴尔（中国）有限公司", "惠普贸易（上海）有限公司"];
    let more = ["华为技术有限公司", "浪潮电子信息产业股份有限公司"];
    let suppliers = names.iter().chain(&more).map(|n| m.supplier(n)).collect();
    let later = m.supplier("曙光信息产业股份有限公司");
    m.product("LENOVO-M720", DESKTOPS, 0);
    m.product("INSPUR-NF5280", SERVERS, 0);
    Desk { m, school, line, suppliers, later, nonce: 0 }
}

impl Desk {
    fn spec(&self) -> InquirySpec {
        let desktop = self.m.engine.products().next().expect("desktop").id;
        let server = self.m.engine.products().nth(1).expect("server").id;
        InquirySpec {
            lines: vec![
                InquiryLine { product: desktop, quantity: qty("10"), ceiling: price("5000") },
                InquiryLine { product: server, quantity: qty("2"), ceiling: price("20000") },
            ],
            budget_line: self.line,
            deadline: self.m.now.plus_ms(7 * DAY),
            invited: self.suppliers.clone(),
            max_rounds: 2,
        }
    }

    fn open(&mut self, spec: InquirySpec) -> DealId {
        self.m.ok(as_user(self.school), Action::OpenInquiry(spec));
        DealId(self.m.last_seq_id())
    }

    fn s(&self, n: usize) -> ParticipantId {
        self.suppliers[n]
    }

    fn round(&self, id: DealId) -> u32 {
        self.m.engine.inquiry(id).expect("inquiry").round_number()
    }

    fn next_nonce(&mut self) -> u64 {
        self.nonce += 1;
        self.nonce
    }

    /// Seals what `who` submits: prices, or a withdrawal when `prices` is `None`.
    fn seal(&mut self, id: DealId, who: ParticipantId, prices: Option<&[&str]>) -> SealedQuote {
        let round = self.round(id);
        let (author_key, content_key) = keys(round);
        let mut commit_nonce = [0; 16];
        commit_nonce[..8].copy_from_slice(&self.next_nonce().to_be_bytes());
        let content = QuoteContent {
            prices: prices.unwrap_or_default().iter().map(|p| price(p)).collect(),
            nonce: commit_nonce,
        };
        let withdrawn = prices.is_none();
        let author = QuoteAuthor { supplier: who, user: UserId(who.0), withdrawn };
        SealedQuote {
            author: Sealed::seal(&author, &author_key, ctx(id, round, Layer::Author), self.aead()),
            content: Sealed::seal(
                &content,
                &content_key,
                ctx(id, round, Layer::Content),
                self.aead(),
            ),
            author_key: author_key.check(),
            content_key: content_key.check(),
            commitment: Commitment::of(id, round, who, withdrawn, &content),
        }
    }

    fn aead(&mut self) -> [u8; 12] {
        let mut nonce = [0; 12];
        nonce[..8].copy_from_slice(&self.next_nonce().to_be_bytes());
        nonce
    }

    fn submit(&mut self, id: DealId, quote: SealedQuote) -> Vec<Event> {
        let round = self.round(id);
        self.m.exec(Actor::SEALED, Action::SubmitQuote { inquiry: id, round, quote })
    }

    fn quote(&mut self, id: DealId, who: ParticipantId, prices: &[&str]) -> Commitment {
        let sealed = self.seal(id, who, Some(prices));
        let commitment = sealed.commitment;
        let events = self.submit(id, sealed);
        assert!(matches!(events.last(), Some(Event::QuoteSealed { .. })), "{events:?}");
        commitment
    }

    /// Runs the deadline and both openings, as the gateway's timer does.
    fn close_and_open(&mut self, id: DealId) -> Vec<Event> {
        let deadline = self.m.engine.inquiry(id).expect("inquiry").round().deadline;
        self.m.now = self.m.now.max(deadline);
        let mut events = self.m.ok(Actor::SYSTEM, Action::Tick);
        let round = self.round(id);
        let (author, content) = keys(round);
        let open_authors = Action::OpenAuthors { inquiry: id, round, key: author };
        events.extend(self.m.ok(Actor::SYSTEM, open_authors));
        if self.m.engine.inquiry(id).expect("inquiry").awaits_content_key() {
            let open_prices = Action::OpenPrices { inquiry: id, round, key: content };
            events.extend(self.m.ok(Actor::SYSTEM, open_prices));
        }
        events
    }

    fn state(&self, id: DealId) -> InquiryState {
        self.m.engine.inquiry(id).expect("inquiry").state
    }
}

fn keys(round: u32) -> (RoundKey, RoundKey) {
    let byte = u8::try_from(round).expect("few rounds");
    (RoundKey::from_bytes([byte; 32]), RoundKey::from_bytes([byte + 100; 32]))
}

fn ctx(inquiry: DealId, round: u32, layer: Layer) -> SealContext {
    SealContext { inquiry, round, layer }
}

fn opened(events: &[Event]) -> Vec<OpenedQuote> {
    events
        .iter()
        .find_map(|e| match e {
            Event::QuotesOpened { quotes, .. } => Some(quotes.clone()),
            _ => None,
        })
        .expect("quotes opened")
}

fn outcome(events: &[Event]) -> Option<RoundOutcome> {
    events.iter().find_map(|e| match e {
        Event::InquiryRoundFailed { outcome, .. } => Some(outcome.clone()),
        _ => None,
    })
}

#[test]
fn q1_an_inquiry_holds_ceiling_times_quantity_and_needs_three_invitees_and_the_notice_period() {
    let mut d = desk();
    let school = as_user(d.school);
    let two = InquirySpec { invited: d.suppliers[..2].to_vec(), ..d.spec() };
    assert_eq!(
        d.m.refused(school, Action::OpenInquiry(two)),
        Reason::Invalid { field: engine::Field::Invitees }
    );
    // Monday 10:00; three working days are Tue, Wed, Thu: a Wednesday deadline is too soon.
    let wednesday = InquirySpec { deadline: d.m.now.plus_ms(2 * DAY), ..d.spec() };
    assert_eq!(
        d.m.refused(school, Action::OpenInquiry(wednesday)),
        Reason::NoticeTooShort { working_days: 3 }
    );
    let thursday = InquirySpec { deadline: d.m.now.plus_ms(3 * DAY - 3_600_000), ..d.spec() };
    // With Wednesday loaded as a holiday, Thursday is only the second working day ...
    d.m.operator(Action::LoadCalendar {
        year: 2026,
        holidays: vec![date!(2026 - 06 - 17)],
        workdays: vec![],
    });
    assert_eq!(
        d.m.refused(school, Action::OpenInquiry(thursday.clone())),
        Reason::NoticeTooShort { working_days: 3 }
    );
    // ... and the third once the year is loaded again without it.
    d.m.operator(Action::LoadCalendar { year: 2026, holidays: vec![], workdays: vec![] });
    let id = d.open(thursday);
    // 10 x 5,000 + 2 x 20,000 held.
    assert_eq!(d.m.available(d.line), amount("10000"));
    assert_eq!(d.state(id), InquiryState::Collecting);
    let mut poor = desk();
    let short = InquirySpec {
        lines: vec![InquiryLine { quantity: qty("30"), ..poor.spec().lines[0] }],
        ..poor.spec()
    };
    assert!(matches!(
        poor.m.refused(as_user(poor.school), Action::OpenInquiry(short)),
        Reason::BudgetShort { .. }
    ));
}

#[test]
fn q4_exactly_three_valid_quotes_award_the_lowest_total_with_a_trade_per_line() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]); // 86,000
    d.quote(id, d.s(1), &["4700", "19500"]); // 86,000: same total, later
    d.quote(id, d.s(2), &["4900", "18000"]); // 85,000: lowest
    let events = d.close_and_open(id);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::InquiryAwarded { winner, suppliers: 3, .. } if *winner == d.s(2)
    )));
    let trades = trades(&events);
    assert_eq!(trades.len(), 2);
    assert!(trades.iter().all(|t| t.mode == TradeMode::Inquiry && t.supplier == d.s(2)));
    assert_eq!(trades[0].amount, amount("49000"));
    assert_eq!(trades[1].amount, amount("36000"));
    assert_eq!(d.state(id), InquiryState::Awarded);
    // The hold became committed at 85,000; the other 5,000 came back.
    assert_eq!(d.m.available(d.line), amount("15000"));
    let committed = events.iter().any(|e| {
        matches!(e, Event::BudgetMoved(l) if l.kind == LedgerKind::Committed && l.amount == amount("85000"))
    });
    assert!(committed);
}

#[test]
fn q4_equal_totals_go_to_the_earlier_final_submission() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]);
    d.quote(id, d.s(1), &["4700", "19500"]);
    d.quote(id, d.s(2), &["4990", "19990"]);
    // Supplier 0 replaces its quote with the same total: its final submission is now the latest.
    d.quote(id, d.s(0), &["4750", "19250"]);
    let events = d.close_and_open(id);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::InquiryAwarded { winner, .. } if *winner == d.s(1)
    )));
}

#[test]
fn q2_a_replacement_supersedes_and_a_withdrawal_takes_the_quote_back() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4000", "15000"]);
    d.quote(id, d.s(1), &["4800", "19000"]);
    d.quote(id, d.s(2), &["4900", "19500"]);
    d.quote(id, d.s(3), &["4950", "19900"]);
    d.quote(id, d.s(0), &["4990", "19990"]); // replaced upward
    let withdrawal = d.seal(id, d.s(3), None);
    assert!(matches!(d.submit(id, withdrawal).last(), Some(Event::QuoteSealed { .. })));
    let events = d.close_and_open(id);
    let quotes = opened(&events);
    assert_eq!(quotes.len(), 3, "the withdrawn quote does not open");
    let first = quotes.iter().find(|q| q.supplier == d.s(0)).expect("replaced quote");
    assert_eq!(first.content.as_ref().map(|c| c.prices[0]), Some(price("4990")));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::InquiryAwarded { winner, .. } if *winner == d.s(1)
    )));
    let counted = events.iter().find_map(|e| match e {
        Event::QuotersCounted { quoters, .. } => Some(quoters.clone()),
        _ => None,
    });
    let withdrawn = counted.expect("counted").into_iter().find(|q| q.supplier == d.s(3));
    assert_eq!(withdrawn.and_then(|q| q.excluded), Some(Exclusion::Withdrawn));
}

#[test]
fn q2_a_quote_at_the_deadline_is_refused_and_the_round_is_fixed() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]);
    let deadline = d.m.engine.inquiry(id).expect("inquiry").round().deadline;
    d.m.now = Timestamp(deadline.0 - 1);
    d.quote(id, d.s(1), &["4800", "19000"]);
    d.m.now = deadline;
    let late = d.seal(id, d.s(2), Some(&["4000", "15000"]));
    let events = d.submit(id, late);
    assert!(
        events.iter().any(|e| matches!(e, Event::QuotesClosed { .. })),
        "the deadline ran first"
    );
    assert!(matches!(events.last(), Some(Event::Rejected { reason: Reason::QuotesClosed, .. })));
    let withdrawal = d.seal(id, d.s(0), None);
    assert!(matches!(
        d.submit(id, withdrawal).last(),
        Some(Event::Rejected { reason: Reason::QuotesClosed, .. })
    ));
}

#[test]
fn q4_a_quote_above_a_ceiling_is_invalid_and_with_only_three_the_round_fails() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]);
    d.quote(id, d.s(1), &["4700", "20000.0001"]);
    d.quote(id, d.s(2), &["4900", "18000"]);
    let events = d.close_and_open(id);
    let above = opened(&events).into_iter().find(|q| q.supplier == d.s(1)).expect("opened");
    assert_eq!(above.defect, Some(QuoteDefect::AboveCeiling { line: 1 }));
    assert_eq!(outcome(&events), Some(RoundOutcome::FailedOpened { valid: 2 }));
    assert_eq!(d.state(id), InquiryState::RoundFailed, "a second round is permitted");
    assert!(trades(&events).is_empty());
}

#[test]
fn q4_two_affiliated_suppliers_count_once_and_fewer_than_three_fail_the_round_unopened() {
    let mut d = desk();
    let (a, b) = (d.s(0), d.s(1));
    d.m.operator(Action::DefineAffiliationGroup {
        members: vec![a, b],
        basis: AffiliationBasis::SameLegalRepresentative,
    });
    let id = d.open(d.spec());
    d.quote(id, a, &["4800", "19000"]);
    d.quote(id, b, &["4700", "18000"]);
    d.quote(id, d.s(2), &["4900", "19500"]);
    let events = d.close_and_open(id);
    assert_eq!(outcome(&events), Some(RoundOutcome::FailedUnopened { suppliers: 2 }));
    assert!(!events.iter().any(|e| matches!(e, Event::QuotesOpened { .. })), "prices stay sealed");
    let counted = events.iter().find_map(|e| match e {
        Event::QuotersCounted { quoters, .. } => Some(quoters.clone()),
        _ => None,
    });
    let b_quote = counted.expect("counted").into_iter().find(|q| q.supplier == b);
    assert_eq!(b_quote.and_then(|q| q.excluded), Some(Exclusion::Affiliate { of: a }));
}

#[test]
fn q4_a_suspended_supplier_does_not_count() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]);
    d.quote(id, d.s(1), &["4700", "18000"]);
    d.quote(id, d.s(2), &["4900", "19500"]);
    d.m.operator(Action::SuspendSupplier { supplier: d.s(2), reason: "行政处罚".into() });
    let events = d.close_and_open(id);
    assert_eq!(outcome(&events), Some(RoundOutcome::FailedUnopened { suppliers: 2 }));
}

#[test]
fn q4_a_failed_round_is_followed_by_one_with_more_invitees_and_the_last_failure_releases_the_budget()
 {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]);
    d.close_and_open(id);
    assert_eq!(d.state(id), InquiryState::RoundFailed);
    let school = as_user(d.school);
    let same = Action::NextInquiryRound {
        inquiry: id,
        deadline: d.m.now.plus_ms(7 * DAY),
        invite: vec![d.s(0)],
    };
    assert_eq!(d.m.refused(school, same), Reason::Invalid { field: engine::Field::Invitees });
    let next = Action::NextInquiryRound {
        inquiry: id,
        deadline: d.m.now.plus_ms(7 * DAY),
        invite: vec![d.later],
    };
    d.m.ok(school, next);
    assert_eq!(d.round(id), 2);
    // A quote sealed for round 1 is refused in round 2.
    let mut stale = d.seal(id, d.later, Some(&["4000", "15000"]));
    stale.commitment = Commitment([0; 32]);
    let events =
        d.m.exec(Actor::SEALED, Action::SubmitQuote { inquiry: id, round: 1, quote: stale });
    assert!(matches!(events.last(), Some(Event::Rejected { reason: Reason::QuotesClosed, .. })));
    d.quote(id, d.later, &["4500", "17000"]);
    d.quote(id, d.s(4), &["4600", "17500"]);
    let events = d.close_and_open(id);
    assert_eq!(outcome(&events), Some(RoundOutcome::FailedUnopened { suppliers: 2 }));
    assert_eq!(d.state(id), InquiryState::Failed);
    assert!(events.iter().any(|e| matches!(e, Event::InquiryFailed { .. })));
    assert_eq!(d.m.available(d.line), amount("100000"));
    let third = Action::NextInquiryRound {
        inquiry: id,
        deadline: d.m.now.plus_ms(7 * DAY),
        invite: vec![d.s(3)],
    };
    assert_eq!(d.m.refused(school, third), Reason::InquiryState);
}

#[test]
fn q3_a_quote_must_arrive_sealed_and_opens_only_with_the_rounds_own_key() {
    let mut d = desk();
    let id = d.open(d.spec());
    let sealed = d.seal(id, d.s(0), Some(&["4800", "19000"]));
    let in_the_clear = Action::SubmitQuote { inquiry: id, round: 1, quote: sealed.clone() };
    assert_eq!(d.m.refused(as_user(d.s(0)), in_the_clear), Reason::QuoteNotSealed);
    assert_eq!(format!("{sealed:?}").matches("<sealed>").count(), 2);
    assert!(!format!("{sealed:?}").contains("4800"));
    d.submit(id, sealed);
    d.quote(id, d.s(1), &["4700", "18000"]);
    d.quote(id, d.s(2), &["4900", "19500"]);
    // A submission under another key is refused at once.
    let mut other = d.seal(id, d.s(3), Some(&["4000", "15000"]));
    other.author_key = RoundKey::from_bytes([42; 32]).check();
    assert!(matches!(
        d.submit(id, other).last(),
        Some(Event::Rejected { reason: Reason::WrongSealingKey, .. })
    ));
    d.m.now = d.m.engine.inquiry(id).expect("inquiry").round().deadline;
    d.m.ok(Actor::SYSTEM, Action::Tick);
    let wrong = Action::OpenAuthors { inquiry: id, round: 1, key: RoundKey::from_bytes([9; 32]) };
    assert_eq!(d.m.refused(Actor::SYSTEM, wrong), Reason::WrongSealingKey);
    let (author, _) = keys(1);
    let by_a_user = Action::OpenAuthors { inquiry: id, round: 1, key: author.clone() };
    assert_eq!(d.m.refused(as_user(d.school), by_a_user), Reason::NotPermitted);
    d.m.ok(Actor::SYSTEM, Action::OpenAuthors { inquiry: id, round: 1, key: author });
    assert_eq!(d.state(id), InquiryState::Counted);
}

#[test]
fn q3_before_the_opening_the_commands_events_and_snapshot_hold_no_price_and_no_quoter() {
    let mut d = desk();
    let id = d.open(d.spec());
    // Prices chosen so their minor units are distinctive byte strings.
    let quoted =
        [("4876.5432", "19345.6789"), ("4765.4321", "18234.5678"), ("4987.6543", "19456.7891")];
    let (before_commands, before_log) = (d.m.commands.len(), d.m.log.len());
    for (n, (a, b)) in quoted.iter().enumerate() {
        d.quote(id, d.s(n), &[a, b]);
    }
    let mut bytes = Vec::new();
    for (command, _) in &d.m.commands[before_commands..] {
        bytes.extend(postcard::to_stdvec(command).expect("encode"));
        assert!(!format!("{command:?}").contains("4876"));
    }
    for event in &d.m.log[before_log..] {
        bytes.extend(postcard::to_stdvec(event).expect("encode"));
    }
    bytes.extend(d.m.engine.snapshot());
    for (a, b) in quoted {
        for text in [a, b] {
            let minor = price(text).minor();
            assert!(!contains(&bytes, text.as_bytes()));
            assert!(!contains(&bytes, &minor.to_be_bytes()));
            assert!(!contains(&bytes, &minor.to_le_bytes()));
            assert!(!contains(&bytes, &postcard::to_stdvec(&minor).expect("varint")));
        }
    }
    // No submission names its author: nothing a supplier's id encodes to follows a QuoteSealed.
    let quote_commands = &d.m.commands[before_commands..];
    assert!(quote_commands.iter().all(|(c, _)| c.actor == Actor::SEALED));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn q5_every_opened_quote_verifies_against_its_receipt_and_a_changed_one_does_not() {
    let mut d = desk();
    let id = d.open(d.spec());
    let receipts = [
        d.quote(id, d.s(0), &["4800", "19000"]),
        d.quote(id, d.s(1), &["4700", "18000"]),
        d.quote(id, d.s(2), &["4900", "19500"]),
    ];
    // A fourth whose sealed prices differ from what its receipt commits to.
    let mut tampered = d.seal(id, d.s(3), Some(&["4000", "15000"]));
    let cheaper = d.seal(id, d.s(3), Some(&["3000", "10000"]));
    tampered.content = cheaper.content;
    d.submit(id, tampered);
    let events = d.close_and_open(id);
    for quote in opened(&events) {
        let content = quote.content.as_ref().expect("opened");
        let recomputed = Commitment::of(id, 1, quote.supplier, false, content);
        if quote.supplier == d.s(3) {
            assert_eq!(quote.defect, Some(QuoteDefect::CommitmentMismatch));
            assert_ne!(recomputed, quote.commitment);
        } else {
            assert_eq!(recomputed, quote.commitment);
            assert!(receipts.contains(&quote.commitment));
        }
    }
    assert!(events.iter().any(|e| matches!(
        e,
        Event::InquiryAwarded { winner, .. } if *winner == d.s(1)
    )));
}

#[test]
fn q2_a_retried_submission_is_answered_with_the_first() {
    let mut d = desk();
    let id = d.open(d.spec());
    let sealed = d.seal(id, d.s(0), Some(&["4800", "19000"]));
    d.submit(id, sealed.clone());
    let first = d.m.last_seq_id();
    let events = d.submit(id, sealed);
    assert_eq!(events.last(), Some(&Event::AlreadyApplied { original: engine::types::Seq(first) }));
}

#[test]
fn the_purchaser_may_cancel_before_the_deadline_and_nobody_else_may() {
    let mut d = desk();
    let id = d.open(d.spec());
    let cancel = |reason: &str| Action::EndInquiry { inquiry: id, reason: reason.into() };
    assert_eq!(d.m.refused(as_user(d.s(0)), cancel("想取消")), Reason::NotPermitted);
    d.m.ok(as_user(d.school), cancel("需求变更"));
    assert_eq!(d.state(id), InquiryState::Cancelled);
    assert_eq!(d.m.available(d.line), amount("100000"));
    assert_eq!(d.m.engine.next_deadline(), None);
}

#[test]
fn replay_of_an_inquiry_opens_the_same_quotes_to_the_same_state() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]);
    d.quote(id, d.s(1), &["4700", "18000"]);
    d.quote(id, d.s(2), &["4900", "19500"]);
    let half = d.m.commands.len();
    let mut first = Engine::new();
    let mut events = Vec::new();
    for (command, at) in &d.m.commands {
        first.apply(command.clone(), *at, &mut events);
    }
    let mut restored = Engine::restore(&first.snapshot()).expect("restore");
    d.close_and_open(id);
    for (command, at) in &d.m.commands[half..] {
        restored.apply(command.clone(), *at, &mut events);
    }
    assert_eq!(restored.state_hash(), d.m.engine.state_hash());
    assert_eq!(restored.inquiry(id).map(|q| q.state), Some(InquiryState::Awarded));
}

/// The desktop scene (Lenovo and Dell province-wide under 5,000), with HP under a 4,900 ceiling
/// covering Hangzhou and Huawei covering only Ningbo: three holders cover the Xihu school.
fn competition() -> (Desk, engine::types::ProductId, [ParticipantId; 4]) {
    let mut s = Scene::new();
    let hp = s.market.supplier("惠普贸易（上海）有限公司");
    let huawei = s.market.supplier("华为技术有限公司");
    s.market.offering(hp, s.desktop, &[HANGZHOU], "4900", "4880", None);
    s.market.offering(huawei, s.desktop, &[NINGBO], "5000", "4700", None);
    let d = Desk {
        m: s.market,
        school: s.school,
        line: s.line,
        suppliers: vec![],
        later: huawei,
        nonce: 0,
    };
    (d, s.desktop, [s.lenovo, s.dell, hp, huawei])
}

fn compete(d: &mut Desk, product: engine::types::ProductId) -> DealId {
    let spec = engine::inquiry::CompetitionSpec {
        product,
        quantity: qty("10"),
        budget_line: d.line,
        deadline: d.m.now.plus_ms(7 * DAY),
    };
    d.m.ok(as_user(d.school), Action::OpenCompetition(spec));
    DealId(d.m.last_seq_id())
}

#[test]
fn n4_a_secondary_competition_invites_every_holder_covering_the_region_and_awards_the_lowest_sealed_price()
 {
    let (mut d, product, [lenovo, dell, hp, huawei]) = competition();
    let id = compete(&mut d, product);
    let q = d.m.engine.inquiry(id).expect("competition");
    let mut expected = vec![lenovo, dell, hp];
    expected.sort_unstable();
    assert_eq!(q.round().invited, expected, "Huawei's agreement does not cover Xihu");
    assert_eq!(q.spec.lines[0].ceiling, price("5000"), "the highest holder ceiling");
    assert_eq!(q.spec.max_rounds, 1);
    assert!(!q.invites(huawei));
    d.quote(id, lenovo, &["4700"]);
    d.quote(id, dell, &["4650"]);
    d.quote(id, hp, &["4800"]);
    let events = d.close_and_open(id);
    let trades = trades(&events);
    assert_eq!(trades.len(), 1);
    assert_eq!((trades[0].supplier, trades[0].unit_price), (dell, price("4650")));
    let dell_fa = d.m.engine.agreements().find(|a| a.supplier == dell).map(|a| a.id);
    assert_eq!(trades[0].agreement, dell_fa, "struck under the winner's own agreement");
}

#[test]
fn n4_each_holder_is_held_to_its_own_ceiling_and_three_holders_are_needed() {
    let (mut d, product, [lenovo, dell, hp, _]) = competition();
    let id = compete(&mut d, product);
    d.quote(id, lenovo, &["4700"]);
    d.quote(id, dell, &["4650"]);
    d.quote(id, hp, &["4950"]); // under the line's 5,000 but above HP's own 4,900
    let events = d.close_and_open(id);
    let above = opened(&events).into_iter().find(|q| q.supplier == hp).expect("opened");
    assert_eq!(above.defect, Some(QuoteDefect::AboveCeiling { line: 0 }));
    assert_eq!(d.state(id), InquiryState::Failed, "one round only, and it failed");
    // With HP suspended, two holders are left: no competition.
    d.m.operator(Action::SuspendSupplier { supplier: hp, reason: "行政处罚".into() });
    let spec = engine::inquiry::CompetitionSpec {
        product,
        quantity: qty("1"),
        budget_line: d.line,
        deadline: d.m.now.plus_ms(7 * DAY),
    };
    assert_eq!(
        d.m.refused(as_user(d.school), Action::OpenCompetition(spec)),
        Reason::TooFewHolders { holders: 2 }
    );
}

#[test]
fn c4_an_inquiry_award_upheld_on_challenge_goes_to_the_next_quote_with_a_trade_per_line() {
    let mut d = desk();
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4800", "19000"]); // 86,000, earlier: second
    d.quote(id, d.s(1), &["4700", "19500"]); // 86,000, later: third
    d.quote(id, d.s(2), &["4900", "18000"]); // 85,000: the winner
    let events = d.close_and_open(id);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::AwardProvisional { winner, .. } if *winner == d.s(2)))
    );
    let file =
        Action::FileChallenge { deal: id, grounds: "中标人报价明显低于成本".into() };
    let outsider = d.later;
    assert_eq!(d.m.refused(as_user(outsider), file.clone()), Reason::NotPermitted);
    d.m.ok(as_user(d.s(0)), file);
    let uphold = Action::AnswerChallenge {
        deal: id,
        challenger: d.s(0),
        upheld: true,
        reply: "质疑成立".into(),
    };
    let events = d.m.ok(as_user(d.school), uphold);
    let annulled = events
        .iter()
        .filter(|e| {
            matches!(e, Event::TradeSettled { state: engine::settlement::TradeState::Annulled, .. })
        })
        .count();
    assert_eq!(annulled, 2, "both lines of the contract");
    assert_eq!(d.m.available(d.line), amount("100000"));
    let events = d.m.ok(as_user(d.school), Action::AwardNextRanked { deal: id });
    let next = trades(&events);
    assert_eq!(next.len(), 2);
    assert!(next.iter().all(|t| t.supplier == d.s(0) && t.mode == TradeMode::Inquiry));
    assert_eq!((next[0].unit_price, next[1].unit_price), (price("4800"), price("19000")));
    assert_eq!(d.m.available(d.line), amount("14000"));
}

/// Sizes for the desk's suppliers: Lenovo small, Dell micro, HP and Huawei large, Inspur medium.
fn sized(d: &mut Desk) {
    use engine::catalog::EnterpriseSize::{Large, Medium, Micro, Small};
    for (n, size) in [Small, Micro, Large, Large, Medium].into_iter().enumerate() {
        let supplier = d.s(n);
        d.m.operator(Action::DeclareSize { supplier, size });
    }
}

#[test]
fn s2_the_deduction_changes_the_ranking_but_not_the_price() {
    let mut d = desk();
    sized(&mut d);
    let id = d.open(d.spec());
    d.quote(id, d.s(0), &["4900", "19000"]); // 87,000, small: ranked at 78,300
    d.quote(id, d.s(2), &["4500", "18000"]); // 81,000, large: ranked as quoted
    d.quote(id, d.s(4), &["4800", "18000"]); // 84,000, medium: no deduction
    let events = d.close_and_open(id);
    let evaluated = events.iter().find_map(|e| match e {
        Event::QuotesEvaluated { basis_points, evaluated, .. } => {
            Some((*basis_points, evaluated.clone()))
        }
        _ => None,
    });
    let (basis_points, evaluated) = evaluated.expect("the ranking is published with its deduction");
    assert_eq!(basis_points, 1_000);
    assert!(evaluated.contains(&(d.s(0), amount("78300"))), "{evaluated:?}");
    assert!(evaluated.contains(&(d.s(2), amount("81000"))), "{evaluated:?}");
    assert!(evaluated.contains(&(d.s(4), amount("84000"))), "{evaluated:?}");
    // The small enterprise wins, and trades at what it quoted.
    assert!(events.iter().any(|e| matches!(e,
        Event::InquiryAwarded { winner, amount: a, .. } if *winner == d.s(0) && *a == amount("87000"))));
    let struck = trades(&events);
    let total = struck.iter().map(|t| t.amount.minor()).sum::<i64>();
    assert_eq!(total, amount("87000").minor());
    assert_eq!(struck[0].unit_price, price("4900"));
    // An operator may set 20 %, not 25 %.
    let refused = d.m.refused(Actor::SYSTEM, Action::SetSmeDeduction { basis_points: 2_500 });
    assert_eq!(refused.code(), "invalid_input");
    d.m.operator(Action::SetSmeDeduction { basis_points: 2_000 });
}

#[test]
fn s2_a_reserved_inquiry_invites_small_and_medium_enterprises_only() {
    let mut d = desk();
    sized(&mut d);
    let everyone = d.spec();
    let refused = d.m.refused(as_user(d.school), Action::OpenReservedInquiry(everyone));
    assert_eq!((refused, refused.rule()), (Reason::NotSme, "S-2"));
    let mut smes = d.spec();
    smes.invited = vec![d.s(0), d.s(1), d.s(4)];
    smes.invited.sort_unstable();
    let events = d.m.ok(as_user(d.school), Action::OpenReservedInquiry(smes));
    let id = DealId(d.m.last_seq_id());
    assert!(events.iter().any(|e| matches!(e, Event::DealReserved { deal } if *deal == id)));
    assert!(d.m.engine.inquiry(id).expect("inquiry").reserved);
    // Its next round may not invite a large enterprise either.
    d.quote(id, d.s(0), &["4900", "19000"]);
    d.close_and_open(id);
    assert_eq!(d.state(id), InquiryState::RoundFailed);
    let deadline = d.m.now.plus_ms(7 * DAY);
    let large = d.s(2);
    let next = Action::NextInquiryRound { inquiry: id, deadline, invite: vec![large] };
    assert_eq!(d.m.refused(as_user(d.school), next), Reason::NotSme);
}

#[test]
fn s2_a_reserved_inquiry_ranks_without_the_deduction() {
    let mut d = desk();
    sized(&mut d);
    let mut smes = d.spec();
    smes.invited = vec![d.s(0), d.s(1), d.s(4)];
    smes.invited.sort_unstable();
    d.m.ok(as_user(d.school), Action::OpenReservedInquiry(smes));
    let id = DealId(d.m.last_seq_id());
    d.quote(id, d.s(0), &["4900", "19000"]); // 87,000, small
    d.quote(id, d.s(1), &["4950", "19000"]); // 87,500, micro
    d.quote(id, d.s(4), &["4800", "18000"]); // 84,000, medium: lowest as quoted
    let events = d.close_and_open(id);
    assert!(!events.iter().any(|e| matches!(e, Event::QuotesEvaluated { .. })));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::InquiryAwarded { winner, .. } if *winner == d.s(4)))
    );
}

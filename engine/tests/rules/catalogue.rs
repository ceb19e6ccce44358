//! The rules catalogue (`docs/RULES.md`) held against the code: every rule id the engine reports, for
//! a refusal or an alert, is listed with the code it reports it under; every rule built names tests
//! that exist; every test named for a rule id names a listed one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use engine::analytics::AlertKind;
use engine::award::{AwardState, ChallengeState, ChallengeStep};
use engine::settlement::{SettlementStep, TradeState};
use engine::types::{Amount, Quantity, Timestamp, UnitPrice};
use engine::{Entity, Field, Reason};

/// A rule as the catalogue states it.
#[derive(Debug, Default)]
struct Rule {
    status: String,
    codes: BTreeSet<String>,
    tests: Vec<String>,
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

fn catalogue() -> BTreeMap<String, Rule> {
    let text = std::fs::read_to_string(repository().join("docs/RULES.md")).expect("docs/RULES.md");
    let mut rules = BTreeMap::<String, Rule>::new();
    let mut current = None;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            let id = heading.split_whitespace().next().expect("an id").to_owned();
            assert!(is_rule_id(&id), "a rule heading starts with its id: {line}");
            assert!(rules.insert(id.clone(), Rule::default()).is_none(), "{id} listed twice");
            current = Some(id);
            continue;
        }
        let Some(rule) = current.as_ref().and_then(|id| rules.get_mut(id)) else { continue };
        let list = |rest: &str| -> Vec<String> {
            rest.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "-")
                .map(String::from)
                .collect()
        };
        if let Some(rest) = line.strip_prefix("Status: ") {
            rule.status = rest.to_owned();
        } else if let Some(rest) = line.strip_prefix("Codes: ") {
            rule.codes = list(rest).into_iter().collect();
        } else if let Some(rest) = line.strip_prefix("Tests: ") {
            rule.tests = list(rest);
        }
    }
    rules
}

fn is_rule_id(text: &str) -> bool {
    let mut parts = text.splitn(2, '-');
    let (letter, number) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    letter.len() == 1
        && letter.bytes().all(|b| b.is_ascii_uppercase())
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// One refusal of every kind. The match below fails to compile when a kind is added and not
/// listed here, so no new refusal escapes the catalogue.
fn every_reason() -> Vec<Reason> {
    let price = UnitPrice::from_minor(1);
    let amount = Amount::from_minor(1);
    let reasons = vec![
        Reason::NotPermitted,
        Reason::NotFound { what: Entity::Product },
        Reason::AlreadyExists { what: Entity::Product },
        Reason::Invalid { field: Field::Name },
        Reason::QuantityScale { scale: 0 },
        Reason::NoAgreement,
        Reason::AgreementNotValid,
        Reason::RegionNotCovered,
        Reason::SupplierSuspended,
        Reason::AboveCeiling { ceiling: price },
        Reason::OfferAboveCeiling { ceiling: price },
        Reason::StockShort { available: Quantity::from_minor(0) },
        Reason::LimitPrice { best: price },
        Reason::AboveLimit { amount, limit: amount },
        Reason::BudgetShort { needed: amount, available: amount },
        Reason::BelowUsed { used: amount },
        Reason::FiscalYear { line_year: 2025, current_year: 2026 },
        Reason::MustBeatBestHidesNothing,
        Reason::AuctionNotOpen,
        Reason::NotEligible,
        Reason::AffiliateBidding,
        Reason::BidAboveCeiling { ceiling: price },
        Reason::StepTooSmall { at_most: price },
        Reason::CancelAfterBids,
        Reason::SettlementStep { state: TradeState::Paid, step: SettlementStep::Pay },
        Reason::NoticeTooShort { working_days: 3 },
        Reason::InquiryState,
        Reason::QuotesClosed,
        Reason::NoRoundsLeft { max_rounds: 1 },
        Reason::QuoteNotSealed,
        Reason::WrongSealingKey,
        Reason::TooFewHolders { holders: 2 },
        Reason::ProposalNotBelowOffer { offer: price },
        Reason::CounterOutOfBand { above: price, below: price },
        Reason::TooManyCounters { max: 2 },
        Reason::NotYourTurn,
        Reason::OutsideRegion,
        Reason::BidAboveOwnCeiling { ceiling: price },
        Reason::AwardNotFinal {
            state: AwardState::Provisional,
            period_ends: Timestamp(0),
            suspended: false,
        },
        Reason::ChallengePeriodOver { ended: Timestamp(0) },
        Reason::ChallengeStep { state: ChallengeState::Upheld, step: ChallengeStep::Dismiss },
        Reason::ChallengeStep { state: ChallengeState::Filed, step: ChallengeStep::Complain },
        Reason::ComplaintPeriodOver { ended: Timestamp(0) },
        Reason::NoComplaintPending,
        Reason::AwardStep { state: AwardState::Final },
        Reason::NoNextRanked,
        Reason::ProductNotInAuction,
        Reason::NotYetAccepted,
        Reason::RatingWindowOver { ended: Timestamp(0) },
        Reason::SizeDeclared,
        Reason::NotSme,
    ];
    for reason in &reasons {
        match reason {
            Reason::NotPermitted
            | Reason::NotFound { .. }
            | Reason::AlreadyExists { .. }
            | Reason::Invalid { .. }
            | Reason::QuantityScale { .. }
            | Reason::NoAgreement
            | Reason::AgreementNotValid
            | Reason::RegionNotCovered
            | Reason::SupplierSuspended
            | Reason::AboveCeiling { .. }
            | Reason::OfferAboveCeiling { .. }
            | Reason::StockShort { .. }
            | Reason::LimitPrice { .. }
            | Reason::AboveLimit { .. }
            | Reason::BudgetShort { .. }
            | Reason::BelowUsed { .. }
            | Reason::FiscalYear { .. }
            | Reason::MustBeatBestHidesNothing
            | Reason::AuctionNotOpen
            | Reason::NotEligible
            | Reason::AffiliateBidding
            | Reason::BidAboveCeiling { .. }
            | Reason::StepTooSmall { .. }
            | Reason::CancelAfterBids
            | Reason::SettlementStep { .. }
            | Reason::NoticeTooShort { .. }
            | Reason::InquiryState
            | Reason::QuotesClosed
            | Reason::NoRoundsLeft { .. }
            | Reason::QuoteNotSealed
            | Reason::WrongSealingKey
            | Reason::TooFewHolders { .. }
            | Reason::ProposalNotBelowOffer { .. }
            | Reason::CounterOutOfBand { .. }
            | Reason::TooManyCounters { .. }
            | Reason::NotYourTurn
            | Reason::OutsideRegion
            | Reason::BidAboveOwnCeiling { .. }
            | Reason::AwardNotFinal { .. }
            | Reason::ChallengePeriodOver { .. }
            | Reason::ChallengeStep { .. }
            | Reason::ComplaintPeriodOver { .. }
            | Reason::NoComplaintPending
            | Reason::AwardStep { .. }
            | Reason::NoNextRanked
            | Reason::ProductNotInAuction
            | Reason::NotYetAccepted
            | Reason::RatingWindowOver { .. }
            | Reason::SizeDeclared
            | Reason::NotSme => {}
        }
    }
    reasons
}

fn every_alert() -> Vec<AlertKind> {
    let kinds = vec![
        AlertKind::AbnormalPrice,
        AlertKind::AbnormalBid,
        AlertKind::SplitPurchase,
        AlertKind::FewBidders,
        AlertKind::IdenticalBids,
        AlertKind::BidRotation,
        AlertKind::LatePayment,
        AlertKind::ContractDeclined,
        AlertKind::ChallengeUnanswered,
        AlertKind::RulingOverdue,
        AlertKind::LowScore,
        AlertKind::RepeatedDeclines,
    ];
    for kind in &kinds {
        match kind {
            AlertKind::AbnormalPrice
            | AlertKind::AbnormalBid
            | AlertKind::SplitPurchase
            | AlertKind::FewBidders
            | AlertKind::IdenticalBids
            | AlertKind::BidRotation
            | AlertKind::LatePayment
            | AlertKind::ContractDeclined
            | AlertKind::ChallengeUnanswered
            | AlertKind::RulingOverdue
            | AlertKind::LowScore
            | AlertKind::RepeatedDeclines => {}
        }
    }
    kinds
}

/// The names of every function in the repository's Rust sources.
fn functions() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut folders: Vec<PathBuf> = ["engine", "gateway", "tests", "benches", "ops"]
        .iter()
        .map(|f| repository().join(f))
        .collect();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a source folder").flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() && !matches!(name, "target" | "node_modules") {
                folders.push(path);
            } else if name.ends_with(".rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                for piece in text.split("fn ").skip(1) {
                    let name: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if piece[name.len()..].starts_with('(') {
                        names.insert(name);
                    }
                }
            }
        }
    }
    names
}

#[test]
fn every_rule_the_engine_reports_is_in_the_catalogue_under_its_code() {
    let rules = catalogue();
    let areas = ["input", "auth", "settlement"];
    for reason in every_reason() {
        let (rule, code) = (reason.rule(), reason.code());
        if areas.contains(&rule) {
            continue;
        }
        let listed = rules
            .get(rule)
            .unwrap_or_else(|| panic!("{reason:?} reports {rule}, not in docs/RULES.md"));
        assert!(listed.codes.contains(code), "{rule} does not list the code {code} of {reason:?}");
    }
    for kind in every_alert() {
        let (rule, code) = (kind.rule(), kind.code());
        let listed =
            rules.get(rule).unwrap_or_else(|| panic!("alert {kind:?} reports {rule}, not listed"));
        assert!(listed.codes.contains(code), "{rule} does not list the alert code {code}");
    }
}

#[test]
fn every_rule_built_names_tests_that_exist_and_every_rule_named_test_is_listed() {
    let rules = catalogue();
    let functions = functions();
    for (id, rule) in &rules {
        let built = rule.status.starts_with("built") || rule.status.starts_with("partly built");
        assert!(
            built || rule.status.starts_with("not yet built"),
            "{id}: status is built, partly built or not yet built, not {:?}",
            rule.status
        );
        assert!(!built || !rule.tests.is_empty(), "{id} is built but names no test");
        for test in &rule.tests {
            assert!(functions.contains(test), "{id} names the test {test}, which does not exist");
        }
    }
    // A test named for rules (`a2_...`, `p2_p3_...`) names rules that exist.
    for name in &functions {
        for prefix in name.split('_').take_while(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_ascii_lowercase())
                && part.len() > 1
                && chars.all(|c| c.is_ascii_digit())
        }) {
            let id = format!("{}-{}", prefix[..1].to_uppercase(), &prefix[1..]);
            assert!(rules.contains_key(&id), "the function {name} is named for {id}, not listed");
        }
    }
}

//! Inquiry views: what each audience of an inquiry may see, for REST and the live feed
//! alike.
//!
//! Before a round's opening nothing about its quotes is shown to anyone: not how many, not who, not
//! what; the views carry only the terms, the deadline and how earlier rounds ended. The purchaser
//! (and an operator) sees whom it invited; an invited supplier sees only that it is invited. Once
//! the inquiry has ended, the results publish every round's receipts and opened quotes with names,
//! so anyone can recompute each commitment.

use engine::Event;
use engine::catalog::ParticipantKind;
use engine::inquiry::{
    Exclusion, Inquiry, InquiryKind, InquiryState, OpenedQuote, QuoteDefect, Quoter, Round,
    RoundOutcome,
};
use engine::types::{DealId, ParticipantId, Timestamp};
use serde::Serialize;

use super::{Names, Viewer};

/// Who is looking at an inquiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The purchasing unit that opened it.
    Purchaser,
    /// A supplier invited to one of its rounds.
    Invitee(ParticipantId),
    /// An operator, or an analyst of its region; anyone once it has ended.
    Observer,
}

/// How `viewer` may see `q`, if at all.
pub fn audience(viewer: &Viewer, q: &Inquiry) -> Option<Audience> {
    let me = viewer.participant;
    let inside = match viewer.role {
        ParticipantKind::Purchaser if q.purchaser == me => return Some(Audience::Purchaser),
        ParticipantKind::Supplier if q.rounds.iter().any(|r| r.invited.contains(&me)) => {
            return Some(Audience::Invitee(me));
        }
        ParticipantKind::Purchaser | ParticipantKind::Supplier => false,
        ParticipantKind::Analyst | ParticipantKind::Operator => {
            viewer.region.is_none_or(|oversees| q.region.contains(oversees.region()))
        }
    };
    (inside || ended(q)).then_some(Audience::Observer)
}

/// True once the inquiry can change no more: its results may be published.
pub fn ended(q: &Inquiry) -> bool {
    matches!(q.state, InquiryState::Awarded | InquiryState::Failed | InquiryState::Cancelled)
}

/// A party, named with its credit code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PartyView {
    pub id: u64,
    pub name: String,
    pub credit_code: String,
}

/// How a round ended, as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum OutcomeView {
    /// Too few suppliers quoted: nothing was opened.
    FailedUnopened { suppliers: u32 },
    /// Opened, too few valid quotes.
    FailedOpened { valid_quotes: u32 },
    /// Awarded to the lowest valid total.
    Awarded { winner: PartyView, amount: String },
    /// Cancelled before its deadline.
    Cancelled,
}

fn outcome(outcome: Option<&RoundOutcome>, names: Names<'_>) -> Option<OutcomeView> {
    Some(match outcome? {
        RoundOutcome::FailedUnopened { suppliers } => {
            OutcomeView::FailedUnopened { suppliers: *suppliers }
        }
        RoundOutcome::FailedOpened { valid } => OutcomeView::FailedOpened { valid_quotes: *valid },
        RoundOutcome::Awarded { winner, amount } => {
            OutcomeView::Awarded { winner: party(*winner, names), amount: amount.to_string() }
        }
        RoundOutcome::Cancelled => OutcomeView::Cancelled,
    })
}

fn party(id: ParticipantId, names: Names<'_>) -> PartyView {
    let (name, credit_code) = names(id).unwrap_or_default();
    PartyView { id: id.0, name, credit_code }
}

/// A line of what is bought.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub product: u64,
    pub quantity: String,
    pub ceiling: String,
    pub name: Option<String>,
    pub unit: Option<String>,
}

/// A round and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoundView {
    pub number: u32,
    pub deadline_ms: i64,
    /// None while it runs.
    pub outcome: Option<OutcomeView>,
}

/// An inquiry as its audience may see it: never a quote before its opening, never the invitees
/// but to the purchaser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InquiryView {
    pub id: u64,
    /// Reserved for small and medium enterprises: every invitee is one (S-2).
    pub reserved: bool,
    /// The Open Contracting id.
    pub ocid: String,
    /// inquiry or secondary_competition.
    pub kind: &'static str,
    pub purchaser: PartyView,
    pub region: String,
    pub lines: Vec<LineView>,
    pub state: &'static str,
    pub round: u32,
    pub max_rounds: u32,
    pub deadline_ms: i64,
    pub seconds_left: i64,
    pub rounds: Vec<RoundView>,
    pub results_published: bool,
    /// The purchaser's: its budget line, the hold and the current round's invitees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited: Option<Vec<PartyView>>,
    /// An invitee's: whether it is invited to the current round and may quote now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_to_current_round: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub may_quote: Option<bool>,
    /// The sequence it was read as of, on a read of one inquiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of_seq: Option<u64>,
}

/// The inquiry as `audience` may see it at `now`.
pub fn view(
    engine: &engine::Engine,
    q: &Inquiry,
    audience: Audience,
    now: Timestamp,
) -> InquiryView {
    let names: Names<'_> = &super::names_in(engine);
    let round = q.round();
    let collecting = q.state == InquiryState::Collecting;
    let mut view = InquiryView {
        id: q.id.0,
        ocid: crate::publish::ocid(q.id),
        reserved: q.reserved,
        kind: match q.kind {
            InquiryKind::Inquiry => "inquiry",
            InquiryKind::SecondaryCompetition => "secondary_competition",
        },
        purchaser: party(q.purchaser, names),
        region: q.region.region().to_string(),
        lines: q
            .spec
            .lines
            .iter()
            .map(|l| {
                let product = engine.product(l.product);
                LineView {
                    product: l.product.0,
                    quantity: l.quantity.to_string(),
                    ceiling: l.ceiling.to_string(),
                    name: product.map(|p| format!("{} {}", p.brand, p.model)),
                    unit: product.map(|p| p.unit.clone()),
                }
            })
            .collect(),
        state: q.state.name(),
        round: round.number,
        max_rounds: q.spec.max_rounds,
        deadline_ms: round.deadline.ms(),
        seconds_left: if collecting { (round.deadline.ms() - now.ms()).max(0) / 1000 } else { 0 },
        rounds: q
            .rounds
            .iter()
            .map(|r| RoundView {
                number: r.number,
                deadline_ms: r.deadline.ms(),
                outcome: outcome(r.outcome.as_ref(), names),
            })
            .collect(),
        results_published: ended(q),
        budget_line: None,
        hold: None,
        invited: None,
        invited_to_current_round: None,
        may_quote: None,
        as_of_seq: None,
    };
    match audience {
        Audience::Purchaser => {
            view.budget_line = Some(q.spec.budget_line.0);
            view.hold = Some(q.hold.to_string());
            view.invited = Some(round.invited.iter().map(|p| party(*p, names)).collect());
        }
        Audience::Invitee(me) => {
            view.invited_to_current_round = Some(q.invites(me));
            view.may_quote = Some(collecting && q.invites(me));
        }
        Audience::Observer => {}
    }
    view
}

/// What the inquiry's topic carries on a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InquiryEvent {
    /// Always `inquiry`.
    pub kind: &'static str,
    #[serde(flatten)]
    pub change: InquiryChange,
}

/// A change of an inquiry, as its topic publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum InquiryChange {
    Opened { round: u32, deadline_ms: i64 },
    Closed { round: u32, message: &'static str },
    RoundFailed { round: u32, outcome: Option<OutcomeView> },
    RoundOpened { round: u32, deadline_ms: i64 },
    Awarded { round: u32, winner: PartyView, amount: String },
    Failed { reason: String },
    Cancelled { reason: String },
}

/// What the inquiry's topic carries on a change: built from the event alone. Submissions and the
/// counting and opening of quotes are not published here at all: the results carry them once the
/// inquiry has ended.
pub fn feed_view(event: &Event, names: Names<'_>) -> Option<(DealId, InquiryEvent)> {
    let (id, change) = match event {
        Event::InquiryOpened { inquiry, spec, .. } => {
            (*inquiry, InquiryChange::Opened { round: 1, deadline_ms: spec.deadline.ms() })
        }
        Event::QuotesClosed { inquiry, round } => (
            *inquiry,
            InquiryChange::Closed {
                round: *round,
                message: "the deadline has passed: quotes are fixed and are being opened",
            },
        ),
        Event::InquiryRoundFailed { inquiry, round, outcome: o } => (
            *inquiry,
            InquiryChange::RoundFailed { round: *round, outcome: outcome(Some(o), names) },
        ),
        Event::InquiryRoundOpened { inquiry, round, deadline, .. } => {
            (*inquiry, InquiryChange::RoundOpened { round: *round, deadline_ms: deadline.ms() })
        }
        Event::InquiryAwarded { inquiry, round, winner, amount, .. } => (
            *inquiry,
            InquiryChange::Awarded {
                round: *round,
                winner: party(*winner, names),
                amount: amount.to_string(),
            },
        ),
        Event::InquiryFailed { inquiry, reason } => {
            (*inquiry, InquiryChange::Failed { reason: reason.clone() })
        }
        Event::InquiryCancelled { inquiry, reason } => {
            (*inquiry, InquiryChange::Cancelled { reason: reason.clone() })
        }
        _ => return None,
    };
    Some((id, InquiryEvent { kind: "inquiry", change }))
}

/// What a subscriber is sent on subscribing or after lagging.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InquirySnapshot {
    pub id: u64,
    pub state: &'static str,
    pub round: u32,
    pub deadline_ms: i64,
}

/// What a subscriber is sent on subscribing or after lagging: the state, round and deadline.
pub fn snapshot(q: &Inquiry) -> InquirySnapshot {
    InquirySnapshot {
        id: q.id.0,
        state: q.state.name(),
        round: q.round_number(),
        deadline_ms: q.round().deadline.ms(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a supplier's quote does not count toward the quorum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ExclusionView {
    Withdrawn,
    NotInvited,
    SupplierInactive,
    AgreementLapsed,
    Affiliate { affiliate_of: u64 },
}

fn exclusion(excluded: Option<Exclusion>) -> Option<ExclusionView> {
    Some(match excluded? {
        Exclusion::Withdrawn => ExclusionView::Withdrawn,
        Exclusion::NotInvited => ExclusionView::NotInvited,
        Exclusion::Inactive => ExclusionView::SupplierInactive,
        Exclusion::AgreementLapsed => ExclusionView::AgreementLapsed,
        Exclusion::Affiliate { of } => ExclusionView::Affiliate { affiliate_of: of.0 },
    })
}

/// Why an opened quote is invalid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DefectView {
    /// A line above its ceiling, from 0.
    AboveCeiling {
        line: u32,
    },
    Malformed,
    CommitmentMismatch,
    Unreadable,
}

fn defect(defect: Option<QuoteDefect>) -> Option<DefectView> {
    Some(match defect? {
        QuoteDefect::AboveCeiling { line } => DefectView::AboveCeiling { line },
        QuoteDefect::Malformed => DefectView::Malformed,
        QuoteDefect::CommitmentMismatch => DefectView::CommitmentMismatch,
        QuoteDefect::Unreadable => DefectView::Unreadable,
    })
}

/// A supplier that quoted in a round: how many times, its final receipt, whether it counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuoterView {
    pub supplier: PartyView,
    pub submissions: u32,
    pub final_receipt_seq: Option<u64>,
    pub withdrawn: bool,
    pub excluded: Option<ExclusionView>,
}

fn quoter(q: &Quoter, r: &Round, names: Names<'_>) -> QuoterView {
    let final_submission = r.submissions.get(usize::try_from(q.submission).unwrap_or(usize::MAX));
    QuoterView {
        supplier: party(q.supplier, names),
        submissions: q.submissions,
        final_receipt_seq: final_submission.map(|s| s.receipt.0),
        withdrawn: q.withdrawn,
        excluded: exclusion(q.excluded),
    }
}

/// An opened quote, with the nonce that lets anyone recompute its commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenedView {
    pub supplier: PartyView,
    /// Unit prices by line; none when unreadable.
    pub prices: Option<Vec<String>>,
    pub nonce: Option<String>,
    pub total: Option<String>,
    pub commitment: String,
    pub receipt_seq: u64,
    pub received_ms: i64,
    pub defect: Option<DefectView>,
}

fn opened(o: &OpenedQuote, names: Names<'_>) -> OpenedView {
    OpenedView {
        supplier: party(o.supplier, names),
        prices: o.content.as_ref().map(|c| c.prices.iter().map(ToString::to_string).collect()),
        nonce: o.content.as_ref().map(|c| hex(&c.nonce)),
        total: o.total.map(|t| t.to_string()),
        commitment: o.commitment.to_string(),
        receipt_seq: o.receipt.0,
        received_ms: o.at.ms(),
        defect: defect(o.defect),
    }
}

/// A sealed submission's receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReceiptView {
    pub commitment: String,
    pub receipt_seq: u64,
    pub received_ms: i64,
}

/// A round as the results publish it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoundResults {
    pub number: u32,
    pub deadline_ms: i64,
    pub outcome: Option<OutcomeView>,
    /// Every receipt, in receipt order.
    pub receipts: Vec<ReceiptView>,
    pub quoters: Vec<QuoterView>,
    pub quotes: Vec<OpenedView>,
    /// Each valid total as ranked: after the small-enterprise deduction for a small or micro
    /// enterprise in a deal not reserved, as quoted otherwise (S-2). The trade is at the total.
    pub ranked_at: Vec<RankedAt>,
}

/// A valid quote's total as ranked (S-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RankedAt {
    pub supplier: u64,
    pub total: String,
    pub ranked_at: String,
}

/// The published results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InquiryResults {
    pub inquiry: u64,
    pub state: &'static str,
    /// How a commitment is computed, to check one by hand.
    pub commitment_scheme: &'static str,
    pub rounds: Vec<RoundResults>,
}

/// The published results: per round every receipt in receipt order, each supplier's final
/// submission and whether it counted, and the opened quotes with the nonces that let anyone
/// recompute their commitments. A round that failed unopened publishes who quoted, never prices.
pub fn results(q: &Inquiry, names: Names<'_>) -> InquiryResults {
    InquiryResults {
        inquiry: q.id.0,
        state: q.state.name(),
        commitment_scheme: "SHA-256 over \"gp-quote-v1\" | inquiry u64 | round u32 | supplier u64 | withdrawn u8 | lines u32 | each price in 0.0001 yuan i64 | nonce (16 bytes), integers big-endian",
        rounds: q
            .rounds
            .iter()
            .map(|r| RoundResults {
                number: r.number,
                deadline_ms: r.deadline.ms(),
                outcome: outcome(r.outcome.as_ref(), names),
                // A round cancelled before its deadline never opened: not even its count is
                // published.
                receipts: r
                    .submissions
                    .iter()
                    .filter(|_| r.outcome != Some(RoundOutcome::Cancelled))
                    .map(|s| ReceiptView {
                        commitment: s.sealed.commitment.to_string(),
                        receipt_seq: s.receipt.0,
                        received_ms: s.at.ms(),
                    })
                    .collect(),
                quoters: r.quoters.iter().map(|x| quoter(x, r, names)).collect(),
                quotes: r.opened.iter().map(|o| opened(o, names)).collect(),
                ranked_at: r
                    .evaluated
                    .iter()
                    .filter_map(|(supplier, ranked)| {
                        let total = r.opened.iter().find(|o| o.supplier == *supplier)?.total?;
                        Some(RankedAt {
                            supplier: supplier.0,
                            total: total.to_string(),
                            ranked_at: ranked.to_string(),
                        })
                    })
                    .collect(),
            })
            .collect(),
    }
}

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
use serde_json::{Value, json};

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

/// How a round ended, as published; `None` while it runs.
fn outcome(outcome: Option<&RoundOutcome>, names: Names<'_>) -> Value {
    match outcome {
        None => Value::Null,
        Some(RoundOutcome::FailedUnopened { suppliers }) => {
            json!({ "result": "failed_unopened", "suppliers": suppliers })
        }
        Some(RoundOutcome::FailedOpened { valid }) => {
            json!({ "result": "failed_opened", "valid_quotes": valid })
        }
        Some(RoundOutcome::Awarded { winner, amount }) => json!({
            "result": "awarded", "winner": party(*winner, names), "amount": amount.to_string(),
        }),
        Some(RoundOutcome::Cancelled) => json!({ "result": "cancelled" }),
    }
}

fn party(id: ParticipantId, names: Names<'_>) -> Value {
    let (name, credit_code) = names(id).unwrap_or_default();
    json!({ "id": id.0, "name": name, "credit_code": credit_code })
}

/// The inquiry as `audience` may see it at `now`.
pub fn view(engine: &engine::Engine, q: &Inquiry, audience: Audience, now: Timestamp) -> Value {
    let names: Names<'_> = &super::names_in(engine);
    let round = q.round();
    let collecting = q.state == InquiryState::Collecting;
    let mut view = json!({
        "id": q.id.0,
        "ocid": format!("ocds-gpzj-{}", q.id.0),
        "kind": match q.kind {
            InquiryKind::Inquiry => "inquiry",
            InquiryKind::SecondaryCompetition => "secondary_competition",
        },
        "purchaser": party(q.purchaser, names),
        "region": q.region.region().to_string(),
        "lines": q.spec.lines.iter().map(|l| {
            let product = engine.product(l.product);
            json!({
                "product": l.product.0, "quantity": l.quantity.to_string(), "ceiling": l.ceiling.to_string(),
                "name": product.map(|p| format!("{} {}", p.brand, p.model)),
                "unit": product.map(|p| p.unit.clone()),
            })
        }).collect::<Vec<_>>(),
        "state": q.state.name(),
        "round": round.number,
        "max_rounds": q.spec.max_rounds,
        "deadline_ms": round.deadline.ms(),
        "seconds_left": if collecting { (round.deadline.ms() - now.ms()).max(0) / 1000 } else { 0 },
        "rounds": q.rounds.iter().map(|r| json!({
            "number": r.number, "deadline_ms": r.deadline.ms(), "outcome": outcome(r.outcome.as_ref(), names),
        })).collect::<Vec<_>>(),
        "results_published": ended(q),
    });
    match audience {
        Audience::Purchaser => {
            view["budget_line"] = json!(q.spec.budget_line.0);
            view["hold"] = json!(q.hold.to_string());
            view["invited"] =
                json!(round.invited.iter().map(|p| party(*p, names)).collect::<Vec<_>>());
        }
        Audience::Invitee(me) => {
            view["invited_to_current_round"] = json!(q.invites(me));
            view["may_quote"] = json!(collecting && q.invites(me));
        }
        Audience::Observer => {}
    }
    view
}

/// What the inquiry's topic carries on a change: built from the event alone. Submissions and the
/// counting and opening of quotes are not published here at all: the results carry them once the
/// inquiry has ended.
pub fn feed_view(event: &Event, names: Names<'_>) -> Option<(DealId, Value)> {
    let (id, view) = match event {
        Event::InquiryOpened { inquiry, spec, .. } => (
            *inquiry,
            json!({ "kind": "inquiry", "event": "opened", "round": 1, "deadline_ms": spec.deadline.ms() }),
        ),
        Event::QuotesClosed { inquiry, round } => (
            *inquiry,
            json!({ "kind": "inquiry", "event": "closed", "round": round,
                "message": "the deadline has passed: quotes are fixed and are being opened" }),
        ),
        Event::InquiryRoundFailed { inquiry, round, outcome: o } => (
            *inquiry,
            json!({ "kind": "inquiry", "event": "round_failed", "round": round, "outcome": outcome(Some(o), names) }),
        ),
        Event::InquiryRoundOpened { inquiry, round, deadline, .. } => (
            *inquiry,
            json!({ "kind": "inquiry", "event": "round_opened", "round": round, "deadline_ms": deadline.ms() }),
        ),
        Event::InquiryAwarded { inquiry, round, winner, amount, .. } => (
            *inquiry,
            json!({ "kind": "inquiry", "event": "awarded", "round": round,
                "winner": party(*winner, names), "amount": amount.to_string() }),
        ),
        Event::InquiryFailed { inquiry, reason } => {
            (*inquiry, json!({ "kind": "inquiry", "event": "failed", "reason": reason }))
        }
        Event::InquiryCancelled { inquiry, reason } => {
            (*inquiry, json!({ "kind": "inquiry", "event": "cancelled", "reason": reason }))
        }
        _ => return None,
    };
    Some((id, view))
}

/// What a subscriber is sent on subscribing or after lagging: the state, round and deadline.
pub fn snapshot(q: &Inquiry) -> Value {
    json!({ "id": q.id.0, "state": q.state.name(), "round": q.round_number(),
        "deadline_ms": q.round().deadline.ms() })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn exclusion(excluded: Option<Exclusion>) -> Value {
    match excluded {
        None => Value::Null,
        Some(Exclusion::Withdrawn) => json!({ "reason": "withdrawn" }),
        Some(Exclusion::NotInvited) => json!({ "reason": "not_invited" }),
        Some(Exclusion::Inactive) => json!({ "reason": "supplier_inactive" }),
        Some(Exclusion::AgreementLapsed) => json!({ "reason": "agreement_lapsed" }),
        Some(Exclusion::Affiliate { of }) => json!({ "reason": "affiliate", "affiliate_of": of.0 }),
    }
}

fn defect(defect: Option<QuoteDefect>) -> Value {
    match defect {
        None => Value::Null,
        Some(QuoteDefect::AboveCeiling { line }) => {
            json!({ "reason": "above_ceiling", "line": line })
        }
        Some(QuoteDefect::Malformed) => json!({ "reason": "malformed" }),
        Some(QuoteDefect::CommitmentMismatch) => json!({ "reason": "commitment_mismatch" }),
        Some(QuoteDefect::Unreadable) => json!({ "reason": "unreadable" }),
    }
}

fn quoter(q: &Quoter, r: &Round, names: Names<'_>) -> Value {
    let final_submission = r.submissions.get(usize::try_from(q.submission).unwrap_or(usize::MAX));
    json!({
        "supplier": party(q.supplier, names),
        "submissions": q.submissions,
        "final_receipt_seq": final_submission.map(|s| s.receipt.0),
        "withdrawn": q.withdrawn,
        "excluded": exclusion(q.excluded),
    })
}

fn opened(o: &OpenedQuote, names: Names<'_>) -> Value {
    json!({
        "supplier": party(o.supplier, names),
        "prices": o.content.as_ref().map(|c| c.prices.iter().map(ToString::to_string).collect::<Vec<_>>()),
        "nonce": o.content.as_ref().map(|c| hex(&c.nonce)),
        "total": o.total.map(|t| t.to_string()),
        "commitment": o.commitment.to_string(),
        "receipt_seq": o.receipt.0,
        "received_ms": o.at.ms(),
        "defect": defect(o.defect),
    })
}

/// The published results: per round every receipt in receipt order, each supplier's final
/// submission and whether it counted, and the opened quotes with the nonces that let anyone
/// recompute their commitments. A round that failed unopened publishes who quoted, never prices.
pub fn results(q: &Inquiry, names: Names<'_>) -> Value {
    json!({
        "inquiry": q.id.0,
        "state": q.state.name(),
        "commitment_scheme": "SHA-256 over \"gp-quote-v1\" | inquiry u64 | round u32 | supplier u64 | withdrawn u8 | lines u32 | each price in 0.0001 yuan i64 | nonce (16 bytes), integers big-endian",
        "rounds": q.rounds.iter().map(|r| json!({
            "number": r.number,
            "deadline_ms": r.deadline.ms(),
            "outcome": outcome(r.outcome.as_ref(), names),
            // A round cancelled before its deadline never opened: not even its count is published.
            "receipts": r.submissions.iter().filter(|_| r.outcome != Some(RoundOutcome::Cancelled)).map(|s| json!({
                "commitment": s.sealed.commitment.to_string(), "receipt_seq": s.receipt.0, "received_ms": s.at.ms(),
            })).collect::<Vec<_>>(),
            "quoters": r.quoters.iter().map(|x| quoter(x, r, names)).collect::<Vec<_>>(),
            "quotes": r.opened.iter().map(|o| opened(o, names)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

//! An award and what followed it (C-1 to C-5), as each viewer may see it. The award, its ranking
//! and its trades are public to everyone who may see the deal once its results are out.
//! Challenges are not: while the deal is under way the purchaser (who must answer) and the
//! operators over its region (who hear complaints) see them all, a challenger its own, nobody else
//! any; once the deal has ended, everyone who may see it sees them all, names included (C-5).

use engine::Engine;
use engine::award::{Award, AwardState, Challenge, ChallengeState};
use engine::catalog::ParticipantKind;
use serde::Serialize;

use super::trade::TradeView;
use super::{Names, Viewer};

/// How a viewer stands to an award.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// The purchasing unit.
    Purchaser,
    /// A supplier that took part: may challenge (C-2).
    Participant,
    /// An operator whose region holds the deal's: hears complaints (C-3).
    Regulator,
    /// An analyst over the deal's region, or a supplier that did not take part.
    Onlooker,
}

/// How `viewer` stands to `award`, or `None` when the deal is none of its business: another
/// purchaser's, outside the region it oversees.
pub fn standing(viewer: &Viewer, award: &Award) -> Option<Standing> {
    let oversees = || viewer.region.as_ref().is_none_or(|own| award.region.contains(own.region()));
    match viewer.role {
        ParticipantKind::Purchaser if viewer.participant == award.purchaser => {
            Some(Standing::Purchaser)
        }
        ParticipantKind::Purchaser => None,
        ParticipantKind::Supplier if award.took_part(viewer.participant) => {
            Some(Standing::Participant)
        }
        ParticipantKind::Supplier => Some(Standing::Onlooker),
        ParticipantKind::Operator => oversees().then_some(Standing::Regulator),
        ParticipantKind::Analyst => oversees().then_some(Standing::Onlooker),
    }
}

/// True once nothing more can happen to the deal's challenges: the award final or failed, no
/// challenge waiting for an answer and no complaint waiting for a ruling (C-5).
pub fn ended(award: &Award) -> bool {
    matches!(award.state, AwardState::Final | AwardState::Failed)
        && award
            .challenges
            .iter()
            .all(|c| !c.state.is_open() && c.state != ChallengeState::Complained)
}

/// A bid or quote in rank order.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RankedView {
    /// Its rank, from 1.
    pub rank: u32,
    /// The supplier.
    pub supplier: u64,
    /// Its name.
    pub name: String,
    /// Its total, yuan.
    pub amount: String,
    /// Its unit price per line, yuan.
    pub prices: Vec<String>,
    /// Awarded and annulled or declined, or passed over as no longer valid (C-4).
    pub passed: bool,
}

/// A challenge and, when it went on, its complaint.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChallengeView {
    /// The challenger.
    pub challenger: u64,
    /// Its name.
    pub name: String,
    /// `filed`, `dismissed`, `upheld`, `unanswered`, `complained`, `complaint_dismissed`,
    /// `complaint_upheld`.
    pub state: &'static str,
    /// Its grounds.
    pub grounds: String,
    /// When filed, Unix milliseconds.
    pub filed_ms: i64,
    /// The purchaser answers before this.
    pub answer_due_ms: i64,
    /// The purchaser's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// When answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_ms: Option<i64>,
    /// The answer fell overdue (an alert was raised).
    pub answer_overdue: bool,
    /// The challenger may complain before this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint_due_ms: Option<i64>,
    /// The complaint's grounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint: Option<String>,
    /// When complained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complained_ms: Option<i64>,
    /// The regulator rules before this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruling_due_ms: Option<i64>,
    /// The ruling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruling: Option<String>,
    /// When ruled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruled_ms: Option<i64>,
    /// The ruling fell overdue (an alert was raised).
    pub ruling_overdue: bool,
}

/// An award as the viewer may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AwardView {
    /// The auction or inquiry.
    pub deal: u64,
    /// `auction` or `inquiry`.
    pub mode: &'static str,
    /// `provisional`, `final`, `vacant` or `failed`.
    pub state: &'static str,
    /// The purchasing unit.
    pub purchaser: u64,
    /// The current (or last) winner's rank, from 1.
    pub rank: u32,
    /// When its results were published, Unix milliseconds.
    pub published_ms: i64,
    /// When its challenge period ends (C-1).
    pub period_ends_ms: i64,
    /// The regulator's reason, while suspended (C-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<String>,
    /// Valid bids or quotes in rank order.
    pub ranking: Vec<RankedView>,
    /// The trades of the current (or last) award.
    pub trades: Vec<TradeView>,
    /// The challenges the viewer may see.
    pub challenges: Vec<ChallengeView>,
    /// The viewer may file a challenge now (C-2).
    pub may_challenge: bool,
    /// The viewer may complain now (C-3).
    pub may_complain: bool,
    /// The deal has ended: its challenges are public (C-5).
    pub ended: bool,
    /// The engine sequence this view is as of.
    pub as_of_seq: u64,
}

/// The view of `award` for a viewer standing as `standing`.
pub fn view(
    engine: &Engine,
    viewer: &Viewer,
    standing: Standing,
    award: &Award,
    names: Names<'_>,
) -> AwardView {
    let name = |p| names(p).map(|(n, _)| n).unwrap_or_default();
    let ended = ended(award);
    let shows = |c: &Challenge| {
        ended
            || matches!(standing, Standing::Purchaser | Standing::Regulator)
            || (standing == Standing::Participant && c.challenger == viewer.participant)
    };
    let now = engine.clock();
    let own = award.challenge(viewer.participant);
    let may_challenge = standing == Standing::Participant
        && own.is_none()
        && award.state == AwardState::Provisional
        && now < award.period_ends;
    let may_complain = own.is_some_and(|c| {
        matches!(c.state, ChallengeState::Dismissed | ChallengeState::Unanswered)
            && c.complaint_due.is_none_or(|due| now < due)
    });
    AwardView {
        deal: award.deal.0,
        mode: award.mode.name(),
        state: award.state.name(),
        purchaser: award.purchaser.0,
        rank: u32::try_from(award.rank + 1).unwrap_or(u32::MAX),
        published_ms: award.published.ms(),
        period_ends_ms: award.period_ends.ms(),
        suspended: award.suspended.clone(),
        ranking: award
            .ranking
            .iter()
            .enumerate()
            .map(|(at, c)| RankedView {
                rank: u32::try_from(at + 1).unwrap_or(u32::MAX),
                supplier: c.supplier.0,
                name: name(c.supplier),
                amount: c.amount.to_string(),
                prices: c.prices.iter().map(ToString::to_string).collect(),
                passed: c.passed,
            })
            .collect(),
        trades: award
            .trades
            .iter()
            .filter_map(|t| engine.trade(*t))
            .map(|r| TradeView::of(&r.trade, Some(r)).rated(engine.rating(r.trade.id)))
            .collect(),
        challenges: award
            .challenges
            .iter()
            .filter(|c| shows(c))
            .map(|c| challenge_view(c, name(c.challenger)))
            .collect(),
        may_challenge,
        may_complain,
        ended,
        as_of_seq: engine.seq().0,
    }
}

/// A challenge as shown: to its parties at once, to everyone once the deal has ended (C-5).
pub fn challenge_view(c: &Challenge, name: String) -> ChallengeView {
    let ms = |t: Option<engine::types::Timestamp>| t.map(|t| t.ms());
    ChallengeView {
        challenger: c.challenger.0,
        name,
        state: c.state.name(),
        grounds: c.grounds.clone(),
        filed_ms: c.filed.ms(),
        answer_due_ms: c.answer_due.ms(),
        reply: c.reply.as_ref().map(|(text, _)| text.clone()),
        answered_ms: ms(c.reply.as_ref().map(|(_, at)| *at)),
        answer_overdue: c.unanswered.is_some(),
        complaint_due_ms: ms(c.complaint_due),
        complaint: c.complaint.as_ref().map(|(text, _)| text.clone()),
        complained_ms: ms(c.complaint.as_ref().map(|(_, at)| *at)),
        ruling_due_ms: ms(c.ruling_due),
        ruling: c.ruling.as_ref().map(|(text, _)| text.clone()),
        ruled_ms: ms(c.ruling.as_ref().map(|(_, at)| *at)),
        ruling_overdue: c.ruling_overdue.is_some(),
    }
}

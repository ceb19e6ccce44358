//! Challenges (质疑, C-2) and complaints (投诉, C-3): a supplier that took part challenges the award
//! within its period, naming its grounds; the purchaser answers within 7 working days; a challenger
//! dismissed, or not answered in time, may complain to the regulator of the deal's region within 15
//! working days, who may suspend the deal and rules within 30.
//!
//! ```text
//! Filed --Dismiss--> Dismissed --Complain--> Complained --DismissComplaint--> ComplaintDismissed
//!   |  --Uphold---> Upheld                        |      --UpholdComplaint--> ComplaintUpheld
//!   +--Lapse--> Unanswered --Complain-------------+
//!               Unanswered --Dismiss | Uphold--> (a late answer)
//! ```

use serde::{Deserialize, Serialize};

use super::{
    Award, AwardState, CHALLENGE_WORKING_DAYS, COMPLAINT_WORKING_DAYS, RULING_WORKING_DAYS, Timer,
    TimerKind, Vacancy,
};
use crate::catalog::{ParticipantKind, text_ok};
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, DealId, ParticipantId, Seq, Timestamp, UserId};

/// Where a challenge stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeState {
    /// Filed; the purchaser has not answered and its time has not run out.
    Filed,
    /// The purchaser dismissed it.
    Dismissed,
    /// The purchaser upheld it: the award was annulled (C-4).
    Upheld,
    /// The purchaser's time ran out without an answer.
    Unanswered,
    /// The challenger complained to the regulator.
    Complained,
    /// The regulator dismissed the complaint.
    ComplaintDismissed,
    /// The regulator upheld the complaint: the award was annulled (C-4).
    ComplaintUpheld,
}

/// What moves a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeStep {
    /// The purchaser dismisses it.
    Dismiss,
    /// The purchaser upholds it.
    Uphold,
    /// The purchaser's time to answer runs out.
    Lapse,
    /// The challenger complains to the regulator.
    Complain,
    /// The regulator dismisses the complaint.
    DismissComplaint,
    /// The regulator upholds the complaint.
    UpholdComplaint,
}

impl ChallengeState {
    /// The transition table: the state after `step`, or `None` when it does not apply.
    pub const fn after(self, step: ChallengeStep) -> Option<ChallengeState> {
        use ChallengeState as S;
        use ChallengeStep as E;
        match (self, step) {
            (S::Filed | S::Unanswered, E::Dismiss) => Some(S::Dismissed),
            (S::Filed | S::Unanswered, E::Uphold) => Some(S::Upheld),
            (S::Filed, E::Lapse) => Some(S::Unanswered),
            (S::Dismissed | S::Unanswered, E::Complain) => Some(S::Complained),
            (S::Complained, E::DismissComplaint) => Some(S::ComplaintDismissed),
            (S::Complained, E::UpholdComplaint) => Some(S::ComplaintUpheld),
            (S::Filed, E::Complain | E::DismissComplaint | E::UpholdComplaint)
            | (S::Unanswered, E::Lapse | E::DismissComplaint | E::UpholdComplaint)
            | (S::Dismissed, E::Dismiss | E::Uphold | E::Lapse)
            | (S::Dismissed, E::DismissComplaint | E::UpholdComplaint)
            | (S::Complained, E::Dismiss | E::Uphold | E::Lapse | E::Complain)
            | (S::Upheld | S::ComplaintDismissed | S::ComplaintUpheld, _) => None,
        }
    }

    /// True while the purchaser owes an answer: the award stays provisional (C-2).
    pub const fn is_open(self) -> bool {
        matches!(self, ChallengeState::Filed | ChallengeState::Unanswered)
    }
}

/// A challenge and, when it went on, its complaint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// The supplier that filed it.
    pub challenger: ParticipantId,
    /// Its grounds.
    pub grounds: String,
    /// When it was filed.
    pub filed: Timestamp,
    /// The purchaser answers before this (C-2).
    pub answer_due: Timestamp,
    /// Where it stands.
    pub state: ChallengeState,
    /// The purchaser's answer and when it was given.
    pub reply: Option<(String, Timestamp)>,
    /// The command and time at which the answer fell overdue: an alert (C-2).
    pub unanswered: Option<(Seq, Timestamp)>,
    /// The challenger may complain before this (C-3), once answered or overdue.
    pub complaint_due: Option<Timestamp>,
    /// The complaint's grounds and when it was filed.
    pub complaint: Option<(String, Timestamp)>,
    /// The regulator rules before this (C-3).
    pub ruling_due: Option<Timestamp>,
    /// The regulator's ruling and when it was given.
    pub ruling: Option<(String, Timestamp)>,
    /// The command and time at which the ruling fell overdue: an alert (C-3).
    pub ruling_overdue: Option<(Seq, Timestamp)>,
}

impl State {
    /// The award of `deal`.
    fn award_of(&self, deal: DealId) -> Result<&Award, Reason> {
        self.awards.get(&deal).ok_or(Reason::NotFound { what: Entity::Award })
    }

    /// The award of `deal`, when the acting purchaser is its own.
    pub(super) fn purchasers_award(&self, actor: Actor, deal: DealId) -> Result<&Award, Reason> {
        self.require_kind(actor, ParticipantKind::Purchaser)?;
        let award = self.award_of(deal)?;
        if award.purchaser != actor.participant {
            return Err(Reason::NotPermitted);
        }
        Ok(award)
    }

    /// The award of `deal`, when the acting operator regulates its region (C-3).
    fn regulated_award(&self, actor: Actor, deal: DealId) -> Result<&Award, Reason> {
        self.require_an_operator(actor)?;
        let award = self.award_of(deal)?;
        self.require_operator(actor, Reach::Region(award.region.region()))?;
        Ok(award)
    }

    /// An answer or ruling given: upheld annuls the award (C-4), dismissed may let it become final.
    fn decided(&mut self, deal: DealId, upheld: Option<Vacancy>, user: UserId, ctx: &mut Ctx<'_>) {
        match upheld {
            Some(cause) => self.annul_award(deal, cause, user, ctx),
            None => self.finalize_if_due(deal, ctx),
        }
    }

    fn challenge_ix(award: &Award, challenger: ParticipantId) -> Result<usize, Reason> {
        award
            .challenges
            .iter()
            .position(|c| c.challenger == challenger)
            .ok_or(Reason::NotFound { what: Entity::Challenge })
    }

    fn step_challenge(
        award: &mut Award,
        at: usize,
        step: ChallengeStep,
    ) -> Result<&mut Challenge, Reason> {
        let challenge = &mut award.challenges[at];
        let state = challenge.state;
        challenge.state = state.after(step).ok_or(Reason::ChallengeStep { state, step })?;
        Ok(challenge)
    }

    /// C-2: a supplier that took part challenges the award within its period.
    pub(crate) fn file_challenge(
        &mut self,
        actor: Actor,
        deal: DealId,
        grounds: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_kind(actor, ParticipantKind::Supplier)?;
        let award = self.award_of(deal)?;
        if !award.took_part(actor.participant) {
            return Err(Reason::NotPermitted);
        }
        if !grounds_ok(&grounds) {
            return Err(Reason::Invalid { field: Field::Grounds });
        }
        if award.challenge(actor.participant).is_some() {
            return Err(Reason::AlreadyExists { what: Entity::Challenge });
        }
        if award.state != AwardState::Provisional {
            return Err(Reason::AwardStep { state: award.state });
        }
        if ctx.now >= award.period_ends {
            return Err(Reason::ChallengePeriodOver { ended: award.period_ends });
        }
        let answer_due = self.calendar.period_end(ctx.now, CHALLENGE_WORKING_DAYS);
        let challenger = actor.participant;
        let award = self.awards.get_mut(&deal).ok_or(Reason::NotFound { what: Entity::Award })?;
        award.challenges.push(Challenge {
            challenger,
            grounds: grounds.clone(),
            filed: ctx.now,
            answer_due,
            state: ChallengeState::Filed,
            reply: None,
            unanswered: None,
            complaint_due: None,
            complaint: None,
            ruling_due: None,
            ruling: None,
            ruling_overdue: None,
        });
        self.timers.insert(Timer { at: answer_due, deal, kind: TimerKind::AnswerDue(challenger) });
        ctx.emit(Event::ChallengeFiled { deal, challenger, grounds, answer_due });
        Ok(())
    }

    /// C-2: the purchaser answers a challenge; upheld annuls the award (C-4).
    pub(crate) fn answer_challenge(
        &mut self,
        actor: Actor,
        deal: DealId,
        challenger: ParticipantId,
        upheld: bool,
        reply: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let award = self.purchasers_award(actor, deal)?;
        if !grounds_ok(&reply) {
            return Err(Reason::Invalid { field: Field::Grounds });
        }
        let at = Self::challenge_ix(award, challenger)?;
        let step = if upheld { ChallengeStep::Uphold } else { ChallengeStep::Dismiss };
        let complaint_due =
            (!upheld).then(|| self.calendar.period_end(ctx.now, COMPLAINT_WORKING_DAYS));
        let award = self.awards.get_mut(&deal).ok_or(Reason::NotFound { what: Entity::Award })?;
        let challenge = Self::step_challenge(award, at, step)?;
        challenge.reply = Some((reply.clone(), ctx.now));
        challenge.complaint_due = complaint_due;
        ctx.emit(Event::ChallengeAnswered { deal, challenger, upheld, reply, complaint_due });
        self.decided(deal, upheld.then_some(Vacancy::Challenge), actor.user, ctx);
        Ok(())
    }

    /// C-3: a challenger dismissed, or not answered in time, complains to the regulator.
    pub(crate) fn file_complaint(
        &mut self,
        actor: Actor,
        deal: DealId,
        grounds: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_kind(actor, ParticipantKind::Supplier)?;
        let award = self.award_of(deal)?;
        let at = Self::challenge_ix(award, actor.participant)?;
        if !grounds_ok(&grounds) {
            return Err(Reason::Invalid { field: Field::Grounds });
        }
        let c = &award.challenges[at];
        if let Some(ended) = c.complaint_due.filter(|due| ctx.now >= *due) {
            return Err(Reason::ComplaintPeriodOver { ended });
        }
        let ruling_due = self.calendar.period_end(ctx.now, RULING_WORKING_DAYS);
        let award = self.awards.get_mut(&deal).ok_or(Reason::NotFound { what: Entity::Award })?;
        let challenge = Self::step_challenge(award, at, ChallengeStep::Complain)?;
        challenge.complaint = Some((grounds.clone(), ctx.now));
        challenge.ruling_due = Some(ruling_due);
        let challenger = actor.participant;
        self.timers.insert(Timer { at: ruling_due, deal, kind: TimerKind::RulingDue(challenger) });
        ctx.emit(Event::ComplaintFiled { deal, challenger, grounds, ruling_due });
        Ok(())
    }

    /// C-3 (Art. 57): the regulator of the deal's region suspends it while a complaint is heard;
    /// no settlement step and no finality until the ruling.
    pub(crate) fn suspend_deal(
        &mut self,
        actor: Actor,
        deal: DealId,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let award = self.regulated_award(actor, deal)?;
        if !text_ok(&reason) {
            return Err(Reason::Invalid { field: Field::Grounds });
        }
        if !award.challenges.iter().any(|c| c.state == ChallengeState::Complained) {
            return Err(Reason::NoComplaintPending);
        }
        if award.suspended.is_some()
            || !matches!(award.state, AwardState::Provisional | AwardState::Final)
        {
            return Err(Reason::AwardStep { state: award.state });
        }
        let award = self.awards.get_mut(&deal).ok_or(Reason::NotFound { what: Entity::Award })?;
        award.suspended = Some(reason.clone());
        ctx.emit(Event::DealSuspended { deal, reason });
        Ok(())
    }

    /// C-3: the regulator rules on a complaint; upheld annuls the award (C-4). The last ruling
    /// lifts a suspension.
    pub(crate) fn rule_complaint(
        &mut self,
        actor: Actor,
        deal: DealId,
        challenger: ParticipantId,
        upheld: bool,
        ruling: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let award = self.regulated_award(actor, deal)?;
        if !grounds_ok(&ruling) {
            return Err(Reason::Invalid { field: Field::Grounds });
        }
        let at = Self::challenge_ix(award, challenger)?;
        let step =
            if upheld { ChallengeStep::UpholdComplaint } else { ChallengeStep::DismissComplaint };
        let award = self.awards.get_mut(&deal).ok_or(Reason::NotFound { what: Entity::Award })?;
        let challenge = Self::step_challenge(award, at, step)?;
        challenge.ruling = Some((ruling.clone(), ctx.now));
        let pending = award.challenges.iter().any(|c| c.state == ChallengeState::Complained);
        let resumed = !pending && award.suspended.take().is_some();
        ctx.emit(Event::ComplaintRuled { deal, challenger, upheld, ruling, resumed });
        self.decided(deal, upheld.then_some(Vacancy::Complaint), actor.user, ctx);
        Ok(())
    }

    /// C-2: the purchaser's time ran out; the challenger may now complain, and the operator is
    /// alerted.
    pub(super) fn answer_overdue(
        &mut self,
        deal: DealId,
        challenger: ParticipantId,
        ctx: &mut Ctx<'_>,
    ) {
        let complaint_due = self.calendar.period_end(ctx.now, COMPLAINT_WORKING_DAYS);
        let Some(award) = self.awards.get_mut(&deal) else { return };
        let Ok(at) = Self::challenge_ix(award, challenger) else { return };
        let purchaser = award.purchaser;
        let Ok(challenge) = Self::step_challenge(award, at, ChallengeStep::Lapse) else { return };
        challenge.unanswered = Some((ctx.seq, ctx.now));
        challenge.complaint_due = Some(complaint_due);
        ctx.emit(Event::ChallengeUnanswered { deal, challenger, purchaser, complaint_due });
    }

    /// C-3: the regulator's time to rule ran out; the operator is alerted.
    pub(super) fn ruling_overdue(
        &mut self,
        deal: DealId,
        challenger: ParticipantId,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(award) = self.awards.get_mut(&deal) else { return };
        let Ok(at) = Self::challenge_ix(award, challenger) else { return };
        let challenge = &mut award.challenges[at];
        if challenge.state != ChallengeState::Complained {
            return;
        }
        challenge.ruling_overdue = Some((ctx.seq, ctx.now));
        ctx.emit(Event::RulingOverdue { deal, challenger });
    }
}

/// Grounds, answers and rulings: text present, at most 2,000 characters, lines but no other control
/// characters.
fn grounds_ok(text: &str) -> bool {
    !text.trim().is_empty()
        && text.chars().count() <= 2_000
        && !text.chars().any(|c| c.is_control() && c != '\n')
}

//! Opening an inquiry with its budget held (B-2); the next round after a failed one;
//! cancelling before the deadline, or ending after a failed round, with the budget released (B-3).

use super::{CompetitionSpec, InquiryKind, InquiryLine, InquirySpec, MIN_QUOTES, RoundOutcome};
use super::{Inquiry, InquiryState, InquiryStep, MAX_INVITED, MAX_LINES, MAX_ROUNDS, Round};
use crate::arena::Ix;
use crate::budget::LedgerKind;
use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, Amount, DealId, ParticipantId, Timestamp, UnitPrice};

impl State {
    /// N-4: a secondary competition among every active supplier holding a valid agreement for the
    /// product that covers the purchaser's region; the line's ceiling is the highest of their
    /// agreements' (each quote is held to its own at the opening); one round, since nobody is left
    /// to invite.
    pub(crate) fn open_competition(
        &mut self,
        actor: Actor,
        spec: CompetitionSpec,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let purchaser_ix = self.require_kind(actor, ParticipantKind::Purchaser)?;
        let region = self.participants.at(purchaser_ix).region.unwrap_or_default();
        let product =
            self.products.get(spec.product).ok_or(Reason::NotFound { what: Entity::Product })?;
        let mut holders: Vec<(ParticipantId, UnitPrice)> = product
            .agreements
            .iter()
            .map(|ix| self.agreements.at(*ix))
            .filter(|a| a.is_valid(ctx.now) && a.covers(&region))
            .filter(|a| self.participants.get(a.supplier).is_some_and(|p| p.is_active()))
            .map(|a| (a.supplier, a.ceiling))
            .collect();
        holders.sort_unstable();
        holders.dedup_by_key(|(supplier, _)| *supplier);
        if holders.len() < MIN_QUOTES {
            let holders = u32::try_from(holders.len()).unwrap_or(u32::MAX);
            return Err(Reason::TooFewHolders { holders });
        }
        let ceiling = holders.iter().map(|(_, c)| *c).max().unwrap_or(UnitPrice::ZERO);
        let inquiry = InquirySpec {
            lines: vec![InquiryLine { product: spec.product, quantity: spec.quantity, ceiling }],
            budget_line: spec.budget_line,
            deadline: spec.deadline,
            invited: holders.into_iter().map(|(s, _)| s).collect(),
            max_rounds: 1,
        };
        self.open_sealed(actor, inquiry, InquiryKind::SecondaryCompetition, ctx)
    }

    pub(crate) fn open_inquiry(
        &mut self,
        actor: Actor,
        spec: InquirySpec,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.open_sealed(actor, spec, InquiryKind::Inquiry, ctx)
    }

    fn open_sealed(
        &mut self,
        actor: Actor,
        mut spec: InquirySpec,
        kind: InquiryKind,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let purchaser_ix = self.require_kind(actor, ParticipantKind::Purchaser)?;
        let region = self.participants.at(purchaser_ix).region.unwrap_or_default();
        if spec.lines.is_empty() || spec.lines.len() > MAX_LINES {
            return Err(Reason::Invalid { field: Field::Lines });
        }
        let mut hold = Amount::ZERO;
        for line in &spec.lines {
            let product = self
                .products
                .get(line.product)
                .ok_or(Reason::NotFound { what: Entity::Product })?;
            if !line.quantity.is_positive() {
                return Err(Reason::Invalid { field: Field::Quantity });
            }
            if !line.quantity.fits_scale(product.scale) {
                return Err(Reason::QuantityScale { scale: product.scale });
            }
            if !line.ceiling.is_positive() {
                return Err(Reason::Invalid { field: Field::Price });
            }
            let amount = line.ceiling.times(line.quantity);
            hold = amount
                .and_then(|a| hold.checked_add(a))
                .ok_or(Reason::Invalid { field: Field::Quantity })?;
        }
        let line_ix = self.owned_line(actor, spec.budget_line, ctx.fiscal_year)?;
        if !(1..=MAX_ROUNDS).contains(&spec.max_rounds) {
            return Err(Reason::Invalid { field: Field::Rounds });
        }
        self.check_deadline(ctx.now, spec.deadline)?;
        spec.invited = self.invitees(spec.invited, &[])?;
        let available = self.budgets.at(line_ix).balance.available();
        if hold > available {
            return Err(Reason::BudgetShort { needed: hold, available });
        }

        let id = DealId::from_seq(ctx.seq);
        self.move_budget(line_ix, LedgerKind::Held, hold, Some(id), actor.user, ctx);
        let inquiry = Inquiry {
            id,
            purchaser: actor.participant,
            region,
            rounds: vec![Round::new(1, spec.deadline, spec.invited.clone())],
            spec: spec.clone(),
            kind,
            hold,
            state: InquiryState::Collecting,
            ended: None,
            reserved: false,
        };
        if let Some(deadline) = inquiry.deadline() {
            self.deadlines.insert(deadline);
        }
        self.inquiries.push(id, inquiry);
        ctx.emit(Event::InquiryOpened { inquiry: id, purchaser: actor.participant, spec, hold });
        if kind == InquiryKind::SecondaryCompetition {
            ctx.emit(Event::CompetitionOpened { inquiry: id });
        }
        Ok(())
    }

    /// after a failed round, the next, with a new deadline and more invitees.
    pub(crate) fn next_inquiry_round(
        &mut self,
        actor: Actor,
        inquiry: DealId,
        deadline: Timestamp,
        invite: Vec<ParticipantId>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.owned_inquiry(actor, inquiry)?;
        let q = self.inquiries.at(ix);
        let next = q.state.after(InquiryStep::NextRound).ok_or(Reason::InquiryState)?;
        let number = q.round_number() + 1;
        if number > q.spec.max_rounds {
            return Err(Reason::NoRoundsLeft { max_rounds: q.spec.max_rounds });
        }
        self.check_deadline(ctx.now, deadline)?;
        let before = q.round().invited.clone();
        let invited = self.invitees(invite, &before)?;
        if invited.len() == before.len() {
            return Err(Reason::Invalid { field: Field::Invitees });
        }
        // S-2: a reserved inquiry invites small and medium enterprises only, round after round.
        if q.reserved && !invited.iter().all(|s| self.is_sme(*s)) {
            return Err(Reason::NotSme);
        }
        let q = self.inquiries.at_mut(ix);
        q.state = next;
        q.rounds.push(Round::new(number, deadline, invited.clone()));
        if let Some(deadline) = q.deadline() {
            self.deadlines.insert(deadline);
        }
        ctx.emit(Event::InquiryRoundOpened { inquiry, round: number, deadline, invited });
        Ok(())
    }

    /// Before the deadline the purchaser (or an operator) may cancel, with a reason; after a failed
    /// round the purchaser may end the inquiry instead of opening another. Either releases the hold.
    pub(crate) fn end_inquiry(
        &mut self,
        actor: Actor,
        inquiry: DealId,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix =
            self.inquiries.index_of(inquiry).ok_or(Reason::NotFound { what: Entity::Inquiry })?;
        let q = self.inquiries.at(ix);
        if actor.participant != q.purchaser {
            self.require_operator(actor, Reach::Participant(q.purchaser))?;
        }
        if !crate::catalog::text_ok(&reason) {
            return Err(Reason::Invalid { field: Field::Name });
        }
        let step = match q.state {
            InquiryState::Collecting => InquiryStep::Cancel,
            _ => InquiryStep::End,
        };
        q.state.after(step).ok_or(Reason::InquiryState)?;
        if let Some(deadline) = q.deadline() {
            self.deadlines.remove(&deadline);
        }
        if step == InquiryStep::Cancel {
            self.inquiries.at_mut(ix).round_mut().outcome = Some(RoundOutcome::Cancelled);
        }
        self.finish_inquiry(ix, step, reason, actor.user, ctx);
        Ok(())
    }

    /// Moves an inquiry to its final state by `step` (cancel or end), releasing the whole hold.
    pub(super) fn finish_inquiry(
        &mut self,
        ix: Ix,
        step: InquiryStep,
        reason: String,
        user: crate::types::UserId,
        ctx: &mut Ctx<'_>,
    ) {
        let q = self.inquiries.at_mut(ix);
        let Some(next) = q.state.after(step) else { return };
        q.state = next;
        q.ended = Some((ctx.seq, ctx.now));
        let (id, hold, line) = (q.id, q.hold, q.spec.budget_line);
        ctx.emit(match step {
            InquiryStep::Cancel => Event::InquiryCancelled { inquiry: id, reason },
            _ => Event::InquiryFailed { inquiry: id, reason },
        });
        if let Some(line_ix) = self.budgets.index_of(line) {
            self.move_budget(line_ix, LedgerKind::Released, hold, Some(id), user, ctx);
        }
    }

    fn owned_inquiry(&self, actor: Actor, inquiry: DealId) -> Result<Ix, Reason> {
        let ix =
            self.inquiries.index_of(inquiry).ok_or(Reason::NotFound { what: Entity::Inquiry })?;
        if self.inquiries.at(ix).purchaser != actor.participant {
            return Err(Reason::NotPermitted);
        }
        Ok(ix)
    }

    fn check_deadline(&self, now: Timestamp, deadline: Timestamp) -> Result<(), Reason> {
        if deadline <= now || !self.calendar.notice_met(now, deadline) {
            return Err(Reason::NoticeTooShort { working_days: self.calendar.notice_working_days });
        }
        Ok(())
    }

    /// `already` and `more`, sorted and without repeats: every one a registered, active supplier,
    /// at least [`MIN_QUOTES`] in all.
    fn invitees(
        &self,
        more: Vec<ParticipantId>,
        already: &[ParticipantId],
    ) -> Result<Vec<ParticipantId>, Reason> {
        let mut invited = already.to_vec();
        for supplier in more {
            let ix = self.supplier_ix(supplier)?;
            if !self.participants.at(ix).is_active() {
                return Err(Reason::SupplierSuspended);
            }
            invited.push(supplier);
        }
        invited.sort_unstable();
        invited.dedup();
        if invited.len() < MIN_QUOTES || invited.len() > MAX_INVITED {
            return Err(Reason::Invalid { field: Field::Invitees });
        }
        Ok(invited)
    }
}

impl Round {
    fn new(number: u32, deadline: Timestamp, invited: Vec<ParticipantId>) -> Self {
        Self {
            number,
            deadline,
            invited,
            submissions: Vec::new(),
            keys: None,
            quoters: Vec::new(),
            opened: Vec::new(),
            evaluated: Vec::new(),
            outcome: None,
        }
    }
}

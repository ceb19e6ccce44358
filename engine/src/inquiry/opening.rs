//! The deadline and the opening. At the deadline the round closes and its quotes are
//! fixed. The platform then opens the author layer: the final submission of each supplier decides,
//! and fewer than three distinct, unaffiliated, active, invited suppliers fail the round unopened,
//! its prices never unsealed. Otherwise it opens the content layer: each quote is checked against
//! its commitment and the ceilings; with three valid quotes the lowest total wins (ties: the
//! earlier final submission) and a trade is struck per line.

use std::collections::BTreeMap;

use super::seal::{Commitment, Layer, QuoteAuthor, RoundKey, SealContext};
use super::{
    Exclusion, InquiryKind, InquiryState, InquiryStep, MIN_QUOTES, OpenedQuote, QuoteDefect, Quoter,
};
use super::{RoundOutcome, Submission};
use crate::arena::Ix;
use crate::award::{Award, AwardLine, AwardState, Candidate};
use crate::budget::LedgerKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Reason};
use crate::settlement::{Trade, TradeMode, TradeRecord};
use crate::state::State;
use crate::types::{Actor, Amount, DealId, ParticipantId, UserId};

impl State {
    /// The round's deadline came: its quotes are fixed and wait for the author key.
    pub(crate) fn close_quotes(&mut self, ix: Ix, ctx: &mut Ctx<'_>) {
        let q = self.inquiries.at_mut(ix);
        let Some(next) = q.state.after(InquiryStep::Deadline) else { return };
        q.state = next;
        ctx.emit(Event::QuotesClosed { inquiry: q.id, round: q.round_number() });
    }

    /// The platform opens the author layer of the current round.
    pub(crate) fn open_authors(
        &mut self,
        actor: Actor,
        inquiry: DealId,
        round: u32,
        key: &RoundKey,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.opening(actor, inquiry, round, Layer::Author, key)?;
        let q = self.inquiries.at(ix);
        let r = q.round();
        let context = SealContext { inquiry, round, layer: Layer::Author };
        let mut last: BTreeMap<ParticipantId, (usize, QuoteAuthor, u32)> = BTreeMap::new();
        let mut unreadable = 0;
        for (n, submission) in r.submissions.iter().enumerate() {
            match submission.sealed.author.open(key, context) {
                Some(author) => {
                    let entry = last.entry(author.supplier).or_insert((n, author, 0));
                    *entry = (n, author, entry.2 + 1);
                }
                None => unreadable += 1,
            }
        }
        let mut quoters: Vec<Quoter> = last
            .into_values()
            .map(|(n, author, submissions)| Quoter {
                supplier: author.supplier,
                user: author.user,
                submission: u32::try_from(n).unwrap_or(u32::MAX),
                submissions,
                withdrawn: author.withdrawn,
                excluded: None,
            })
            .collect();
        // Affiliates count once: the one whose final submission came first stands.
        quoters.sort_by_key(|q| q.submission);
        let mut counted: Vec<ParticipantId> = Vec::new();
        for quoter in &mut quoters {
            quoter.excluded = self.exclusion(quoter, q, &counted, ctx.now);
            if quoter.excluded.is_none() {
                counted.push(quoter.supplier);
            }
        }
        let suppliers = u32::try_from(counted.len()).unwrap_or(u32::MAX);
        let enough = counted.len() >= MIN_QUOTES;
        ctx.emit(Event::QuotersCounted { inquiry, round, quoters: quoters.clone(), unreadable });
        let q = self.inquiries.at_mut(ix);
        q.round_mut().quoters = quoters;
        if enough {
            q.state = InquiryState::Counted;
        } else {
            self.fail_round(
                ix,
                InquiryStep::FailUnopened,
                RoundOutcome::FailedUnopened { suppliers },
                ctx,
            );
        }
        Ok(())
    }

    /// The platform opens the content layer of the current round and awards it or fails it
    /// the opened quotes are kept for publication.
    pub(crate) fn open_prices(
        &mut self,
        actor: Actor,
        inquiry: DealId,
        round: u32,
        key: &RoundKey,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.opening(actor, inquiry, round, Layer::Content, key)?;
        let q = self.inquiries.at(ix);
        let r = q.round();
        let context = SealContext { inquiry, round, layer: Layer::Content };
        let opened: Vec<OpenedQuote> = r
            .quoters
            .iter()
            .filter(|quoter| quoter.excluded.is_none())
            .filter_map(|quoter| {
                let n = usize::try_from(quoter.submission).ok()?;
                let submission = r.submissions.get(n)?;
                Some(self.judge(q, quoter.supplier, submission, key, context))
            })
            .collect();
        // S-2: each valid total as ranked, after the small-enterprise deduction where it applies.
        let evaluated: Vec<(ParticipantId, Amount)> = opened
            .iter()
            .filter(|o| o.defect.is_none())
            .filter_map(|o| Some((o.supplier, self.evaluated(q, o.supplier, o.total?))))
            .collect();
        let ranked_at = |supplier| evaluated.iter().find(|(s, _)| *s == supplier).map(|(_, a)| *a);
        let winner = opened
            .iter()
            .filter(|o| o.defect.is_none())
            .filter_map(|o| Some((ranked_at(o.supplier)?, o.receipt, o.supplier, o.total?)))
            .min();
        let valid = opened.iter().filter(|o| o.defect.is_none()).count();
        ctx.emit(Event::QuotesOpened { inquiry, round, quotes: opened.clone() });
        let deducted = evaluated.iter().any(|(s, a)| {
            opened.iter().any(|o| o.supplier == *s && o.total.is_some_and(|t| t != *a))
        });
        if deducted {
            let basis_points = self.sme_deduction.0;
            ctx.emit(Event::QuotesEvaluated {
                inquiry,
                round,
                basis_points,
                evaluated: evaluated.clone(),
            });
        }
        let r = self.inquiries.at_mut(ix).round_mut();
        r.opened = opened;
        r.evaluated = evaluated;
        match winner.filter(|_| valid >= MIN_QUOTES) {
            Some((_, _, winner, amount)) => self.award_inquiry(ix, winner, amount, valid, ctx),
            None => {
                let valid = u32::try_from(valid).unwrap_or(u32::MAX);
                self.fail_round(
                    ix,
                    InquiryStep::FailOpened,
                    RoundOutcome::FailedOpened { valid },
                    ctx,
                );
            }
        }
        Ok(())
    }

    /// The inquiry whose current round `round` waits for the platform's key of `layer`, when `key`
    /// is the one the round's submissions were sealed under.
    fn opening(
        &self,
        actor: Actor,
        inquiry: DealId,
        round: u32,
        layer: Layer,
        key: &RoundKey,
    ) -> Result<Ix, Reason> {
        if !actor.is_system() {
            return Err(Reason::NotPermitted);
        }
        let ix =
            self.inquiries.index_of(inquiry).ok_or(Reason::NotFound { what: Entity::Inquiry })?;
        let q = self.inquiries.at(ix);
        let (awaits, sealed_under) = match layer {
            Layer::Author => (InquiryState::Closed, q.round().keys.map(|(author, _)| author)),
            Layer::Content => (InquiryState::Counted, q.round().keys.map(|(_, content)| content)),
        };
        if q.state != awaits || q.round_number() != round {
            return Err(Reason::InquiryState);
        }
        // A round without submissions has nothing sealed: any key opens nothing.
        if sealed_under.is_some_and(|check| check != key.check()) {
            return Err(Reason::WrongSealingKey);
        }
        Ok(ix)
    }

    fn exclusion(
        &self,
        quoter: &Quoter,
        q: &super::Inquiry,
        counted: &[ParticipantId],
        now: crate::types::Timestamp,
    ) -> Option<Exclusion> {
        if quoter.withdrawn {
            return Some(Exclusion::Withdrawn);
        }
        if !q.invites(quoter.supplier) {
            return Some(Exclusion::NotInvited);
        }
        if q.kind == InquiryKind::SecondaryCompetition
            && self.competitor_agreement(q, quoter.supplier, now).is_none()
        {
            return Some(Exclusion::AgreementLapsed);
        }
        let active =
            self.supplier_ix(quoter.supplier).is_ok_and(|ix| self.participants.at(ix).is_active());
        if !active {
            return Some(Exclusion::Inactive);
        }
        let affiliate = counted.iter().find(|other| self.affiliated(quoter.supplier, **other));
        affiliate.map(|of| Exclusion::Affiliate { of: *of })
    }

    /// Opens one final quote and judges it: commitment, form, ceilings.
    fn judge(
        &self,
        q: &super::Inquiry,
        supplier: ParticipantId,
        submission: &Submission,
        key: &RoundKey,
        context: SealContext,
    ) -> OpenedQuote {
        let content = submission.sealed.content.open(key, context);
        let mut opened = OpenedQuote {
            supplier,
            content: content.clone(),
            total: None,
            commitment: submission.sealed.commitment,
            receipt: submission.receipt,
            at: submission.at,
            defect: None,
        };
        let Some(content) = content else {
            opened.defect = Some(QuoteDefect::Unreadable);
            return opened;
        };
        if Commitment::of(q.id, context.round, supplier, false, &content) != opened.commitment {
            opened.defect = Some(QuoteDefect::CommitmentMismatch);
            return opened;
        }
        let lines = &q.spec.lines;
        if content.prices.len() != lines.len() || content.prices.iter().any(|p| !p.is_positive()) {
            opened.defect = Some(QuoteDefect::Malformed);
            return opened;
        }
        // N-4: each holder is held to the ceiling of its own agreement.
        let own_ceiling = match q.kind {
            InquiryKind::Inquiry => None,
            InquiryKind::SecondaryCompetition => {
                self.competitor_agreement(q, supplier, submission.at).map(|a| a.ceiling)
            }
        };
        let mut total = Some(Amount::ZERO);
        for (n, (line, price)) in lines.iter().zip(&content.prices).enumerate() {
            if *price > own_ceiling.unwrap_or(line.ceiling).min(line.ceiling) {
                let line = u32::try_from(n).unwrap_or(u32::MAX);
                opened.defect = Some(QuoteDefect::AboveCeiling { line });
                return opened;
            }
            total = total.zip(price.times(line.quantity)).and_then(|(t, a)| t.checked_add(a));
        }
        opened.total = total;
        if total.is_none() {
            opened.defect = Some(QuoteDefect::Malformed);
        }
        opened
    }

    fn award_inquiry(
        &mut self,
        ix: Ix,
        winner: ParticipantId,
        amount: Amount,
        valid: usize,
        ctx: &mut Ctx<'_>,
    ) {
        let q = self.inquiries.at(ix);
        // N-4: each trade is under the winner's own agreement.
        let agreement_of = |supplier| match q.kind {
            InquiryKind::Inquiry => None,
            InquiryKind::SecondaryCompetition => {
                self.competitor_agreement(q, supplier, ctx.now).map(|a| a.id)
            }
        };
        let agreement = agreement_of(winner);
        // C-4: the valid quotes in rank order, for the next-ranked.
        // Ranked as evaluated (S-2), each at its quoted total.
        let ranked_at =
            |supplier| q.round().evaluated.iter().find(|(s, _)| *s == supplier).map(|(_, a)| *a);
        let mut valid_quotes: Vec<_> = q
            .round()
            .opened
            .iter()
            .filter(|o| o.defect.is_none())
            .filter_map(|o| {
                let total = o.total?;
                let ranked = ranked_at(o.supplier).unwrap_or(total);
                Some((ranked, o.receipt, o.supplier, total, o.content.as_ref()?))
            })
            .collect();
        valid_quotes
            .sort_by_key(|(ranked, receipt, supplier, _, _)| (*ranked, *receipt, *supplier));
        let ranking: Vec<Candidate> = valid_quotes
            .into_iter()
            .map(|(_, _, supplier, total, content)| Candidate {
                supplier,
                product: None,
                prices: content.prices.clone(),
                amount: total,
                agreement: agreement_of(supplier),
                passed: false,
            })
            .collect();
        let mut participants: Vec<_> = q.round().quoters.iter().map(|o| o.supplier).collect();
        participants.sort_unstable();
        participants.dedup();
        let rank = ranking.iter().position(|c| c.supplier == winner).unwrap_or(0);
        let q = self.inquiries.at_mut(ix);
        let Some(next) = q.state.after(InquiryStep::Award) else { return };
        q.state = next;
        q.ended = Some((ctx.seq, ctx.now));
        q.round_mut().outcome = Some(RoundOutcome::Awarded { winner, amount });
        let (id, round, hold, line) = (q.id, q.round_number(), q.hold, q.spec.budget_line);
        let (purchaser, region) = (q.purchaser, q.region.region());
        let prices = q
            .round()
            .opened
            .iter()
            .find(|o| o.supplier == winner)
            .and_then(|o| o.content.as_ref())
            .map(|c| c.prices.clone())
            .unwrap_or_default();
        let lines = q.spec.lines.clone();
        let chain = q.region;
        let Some(line_ix) = self.budgets.index_of(line) else { return };
        let suppliers = u32::try_from(valid).unwrap_or(u32::MAX);
        ctx.emit(Event::InquiryAwarded { inquiry: id, round, winner, amount, suppliers });
        let mut trades = Vec::with_capacity(lines.len());
        for (l, price) in lines.iter().zip(prices) {
            // Each price is at or under its ceiling, so each line is within the hold.
            let line_amount = price.times(l.quantity).unwrap_or(Amount::ZERO);
            let trade = Trade {
                id: ctx.next_trade_id(),
                mode: TradeMode::Inquiry,
                deal: id,
                purchaser,
                supplier: winner,
                product: l.product,
                agreement,
                quantity: l.quantity,
                unit_price: price,
                amount: line_amount,
                budget_line: line,
                region,
                ts: ctx.now,
                seq: ctx.seq,
            };
            self.trades.push(TradeRecord::struck(trade));
            ctx.emit(Event::TradeStruck(trade));
            trades.push(trade.id);
        }
        self.move_budget(line_ix, LedgerKind::Committed, amount, Some(id), UserId::PLATFORM, ctx);
        let rest = hold.minus(amount);
        if rest.is_positive() {
            self.move_budget(line_ix, LedgerKind::Released, rest, Some(id), UserId::PLATFORM, ctx);
        }
        let award = Award {
            deal: id,
            mode: TradeMode::Inquiry,
            purchaser,
            region: chain,
            budget_line: line,
            lines: lines
                .iter()
                .map(|l| AwardLine { product: l.product, quantity: l.quantity })
                .collect(),
            ranking,
            participants,
            state: AwardState::Provisional,
            rank,
            trades,
            published: ctx.now,
            period_ends: ctx.now,
            suspended: None,
            challenges: Vec::new(),
        };
        self.record_award(award, ctx);
    }

    /// N-4: the valid agreement of `supplier` for the competition's product covering the
    /// purchaser's region at `now`.
    fn competitor_agreement(
        &self,
        q: &super::Inquiry,
        supplier: ParticipantId,
        now: crate::types::Timestamp,
    ) -> Option<&crate::catalog::Agreement> {
        self.holder_agreement(supplier, q.spec.lines.first()?.product, &q.region, now)
    }

    /// The round failed by `step`; with no round left the inquiry fails and its budget is released.
    fn fail_round(&mut self, ix: Ix, step: InquiryStep, outcome: RoundOutcome, ctx: &mut Ctx<'_>) {
        let q = self.inquiries.at_mut(ix);
        let Some(next) = q.state.after(step) else { return };
        q.state = next;
        q.round_mut().outcome = Some(outcome.clone());
        let (inquiry, round, last) =
            (q.id, q.round_number(), q.round_number() >= q.spec.max_rounds);
        ctx.emit(Event::InquiryRoundFailed { inquiry, round, outcome });
        if last {
            let reason = "the last round permitted failed".to_owned();
            self.finish_inquiry(ix, InquiryStep::End, reason, UserId::PLATFORM, ctx);
        }
    }
}

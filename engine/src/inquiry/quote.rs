//! Sealed submissions: a quote, a replacement or a withdrawal, each a sealed envelope
//! the engine keeps unread until the deadline. It cannot tell who sent one, nor whether it
//! replaces another: so a submission's command carries no acting user ([`Actor::SEALED`]), the
//! gateway checks the invitation before sealing, and the engine checks it again at the opening.

use super::seal::SealedQuote;
use super::{InquiryState, MAX_INVITED, Submission};
use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, DealId};

/// Submissions one invitee may make in a round. The engine cannot tell authors apart, so
/// the gateway, which knows who seals, holds each supplier to this share; at the most invitees
/// the shares add up to the round's capacity, so no supplier can fill a round for the others.
pub const MAX_SUBMISSIONS_PER_SUPPLIER: usize = 20;

/// Most submissions one round keeps: every invitee's share at the most invitees.
const MAX_SUBMISSIONS: usize = MAX_INVITED * MAX_SUBMISSIONS_PER_SUPPLIER;

impl State {
    pub(crate) fn submit_quote(
        &mut self,
        actor: Actor,
        inquiry: DealId,
        round: u32,
        sealed: SealedQuote,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        if actor != Actor::SEALED {
            return Err(Reason::QuoteNotSealed);
        }
        let ix =
            self.inquiries.index_of(inquiry).ok_or(Reason::NotFound { what: Entity::Inquiry })?;
        let q = self.inquiries.at_mut(ix);
        // The deadline ran before this command if it was due: at or after it the round is closed.
        if q.state != InquiryState::Collecting || q.round_number() != round {
            return Err(Reason::QuotesClosed);
        }
        let r = q.round_mut();
        let keys = (sealed.author_key, sealed.content_key);
        if r.keys.is_some_and(|k| k != keys) {
            return Err(Reason::WrongSealingKey);
        }
        // A retry of the same sealed submission: the gateway seals a retry identically.
        if let Some(first) = r.submissions.iter().find(|s| s.sealed.commitment == sealed.commitment)
        {
            ctx.emit(Event::AlreadyApplied { original: first.receipt });
            return Ok(());
        }
        if r.submissions.len() >= MAX_SUBMISSIONS {
            return Err(Reason::Invalid { field: Field::Submissions });
        }
        r.keys = Some(keys);
        let commitment = sealed.commitment;
        r.submissions.push(Submission { sealed, receipt: ctx.seq, at: ctx.now });
        ctx.emit(Event::QuoteSealed { inquiry, round, commitment });
        Ok(())
    }
}

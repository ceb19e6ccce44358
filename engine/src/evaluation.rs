//! Supplier evaluation (考核评价, rule E-1): after accepting a delivery the purchaser rates the trade
//! once, within 30 days, for delivery, quality and service (1 to 5 each, with an optional comment).
//! A supplier's score is the mean over its ratings of the last 12 months.

use serde::{Deserialize, Serialize};

use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Field, Reason};
use crate::settlement::TradeState;
use crate::state::State;
use crate::types::{Actor, ParticipantId, Seq, Timestamp, TradeId};

/// Days after acceptance within which a trade may be rated.
pub const RATING_DAYS: i64 = 30;
/// The window a supplier's score is taken over: 12 months, counted as 365 days.
pub const SCORE_DAYS: i64 = 365;
/// A score below this (in hundredths: 3.00, "fair" on the five-mark scale) alerts the operator.
pub const LOW_SCORE_HUNDREDTHS: u32 = 300;
/// Declines within the score's window that alert the operator.
pub const DECLINES_ALERTED: u32 = 2;
const DAY_MS: i64 = 86_400_000;
/// Longest comment kept.
const MAX_COMMENT_CHARS: usize = 500;

/// The three marks of a rating, each 1 to 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    /// On time and as ordered.
    pub delivery: u8,
    /// The goods or the service itself.
    pub quality: u8,
    /// After-sales service.
    pub service: u8,
}

impl Marks {
    fn valid(self) -> bool {
        [self.delivery, self.quality, self.service].iter().all(|m| (1..=5).contains(m))
    }

    /// Their sum, 3 to 15.
    pub fn total(self) -> u32 {
        u32::from(self.delivery) + u32::from(self.quality) + u32::from(self.service)
    }
}

/// A purchaser's rating of one trade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// The supplier rated.
    pub supplier: ParticipantId,
    /// The purchaser that rated.
    pub purchaser: ParticipantId,
    /// The marks.
    pub marks: Marks,
    /// An optional comment.
    pub comment: String,
    /// When, and by which command.
    pub ts: Timestamp,
    /// The command's sequence.
    pub seq: Seq,
}

/// A supplier's score over the last 12 months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// The mean mark in hundredths (100 to 500), rounded half up.
    pub hundredths: u32,
    /// Ratings it is the mean of.
    pub ratings: u32,
}

impl State {
    /// E-1: the purchaser rates an accepted trade once, within 30 days of acceptance.
    pub(crate) fn rate_trade(
        &mut self,
        actor: Actor,
        trade: TradeId,
        marks: Marks,
        comment: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_kind(actor, ParticipantKind::Purchaser)?;
        let record = self.trades.get(trade).ok_or(Reason::NotFound { what: Entity::Trade })?;
        if record.trade.purchaser != actor.participant {
            return Err(Reason::NotPermitted);
        }
        if !marks.valid() {
            return Err(Reason::Invalid { field: Field::Marks });
        }
        if comment.chars().count() > MAX_COMMENT_CHARS
            || comment.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(Reason::Invalid { field: Field::Marks });
        }
        let accepted = match (record.state, record.accepted_ts) {
            (TradeState::Accepted | TradeState::Paid, Some(at)) => at,
            _ => return Err(Reason::NotYetAccepted),
        };
        let ends = accepted.plus_ms(RATING_DAYS * DAY_MS);
        if ctx.now >= ends {
            return Err(Reason::RatingWindowOver { ended: ends });
        }
        if self.ratings.contains_key(&trade) {
            return Err(Reason::AlreadyExists { what: Entity::Rating });
        }
        let supplier = record.trade.supplier;
        let rating = Rating {
            supplier,
            purchaser: actor.participant,
            marks,
            comment: comment.clone(),
            ts: ctx.now,
            seq: ctx.seq,
        };
        self.ratings.insert(trade, rating);
        ctx.emit(Event::TradeRated { trade, supplier, marks, comment });
        Ok(())
    }

    /// E-1: the mean of `supplier`'s ratings given in the 12 months up to `now`.
    pub(crate) fn score(&self, supplier: ParticipantId, now: Timestamp) -> Option<Score> {
        self.score_before(supplier, now, Seq(u64::MAX))
    }

    /// As [`Self::score`], counting only ratings given by commands up to `upto`: a score as it
    /// stood right after one rating, at a rebuild as live.
    pub(crate) fn score_before(
        &self,
        supplier: ParticipantId,
        now: Timestamp,
        upto: Seq,
    ) -> Option<Score> {
        let since = now.plus_ms(-SCORE_DAYS * DAY_MS);
        let (sum, count) = self
            .ratings
            .values()
            .filter(|r| r.supplier == supplier && r.ts > since && r.ts <= now && r.seq <= upto)
            .fold((0u64, 0u32), |(sum, n), r| (sum + u64::from(r.marks.total()), n + 1));
        if count == 0 {
            return None;
        }
        // Mean of three marks per rating, in hundredths, half up: 100 * sum / (3 * count).
        let scale = 3 * u64::from(count);
        let hundredths = (200 * sum + scale) / (2 * scale);
        Some(Score { hundredths: u32::try_from(hundredths).unwrap_or(u32::MAX), ratings: count })
    }
}

impl crate::Engine {
    /// E-1: the score the rating of `trade` left its supplier with, when that took the score below
    /// the low mark (from at or above it, or from no score at all): what alerts the operator.
    pub fn score_fell_low(&self, trade: TradeId) -> Option<Score> {
        let rating = self.rating(trade)?;
        let state = &self.state;
        let after = state.score_before(rating.supplier, rating.ts, rating.seq)?;
        let before =
            state.score_before(rating.supplier, rating.ts, Seq(rating.seq.0.saturating_sub(1)));
        let low = |s: Option<Score>| s.is_some_and(|s| s.hundredths < LOW_SCORE_HUNDREDTHS);
        (low(Some(after)) && !low(before)).then_some(after)
    }

    /// E-1: how many contracts `supplier` declined by distinct commands in the 12 months up to and
    /// including the decline of command `seq` at `ts`.
    pub fn declines_within_year(&self, supplier: ParticipantId, seq: Seq, ts: Timestamp) -> u32 {
        let since = ts.plus_ms(-SCORE_DAYS * DAY_MS);
        let mut commands: Vec<Seq> = self
            .trades()
            .filter(|r| r.trade.supplier == supplier)
            .filter(|r| r.state == TradeState::Declined)
            .filter_map(|r| r.ended)
            .filter(|(s, t)| *s <= seq && *t > since)
            .map(|(s, _)| s)
            .collect();
        commands.sort_unstable();
        commands.dedup();
        u32::try_from(commands.len()).unwrap_or(u32::MAX)
    }
}

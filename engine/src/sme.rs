//! Small and medium enterprises (S-2): deals reserved for them, and the price deduction small and
//! micro enterprises' quotes are ranked after in the deals that are not (财库〔2020〕46号, raised
//! by 财库〔2022〕19号 to 10 % to 20 %).
//!
//! The deduction applies where quotes are evaluated: an inquiry's or secondary competition's
//! opening ranks each valid total after it, and the trade is at the total quoted. A live auction is
//! ranked on the price bid, which every bidder sees as it bids; its reservation is what the law
//! offers small enterprises there.

use serde::{Deserialize, Serialize};

use crate::auction::AuctionSpec;
use crate::command::Ctx;
use crate::event::Event;
use crate::inquiry::{Inquiry, InquirySpec};
use crate::jurisdiction::Reach;
use crate::reject::{Field, Reason};
use crate::state::State;
use crate::types::{Actor, Amount, CategoryCode, DealId, ParticipantId};

/// The deduction in basis points of the quoted total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deduction(pub u32);

/// The deduction unless an operator sets another: 10 %.
pub const DEFAULT_DEDUCTION_BP: u32 = 1_000;

/// The range an operator may set it in: 10 % to 20 %.
pub const DEDUCTION_RANGE_BP: std::ops::RangeInclusive<u32> = 1_000..=2_000;

impl Default for Deduction {
    fn default() -> Self {
        Self(DEFAULT_DEDUCTION_BP)
    }
}

impl Deduction {
    /// `total` less the deduction, rounded half up to the fen.
    pub fn apply(self, total: Amount) -> Amount {
        let kept = i128::from(10_000 - self.0.min(10_000));
        let fen = i128::from(total.minor());
        let after = (fen * kept + 5_000) / 10_000;
        Amount::from_minor(i64::try_from(after).unwrap_or(i64::MAX))
    }
}

impl State {
    /// True when `supplier` declared itself small, medium or micro (S-1).
    pub(crate) fn is_sme(&self, supplier: ParticipantId) -> bool {
        self.participants.get(supplier).and_then(|p| p.size).is_some_and(|s| s.is_sme())
    }

    /// True when `supplier` declared itself small or micro (S-1).
    pub(crate) fn is_small_or_micro(&self, supplier: ParticipantId) -> bool {
        self.participants.get(supplier).and_then(|p| p.size).is_some_and(|s| s.is_small_or_micro())
    }

    /// S-2: opens an auction only small and medium enterprises may bid in.
    pub(crate) fn open_reserved_auction(
        &mut self,
        actor: Actor,
        spec: AuctionSpec,
        category: Option<CategoryCode>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.open_auction(actor, spec, category, ctx)?;
        let deal = DealId::from_seq(ctx.seq);
        if let Some(ix) = self.auctions.index_of(deal) {
            self.auctions.at_mut(ix).reserved = true;
        }
        ctx.emit(Event::DealReserved { deal });
        Ok(())
    }

    /// S-2: opens an inquiry among small and medium enterprises only.
    pub(crate) fn open_reserved_inquiry(
        &mut self,
        actor: Actor,
        spec: InquirySpec,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        if !spec.invited.iter().all(|s| self.is_sme(*s)) {
            return Err(Reason::NotSme);
        }
        self.open_inquiry(actor, spec, ctx)?;
        let deal = DealId::from_seq(ctx.seq);
        if let Some(ix) = self.inquiries.index_of(deal) {
            self.inquiries.at_mut(ix).reserved = true;
        }
        ctx.emit(Event::DealReserved { deal });
        Ok(())
    }

    /// S-2: sets the deduction, 10 % to 20 %.
    pub(crate) fn set_sme_deduction(
        &mut self,
        actor: Actor,
        basis_points: u32,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        if !DEDUCTION_RANGE_BP.contains(&basis_points) {
            return Err(Reason::Invalid { field: Field::Deduction });
        }
        self.sme_deduction = Deduction(basis_points);
        ctx.emit(Event::SmeDeductionSet { basis_points });
        Ok(())
    }

    /// What `supplier`'s valid `total` is ranked at in `inquiry`: less the deduction for a small
    /// or micro enterprise in a deal not reserved, as quoted otherwise.
    pub(crate) fn evaluated(
        &self,
        inquiry: &Inquiry,
        supplier: ParticipantId,
        total: Amount,
    ) -> Amount {
        if !inquiry.reserved && self.is_small_or_micro(supplier) {
            self.sme_deduction.apply(total)
        } else {
            total
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deduction_rounds_half_up_to_the_fen() {
        let ten = Deduction(1_000);
        assert_eq!(ten.apply(Amount::from_minor(100_000)), Amount::from_minor(90_000));
        // 0.15 yuan less 10 % is 0.135: half up to 0.14.
        assert_eq!(ten.apply(Amount::from_minor(15)), Amount::from_minor(14));
        assert_eq!(Deduction(2_000).apply(Amount::from_minor(12_345)), Amount::from_minor(9_876));
    }
}

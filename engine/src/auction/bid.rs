//! Bids: validity at receipt, ranking by price then receipt, and the soft close.

use super::{Eligibility, Standing};
use crate::arena::Ix;
use crate::catalog::{ParticipantKind, RegionChain};
use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, DealId, ParticipantId, ProductId, Timestamp, UnitPrice};

impl State {
    /// a bid, naming its product in a category auction (else the auction's product).
    pub(crate) fn submit_bid(
        &mut self,
        actor: Actor,
        auction: DealId,
        product: Option<ProductId>,
        price: UnitPrice,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let supplier_ix = self.require_kind(actor, ParticipantKind::Supplier)?;
        if !self.participants.at(supplier_ix).is_active() {
            return Err(Reason::SupplierSuspended);
        }
        let bidder = actor.participant;
        let ix =
            self.auctions.index_of(auction).ok_or(Reason::NotFound { what: Entity::Auction })?;
        let a = self.auctions.at(ix);
        // Half-open window: a bid at exactly the end is late (A-4: receipt time decides).
        let open =
            a.state == super::AuctionState::Open && ctx.now >= a.spec.starts && ctx.now < a.end;
        if !open {
            return Err(Reason::AuctionNotOpen);
        }
        let product = product.unwrap_or(a.spec.product);
        if !self.offered_in(a, product) {
            return Err(Reason::ProductNotInAuction);
        }
        // Eligible as a holder through this agreement, whose ceiling then holds the bid, or
        // as one invited: one look-up serves both.
        let own_ceiling = match &a.spec.eligibility {
            Eligibility::AgreementHolders => Some(
                self.holder_agreement(bidder, product, &a.region, ctx.now)
                    .ok_or(Reason::NotEligible)?
                    .ceiling,
            ),
            Eligibility::Invited(list) if list.binary_search(&bidder).is_ok() => None,
            Eligibility::Invited(_) => return Err(Reason::NotEligible),
        };
        // S-2: a reserved auction takes bids from small and medium enterprises only.
        if a.reserved && !self.is_sme(bidder) {
            return Err(Reason::NotSme);
        }
        if a.standings.iter().any(|s| s.bidder != bidder && self.affiliated(s.bidder, bidder)) {
            return Err(Reason::AffiliateBidding);
        }
        if !price.is_positive() {
            return Err(Reason::Invalid { field: Field::Price });
        }
        if price > a.spec.ceiling {
            return Err(Reason::BidAboveCeiling { ceiling: a.spec.ceiling });
        }
        // a holder bids within its own agreement's current ceiling too.
        if let Some(ceiling) = own_ceiling.filter(|c| price > *c) {
            return Err(Reason::BidAboveOwnCeiling { ceiling });
        }
        let own = a.standings.iter().position(|s| s.bidder == bidder);
        let mut to_beat = own.map(|i| a.standings[i].price);
        if a.spec.must_beat_best
            && let Some(best) = a.best().filter(|b| b.bidder != bidder)
        {
            to_beat = Some(to_beat.map_or(best.price, |own| own.min(best.price)));
        }
        if let Some(to_beat) = to_beat {
            let at_most = UnitPrice::from_minor(to_beat.minor() - a.step.minor());
            if price > at_most {
                return Err(Reason::StepTooSmall { at_most });
            }
        }

        let standing = Standing { bidder, product, price, receipt: ctx.seq, at: ctx.now };
        let a = self.auctions.at_mut(ix);
        match own {
            Some(i) => a.standings[i] = standing,
            None => a.standings.push(standing),
        }
        a.bids.push(standing);
        ctx.emit(Event::BidAccepted { auction, bidder, price, receipt: ctx.seq });
        self.soft_close(ix, ctx);
        Ok(())
    }

    /// a bid in the last window moves the end to `max(end, receipt + extension)`, never past
    /// the scheduled end plus the cap.
    fn soft_close(&mut self, ix: Ix, ctx: &mut Ctx<'_>) {
        let a = self.auctions.at(ix);
        if ctx.now < a.end.plus_ms(-a.spec.soft_close_ms) {
            return;
        }
        let cap = a.spec.ends.plus_ms(a.spec.max_extension_ms);
        let end = a.end.max(ctx.now.plus_ms(a.spec.extension_ms)).min(cap);
        if end == a.end {
            return;
        }
        if let Some(old) = a.deadline() {
            self.deadlines.remove(&old);
        }
        let a = self.auctions.at_mut(ix);
        a.end = end;
        let (auction, deadline) = (a.id, a.deadline());
        if let Some(deadline) = deadline {
            self.deadlines.insert(deadline);
        }
        ctx.emit(Event::AuctionExtended { auction, end });
    }

    /// Whether a supplier may bid: invited, or holding an agreement for the product that is valid
    /// now and covers the purchaser's region.
    pub(crate) fn may_bid(
        &self,
        supplier: ParticipantId,
        eligibility: &Eligibility,
        product: crate::types::ProductId,
        region: &RegionChain,
        now: Timestamp,
    ) -> bool {
        match eligibility {
            Eligibility::Invited(list) => list.binary_search(&supplier).is_ok(),
            Eligibility::AgreementHolders => {
                self.holder_agreement(supplier, product, region, now).is_some()
            }
        }
    }

    /// the auction's own product, or in a category auction any product of the category.
    pub(crate) fn offered_in(&self, a: &super::Auction, product: ProductId) -> bool {
        match a.category {
            None => product == a.spec.product,
            Some(category) => {
                self.products.get(product).is_some_and(|p| p.category.codes().contains(&category))
            }
        }
    }

    /// Whether a supplier may bid in `a` with some product: invited, or holding a valid agreement
    /// covering the purchaser's region for the auction's product, or in a category auction for
    /// any product of the category.
    pub(crate) fn may_bid_in(
        &self,
        a: &super::Auction,
        supplier: ParticipantId,
        now: Timestamp,
    ) -> bool {
        match (&a.spec.eligibility, a.category) {
            (Eligibility::Invited(_), _) | (_, None) => {
                self.may_bid(supplier, &a.spec.eligibility, a.spec.product, &a.region, now)
            }
            (Eligibility::AgreementHolders, Some(_)) => self.agreements.iter().any(|(_, ag)| {
                ag.supplier == supplier
                    && ag.is_valid(now)
                    && ag.covers(&a.region)
                    && self.offered_in(a, ag.product)
            }),
        }
    }

    /// The agreement of `supplier` for `product` that is valid at `now` and covers `region`: what
    /// makes it eligible as a holder, and whose ceiling holds its bids.
    pub(crate) fn holder_agreement(
        &self,
        supplier: ParticipantId,
        product: crate::types::ProductId,
        region: &RegionChain,
        now: Timestamp,
    ) -> Option<&crate::catalog::Agreement> {
        let product = self.products.get(product)?;
        product
            .agreements
            .iter()
            .map(|ix| self.agreements.at(*ix))
            .find(|a| a.supplier == supplier && a.is_valid(now) && a.covers(region))
    }
}

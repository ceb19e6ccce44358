//! Framework agreements (框架协议): one supplier, one product, the regions covered, a ceiling unit
//! price, a validity period and optional stock. The supplier's live offer is part of its agreement and
//! never above the ceiling (D-6); the product's book indexes it in price-time priority.

use serde::{Deserialize, Serialize};
use time::Date;

use super::{ParticipantKind, RegionChain, RegionSet};
use crate::arena::Ix;
use crate::command::Ctx;
use crate::direct::OfferKey;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{
    Actor, AgreementId, ParticipantId, ProductId, Quantity, RegionCode, Seq, Timestamp, UnitPrice,
    Validity,
};

/// A supplier's live offer under an agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Current unit price.
    pub price: UnitPrice,
    /// Sequence of the command that set this price: its time priority (D-2).
    pub since: Seq,
}

/// A framework agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Id.
    pub id: AgreementId,
    /// The supplier.
    pub supplier: ParticipantId,
    /// The supplier's index among participants.
    pub(crate) supplier_ix: Ix,
    /// The product.
    pub product: ProductId,
    /// The product's index among products.
    pub(crate) product_ix: Ix,
    /// Regions covered; each covers its descendants.
    pub regions: Vec<RegionCode>,
    /// The same regions as a set, for the hot path.
    pub(crate) coverage: RegionSet,
    /// Ceiling unit price (最高限价).
    pub ceiling: UnitPrice,
    /// Validity, dates inclusive.
    pub validity: Validity,
    /// Stock left, `None` when not limited.
    pub stock: Option<Quantity>,
    /// The live offer, once the supplier sets one.
    pub offer: Option<Offer>,
    /// Revoked by an operator: no longer in any book.
    pub revoked: bool,
    /// Days from acceptance to payment (P-6): 30 unless the agreement says otherwise, at most 60.
    pub payment_days: u32,
}

/// The longest payment term an agreement may set (保障中小企业款项支付条例 Art. 8).
pub const MAX_PAYMENT_DAYS: u32 = 60;

impl Agreement {
    /// True when the agreement covers a purchaser in `region`.
    pub fn covers(&self, region: &RegionChain) -> bool {
        self.coverage.intersects(region.set())
    }

    /// True when valid at `now` and not revoked.
    pub fn is_valid(&self, now: Timestamp) -> bool {
        !self.revoked && self.validity.contains(now)
    }

    /// Stock that can be filled, given a wanted quantity.
    pub fn fillable(&self, wanted: Quantity) -> Quantity {
        self.stock.map_or(wanted, |stock| stock.min(wanted))
    }
}

/// What an operator gives to grant an agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The supplier.
    pub supplier: ParticipantId,
    /// The product.
    pub product: ProductId,
    /// Regions covered.
    pub regions: Vec<RegionCode>,
    /// Ceiling unit price.
    pub ceiling: UnitPrice,
    /// First valid day.
    pub valid_from: Date,
    /// Last valid day, inclusive.
    pub valid_to: Date,
    /// Stock, `None` when not limited.
    pub stock: Option<Quantity>,
}

impl State {
    pub(crate) fn grant_agreement(
        &mut self,
        actor: Actor,
        mut grant: Grant,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        for code in &grant.regions {
            self.require_operator(actor, Reach::Region(*code))?;
        }
        let supplier_ix = self.supplier_ix(grant.supplier)?;
        let product_ix = self
            .products
            .index_of(grant.product)
            .ok_or(Reason::NotFound { what: Entity::Product })?;
        grant.regions.sort_unstable();
        grant.regions.dedup();
        if grant.regions.is_empty() {
            return Err(Reason::Invalid { field: Field::Regions });
        }
        let mut coverage = RegionSet::default();
        for code in &grant.regions {
            let region = self.regions.get(code).ok_or(Reason::NotFound { what: Entity::Region })?;
            coverage.insert(region.ix);
        }
        if !grant.ceiling.is_positive() {
            return Err(Reason::Invalid { field: Field::Price });
        }
        let validity = Validity::new(grant.valid_from, grant.valid_to)
            .ok_or(Reason::Invalid { field: Field::Dates })?;
        let scale = self.products.at(product_ix).scale;
        if let Some(stock) = grant.stock {
            if stock.minor() < 0 {
                return Err(Reason::Invalid { field: Field::Quantity });
            }
            if !stock.fits_scale(scale) {
                return Err(Reason::QuantityScale { scale });
            }
        }
        let id = AgreementId::from_seq(ctx.seq);
        let ix = self.agreements.push(
            id,
            Agreement {
                id,
                supplier: grant.supplier,
                supplier_ix,
                product: grant.product,
                product_ix,
                regions: grant.regions.clone(),
                coverage,
                ceiling: grant.ceiling,
                validity,
                stock: grant.stock,
                offer: None,
                revoked: false,
                payment_days: crate::settlement::DEFAULT_PAYMENT_DAYS,
            },
        );
        self.products.at_mut(product_ix).agreements.push(ix);
        ctx.emit(Event::AgreementGranted { agreement: id, grant });
        Ok(())
    }

    pub(crate) fn change_ceiling(
        &mut self,
        actor: Actor,
        agreement: AgreementId,
        ceiling: UnitPrice,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_an_operator(actor)?;
        let ix = self.agreement_ix(agreement)?;
        self.require_operator_over_agreement(actor, ix)?;
        if !ceiling.is_positive() {
            return Err(Reason::Invalid { field: Field::Price });
        }
        let agreement_row = self.agreements.at_mut(ix);
        if agreement_row.revoked {
            return Err(Reason::AgreementNotValid);
        }
        // An offer left above a lowered ceiling stays in the book but is not eligible (D-2) until the
        // supplier lowers it: the supplier, not the engine, sets its prices.
        agreement_row.ceiling = ceiling;
        ctx.emit(Event::CeilingChanged { agreement, ceiling });
        Ok(())
    }

    /// P-6: the payment term an agreement grants its purchasers, 1 to 60 days.
    pub(crate) fn set_payment_term(
        &mut self,
        actor: Actor,
        agreement: AgreementId,
        days: u32,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_an_operator(actor)?;
        let ix = self.agreement_ix(agreement)?;
        self.require_operator_over_agreement(actor, ix)?;
        if !(1..=MAX_PAYMENT_DAYS).contains(&days) {
            return Err(Reason::Invalid { field: Field::PaymentTerm });
        }
        self.agreements.at_mut(ix).payment_days = days;
        ctx.emit(Event::PaymentTermSet { agreement, days });
        Ok(())
    }

    pub(crate) fn revoke_agreement(
        &mut self,
        actor: Actor,
        agreement: AgreementId,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_an_operator(actor)?;
        let ix = self.agreement_ix(agreement)?;
        self.require_operator_over_agreement(actor, ix)?;
        let row = self.agreements.at_mut(ix);
        if row.revoked {
            return Err(Reason::AgreementNotValid);
        }
        row.revoked = true;
        if let Some(offer) = row.offer {
            let product_ix = row.product_ix;
            self.products.at_mut(product_ix).book.remove(OfferKey::new(offer, ix));
        }
        ctx.emit(Event::AgreementRevoked { agreement, reason });
        Ok(())
    }

    /// D-6: the supplier sets its offer at any moment within the ceiling; a new price takes a new time
    /// priority, the same price keeps the old one.
    pub(crate) fn set_offer(
        &mut self,
        actor: Actor,
        agreement: AgreementId,
        price: UnitPrice,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.owned_agreement_ix(actor, agreement)?;
        let row = self.agreements.at(ix);
        if row.revoked || row.validity.has_ended(ctx.now) {
            return Err(Reason::AgreementNotValid);
        }
        if !self.participants.at(row.supplier_ix).is_active() {
            return Err(Reason::SupplierSuspended);
        }
        if !price.is_positive() {
            return Err(Reason::Invalid { field: Field::Price });
        }
        if price > row.ceiling {
            return Err(Reason::OfferAboveCeiling { ceiling: row.ceiling });
        }
        let (product, product_ix, previous) = (row.product, row.product_ix, row.offer);
        let offer = match previous {
            Some(old) if old.price == price => old,
            _ => {
                let offer = Offer { price, since: ctx.seq };
                let book = &mut self.products.at_mut(product_ix).book;
                if let Some(old) = previous {
                    book.remove(OfferKey::new(old, ix));
                }
                book.insert(OfferKey::new(offer, ix));
                self.agreements.at_mut(ix).offer = Some(offer);
                offer
            }
        };
        ctx.emit(Event::OfferChanged {
            agreement,
            supplier: actor.participant,
            product,
            price: offer.price,
            since: offer.since,
        });
        Ok(())
    }

    /// The supplier sets its stock; a stock change keeps the offer's time priority (D-2).
    pub(crate) fn set_stock(
        &mut self,
        actor: Actor,
        agreement: AgreementId,
        stock: Option<Quantity>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.owned_agreement_ix(actor, agreement)?;
        let row = self.agreements.at(ix);
        if row.revoked {
            return Err(Reason::AgreementNotValid);
        }
        if let Some(stock) = stock {
            let scale = self.products.at(row.product_ix).scale;
            if stock.minor() < 0 {
                return Err(Reason::Invalid { field: Field::Quantity });
            }
            if !stock.fits_scale(scale) {
                return Err(Reason::QuantityScale { scale });
            }
        }
        let product = row.product;
        self.agreements.at_mut(ix).stock = stock;
        ctx.emit(Event::StockChanged { agreement, product, stock });
        Ok(())
    }

    /// The index of an agreement the acting supplier holds.
    fn owned_agreement_ix(&self, actor: Actor, agreement: AgreementId) -> Result<Ix, Reason> {
        self.require_kind(actor, ParticipantKind::Supplier)?;
        let ix = self.agreement_ix(agreement)?;
        if self.agreements.at(ix).supplier != actor.participant {
            return Err(Reason::NotPermitted);
        }
        Ok(ix)
    }
}

//! Rotation (顺序轮候, rule N-5): for services bought under framework agreements, the
//! operator publishes a fixed order of the agreement suppliers of a product; each order placed
//! under the rotation goes to the next supplier in that order that is eligible for the purchaser
//! (D-2: valid agreement covering its region, active, offer within the ceiling, stock), at that
//! supplier's offer, wholly. A supplier that declines the contract (拒签) keeps its place, and so
//! gets the next order, once per cycle; a second decline in the same cycle loses it.

use serde::{Deserialize, Serialize};

use crate::catalog::ParticipantKind;
use crate::command::Ctx;
use crate::direct::{OrderRequest, PlannedFill};
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, BudgetLineId, DealId, ParticipantId, ProductId, Quantity};

/// A published rotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// Id.
    pub id: DealId,
    /// The product (a service) it allocates.
    pub product: ProductId,
    /// The published order.
    pub order: Vec<ParticipantId>,
    /// The position whose turn is next.
    pub next: usize,
    /// Cycles completed.
    pub cycle: u32,
    /// Suppliers that declined and kept their place in this cycle.
    pub kept: Vec<ParticipantId>,
    /// Orders it allocated, with the supplier each went to.
    pub served: Vec<(DealId, ParticipantId)>,
}

impl Rotation {
    /// Whose turn it is, before eligibility for a given purchaser is known.
    pub fn up_next(&self) -> Option<ParticipantId> {
        self.order.get(self.next).copied()
    }
}

impl State {
    /// Operator: publishes a rotation of a product's agreement suppliers, in the order given.
    pub(crate) fn define_rotation(
        &mut self,
        actor: Actor,
        product: ProductId,
        order: Vec<ParticipantId>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        let p = self.products.get(product).ok_or(Reason::NotFound { what: Entity::Product })?;
        let mut seen = order.clone();
        seen.sort_unstable();
        seen.dedup();
        if order.len() < 2 || seen.len() != order.len() {
            return Err(Reason::Invalid { field: Field::Members });
        }
        for supplier in &order {
            self.supplier_ix(*supplier)?;
            let holds = p.agreements.iter().any(|ix| self.agreements.at(*ix).supplier == *supplier);
            if !holds {
                return Err(Reason::NoAgreement);
            }
        }
        let id = DealId::from_seq(ctx.seq);
        let rotation = Rotation {
            id,
            product,
            order: order.clone(),
            next: 0,
            cycle: 0,
            kept: Vec::new(),
            served: Vec::new(),
        };
        self.rotations.push(id, rotation);
        ctx.emit(Event::RotationDefined { rotation: id, product, order });
        Ok(())
    }

    /// Purchaser: an order under a rotation, to the next eligible supplier in its order (N-5).
    pub(crate) fn order_by_rotation(
        &mut self,
        actor: Actor,
        rotation: DealId,
        quantity: Quantity,
        budget_line: BudgetLineId,
        plan: &mut Vec<PlannedFill>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let purchaser_ix = self.require_kind(actor, ParticipantKind::Purchaser)?;
        let region = self.participants.at(purchaser_ix).region.unwrap_or_default();
        let r_ix =
            self.rotations.index_of(rotation).ok_or(Reason::NotFound { what: Entity::Rotation })?;
        let r = self.rotations.at(r_ix);
        let n = r.order.len();
        let product =
            self.products.get(r.product).ok_or(Reason::NotFound { what: Entity::Product })?;
        let eligible = |supplier: ParticipantId| {
            product.book.iter().any(|key| {
                let a = self.agreements.at(key.agreement);
                a.supplier == supplier
                    && a.covers(&region)
                    && a.is_valid(ctx.now)
                    && self.participants.at(a.supplier_ix).is_active()
                    && key.price <= a.ceiling
                    && a.fillable(quantity) >= quantity
            })
        };
        let (served_at, supplier) = (0..n)
            .map(|k| (r.next + k, r.order[(r.next + k) % n]))
            .find(|(_, s)| eligible(*s))
            .ok_or(Reason::NoAgreement)?;
        let (product_id, order) = (r.product, DealId::from_seq(ctx.seq));
        let request = OrderRequest {
            product: product_id,
            quantity,
            budget_line,
            supplier: Some(supplier),
            limit_price: None,
            all_or_nothing: true,
        };
        self.place_order(actor, request, plan, ctx)?;
        let r = self.rotations.at_mut(r_ix);
        let passed = (served_at + 1) / n;
        if passed > 0 {
            r.cycle += u32::try_from(passed).unwrap_or(1);
            r.kept.clear();
        }
        r.next = (served_at + 1) % n;
        r.served.push((order, supplier));
        let position = u32::try_from(served_at % n).unwrap_or(u32::MAX);
        ctx.emit(Event::RotationServed { rotation, order, supplier, position });
        Ok(())
    }

    /// A trade of a rotation order was declined by its supplier: it keeps its place once per cycle.
    pub(crate) fn rotation_declined(
        &mut self,
        order: DealId,
        supplier: ParticipantId,
        ctx: &mut Ctx<'_>,
    ) {
        let found = self.rotations.iter().find(|(_, r)| r.served.contains(&(order, supplier)));
        let Some((id, _)) = found else { return };
        let Some(ix) = self.rotations.index_of(id) else { return };
        let r = self.rotations.at_mut(ix);
        if r.kept.contains(&supplier) {
            return;
        }
        let Some(position) = r.order.iter().position(|s| *s == supplier) else { return };
        r.kept.push(supplier);
        r.next = position;
        ctx.emit(Event::RotationPlaceKept { rotation: id, supplier });
    }
}

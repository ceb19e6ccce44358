//! Catalog products (SKUs): category, brand, model, specification, unit of measure and the quantity
//! scale (how many decimals an order may carry). Each product owns the book of its live offers.

use serde::{Deserialize, Serialize};

use super::CategoryChain;
use crate::command::Ctx;
use crate::direct::OfferBook;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, CategoryCode, ProductId, Quantity};

/// A catalog product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// The operator's stock-keeping code, unique.
    pub sku: String,
    /// Catalog category and its ancestors.
    pub category: CategoryChain,
    /// Brand.
    pub brand: String,
    /// Model.
    pub model: String,
    /// Specification.
    pub spec: String,
    /// Unit of measure (台, 件, 箱, 次 ...).
    pub unit: String,
    /// Decimals an ordered quantity may carry, 0 to 3.
    pub scale: u8,
    /// Live offers in price-time priority.
    pub book: OfferBook,
    /// Every agreement granted for the product, by index: who may bid in its auctions.
    pub(crate) agreements: Vec<crate::arena::Ix>,
}

/// What an operator gives to define a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSpec {
    /// Stock-keeping code, unique.
    pub sku: String,
    /// Catalog category.
    pub category: CategoryCode,
    /// Brand.
    pub brand: String,
    /// Model.
    pub model: String,
    /// Specification.
    pub spec: String,
    /// Unit of measure.
    pub unit: String,
    /// Quantity decimals, 0 to 3.
    pub scale: u8,
}

impl State {
    pub(crate) fn define_product(
        &mut self,
        actor: Actor,
        spec: ProductSpec,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        for text in [&spec.sku, &spec.brand, &spec.model, &spec.spec, &spec.unit] {
            if !super::text_ok(text) {
                return Err(Reason::Invalid { field: Field::Name });
            }
        }
        if u32::from(spec.scale) > Quantity::SCALE {
            return Err(Reason::Invalid { field: Field::Scale });
        }
        let category = self
            .categories
            .get(&spec.category)
            .ok_or(Reason::NotFound { what: Entity::Category })?
            .chain;
        if self.skus.contains_key(&spec.sku) {
            return Err(Reason::AlreadyExists { what: Entity::Product });
        }
        let id = ProductId::from_seq(ctx.seq);
        self.skus.insert(spec.sku.clone(), id);
        self.products.push(
            id,
            Product {
                id,
                sku: spec.sku.clone(),
                category,
                brand: spec.brand.clone(),
                model: spec.model.clone(),
                spec: spec.spec.clone(),
                unit: spec.unit.clone(),
                scale: spec.scale,
                book: OfferBook::default(),
                agreements: Vec::new(),
            },
        );
        ctx.emit(Event::ProductDefined { product: id, spec });
        Ok(())
    }
}

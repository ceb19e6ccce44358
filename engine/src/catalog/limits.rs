//! Direct-order limits (D-4): the largest amount one direct order may reach, set per category and
//! region. Above it a purchaser must use an auction or an inquiry.
//!
//! Resolution: the nearest region that sets a limit for the category or any of its ancestors wins,
//! and within that region the nearest category. A city may thus tighten or loosen the province's
//! figure for its own units, as local procurement catalogues do. With no limit set anywhere in the
//! chain an order is not limited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CategoryChain, RegionChain};
use crate::command::Ctx;
use crate::event::Event;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, Amount, CategoryCode, RegionCode};

/// Limits by region, then by category. Both maps are small (a few dozen regions and categories
/// carry limits), so a lookup is a handful of comparisons.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectOrderLimits {
    by_region: BTreeMap<RegionCode, BTreeMap<CategoryCode, Amount>>,
}

impl DirectOrderLimits {
    /// The limit that applies to a purchaser in `region` buying in `category`.
    pub fn resolve(&self, region: &RegionChain, category: &CategoryChain) -> Option<Amount> {
        region.codes().iter().find_map(|code| {
            let by_category = self.by_region.get(code)?;
            category
                .codes()
                .iter()
                .find_map(|c| by_category.get(c).copied())
        })
    }

    fn set(&mut self, region: RegionCode, category: CategoryCode, limit: Option<Amount>) {
        match limit {
            Some(limit) => {
                self.by_region
                    .entry(region)
                    .or_default()
                    .insert(category, limit);
            }
            None => {
                if let Some(by_category) = self.by_region.get_mut(&region) {
                    by_category.remove(&category);
                    if by_category.is_empty() {
                        self.by_region.remove(&region);
                    }
                }
            }
        }
    }
}

impl State {
    pub(crate) fn set_direct_order_limit(
        &mut self,
        actor: Actor,
        region: RegionCode,
        category: CategoryCode,
        limit: Option<Amount>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor)?;
        if !self.regions.contains_key(&region) {
            return Err(Reason::NotFound {
                what: Entity::Region,
            });
        }
        if !self.categories.contains_key(&category) {
            return Err(Reason::NotFound {
                what: Entity::Category,
            });
        }
        if limit.is_some_and(|l| l.minor() < 0) {
            return Err(Reason::Invalid {
                field: Field::Amount,
            });
        }
        self.limits.set(region, category, limit);
        ctx.emit(Event::DirectOrderLimitSet {
            region,
            category,
            limit,
        });
        Ok(())
    }
}

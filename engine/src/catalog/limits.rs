//! Direct-order limits (D-4): the largest amount one direct order may reach, set per category and
//! region. Above it a purchaser must use an auction or an inquiry.
//!
//! Resolution: the nearest region that sets a limit for the category or any of its ancestors wins,
//! and within that region the nearest category. A city may thus tighten or loosen the province's
//! figure for its own units, as local procurement catalogues do. With no limit set anywhere in the
//! chain an order is not limited.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::{CategoryChain, RegionChain};
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, Amount, CategoryCode, RegionCode};

/// Limits by region, then by category, with resolved limits cached per region and category: the
/// walk over both chains costs more than the rest of an order's checks, and limits rarely change.
/// The cache is derived, never iterated and never snapshotted; any change of a limit clears it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DirectOrderLimits {
    by_region: BTreeMap<RegionCode, BTreeMap<CategoryCode, Amount>>,
    #[serde(skip)]
    resolved: FxHashMap<(RegionCode, CategoryCode), Option<Amount>>,
}

impl DirectOrderLimits {
    /// The limit that applies to a purchaser in `region` buying in `category`.
    pub fn resolve(&self, region: &RegionChain, category: &CategoryChain) -> Option<Amount> {
        region.codes().iter().find_map(|code| {
            let by_category = self.by_region.get(code)?;
            category.codes().iter().find_map(|c| by_category.get(c).copied())
        })
    }

    /// As [`Self::resolve`], remembering the answer until a limit changes.
    pub(crate) fn resolve_cached(
        &mut self,
        region: &RegionChain,
        category: &CategoryChain,
    ) -> Option<Amount> {
        let key = (region.region(), category.category());
        if let Some(limit) = self.resolved.get(&key) {
            return *limit;
        }
        let limit = self.resolve(region, category);
        self.resolved.insert(key, limit);
        limit
    }

    /// Every limit set, by region then category.
    pub fn iter(&self) -> impl Iterator<Item = (RegionCode, CategoryCode, Amount)> + '_ {
        self.by_region
            .iter()
            .flat_map(|(region, by_category)| by_category.iter().map(|(c, a)| (*region, *c, *a)))
    }

    fn set(&mut self, region: RegionCode, category: CategoryCode, limit: Option<Amount>) {
        self.resolved.clear();
        match limit {
            Some(limit) => {
                self.by_region.entry(region).or_default().insert(category, limit);
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
        self.require_operator(actor, Reach::Region(region))?;
        if !self.regions.contains_key(&region) {
            return Err(Reason::NotFound { what: Entity::Region });
        }
        if !self.categories.contains_key(&category) {
            return Err(Reason::NotFound { what: Entity::Category });
        }
        if limit.is_some_and(|l| l.minor() < 0) {
            return Err(Reason::Invalid { field: Field::Amount });
        }
        self.limits.set(region, category, limit);
        ctx.emit(Event::DirectOrderLimitSet { region, category, limit });
        Ok(())
    }
}

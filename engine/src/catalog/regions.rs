//! Administrative regions: province, cities, counties (GB/T 2260). Coverage is hierarchical: an
//! agreement covering a city covers its counties, so each region keeps its chain of ancestors.

use serde::{Deserialize, Serialize};

use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, RegionCode};

/// Level of a region in the hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegionLevel {
    /// 省
    Province,
    /// 市
    City,
    /// 县、区、县级市
    County,
}

/// Most regions one engine indexes: a province has at most about 210 counties, cities and itself.
pub const MAX_REGIONS: usize = 256;

/// A set of regions as a bitset over their dense indexes. Coverage checks on the hot path are then
/// four AND operations on data stored inline, not a walk over a list behind a pointer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionSet([u64; MAX_REGIONS / 64]);

impl RegionSet {
    /// Adds the region with dense index `ix`.
    pub fn insert(&mut self, ix: u8) {
        self.0[usize::from(ix / 64)] |= 1 << (ix % 64);
    }

    /// True when the two sets share a region.
    pub fn intersects(&self, other: &RegionSet) -> bool {
        self.0.iter().zip(other.0.iter()).any(|(a, b)| a & b != 0)
    }
}

/// A region and its ancestors, the region itself first: what coverage is checked against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionChain {
    codes: [RegionCode; 3],
    len: u8,
    set: RegionSet,
}

impl RegionChain {
    /// The region itself and its ancestors, nearest first.
    pub fn codes(&self) -> &[RegionCode] {
        &self.codes[..usize::from(self.len)]
    }

    /// True when `code` is this region or one of its ancestors.
    pub fn contains(&self, code: RegionCode) -> bool {
        self.codes().contains(&code)
    }

    /// The region itself.
    pub fn region(&self) -> RegionCode {
        self.codes[0]
    }

    /// The region and its ancestors as a set.
    pub fn set(&self) -> &RegionSet {
        &self.set
    }
}

/// An administrative region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Six-digit code.
    pub code: RegionCode,
    /// Official name.
    pub name: String,
    /// The region above, none for the province.
    pub parent: Option<RegionCode>,
    /// Level.
    pub level: RegionLevel,
    /// Itself and its ancestors.
    pub chain: RegionChain,
    /// Dense index, in order of definition.
    pub ix: u8,
}

impl State {
    pub(crate) fn define_region(
        &mut self,
        actor: Actor,
        code: RegionCode,
        name: String,
        parent: Option<RegionCode>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, parent.map_or(Reach::Province, Reach::Region))?;
        if !super::text_ok(&name) {
            return Err(Reason::Invalid { field: Field::Name });
        }
        if self.regions.contains_key(&code) {
            return Err(Reason::AlreadyExists { what: Entity::Region });
        }
        let ix = u8::try_from(self.regions.len())
            .map_err(|_| Reason::Invalid { field: Field::Capacity })?;
        let mut set = RegionSet::default();
        set.insert(ix);
        let (level, chain) = match parent {
            None => (RegionLevel::Province, RegionChain { codes: [code; 3], len: 1, set }),
            Some(parent_code) => {
                let parent = self
                    .regions
                    .get(&parent_code)
                    .ok_or(Reason::NotFound { what: Entity::Region })?;
                let level = match parent.level {
                    RegionLevel::Province => RegionLevel::City,
                    RegionLevel::City => RegionLevel::County,
                    RegionLevel::County => return Err(Reason::Invalid { field: Field::Parent }),
                };
                let mut codes = [code; 3];
                let above = parent.chain.codes();
                codes[1..=above.len()].copy_from_slice(above);
                let mut set = parent.chain.set;
                set.insert(ix);
                (level, RegionChain { codes, len: parent.chain.len + 1, set })
            }
        };
        self.regions.insert(code, Region { code, name: name.clone(), parent, level, chain, ix });
        ctx.emit(Event::RegionDefined { code, name, parent, level });
        Ok(())
    }
}

//! Participants: purchasing units, suppliers, analysts and regulators, operators. A supplier is a
//! legal entity known by its unified social credit code, registered once and valid province-wide,
//! active or suspended. Affiliation groups record suppliers that count as one (same legal
//! representative, or one controls the other: 政府采购法实施条例 Art. 18).

use serde::{Deserialize, Serialize};

use super::RegionChain;
use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Entity, Field, Reason};
use crate::state::State;
use crate::types::{Actor, CreditCode, GroupId, ParticipantId, RegionCode};

/// What a participant is; a user acting for it acts in this role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParticipantKind {
    /// 采购单位: buys, holds budget lines.
    Purchaser,
    /// 供应商: holds agreements, offers, bids and quotes.
    Supplier,
    /// 监管 / 价格分析: reads feeds, indices, alerts and reconciliation of its region.
    Analyst,
    /// 采购中心: loads reference data, suspends suppliers, cancels with a reason.
    Operator,
}

/// Whether a supplier may trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParticipantStatus {
    /// May trade.
    Active,
    /// May not trade until reinstated; its offers are not eligible (D-2).
    Suspended,
}

/// A registered participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Id.
    pub id: ParticipantId,
    /// Role.
    pub kind: ParticipantKind,
    /// Legal name.
    pub name: String,
    /// Unified social credit code; required of suppliers.
    pub credit_code: Option<CreditCode>,
    /// Region and its ancestors; required of purchasers and analysts.
    pub region: Option<RegionChain>,
    /// Active or suspended.
    pub status: ParticipantStatus,
    /// Affiliation groups it belongs to.
    pub groups: Vec<GroupId>,
    /// A supplier's enterprise size, as declared (S-1).
    pub size: Option<EnterpriseSize>,
}

/// An enterprise's size by the classification standard for small and medium enterprises
/// (中小企业划型标准): what reserved deals and the small-enterprise deduction go by (S-1, S-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EnterpriseSize {
    /// 微型企业.
    Micro,
    /// 小型企业.
    Small,
    /// 中型企业.
    Medium,
    /// 大型企业.
    Large,
}

impl EnterpriseSize {
    /// Every size, smallest first.
    pub const ALL: [Self; 4] = [Self::Micro, Self::Small, Self::Medium, Self::Large];

    /// Its name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Self::Micro => "micro",
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }

    /// A small, medium or micro enterprise: who may take part in a reserved deal (S-2).
    pub fn is_sme(self) -> bool {
        self != Self::Large
    }

    /// A small or micro enterprise: whose prices are ranked after the deduction (S-2).
    pub fn is_small_or_micro(self) -> bool {
        matches!(self, Self::Micro | Self::Small)
    }
}

impl Participant {
    /// True when active.
    pub fn is_active(&self) -> bool {
        self.status == ParticipantStatus::Active
    }
}

/// Why suppliers count as one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AffiliationBasis {
    /// Same legal representative (单位负责人为同一人).
    SameLegalRepresentative,
    /// One controls or manages the other (存在直接控股、管理关系).
    Control,
}

/// Suppliers that count as one legal entity in competitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffiliationGroup {
    /// Id.
    pub id: GroupId,
    /// Member suppliers.
    pub members: Vec<ParticipantId>,
    /// Why.
    pub basis: AffiliationBasis,
}

/// What an operator gives to register a participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Role.
    pub kind: ParticipantKind,
    /// Legal name.
    pub name: String,
    /// Unified social credit code.
    pub credit_code: Option<CreditCode>,
    /// Region.
    pub region: Option<RegionCode>,
}

impl State {
    pub(crate) fn register_participant(
        &mut self,
        actor: Actor,
        registration: Registration,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        // Suppliers are registered once for the whole province; anyone else within its region.
        let reach = match (registration.kind, registration.region) {
            (ParticipantKind::Supplier, _) | (_, None) => Reach::Province,
            (_, Some(region)) => Reach::Region(region),
        };
        self.require_operator(actor, reach)?;
        let Registration { kind, name, credit_code, region } = &registration;
        if !super::text_ok(name) {
            return Err(Reason::Invalid { field: Field::Name });
        }
        let needs_region = matches!(kind, ParticipantKind::Purchaser | ParticipantKind::Analyst);
        if needs_region && region.is_none() {
            return Err(Reason::Invalid { field: Field::Region });
        }
        if *kind == ParticipantKind::Supplier && credit_code.is_none() {
            return Err(Reason::Invalid { field: Field::CreditCode });
        }
        let chain = match region {
            Some(code) => {
                Some(self.regions.get(code).ok_or(Reason::NotFound { what: Entity::Region })?.chain)
            }
            None => None,
        };
        if let Some(code) = credit_code
            && self.credit_codes.contains_key(code)
        {
            return Err(Reason::AlreadyExists { what: Entity::CreditCode });
        }
        let id = ParticipantId::from_seq(ctx.seq);
        if let Some(code) = credit_code {
            self.credit_codes.insert(*code, id);
        }
        self.participants.push(
            id,
            Participant {
                id,
                kind: *kind,
                name: name.clone(),
                credit_code: *credit_code,
                region: chain,
                status: ParticipantStatus::Active,
                groups: Vec::new(),
                size: None,
            },
        );
        ctx.emit(Event::ParticipantRegistered { participant: id, registration });
        Ok(())
    }

    /// S-1: a supplier declares its size once, at registration; afterwards only an operator of
    /// the province changes it. The declaration is recorded with the acting user.
    pub(crate) fn declare_size(
        &mut self,
        actor: Actor,
        supplier: ParticipantId,
        size: EnterpriseSize,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        let ix = self.supplier_ix(supplier)?;
        let declared = self.participants.at(ix).size;
        let own_first = actor.participant == supplier && declared.is_none();
        if !own_first {
            self.require_operator(actor, Reach::Province).map_err(|_| Reason::SizeDeclared)?;
        }
        self.participants.at_mut(ix).size = Some(size);
        ctx.emit(Event::SizeDeclared { supplier, size, by: actor.user });
        Ok(())
    }

    pub(crate) fn set_supplier_status(
        &mut self,
        actor: Actor,
        supplier: ParticipantId,
        status: ParticipantStatus,
        reason: String,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        let ix = self.supplier_ix(supplier)?;
        self.participants.at_mut(ix).status = status;
        ctx.emit(match status {
            ParticipantStatus::Suspended => Event::SupplierSuspended { supplier, reason },
            ParticipantStatus::Active => Event::SupplierReinstated { supplier, reason },
        });
        Ok(())
    }

    pub(crate) fn define_affiliation_group(
        &mut self,
        actor: Actor,
        mut members: Vec<ParticipantId>,
        basis: AffiliationBasis,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        members.sort_unstable();
        members.dedup();
        if members.len() < 2 {
            return Err(Reason::Invalid { field: Field::Members });
        }
        let mut ixs = Vec::with_capacity(members.len());
        for member in &members {
            ixs.push(self.supplier_ix(*member)?);
        }
        let id = GroupId::from_seq(ctx.seq);
        for ix in ixs {
            self.participants.at_mut(ix).groups.push(id);
        }
        self.groups.push(id, AffiliationGroup { id, members: members.clone(), basis });
        ctx.emit(Event::AffiliationGroupDefined { group: id, members, basis });
        Ok(())
    }

    /// True when two suppliers share an affiliation group and so count as one.
    pub(crate) fn affiliated(&self, a: ParticipantId, b: ParticipantId) -> bool {
        match (self.participants.get(a), self.participants.get(b)) {
            (Some(a), Some(b)) => a.groups.iter().any(|g| b.groups.contains(g)),
            _ => false,
        }
    }
}

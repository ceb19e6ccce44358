//! The engine's whole state: what a snapshot holds and `state_hash()` covers. Every collection
//! iterates in a deterministic order (`BTreeMap`, or an `Arena` in creation order), so two engines
//! fed the same commands serialize to the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::arena::{Arena, Ix};
use crate::auction::{Auction, Deadline};
use crate::award::{Award, Timer};
use crate::budget::BudgetLine;
use crate::catalog::{
    AffiliationGroup, Agreement, Category, DirectOrderLimits, Participant, ParticipantKind,
    Product, Region, UserAccount,
};
use crate::idempotency::IdempotencyKeys;
use crate::inquiry::{Calendar, Inquiry};
use crate::negotiation::{Negotiation, NegotiationRules};
use crate::reject::{Entity, Reason};
use crate::rotation::Rotation;
use crate::settlement::TradeTable;
use crate::types::{
    Actor, AgreementId, BudgetLineId, CategoryCode, CreditCode, DealId, GroupId, ParticipantId,
    ProductId, RegionCode, Seq, Timestamp, UserId,
};

/// Everything the engine knows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// Sequence of the last command applied.
    pub seq: Seq,
    /// Engine time of the last command applied; never goes back.
    pub clock: Timestamp,
    pub regions: BTreeMap<RegionCode, Region>,
    pub categories: BTreeMap<CategoryCode, Category>,
    pub products: Arena<ProductId, Product>,
    pub skus: BTreeMap<String, ProductId>,
    pub participants: Arena<ParticipantId, Participant>,
    pub credit_codes: BTreeMap<CreditCode, ParticipantId>,
    pub groups: Arena<GroupId, AffiliationGroup>,
    pub agreements: Arena<AgreementId, Agreement>,
    pub limits: DirectOrderLimits,
    pub budgets: Arena<BudgetLineId, BudgetLine>,
    pub budget_keys: BTreeSet<(ParticipantId, i32, String, String)>,
    pub trades: TradeTable,
    pub idempotency: IdempotencyKeys,
    pub auctions: Arena<DealId, Auction>,
    pub users: Arena<UserId, UserAccount>,
    pub logins: BTreeMap<String, UserId>,
    pub deadlines: BTreeSet<Deadline>,
    pub inquiries: Arena<DealId, Inquiry>,
    pub calendar: Calendar,
    pub negotiations: Arena<DealId, Negotiation>,
    pub negotiation_rules: NegotiationRules,
    pub rotations: Arena<DealId, Rotation>,
    /// Awards of auctions and inquiries, and what followed them (C-1 to C-5).
    pub awards: BTreeMap<DealId, Award>,
    /// Timers of awards, challenges and payments, beside the deals' deadlines.
    pub timers: BTreeSet<Timer>,
    /// Purchasers' ratings of trades (E-1).
    pub ratings: BTreeMap<crate::types::TradeId, crate::evaluation::Rating>,
    /// The small-enterprise deduction (S-2).
    pub sme_deduction: crate::sme::Deduction,
}

impl State {
    /// The acting participant's index, when it is of `kind`.
    pub fn require_kind(&self, actor: Actor, kind: ParticipantKind) -> Result<Ix, Reason> {
        let ix = self.participants.index_of(actor.participant).ok_or(Reason::NotPermitted)?;
        if self.participants.at(ix).kind != kind {
            return Err(Reason::NotPermitted);
        }
        Ok(ix)
    }

    /// The index of a participant that must be a supplier.
    pub fn supplier_ix(&self, supplier: ParticipantId) -> Result<Ix, Reason> {
        let not_found = Reason::NotFound { what: Entity::Supplier };
        let ix = self.participants.index_of(supplier).ok_or(not_found)?;
        if self.participants.at(ix).kind != ParticipantKind::Supplier {
            return Err(not_found);
        }
        Ok(ix)
    }

    /// The index of a budget line the acting purchaser owns and may spend in `fiscal_year`.
    pub fn owned_line(
        &self,
        actor: Actor,
        line: BudgetLineId,
        fiscal_year: i32,
    ) -> Result<Ix, Reason> {
        let ix =
            self.budgets.index_of(line).ok_or(Reason::NotFound { what: Entity::BudgetLine })?;
        let line = self.budgets.at(ix);
        if line.purchaser != actor.participant {
            return Err(Reason::NotPermitted);
        }
        if line.fiscal_year != fiscal_year {
            return Err(Reason::FiscalYear {
                line_year: line.fiscal_year,
                current_year: fiscal_year,
            });
        }
        Ok(ix)
    }

    /// The index of an agreement.
    pub fn agreement_ix(&self, agreement: AgreementId) -> Result<Ix, Reason> {
        self.agreements.index_of(agreement).ok_or(Reason::NotFound { what: Entity::Agreement })
    }
}

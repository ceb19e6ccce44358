//! U-3 tiered administration (分级管理): an operator belongs to a region and acts on the reference
//! data, accounts, budgets and deals of that region and the regions below it. An operator of the
//! province (or one registered without a region: the platform's own centre) acts everywhere, and
//! alone on what belongs to the whole province: categories, products, the calendar, suppliers
//! (registered once, valid province-wide), affiliation groups and the negotiation rules.

use crate::arena::Ix;
use crate::catalog::ParticipantKind;
use crate::reject::Reason;
use crate::state::State;
use crate::types::{Actor, ParticipantId, RegionCode, UserId};

/// What a command acts on, as far as an operator's region is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Something of the whole province.
    Province,
    /// Something of one region (and so of every region above it).
    Region(RegionCode),
    /// Something of a participant: its region, or the province for one without (a supplier).
    Participant(ParticipantId),
}

impl State {
    /// The operator's authority over `reach`: an operator whose region holds it, or the platform.
    pub fn require_operator(&self, actor: Actor, reach: Reach) -> Result<(), Reason> {
        if actor.is_system() {
            return Ok(());
        }
        let ix = self.require_kind(actor, ParticipantKind::Operator)?;
        let Some(own) = self.participants.at(ix).region else { return Ok(()) };
        let own = own.region();
        if self.regions.get(&own).is_some_and(|r| r.parent.is_none()) {
            return Ok(());
        }
        let target = match reach {
            Reach::Province => None,
            Reach::Region(code) => Some(code),
            Reach::Participant(p) => {
                self.participants.get(p).and_then(|p| p.region).map(|chain| chain.region())
            }
        };
        // A region the engine does not know is held by no region below the province: the command
        // goes on to be refused for naming it, by a province operator, or here.
        let within = target
            .and_then(|code| self.regions.get(&code))
            .is_some_and(|region| region.chain.contains(own));
        if within { Ok(()) } else { Err(Reason::OutsideRegion) }
    }

    /// An operator of any region, or the platform: checked before anything is looked up, so that
    /// nobody else learns what exists.
    pub fn require_an_operator(&self, actor: Actor) -> Result<(), Reason> {
        if actor.is_system() {
            return Ok(());
        }
        self.require_kind(actor, ParticipantKind::Operator).map(|_| ())
    }

    /// An agreement belongs to every region it covers: its operator must hold them all.
    pub fn require_operator_over_agreement(&self, actor: Actor, ix: Ix) -> Result<(), Reason> {
        for code in &self.agreements.at(ix).regions {
            self.require_operator(actor, Reach::Region(*code))?;
        }
        Ok(())
    }

    /// What an account belongs to: its participant, or the province when there is no such account.
    pub fn account_reach(&self, user: UserId) -> Reach {
        self.users
            .get(user)
            .map_or(Reach::Province, |account| Reach::Participant(account.participant))
    }
}

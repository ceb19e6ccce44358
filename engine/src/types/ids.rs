//! Identifiers. Every id derives from the sequence number of the command that created the thing
//! (docs/DESIGN.md, Units): the engine draws no random numbers, so replay produces the same ids.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! seq_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The id of the thing created by the command with sequence `seq`.
            pub const fn from_seq(seq: Seq) -> Self {
                Self(seq.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

/// The engine sequence number of a command: gap-free, starting at 1, one per command applied,
/// rejected commands included.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl Seq {
    /// The sequence that follows.
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

seq_id!(
    /// A participant: purchasing unit, supplier, analyst or regulator, operator.
    ParticipantId, "U"
);
seq_id!(
    /// A catalog product (SKU).
    ProductId, "P"
);
seq_id!(
    /// A framework agreement of one supplier for one product.
    AgreementId, "FA"
);
seq_id!(
    /// A budget line (预算指标).
    BudgetLineId, "BL"
);
seq_id!(
    /// A deal: a direct order, an auction or an inquiry. Its public form is the OCDS `ocid`.
    DealId, "D"
);
seq_id!(
    /// An affiliation group of suppliers (政府采购法实施条例 Art. 18).
    GroupId, "G"
);

/// A user account of a participant, recorded in the ledger and events for audit.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UserId(pub u64);

impl UserId {
    /// The platform's own movements: deadlines, openings, expiries, not any user's.
    pub const PLATFORM: UserId = UserId(0);

    /// The id of the account created by the command with sequence `seq`.
    pub const fn from_seq(seq: Seq) -> Self {
        Self(seq.0)
    }
}

/// A trade: the sequence of the command that struck it and its leg within that command (a direct order
/// split across suppliers strikes several trades in one command).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct TradeId {
    /// Sequence of the striking command.
    pub seq: Seq,
    /// Leg within that command, from 0.
    pub leg: u32,
}

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}-{}", self.seq.0, self.leg)
    }
}

/// Who issues a command: a user acting for one participant. The participant's kind is its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The participant the user acts for.
    pub participant: ParticipantId,
    /// The user.
    pub user: UserId,
}

impl Actor {
    /// The platform itself: loads reference data at set-up, with the operator's authority.
    pub const SYSTEM: Actor = Actor { participant: ParticipantId(0), user: UserId::PLATFORM };

    /// The author of a sealed quote, as the engine and the journal see it: nobody in particular.
    /// Who quoted is inside the seal until the opening.
    pub const SEALED: Actor =
        Actor { participant: ParticipantId(u64::MAX), user: UserId(u64::MAX) };

    /// A user acting for a participant.
    pub const fn new(participant: ParticipantId, user: UserId) -> Self {
        Self { participant, user }
    }

    /// True for the platform itself.
    pub const fn is_system(&self) -> bool {
        self.participant.0 == 0
    }
}

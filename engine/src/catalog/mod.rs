//! Reference data: regions, catalog categories and products, participants and their affiliation
//! groups, framework agreements with their offers, and direct-order limits. All of it enters through
//! commands, so the journal holds everything the engine ever knew.

mod agreements;
mod categories;
mod limits;
mod participants;
mod products;
mod regions;
mod users;

pub use agreements::{Agreement, Grant, Offer};
pub use categories::{Category, CategoryChain};
pub use limits::DirectOrderLimits;
pub use participants::{
    AffiliationBasis, AffiliationGroup, EnterpriseSize, Participant, ParticipantKind,
    ParticipantStatus, Registration,
};
pub use products::{Product, ProductSpec};
pub use regions::{MAX_REGIONS, Region, RegionChain, RegionLevel, RegionSet};
pub use users::UserAccount;

/// Longest name, SKU, brand, model or specification accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// True when `text` is non-empty after trimming and not longer than [`MAX_TEXT_CHARS`].
pub(crate) fn text_ok(text: &str) -> bool {
    !text.trim().is_empty() && text.chars().count() <= MAX_TEXT_CHARS
}

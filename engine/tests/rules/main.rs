//! The engine's rules, one module per area, each test named for what it proves and the rule it
//! covers. Tests read given / when / then over events.

mod analytics;
mod auctions;
mod awards;
mod budget;
mod catalogue;
mod direct;
mod evaluation;
mod idempotency;
mod inquiries;
mod market;
mod negotiations;
mod offers;
mod properties;
mod reference;
mod replay;
mod rotation;
mod settlement;
mod tiers;

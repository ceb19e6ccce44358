//! The matching engine of the provincial government procurement marketplace.
//!
//! Pure and deterministic: [`Engine::apply`] takes a [`Command`], the time and a reused event
//! buffer, and appends the [`Event`]s it produced, each in an [`EventEnvelope`] with its sequence
//! number. No clock, no I/O, no randomness, no async: the gateway owns time, durability and delivery.
//!
//! # Layout
//! - [`types`]: money (`UnitPrice`, `Amount`, `Quantity` in integer minor units), ids, codes, time.
//! - [`catalog`]: regions, categories, products, participants and affiliation groups, user
//!   accounts, framework agreements with their offers, direct-order limits.
//! - [`budget`]: budget lines, balances and the ledger (rules B-1 to B-4).
//! - [`direct`]: offer books and direct orders (rules D-1 to D-6).
//! - [`settlement`]: trades and their settlement lifecycle.
//! - [`auction`]: reverse auctions (rules) and the deadlines that start and close them.
//! - [`inquiry`]: sealed inquiry rounds (rules ): the working-day calendar, sealing
//!   and commitments, the opening in two layers.
//! - [`negotiation`]: negotiated purchase under a framework agreement (rules N-1 to N-3).
//! - [`rotation`]: rotation of agreement suppliers for services (rule N-5).
//! - [`idempotency`]: idempotency keys, kept 24 hours per participant.
//! - [`analytics`]: candles, reference prices and early warnings: a pure fold over trades,
//!   bids and closed auctions, run by the gateway off the engine's hot path.
//! - `command`, `event`, `reject`: what goes in, what comes out, why a command was refused.
//! - `engine`, `state`, `snapshot`: the engine, its state, snapshots and the state hash.
//!
//! # Determinism
//! Every collection whose order can reach an event or a snapshot is a `BTreeMap`, a `BTreeSet` or an
//! arena in creation order. Ids derive from command sequence numbers.

// Money and quantities are exact integers: no float arithmetic, no silent narrowing.
#![deny(clippy::float_arithmetic, clippy::cast_possible_truncation)]

pub mod analytics;
mod arena;
pub mod auction;
pub mod award;
pub mod budget;
pub mod catalog;
mod command;
pub mod direct;
mod engine;
pub mod evaluation;
mod event;
pub mod idempotency;
pub mod inquiry;
mod jurisdiction;
pub mod names;
pub mod negotiation;
mod reject;
pub mod rotation;
pub mod settlement;
pub mod sme;
mod snapshot;
mod state;
pub mod types;

pub use command::{Action, ActionKind, Command};
pub use engine::Engine;
pub use event::{Event, EventEnvelope};
pub use reject::{Entity, Field, Reason};
pub use snapshot::{SnapshotError, StateHash};

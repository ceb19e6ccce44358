//! The gateway of the provincial procurement marketplace: it owns the engine and, as the marketplace
//! grows, its journal, persistence, HTTP API and live feeds.
//!
//! # Layout
//! - [`journal`]: the command journal (segments, checksums, hash chain, group commit), snapshots
//!   and recovery.
//! - [`demo`]: the demo province (Zhejiang's real regions and catalog, generated participants,
//!   agreements, offers and budgets) and a scripted trading day.

pub mod cli;
pub mod demo;
pub mod feed;
pub mod http;
pub mod journal;
pub mod metrics;
pub mod node;
pub mod persist;
pub mod read;
pub mod reconcile;
pub mod runtime;
pub mod settings;

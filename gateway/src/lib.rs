//! The gateway of the provincial procurement marketplace: it owns the engine and, as the marketplace
//! grows, its journal, persistence, HTTP API and live feeds.
//!
//! # Layout
//! - [`demo`]: the demo province (Zhejiang's real regions and catalog, generated participants,
//!   agreements, offers and budgets) and a scripted trading day.

pub mod demo;

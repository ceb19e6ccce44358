//! The gateway of the provincial procurement marketplace: the process that owns the engine, its
//! journal and its database, and serves purchasers, suppliers and analysts over HTTP and WebSocket.
//!
//! # Layout
//! - [`runtime`]: the engine task (engine thread and journal thread in a pipeline), its handle,
//!   the clock.
//! - [`journal`]: the command journal (segments, checksums, hash chain, group commit), snapshots
//!   and recovery.
//! - [`persist`]: the persister and the PostgreSQL and SQLite stores; [`reconcile`]: budget
//!   reconciliation as of the persister's watermark.
//! - [`prices`]: candles, reference prices and alerts, live, off the engine's hot path.
//! - [`read`]: the read side: the replica, and the followers it hands the engine to.
//! - [`views`]: what each viewer may see of a deal, for REST and feeds alike.
//! - [`auth`]: tokens, the session of every request, failed logins.
//! - [`http`]: the REST API and the WebSocket endpoints; [`error`]: its error answer;
//!   [`feed`]: the live feeds' hub, topics and connections.
//! - [`audit`]: the security log of logins, refusals and account and operator actions.
//! - [`metrics`]: Prometheus metrics; [`health`]: what readiness reports, from memory.
//!
//! Dependencies run one way: `http` uses `feed`, `views`, `auth` and `audit`; `feed` uses `views`
//! and `auth`; `views` uses only the engine.
//! - [`bus`]: owner and edge nodes over Redis, and what they share.
//! - [`accounts_cli`]: the first operator of a production market, from the command line.
//! - [`node`]: a node owning its data folder, or an edge node; [`settings`]: settings from a file; [`cli`]: the
//!   command line.
//! - [`demo`]: the demo province (Zhejiang's real regions and catalog, generated participants,
//!   accounts, agreements, offers and budgets), its scripted day and live sessions.

pub mod accounts_cli;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod cluster;
pub mod demo;
pub mod error;
pub mod feed;
pub mod health;
pub mod http;
pub mod journal;
pub mod metrics;
pub mod node;
pub mod persist;
pub mod prices;
pub mod publish;
pub mod read;
pub mod reconcile;
pub mod runtime;
pub mod sealing;
pub mod settings;
pub mod statistics;
pub mod views;

/// The allocator the marketplace's binaries run on (mimalloc), for a binary to declare with
/// `#[global_allocator]`: on the order path glibc's malloc, free and consolidation were together
/// the largest part of the profile after the kernel, and mimalloc's per-thread free lists take
/// most of that away (figures in BENCHMARKS.md). Declared by each binary, not here, so that the
/// tests that count allocations keep their own.
pub use mimalloc::MiMalloc as Allocator;

/// A JSON value as compact text. `Value`'s own `to_string` goes through `fmt::Display`, a write
/// call through a formatter for every token: measured 2.5 times slower than serialising into a
/// byte buffer, on the releases and notices the publisher writes for every order.
pub fn json_text(value: &serde_json::Value) -> String {
    // A `Value` always serialises (its map keys are strings); the fallback is never taken.
    serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
}

//! The bus between gateway nodes (docs/DESIGN.md, Runtime and Nodes), over Redis. Exactly one node owns the
//! engine and its journal; with `REDIS_URL` set, other gateway nodes run as edge nodes: they
//! forward commands to the owner and follow its released batches, so their read replica and
//! feed hub run exactly as the owner's do. All nodes share the token key, WebSocket tickets and
//! failed-login counts, so a client may land on any node. Without Redis one node serves
//! everything through its in-process channels.
//!
//! Keys, under a namespace (`APP_REDIS_NAMESPACE`, per test in the tests):
//! - `released`: a stream of released batches, entry id `<last seq>-0`, so an edge reads on from
//!   any sequence and a gap (a trimmed stream, an owner that lost its journal) shows as one; the
//!   edge's replica then takes a fresh copy.
//! - `commands`: a list the owner pops forwarded commands and copy requests from;
//!   `replies:<edge>`: each edge's list of answers.
//! - `ticket:<t>`, `login-failures:<login>`, `revoked:<hash>`: what the nodes share.
//! - `security`: edges' security log entries, for the owner to keep.
//!
//! Redis is inside the trust boundary: an edge forwards commands as the user it authenticated,
//! and the owner applies them as such. Nothing of a sealed quote ever travels here in the clear.

mod edge;
mod owner;
mod security;
mod shared;

pub use edge::start_edge;
pub use owner::serve_owner;

use anyhow::Context;
use engine::Command;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};

use crate::runtime::Outcome;

/// How long a blocking read waits before looking again (and noticing a shutdown).
const BLOCK_MS: u64 = 1_000;
/// Entries the released stream keeps: edges further behind take a fresh copy.
const STREAM_KEEP: usize = 100_000;

/// A connection to the bus.
#[derive(Clone)]
pub struct Bus {
    client: redis::Client,
    conn: MultiplexedConnection,
    namespace: String,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bus({})", self.namespace)
    }
}

/// What an edge asks of the owner. Short-lived and encoded at once, so the size difference of
/// the variants costs nothing worth a box.
#[derive(Debug, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
enum Ask {
    /// Apply a command.
    Apply(Command),
    /// Send a copy of the engine (a snapshot), to start a replica from.
    Copy,
}

/// A forwarded request: who asks, its number there, what it asks.
#[derive(Debug, Serialize, Deserialize)]
struct Forwarded {
    edge: String,
    id: u64,
    ask: Ask,
}

/// The owner's answer.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    /// The command's durable outcome.
    Outcome(Outcome),
    /// A snapshot of the engine.
    Copy(Vec<u8>),
    /// The owner refused: overloaded, or not running.
    Refused { overloaded: bool },
}

/// An answer to request `id`.
#[derive(Debug, Serialize, Deserialize)]
struct Reply {
    id: u64,
    answer: Answer,
}

impl Bus {
    /// Connects to the Redis at `url`, under `namespace`.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let client =
            redis::Client::open(url).context("a Redis URL such as redis://127.0.0.1:6379")?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .with_context(|| format!("connecting to Redis at {url}"))?;
        Ok(Self { client, conn, namespace: namespace.to_string() })
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.namespace)
    }

    /// A connection of its own for blocking reads, which would hold up a shared one.
    async fn blocking(&self) -> anyhow::Result<MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .context("opening a Redis connection for blocking reads")
    }

    /// The id of the newest entry of the released stream (`<last seq>-0`), if it has any.
    async fn released_head(&self) -> anyhow::Result<Option<String>> {
        let mut conn = self.conn.clone();
        let last: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
            .arg(self.key("released"))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut conn)
            .await
            .context("reading the released stream's head")?;
        Ok(last.ids.into_iter().next().map(|e| e.id))
    }

    /// Pops the oldest entry of list `key`, waiting up to [`BLOCK_MS`] on a blocking connection;
    /// `None` when nothing came.
    async fn pop(
        conn: &mut MultiplexedConnection,
        key: &str,
    ) -> redis::RedisResult<Option<Vec<u8>>> {
        let popped: Option<(String, Vec<u8>)> =
            redis::cmd("BRPOP").arg(key).arg(BLOCK_MS as f64 / 1_000.0).query_async(conn).await?;
        Ok(popped.map(|(_, bytes)| bytes))
    }

    /// True when Redis answers a PING within `within`: readiness's look at the bus, bounded so
    /// that it never hangs on a Redis that has gone away.
    pub async fn answers(&self, within: std::time::Duration) -> Result<(), String> {
        let mut conn = self.conn.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut conn);
        match tokio::time::timeout(within, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {within:?}")),
        }
    }
}

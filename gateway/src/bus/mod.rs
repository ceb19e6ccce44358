//! Redis, shared by a market's nodes for what Redis is made for: single-use WebSocket tickets
//! (issued by one node, redeemed at another), failed-login counts, revoked tokens, and the edges'
//! security log entries on their way to the owner. Commands and the journal never travel here: they
//! go over the replicated stream ([`crate::cluster`]). Without Redis each node keeps these alone.
//!
//! Keys, under a namespace (`APP_REDIS_NAMESPACE`, per test in the tests):
//! `ticket:<t>`, `login-failures:<login>`, `revoked:<hash>`, and `security` (edges' entries).
//! Redis may ask for a password (`redis://:secret@host`); nothing of a sealed quote, and no key,
//! is ever kept in it.

mod security;
mod shared;

use anyhow::Context;
use redis::aio::MultiplexedConnection;

/// How long a blocking read waits before looking again (and noticing a shutdown).
const BLOCK_MS: u64 = 1_000;

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

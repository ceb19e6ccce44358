//! The security log of edge nodes travels to the owner, which keeps it with its own: a Redis list
//! `security` the edges push batches onto and the owner pops. The list is capped, so an owner that
//! is away for long loses the oldest batches rather than Redis's memory; the cap is far above what
//! a working owner leaves there. The owner's security log takes them ([`crate::audit`]).

use anyhow::Context;

use super::Bus;

/// Batches the list keeps at most.
const KEEP: isize = 10_000;

impl Bus {
    /// Hands `entries` over to the owner.
    pub async fn hand_over_security_entries(&self, bytes: Vec<u8>) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let key = self.key("security");
        let _: () = redis::pipe()
            .cmd("LPUSH")
            .arg(&key)
            .arg(bytes)
            .ignore()
            .cmd("LTRIM")
            .arg(&key)
            .arg(0)
            .arg(KEEP - 1)
            .ignore()
            .query_async(&mut conn)
            .await
            .context("handing security entries to the owner")?;
        Ok(())
    }

    /// Takes the next batch of entries an edge handed over, waiting a little; `None` when none came.
    pub(crate) async fn take_security_entries(
        &self,
        conn: &mut redis::aio::MultiplexedConnection,
    ) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(Bus::pop(conn, &self.key("security")).await?)
    }

    /// A connection for [`Self::take_security_entries`], which blocks.
    pub(crate) async fn security_connection(
        &self,
    ) -> anyhow::Result<redis::aio::MultiplexedConnection> {
        self.blocking().await
    }
}

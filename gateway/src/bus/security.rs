//! The security log of edge nodes travels to the owner, which keeps it with its own: a Redis list
//! `security` the edges push batches onto and the owner pops. The list is capped, so an owner that
//! is away for long loses the oldest batches rather than Redis's memory; the cap is far above what
//! a working owner leaves there.

use anyhow::Context;

use super::Bus;
use crate::audit::{Entry, SecurityLog};

/// Batches the list keeps at most.
const KEEP: isize = 10_000;

impl Bus {
    /// Hands `entries` over to the owner.
    pub async fn hand_over_security_entries(&self, entries: &[Entry]) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec(entries).context("encoding security entries")?;
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
}

/// The owner's side: takes the edges' entries into `log` until the process ends.
pub async fn take_security_entries(bus: Bus, log: SecurityLog) -> anyhow::Result<()> {
    let mut conn = bus.blocking().await?;
    let key = bus.key("security");
    tokio::spawn(async move {
        loop {
            match Bus::pop(&mut conn, &key).await {
                Ok(Some(bytes)) => match serde_json::from_slice::<Vec<Entry>>(&bytes) {
                    Ok(entries) => entries.into_iter().for_each(|e| log.record(e)),
                    Err(error) => {
                        tracing::warn!(%error, "an edge's security entries are unreadable")
                    }
                },
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "reading edges' security entries; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    });
    Ok(())
}

//! Where the security log is kept: the node's database (PostgreSQL or SQLite, table
//! `security_events`), memory on a node without one, or, on an edge node, the owner's: its entries
//! travel over the bus and the owner writes them with its own.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use super::{Entry, Kind};
use crate::persist::Database;

/// Entries a memory store keeps; the oldest go first.
const MEMORY_KEEP: usize = 10_000;

/// Where entries are kept.
#[derive(Clone, Debug)]
pub enum Store {
    /// The node's database.
    Database(Database),
    /// Memory: a node without a database.
    Memory(Arc<Mutex<VecDeque<Stored>>>),
    /// The owner's store, through the bus.
    Bus(Box<crate::bus::Bus>),
}

/// An entry as kept, with its number: numbers grow with time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its number.
    pub id: i64,
    /// The entry.
    pub entry: Entry,
}

/// Which entries to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// Only entries numbered below this.
    pub before: Option<i64>,
    /// At most this many.
    pub limit: u32,
    /// Only of this kind.
    pub kind: Option<Kind>,
    /// Only of this user.
    pub user: Option<u64>,
    /// Only of this region and those below (a region path); every entry when `None`.
    pub region: Option<String>,
}

impl Page {
    fn takes(&self, stored: &Stored) -> bool {
        let e = &stored.entry;
        self.before.is_none_or(|before| stored.id < before)
            && self.kind.is_none_or(|kind| e.kind == kind)
            && self.user.is_none_or(|user| e.user == Some(user))
            && self.region.as_deref().is_none_or(|prefix| e.region_path.starts_with(prefix))
    }

    /// The region as a LIKE pattern: region paths are digits and slashes, nothing to escape.
    fn pattern(&self) -> String {
        format!("{}%", self.region.as_deref().unwrap_or(""))
    }
}

const INSERT_SQL: &str = "INSERT INTO security_events (at_ms, kind, login, user_id, participant_id, \
     region_path, address, method, path, status, code, action, request_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

const PAGE_SQL: &str = "SELECT id, at_ms, kind, login, user_id, participant_id, region_path, \
     address, method, path, status, code, action, request_id FROM security_events \
     WHERE ($1 IS NULL OR id < $1) AND ($2 IS NULL OR kind = $2) AND ($3 IS NULL OR user_id = $3) \
     AND region_path LIKE $4 ORDER BY id DESC LIMIT $5";

fn id(value: Option<u64>) -> Option<i64> {
    value.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

/// Writes `entries` in one transaction of `$pool`: the same statements serve both databases.
macro_rules! insert_all {
    ($pool:expr, $entries:expr) => {{
        let mut tx = $pool.begin().await.context("beginning the security log's batch")?;
        for e in $entries {
            sqlx::query(INSERT_SQL)
                .bind(e.at_ms)
                .bind(e.kind.name())
                .bind(&e.login)
                .bind(id(e.user))
                .bind(id(e.participant))
                .bind(&e.region_path)
                .bind(&e.address)
                .bind(&e.method)
                .bind(&e.path)
                .bind(i32::from(e.status))
                .bind(&e.code)
                .bind(&e.action)
                .bind(&e.request_id)
                .execute(&mut *tx)
                .await
                .context("writing the security log")?;
        }
        tx.commit().await.context("committing the security log's batch")?;
    }};
}

/// Reads a page with `$pool`.
macro_rules! read_page {
    ($pool:expr, $page:expr) => {
        sqlx::query_as::<_, Row>(PAGE_SQL)
            .bind($page.before)
            .bind($page.kind.map(Kind::name))
            .bind(id($page.user))
            .bind($page.pattern())
            .bind(i64::from($page.limit))
            .fetch_all($pool)
            .await
            .context("reading the security log")?
            .into_iter()
            .map(Stored::try_from)
            .collect::<anyhow::Result<Vec<_>>>()?
    };
}

impl Store {
    /// Memory, for a node without a database.
    pub fn memory() -> Self {
        Store::Memory(Arc::default())
    }

    /// What kind of store it is.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Database(db) => db.kind(),
            Store::Memory(_) => "memory",
            Store::Bus(_) => "the owner's, through the bus",
        }
    }

    /// Keeps `entries`, in one transaction where the store has them.
    pub async fn write(&self, entries: &[Entry]) -> anyhow::Result<()> {
        match self {
            Store::Database(Database::Postgres(pool)) => insert_all!(pool, entries),
            Store::Database(Database::Sqlite(pool)) => insert_all!(pool, entries),
            Store::Memory(kept) => {
                let mut kept = kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                for entry in entries {
                    let id = kept.back().map_or(1, |last| last.id + 1);
                    if kept.len() == MEMORY_KEEP {
                        kept.pop_front();
                    }
                    kept.push_back(Stored { id, entry: entry.clone() });
                }
            }
            Store::Bus(bus) => {
                let bytes = serde_json::to_vec(entries).context("encoding security entries")?;
                bus.hand_over_security_entries(bytes).await?;
            }
        }
        Ok(())
    }

    /// Forgets the entries older than `before_ms` (Unix milliseconds); how many it forgot.
    pub async fn prune(&self, before_ms: i64) -> anyhow::Result<u64> {
        const PRUNE_SQL: &str = "DELETE FROM security_events WHERE at_ms < $1";
        let forgotten = match self {
            Store::Database(Database::Postgres(pool)) => {
                sqlx::query(PRUNE_SQL).bind(before_ms).execute(pool).await?.rows_affected()
            }
            Store::Database(Database::Sqlite(pool)) => {
                sqlx::query(PRUNE_SQL).bind(before_ms).execute(pool).await?.rows_affected()
            }
            Store::Memory(kept) => {
                let mut kept = kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let before = kept.len();
                kept.retain(|s| s.entry.at_ms >= before_ms);
                (before - kept.len()) as u64
            }
            // The owner keeps, and forgets, the edges' entries.
            Store::Bus(_) => 0,
        };
        Ok(forgotten)
    }

    /// A page of entries, newest first; `None` on a node that does not keep the log.
    pub async fn read(&self, page: &Page) -> anyhow::Result<Option<Vec<Stored>>> {
        let stored = match self {
            Store::Database(Database::Postgres(pool)) => read_page!(pool, page),
            Store::Database(Database::Sqlite(pool)) => read_page!(pool, page),
            Store::Memory(kept) => {
                let kept = kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
                kept.iter().rev().filter(|s| page.takes(s)).take(limit).cloned().collect()
            }
            Store::Bus(_) => return Ok(None),
        };
        Ok(Some(stored))
    }
}

/// A row of `security_events` as the databases give it.
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at_ms: i64,
    kind: String,
    login: Option<String>,
    user_id: Option<i64>,
    participant_id: Option<i64>,
    region_path: String,
    address: String,
    method: String,
    path: String,
    status: i32,
    code: Option<String>,
    action: Option<String>,
    request_id: Option<String>,
}

impl TryFrom<Row> for Stored {
    type Error = anyhow::Error;

    fn try_from(row: Row) -> anyhow::Result<Self> {
        let unsigned = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
        let entry = Entry {
            at_ms: row.at_ms,
            kind: row.kind.parse().with_context(|| format!("unknown kind {}", row.kind))?,
            login: row.login,
            user: unsigned(row.user_id),
            participant: unsigned(row.participant_id),
            region_path: row.region_path,
            address: row.address,
            method: row.method,
            path: row.path,
            status: u16::try_from(row.status).unwrap_or(0),
            code: row.code,
            action: row.action,
            request_id: row.request_id,
        };
        Ok(Stored { id: row.id, entry })
    }
}

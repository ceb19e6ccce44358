//! Persistence of settled trades, settlement steps and budget ledger entries for reconciliation:
//! PostgreSQL when `DATABASE_URL` names one, an embedded SQLite file otherwise. Both are written only
//! by the persister, from the durable journal, with the journal offset committed in the same
//! transaction as the rows, so a retry never writes anything twice.
//!
//! - [`rows`]: what a batch of records becomes.
//! - `postgres`, `sqlite`: the two stores (NUMERIC money in PostgreSQL, integer minor units in
//!   SQLite).
//! - [`persister`]: the task that follows the journal into the database.
//! - `prices`: the price desk's candles, index and alerts, upserted by their keys.

pub mod persister;
mod postgres;
mod prices;

pub use prices::PriceRows;

pub use postgres::copy_rows;
pub mod rows;
mod sqlite;

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::Context;
use engine::budget::Balance;
use engine::types::{Amount, BudgetLineId, Seq};
use sqlx::Connection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use rows::RowBatch;

/// The consumer name of the persister's journal offset.
pub const PERSISTER: &str = "persister";

/// A consumer's committed journal offset; both stores speak this SQL.
const OFFSET_SQL: &str = "SELECT seq FROM journal_offsets WHERE consumer = $1";
/// The ledger summed per line and kind: the reconciliation's "by the ledger".
const LEDGER_SUMS_SQL: &str =
    "SELECT line, kind, SUM(amount) FROM ledger_entries GROUP BY line, kind";
/// The balances the persister keeps: the reconciliation's "by the database".
const BALANCES_SQL: &str = "SELECT id, allocated, held, committed, paid FROM budget_lines";

/// The marketplace's database.
#[derive(Clone, Debug)]
pub enum Database {
    /// PostgreSQL: the system of record in production.
    Postgres(PgPool),
    /// An embedded SQLite file: the default for a single machine.
    Sqlite(SqlitePool),
}

/// What the database holds as of its journal offset: the ledger summed per line and kind, and the
/// balances the persister maintained, read in one consistent snapshot.
#[derive(Clone, Debug, Default)]
pub struct DatabaseView {
    /// The persister's offset: every row with a sequence up to it, none after.
    pub offset: Seq,
    /// Balance of each line rebuilt from its ledger rows.
    pub ledger: BTreeMap<BudgetLineId, Balance>,
    /// Balance of each line as kept in `budget_lines`.
    pub balances: BTreeMap<BudgetLineId, Balance>,
}

impl Database {
    /// Connects to `url` (`postgres://...` or `sqlite:...`) and brings its schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::connect_in(url, None).await
    }

    /// As [`Self::connect`], keeping a PostgreSQL database's tables in `schema` (made when
    /// missing): how the markets sharing a cluster keep their rows apart in one database. SQLite
    /// files are a node's own and take no schema.
    pub async fn connect_in(url: &str, schema: Option<&str>) -> anyhow::Result<Self> {
        let db = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut options = sqlx::postgres::PgConnectOptions::from_str(url)
                .context("reading the PostgreSQL URL")?;
            if let Some(schema) = schema {
                anyhow::ensure!(
                    schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "a schema name is letters, digits and _: {schema:?}"
                );
                let mut conn = sqlx::PgConnection::connect_with(&options)
                    .await
                    .context("connecting to PostgreSQL")?;
                sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("making the schema {schema}"))?;
                options = options.options([("search_path", schema)]);
            }
            // A session left idle inside a transaction for a minute is ended by the server: a
            // node paused mid-batch (SIGSTOP, a frozen VM) would otherwise hold the persister's
            // offset row, and with it the next owner's persister, for as long as it stays paused.
            options = options.options([("idle_in_transaction_session_timeout", "60s")]);
            // A pool that waits 30 s for a connection (the default) makes every caller hang through
            // an outage; five seconds tells the persister and reconciliation soon enough.
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect_with(options)
                .await
                .context("connecting to PostgreSQL")?;
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .context("migrating PostgreSQL")?;
            Database::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(url)
                .context("reading the SQLite URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                // 64 MiB of pages per connection instead of 2: the persister and the publisher
                // insert into a dozen indexes, and with the default cache every insert read its
                // index pages back from the operating system.
                .pragma("cache_size", "-65536")
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .context("opening the SQLite database")?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await.context("migrating SQLite")?;
            Database::Sqlite(pool)
        };
        db.ensure_offset(PERSISTER).await?;
        db.ensure_offset(crate::publish::PUBLISHER).await?;
        Ok(db)
    }

    /// Makes the consumer's offset row when it is missing. Read first, and inserted only when
    /// absent: an `INSERT ... ON CONFLICT` on the existing row waits for any transaction updating
    /// it, and a previous owner paused in the middle of a batch (SIGSTOP, a VM frozen) holds that
    /// row until PostgreSQL ends its session; a node taking over must not wait on it to serve.
    async fn ensure_offset(&self, consumer: &str) -> anyhow::Result<()> {
        let insert =
            "INSERT INTO journal_offsets (consumer, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING";
        match self {
            Database::Postgres(pool) => {
                let found: Option<i64> =
                    sqlx::query_scalar(OFFSET_SQL).bind(consumer).fetch_optional(pool).await?;
                if found.is_none() {
                    sqlx::query(insert).bind(consumer).execute(pool).await?;
                }
            }
            Database::Sqlite(pool) => {
                sqlx::query(insert).bind(consumer).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// The journal offset a consumer has committed.
    pub async fn offset(&self, consumer: &str) -> anyhow::Result<Seq> {
        let seq: i64 = match self {
            Database::Postgres(pool) => {
                sqlx::query_scalar(OFFSET_SQL).bind(consumer).fetch_one(pool).await?
            }
            Database::Sqlite(pool) => {
                sqlx::query_scalar(OFFSET_SQL).bind(consumer).fetch_one(pool).await?
            }
        };
        Ok(Seq(u64::try_from(seq).unwrap_or(0)))
    }

    /// Writes a batch that follows offset `after` and moves the offset to its end, in one
    /// transaction. Returns false, writing nothing, when the offset is no longer `after` (the batch
    /// was written already, by an attempt whose success was never heard of).
    pub async fn write(&self, after: Seq, batch: &RowBatch) -> anyhow::Result<bool> {
        match self {
            Database::Postgres(pool) => postgres::write(pool, after, batch).await,
            Database::Sqlite(pool) => sqlite::write(pool, after, batch).await,
        }
    }

    /// The ledger and balances as of the persister's offset, read consistently.
    pub async fn view(&self) -> anyhow::Result<DatabaseView> {
        match self {
            Database::Postgres(pool) => postgres::view(pool).await,
            Database::Sqlite(pool) => sqlite::view(pool).await,
        }
    }

    /// `postgresql` or `sqlite`.
    pub fn kind(&self) -> &'static str {
        match self {
            Database::Postgres(_) => "postgresql",
            Database::Sqlite(_) => "sqlite",
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        match self {
            Database::Postgres(pool) => pool.close().await,
            Database::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Builds a view from rows as read, amounts already converted: the ledger summed per line and kind,
/// and each line's kept figures (allocated, held, committed, paid).
fn fold_view(
    offset: i64,
    sums: Vec<(i64, String, Amount)>,
    lines: Vec<(i64, [Amount; 4])>,
) -> anyhow::Result<DatabaseView> {
    let id = |v: i64| BudgetLineId(u64::try_from(v).unwrap_or(0));
    let mut ledger = BTreeMap::<BudgetLineId, Balance>::new();
    for (line, kind, sum) in sums {
        let kind = kind
            .parse::<engine::budget::LedgerKind>()
            .with_context(|| format!("unknown ledger kind {kind}"))?;
        ledger.entry(id(line)).or_default().apply(kind, sum);
    }
    let balances = lines
        .into_iter()
        .map(|(line, [allocated, held, committed, paid])| {
            (id(line), Balance { allocated, held, committed, paid })
        })
        .collect();
    Ok(DatabaseView { offset: Seq(u64::try_from(offset).unwrap_or(0)), ledger, balances })
}

fn to_i64(seq: Seq) -> i64 {
    i64::try_from(seq.0).unwrap_or(i64::MAX)
}

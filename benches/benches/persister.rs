//! The persister against `COPY` of the same rows into PostgreSQL, in the same run.
//!
//! Workload: the demo province at benchmark size is loaded into a fresh database first (untimed);
//! then a trading day of `COMMANDS` direct-order commands becomes journal records. Persister: those
//! records through `Database::write`, `persister::BATCH_RECORDS` records per transaction (trades and
//! ledger entries by COPY inside the transaction, settlement steps, balance and offset updates,
//! foreign keys checked, synchronous commit on). Baseline: bare `COPY ... FROM STDIN` of the same
//! trade and ledger rows, in batches of the same size, into tables with the same columns and indexes
//! (without foreign keys). Rows counted: trades + ledger entries.
//!
//! Needs PostgreSQL: `BENCH_DATABASE_URL` (a server URL without database), or the machine's
//! `postgres://postgres@127.0.0.1:5432`. Each round uses a fresh database, dropped afterwards.

use std::time::Instant;

use benches::workload::{DAY, PROVINCE};
use engine::types::{Seq, Timestamp};
use engine::{Command, Engine, EventEnvelope};
use gateway::demo::{self, CommandSink};
use gateway::journal::record::{ChainHash, JournalRecord};
use gateway::persist::Database;
use gateway::persist::copy_rows;
use gateway::persist::persister::BATCH_RECORDS;
use gateway::persist::rows::RowBatch;
use sqlx::Connection;

/// Commands of the trading day.
const COMMANDS: usize = 30_000;
/// Alternating rounds.
const ROUNDS: usize = 3;

/// Applies commands to an engine and keeps them as journal records.
#[derive(Default)]
struct Recorder {
    engine: Engine,
    now: Timestamp,
    records: Vec<JournalRecord>,
}

impl CommandSink for Recorder {
    fn submit(&mut self, command: Command) -> anyhow::Result<Seq> {
        let mut events: Vec<EventEnvelope> = Vec::new();
        let seq = self.engine.apply(command.clone(), self.now, &mut events);
        let ts = self.engine.clock();
        self.records.push(JournalRecord { seq, ts, prev: ChainHash::default(), command, events });
        Ok(seq)
    }
}

fn batches(records: &[JournalRecord]) -> Vec<RowBatch> {
    records
        .chunks(BATCH_RECORDS)
        .map(|chunk| {
            let mut batch = RowBatch::default();
            chunk.iter().for_each(|r| batch.add(r));
            batch
        })
        .collect()
}

async fn fresh(server: &str, name: &str) -> anyhow::Result<Database> {
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
    Database::connect(&format!("{server}/{name}")).await
}

async fn drop_db(server: &str, name: &str) {
    if let Ok(mut admin) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await;
    }
}

async fn round(server: &str, load: &[RowBatch], day: &[RowBatch]) -> anyhow::Result<(u128, u128)> {
    let name = format!("bench_persister_{}", std::process::id());
    let db = fresh(server, &name).await?;
    let mut offset = Seq(0);
    for batch in load {
        db.write(offset, batch).await?;
        offset = batch.last.unwrap_or(offset);
    }
    let Database::Postgres(pool) = &db else { anyhow::bail!("PostgreSQL expected") };
    sqlx::query("CREATE TABLE copy_trades (LIKE trades INCLUDING DEFAULTS INCLUDING INDEXES)")
        .execute(pool)
        .await?;
    sqlx::query(
        "CREATE TABLE copy_ledger (LIKE ledger_entries INCLUDING DEFAULTS INCLUDING INDEXES)",
    )
    .execute(pool)
    .await?;
    let texts: Vec<_> = day.iter().map(copy_rows).collect();

    let start = Instant::now();
    for batch in day {
        db.write(offset, batch).await?;
        offset = batch.last.unwrap_or(offset);
    }
    let persister = start.elapsed().as_nanos();

    let start = Instant::now();
    for (trades, ledger) in &texts {
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin().await?;
        let mut copy = tx.copy_in_raw("COPY copy_trades FROM STDIN (FORMAT text)").await?;
        copy.send(trades.as_bytes()).await?;
        copy.finish().await?;
        let mut copy = tx.copy_in_raw("COPY copy_ledger FROM STDIN (FORMAT text)").await?;
        copy.send(ledger.as_bytes()).await?;
        copy.finish().await?;
        tx.commit().await?;
    }
    let copy = start.elapsed().as_nanos();
    db.close().await;
    drop_db(server, &name).await;
    Ok((persister, copy))
}

fn main() -> anyhow::Result<()> {
    let server = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let mut recorder = Recorder { now: Timestamp::shanghai_midnight(DAY), ..Recorder::default() };
    let province = demo::load(&mut recorder, DAY, PROVINCE)?;
    let loaded = recorder.records.len();
    for (command, at) in
        demo::day_commands(&province, DAY, COMMANDS * 2, 13).into_iter().take(COMMANDS)
    {
        recorder.now = at;
        recorder.submit(command)?;
    }
    let (load, day) = recorder.records.split_at(loaded);
    let (load, day) = (batches(load), batches(day));
    let rows: usize = day.iter().map(|b| b.trades.len() + b.ledger.len()).sum();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (mut persisted, mut copied) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (p, c) = runtime.block_on(round(&server, &load, &day))?;
        persisted.push(p);
        copied.push(c);
    }
    persisted.sort_unstable();
    copied.sort_unstable();
    let (p, c) = (persisted[ROUNDS / 2], copied[ROUNDS / 2]);
    let per_s = |ns: u128| rows as u128 * 1_000_000_000 / ns.max(1);
    println!(
        "persister, {ROUNDS} alternating rounds, {} records, {rows} trade and ledger rows (medians):",
        day.iter().map(|b| b.records).sum::<usize>()
    );
    println!("  {:<30} {:>10} rows/s", "persister (Database::write)", per_s(p));
    println!("  {:<30} {:>10} rows/s", "COPY of the same rows", per_s(c));
    println!(
        "  {:<30} {:>7}.{:02}x",
        "persister / COPY",
        per_s(p) / per_s(c).max(1),
        per_s(p) * 100 / per_s(c).max(1) % 100
    );
    Ok(())
}

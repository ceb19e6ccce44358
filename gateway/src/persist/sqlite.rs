//! SQLite: multi-row inserts in one transaction per batch, money as integer minor units.

use anyhow::Context;
use engine::types::{Amount, Seq};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};

use super::rows::RowBatch;
use super::{
    BALANCES_SQL, DatabaseView, LEDGER_SUMS_SQL, OFFSET_SQL, PERSISTER, fold_view, to_i64,
};

/// Rows per INSERT statement, well under SQLite's limit on bound values.
const CHUNK: usize = 500;

fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) async fn write(pool: &SqlitePool, after: Seq, batch: &RowBatch) -> anyhow::Result<bool> {
    let Some(last) = batch.last else { return Ok(true) };
    // Write-locked from the start: a transaction that reads the offset first and then writes
    // would find another writer (the price desk, the security log) committed in between and fail
    // at once with "database is locked", where an immediate one waits its turn.
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.context("beginning the batch")?;
    let current: i64 = sqlx::query_scalar(OFFSET_SQL).bind(PERSISTER).fetch_one(&mut *tx).await?;
    if current != to_i64(after) {
        tx.rollback().await?;
        return Ok(false);
    }
    insert(&mut tx, batch).await?;
    for (line, d) in &batch.balance_deltas {
        sqlx::query(
            "UPDATE budget_lines SET allocated = allocated + $2, held = held + $3,
                    committed = committed + $4, paid = paid + $5 WHERE id = $1",
        )
        .bind(n(line.0))
        .bind(d.allocated.minor())
        .bind(d.held.minor())
        .bind(d.committed.minor())
        .bind(d.paid.minor())
        .execute(&mut *tx)
        .await
        .context("updating budget balances")?;
    }
    for (trade, state) in &batch.trade_states {
        sqlx::query("UPDATE trades SET state = $3 WHERE seq = $1 AND leg = $2")
            .bind(n(trade.seq.0))
            .bind(i64::from(trade.leg))
            .bind(*state)
            .execute(&mut *tx)
            .await
            .context("updating trade states")?;
    }
    sqlx::query("UPDATE journal_offsets SET seq = $2 WHERE consumer = $1")
        .bind(PERSISTER)
        .bind(to_i64(last))
        .execute(&mut *tx)
        .await?;
    tx.commit().await.context("committing the batch")?;
    Ok(true)
}

async fn insert(tx: &mut Transaction<'_, Sqlite>, b: &RowBatch) -> anyhow::Result<()> {
    for chunk in b.regions.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new("INSERT INTO regions (code, name, parent, level, seq) ")
            .push_values(chunk, |mut q, r| {
                q.push_bind(r.code)
                    .push_bind(&r.name)
                    .push_bind(r.parent)
                    .push_bind(r.level)
                    .push_bind(r.seq);
            })
            .build()
            .execute(&mut **tx)
            .await
            .context("inserting regions")?;
    }
    for chunk in b.participants.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO participants (id, kind, name, credit_code, region, seq) ",
        )
        .push_values(chunk, |mut q, p| {
            q.push_bind(p.id)
                .push_bind(p.kind)
                .push_bind(&p.name)
                .push_bind(&p.credit_code)
                .push_bind(p.region)
                .push_bind(p.seq);
        })
        .build()
        .execute(&mut **tx)
        .await
        .context("inserting participants")?;
    }
    for chunk in b.lines.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO budget_lines (id, purchaser, fiscal_year, project, line_code, seq) ",
        )
        .push_values(chunk, |mut q, l| {
            q.push_bind(l.id)
                .push_bind(l.purchaser)
                .push_bind(l.fiscal_year)
                .push_bind(&l.project)
                .push_bind(&l.line_code)
                .push_bind(l.seq);
        })
        .build()
        .execute(&mut **tx)
        .await
        .context("inserting budget lines")?;
    }
    for chunk in b.ledger.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO ledger_entries (seq, idx, line, kind, amount, deal, user_id, ts_ms) ",
        )
        .push_values(chunk, |mut q, e| {
            q.push_bind(e.seq)
                .push_bind(e.idx)
                .push_bind(e.line)
                .push_bind(e.kind)
                .push_bind(e.amount.minor())
                .push_bind(e.deal)
                .push_bind(e.user)
                .push_bind(e.ts_ms);
        })
        .build()
        .execute(&mut **tx)
        .await
        .context("inserting ledger entries")?;
    }
    for chunk in b.trades.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO trades (seq, leg, idx, mode, deal, purchaser, supplier, product, agreement, \
             quantity, unit_price, amount, budget_line, region, ts_ms, state) ",
        )
        .push_values(chunk, |mut q, r| {
            let t = &r.trade;
            q.push_bind(n(t.id.seq.0))
                .push_bind(i64::from(t.id.leg))
                .push_bind(r.idx)
                .push_bind(t.mode.name())
                .push_bind(n(t.deal.0))
                .push_bind(n(t.purchaser.0))
                .push_bind(n(t.supplier.0))
                .push_bind(n(t.product.0))
                .push_bind(t.agreement.map(|a| n(a.0)))
                .push_bind(t.quantity.minor())
                .push_bind(t.unit_price.minor())
                .push_bind(t.amount.minor())
                .push_bind(n(t.budget_line.0))
                .push_bind(i64::from(t.region.get()))
                .push_bind(t.ts.ms())
                .push_bind("struck");
        })
        .build()
        .execute(&mut **tx)
        .await
        .context("inserting trades")?;
    }
    for chunk in b.steps.chunks(CHUNK) {
        QueryBuilder::<Sqlite>::new(
            "INSERT INTO settlement_steps (seq, idx, trade_seq, trade_leg, step, state, reason, ts_ms) ",
        )
        .push_values(chunk, |mut q, s| {
            q.push_bind(s.seq)
                .push_bind(s.idx)
                .push_bind(n(s.trade.seq.0))
                .push_bind(i64::from(s.trade.leg))
                .push_bind(s.step)
                .push_bind(s.state)
                .push_bind(&s.reason)
                .push_bind(s.ts_ms);
        })
        .build()
        .execute(&mut **tx)
        .await
        .context("inserting settlement steps")?;
    }
    Ok(())
}

pub(super) async fn view(pool: &SqlitePool) -> anyhow::Result<DatabaseView> {
    // One read transaction: in WAL mode it sees a single consistent snapshot.
    let mut tx = pool.begin().await?;
    let offset: i64 = sqlx::query_scalar(OFFSET_SQL).bind(PERSISTER).fetch_one(&mut *tx).await?;
    let sums: Vec<(i64, String, i64)> = sqlx::query_as(LEDGER_SUMS_SQL).fetch_all(&mut *tx).await?;
    let lines: Vec<(i64, i64, i64, i64, i64)> =
        sqlx::query_as(BALANCES_SQL).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let sums =
        sums.into_iter().map(|(line, kind, sum)| (line, kind, Amount::from_minor(sum))).collect();
    let lines = lines
        .into_iter()
        .map(|(id, a, h, c, p)| (id, [a, h, c, p].map(Amount::from_minor)))
        .collect();
    fold_view(offset, sums, lines)
}

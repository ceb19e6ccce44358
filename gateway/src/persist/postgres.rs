//! PostgreSQL: one transaction per batch; the two big tables (trades, ledger entries) arrive by
//! `COPY ... FROM STDIN` inside that transaction, the rest by `INSERT ... SELECT FROM UNNEST(...)`;
//! money as NUMERIC through `rust_decimal`.

use anyhow::Context;
use engine::budget::Balance;
use engine::types::Amount;
use rust_decimal::Decimal;
use sqlx::{PgPool, Postgres, Transaction};

use super::rows::RowBatch;
use super::{
    BALANCES_SQL, DatabaseView, LEDGER_SUMS_SQL, OFFSET_SQL, PERSISTER, fold_view, to_i64,
};

pub(super) async fn write(
    pool: &PgPool,
    after: engine::types::Seq,
    batch: &RowBatch,
) -> anyhow::Result<bool> {
    let Some(last) = batch.last else { return Ok(true) };
    let mut tx = pool.begin().await.context("beginning the batch")?;
    let current: i64 =
        sqlx::query_scalar("SELECT seq FROM journal_offsets WHERE consumer = $1 FOR UPDATE")
            .bind(PERSISTER)
            .fetch_one(&mut *tx)
            .await?;
    if current != to_i64(after) {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_reference(&mut tx, batch).await?;
    check_lines(&mut tx, batch).await?;
    let (trades, ledger) = copy_rows(batch);
    copy_in(&mut tx, "COPY ledger_entries FROM STDIN (FORMAT text)", &ledger)
        .await
        .context("copying ledger entries")?;
    copy_in(&mut tx, "COPY trades FROM STDIN (FORMAT text)", &trades)
        .await
        .context("copying trades")?;
    insert_steps(&mut tx, batch).await?;
    update_balances(&mut tx, batch).await?;
    sqlx::query("UPDATE journal_offsets SET seq = $2 WHERE consumer = $1")
        .bind(PERSISTER)
        .bind(to_i64(last))
        .execute(&mut *tx)
        .await?;
    tx.commit().await.context("committing the batch")?;
    Ok(true)
}

async fn insert_reference(tx: &mut Transaction<'_, Postgres>, b: &RowBatch) -> anyhow::Result<()> {
    if !b.regions.is_empty() {
        sqlx::query(
            "INSERT INTO regions (code, name, parent, level, seq)
             SELECT * FROM UNNEST($1::int[], $2::text[], $3::int[], $4::text[], $5::bigint[])",
        )
        .bind(b.regions.iter().map(|r| r.code).collect::<Vec<_>>())
        .bind(b.regions.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
        .bind(b.regions.iter().map(|r| r.parent).collect::<Vec<_>>())
        .bind(b.regions.iter().map(|r| r.level).collect::<Vec<_>>())
        .bind(b.regions.iter().map(|r| r.seq).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("inserting regions")?;
    }
    if !b.participants.is_empty() {
        sqlx::query(
            "INSERT INTO participants (id, kind, name, credit_code, region, seq)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[])",
        )
        .bind(b.participants.iter().map(|p| p.id).collect::<Vec<_>>())
        .bind(b.participants.iter().map(|p| p.kind).collect::<Vec<_>>())
        .bind(b.participants.iter().map(|p| p.name.clone()).collect::<Vec<_>>())
        .bind(b.participants.iter().map(|p| p.credit_code.clone()).collect::<Vec<_>>())
        .bind(b.participants.iter().map(|p| p.region).collect::<Vec<_>>())
        .bind(b.participants.iter().map(|p| p.seq).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("inserting participants")?;
    }
    if !b.lines.is_empty() {
        sqlx::query(
            "INSERT INTO budget_lines (id, purchaser, fiscal_year, project, line_code, seq)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::text[], $6::bigint[])",
        )
        .bind(b.lines.iter().map(|l| l.id).collect::<Vec<_>>())
        .bind(b.lines.iter().map(|l| l.purchaser).collect::<Vec<_>>())
        .bind(b.lines.iter().map(|l| l.fiscal_year).collect::<Vec<_>>())
        .bind(b.lines.iter().map(|l| l.project.clone()).collect::<Vec<_>>())
        .bind(b.lines.iter().map(|l| l.line_code.clone()).collect::<Vec<_>>())
        .bind(b.lines.iter().map(|l| l.seq).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("inserting budget lines")?;
    }
    Ok(())
}

/// The budget lines the batch's ledger entries and trades name must all be in the database: checked
/// for the whole batch in one statement (see migration 0006), after the batch's own new lines are in.
async fn check_lines(tx: &mut Transaction<'_, Postgres>, b: &RowBatch) -> anyhow::Result<()> {
    let named = b.named_lines();
    if named.is_empty() {
        return Ok(());
    }
    let missing: Vec<i64> = sqlx::query_scalar(
        "SELECT n.id FROM UNNEST($1::bigint[]) AS n(id)
         WHERE NOT EXISTS (SELECT 1 FROM budget_lines l WHERE l.id = n.id)",
    )
    .bind(named)
    .fetch_all(&mut **tx)
    .await
    .context("checking the budget lines the batch names")?;
    anyhow::ensure!(
        missing.is_empty(),
        "ledger entries or trades name budget lines the database does not hold: {missing:?}"
    );
    Ok(())
}

async fn insert_steps(tx: &mut Transaction<'_, Postgres>, b: &RowBatch) -> anyhow::Result<()> {
    if !b.steps.is_empty() {
        sqlx::query(
            "INSERT INTO settlement_steps (seq, idx, trade_seq, trade_leg, step, state, reason, ts_ms)
             SELECT * FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::int[], $5::text[],
                                  $6::text[], $7::text[], $8::bigint[])",
        )
        .bind(b.steps.iter().map(|s| s.seq).collect::<Vec<_>>())
        .bind(b.steps.iter().map(|s| s.idx).collect::<Vec<_>>())
        .bind(b.steps.iter().map(|s| i64::try_from(s.trade.seq.0).unwrap_or(i64::MAX)).collect::<Vec<_>>())
        .bind(b.steps.iter().map(|s| i32::try_from(s.trade.leg).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(b.steps.iter().map(|s| s.step).collect::<Vec<_>>())
        .bind(b.steps.iter().map(|s| s.state).collect::<Vec<_>>())
        .bind(b.steps.iter().map(|s| s.reason.clone()).collect::<Vec<_>>())
        .bind(b.steps.iter().map(|s| s.ts_ms).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("inserting settlement steps")?;
        sqlx::query(
            "UPDATE trades t SET state = s.state
             FROM UNNEST($1::bigint[], $2::int[], $3::text[]) AS s(seq, leg, state)
             WHERE t.seq = s.seq AND t.leg = s.leg",
        )
        .bind(
            b.trade_states
                .keys()
                .map(|k| i64::try_from(k.seq.0).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(
            b.trade_states
                .keys()
                .map(|k| i32::try_from(k.leg).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(b.trade_states.values().copied().collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("updating trade states")?;
    }
    Ok(())
}

async fn update_balances(tx: &mut Transaction<'_, Postgres>, b: &RowBatch) -> anyhow::Result<()> {
    if b.balance_deltas.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&Balance) -> Amount| {
        b.balance_deltas.values().map(|d| f(d).to_decimal()).collect::<Vec<_>>()
    };
    sqlx::query(
        "UPDATE budget_lines l SET allocated = l.allocated + d.allocated, held = l.held + d.held,
                committed = l.committed + d.committed, paid = l.paid + d.paid
         FROM UNNEST($1::bigint[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[])
              AS d(id, allocated, held, committed, paid)
         WHERE l.id = d.id",
    )
    .bind(
        b.balance_deltas.keys().map(|l| i64::try_from(l.0).unwrap_or(i64::MAX)).collect::<Vec<_>>(),
    )
    .bind(column(|d| d.allocated))
    .bind(column(|d| d.held))
    .bind(column(|d| d.committed))
    .bind(column(|d| d.paid))
    .execute(&mut **tx)
    .await
    .context("updating budget balances")?;
    Ok(())
}

/// Streams `rows`, in COPY text format, into the table `statement` names.
async fn copy_in(
    tx: &mut Transaction<'_, Postgres>,
    statement: &str,
    rows: &str,
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut copy = tx.copy_in_raw(statement).await?;
    copy.send(rows.as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// The batch's trades and ledger entries as COPY text rows, in the tables' column order. Every field
/// is a number or a fixed name, so nothing needs escaping.
pub fn copy_rows(batch: &RowBatch) -> (String, String) {
    use std::fmt::Write as _;
    let null = |v: Option<i64>| v.map_or_else(|| "\\N".to_string(), |v| v.to_string());
    let mut trades = String::with_capacity(batch.trades.len() * 120);
    for r in &batch.trades {
        let t = &r.trade;
        let agreement = null(t.agreement.map(|a| i64::try_from(a.0).unwrap_or(i64::MAX)));
        let _ = writeln!(
            trades,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{agreement}\t{}\t{}\t{}\t{}\t{}\t{}\tstruck",
            t.id.seq.0,
            t.id.leg,
            r.idx,
            t.mode.name(),
            t.deal.0,
            t.purchaser.0,
            t.supplier.0,
            t.product.0,
            t.quantity.to_decimal(),
            t.unit_price.to_decimal(),
            t.amount.to_decimal(),
            t.budget_line.0,
            t.region.get(),
            t.ts.ms()
        );
    }
    let mut ledger = String::with_capacity(batch.ledger.len() * 60);
    for e in &batch.ledger {
        let _ = writeln!(
            ledger,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            e.seq,
            e.idx,
            e.line,
            e.kind,
            e.amount.to_decimal(),
            null(e.deal),
            e.user,
            e.ts_ms
        );
    }
    (trades, ledger)
}

fn amount(value: Decimal) -> anyhow::Result<Amount> {
    Amount::from_decimal_signed(value)
        .map_err(|e| anyhow::anyhow!("amount {value} in the database: {e}"))
}

pub(super) async fn view(pool: &PgPool) -> anyhow::Result<DatabaseView> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let offset: i64 = sqlx::query_scalar(OFFSET_SQL).bind(PERSISTER).fetch_one(&mut *tx).await?;
    let sums: Vec<(i64, String, Decimal)> =
        sqlx::query_as(LEDGER_SUMS_SQL).fetch_all(&mut *tx).await?;
    let lines: Vec<(i64, Decimal, Decimal, Decimal, Decimal)> =
        sqlx::query_as(BALANCES_SQL).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let sums = sums
        .into_iter()
        .map(|(line, kind, sum)| Ok((line, kind, amount(sum)?)))
        .collect::<anyhow::Result<_>>()?;
    let lines = lines
        .into_iter()
        .map(|(id, a, h, c, p)| Ok((id, [amount(a)?, amount(h)?, amount(c)?, amount(p)?])))
        .collect::<anyhow::Result<_>>()?;
    fold_view(offset, sums, lines)
}

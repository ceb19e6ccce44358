//! PostgreSQL: batched `INSERT ... SELECT FROM UNNEST(...)` per table, one transaction per batch,
//! money as NUMERIC through `rust_decimal`.

use anyhow::Context;
use engine::budget::Balance;
use engine::types::Amount;
use rust_decimal::Decimal;
use sqlx::{PgPool, Postgres, Transaction};

use super::rows::{RowBatch, trade_mode};
use super::{DatabaseView, PERSISTER, fold_view, to_i64};

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
    insert_ledger(&mut tx, batch).await?;
    insert_trades(&mut tx, batch).await?;
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

async fn insert_ledger(tx: &mut Transaction<'_, Postgres>, b: &RowBatch) -> anyhow::Result<()> {
    if b.ledger.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO ledger_entries (seq, idx, line, kind, amount, deal, user_id, ts_ms)
         SELECT * FROM UNNEST($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::numeric[],
                              $6::bigint[], $7::bigint[], $8::bigint[])",
    )
    .bind(b.ledger.iter().map(|e| e.seq).collect::<Vec<_>>())
    .bind(b.ledger.iter().map(|e| e.idx).collect::<Vec<_>>())
    .bind(b.ledger.iter().map(|e| e.line).collect::<Vec<_>>())
    .bind(b.ledger.iter().map(|e| e.kind).collect::<Vec<_>>())
    .bind(b.ledger.iter().map(|e| e.amount.to_decimal()).collect::<Vec<_>>())
    .bind(b.ledger.iter().map(|e| e.deal).collect::<Vec<_>>())
    .bind(b.ledger.iter().map(|e| e.user).collect::<Vec<_>>())
    .bind(b.ledger.iter().map(|e| e.ts_ms).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await
    .context("inserting ledger entries")?;
    Ok(())
}

async fn insert_trades(tx: &mut Transaction<'_, Postgres>, b: &RowBatch) -> anyhow::Result<()> {
    if !b.trades.is_empty() {
        let t = |f: fn(&engine::settlement::Trade) -> i64| {
            b.trades.iter().map(|r| f(&r.trade)).collect::<Vec<_>>()
        };
        sqlx::query(
            "INSERT INTO trades (seq, leg, idx, mode, deal, purchaser, supplier, product, agreement,
                                 quantity, unit_price, amount, budget_line, region, ts_ms, state)
             SELECT *, 'struck' FROM UNNEST($1::bigint[], $2::int[], $3::int[], $4::text[], $5::bigint[],
                 $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::numeric[], $11::numeric[],
                 $12::numeric[], $13::bigint[], $14::int[], $15::bigint[])",
        )
        .bind(t(|x| i64::try_from(x.id.seq.0).unwrap_or(i64::MAX)))
        .bind(b.trades.iter().map(|r| i32::try_from(r.trade.id.leg).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(b.trades.iter().map(|r| r.idx).collect::<Vec<_>>())
        .bind(b.trades.iter().map(|r| trade_mode(r.trade.mode)).collect::<Vec<_>>())
        .bind(t(|x| i64::try_from(x.deal.0).unwrap_or(i64::MAX)))
        .bind(t(|x| i64::try_from(x.purchaser.0).unwrap_or(i64::MAX)))
        .bind(t(|x| i64::try_from(x.supplier.0).unwrap_or(i64::MAX)))
        .bind(t(|x| i64::try_from(x.product.0).unwrap_or(i64::MAX)))
        .bind(b.trades.iter().map(|r| r.trade.agreement.map(|a| i64::try_from(a.0).unwrap_or(i64::MAX))).collect::<Vec<_>>())
        .bind(b.trades.iter().map(|r| r.trade.quantity.to_decimal()).collect::<Vec<_>>())
        .bind(b.trades.iter().map(|r| r.trade.unit_price.to_decimal()).collect::<Vec<_>>())
        .bind(b.trades.iter().map(|r| r.trade.amount.to_decimal()).collect::<Vec<_>>())
        .bind(t(|x| i64::try_from(x.budget_line.0).unwrap_or(i64::MAX)))
        .bind(b.trades.iter().map(|r| i32::try_from(r.trade.region.get()).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(t(|x| x.ts.ms()))
        .execute(&mut **tx)
        .await
        .context("inserting trades")?;
    }
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

fn amount(value: Decimal) -> anyhow::Result<Amount> {
    Amount::from_decimal_signed(value)
        .map_err(|e| anyhow::anyhow!("amount {value} in the database: {e}"))
}

pub(super) async fn view(pool: &PgPool) -> anyhow::Result<DatabaseView> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let offset: i64 = sqlx::query_scalar("SELECT seq FROM journal_offsets WHERE consumer = $1")
        .bind(PERSISTER)
        .fetch_one(&mut *tx)
        .await?;
    let sums: Vec<(i64, String, Decimal)> =
        sqlx::query_as("SELECT line, kind, SUM(amount) FROM ledger_entries GROUP BY line, kind")
            .fetch_all(&mut *tx)
            .await?;
    let lines: Vec<(i64, Decimal, Decimal, Decimal, Decimal)> =
        sqlx::query_as("SELECT id, allocated, held, committed, paid FROM budget_lines")
            .fetch_all(&mut *tx)
            .await?;
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

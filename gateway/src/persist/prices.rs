//! The price desk's history in the database: candles, the daily category index and alerts,
//! upserted by their natural keys in one transaction per batch, so the rebuild at every start (and
//! any retry) writes nothing twice. PostgreSQL keeps money as NUMERIC, SQLite in integer minor
//! units, as for the persister's tables.

use engine::analytics::{Alert, Candle, IndexPoint, Series};
use engine::types::{Amount, Quantity, UnitPrice};

use super::Database;

/// What one batch of the desk's changes writes.
#[derive(Clone, Debug, Default)]
pub struct PriceRows {
    /// Candles as they stand.
    pub candles: Vec<Candle>,
    /// Index days as they stand.
    pub index: Vec<IndexPoint>,
    /// Alerts raised.
    pub alerts: Vec<Alert>,
}

impl PriceRows {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.candles.is_empty() && self.index.is_empty() && self.alerts.is_empty()
    }

    /// Takes `later`'s rows in after these, keeping only the newest state of each candle and index
    /// day. A candle or an index day is written whole, as it stands, so an older state of the same
    /// one in the same batch would only be overwritten: a busy product's candles change with every
    /// trade, and writing each state is what made the history cost more than the trading.
    pub fn absorb(&mut self, later: PriceRows) {
        self.candles.extend(later.candles);
        self.index.extend(later.index);
        self.alerts.extend(later.alerts);
        self.keep_newest();
    }

    /// Keeps only the newest state of each candle and index day, in the order of those kept.
    pub fn keep_newest(&mut self) {
        super::rows::keep_newest(&mut self.candles, |c| (c.series, c.interval, c.start));
        super::rows::keep_newest(&mut self.index, |p| (p.category, p.day));
    }
}

fn series_key(series: Series) -> String {
    match series {
        Series::Product(p) => format!("product:{}", p.0),
        Series::Category(c) => format!("category:{c}"),
    }
}

const CANDLE_UPSERT: &str = "INSERT INTO candles (series, interval, start_ms, open, high, low, close, volume, amount, trades)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (series, interval, start_ms) DO UPDATE SET open = excluded.open, high = excluded.high,
    low = excluded.low, close = excluded.close, volume = excluded.volume, amount = excluded.amount,
    trades = excluded.trades";
const CANDLE_UPSERT_PG: &str = "INSERT INTO candles (series, interval, start_ms, open, high, low, close, volume, amount, trades)
    VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9::numeric, $10)
    ON CONFLICT (series, interval, start_ms) DO UPDATE SET open = excluded.open, high = excluded.high,
    low = excluded.low, close = excluded.close, volume = excluded.volume, amount = excluded.amount,
    trades = excluded.trades";
const INDEX_UPSERT: &str = "INSERT INTO price_index (category, day_ms, index_value, trades) VALUES ($1, $2, $3, $4)
    ON CONFLICT (category, day_ms) DO UPDATE SET index_value = excluded.index_value, trades = excluded.trades";
const INDEX_UPSERT_PG: &str = "INSERT INTO price_index (category, day_ms, index_value, trades) VALUES ($1, $2, $3::numeric, $4)
    ON CONFLICT (category, day_ms) DO UPDATE SET index_value = excluded.index_value, trades = excluded.trades";
const ALERT_INSERT: &str =
    "INSERT INTO alerts (seq, code, deal, rule, region, ts_ms, figures, message)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING";

fn figures(alert: &Alert) -> String {
    serde_json::to_string(&alert.figures).unwrap_or_default()
}

fn id(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Writes `rows` in the transaction `tx` with the store's own SQL and money conversions: the two
/// stores differ only in how a price, a quantity, an amount and an index value are bound.
macro_rules! write_rows {
    ($tx:expr, $rows:expr, $candle_sql:expr, $index_sql:expr,
     price: $price:expr, quantity: $quantity:expr, amount: $amount:expr, index: $index:expr) => {{
        for c in &$rows.candles {
            sqlx::query($candle_sql)
                .bind(series_key(c.series))
                .bind(c.interval.name())
                .bind(c.start.ms())
                .bind($price(c.open))
                .bind($price(c.high))
                .bind($price(c.low))
                .bind($price(c.close))
                .bind($quantity(c.volume))
                .bind($amount(c.amount))
                .bind(i64::from(c.trades))
                .execute(&mut *$tx)
                .await?;
        }
        for p in &$rows.index {
            sqlx::query($index_sql)
                .bind(p.category.to_string())
                .bind(p.day.ms())
                .bind($index(p))
                .bind(i64::from(p.trades))
                .execute(&mut *$tx)
                .await?;
        }
        for a in &$rows.alerts {
            sqlx::query(ALERT_INSERT)
                .bind(id(a.seq.0))
                .bind(a.kind.code())
                .bind(id(a.deal.0))
                .bind(a.kind.rule())
                .bind(i64::from(a.region.get()))
                .bind(a.ts.ms())
                .bind(figures(a))
                .bind(&a.message)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

impl Database {
    /// Writes one batch of the price desk's rows.
    pub async fn save_prices(&self, rows: &PriceRows) -> anyhow::Result<()> {
        match self {
            Database::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                write_rows!(tx, rows, CANDLE_UPSERT_PG, INDEX_UPSERT_PG,
                    price: |p: UnitPrice| p.to_string(),
                    quantity: |q: Quantity| q.to_string(),
                    amount: |a: Amount| a.to_string(),
                    index: |p: &IndexPoint| p.value());
                tx.commit().await?;
            }
            Database::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                write_rows!(tx, rows, CANDLE_UPSERT, INDEX_UPSERT,
                    price: |p: UnitPrice| p.minor(),
                    quantity: |q: Quantity| q.minor(),
                    amount: |a: Amount| a.minor(),
                    index: |p: &IndexPoint| p.hundredths);
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Rows of the price desk's tables: candles, index days, alerts.
    pub async fn price_row_counts(&self) -> anyhow::Result<(i64, i64, i64)> {
        let count = |table: &str| format!("SELECT COUNT(*) FROM {table}");
        let (c, i, a) = match self {
            Database::Postgres(pool) => (
                sqlx::query_scalar(&count("candles")).fetch_one(pool).await?,
                sqlx::query_scalar(&count("price_index")).fetch_one(pool).await?,
                sqlx::query_scalar(&count("alerts")).fetch_one(pool).await?,
            ),
            Database::Sqlite(pool) => (
                sqlx::query_scalar(&count("candles")).fetch_one(pool).await?,
                sqlx::query_scalar(&count("price_index")).fetch_one(pool).await?,
                sqlx::query_scalar(&count("alerts")).fetch_one(pool).await?,
            ),
        };
        Ok((c, i, a))
    }
}

#[cfg(test)]
mod tests {
    use engine::analytics::{Candle, Interval, Series};
    use engine::types::{Amount, ProductId, Quantity, Timestamp, UnitPrice};

    use super::PriceRows;

    fn candle(product: u64, start: i64, close: i64) -> Candle {
        let price = UnitPrice::from_minor(close);
        Candle {
            series: Series::Product(ProductId(product)),
            interval: Interval::Minute,
            start: Timestamp(start),
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Quantity::from_minor(1000),
            amount: Amount::from_minor(close),
            trades: 1,
        }
    }

    /// A candle is written as it stands, so of the states of one candle queued together only the
    /// newest is written; other candles are kept, in order.
    #[test]
    fn queued_rows_keep_each_candles_newest_state() {
        let mut rows = PriceRows::default();
        rows.absorb(PriceRows {
            candles: vec![candle(1, 0, 500), candle(2, 0, 700)],
            ..Default::default()
        });
        rows.absorb(PriceRows {
            candles: vec![candle(1, 0, 480), candle(1, 60_000, 470)],
            ..Default::default()
        });
        let kept: Vec<_> = rows.candles.iter().map(|c| (c.series, c.start.ms(), c.close)).collect();
        assert_eq!(
            kept,
            [
                (Series::Product(ProductId(2)), 0, UnitPrice::from_minor(700)),
                (Series::Product(ProductId(1)), 0, UnitPrice::from_minor(480)),
                (Series::Product(ProductId(1)), 60_000, UnitPrice::from_minor(470)),
            ]
        );
    }
}

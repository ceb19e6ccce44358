//! Notices and releases in the database: written by the publisher with its offset in one
//! transaction, read by the public API. The same SQL serves PostgreSQL and SQLite (no money is
//! kept here as a number: bodies and releases are JSON text).

use engine::types::Seq;

use super::{PUBLISHER, Published};
use crate::persist::Database;

/// A notice as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRow {
    pub id: String,
    pub seq: i64,
    pub deal: i64,
    pub kind: String,
    pub mode: String,
    pub regions: String,
    pub categories: String,
    pub published_ms: i64,
    pub title: String,
    pub body: String,
}

/// A release as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: String,
    pub ocid: String,
    pub seq: i64,
    pub idx: i64,
    pub date_ms: i64,
    pub release: String,
}

/// Deal facts summed by month, region, category, mode and outcome (T-1); money in fen.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FactSums {
    pub month: String,
    pub region: i32,
    pub category: String,
    pub mode: String,
    pub outcome: String,
    pub deals: i64,
    pub amount: i64,
    /// Ceilings of the deals that have one, and those deals' amount.
    pub ceiling: i64,
    pub ceiling_amount: i64,
    /// Budget held by the deals that held one, and those deals' amount.
    pub held: i64,
    pub held_amount: i64,
    /// Suppliers that took part, over the deals that count them.
    pub participants: i64,
    pub counted: i64,
    pub small: i64,
}

/// Which deal facts to sum: months `from` to `to` (`YYYY-MM`, inclusive), within a region and a
/// category (each with what lies beneath), of one mode.
#[derive(Clone, Debug, Default)]
pub struct FactQuery {
    pub from: String,
    pub to: String,
    pub region: Option<String>,
    pub category: Option<String>,
    pub mode: Option<String>,
}

/// What a search of the notices asks for; every part optional.
#[derive(Clone, Debug, Default)]
pub struct NoticeQuery {
    /// A region: its own notices and those of the regions beneath it.
    pub region: Option<String>,
    /// A category: its own and those beneath it.
    pub category: Option<String>,
    /// A mode.
    pub mode: Option<String>,
    /// Kinds; none for every kind but the daily list's lines.
    pub kinds: Vec<String>,
    /// Published at or after, Unix milliseconds.
    pub from_ms: Option<i64>,
    /// Published before.
    pub to_ms: Option<i64>,
    /// One deal's notices.
    pub deal: Option<i64>,
    /// Words in the title.
    pub text: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Notices skipped.
    pub offset: i64,
}

/// A chain of codes as stored: `,330102,330100,330000,`.
pub fn chain<T: std::fmt::Display>(codes: &[T]) -> String {
    let mut out = String::from(",");
    for code in codes {
        out.push_str(&code.to_string());
        out.push(',');
    }
    out
}

/// Runs the same statements on either store.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Database::Postgres($pool) => $body,
            Database::Sqlite($pool) => $body,
        }
    };
}

/// Rows per multi-row statement: 15 columns at most, well within either store's bound values.
const ROWS_PER_STATEMENT: usize = 1_000;

const NOTICE_INSERT: &str = "INSERT INTO notices
    (id, seq, deal, kind, mode, regions, categories, published_ms, title, body) ";
const RELEASE_INSERT: &str = "INSERT INTO ocds_releases (id, ocid, seq, idx, date_ms, release) ";
const FACTS_INSERT: &str = "INSERT INTO deal_facts
    (deal, mode, outcome, concluded_ms, month, region, regions, category, categories, amount,
     ceiling, held, participants, small, seq) ";
const FACTS_ON_CONFLICT: &str = " ON CONFLICT (deal) DO UPDATE SET mode = excluded.mode,
    outcome = excluded.outcome, concluded_ms = excluded.concluded_ms, month = excluded.month,
    region = excluded.region, regions = excluded.regions, category = excluded.category,
    categories = excluded.categories, amount = excluded.amount, ceiling = excluded.ceiling,
    held = excluded.held, participants = excluded.participants, small = excluded.small,
    seq = excluded.seq";
const MOVE_OFFSET: &str = "UPDATE journal_offsets SET seq = $2 WHERE consumer = $1 AND seq = $3";

/// Each deal's facts as the batch leaves them: a deal's facts are written whole, and one statement
/// may not update the same row twice.
fn newest_facts(batch: &[Published]) -> Vec<&super::facts::DealFacts> {
    let mut facts: Vec<_> = batch.iter().flat_map(|p| &p.facts).collect();
    crate::persist::rows::keep_newest(&mut facts, |f| f.deal);
    facts
}

fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Database {
    /// Writes what the records after `after` up to `last` published and moves the publisher's
    /// offset to `last`, in one transaction. False, writing nothing, when the offset is no longer
    /// `after` (an attempt whose success was never heard of already wrote it).
    pub async fn write_publication(
        &self,
        after: Seq,
        last: Seq,
        batch: &[Published],
    ) -> anyhow::Result<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Moved first: on PostgreSQL this also locks the row against a second publisher.
            let moved = sqlx::query(MOVE_OFFSET)
                .bind(PUBLISHER)
                .bind(int(last.0))
                .bind(int(after.0))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if moved != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            // Many rows a statement: each statement is a round trip to the database (on SQLite,
            // to its worker thread), and a busy day publishes several rows for every order.
            let notices: Vec<_> = batch.iter().flat_map(|p| &p.notices).collect();
            for chunk in notices.chunks(ROWS_PER_STATEMENT) {
                sqlx::QueryBuilder::new(NOTICE_INSERT)
                    .push_values(chunk, |mut row, n| {
                        row.push_bind(n.id.as_str())
                            .push_bind(int(n.seq.0))
                            .push_bind(int(n.deal.0))
                            .push_bind(n.kind.name())
                            .push_bind(n.mode)
                            .push_bind(chain(&n.regions))
                            .push_bind(chain(&n.categories))
                            .push_bind(n.published.ms())
                            .push_bind(n.title.as_str())
                            .push_bind(crate::json_text(&n.body));
                    })
                    .push(" ON CONFLICT (id) DO NOTHING")
                    .build()
                    .execute(&mut *tx)
                    .await?;
            }
            let facts = newest_facts(batch);
            for chunk in facts.chunks(ROWS_PER_STATEMENT) {
                let leaf = |codes: &[_]| codes.first().map(ToString::to_string).unwrap_or_default();
                sqlx::QueryBuilder::new(FACTS_INSERT)
                    .push_values(chunk, |mut row, f| {
                        row.push_bind(int(f.deal.0))
                            .push_bind(f.mode.name())
                            .push_bind(f.outcome.name())
                            .push_bind(f.concluded.ms())
                            .push_bind(super::facts::month(f.concluded))
                            .push_bind(f.regions.first().map_or(0, |r| i32::try_from(r.get()).unwrap_or(0)))
                            .push_bind(chain(&f.regions))
                            .push_bind(leaf(&f.categories))
                            .push_bind(chain(&f.categories))
                            .push_bind(f.amount.minor())
                            .push_bind(f.ceiling.map(|c| c.minor()))
                            .push_bind(f.held.map(|h| h.minor()))
                            .push_bind(f.participants.map(|p| i32::try_from(p).unwrap_or(i32::MAX)))
                            .push_bind(f.small.minor())
                            .push_bind(int(last.0));
                    })
                    .push(FACTS_ON_CONFLICT)
                    .build()
                    .execute(&mut *tx)
                    .await?;
            }
            let releases: Vec<_> = batch.iter().flat_map(|p| &p.releases).collect();
            for chunk in releases.chunks(ROWS_PER_STATEMENT) {
                sqlx::QueryBuilder::new(RELEASE_INSERT)
                    .push_values(chunk, |mut row, r| {
                        row.push_bind(r.id.as_str())
                            .push_bind(r.ocid.as_str())
                            .push_bind(int(r.seq.0))
                            .push_bind(i64::from(r.index))
                            .push_bind(r.date.ms())
                            .push_bind(crate::json_text(&r.json));
                    })
                    .push(" ON CONFLICT (id) DO NOTHING")
                    .build()
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Notices matching `query`, newest first.
    pub async fn notices(&self, query: &NoticeQuery) -> anyhow::Result<Vec<NoticeRow>> {
        let mut sql = String::from(
            "SELECT id, seq, deal, kind, mode, regions, categories, published_ms, title, body \
             FROM notices WHERE 1 = 1",
        );
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Text parameters first ($1..), then integers, numbered as they are added.
        let mut conditions: Vec<(bool, String)> = Vec::new();
        if let Some(region) = &query.region {
            texts.push(format!("%,{region},%"));
            conditions.push((true, "regions LIKE".into()));
        }
        if let Some(category) = &query.category {
            texts.push(format!("%,{category},%"));
            conditions.push((true, "categories LIKE".into()));
        }
        if let Some(mode) = &query.mode {
            texts.push(mode.clone());
            conditions.push((true, "mode =".into()));
        }
        if let Some(text) = &query.text {
            texts.push(format!("%{}%", text.replace(['%', '_'], "")));
            conditions.push((true, "title LIKE".into()));
        }
        let kinds = if query.kinds.is_empty() {
            super::NoticeKind::ALL
                .iter()
                .filter(|k| **k != super::NoticeKind::DirectOrder)
                .map(|k| k.name().to_string())
                .collect()
        } else {
            query.kinds.clone()
        };
        let mut n = 0;
        for (_, condition) in &conditions {
            n += 1;
            sql.push_str(&format!(" AND {condition} ${n}"));
        }
        let first_kind = n + 1;
        sql.push_str(" AND kind IN (");
        for i in 0..kinds.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", first_kind + i));
        }
        sql.push(')');
        n += kinds.len();
        texts.extend(kinds);
        for (value, column) in [
            (query.from_ms, "published_ms >="),
            (query.to_ms, "published_ms <"),
            (query.deal, "deal ="),
        ] {
            if let Some(value) = value {
                n += 1;
                ints.push(value);
                sql.push_str(&format!(" AND {column} ${n}"));
            }
        }
        sql.push_str(&format!(" ORDER BY seq DESC, id DESC LIMIT ${} OFFSET ${}", n + 1, n + 2));
        ints.push(query.limit);
        ints.push(query.offset);
        on_pool!(self, pool => {
            let mut q = sqlx::query_as::<_, NoticeRow>(&sql);
            for t in &texts {
                q = q.bind(t);
            }
            for i in &ints {
                q = q.bind(*i);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// The notice `id`.
    pub async fn notice(&self, id: &str) -> anyhow::Result<Option<NoticeRow>> {
        let sql = "SELECT id, seq, deal, kind, mode, regions, categories, published_ms, title, body \
                   FROM notices WHERE id = $1";
        on_pool!(self, pool => Ok(sqlx::query_as::<_, NoticeRow>(sql).bind(id).fetch_optional(pool).await?))
    }

    /// Releases after the position `(seq, idx)`, dated at or after `since_ms`, in journal order.
    pub async fn releases(
        &self,
        after: (i64, i64),
        since_ms: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<ReleaseRow>> {
        let sql = "SELECT id, ocid, seq, idx, date_ms, release FROM ocds_releases \
                   WHERE (seq > $1 OR (seq = $1 AND idx > $2)) AND date_ms >= $3 \
                   ORDER BY seq, idx LIMIT $4";
        on_pool!(self, pool => Ok(sqlx::query_as::<_, ReleaseRow>(sql)
            .bind(after.0)
            .bind(after.1)
            .bind(since_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// Every release of the contracting process `ocid`, in order.
    pub async fn releases_of(&self, ocid: &str) -> anyhow::Result<Vec<ReleaseRow>> {
        let sql = "SELECT id, ocid, seq, idx, date_ms, release FROM ocds_releases \
                   WHERE ocid = $1 ORDER BY seq, idx";
        on_pool!(self, pool => Ok(sqlx::query_as::<_, ReleaseRow>(sql).bind(ocid).fetch_all(pool).await?))
    }

    /// Contracting processes whose latest release comes after the position `after` (that
    /// release's journal sequence, then the ocid), in that order, each with it: how the record
    /// list pages.
    pub async fn ocids_changed(
        &self,
        after: (i64, &str),
        limit: i64,
    ) -> anyhow::Result<Vec<(String, i64)>> {
        let sql = "SELECT ocid, MAX(seq) AS last FROM ocds_releases GROUP BY ocid \
                   HAVING MAX(seq) > $1 OR (MAX(seq) = $1 AND ocid > $2) ORDER BY last, ocid LIMIT $3";
        on_pool!(self, pool => Ok(sqlx::query_as::<_, (String, i64)>(sql)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// Everything published, in journal order: what an audit, or a test of a restart, compares.
    pub async fn publication(&self) -> anyhow::Result<(Vec<NoticeRow>, Vec<ReleaseRow>)> {
        let notices = "SELECT id, seq, deal, kind, mode, regions, categories, published_ms, title, body \
                       FROM notices ORDER BY seq, id";
        let releases =
            "SELECT id, ocid, seq, idx, date_ms, release FROM ocds_releases ORDER BY seq, idx";
        on_pool!(self, pool => Ok((
            sqlx::query_as::<_, NoticeRow>(notices).fetch_all(pool).await?,
            sqlx::query_as::<_, ReleaseRow>(releases).fetch_all(pool).await?,
        )))
    }

    /// The deal facts of `query`, summed by month, region, category, mode and outcome.
    pub async fn fact_sums(&self, query: &FactQuery) -> anyhow::Result<Vec<FactSums>> {
        let sql = "SELECT month, region, category, mode, outcome, COUNT(*) AS deals, \
            CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS amount, \
            CAST(COALESCE(SUM(ceiling), 0) AS BIGINT) AS ceiling, \
            CAST(COALESCE(SUM(CASE WHEN ceiling IS NULL THEN 0 ELSE amount END), 0) AS BIGINT) AS ceiling_amount, \
            CAST(COALESCE(SUM(held), 0) AS BIGINT) AS held, \
            CAST(COALESCE(SUM(CASE WHEN held IS NULL THEN 0 ELSE amount END), 0) AS BIGINT) AS held_amount, \
            CAST(COALESCE(SUM(participants), 0) AS BIGINT) AS participants, \
            COUNT(participants) AS counted, \
            CAST(COALESCE(SUM(small), 0) AS BIGINT) AS small \
            FROM deal_facts WHERE month >= $1 AND month <= $2 AND regions LIKE $3 \
            AND categories LIKE $4 AND ($5 = '' OR mode = $5) \
            GROUP BY month, region, category, mode, outcome ORDER BY month, region, category, mode, outcome";
        let like = |code: &Option<String>| {
            code.as_ref().map_or_else(|| "%".to_string(), |c| format!("%,{c},%"))
        };
        let mode = query.mode.clone().unwrap_or_default();
        on_pool!(self, pool => Ok(sqlx::query_as::<_, FactSums>(sql)
            .bind(&query.from)
            .bind(&query.to)
            .bind(like(&query.region))
            .bind(like(&query.category))
            .bind(&mode)
            .fetch_all(pool)
            .await?))
    }

    /// How many notices and releases are stored: what a restart test compares.
    pub async fn publication_counts(&self) -> anyhow::Result<(i64, i64)> {
        on_pool!(self, pool => Ok((
            sqlx::query_scalar("SELECT COUNT(*) FROM notices").fetch_one(pool).await?,
            sqlx::query_scalar("SELECT COUNT(*) FROM ocds_releases").fetch_one(pool).await?,
        )))
    }
}

#[cfg(test)]
mod tests {
    use engine::types::{Amount, DealId, Timestamp};

    use super::super::deal::Mode;
    use super::super::facts::{DealFacts, Outcome};
    use super::*;

    fn facts(deal: u64, amount: i64) -> DealFacts {
        DealFacts {
            deal: DealId(deal),
            mode: Mode::Auction,
            outcome: Outcome::Awarded,
            concluded: Timestamp(1_780_000_000_000),
            regions: Vec::new(),
            categories: Vec::new(),
            amount: Amount::from_minor(amount),
            ceiling: None,
            held: None,
            participants: Some(3),
            small: Amount::from_minor(0),
        }
    }

    fn published(facts: Vec<DealFacts>) -> Published {
        Published { facts, ..Published::default() }
    }

    /// One statement may not update a row twice (PostgreSQL refuses), and a deal's facts are
    /// written whole: a batch writes each deal's newest facts once.
    #[test]
    fn a_batch_writes_each_deals_newest_facts_once() {
        let batch = [
            published(vec![facts(7, 100), facts(8, 50)]),
            published(vec![]),
            published(vec![facts(7, 90)]),
        ];
        let newest: Vec<_> =
            newest_facts(&batch).into_iter().map(|f| (f.deal.0, f.amount)).collect();
        assert_eq!(newest, [(8, Amount::from_minor(50)), (7, Amount::from_minor(90))]);
    }
}

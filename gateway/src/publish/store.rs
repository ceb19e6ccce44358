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

const NOTICE_INSERT: &str = "INSERT INTO notices
    (id, seq, deal, kind, mode, regions, categories, published_ms, title, body)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING";
const RELEASE_INSERT: &str = "INSERT INTO ocds_releases (id, ocid, seq, idx, date_ms, release)
    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING";
const MOVE_OFFSET: &str = "UPDATE journal_offsets SET seq = $2 WHERE consumer = $1 AND seq = $3";

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
            for published in batch {
                for n in &published.notices {
                    sqlx::query(NOTICE_INSERT)
                        .bind(&n.id)
                        .bind(int(n.seq.0))
                        .bind(int(n.deal.0))
                        .bind(n.kind.name())
                        .bind(n.mode)
                        .bind(chain(&n.regions))
                        .bind(chain(&n.categories))
                        .bind(n.published.ms())
                        .bind(&n.title)
                        .bind(n.body.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                for r in &published.releases {
                    sqlx::query(RELEASE_INSERT)
                        .bind(&r.id)
                        .bind(&r.ocid)
                        .bind(int(r.seq.0))
                        .bind(i64::from(r.index))
                        .bind(r.date.ms())
                        .bind(r.json.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
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

    /// How many notices and releases are stored: what a restart test compares.
    pub async fn publication_counts(&self) -> anyhow::Result<(i64, i64)> {
        on_pool!(self, pool => Ok((
            sqlx::query_scalar("SELECT COUNT(*) FROM notices").fetch_one(pool).await?,
            sqlx::query_scalar("SELECT COUNT(*) FROM ocds_releases").fetch_one(pool).await?,
        )))
    }
}

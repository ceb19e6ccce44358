//! Bulk export (O-2): every release, or every compiled record, as JSON Lines, one document per
//! line, in journal order, read from the database a page at a time.

use std::io::Write;

use anyhow::Context;

use crate::persist::Database;

/// Releases read per page.
const PAGE: i64 = 1_000;

/// Writes every release, one per line; returns how many.
pub async fn releases(db: &Database, out: &mut impl Write) -> anyhow::Result<u64> {
    let mut after = (0, -1);
    let mut written = 0;
    loop {
        let rows = db.releases(after, i64::MIN, PAGE).await.context("reading releases")?;
        let Some(last) = rows.last() else { return Ok(written) };
        after = (last.seq, last.idx);
        for row in &rows {
            // Stored as compact JSON text: one line each as it stands.
            writeln!(out, "{}", row.release)?;
            written += 1;
        }
    }
}

/// Writes the record of every contracting process (its linked releases and compiled release),
/// one per line; returns how many.
pub async fn records(db: &Database, base: &str, out: &mut impl Write) -> anyhow::Result<u64> {
    let mut after = (0_i64, String::new());
    let mut written = 0;
    loop {
        let changed =
            db.ocids_changed((after.0, &after.1), 100).await.context("reading records")?;
        let Some((ocid, last)) = changed.last().cloned() else { return Ok(written) };
        for (ocid, _) in &changed {
            let rows = db.releases_of(ocid).await.context("reading a record's releases")?;
            writeln!(out, "{}", crate::http::public_record(base, ocid, &rows))?;
            written += 1;
        }
        after = (last, ocid);
    }
}

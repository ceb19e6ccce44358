//! Publication without login (O-1, O-2): notices searchable by region, category, mode, kind and
//! date, the daily list of direct orders, an Atom feed, and OCDS 1.1 release and record packages.
//! Everything here is read from what the publisher wrote, which holds nothing before its time
//! (O-3); like every request, these are limited per address.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::types::{CategoryCode, RegionCode, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::{Path, Query};
use super::state::AppState;
use crate::error::ApiError;
use crate::persist::Database;
use crate::publish::deal::{Mode, iso};
use crate::publish::store::{NoticeQuery, NoticeRow, ReleaseRow};
use crate::publish::{NoticeKind, OCID_PREFIX, record};

/// How long a public read may wait on the database.
const READ_WITHIN: Duration = Duration::from_secs(5);

/// The publisher named in every package.
const PUBLISHER_NAME: &str = "政府采购网上商城";

/// The bid extension, whose `bids` every release with bids uses.
const BID_EXTENSION: &str = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json";

fn db(state: &AppState) -> Result<&Database, ApiError> {
    state
        .books
        .as_ref()
        .map(|b| &b.db)
        .ok_or_else(|| ApiError::not_found("publication on this node"))
}

fn unavailable(e: &anyhow::Error) -> ApiError {
    tracing::warn!(error = %format!("{e:#}"), "publication cannot read the database");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
        "notices cannot be read now; they are published again from the journal once the database is back",
    )
    .retry_after(Duration::from_secs(5))
}

async fn read<T>(future: impl Future<Output = anyhow::Result<T>>) -> Result<T, ApiError> {
    tokio::time::timeout(READ_WITHIN, future)
        .await
        .map_err(|_| unavailable(&anyhow::anyhow!("no answer within {READ_WITHIN:?}")))?
        .map_err(|e| unavailable(&e))
}

/// Query of `GET /api/v1/public/notices`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct NoticeSearch {
    /// A region code: its notices and those of the regions beneath it.
    region: Option<String>,
    /// A catalogue category code: its notices and those beneath it.
    category: Option<String>,
    /// `auction`, `inquiry`, `competition`, `negotiation` or `direct_order`.
    mode: Option<String>,
    /// Kinds, comma-separated: `opening`, `result`, `failure`, `contract`, `cancellation`,
    /// `correction`, `challenges`, `direct_order`. All but `direct_order` by default.
    kind: Option<String>,
    /// Published on or after this day (Asia/Shanghai), `YYYY-MM-DD`.
    from: Option<String>,
    /// Published on or before this day.
    to: Option<String>,
    /// One deal's notices.
    deal: Option<u64>,
    /// Words in the title.
    q: Option<String>,
    /// At most this many, 1 to 100 (20).
    limit: Option<i64>,
    /// Skipping this many (at most 10,000).
    offset: Option<i64>,
}

fn day(text: &str, what: &str) -> Result<time::Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map_err(|_| ApiError::invalid(format!("{what} must be a date as YYYY-MM-DD")))
}

impl NoticeSearch {
    fn query(&self) -> Result<NoticeQuery, ApiError> {
        let region = match &self.region {
            Some(r) => Some(
                r.parse::<RegionCode>()
                    .map_err(|_| ApiError::invalid("region must be a six-digit region code"))?
                    .to_string(),
            ),
            None => None,
        };
        let category = match &self.category {
            Some(c) => Some(
                c.parse::<CategoryCode>()
                    .map_err(|_| {
                        ApiError::invalid("category must be a catalogue code such as A02")
                    })?
                    .to_string(),
            ),
            None => None,
        };
        let mode = match &self.mode {
            Some(m) => Some(
                Mode::parse(m)
                    .ok_or_else(|| ApiError::invalid(format!("no such mode: {m}")))?
                    .name()
                    .to_string(),
            ),
            None => None,
        };
        let kinds = match &self.kind {
            Some(list) => list
                .split(',')
                .map(|k| {
                    NoticeKind::parse(k.trim())
                        .map(|k| k.name().to_string())
                        .ok_or_else(|| ApiError::invalid(format!("no such notice kind: {k}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![],
        };
        let from_ms = match &self.from {
            Some(d) => Some(Timestamp::shanghai_midnight(day(d, "from")?).ms()),
            None => None,
        };
        let to_ms = match &self.to {
            Some(d) => Some(
                Timestamp::shanghai_midnight(day(d, "to")?.next_day().unwrap_or(time::Date::MAX))
                    .ms(),
            ),
            None => None,
        };
        let text = match &self.q {
            Some(q) if q.chars().count() > 100 => {
                return Err(ApiError::invalid("q is at most 100 characters"));
            }
            Some(q) if !q.trim().is_empty() => Some(q.trim().to_string()),
            _ => None,
        };
        let limit = self.limit.unwrap_or(20);
        let offset = self.offset.unwrap_or(0);
        if !(1..=100).contains(&limit) || !(0..=10_000).contains(&offset) {
            return Err(ApiError::invalid("limit is 1 to 100 and offset 0 to 10000"));
        }
        let deal = self.deal.map(|d| i64::try_from(d).unwrap_or(i64::MAX));
        Ok(NoticeQuery { region, category, mode, kinds, from_ms, to_ms, deal, text, limit, offset })
    }
}

/// A notice in a list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NoticeSummary {
    id: String,
    kind: String,
    /// Its Chinese name, such as 成交结果公告.
    kind_name: &'static str,
    mode: String,
    deal: i64,
    title: String,
    published_ms: i64,
    /// The purchaser's region code.
    region: Option<String>,
}

/// A page of notices, newest first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NoticeList {
    notices: Vec<NoticeSummary>,
    /// The offset of the next page, when there may be one.
    next_offset: Option<i64>,
}

fn summary(row: &NoticeRow) -> NoticeSummary {
    NoticeSummary {
        id: row.id.clone(),
        kind: row.kind.clone(),
        kind_name: NoticeKind::parse(&row.kind).map_or("公告", NoticeKind::title),
        mode: row.mode.clone(),
        deal: row.deal,
        title: row.title.clone(),
        published_ms: row.published_ms,
        region: row.regions.split(',').find(|c| !c.is_empty()).map(str::to_string),
    }
}

/// `GET /api/v1/public/notices`: notices, newest first; no login.
#[utoipa::path(get, path = "/api/v1/public/notices", params(NoticeSearch), tag = "publication",
    responses((status = 200, description = "Notices", body = NoticeList), (status = 400, description = "A malformed search")))]
pub async fn notices(
    State(state): State<AppState>,
    Query(search): Query<NoticeSearch>,
) -> Result<Json<NoticeList>, ApiError> {
    let query = search.query()?;
    let rows = read(db(&state)?.notices(&query)).await?;
    let next_offset =
        (i64::try_from(rows.len()).unwrap_or(0) == query.limit).then(|| query.offset + query.limit);
    Ok(Json(NoticeList { notices: rows.iter().map(summary).collect(), next_offset }))
}

/// A notice in full.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    #[serde(flatten)]
    summary: NoticeSummary,
    /// What it says: the deal, purchaser, items and what its kind announces.
    #[schema(value_type = Object)]
    body: Value,
}

/// `GET /api/v1/public/notices/{id}`: one notice; no login.
#[utoipa::path(get, path = "/api/v1/public/notices/{id}", tag = "publication",
    params(("id" = String, Path, description = "The notice's id")),
    responses((status = 200, description = "The notice", body = NoticeView), (status = 404, description = "No such notice")))]
pub async fn notice(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<NoticeView>, ApiError> {
    if id.len() > 40 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ApiError::invalid("a notice id is digits, letters and dashes"));
    }
    let row = read(db(&state)?.notice(&id)).await?.ok_or_else(|| ApiError::not_found("notice"))?;
    let body = serde_json::from_str(&row.body).unwrap_or(Value::Null);
    Ok(Json(NoticeView { summary: summary(&row), body }))
}

/// Query of `GET /api/v1/public/direct-orders`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DailyListQuery {
    /// The day (Asia/Shanghai), `YYYY-MM-DD`.
    date: String,
    /// A region code: its orders and those of the regions beneath it.
    region: Option<String>,
    /// Skipping this many orders (at most 10,000).
    offset: Option<i64>,
}

/// The day's direct orders.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DailyList {
    date: String,
    /// Each order with its lines, in the order struck.
    #[schema(value_type = Vec<Object>)]
    orders: Vec<Value>,
    /// The offset of the next page, when there may be one.
    next_offset: Option<i64>,
}

/// `GET /api/v1/public/direct-orders`: the daily list of direct orders (直购成交); no login.
#[utoipa::path(get, path = "/api/v1/public/direct-orders", params(DailyListQuery), tag = "publication",
    responses((status = 200, description = "The day's direct orders", body = DailyList), (status = 400, description = "A malformed date or region")))]
pub async fn direct_orders(
    State(state): State<AppState>,
    Query(q): Query<DailyListQuery>,
) -> Result<Json<DailyList>, ApiError> {
    let search = NoticeSearch {
        region: q.region.clone(),
        kind: Some("direct_order".into()),
        from: Some(q.date.clone()),
        to: Some(q.date.clone()),
        limit: Some(100),
        offset: q.offset,
        ..NoticeSearch::default()
    };
    let query = search.query()?;
    let rows = read(db(&state)?.notices(&query)).await?;
    let next_offset =
        (i64::try_from(rows.len()).unwrap_or(0) == query.limit).then(|| query.offset + query.limit);
    let orders =
        rows.iter().rev().map(|r| serde_json::from_str(&r.body).unwrap_or(Value::Null)).collect();
    Ok(Json(DailyList { date: q.date, orders, next_offset }))
}

/// `GET /api/v1/public/notices.atom`: the latest notices as an Atom feed, with the same search as
/// the list; no login.
#[utoipa::path(get, path = "/api/v1/public/notices.atom", params(NoticeSearch), tag = "publication",
    responses((status = 200, description = "An Atom 1.0 feed", content_type = "application/atom+xml", body = String)))]
pub async fn atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(search): Query<NoticeSearch>,
) -> Result<Response, ApiError> {
    let query = search.query()?;
    let rows = read(db(&state)?.notices(&query)).await?;
    let base = base_url(&headers);
    let updated = rows.first().map_or(0, |r| r.published_ms);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    xml.push_str(&format!("  <id>urn:{OCID_PREFIX}:notices</id>\n"));
    xml.push_str(&format!("  <title>{}</title>\n", escape(&format!("{PUBLISHER_NAME} 采购公告"))));
    xml.push_str(&format!("  <updated>{}</updated>\n", iso(Timestamp(updated))));
    xml.push_str(&format!(
        "  <link rel=\"alternate\" href=\"{}\"/>\n",
        escape(&format!("{base}/#/public"))
    ));
    xml.push_str(&format!("  <author><name>{}</name></author>\n", escape(PUBLISHER_NAME)));
    for row in &rows {
        let kind = NoticeKind::parse(&row.kind).map_or("公告", NoticeKind::title);
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <id>urn:{OCID_PREFIX}:notice:{}</id>\n", escape(&row.id)));
        xml.push_str(&format!("    <title>{}</title>\n", escape(&row.title)));
        xml.push_str(&format!("    <updated>{}</updated>\n", iso(Timestamp(row.published_ms))));
        xml.push_str(&format!(
            "    <category term=\"{}\" label=\"{}\"/>\n",
            escape(&row.kind),
            escape(kind)
        ));
        xml.push_str(&format!(
            "    <link rel=\"alternate\" href=\"{}\"/>\n",
            escape(&format!("{base}/#/public/notice/{}", row.id))
        ));
        xml.push_str(&format!(
            "    <summary>{}</summary>\n",
            escape(&format!("{kind}：{}", row.title))
        ));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

/// Text made safe inside XML content and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The address the client reached us at, for the absolute URIs OCDS and Atom want.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// An OCDS 1.1 release or record package, as the standard's package schemas define it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object)]
pub struct OcdsPackage(Value);

/// Query of `GET /api/v1/ocds/releases`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReleaseQuery {
    /// Releases dated at or after this moment (RFC 3339, such as `2026-12-01T00:00:00+08:00`).
    since: Option<String>,
    /// Where the previous page ended: its `links.next` carries it.
    cursor: Option<String>,
    /// At most this many, 1 to 1000 (100).
    limit: Option<i64>,
}

fn since_ms(since: Option<&str>) -> Result<i64, ApiError> {
    let Some(text) = since else { return Ok(i64::MIN) };
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::invalid("since must be an RFC 3339 date-time with its offset"))?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| ApiError::invalid("since is out of range"))
}

fn cursor(text: Option<&str>) -> Result<(i64, i64), ApiError> {
    let Some(text) = text else { return Ok((0, -1)) };
    let bad = || ApiError::invalid("cursor is the one links.next gave");
    let (seq, idx) = text.split_once('.').ok_or_else(bad)?;
    Ok((seq.parse().map_err(|_| bad())?, idx.parse().map_err(|_| bad())?))
}

fn releases_json(rows: &[ReleaseRow]) -> Vec<Value> {
    rows.iter().map(|r| serde_json::from_str(&r.release).unwrap_or(Value::Null)).collect()
}

/// What every package says of itself. Its date is its newest release's, so the same package
/// reads the same every time it is asked for.
fn package(uri: String, newest_ms: i64) -> serde_json::Map<String, Value> {
    let mut package = serde_json::Map::new();
    package.insert("uri".into(), json!(uri));
    package.insert("version".into(), json!("1.1"));
    package.insert("extensions".into(), json!([BID_EXTENSION]));
    package.insert("publishedDate".into(), json!(iso(Timestamp(newest_ms))));
    package.insert("publisher".into(), json!({ "name": PUBLISHER_NAME }));
    package
}

fn package_response(package: serde_json::Map<String, Value>) -> Response {
    Json(OcdsPackage(Value::Object(package))).into_response()
}

/// `GET /api/v1/ocds/releases`: a release package of every release in journal order, paged; no
/// login.
#[utoipa::path(get, path = "/api/v1/ocds/releases", params(ReleaseQuery), tag = "publication",
    responses((status = 200, description = "An OCDS 1.1 release package; `links.next` pages on", body = OcdsPackage), (status = 400, description = "A malformed since or cursor")))]
pub async fn releases(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ReleaseQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit is 1 to 1000"));
    }
    let since = since_ms(q.since.as_deref())?;
    let after = cursor(q.cursor.as_deref())?;
    let rows = read(db(&state)?.releases(after, since, limit)).await?;
    let base = base_url(&headers);
    let newest = rows.iter().map(|r| r.date_ms).max().unwrap_or(0);
    let mut package = package(format!("{base}/api/v1/ocds/releases"), newest);
    if let (Some(last), true) = (rows.last(), i64::try_from(rows.len()).unwrap_or(0) == limit) {
        let mut next =
            format!("{base}/api/v1/ocds/releases?limit={limit}&cursor={}.{}", last.seq, last.idx);
        if let Some(since) = &q.since {
            next.push_str(&format!("&since={}", urlencode(since)));
        }
        package.insert("links".into(), json!({ "next": next }));
    }
    package.insert("releases".into(), Value::Array(releases_json(&rows)));
    if rows.is_empty() {
        // A package holds at least one release: an empty page is answered as an empty list.
        return Ok(Json(json!({ "releases": [], "links": {} })).into_response());
    }
    Ok(package_response(package))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn check_ocid(ocid: &str) -> Result<(), ApiError> {
    let ok =
        ocid.strip_prefix(OCID_PREFIX).and_then(|rest| rest.strip_prefix('-')).is_some_and(|id| {
            !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!("an ocid here is {OCID_PREFIX}-<deal>")))
    }
}

/// One contracting process's releases, the address it was asked at, and the start of its package
/// (`kind` is `releases` or `records`): not found when nothing of it is published.
async fn process(
    state: &AppState,
    headers: &HeaderMap,
    ocid: &str,
    kind: &str,
) -> Result<(Vec<ReleaseRow>, String, serde_json::Map<String, Value>), ApiError> {
    check_ocid(ocid)?;
    let rows = read(db(state)?.releases_of(ocid)).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("contracting process"));
    }
    let base = base_url(headers);
    let newest = rows.iter().map(|r| r.date_ms).max().unwrap_or(0);
    let package = package(format!("{base}/api/v1/ocds/{kind}/{ocid}"), newest);
    Ok((rows, base, package))
}

/// `GET /api/v1/ocds/releases/{ocid}`: a release package of one contracting process; no login.
#[utoipa::path(get, path = "/api/v1/ocds/releases/{ocid}", tag = "publication",
    params(("ocid" = String, Path, description = "The contracting process, `ocds-gpzj-<deal>`")),
    responses((status = 200, description = "An OCDS 1.1 release package", body = OcdsPackage), (status = 404, description = "Nothing published of it")))]
pub async fn releases_of(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(ocid): Path<String>,
) -> Result<Response, ApiError> {
    let (rows, _, mut package) = process(&state, &headers, &ocid, "releases").await?;
    package.insert("releases".into(), Value::Array(releases_json(&rows)));
    Ok(package_response(package))
}

/// The record of `ocid`: its releases linked at `base`, and compiled.
pub fn record_of(base: &str, ocid: &str, rows: &[ReleaseRow]) -> Value {
    let releases = releases_json(rows);
    let linked: Vec<Value> = rows
        .iter()
        .zip(&releases)
        .map(|(row, release)| {
            json!({
                "url": format!("{base}/api/v1/ocds/releases/{ocid}#{}", row.id),
                "date": iso(Timestamp(row.date_ms)),
                "tag": release["tag"],
            })
        })
        .collect();
    json!({
        "ocid": ocid,
        "releases": linked,
        "compiledRelease": record::compile(ocid, &releases),
    })
}

/// `GET /api/v1/ocds/records/{ocid}`: the record of one contracting process, its releases linked
/// and compiled; no login.
#[utoipa::path(get, path = "/api/v1/ocds/records/{ocid}", tag = "publication",
    params(("ocid" = String, Path, description = "The contracting process, `ocds-gpzj-<deal>`")),
    responses((status = 200, description = "An OCDS 1.1 record package", body = OcdsPackage), (status = 404, description = "Nothing published of it")))]
pub async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(ocid): Path<String>,
) -> Result<Response, ApiError> {
    let (rows, base, mut package) = process(&state, &headers, &ocid, "records").await?;
    package.insert("packages".into(), json!([format!("{base}/api/v1/ocds/releases/{ocid}")]));
    package.insert("records".into(), json!([record_of(&base, &ocid, &rows)]));
    Ok(package_response(package))
}

/// Query of `GET /api/v1/ocds/records`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecordQuery {
    /// Where the previous page ended: its `links.next` carries it.
    cursor: Option<String>,
    /// At most this many, 1 to 100 (20).
    limit: Option<i64>,
}

/// `GET /api/v1/ocds/records`: records of the processes changed most lately last, paged; no login.
#[utoipa::path(get, path = "/api/v1/ocds/records", params(RecordQuery), tag = "publication",
    responses((status = 200, description = "An OCDS 1.1 record package; `links.next` pages on", body = OcdsPackage), (status = 400, description = "A malformed cursor")))]
pub async fn records(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<RecordQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit is 1 to 100"));
    }
    let after = match q.cursor.as_deref() {
        None => (0, String::new()),
        Some(text) => {
            let bad = || ApiError::invalid("cursor is the one links.next gave");
            let (seq, ocid) = text.split_once('.').ok_or_else(bad)?;
            (seq.parse::<i64>().map_err(|_| bad())?, ocid.to_string())
        }
    };
    let db = db(&state)?;
    let changed = read(db.ocids_changed((after.0, &after.1), limit)).await?;
    let base = base_url(&headers);
    if changed.is_empty() {
        return Ok(Json(json!({ "records": [], "links": {} })).into_response());
    }
    let mut records = Vec::with_capacity(changed.len());
    let mut newest = 0;
    for (ocid, _) in &changed {
        let rows = read(db.releases_of(ocid)).await?;
        newest = newest.max(rows.iter().map(|r| r.date_ms).max().unwrap_or(0));
        records.push(record_of(&base, ocid, &rows));
    }
    let mut package = package(format!("{base}/api/v1/ocds/records"), newest);
    package.insert(
        "packages".into(),
        Value::Array(
            changed
                .iter()
                .map(|(o, _)| json!(format!("{base}/api/v1/ocds/releases/{o}")))
                .collect(),
        ),
    );
    if let (Some((ocid, last)), true) =
        (changed.last(), i64::try_from(changed.len()).unwrap_or(0) == limit)
    {
        package.insert(
            "links".into(),
            json!({ "next": format!("{base}/api/v1/ocds/records?limit={limit}&cursor={last}.{ocid}") }),
        );
    }
    package.insert("records".into(), Value::Array(records));
    Ok(package_response(package))
}

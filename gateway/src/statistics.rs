//! Procurement statistics (T-1, 采购信息统计): deals, amounts, savings against the ceilings and the
//! budgets held (节资率), mean bidders or quotes, the failure rate and small and micro enterprises'
//! share, by period (month, quarter, year in Asia/Shanghai), region with roll-up, category and
//! mode.
//!
//! The database sums the publisher's deal facts by month, region, category, mode and outcome; this
//! module rolls those sums up to what was asked (a quarter, a city over its counties, a category
//! over its subcategories) with the engine's region and category trees. Every figure is whole fen
//! or a count until the rates, which are rounded half up to hundredths of a percent.

use std::collections::BTreeMap;

use engine::Engine;
use engine::types::{Amount, CategoryCode, RegionCode};
use serde::Serialize;

use crate::publish::store::FactSums;

/// How periods are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// `2026-12`.
    Month,
    /// `2026-Q4`.
    Quarter,
    /// `2026`.
    Year,
}

impl Period {
    /// The period named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "month" => Some(Self::Month),
            "quarter" => Some(Self::Quarter),
            "year" => Some(Self::Year),
            _ => None,
        }
    }

    /// The period a month (`YYYY-MM`) falls in.
    pub fn of(self, month: &str) -> String {
        let (year, m) = month.split_once('-').unwrap_or((month, "01"));
        match self {
            Self::Month => month.to_string(),
            Self::Quarter => {
                let m: u32 = m.parse().unwrap_or(1);
                format!("{year}-Q{}", m.div_ceil(3))
            }
            Self::Year => year.to_string(),
        }
    }
}

/// What the rows are grouped by besides the period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grouping {
    /// By the regions one level below the one asked for.
    pub region: bool,
    /// By the categories one level below the one asked for (the top level when none).
    pub category: bool,
    /// By mode.
    pub mode: bool,
}

/// The sums of one group, in fen and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    awarded: i64,
    failed: i64,
    cancelled: i64,
    amount: i64,
    ceiling: i64,
    ceiling_amount: i64,
    held: i64,
    held_amount: i64,
    participants: i64,
    counted: i64,
    small: i64,
}

impl Sums {
    fn add(&mut self, row: &FactSums) {
        match row.outcome.as_str() {
            "awarded" => self.awarded += row.deals,
            "failed" => self.failed += row.deals,
            _ => self.cancelled += row.deals,
        }
        if row.outcome != "cancelled" {
            self.participants += row.participants;
            self.counted += row.counted;
        }
        self.amount += row.amount;
        self.ceiling += row.ceiling;
        self.ceiling_amount += row.ceiling_amount;
        self.held += row.held;
        self.held_amount += row.held_amount;
        self.small += row.small;
    }
}

/// A named code: a region or a category.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
}

/// One row of statistics. Money in yuan as decimal strings; rates in percent to two decimals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Row {
    /// `2026-12`, `2026-Q4` or `2026`.
    pub period: String,
    /// The region grouped by, when grouping by region.
    pub region: Option<Named>,
    /// The category grouped by, when grouping by category.
    pub category: Option<Named>,
    /// The mode grouped by, when grouping by mode.
    pub mode: Option<String>,
    /// Deals that bought something: awarded, ordered or accepted.
    pub deals: i64,
    /// Deals that failed (流标、废标).
    pub failed: i64,
    /// Deals cancelled by the purchaser before they closed.
    pub cancelled: i64,
    /// Failed over awarded and failed.
    pub failure_rate: Option<String>,
    /// What the deals bought for.
    pub amount: String,
    /// The ceilings less the amount, over the deals with ceilings.
    pub saved_against_ceiling: String,
    /// That over the ceilings (节资率 against the ceiling).
    pub saving_rate_ceiling: Option<String>,
    /// The budget held less the amount, over the deals that held budget.
    pub saved_against_budget: String,
    /// That over the budget held (节资率 against the budget).
    pub saving_rate_budget: Option<String>,
    /// Mean bidders or quotes per deal that counts them.
    pub mean_participants: Option<String>,
    /// Amount traded with small and micro enterprises.
    pub small_amount: String,
    /// That over the amount.
    pub small_share: Option<String>,
}

/// `numerator / denominator` in percent, to hundredths, half up; none over nothing.
fn percent(numerator: i64, denominator: i64) -> Option<String> {
    if denominator <= 0 {
        return None;
    }
    let n = i128::from(numerator) * 10_000;
    let d = i128::from(denominator);
    let hundredths = (2 * n + d.signum() * d) / (2 * d);
    Some(hundredths_text(hundredths))
}

fn hundredths_text(hundredths: i128) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let abs = hundredths.abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn yuan(fen: i64) -> String {
    Amount::from_minor(fen).to_string()
}

/// A group: its period, and its region, category and mode where grouped by them.
type GroupKey = (String, Option<Named>, Option<Named>, Option<String>);

/// The sums of `rows`, rolled up as asked: `region` and `category` are what was asked for (their
/// children are the groups), `engine` knows the trees.
pub fn roll_up(
    engine: &Engine,
    rows: &[FactSums],
    period: Period,
    grouping: Grouping,
    region: Option<RegionCode>,
    category: Option<CategoryCode>,
) -> Vec<Row> {
    let mut groups: BTreeMap<GroupKey, Sums> = BTreeMap::new();
    for row in rows {
        let region_group = grouping.region.then(|| region_below(engine, row.region, region));
        let category_group =
            grouping.category.then(|| category_below(engine, &row.category, category));
        let mode = grouping.mode.then(|| row.mode.clone());
        let key = (period.of(&row.month), region_group, category_group, mode);
        groups.entry(key).or_default().add(row);
    }
    groups
        .into_iter()
        .map(|((period, region, category, mode), s)| Row {
            period,
            region,
            category,
            mode,
            deals: s.awarded,
            failed: s.failed,
            cancelled: s.cancelled,
            failure_rate: percent(s.failed, s.awarded + s.failed),
            amount: yuan(s.amount),
            saved_against_ceiling: yuan(s.ceiling - s.ceiling_amount),
            saving_rate_ceiling: percent(s.ceiling - s.ceiling_amount, s.ceiling),
            saved_against_budget: yuan(s.held - s.held_amount),
            saving_rate_budget: percent(s.held - s.held_amount, s.held),
            mean_participants: (s.counted > 0).then(|| {
                let hundredths = (i128::from(s.participants) * 200 + i128::from(s.counted))
                    / (2 * i128::from(s.counted));
                hundredths_text(hundredths)
            }),
            small_amount: yuan(s.small),
            small_share: percent(s.small, s.amount),
        })
        .collect()
}

/// The region one level below `asked` on the way to `leaf` (or `asked` itself, for deals of its
/// own level); below the province when nothing was asked.
fn region_below(engine: &Engine, leaf: i32, asked: Option<RegionCode>) -> Named {
    let leaf = u32::try_from(leaf).ok().and_then(|c| RegionCode::new(c).ok());
    let chain: Vec<RegionCode> = leaf
        .and_then(|l| engine.region(l))
        .map(|r| r.chain.codes().iter().rev().copied().collect())
        .unwrap_or_default();
    // The chain from the top down; the group is the element after the one asked for.
    let at = match asked {
        Some(asked) => chain.iter().position(|c| *c == asked).map_or(0, |i| i + 1),
        None => 1,
    };
    let code = chain.get(at).or_else(|| chain.last()).copied();
    named_region(engine, code)
}

fn named_region(engine: &Engine, code: Option<RegionCode>) -> Named {
    match code {
        Some(code) => Named {
            code: code.to_string(),
            name: engine.region(code).map(|r| r.name.clone()).unwrap_or_default(),
        },
        None => Named { code: String::new(), name: "未知".into() },
    }
}

/// The category one level below `asked` on the way to `leaf`; the top level when nothing was
/// asked.
fn category_below(engine: &Engine, leaf: &str, asked: Option<CategoryCode>) -> Named {
    let leaf: Option<CategoryCode> = leaf.parse().ok();
    let chain: Vec<CategoryCode> = leaf
        .and_then(|l| engine.category(l))
        .map(|c| c.chain.codes().iter().rev().copied().collect())
        .unwrap_or_default();
    let at = match asked {
        Some(asked) => chain.iter().position(|c| *c == asked).map_or(0, |i| i + 1),
        None => 0,
    };
    match chain.get(at).or_else(|| chain.last()) {
        Some(code) => Named {
            code: code.to_string(),
            name: engine.category(*code).map(|c| c.name.clone()).unwrap_or_default(),
        },
        None => Named { code: String::new(), name: "未知".into() },
    }
}

/// The rows as CSV for a spreadsheet: a UTF-8 byte-order mark (so a spreadsheet reads the Chinese
/// headers as such), a header line, one line per row; fields quoted where they must be.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from('\u{feff}');
    out.push_str("期间,地区代码,地区,品目代码,品目,采购方式,成交项目数,失败项目数,终止项目数,失败率(%),成交金额(元),较最高限价节约(元),最高限价节资率(%),较预算节约(元),预算节资率(%),平均参与供应商数,小微企业成交额(元),小微企业占比(%)\r\n");
    for r in rows {
        let region = r.region.clone().unwrap_or(Named { code: String::new(), name: String::new() });
        let category =
            r.category.clone().unwrap_or(Named { code: String::new(), name: String::new() });
        let fields = [
            r.period.clone(),
            region.code,
            region.name,
            category.code,
            category.name,
            r.mode.clone().unwrap_or_default(),
            r.deals.to_string(),
            r.failed.to_string(),
            r.cancelled.to_string(),
            r.failure_rate.clone().unwrap_or_default(),
            r.amount.clone(),
            r.saved_against_ceiling.clone(),
            r.saving_rate_ceiling.clone().unwrap_or_default(),
            r.saved_against_budget.clone(),
            r.saving_rate_budget.clone().unwrap_or_default(),
            r.mean_participants.clone().unwrap_or_default(),
            r.small_amount.clone(),
            r.small_share.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break; a leading `=`, `+`, `-` or
/// `@` that is not a number is prefixed with `'`, so a spreadsheet never runs it as a formula.
fn field(text: &str) -> String {
    let numeric = text.parse::<f64>().is_ok();
    let text = if !numeric && text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_half_up_to_hundredths_of_a_percent() {
        assert_eq!(percent(1, 3), Some("33.33".into()));
        assert_eq!(percent(2, 3), Some("66.67".into()));
        assert_eq!(percent(1, 8), Some("12.50".into()));
        assert_eq!(percent(0, 5), Some("0.00".into()));
        assert_eq!(percent(5, 0), None);
    }

    #[test]
    fn periods_cut_months_into_quarters_and_years() {
        assert_eq!(Period::Quarter.of("2026-12"), "2026-Q4");
        assert_eq!(Period::Quarter.of("2026-01"), "2026-Q1");
        assert_eq!(Period::Quarter.of("2026-04"), "2026-Q2");
        assert_eq!(Period::Year.of("2026-07"), "2026");
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-12.50"), "-12.50");
    }
}

//! Early-warning alerts (P-3 to P-5): each names its rule, its deal, its region and the figures
//! that raised it, in words an officer can read.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::{AuctionFacts, BidFacts, Quartiles, Thresholds, TradeFacts};
use crate::types::{Amount, DealId, ParticipantId, RegionCode, Seq, Timestamp, UnitPrice};

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AlertKind {
    /// P-3: a trade well above the upper quartile of its reference price.
    AbnormalPrice,
    /// P-3: a bid well below the lower quartile.
    AbnormalBid,
    /// P-4: orders split to stay under a threshold.
    SplitPurchase,
    /// P-4: a deal with a single or too few bidders.
    FewBidders,
    /// P-4: identical or near-identical bids.
    IdenticalBids,
    /// P-4: one winner after another within a fixed ring of suppliers.
    BidRotation,
    /// P-6: a trade accepted and unpaid past its payment term.
    LatePayment,
    /// C-4: a winner declined its contract; counted against it.
    ContractDeclined,
    /// C-2: a purchaser did not answer a challenge in time.
    ChallengeUnanswered,
    /// C-3: a regulator did not rule on a complaint in time.
    RulingOverdue,
    /// E-1: a rating took a supplier's 12-month score below the low mark.
    LowScore,
    /// E-1: a supplier declined a second contract within 12 months.
    RepeatedDeclines,
}

impl AlertKind {
    /// The rule it enforces.
    pub const fn rule(self) -> &'static str {
        match self {
            AlertKind::AbnormalPrice | AlertKind::AbnormalBid => "P-3",
            AlertKind::LatePayment => "P-6",
            AlertKind::ContractDeclined => "C-4",
            AlertKind::ChallengeUnanswered => "C-2",
            AlertKind::RulingOverdue => "C-3",
            AlertKind::LowScore | AlertKind::RepeatedDeclines => "E-1",
            AlertKind::SplitPurchase
            | AlertKind::FewBidders
            | AlertKind::IdenticalBids
            | AlertKind::BidRotation => "P-4",
        }
    }

    /// Its machine-readable code.
    pub const fn code(self) -> &'static str {
        match self {
            AlertKind::AbnormalPrice => "abnormal_price",
            AlertKind::AbnormalBid => "abnormal_bid",
            AlertKind::SplitPurchase => "split_purchase",
            AlertKind::FewBidders => "few_bidders",
            AlertKind::IdenticalBids => "identical_bids",
            AlertKind::BidRotation => "bid_rotation",
            AlertKind::LatePayment => "late_payment",
            AlertKind::ContractDeclined => "contract_declined",
            AlertKind::ChallengeUnanswered => "challenge_unanswered",
            AlertKind::RulingOverdue => "ruling_overdue",
            AlertKind::LowScore => "low_score",
            AlertKind::RepeatedDeclines => "repeated_declines",
        }
    }
}

/// An alert (P-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// The deal (order, auction) that raised it.
    pub deal: DealId,
    /// The purchaser's region.
    pub region: RegionCode,
    /// When, and the command that raised it.
    pub ts: Timestamp,
    /// Sequence of that command.
    pub seq: Seq,
    /// The figures, by name, as decimal text.
    pub figures: BTreeMap<String, String>,
    /// What happened, in words.
    pub message: String,
}

/// Where an alert points: its deal, the purchaser's region, and when.
type Origin = (DealId, RegionCode, Timestamp, Seq);

fn of_trade(t: &crate::settlement::Trade) -> Origin {
    (t.deal, t.region, t.ts, t.seq)
}

fn of_auction(f: &AuctionFacts) -> Origin {
    (f.auction, f.region, f.ts, f.seq)
}

fn raise(
    kind: AlertKind,
    (deal, region, ts, seq): Origin,
    figures: BTreeMap<String, String>,
    message: String,
) -> Alert {
    Alert { kind, deal, region, ts, seq, figures, message }
}

fn figures<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// `price` scaled by `(10_000 + bp) / 10_000`, rounded down to the 0.0001 yuan.
fn scaled(price: UnitPrice, bp: i64) -> UnitPrice {
    UnitPrice::from_minor(price.minor().saturating_mul(10_000 + bp) / 10_000)
}

pub(super) fn abnormal_trade(
    t: &Thresholds,
    facts: &TradeFacts,
    reference: Option<Quartiles>,
) -> Option<Alert> {
    let q = reference.filter(|q| q.samples >= t.min_samples)?;
    let limit = scaled(q.q3, t.high_margin_bp);
    let trade = &facts.trade;
    (trade.unit_price > limit).then(|| {
        raise(
            AlertKind::AbnormalPrice,
            of_trade(trade),
            figures([
                ("unit_price", trade.unit_price.to_string()),
                ("q1", q.q1.to_string()),
                ("median", q.median.to_string()),
                ("q3", q.q3.to_string()),
                ("limit", limit.to_string()),
                ("samples", q.samples.to_string()),
            ]),
            format!(
                "成交单价 {} 元高于参考价上四分位 {} 元的 {}%（{} 笔成交）",
                trade.unit_price,
                q.q3,
                t.high_margin_bp / 100,
                q.samples
            ),
        )
    })
}

pub(super) fn abnormal_bid(
    t: &Thresholds,
    facts: &BidFacts,
    reference: Option<Quartiles>,
) -> Option<Alert> {
    let q = reference.filter(|q| q.samples >= t.min_samples)?;
    let floor = scaled(q.q1, -t.low_margin_bp);
    (facts.price < floor).then(|| {
        raise(
            AlertKind::AbnormalBid,
            (facts.auction, facts.region, facts.ts, facts.seq),
            figures([
                ("price", facts.price.to_string()),
                ("q1", q.q1.to_string()),
                ("floor", floor.to_string()),
                ("samples", q.samples.to_string()),
            ]),
            format!(
                "竞价出价 {} 元低于参考价下四分位 {} 元的 {}%",
                facts.price,
                q.q1,
                t.low_margin_bp / 100
            ),
        )
    })
}

pub(super) fn split_yearly(
    facts: &TradeFacts,
    total: Amount,
    threshold: Amount,
    deals: usize,
) -> Alert {
    let trade = &facts.trade;
    raise(
        AlertKind::SplitPurchase,
        of_trade(trade),
        figures([
            ("total", total.to_string()),
            ("threshold", threshold.to_string()),
            ("orders", deals.to_string()),
            ("fiscal_year", facts.fiscal_year.to_string()),
            ("category", facts.category.to_string()),
        ]),
        format!(
            "同一预算项目“{}”本年度 {} 笔直接订购合计 {} 元，达到公开招标数额标准 {} 元，而每笔均低于该标准",
            facts.project, deals, total, threshold
        ),
    )
}

pub(super) fn split_window(
    facts: &TradeFacts,
    total: Amount,
    limit: Amount,
    deals: usize,
) -> Alert {
    let trade = &facts.trade;
    raise(
        AlertKind::SplitPurchase,
        of_trade(trade),
        figures([
            ("total", total.to_string()),
            ("limit", limit.to_string()),
            ("orders", deals.to_string()),
            ("category", facts.category.to_string()),
        ]),
        format!(
            "短期内 {deals} 笔直接订购合计 {total} 元，超过直接订购限额 {limit} 元，而每笔均未超过"
        ),
    )
}

pub(super) fn few_bidders(t: &Thresholds, facts: &AuctionFacts) -> Option<Alert> {
    (facts.winner.is_some() && facts.bidders < t.min_bidders).then(|| {
        raise(
            AlertKind::FewBidders,
            of_auction(facts),
            figures([
                ("bidders", facts.bidders.to_string()),
                ("expected", t.min_bidders.to_string()),
            ]),
            format!("竞价仅 {} 家有效竞价人即成交（应不少于 {} 家）", facts.bidders, t.min_bidders),
        )
    })
}

pub(super) fn identical_bids(t: &Thresholds, facts: &AuctionFacts) -> Option<Alert> {
    let mut prices: Vec<(UnitPrice, ParticipantId)> =
        facts.standings.iter().map(|s| (s.price, s.bidder)).collect();
    prices.sort_unstable();
    let close = prices.windows(2).find(|w| {
        let gap = w[1].0.minor() - w[0].0.minor();
        gap.saturating_mul(10_000) <= w[0].0.minor().saturating_mul(t.identical_bp)
    })?;
    Some(raise(
        AlertKind::IdenticalBids,
        of_auction(facts),
        figures([
            ("price_a", close[0].0.to_string()),
            ("price_b", close[1].0.to_string()),
            ("supplier_a", close[0].1.0.to_string()),
            ("supplier_b", close[1].1.0.to_string()),
        ]),
        format!("两家竞价人最终报价 {} 元与 {} 元相同或几乎相同", close[0].0, close[1].0),
    ))
}

pub(super) fn rotation(
    t: &Thresholds,
    facts: &AuctionFacts,
    history: &VecDeque<(Vec<ParticipantId>, ParticipantId)>,
) -> Option<Alert> {
    if history.len() < t.rotation_auctions {
        return None;
    }
    let ring = &history.front()?.0;
    let same_ring = history.iter().all(|(bidders, _)| bidders == ring);
    let winners: Vec<_> = history.iter().map(|(_, w)| *w).collect();
    let distinct: BTreeSet<_> = winners.iter().collect();
    let alternating = winners.windows(2).all(|w| w[0] != w[1]);
    let ring_size = (2..=5).contains(&ring.len());
    (same_ring && ring_size && distinct.len() >= 2 && alternating).then(|| {
        raise(
            AlertKind::BidRotation,
            of_auction(facts),
            figures([
                ("auctions", history.len().to_string()),
                ("ring", ring.iter().map(|p| p.0.to_string()).collect::<Vec<_>>().join(",")),
                ("winners", winners.iter().map(|p| p.0.to_string()).collect::<Vec<_>>().join(",")),
            ]),
            format!(
                "同一品目最近 {} 次竞价均由同一组 {} 家供应商参与，且轮流中标",
                history.len(),
                ring.len()
            ),
        )
    })
}

/// P-6: a trade accepted and unpaid past its payment term.
pub fn late_payment(trade: &crate::settlement::Trade, due: Timestamp, seq: Seq) -> Alert {
    raise(
        AlertKind::LatePayment,
        (trade.deal, trade.region, due, seq),
        figures([
            ("trade", trade.id.to_string()),
            ("amount", trade.amount.to_string()),
            ("purchaser", trade.purchaser.0.to_string()),
            ("supplier", trade.supplier.0.to_string()),
            ("due_ms", due.ms().to_string()),
        ]),
        format!(
            "成交 {} 已验收，{} 元货款逾期未支付（付款期限 {}）",
            trade.id,
            trade.amount,
            crate::types::shanghai_date(due)
        ),
    )
}

/// C-4: a winner declined its contract (拒签); counted against it.
pub fn contract_declined(trade: &crate::settlement::Trade, (seq, ts): (Seq, Timestamp)) -> Alert {
    raise(
        AlertKind::ContractDeclined,
        (trade.deal, trade.region, ts, seq),
        figures([
            ("trade", trade.id.to_string()),
            ("supplier", trade.supplier.0.to_string()),
            ("amount", trade.amount.to_string()),
        ]),
        format!("供应商拒绝签订成交 {} 的合同（{} 元），计入其考核评价", trade.id, trade.amount),
    )
}

/// E-1: a rating took `supplier`'s 12-month score below the low mark, from `trade`'s rating.
pub fn low_score(
    trade: &crate::settlement::Trade,
    score: crate::evaluation::Score,
    (seq, ts): (Seq, Timestamp),
) -> Alert {
    let mean = format!("{}.{:02}", score.hundredths / 100, score.hundredths % 100);
    let low = crate::evaluation::LOW_SCORE_HUNDREDTHS;
    raise(
        AlertKind::LowScore,
        (trade.deal, trade.region, ts, seq),
        figures([
            ("trade", trade.id.to_string()),
            ("supplier", trade.supplier.0.to_string()),
            ("score", mean.clone()),
            ("ratings", score.ratings.to_string()),
        ]),
        format!(
            "供应商近 12 个月考核评价均分降至 {mean}（{} 次评价），低于 {}.{:02}",
            score.ratings,
            low / 100,
            low % 100
        ),
    )
}

/// E-1: `trade`'s supplier declined a second contract within 12 months (`declines` in all).
pub fn repeated_declines(
    trade: &crate::settlement::Trade,
    declines: u32,
    (seq, ts): (Seq, Timestamp),
) -> Alert {
    raise(
        AlertKind::RepeatedDeclines,
        (trade.deal, trade.region, ts, seq),
        figures([
            ("trade", trade.id.to_string()),
            ("supplier", trade.supplier.0.to_string()),
            ("declines", declines.to_string()),
        ]),
        format!("供应商 12 个月内第 {declines} 次拒绝签订合同，请采购中心核查处理"),
    )
}

/// C-2: a purchaser did not answer a challenge in time.
pub fn challenge_unanswered(
    deal: DealId,
    region: RegionCode,
    challenger: ParticipantId,
    purchaser: ParticipantId,
    (seq, ts): (Seq, Timestamp),
) -> Alert {
    raise(
        AlertKind::ChallengeUnanswered,
        (deal, region, ts, seq),
        figures([("challenger", challenger.0.to_string()), ("purchaser", purchaser.0.to_string())]),
        "采购人未在七个工作日内答复供应商质疑".to_owned(),
    )
}

/// C-3: a regulator did not rule on a complaint in time.
pub fn ruling_overdue(
    deal: DealId,
    region: RegionCode,
    challenger: ParticipantId,
    (seq, ts): (Seq, Timestamp),
) -> Alert {
    raise(
        AlertKind::RulingOverdue,
        (deal, region, ts, seq),
        figures([("challenger", challenger.0.to_string())]),
        "财政部门未在三十个工作日内对投诉作出处理决定".to_owned(),
    )
}

//! Publication (O-1 to O-3): what the public may read of every deal without logging in, as notices
//! (采购公告, 成交结果公告, 合同公告, 终止公告, 更正公告 and the daily list of direct orders) and as
//! Open Contracting Data Standard 1.1 releases.
//!
//! Both are a pure function of one journal record and the engine as it stood right after it
//! ([`publish`]): the publisher keeps an engine of its own, replayed record by record, so what is
//! published of a record is the same on every run, and a notice or release keeps its id for good
//! (`<seq>-<event index>`). Nothing is published that the state does not already make public:
//! bids only once an auction has closed, quotes only once a round has opened, invitees never, and
//! challenges only once the deal has ended (O-3, C-5).

pub mod deal;
pub mod export;
pub mod facts;
pub mod notices;
pub mod ocds;
pub mod publisher;
pub mod record;
pub mod store;

use engine::Engine;
use engine::types::{CategoryCode, DealId, RegionCode, Seq, Timestamp};

use crate::journal::record::JournalRecord;

/// The consumer name of the publisher's journal offset.
pub const PUBLISHER: &str = "publisher";

/// What one record publishes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Published {
    /// Notices, in event order.
    pub notices: Vec<Notice>,
    /// OCDS releases, in event order.
    pub releases: Vec<Release>,
    /// The facts of each deal the record changed, for statistics (T-1).
    pub facts: Vec<facts::DealFacts>,
}

/// What a notice announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 采购公告: an auction or inquiry opened.
    Opening,
    /// 成交结果公告: the award, with every bid or quote and its supplier.
    Result,
    /// 终止公告 (流标/废标): the deal failed, with why.
    Failure,
    /// 合同公告: the award became final.
    Contract,
    /// 终止公告: the purchaser cancelled the deal before it closed, with why.
    Cancellation,
    /// 更正公告: a new inquiry round, or the award moved to the next-ranked, with why.
    Correction,
    /// 质疑投诉处理结果: the challenges and complaints of a deal that has ended (C-5).
    Challenges,
    /// One line of the daily list of direct orders (直购成交).
    DirectOrder,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [Self; 8] = [
        Self::Opening,
        Self::Result,
        Self::Failure,
        Self::Contract,
        Self::Cancellation,
        Self::Correction,
        Self::Challenges,
        Self::DirectOrder,
    ];

    /// Its name in the API and the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::Opening => "opening",
            Self::Result => "result",
            Self::Failure => "failure",
            Self::Contract => "contract",
            Self::Cancellation => "cancellation",
            Self::Correction => "correction",
            Self::Challenges => "challenges",
            Self::DirectOrder => "direct_order",
        }
    }

    /// Its Chinese title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Opening => "采购公告",
            Self::Result => "成交结果公告",
            Self::Failure => "终止公告",
            Self::Contract => "合同公告",
            Self::Cancellation => "终止公告",
            Self::Correction => "更正公告",
            Self::Challenges => "质疑投诉处理结果公告",
            Self::DirectOrder => "直购成交",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A public notice.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// Stable id: `<seq>-<event index>`.
    pub id: String,
    /// The record that published it.
    pub seq: Seq,
    /// The deal.
    pub deal: DealId,
    /// What it announces.
    pub kind: NoticeKind,
    /// How the deal is made: `auction`, `inquiry`, `competition`, `negotiation`, `direct_order`.
    pub mode: &'static str,
    /// The purchaser's region and its ancestors, nearest first: a search by a city finds its
    /// counties' notices.
    pub regions: Vec<RegionCode>,
    /// The category of what is bought and its ancestors, nearest first.
    pub categories: Vec<CategoryCode>,
    /// When it was published: the record's engine time.
    pub published: Timestamp,
    /// Its title, in Chinese, for lists and feeds.
    pub title: String,
    /// What it says, in the shape of its kind.
    pub body: serde_json::Value,
}

/// An OCDS release, as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    /// The release's id, unique within its `ocid`: `<ocid>-<seq>-<event index>`.
    pub id: String,
    /// The contracting process.
    pub ocid: String,
    /// The record that published it.
    pub seq: Seq,
    /// The event within it.
    pub index: u32,
    /// The record's engine time.
    pub date: Timestamp,
    /// The release itself.
    pub json: serde_json::Value,
}

/// The OCDS prefix of every `ocid` this marketplace publishes.
pub const OCID_PREFIX: &str = "ocds-gpzj";

/// A deal's `ocid`.
pub fn ocid(deal: DealId) -> String {
    format!("{OCID_PREFIX}-{}", deal.0)
}

/// What `record` publishes, given the engine right after it.
pub fn publish(engine: &Engine, record: &JournalRecord) -> Published {
    let mut out = Published::default();
    for envelope in &record.events {
        let at = deal::At { seq: record.seq, index: envelope.index, ts: record.ts };
        notices::of_event(engine, &envelope.event, at, &record.events, &mut out.notices);
        ocds::of_event(engine, &envelope.event, at, &record.events, &mut out.releases);
    }
    out.facts = facts::of_record(engine, &record.events);
    out
}

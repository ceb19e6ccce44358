//! Auction rooms: what each audience of a reverse auction may see, from one place, so that the
//! REST views and the live feed cannot disagree on what is disclosed.
//!
//! Before the close nobody but the bidder itself learns a bidder's identity: other bidders see their
//! own rank and the number of bidders (and the best price in `best_price` mode); the purchaser sees
//! anonymous labels in rank order (with prices only in `best_price` mode); observers (analysts,
//! operators, eligible suppliers yet to bid) see what the public view shows. After an award or a
//! failure the results publish every bid with the bidder's name. Views are built from the
//! engine's own [`Auction`], as of the sequence they are read at, for REST and feed alike.

use engine::auction::{Auction, AuctionState, Disclosure, MinStep, Standing};
use engine::types::{ParticipantId, Timestamp};
use serde::Serialize;

use super::{Names, Viewer};

/// Who is looking at an auction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// A supplier that may bid (or has): its own standing only.
    Bidder(ParticipantId),
    /// The purchasing unit that opened it: anonymous labels.
    Purchaser,
    /// Anyone else allowed in the room: the public view.
    Observer,
}

/// True once results may be published: the auction closed with or without a winner.
pub fn closed(a: &Auction) -> bool {
    matches!(a.state, AuctionState::Awarded | AuctionState::Failed)
}

/// What everyone in the room sees: the terms, the schedule, the bidder count and, in `best_price`
/// mode, the best price. No identity, ever, before the close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublicView {
    /// Always `auction`.
    pub kind: &'static str,
    pub auction: u64,
    /// scheduled, open, awarded, failed or cancelled.
    pub state: &'static str,
    pub product: u64,
    /// For an auction over a category: its code; bids name their product of it.
    pub category: Option<String>,
    /// Reserved for small and medium enterprises (S-2).
    pub reserved: bool,
    pub quantity: String,
    pub ceiling: String,
    /// The least a bid must improve by, a decimal string.
    pub step: String,
    /// The step as a percentage of the ceiling, when it was set so.
    pub step_percent: Option<String>,
    pub starts_ms: i64,
    pub scheduled_end_ms: i64,
    /// The end now, extended by late bids.
    pub end_ms: i64,
    pub latest_end_ms: i64,
    pub soft_close_seconds: i64,
    pub extension_seconds: i64,
    pub extended: bool,
    pub min_bidders: u32,
    /// best_price or rank_only.
    pub disclosure: &'static str,
    pub must_beat_best: bool,
    pub bidders: usize,
    /// The server's clock when this was built, for a countdown.
    pub server_ms: i64,
    /// The best price, in `best_price` mode once bid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_price: Option<String>,
}

/// A bidder's own standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StandingView {
    /// Always `standing`.
    pub kind: &'static str,
    pub auction: u64,
    /// Its rank, once it has bid.
    pub rank: Option<usize>,
    pub my_price: Option<String>,
    pub bidders: usize,
    pub end_ms: i64,
}

/// A place in the purchaser's anonymous ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Ranked {
    pub rank: usize,
    /// 竞价人<n>, in order of first bid.
    pub label: String,
    /// Only in `best_price` mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
}

/// The purchaser's view: the ranking by anonymous label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RankingView {
    /// Always `ranking`.
    pub kind: &'static str,
    pub auction: u64,
    pub ranking: Vec<Ranked>,
    pub end_ms: i64,
}

/// A bid with its bidder, as the results publish it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NamedBid {
    pub supplier: u64,
    pub name: String,
    /// Unified social credit code.
    pub credit_code: String,
    /// The product it offered: the auction's, or in a category auction its own choice.
    pub product: u64,
    pub price: String,
    pub receipt_seq: u64,
    /// The supplier's 12-month evaluation score (E-1), where the reader is shown it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier_score: Option<String>,
}

/// The published results: every bid with its bidder, the ranking, the winner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ResultsView {
    /// Always `results`.
    pub kind: &'static str,
    pub auction: u64,
    pub state: &'static str,
    pub end_ms: i64,
    pub winner: Option<NamedBid>,
    pub ranking: Vec<NamedBid>,
    /// Every bid, in order of receipt.
    pub bids: Vec<NamedBid>,
}

/// Everything an audience may see of an auction now, in one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuctionView {
    #[serde(flatten)]
    pub public: PublicView,
    /// A bidder's own standing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mine: Option<StandingView>,
    /// The purchaser's anonymous ranking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<Ranked>>,
    /// The purchaser's budget line and what the auction holds of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    /// Once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsView>,
    /// The sequence it was read as of, on a read of one auction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of_seq: Option<u64>,
}

/// What everyone in the room sees now.
pub fn public_view(a: &Auction, now: Timestamp) -> PublicView {
    let spec = &a.spec;
    let best_price = (spec.disclosure == Disclosure::BestPrice)
        .then(|| a.best().map(|best| best.price.to_string()))
        .flatten();
    PublicView {
        kind: "auction",
        auction: a.id.0,
        state: a.state.name(),
        product: spec.product.0,
        category: a.category.map(|c| c.to_string()),
        reserved: a.reserved,
        quantity: spec.quantity.to_string(),
        ceiling: spec.ceiling.to_string(),
        step: a.step.to_string(),
        step_percent: match spec.min_step {
            MinStep::Basis(bp) => Some(format!("{}.{:02}", bp / 100, bp % 100)),
            MinStep::Price(_) => None,
        },
        starts_ms: spec.starts.ms(),
        scheduled_end_ms: spec.ends.ms(),
        end_ms: a.end.ms(),
        latest_end_ms: spec.ends.plus_ms(spec.max_extension_ms).ms(),
        soft_close_seconds: spec.soft_close_ms / 1_000,
        extension_seconds: spec.extension_ms / 1_000,
        extended: a.end > spec.ends,
        min_bidders: spec.min_bidders,
        disclosure: spec.disclosure.name(),
        must_beat_best: spec.must_beat_best,
        bidders: a.standings.len(),
        server_ms: now.ms(),
        best_price,
    }
}

/// A bidder's own standing: its rank, its price, the bidder count.
pub fn bidder_view(a: &Auction, bidder: ParticipantId) -> StandingView {
    let ranking = a.ranking();
    let mine = ranking.iter().position(|s| s.bidder == bidder);
    StandingView {
        kind: "standing",
        auction: a.id.0,
        rank: mine.map(|r| r + 1),
        my_price: mine.map(|r| ranking[r].price.to_string()),
        bidders: ranking.len(),
        end_ms: a.end.ms(),
    }
}

/// Anonymous labels in order of first bid: they tell bidders apart without telling who they are.
fn label(a: &Auction, bidder: ParticipantId) -> String {
    let n = a.standings.iter().position(|s| s.bidder == bidder).map_or(0, |i| i + 1);
    format!("竞价人{n}")
}

/// The purchaser's view: the ranking by anonymous label, prices only in `best_price` mode.
pub fn purchaser_view(a: &Auction) -> RankingView {
    let prices = a.spec.disclosure == Disclosure::BestPrice;
    let ranking = a
        .ranking()
        .iter()
        .enumerate()
        .map(|(i, s)| Ranked {
            rank: i + 1,
            label: label(a, s.bidder),
            price: prices.then(|| s.price.to_string()),
        })
        .collect();
    RankingView { kind: "ranking", auction: a.id.0, ranking, end_ms: a.end.ms() }
}

/// The published results: every bid with its bidder, the ranking, the winner.
pub fn results(a: &Auction, names: Names<'_>) -> ResultsView {
    let named = |s: &Standing| {
        let (name, credit_code) = names(s.bidder).unwrap_or_default();
        NamedBid {
            supplier: s.bidder.0,
            name,
            credit_code,
            product: s.product.0,
            price: s.price.to_string(),
            receipt_seq: s.receipt.0,
            supplier_score: None,
        }
    };
    let winner = (a.state == AuctionState::Awarded).then(|| a.best()).flatten();
    ResultsView {
        kind: "results",
        auction: a.id.0,
        state: a.state.name(),
        end_ms: a.end.ms(),
        winner: winner.as_ref().map(named),
        ranking: a.ranking().iter().map(named).collect(),
        bids: a.bids.iter().map(named).collect(),
    }
}

/// The results with each bidder's 12-month score beside its bids (E-1), for the signed-in readers
/// of the auction's results.
pub fn with_scores(mut results: ResultsView, engine: &engine::Engine) -> ResultsView {
    let score = |supplier: u64| {
        engine.supplier_score(engine::types::ParticipantId(supplier)).map(crate::views::score_text)
    };
    for bid in results.winner.iter_mut().chain(&mut results.ranking).chain(&mut results.bids) {
        bid.supplier_score = score(bid.supplier);
    }
    results
}

/// Everything an audience may see of an auction now, in one document: what `GET` answers.
pub fn view(a: &Auction, audience: Audience, now: Timestamp, names: Names<'_>) -> AuctionView {
    let mut view = AuctionView {
        public: public_view(a, now),
        mine: None,
        ranking: None,
        budget_line: None,
        hold: None,
        results: None,
        as_of_seq: None,
    };
    match audience {
        Audience::Bidder(bidder) => view.mine = Some(bidder_view(a, bidder)),
        Audience::Purchaser => {
            view.ranking = Some(purchaser_view(a).ranking);
            view.budget_line = Some(a.spec.budget_line.0);
            view.hold = Some(a.hold.to_string());
        }
        Audience::Observer => {}
    }
    if closed(a) {
        view.results = Some(results(a, names));
    }
    view
}

/// How `viewer` may look at `a`, or `None` when it may not enter the room at all: the purchaser
/// that opened it, suppliers that may bid or have bid, and analysts and operators overseeing its
/// region. Once closed, the results are public.
pub fn audience(engine: &engine::Engine, viewer: &Viewer, a: &Auction) -> Option<Audience> {
    use engine::catalog::ParticipantKind as Kind;
    let me = viewer.participant;
    let inside = match viewer.role {
        Kind::Purchaser if a.purchaser == me => return Some(Audience::Purchaser),
        Kind::Supplier => {
            if a.standings.iter().any(|s| s.bidder == me) || engine.may_bid(a.id, me) {
                return Some(Audience::Bidder(me));
            }
            false
        }
        Kind::Purchaser => false,
        Kind::Analyst | Kind::Operator => {
            viewer.region.is_none_or(|oversees| a.region.contains(oversees.region()))
        }
    };
    (inside || closed(a)).then_some(Audience::Observer)
}

//! OCDS 1.1 releases (O-2). Each release is the deal as it stands right after the event that
//! published it, tagged with what the event changed: OCDS merges releases field by field and
//! objects by id, so a compiled record is the deal's latest state and the releases its history.
//!
//! Identifiers: parties by their unified social credit code in the org-id scheme `CN-USCI`; an
//! award by the sequence of the command that struck its trades (`<deal>-<seq>`), so the award
//! annulled and the one that replaces it stay apart; a contract by its trade (`T<seq>-<leg>`).

use std::collections::BTreeMap;

use engine::EventEnvelope;
use engine::auction::{Auction, AuctionState};
use engine::award::{Award, AwardState};
use engine::inquiry::{Inquiry, InquiryState};
use engine::settlement::{SettlementStep, TradeRecord, TradeState};
use engine::types::CategoryKind;
use engine::types::{DealId, ParticipantId, Quantity, TradeId};
use engine::{Engine, Event};
use serde_json::{Value, json};

use super::Release;
use super::deal::{At, Deal, Mode, iso, money, product_text, region_name};

/// Appends what `event` publishes as OCDS releases.
pub fn of_event(
    engine: &Engine,
    event: &Event,
    at: At,
    events: &[EventEnvelope],
    out: &mut Vec<Release>,
) {
    let (deal, tags, trades): (DealId, &[&str], Vec<TradeId>) = match event {
        Event::AuctionOpened { auction: d, .. } | Event::InquiryOpened { inquiry: d, .. } => {
            (*d, &["tender"], vec![])
        }
        Event::InquiryRoundOpened { inquiry, round, .. } if *round > 1 => {
            (*inquiry, &["tenderUpdate"], vec![])
        }
        Event::AuctionCancelled { auction: d, .. } | Event::InquiryCancelled { inquiry: d, .. } => {
            (*d, &["tenderCancellation"], vec![])
        }
        Event::AuctionFailed { auction: d, .. } | Event::InquiryFailed { inquiry: d, .. } => {
            (*d, &["tenderUpdate"], vec![])
        }
        Event::AuctionAwarded { auction: d, .. } | Event::InquiryAwarded { inquiry: d, .. } => {
            (*d, &["award"], vec![])
        }
        Event::AwardVacated { deal, .. } => (*deal, &["awardUpdate", "contractUpdate"], vec![]),
        Event::AwardedToNext { deal, .. } => (*deal, &["award"], vec![]),
        Event::AwardFinal { deal } => (*deal, &["contract"], vec![]),
        Event::AwardFailed { deal, .. } => (*deal, &["tenderUpdate"], vec![]),
        Event::NegotiationAccepted { negotiation, .. } => {
            (*negotiation, &["award", "contract"], vec![])
        }
        Event::OrderFilled { order, filled, .. } if *filled > Quantity::ZERO => {
            let trades = struck_in(events).filter(|t| t.deal == *order).map(|t| t.id).collect();
            (*order, &["award", "contract"], trades)
        }
        Event::TradeSettled { trade, step: SettlementStep::Pay, .. } => {
            let Some(record) = engine.trade(*trade) else { return };
            (record.trade.deal, &["implementation"], vec![*trade])
        }
        _ => return,
    };
    if let Some(json) = release(engine, deal, at, tags, &trades) {
        let ocid = super::ocid(deal);
        out.push(Release {
            id: format!("{ocid}-{}", at.id()),
            ocid,
            seq: at.seq,
            index: at.index,
            date: at.ts,
            json,
        });
    }
}

fn struck_in(events: &[EventEnvelope]) -> impl Iterator<Item = &engine::settlement::Trade> {
    events.iter().filter_map(|e| match &e.event {
        Event::TradeStruck(t) => Some(t),
        _ => None,
    })
}

/// A JSON object of the values given, each moved in. `json!` serialises every interpolated value
/// into a fresh copy, so a release built of nested `Value`s (parties, the tender and its items,
/// awards, contracts) was copied once per level: the largest part of publishing a direct order.
macro_rules! object {
    ({ $($key:literal: $value:expr),* $(,)? }) => {{
        let mut map = serde_json::Map::new();
        $( map.insert($key.to_string(), Value::from($value)); )*
        Value::Object(map)
    }};
}

/// The deal as it stands, as one release. `trades` are a direct order's own: it has no record
/// of its own in the engine beyond them.
pub fn release(
    engine: &Engine,
    deal_id: DealId,
    at: At,
    tags: &[&str],
    trades: &[TradeId],
) -> Option<Value> {
    let trade_records: Vec<&TradeRecord> = trades.iter().filter_map(|t| engine.trade(*t)).collect();
    let deal = match Deal::find(engine, deal_id) {
        Some(deal) => deal,
        None => {
            let struck: Vec<_> = trade_records.iter().map(|r| r.trade).collect();
            Deal::of_order(engine, &struck)?
        }
    };
    let mut parties = Parties::default();
    parties.add(engine, deal.purchaser, &["buyer", "procuringEntity", "payer"]);
    let buyer = parties.reference(engine, deal.purchaser);
    let award = engine.award(deal_id);
    let (awards, contracts) = match (deal.mode, award) {
        (Mode::Auction | Mode::Inquiry | Mode::Competition, Some(award)) => {
            awarded(engine, &deal, award, &mut parties)
        }
        (Mode::Negotiation, None) => {
            let trades: Vec<&TradeRecord> = engine
                .negotiation(deal_id)
                .and_then(|n| n.trade)
                .and_then(|t| engine.trade(t))
                .into_iter()
                .collect();
            contracted(engine, &deal, &trades, &mut parties)
        }
        (Mode::DirectOrder, _) => contracted(engine, &deal, &trade_records, &mut parties),
        _ => (vec![], vec![]),
    };
    let (bids, tenderers) = bids(engine, &deal, &mut parties);
    let mut tender = tender(engine, &deal);
    if let Some(tenderers) = tenderers {
        tender["numberOfTenderers"] = json!(tenderers.len());
        tender["tenderers"] = Value::Array(tenderers);
    }
    let mut release = object!({
        "ocid": super::ocid(deal_id),
        "id": format!("{}-{}", super::ocid(deal_id), at.id()),
        "date": iso(at.ts),
        "tag": tags,
        "initiationType": "tender",
        "language": "zh",
        "parties": parties.into_json(),
        "buyer": buyer,
        "tender": tender,
    });
    if !awards.is_empty() {
        release["awards"] = Value::Array(awards);
    }
    if !contracts.is_empty() {
        release["contracts"] = Value::Array(contracts);
    }
    if let Some(bids) = bids {
        release["bids"] = bids;
    }
    Some(release)
}

fn tender(engine: &Engine, deal: &Deal) -> Value {
    let items: Vec<Value> = deal
        .lines
        .iter()
        .enumerate()
        .map(|(n, line)| {
            let (description, unit) = product_text(engine, line.product);
            let mut unit = json!({ "name": unit });
            if let Some(ceiling) = line.ceiling {
                unit["value"] = money(ceiling.to_decimal());
            }
            let mut item = object!({
                "id": (n + 1).to_string(),
                "description": description,
                "quantity": line.quantity.to_decimal().to_string().parse::<f64>().unwrap_or(0.0),
                "unit": unit,
            });
            if let Some(category) = engine.product(line.product).map(|p| p.category.category()) {
                let name = engine.category(category).map(|c| c.name.clone()).unwrap_or_default();
                item["classification"] = json!({
                    "scheme": "CN-GPCATALOG",
                    "id": category.to_string(),
                    "description": name,
                });
            }
            item
        })
        .collect();
    let main = deal.categories.last().map(|c| match c.kind() {
        CategoryKind::Goods => "goods",
        CategoryKind::Works => "works",
        CategoryKind::Services => "services",
    });
    let title = deal.lines.first().map(|l| product_text(engine, l.product).0).unwrap_or_default();
    let mut tender = object!({
        "id": deal.id.0.to_string(),
        "title": format!("{}：{}", deal.mode.chinese(), title),
        "status": tender_status(engine, deal),
        "procuringEntity": json!({ "id": party_id(engine, deal.purchaser), "name": name_of(engine, deal.purchaser) }),
        "items": items,
        "procurementMethod": deal.mode.method(),
        "procurementMethodDetails": deal.mode.chinese(),
        "awardCriteria": "priceOnly",
    });
    if let Some(main) = main {
        tender["mainProcurementCategory"] = json!(main);
    }
    if let Some(hold) = deal.hold {
        tender["value"] = money(hold.to_decimal());
    }
    match deal.mode {
        Mode::Auction => tender["submissionMethod"] = json!(["electronicAuction"]),
        Mode::Inquiry | Mode::Competition => {
            tender["submissionMethod"] = json!(["electronicSubmission"]);
        }
        Mode::DirectOrder | Mode::Negotiation => {}
    }
    if let Some(closes) = deal.closes {
        let mut period = json!({ "endDate": iso(closes) });
        if let Some(opens) = deal.opens {
            period["startDate"] = json!(iso(opens));
        }
        tender["tenderPeriod"] = period;
    }
    tender
}

fn tender_status(engine: &Engine, deal: &Deal) -> &'static str {
    if engine.award(deal.id).is_some_and(|a| a.state == AwardState::Failed) {
        return "unsuccessful";
    }
    if let Some(a) = engine.auction(deal.id) {
        return match a.state {
            AuctionState::Scheduled | AuctionState::Open => "active",
            AuctionState::Awarded => "complete",
            AuctionState::Failed => "unsuccessful",
            AuctionState::Cancelled => "cancelled",
        };
    }
    if let Some(q) = engine.inquiry(deal.id) {
        return match q.state {
            InquiryState::Awarded => "complete",
            InquiryState::Failed => "unsuccessful",
            InquiryState::Cancelled => "cancelled",
            _ => "active",
        };
    }
    "complete"
}

/// The award of an auction or inquiry now, and its contracts: one per trade.
fn awarded(
    engine: &Engine,
    deal: &Deal,
    award: &Award,
    parties: &mut Parties,
) -> (Vec<Value>, Vec<Value>) {
    let Some(first) = award.trades.first() else { return (vec![], vec![]) };
    let Some(winner) = award.winner() else { return (vec![], vec![]) };
    let award_id = format!("{}-{}", deal.id.0, first.seq.0);
    let status = match award.state {
        AwardState::Provisional => "pending",
        AwardState::Final => "active",
        AwardState::Vacant | AwardState::Failed => "cancelled",
    };
    parties.add(engine, winner.supplier, &["supplier", "payee"]);
    let trades: Vec<&TradeRecord> = award.trades.iter().filter_map(|t| engine.trade(*t)).collect();
    let object = object!({
        "id": award_id.clone(),
        "title": format!("{} 成交", deal.mode.chinese()),
        "status": status,
        "date": iso(award.published),
        "value": money(winner.amount.to_decimal()),
        "suppliers": vec![parties.reference(engine, winner.supplier)],
        "items": award_items(engine, &trades),
    });
    let contracts =
        trades.iter().map(|r| contract(engine, r, &award_id, Some(award.state), parties)).collect();
    (vec![object], contracts)
}

/// A direct order's or negotiation's award and contracts: made at once, with no challenge period.
fn contracted(
    engine: &Engine,
    deal: &Deal,
    trades: &[&TradeRecord],
    parties: &mut Parties,
) -> (Vec<Value>, Vec<Value>) {
    let Some(first) = trades.first() else { return (vec![], vec![]) };
    let award_id = format!("{}-{}", deal.id.0, first.trade.seq.0);
    let mut suppliers = BTreeMap::new();
    for r in trades {
        parties.add(engine, r.trade.supplier, &["supplier", "payee"]);
        suppliers.insert(r.trade.supplier, parties.reference(engine, r.trade.supplier));
    }
    let total: rust_decimal::Decimal = trades.iter().map(|r| r.trade.amount.to_decimal()).sum();
    let object = object!({
        "id": award_id.clone(),
        "title": format!("{} 成交", deal.mode.chinese()),
        "status": "active",
        "date": iso(first.trade.ts),
        "value": money(total),
        "suppliers": suppliers.into_values().collect::<Vec<_>>(),
        "items": award_items(engine, trades),
    });
    let contracts = trades.iter().map(|r| contract(engine, r, &award_id, None, parties)).collect();
    (vec![object], contracts)
}

fn award_items(engine: &Engine, trades: &[&TradeRecord]) -> Vec<Value> {
    trades
        .iter()
        .map(|r| {
            let (description, unit) = product_text(engine, r.trade.product);
            object!({
                "id": r.trade.id.to_string(),
                "description": description,
                "quantity": decimal_number(r.trade.quantity.to_decimal()),
                "unit": object!({ "name": unit, "value": money(r.trade.unit_price.to_decimal()) }),
            })
        })
        .collect()
}

fn contract(
    engine: &Engine,
    record: &TradeRecord,
    award_id: &str,
    award: Option<AwardState>,
    parties: &mut Parties,
) -> Value {
    let t = &record.trade;
    let status = match (record.state, award) {
        (TradeState::Declined | TradeState::Cancelled | TradeState::Annulled, _) => "cancelled",
        (TradeState::Paid, _) => "terminated",
        (_, Some(AwardState::Provisional)) => "pending",
        (_, Some(AwardState::Vacant | AwardState::Failed)) => "cancelled",
        _ => "active",
    };
    let mut contract = object!({
        "id": t.id.to_string(),
        "awardID": award_id,
        "status": status,
        "value": money(t.amount.to_decimal()),
        "dateSigned": iso(t.ts),
    });
    if let Some(accepted) = record.accepted_ts {
        contract["period"] = json!({ "startDate": iso(t.ts), "endDate": iso(accepted) });
    }
    if record.state == TradeState::Paid {
        let paid = record.ended.map_or(t.ts, |(_, ts)| ts);
        contract["implementation"] = json!({
            "transactions": [{
                "id": format!("{}-payment", t.id),
                "source": "budget",
                "date": iso(paid),
                "value": money(t.amount.to_decimal()),
                "payer": parties.reference(engine, t.purchaser),
                "payee": parties.reference(engine, t.supplier),
            }],
        });
    }
    contract
}

/// The bids section and the tenderers, once they may be published (O-3): an auction's after it
/// closed with bids counted, an inquiry's quotes once a round has opened them.
fn bids(
    engine: &Engine,
    deal: &Deal,
    parties: &mut Parties,
) -> (Option<Value>, Option<Vec<Value>>) {
    let details = match deal.mode {
        Mode::Auction => {
            engine.auction(deal.id).and_then(|a| auction_bids(engine, deal, a, parties))
        }
        Mode::Inquiry | Mode::Competition => {
            engine.inquiry(deal.id).and_then(|q| inquiry_bids(engine, q, parties))
        }
        Mode::DirectOrder | Mode::Negotiation => None,
    };
    let Some((details, valid, lowest)) = details else { return (None, None) };
    let mut tenderers = BTreeMap::new();
    for bid in &details {
        for t in bid["tenderers"].as_array().into_iter().flatten() {
            tenderers.insert(t["id"].as_str().unwrap_or_default().to_string(), t.clone());
        }
    }
    let mut statistics = vec![
        json!({ "id": "bids", "measure": "bids", "value": details.len() }),
        json!({ "id": "validBids", "measure": "validBids", "value": valid }),
    ];
    if let Some(lowest) = lowest {
        statistics.push(json!({
            "id": "lowestValidBidValue",
            "measure": "lowestValidBidValue",
            "value": lowest["amount"],
            "currency": "CNY",
        }));
    }
    let section = json!({ "statistics": statistics, "details": details });
    (Some(section), Some(tenderers.into_values().collect()))
}

type BidDetails = (Vec<Value>, usize, Option<Value>);

fn auction_bids(
    engine: &Engine,
    deal: &Deal,
    a: &Auction,
    parties: &mut Parties,
) -> Option<BidDetails> {
    if !matches!(a.state, AuctionState::Awarded | AuctionState::Failed) {
        return None;
    }
    let quantity = deal.lines.first()?.quantity;
    let details: Vec<Value> = a
        .bids
        .iter()
        .map(|b| {
            parties.add(engine, b.bidder, &["tenderer"]);
            let value = b.price.times(quantity).map(|v| money(v.to_decimal()));
            json!({
                "id": format!("{}-B{}", a.id.0, b.receipt.0),
                "date": iso(b.at),
                "status": "valid",
                "tenderers": [parties.reference(engine, b.bidder)],
                "value": value,
            })
        })
        .collect();
    let lowest = a.best().and_then(|b| b.price.times(quantity)).map(|v| money(v.to_decimal()));
    let count = details.len();
    Some((details, count, lowest))
}

fn inquiry_bids(engine: &Engine, q: &Inquiry, parties: &mut Parties) -> Option<BidDetails> {
    let mut details = Vec::new();
    let mut valid = 0;
    let mut lowest: Option<engine::types::Amount> = None;
    for round in q.rounds.iter().filter(|r| !r.opened.is_empty()) {
        for quote in &round.opened {
            parties.add(engine, quote.supplier, &["tenderer"]);
            let ok = quote.defect.is_none() && quote.total.is_some();
            if ok {
                valid += 1;
                lowest = match (lowest, quote.total) {
                    (Some(l), Some(t)) => Some(l.min(t)),
                    (l, t) => l.or(t),
                };
            }
            let mut bid = json!({
                "id": format!("{}-R{}-{}", q.id.0, round.number, quote.supplier.0),
                "date": iso(quote.at),
                "status": if ok { "valid" } else { "disqualified" },
                "tenderers": [parties.reference(engine, quote.supplier)],
            });
            if let Some(total) = quote.total {
                bid["value"] = money(total.to_decimal());
            }
            details.push(bid);
        }
    }
    if details.is_empty() {
        return None;
    }
    Some((details, valid, lowest.map(|l| money(l.to_decimal()))))
}

fn decimal_number(d: rust_decimal::Decimal) -> Value {
    d.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A participant's OCDS party id: its unified social credit code in the `CN-USCI` scheme, or
/// the marketplace's own id when it has none.
pub fn party_id(engine: &Engine, p: ParticipantId) -> String {
    match engine.participant(p).and_then(|p| p.credit_code) {
        Some(code) => format!("CN-USCI-{code}"),
        None => format!("{}-participant-{}", super::OCID_PREFIX, p.0),
    }
}

fn name_of(engine: &Engine, p: ParticipantId) -> String {
    engine.participant(p).map(|p| p.name.clone()).unwrap_or_default()
}

/// The parties of a release, each once with all its roles.
#[derive(Default)]
struct Parties(BTreeMap<String, Value>);

impl Parties {
    fn add(&mut self, engine: &Engine, p: ParticipantId, roles: &[&str]) {
        let id = party_id(engine, p);
        let party = self.0.entry(id.clone()).or_insert_with(|| {
            let found = engine.participant(p);
            let mut party = json!({
                "id": id,
                "name": found.map(|f| f.name.clone()).unwrap_or_default(),
                "roles": [],
            });
            if let Some(code) = found.and_then(|f| f.credit_code) {
                party["identifier"] = json!({
                    "scheme": "CN-USCI",
                    "id": code.to_string(),
                    "legalName": found.map(|f| f.name.clone()).unwrap_or_default(),
                });
            }
            let region =
                found.and_then(|f| f.region).map(|r| r.codes().to_vec()).unwrap_or_default();
            if let Some(name) = region_name(engine, region.first()) {
                party["address"] = json!({ "region": name, "countryName": "中国" });
            }
            party
        });
        if let Some(list) = party["roles"].as_array_mut() {
            for role in roles {
                if !list.iter().any(|r| r == role) {
                    list.push(json!(role));
                }
            }
        }
    }

    fn reference(&self, engine: &Engine, p: ParticipantId) -> Value {
        json!({ "id": party_id(engine, p), "name": name_of(engine, p) })
    }

    fn into_json(self) -> Value {
        Value::Array(self.0.into_values().collect())
    }
}

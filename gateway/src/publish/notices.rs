//! Public notices (O-1): what each event announces, in a body a citizen's page can print. Names
//! appear only where the law publishes them: bidders and quoters in the result, once the deal has
//! closed or opened; invitees never (O-3); challenges once the deal has ended (C-5).

use engine::EventEnvelope;
use engine::auction::{Auction, Eligibility, MinStep};
use engine::award::AwardState;
use engine::inquiry::RoundOutcome;
use engine::settlement::Trade;
use engine::types::{DealId, Quantity};
use engine::{Engine, Event};
use serde_json::{Value, json};

use super::deal::{At, Deal, named, product_text, region_name};
use super::{Notice, NoticeKind};
use crate::views::award::{challenge_view, ended};

/// Appends what `event` announces.
pub fn of_event(
    engine: &Engine,
    event: &Event,
    at: At,
    events: &[EventEnvelope],
    out: &mut Vec<Notice>,
) {
    let (deal, kind, detail) = match event {
        Event::AuctionOpened { auction, .. } => {
            let Some(a) = engine.auction(*auction) else { return };
            (*auction, NoticeKind::Opening, auction_rules(a))
        }
        Event::InquiryOpened { inquiry, .. } => {
            let Some(q) = engine.inquiry(*inquiry) else { return };
            (
                *inquiry,
                NoticeKind::Opening,
                json!({
                    "opens_ms": at.ts.ms(),
                    "closes_ms": q.round().deadline.ms(),
                    "max_rounds": q.spec.max_rounds,
                    "rules": "报价密封，截止后统一开启；有效报价不少于三家方可成交，报价最低者成交",
                }),
            )
        }
        Event::InquiryRoundOpened { inquiry, round, deadline, .. } if *round > 1 => {
            let Some(q) = engine.inquiry(*inquiry) else { return };
            let previous = q.rounds.iter().find(|r| r.number + 1 == *round);
            let reason = match previous.and_then(|r| r.outcome.as_ref()) {
                Some(RoundOutcome::FailedUnopened { suppliers }) => {
                    format!("第{}轮报价供应商不足三家（{suppliers}家），依法重新询价", round - 1)
                }
                Some(RoundOutcome::FailedOpened { valid }) => {
                    format!("第{}轮有效报价不足三家（{valid}家），依法重新询价", round - 1)
                }
                _ => format!("第{}轮未能成交，依法重新询价", round - 1),
            };
            let detail = json!({ "what": "new_round", "round": round, "closes_ms": deadline.ms(), "reason": reason });
            (*inquiry, NoticeKind::Correction, detail)
        }
        Event::AuctionCancelled { auction: d, reason }
        | Event::InquiryCancelled { inquiry: d, reason } => {
            (*d, NoticeKind::Cancellation, json!({ "reason": reason }))
        }
        Event::AuctionFailed { auction, bidders } => {
            let minimum = engine.auction(*auction).map_or(3, |a| a.spec.min_bidders);
            let reason =
                format!("参与竞价的供应商不足{minimum}家（{bidders}家），竞价失败（流标）");
            (
                *auction,
                NoticeKind::Failure,
                json!({ "reason": reason, "bidders": bidders, "bids": auction_bids(engine, *auction) }),
            )
        }
        Event::InquiryFailed { inquiry, reason } => (
            *inquiry,
            NoticeKind::Failure,
            json!({ "reason": reason, "quotes": inquiry_quotes(engine, *inquiry) }),
        ),
        Event::AwardFailed { deal, reason } => {
            (*deal, NoticeKind::Failure, json!({ "reason": reason }))
        }
        Event::AuctionAwarded { auction, winner, price, amount, bidders } => (
            *auction,
            NoticeKind::Result,
            json!({
                "winner": named(engine, *winner),
                "price": price.to_string(),
                "amount": amount.to_string(),
                "bidders": bidders,
                "bids": auction_bids(engine, *auction),
                "challenge_period_ends_ms": period_end(engine, *auction),
            }),
        ),
        Event::InquiryAwarded { inquiry, round, winner, amount, suppliers } => (
            *inquiry,
            NoticeKind::Result,
            json!({
                "winner": named(engine, *winner),
                "amount": amount.to_string(),
                "round": round,
                "suppliers": suppliers,
                "quotes": inquiry_quotes(engine, *inquiry),
                "challenge_period_ends_ms": period_end(engine, *inquiry),
            }),
        ),
        Event::NegotiationAccepted { negotiation, price, .. } => {
            let Some(n) = engine.negotiation(*negotiation) else { return };
            let trade = n.trade.and_then(|t| engine.trade(t));
            (
                *negotiation,
                NoticeKind::Result,
                json!({
                    "winner": named(engine, n.supplier),
                    "price": price.to_string(),
                    "amount": trade.map(|t| t.trade.amount.to_string()),
                }),
            )
        }
        Event::AwardedToNext { deal, supplier, rank, amount } => (
            *deal,
            NoticeKind::Correction,
            json!({
                "what": "next_ranked",
                "reason": format!("原成交结果已依法撤销，由排名第{rank}的供应商递补成交"),
                "winner": named(engine, *supplier),
                "amount": amount.to_string(),
                "rank": rank,
                "challenge_period_ends_ms": period_end(engine, *deal),
            }),
        ),
        Event::AwardFinal { deal } => {
            let Some(award) = engine.award(*deal) else { return };
            let trades: Vec<Value> = award
                .trades
                .iter()
                .filter_map(|t| engine.trade(*t))
                .map(|r| trade_line(engine, &r.trade))
                .collect();
            let winner = award.winner().map(|w| named(engine, w.supplier));
            let amount = award.winner().map(|w| w.amount.to_string());
            (
                *deal,
                NoticeKind::Contract,
                json!({ "supplier": winner, "amount": amount, "trades": trades }),
            )
        }
        Event::OrderFilled { order, filled, amount, .. } if *filled > Quantity::ZERO => {
            let struck: Vec<Trade> = events
                .iter()
                .filter_map(|e| match &e.event {
                    Event::TradeStruck(t) if t.deal == *order => Some(*t),
                    _ => None,
                })
                .collect();
            let lines: Vec<Value> = struck.iter().map(|t| trade_line(engine, t)).collect();
            let Some(deal) = Deal::of_order(engine, &struck) else { return };
            let body = json!({ "amount": amount.to_string(), "trades": lines });
            push(engine, &deal, NoticeKind::DirectOrder, at, body, out, "");
            return;
        }
        _ => {
            challenges(engine, event, at, out);
            return;
        }
    };
    let Some(found) = Deal::find(engine, deal) else { return };
    push(engine, &found, kind, at, detail, out, "");
    if matches!(event, Event::AwardFinal { .. } | Event::AwardFailed { .. }) {
        challenges(engine, event, at, out);
    }
}

/// The challenges notice, published once the deal has ended (C-5): when its award becomes final
/// or fails with challenges behind it, or when the ruling that ends it comes after.
fn challenges(engine: &Engine, event: &Event, at: At, out: &mut Vec<Notice>) {
    let deal = match event {
        Event::AwardFinal { deal } | Event::AwardFailed { deal, .. } => *deal,
        Event::ComplaintRuled { deal, .. } => *deal,
        _ => return,
    };
    let Some(award) = engine.award(deal) else { return };
    let ruled_after = matches!(event, Event::ComplaintRuled { .. })
        && matches!(award.state, AwardState::Final | AwardState::Failed);
    let at_end = matches!(event, Event::AwardFinal { .. } | Event::AwardFailed { .. });
    if award.challenges.is_empty() || !ended(award) || !(at_end || ruled_after) {
        return;
    }
    let name = |p| engine.participant(p).map(|p| p.name.clone()).unwrap_or_default();
    let list: Vec<_> =
        award.challenges.iter().map(|c| challenge_view(c, name(c.challenger))).collect();
    let Some(found) = Deal::find(engine, deal) else { return };
    // Beside the contract or failure notice of the same event: its id takes a suffix.
    push(engine, &found, NoticeKind::Challenges, at, json!({ "challenges": list }), out, "c");
}

fn push(
    engine: &Engine,
    deal: &Deal,
    kind: NoticeKind,
    at: At,
    detail: Value,
    out: &mut Vec<Notice>,
    suffix: &str,
) {
    let mut body = common(engine, deal);
    if let (Some(body), Some(detail)) = (body.as_object_mut(), detail.as_object()) {
        body.extend(detail.clone());
    }
    let subject = deal.lines.first().map(|l| product_text(engine, l.product).0).unwrap_or_default();
    let purchaser = engine.participant(deal.purchaser).map(|p| p.name.clone()).unwrap_or_default();
    out.push(Notice {
        id: format!("{}{suffix}", at.id()),
        seq: at.seq,
        deal: deal.id,
        kind,
        mode: deal.mode.name(),
        regions: deal.regions.clone(),
        categories: deal.categories.clone(),
        published: at.ts,
        title: format!("{purchaser}{}项目（{subject}）{}", deal.mode.chinese(), kind.title()),
        body,
    });
}

/// What every notice of a deal says: who buys, where, what, under which ceilings.
fn common(engine: &Engine, deal: &Deal) -> Value {
    let items: Vec<Value> = deal
        .lines
        .iter()
        .map(|l| {
            let (description, unit) = product_text(engine, l.product);
            let category = engine.product(l.product).map(|p| p.category.category());
            json!({
                "product": l.product.0,
                "description": description,
                "category": category.map(|c| c.to_string()),
                "category_name": category.and_then(|c| engine.category(c)).map(|c| c.name.clone()),
                "quantity": l.quantity.to_string(),
                "unit": unit,
                "ceiling": l.ceiling.map(|c| c.to_string()),
            })
        })
        .collect();
    json!({
        "deal": deal.id.0,
        "ocid": super::ocid(deal.id),
        "mode": deal.mode.name(),
        "mode_name": deal.mode.chinese(),
        "purchaser": named(engine, deal.purchaser),
        "region": { "code": deal.regions.first().map(|r| r.get()), "name": region_name(engine, deal.regions.first()) },
        "items": items,
        "budget": deal.hold.map(|h| h.to_string()),
    })
}

fn auction_rules(a: &Auction) -> Value {
    let step = match a.spec.min_step {
        MinStep::Price(p) => format!("{p} 元"),
        MinStep::Basis(bp) => format!("最高限价的 {}.{:02}%", bp / 100, bp % 100),
    };
    json!({
        "opens_ms": a.spec.starts.ms(),
        "closes_ms": a.spec.ends.ms(),
        "min_bidders": a.spec.min_bidders,
        "min_step": step,
        "soft_close_ms": a.spec.soft_close_ms,
        "extension_ms": a.spec.extension_ms,
        "max_extension_ms": a.spec.max_extension_ms,
        "must_beat_best": a.spec.must_beat_best,
        // Who may bid, never who was invited (O-3).
        "eligibility": match a.spec.eligibility {
            Eligibility::AgreementHolders => "协议供货入围供应商（覆盖采购人所在地区）",
            Eligibility::Invited(_) => "采购人邀请的供应商",
        },
        "category_auction": a.category.map(|c| c.to_string()),
        "rules": "反向竞价，价低者成交；截止前最后时段内出价自动延时；有效竞价供应商不足规定家数则流标",
    })
}

/// Every bid with its bidder, once the auction has closed: the results view.
fn auction_bids(engine: &Engine, auction: DealId) -> Value {
    let Some(a) = engine.auction(auction) else { return Value::Null };
    if !crate::views::auction::closed(a) {
        return Value::Null;
    }
    let names = crate::views::names_in(engine);
    serde_json::to_value(crate::views::auction::results(a, &names).bids).unwrap_or_default()
}

/// Every opened quote with its supplier: the results view, rounds and all.
fn inquiry_quotes(engine: &Engine, inquiry: DealId) -> Value {
    let Some(q) = engine.inquiry(inquiry) else { return Value::Null };
    let names = crate::views::names_in(engine);
    serde_json::to_value(crate::views::inquiry::results(q, &names).rounds).unwrap_or_default()
}

fn period_end(engine: &Engine, deal: DealId) -> Option<i64> {
    engine.award(deal).map(|a| a.period_ends.ms())
}

fn trade_line(engine: &Engine, t: &Trade) -> Value {
    let (description, unit) = product_text(engine, t.product);
    json!({
        "trade_id": t.id.to_string(),
        "product": t.product.0,
        "description": description,
        "supplier": named(engine, t.supplier),
        "quantity": t.quantity.to_string(),
        "unit": unit,
        "unit_price": t.unit_price.to_string(),
        "amount": t.amount.to_string(),
        "struck_ms": t.ts.ms(),
    })
}

//! Price analytics and early warnings (P-1 to P-5): scripted markets with answers computed by hand,
//! each raising exactly the alerts expected and no others.

use engine::analytics::{
    AlertKind, Analytics, AuctionFacts, BidFacts, Interval, Series, Thresholds, TradeFacts,
};
use engine::auction::Standing;
use engine::settlement::{Trade, TradeMode};
use engine::types::{
    BudgetLineId, CategoryCode, DealId, ParticipantId, ProductId, RegionCode, Seq, Timestamp,
    TradeId,
};

use crate::market::{amount, price, qty};

const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn at(minutes: i64) -> Timestamp {
    // 2026-06-15 10:00 in Shanghai.
    Timestamp::shanghai_midnight(time::macros::date!(2026 - 06 - 15))
        .plus_ms(10 * 60 * MINUTE + minutes * MINUTE)
}

fn desktops() -> CategoryCode {
    "A02010105".parse().expect("category")
}

fn city() -> RegionCode {
    "330100".parse().expect("region")
}

/// A direct-order trade of `quantity` at `unit` by purchaser 7 on project 教学设备, deal `deal`.
fn trade(deal: u64, minutes: i64, unit: &str, quantity: &str) -> TradeFacts {
    let unit_price = price(unit);
    let quantity = qty(quantity);
    TradeFacts {
        trade: Trade {
            id: TradeId { seq: Seq(deal), leg: 0 },
            mode: TradeMode::DirectOrder,
            deal: DealId(deal),
            purchaser: ParticipantId(7),
            supplier: ParticipantId(20),
            product: ProductId(3),
            agreement: None,
            quantity,
            unit_price,
            amount: unit_price.times(quantity).expect("amount"),
            budget_line: BudgetLineId(9),
            region: "330106".parse().expect("region"),
            ts: at(minutes),
            seq: Seq(deal),
        },
        category: desktops(),
        market: city(),
        project: "教学设备".into(),
        fiscal_year: 2026,
        direct_order_limit: None,
    }
}

fn kinds(analytics: &Analytics) -> Vec<AlertKind> {
    analytics.alerts().iter().map(|a| a.kind).collect()
}

#[test]
fn p1_candles_open_high_low_close_volume_and_amount_per_minute_hour_and_day() {
    let mut a = Analytics::new(Thresholds::default());
    for (deal, minute, unit, quantity) in
        [(1, 0, "100", "1"), (2, 0, "120", "2"), (3, 0, "90", "1"), (4, 1, "110", "3")]
    {
        a.trade(&trade(deal, minute, unit, quantity));
    }
    let minutes: Vec<_> =
        a.candles(Series::Product(ProductId(3)), Interval::Minute, at(0), at(60)).collect();
    assert_eq!(minutes.len(), 2);
    let first = minutes[0];
    assert_eq!(
        (first.open, first.high, first.low, first.close),
        (price("100"), price("120"), price("90"), price("90"))
    );
    assert_eq!((first.volume, first.amount, first.trades), (qty("4"), amount("430"), 3));
    assert_eq!(
        (minutes[1].open, minutes[1].close, minutes[1].volume),
        (price("110"), price("110"), qty("3"))
    );
    for interval in [Interval::Hour, Interval::Day] {
        let whole: Vec<_> =
            a.candles(Series::Category(desktops()), interval, at(-600), at(24 * 60)).collect();
        assert_eq!(whole.len(), 1, "{interval:?}");
        let c = whole[0];
        assert_eq!(
            (c.open, c.high, c.low, c.close),
            (price("100"), price("120"), price("90"), price("110"))
        );
        assert_eq!((c.volume, c.amount, c.trades), (qty("7"), amount("760"), 4));
    }
    assert!(a.alerts().is_empty());
}

#[test]
fn p2_p3_a_trade_well_above_the_upper_quartile_is_abnormal_and_one_at_the_limit_is_not() {
    let mut a = Analytics::new(Thresholds::default());
    for (deal, unit) in [(1, "100"), (2, "110"), (3, "120"), (4, "130"), (5, "140")] {
        a.trade(&trade(deal, deal as i64, unit, "1"));
    }
    let q = a.reference(ProductId(3), city()).expect("a reference price");
    assert_eq!((q.q1, q.median, q.q3, q.samples), (price("110"), price("120"), price("130"), 5));
    // The limit is 130 x 1.2 = 156: at it, nothing; above it, an abnormal price.
    assert!(a.trade(&trade(6, 6, "156", "1")).alerts.is_empty());
    // Six prices now, 100 to 140 and 156: Q3 at h = 3.75 is 130 + 0.75 x 10 = 137.50, and the
    // limit 137.50 x 1.2 = 165.00.
    let raised = a.trade(&trade(7, 7, "165.01", "1")).alerts;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, AlertKind::AbnormalPrice);
    assert_eq!(raised[0].figures["q3"], "137.50");
    assert_eq!(raised[0].figures["limit"], "165.00");
    assert_eq!(raised[0].deal, DealId(7));
    assert_eq!(kinds(&a), vec![AlertKind::AbnormalPrice]);
}

#[test]
fn p3_prices_are_not_judged_on_fewer_samples_than_the_minimum_and_old_ones_leave_the_window() {
    let mut a = Analytics::new(Thresholds::default());
    for (deal, unit) in [(1, "100"), (2, "100"), (3, "100"), (4, "100")] {
        a.trade(&trade(deal, deal as i64, unit, "1"));
    }
    assert!(a.trade(&trade(5, 5, "500", "1")).alerts.is_empty(), "four samples judge nothing");
    // 91 days later the window holds none of them.
    let mut late = trade(6, 91 * 24 * 60, "900", "1");
    late.trade.ts = at(0).plus_ms(91 * DAY);
    assert!(a.trade(&late).alerts.is_empty());
    assert_eq!(a.reference(ProductId(3), city()).map(|q| q.samples), Some(1));
}

#[test]
fn p3_a_bid_well_below_the_lower_quartile_is_abnormally_low() {
    let mut a = Analytics::new(Thresholds::default());
    for (deal, unit) in [(1, "100"), (2, "110"), (3, "120"), (4, "130"), (5, "140")] {
        a.trade(&trade(deal, deal as i64, unit, "1"));
    }
    let bid = |p: &str| BidFacts {
        auction: DealId(50),
        product: ProductId(3),
        market: city(),
        region: "330106".parse().expect("region"),
        bidder: ParticipantId(21),
        price: price(p),
        ts: at(30),
        seq: Seq(50),
    };
    // Q1 is 110; the floor is 110 x 0.7 = 77.
    assert!(a.bid(&bid("77")).alerts.is_empty());
    assert_eq!(a.bid(&bid("76.99")).alerts.len(), 1);
    assert_eq!(kinds(&a), vec![AlertKind::AbnormalBid]);
}

#[test]
fn p4_direct_orders_split_under_the_tender_threshold_in_a_year_raise_one_alert() {
    let mut a = Analytics::new(Thresholds::default());
    // Three orders of 1,500,000.00 on one project and category: the third passes 4,000,000.00.
    assert!(a.trade(&trade(1, 0, "1500000", "1")).alerts.is_empty());
    assert!(a.trade(&trade(2, 60, "1500000", "1")).alerts.is_empty());
    let raised = a.trade(&trade(3, 120, "1500000", "1")).alerts;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, AlertKind::SplitPurchase);
    assert_eq!(raised[0].figures["total"], "4500000.00");
    assert_eq!(raised[0].figures["orders"], "3");
    // Once raised, later orders of the same year raise nothing more.
    assert!(a.trade(&trade(4, 180, "1500000", "1")).alerts.is_empty());
    assert_eq!(kinds(&a), vec![AlertKind::SplitPurchase]);
}

#[test]
fn p4_orders_within_a_week_passing_the_direct_order_limit_while_each_stays_below_it_are_split() {
    let mut a = Analytics::new(Thresholds::default());
    let with_limit = |deal, minutes, unit: &str| {
        let mut facts = trade(deal, minutes, unit, "1");
        facts.direct_order_limit = Some(amount("100000"));
        facts
    };
    assert!(a.trade(&with_limit(1, 0, "60000")).alerts.is_empty());
    let raised = a.trade(&with_limit(2, 3 * 24 * 60, "50000")).alerts;
    assert_eq!(raised.iter().map(|r| r.kind).collect::<Vec<_>>(), vec![AlertKind::SplitPurchase]);
    assert_eq!(raised[0].figures["limit"], "100000.00");
    // Already past the limit in the window: no second alert; eight days on, a fresh window.
    assert!(a.trade(&with_limit(3, 4 * 24 * 60, "10000")).alerts.is_empty());
    assert!(a.trade(&with_limit(4, 13 * 24 * 60, "90000")).alerts.is_empty());
    assert_eq!(a.alerts().len(), 1);
    // The week's sum forgets the orders that left it: 90,000 now, and the next 20,000 crosses.
    let raised = a.trade(&with_limit(5, 14 * 24 * 60, "20000")).alerts;
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].figures["total"], "110000.00");
}

fn closed(auction: u64, ring: &[(u64, &str)], winner: Option<u64>, bidders: u32) -> AuctionFacts {
    AuctionFacts {
        auction: DealId(auction),
        category: desktops(),
        region: "330106".parse().expect("region"),
        winner: winner.map(ParticipantId),
        bidders,
        standings: ring
            .iter()
            .enumerate()
            .map(|(i, (b, p))| Standing {
                bidder: ParticipantId(*b),
                product: engine::types::ProductId(1),
                price: price(p),
                receipt: Seq(auction * 10 + i as u64),
                at: at(0),
            })
            .collect(),
        ts: at(i64::try_from(auction).unwrap_or(0)),
        seq: Seq(auction),
    }
}

#[test]
fn p4_a_ring_of_suppliers_taking_turns_to_win_raises_one_rotation_alert() {
    let mut a = Analytics::new(Thresholds::default());
    let ring = |low: u64| {
        let mut r = vec![(31, "900"), (32, "950"), (33, "990")];
        r.iter_mut().for_each(|(b, p)| {
            if *b == low {
                *p = "800"
            }
        });
        r
    };
    for (auction, winner) in [(1, 31), (2, 32), (3, 33)] {
        assert!(
            a.auction_closed(&closed(auction, &ring(winner), Some(winner), 3)).alerts.is_empty()
        );
    }
    let raised = a.auction_closed(&closed(4, &ring(31), Some(31), 3)).alerts;
    assert_eq!(raised.iter().map(|r| r.kind).collect::<Vec<_>>(), vec![AlertKind::BidRotation]);
    assert_eq!(raised[0].figures["ring"], "31,32,33");
    assert_eq!(raised[0].figures["winners"], "31,32,33,31");
    // A different set of bidders breaks the pattern: nothing more.
    let others = [(31, "800"), (34, "850"), (35, "870")];
    assert!(a.auction_closed(&closed(5, &others, Some(31), 3)).alerts.is_empty());
    assert_eq!(kinds(&a), vec![AlertKind::BidRotation]);
}

#[test]
fn p4_a_deal_with_too_few_bidders_and_near_identical_bids_each_raise_an_alert() {
    let mut a = Analytics::new(Thresholds::default());
    let raised =
        a.auction_closed(&closed(1, &[(31, "1000.00"), (32, "1000.90")], Some(31), 2)).alerts;
    assert_eq!(
        raised.iter().map(|r| r.kind).collect::<Vec<_>>(),
        vec![AlertKind::FewBidders, AlertKind::IdenticalBids]
    );
    // 0.2 % apart is not near-identical; three bidders are enough.
    let fair = [(31, "1000.00"), (32, "1002.00"), (33, "1010.00")];
    assert!(a.auction_closed(&closed(2, &fair, Some(31), 3)).alerts.is_empty());
    assert_eq!(a.alerts().len(), 2);
}

#[test]
fn the_same_facts_in_the_same_order_give_the_same_analytics() {
    let facts: Vec<_> = (1..=20)
        .map(|d| trade(d, d as i64 * 7, &format!("{}", 100 + (d * 37) % 50), "1"))
        .collect();
    let fold = || {
        let mut a = Analytics::new(Thresholds::default());
        facts.iter().for_each(|f| drop(a.trade(f)));
        a
    };
    assert_eq!(fold(), fold());
}

#[test]
fn p1_the_category_index_compares_each_day_with_every_products_base_price() {
    let mut a = Analytics::new(Thresholds::default());
    let other = |deal, minutes, unit: &str| {
        let mut facts = trade(deal, minutes, unit, "1");
        facts.trade.product = ProductId(4);
        facts
    };
    // Day one: each product's first trade is its base: the index is 100.00.
    a.trade(&trade(1, 0, "100", "1"));
    let first = a.trade(&other(2, 1, "200")).index.expect("an index point");
    assert_eq!((first.value(), first.trades), ("100.00".to_string(), 2));
    // Day two: (110 + 200) / (100 + 200) = 103.33.
    a.trade(&trade(3, 24 * 60, "110", "1"));
    let second = a.trade(&other(4, 24 * 60 + 1, "200")).index.expect("an index point");
    assert_eq!(second.value(), "103.33");
    let days: Vec<_> = a.index(desktops(), at(-600), at(3 * 24 * 60)).map(|p| p.value()).collect();
    assert_eq!(days, vec!["100.00", "103.33"]);
    // A trade stamped back on day one (the engine's clock never does so, but the days must hold
    // whatever the order) joins day one, and the days stay in order.
    let late = a.trade(&trade(5, 30, "100", "1")).index.expect("an index point");
    assert_eq!((late.day, late.trades, late.value()), (first.day, 3, "100.00".to_string()));
    let all: Vec<_> = a.all_index().map(|p| (p.day, p.trades)).collect();
    assert_eq!(all, vec![(first.day, 3), (second.day, 2)]);
    assert_eq!(a.index(desktops(), at(3 * 24 * 60), at(-600)).count(), 0, "a reversed range");
}

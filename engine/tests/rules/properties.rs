//! Invariants under any sequence of commands: B-1 at every moment, the ledger rebuilds every
//! balance (B-4), and snapshot + replay equals the live engine.

use engine::budget::rebuild_balances;
use engine::direct::OrderRequest;
use engine::types::{
    Actor, AgreementId, BudgetLineId, ParticipantId, ProductId, Quantity, UnitPrice,
};
use engine::{Action, Engine, Event};
use proptest::prelude::*;

use crate::market::*;

/// A province in miniature: 3 products, 4 suppliers with agreements of mixed coverage, 3 purchasers.
struct World {
    market: Market,
    purchasers: Vec<(ParticipantId, BudgetLineId)>,
    products: Vec<ProductId>,
    suppliers: Vec<ParticipantId>,
    agreements: Vec<(ParticipantId, AgreementId)>,
}

fn world() -> World {
    let mut m = Market::new();
    let purchasers = [("西湖学校", XIHU), ("滨江医院", BINJIANG), ("海曙局", HAISHU)]
        .into_iter()
        .map(|(name, at)| {
            let p = m.purchaser(name, at);
            let line = m.budget(p, "60000");
            (p, line)
        })
        .collect();
    let products = vec![
        m.product("P-0", DESKTOPS, 0),
        m.product("P-1", SERVERS, 0),
        m.product("P-2", "A05000000", 2),
    ];
    let suppliers: Vec<_> = (0..4).map(|i| m.supplier(&format!("供应商{i}"))).collect();
    let mut agreements = Vec::new();
    for (i, s) in suppliers.iter().enumerate() {
        for (j, p) in products.iter().enumerate() {
            let coverage: &[&str] = match (i + j) % 3 {
                0 => &[PROVINCE],
                1 => &[HANGZHOU],
                _ => &[NINGBO, XIHU],
            };
            let stock = if (i + j) % 2 == 0 { Some("40") } else { None };
            let fa = m.offering(*s, *p, coverage, "5000", "4000", stock);
            agreements.push((*s, fa));
        }
    }
    m.limit(PROVINCE, "A", "30000");
    World { market: m, purchasers, products, suppliers, agreements }
}

#[derive(Clone, Debug)]
enum Op {
    Order {
        who: usize,
        product: usize,
        quantity: i64,
        named: Option<usize>,
        limit: Option<i64>,
        aon: bool,
    },
    Offer {
        agreement: usize,
        price: i64,
    },
    Stock {
        agreement: usize,
        stock: Option<i64>,
    },
    Ceiling {
        agreement: usize,
        ceiling: i64,
    },
    Adjust {
        who: usize,
        allocated: i64,
    },
    Settle {
        trade: usize,
        step: u8,
    },
    Suspend {
        supplier: usize,
        suspend: bool,
    },
    Wait {
        hours: i64,
    },
    Auction {
        who: usize,
        product: usize,
        quantity: i64,
        hours: i64,
    },
    Bid {
        auction: usize,
        supplier: usize,
        price: i64,
    },
    CancelAuction {
        auction: usize,
        operator: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3_usize, 0..3_usize, 1..25_i64, proptest::option::of(0..4_usize), proptest::option::of(3000..5200_i64), any::<bool>())
            .prop_map(|(who, product, quantity, named, limit, aon)| Op::Order { who, product, quantity, named, limit, aon }),
        3 => (0..12_usize, 1..5500_i64).prop_map(|(agreement, price)| Op::Offer { agreement, price }),
        1 => (0..12_usize, proptest::option::of(0..30_i64)).prop_map(|(agreement, stock)| Op::Stock { agreement, stock }),
        1 => (0..12_usize, 2000..6000_i64).prop_map(|(agreement, ceiling)| Op::Ceiling { agreement, ceiling }),
        1 => (0..3_usize, 0..120_000_i64).prop_map(|(who, allocated)| Op::Adjust { who, allocated }),
        4 => (0..64_usize, 0..5_u8).prop_map(|(trade, step)| Op::Settle { trade, step }),
        1 => (0..4_usize, any::<bool>()).prop_map(|(supplier, suspend)| Op::Suspend { supplier, suspend }),
        1 => (0..2000_i64).prop_map(|hours| Op::Wait { hours }),
        1 => (0..3_usize, 0..3_usize, 1..10_i64, 1..48_i64)
            .prop_map(|(who, product, quantity, hours)| Op::Auction { who, product, quantity, hours }),
        3 => (0..8_usize, 0..4_usize, 3000..5001_i64)
            .prop_map(|(auction, supplier, price)| Op::Bid { auction, supplier, price }),
        1 => (0..8_usize, any::<bool>()).prop_map(|(auction, operator)| Op::CancelAuction { auction, operator }),
    ]
}

fn run(w: &mut World, op: &Op) {
    let m = &mut w.market;
    let (actor, action) = match op.clone() {
        Op::Order { who, product, quantity, named, limit, aon } => {
            let (p, line) = w.purchasers[who];
            let request = OrderRequest {
                product: w.products[product],
                quantity: Quantity::from_minor(quantity * 1000),
                budget_line: line,
                supplier: named.map(|i| w.suppliers[i]),
                limit_price: limit.map(|l| UnitPrice::from_minor(l * 10_000)),
                all_or_nothing: aon,
            };
            (as_user(p), Action::PlaceOrder(request))
        }
        Op::Offer { agreement, price } => {
            let (s, fa) = w.agreements[agreement];
            (
                as_user(s),
                Action::SetOffer { agreement: fa, price: UnitPrice::from_minor(price * 10_000) },
            )
        }
        Op::Stock { agreement, stock } => {
            let (s, fa) = w.agreements[agreement];
            let stock = stock.map(|q| Quantity::from_minor(q * 1000));
            (as_user(s), Action::SetStock { agreement: fa, stock })
        }
        Op::Ceiling { agreement, ceiling } => {
            let (_, fa) = w.agreements[agreement];
            (
                Actor::SYSTEM,
                Action::ChangeCeiling {
                    agreement: fa,
                    ceiling: UnitPrice::from_minor(ceiling * 10_000),
                },
            )
        }
        Op::Adjust { who, allocated } => {
            let (_, line) = w.purchasers[who];
            let allocated = engine::types::Amount::from_minor(allocated * 100);
            (Actor::SYSTEM, Action::AdjustBudget { line, allocated, reason: "调整".into() })
        }
        Op::Settle { trade, step } => {
            let count = m.engine.trades().count();
            if count == 0 {
                return;
            }
            let t = m.engine.trades().nth(trade % count).expect("trade").trade;
            let id = t.id;
            match step {
                0 => (as_user(t.supplier), Action::RecordDelivery { trade: id }),
                1 => (as_user(t.purchaser), Action::AcceptDelivery { trade: id }),
                2 => (as_user(t.purchaser), Action::RecordPayment { trade: id }),
                3 => (
                    as_user(t.supplier),
                    Action::DeclineContract { trade: id, reason: "拒签".into() },
                ),
                _ => (Actor::SYSTEM, Action::CancelTrade { trade: id, reason: "撤销".into() }),
            }
        }
        Op::Suspend { supplier, suspend } => {
            let supplier = w.suppliers[supplier];
            let reason = "核查".to_string();
            if suspend {
                (Actor::SYSTEM, Action::SuspendSupplier { supplier, reason })
            } else {
                (Actor::SYSTEM, Action::ReinstateSupplier { supplier, reason })
            }
        }
        Op::Wait { hours } => {
            m.now = m.now.plus_ms(hours * 3_600_000);
            return;
        }
        Op::Auction { who, product, quantity, hours } => {
            let (p, line) = w.purchasers[who];
            let spec = engine::auction::AuctionSpec {
                product: w.products[product],
                quantity: Quantity::from_minor(quantity * 1000),
                budget_line: line,
                ceiling: UnitPrice::from_minor(50_000_000),
                starts: m.now,
                ends: m.now.plus_ms(hours * 3_600_000),
                min_step: engine::auction::MinStep::Price(UnitPrice::from_minor(100_000)),
                soft_close_ms: 600_000,
                extension_ms: 600_000,
                max_extension_ms: 3_600_000,
                min_bidders: 2,
                disclosure: engine::auction::Disclosure::BestPrice,
                must_beat_best: false,
                eligibility: engine::auction::Eligibility::AgreementHolders,
            };
            (as_user(p), Action::OpenAuction(spec))
        }
        Op::Bid { auction, supplier, price } => {
            let ids: Vec<_> = m.engine.auctions().map(|a| a.id).collect();
            let Some(id) = ids.get(auction % ids.len().max(1)).copied() else { return };
            let price = UnitPrice::from_minor(price * 10_000);
            (as_user(w.suppliers[supplier]), Action::SubmitBid { auction: id, price })
        }
        Op::CancelAuction { auction, operator } => {
            let found: Vec<_> = m.engine.auctions().map(|a| (a.id, a.purchaser)).collect();
            let Some((id, purchaser)) = found.get(auction % found.len().max(1)).copied() else {
                return;
            };
            let actor = if operator { Actor::SYSTEM } else { as_user(purchaser) };
            (actor, Action::CancelAuction { auction: id, reason: "需求变更".into() })
        }
    };
    m.exec(actor, action);
}

fn assert_balances_never_negative(engine: &Engine) {
    for line in engine.budget_lines() {
        let b = line.balance;
        assert!(b.available().minor() >= 0, "B-1: {} available {}", line.id, b.available());
        for part in [b.held, b.committed, b.paid] {
            assert!(part.minor() >= 0, "{} has a negative part: {b:?}", line.id);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn b1_available_budget_is_never_negative_under_any_sequence_of_commands(ops in proptest::collection::vec(op(), 1..80)) {
        let mut w = world();
        for op in &ops {
            run(&mut w, op);
            assert_balances_never_negative(&w.market.engine);
        }
    }

    #[test]
    fn b4_the_ledger_alone_rebuilds_every_balance(ops in proptest::collection::vec(op(), 1..80)) {
        let mut w = world();
        for op in &ops {
            run(&mut w, op);
        }
        let entries: Vec<_> = w.market.log.iter().filter_map(|e| match &e.event {
            Event::BudgetMoved(entry) => Some(*entry),
            _ => None,
        }).collect();
        let rebuilt = rebuild_balances(&entries);
        for line in w.market.engine.budget_lines() {
            prop_assert_eq!(rebuilt.get(&line.id), Some(&line.balance));
        }
    }

    #[test]
    fn snapshot_plus_replay_of_the_rest_equals_the_live_engine(
        ops in proptest::collection::vec(op(), 1..80),
        cut in 0.0..1.0_f64,
    ) {
        let mut w = world();
        for op in &ops {
            run(&mut w, op);
        }
        let commands = &w.market.commands;
        let k = ((commands.len() as f64) * cut) as usize;
        let mut engine = Engine::new();
        let mut events = Vec::new();
        for (command, at) in &commands[..k] {
            engine.apply(command.clone(), *at, &mut events);
        }
        let mut restored = Engine::restore(&engine.snapshot()).expect("restore");
        for (command, at) in &commands[k..] {
            restored.apply(command.clone(), *at, &mut events);
        }
        prop_assert_eq!(restored.state_hash(), w.market.engine.state_hash());
        prop_assert_eq!(&events, &w.market.log);
    }
}

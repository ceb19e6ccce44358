//! The hot path allocates nothing per command: direct orders and offer changes reuse the engine's
//! buffers and the caller's event buffer. What remains is amortized growth of state (the trade table
//! doubling, a B-tree node splitting now and then), so over many commands the count of allocations
//! stays a small fraction of the count of commands.
//!
//! A test binary of its own, since it installs a counting global allocator.

use engine::budget::Allocation;
use engine::catalog::{Grant, ParticipantKind, ProductSpec, Registration};
use engine::direct::OrderRequest;
use engine::types::{
    Actor, AgreementId, Amount, BudgetLineId, CreditCode, ParticipantId, ProductId, Quantity,
    Timestamp, UnitPrice, UserId,
};
use engine::{Action, Command, Engine, Event, EventEnvelope};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const PRODUCTS: u64 = 50;
const SUPPLIERS: u64 = 20;
const PURCHASERS: u64 = 200;
const WARM_UP: u64 = 20_000;
const MEASURED: u64 = 20_000;

struct Market {
    engine: Engine,
    out: Vec<EventEnvelope>,
    now: Timestamp,
}

impl Market {
    fn apply(&mut self, actor: Actor, action: Action) -> u64 {
        self.out.clear();
        let seq = self.engine.apply(Command::new(actor, action), self.now, &mut self.out);
        if let Some(Event::Rejected { reason, .. }) = self.out.first().map(|e| &e.event) {
            panic!("set-up refused: {reason}");
        }
        seq.0
    }
}

fn code(n: u64) -> CreditCode {
    let first17 = format!("91330100MA{n:07}");
    let check = CreditCode::check_char(first17.as_bytes()).expect("alphabet");
    format!("{first17}{}", char::from(check)).parse().expect("valid")
}

/// A supplier and one of its agreements.
type Holding = (ParticipantId, AgreementId);

/// The market and what commands refer to.
struct Scene {
    market: Market,
    purchasers: Vec<(ParticipantId, BudgetLineId)>,
    products: Vec<ProductId>,
    agreements: Vec<Holding>,
}

/// A market of `PRODUCTS` products, each offered by every supplier province-wide without stock
/// limits, and purchasers with budgets far above what the test spends.
fn market() -> Scene {
    let now = Timestamp::shanghai_midnight(time::macros::date!(2026 - 06 - 15));
    let mut m = Market { engine: Engine::new(), out: Vec::with_capacity(64), now };
    let province = "330000".parse().expect("code");
    m.apply(
        Actor::SYSTEM,
        Action::DefineRegion { code: province, name: "浙江省".into(), parent: None },
    );
    let category = "A".parse().expect("code");
    m.apply(
        Actor::SYSTEM,
        Action::DefineCategory { code: category, name: "货物".into(), parent: None },
    );
    let products: Vec<_> = (0..PRODUCTS)
        .map(|n| {
            ProductId(m.apply(
                Actor::SYSTEM,
                Action::DefineProduct(ProductSpec {
                    sku: format!("SKU-{n}"),
                    category,
                    brand: "品牌".into(),
                    model: format!("M{n}"),
                    spec: "规格".into(),
                    unit: "台".into(),
                    scale: 0,
                }),
            ))
        })
        .collect();
    let mut agreements = Vec::new();
    for s in 0..SUPPLIERS {
        let supplier = ParticipantId(m.apply(
            Actor::SYSTEM,
            Action::RegisterParticipant(Registration {
                kind: ParticipantKind::Supplier,
                name: format!("供应商{s}"),
                credit_code: Some(code(s)),
                region: None,
            }),
        ));
        for product in &products {
            let agreement = AgreementId(m.apply(
                Actor::SYSTEM,
                Action::GrantAgreement(Grant {
                    supplier,
                    product: *product,
                    regions: vec![province],
                    ceiling: UnitPrice::from_minor(50_000_000),
                    valid_from: time::macros::date!(2026 - 01 - 01),
                    valid_to: time::macros::date!(2026 - 12 - 31),
                    stock: None,
                }),
            ));
            let price =
                UnitPrice::from_minor(40_000_000 + i64::try_from(s).expect("small") * 10_000);
            m.apply(Actor::new(supplier, UserId(1)), Action::SetOffer { agreement, price });
            agreements.push((supplier, agreement));
        }
    }
    let purchasers = (0..PURCHASERS)
        .map(|n| {
            let purchaser = ParticipantId(m.apply(
                Actor::SYSTEM,
                Action::RegisterParticipant(Registration {
                    kind: ParticipantKind::Purchaser,
                    name: format!("采购单位{n}"),
                    credit_code: None,
                    region: Some(province),
                }),
            ));
            let line = BudgetLineId(m.apply(
                Actor::SYSTEM,
                Action::AllocateBudget(Allocation {
                    purchaser,
                    fiscal_year: 2026,
                    project: "项目".into(),
                    line_code: "01".into(),
                    amount: Amount::from_minor(1_000_000_000_000),
                }),
            ));
            (purchaser, line)
        })
        .collect();
    Scene { market: m, purchasers, products, agreements }
}

/// The `i`th command of a steady mix: three orders (best offer, named supplier) to one offer change.
fn command(
    i: u64,
    purchasers: &[(ParticipantId, BudgetLineId)],
    products: &[ProductId],
    agreements: &[Holding],
) -> Command {
    let pick = |n: u64, len: usize| {
        usize::try_from(n.wrapping_mul(2_654_435_761) % len as u64).expect("fits")
    };
    if i % 4 == 3 {
        let (supplier, agreement) = agreements[pick(i, agreements.len())];
        let price =
            UnitPrice::from_minor(39_000_000 + i64::try_from(i % 1_000).expect("small") * 10_000);
        Command::new(Actor::new(supplier, UserId(1)), Action::SetOffer { agreement, price })
    } else {
        let (purchaser, line) = purchasers[pick(i, purchasers.len())];
        let named = (i % 4 == 1).then(|| agreements[pick(i + 7, agreements.len())].0);
        Command::new(
            Actor::new(purchaser, UserId(2)),
            Action::PlaceOrder(OrderRequest {
                product: products[pick(i + 3, products.len())],
                quantity: Quantity::from_minor(1_000 * i64::try_from(1 + i % 5).expect("small")),
                budget_line: line,
                supplier: named,
                limit_price: None,
                all_or_nothing: i.is_multiple_of(10),
            }),
        )
    }
}

#[test]
fn direct_orders_and_offer_changes_allocate_nothing_per_command_beyond_amortized_growth() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let Scene { market: mut m, purchasers, products, agreements } = market();
    let run = |from: u64, to: u64, m: &mut Market| {
        let mut commands: Vec<Command> =
            (from..to).map(|i| command(i, &purchasers, &products, &agreements)).collect();
        // Commands are built outside the measured span; the engine consumes them by value.
        let before = dhat::HeapStats::get().total_blocks;
        for command in commands.drain(..) {
            m.out.clear();
            m.engine.apply(command, m.now, &mut m.out);
        }
        dhat::HeapStats::get().total_blocks - before
    };
    run(0, WARM_UP, &mut m);
    let allocations = run(WARM_UP, WARM_UP + MEASURED, &mut m);
    let trades = m.engine.trades().count();
    eprintln!("{allocations} allocations over {MEASURED} commands, {trades} trades");
    assert!(trades > 10_000, "the mix must actually trade: {trades}");
    assert!(
        allocations * 100 < MEASURED,
        "{allocations} allocations over {MEASURED} commands: more than amortized growth"
    );
}

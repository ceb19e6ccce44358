//! A small province to test in: Zhejiang with two cities and three districts, a slice of the
//! catalog, and helpers that issue commands as the right actor and check their outcome.

use engine::budget::Allocation;
use engine::catalog::{Grant, ParticipantKind, ProductSpec, Registration};
use engine::direct::OrderRequest;
use engine::types::{
    Actor, AgreementId, Amount, BudgetLineId, CategoryCode, CreditCode, ParticipantId, ProductId,
    Quantity, RegionCode, Timestamp, TradeId, UnitPrice, UserId,
};
use engine::{Action, Command, Engine, Event, EventEnvelope, Reason};
use time::macros::date;

/// 2026-06-15 10:00 in Shanghai.
pub const NOON_ISH: Timestamp = Timestamp(1_781_488_800_000);

pub const PROVINCE: &str = "330000";
pub const HANGZHOU: &str = "330100";
pub const XIHU: &str = "330106";
pub const BINJIANG: &str = "330108";
pub const NINGBO: &str = "330200";
pub const HAISHU: &str = "330203";
pub const DESKTOPS: &str = "A02010105";
pub const SERVERS: &str = "A02010104";

pub fn region(code: &str) -> RegionCode {
    code.parse().expect("test region code")
}

pub fn category(code: &str) -> CategoryCode {
    code.parse().expect("test category code")
}

pub fn price(text: &str) -> UnitPrice {
    UnitPrice::parse(text).expect("test price")
}

pub fn amount(text: &str) -> Amount {
    Amount::parse(text).expect("test amount")
}

pub fn qty(text: &str) -> Quantity {
    Quantity::parse(text).expect("test quantity")
}

/// A valid unified social credit code, distinct for each `n`.
pub fn credit_code(n: u32) -> CreditCode {
    let first17 = format!("91330100MA{n:07}");
    let check = CreditCode::check_char(first17.as_bytes()).expect("alphabet") as char;
    format!("{first17}{check}").parse().expect("valid code")
}

/// The engine with every event it produced and the clock of the test.
pub struct Market {
    pub engine: Engine,
    pub now: Timestamp,
    pub log: Vec<EventEnvelope>,
    pub commands: Vec<(Command, Timestamp)>,
    next_code: u32,
}

impl Market {
    /// Regions and categories loaded, nothing else.
    pub fn new() -> Self {
        let mut market = Market {
            engine: Engine::new(),
            now: NOON_ISH,
            log: Vec::new(),
            commands: Vec::new(),
            next_code: 1,
        };
        for (code, name, parent) in [
            (PROVINCE, "浙江省", None),
            (HANGZHOU, "杭州市", Some(PROVINCE)),
            (XIHU, "西湖区", Some(HANGZHOU)),
            (BINJIANG, "滨江区", Some(HANGZHOU)),
            (NINGBO, "宁波市", Some(PROVINCE)),
            (HAISHU, "海曙区", Some(NINGBO)),
        ] {
            market.operator(Action::DefineRegion {
                code: region(code),
                name: name.into(),
                parent: parent.map(region),
            });
        }
        for (code, name, parent) in [
            ("A", "货物", None),
            ("A02000000", "设备", Some("A")),
            ("A02010000", "信息化设备", Some("A02000000")),
            ("A02010100", "计算机", Some("A02010000")),
            (SERVERS, "服务器", Some("A02010100")),
            (DESKTOPS, "台式计算机", Some("A02010100")),
            ("A05000000", "物资", Some("A")),
        ] {
            market.operator(Action::DefineCategory {
                code: category(code),
                name: name.into(),
                parent: parent.map(category),
            });
        }
        market
    }

    /// Applies a command and returns its events.
    pub fn exec(&mut self, actor: Actor, action: Action) -> Vec<Event> {
        let command = Command::new(actor, action);
        self.commands.push((command.clone(), self.now));
        let start = self.log.len();
        self.engine.apply(command, self.now, &mut self.log);
        self.log[start..].iter().map(|e| e.event.clone()).collect()
    }

    /// Applies a command that must succeed.
    pub fn ok(&mut self, actor: Actor, action: Action) -> Vec<Event> {
        let events = self.exec(actor, action);
        if let Some(Event::Rejected { reason, .. }) = events.last() {
            panic!("refused: {reason} ({})", reason.code());
        }
        events
    }

    /// Applies a command that must be refused, and returns why. Deadlines due may have run first;
    /// the refusal is the command's last event and its only one of its own.
    pub fn refused(&mut self, actor: Actor, action: Action) -> Reason {
        let events = self.exec(actor, action);
        match events.as_slice() {
            [.., Event::Rejected { reason, .. }] => *reason,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    pub fn operator(&mut self, action: Action) -> Vec<Event> {
        self.ok(Actor::SYSTEM, action)
    }

    pub fn last_seq_id(&self) -> u64 {
        self.engine.seq().0
    }

    pub fn supplier(&mut self, name: &str) -> ParticipantId {
        let code = credit_code(self.next_code);
        self.next_code += 1;
        self.operator(Action::RegisterParticipant(Registration {
            kind: ParticipantKind::Supplier,
            name: name.into(),
            credit_code: Some(code),
            region: None,
        }));
        ParticipantId(self.last_seq_id())
    }

    pub fn purchaser(&mut self, name: &str, at: &str) -> ParticipantId {
        self.operator(Action::RegisterParticipant(Registration {
            kind: ParticipantKind::Purchaser,
            name: name.into(),
            credit_code: None,
            region: Some(region(at)),
        }));
        ParticipantId(self.last_seq_id())
    }

    pub fn product(&mut self, sku: &str, cat: &str, scale: u8) -> ProductId {
        self.operator(Action::DefineProduct(ProductSpec {
            sku: sku.into(),
            category: category(cat),
            brand: "联想".into(),
            model: sku.into(),
            spec: "i5/16G/512G".into(),
            unit: "台".into(),
            scale,
        }));
        ProductId(self.last_seq_id())
    }

    /// An agreement valid through 2026 with the given coverage, ceiling and stock.
    pub fn agreement(
        &mut self,
        supplier: ParticipantId,
        product: ProductId,
        regions: &[&str],
        ceiling: &str,
        stock: Option<&str>,
    ) -> AgreementId {
        self.operator(Action::GrantAgreement(Grant {
            supplier,
            product,
            regions: regions.iter().map(|c| region(c)).collect(),
            ceiling: price(ceiling),
            valid_from: date!(2026 - 01 - 01),
            valid_to: date!(2026 - 12 - 31),
            stock: stock.map(qty),
        }));
        AgreementId(self.last_seq_id())
    }

    pub fn offer(&mut self, supplier: ParticipantId, agreement: AgreementId, at: &str) {
        self.ok(as_user(supplier), Action::SetOffer { agreement, price: price(at) });
    }

    /// An agreement with an offer set at `at`.
    pub fn offering(
        &mut self,
        supplier: ParticipantId,
        product: ProductId,
        regions: &[&str],
        ceiling: &str,
        at: &str,
        stock: Option<&str>,
    ) -> AgreementId {
        let agreement = self.agreement(supplier, product, regions, ceiling, stock);
        self.offer(supplier, agreement, at);
        agreement
    }

    pub fn budget(&mut self, purchaser: ParticipantId, allocated: &str) -> BudgetLineId {
        self.budget_for_year(purchaser, allocated, 2026)
    }

    pub fn budget_for_year(
        &mut self,
        purchaser: ParticipantId,
        allocated: &str,
        year: i32,
    ) -> BudgetLineId {
        let line_code = format!("L{}", self.last_seq_id() + 1);
        self.operator(Action::AllocateBudget(Allocation {
            purchaser,
            fiscal_year: year,
            project: "办公设备购置".into(),
            line_code,
            amount: amount(allocated),
        }));
        BudgetLineId(self.last_seq_id())
    }

    pub fn limit(&mut self, at: &str, cat: &str, limit: &str) {
        self.operator(Action::SetDirectOrderLimit {
            region: region(at),
            category: category(cat),
            limit: Some(amount(limit)),
        });
    }

    pub fn available(&self, line: BudgetLineId) -> Amount {
        self.engine.budget_line(line).expect("line").balance.available()
    }

    pub fn stock(&self, agreement: AgreementId) -> Option<Quantity> {
        self.engine.agreement(agreement).expect("agreement").stock
    }
}

/// A user of the participant.
/// An operator of the region `at`, or of the platform's own centre when `None`.
pub fn operator_of(m: &mut Market, name: &str, at: Option<&str>) -> ParticipantId {
    m.operator(Action::RegisterParticipant(Registration {
        kind: ParticipantKind::Operator,
        name: name.into(),
        credit_code: None,
        region: at.map(region),
    }));
    ParticipantId(m.last_seq_id())
}

pub fn as_user(participant: ParticipantId) -> Actor {
    Actor::new(participant, UserId(participant.0 * 10))
}

/// A best-offer order for `quantity` paid from `line`.
pub fn order(product: ProductId, quantity: &str, line: BudgetLineId) -> OrderRequest {
    OrderRequest {
        product,
        quantity: qty(quantity),
        budget_line: line,
        supplier: None,
        limit_price: None,
        all_or_nothing: false,
    }
}

/// The trades among events.
pub fn trades(events: &[Event]) -> Vec<engine::settlement::Trade> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::TradeStruck(t) => Some(*t),
            _ => None,
        })
        .collect()
}

/// The id of the first trade among events.
pub fn first_trade(events: &[Event]) -> TradeId {
    trades(events).first().expect("a trade").id
}

/// A standard scene: a Xihu school with a budget, two suppliers offering desktops province-wide.
pub struct Scene {
    pub market: Market,
    pub school: ParticipantId,
    pub line: BudgetLineId,
    pub desktop: ProductId,
    pub lenovo: ParticipantId,
    pub dell: ParticipantId,
    pub lenovo_fa: AgreementId,
    pub dell_fa: AgreementId,
}

impl Scene {
    /// Lenovo offers 4,800 (stock 10), Dell 4,900 (stock 20), both under a 5,000 ceiling; the school
    /// has 100,000.00 for 2026.
    pub fn new() -> Self {
        let mut market = Market::new();
        let school = market.purchaser("杭州市西湖区第一小学", XIHU);
        let line = market.budget(school, "100000");
        let desktop = market.product("LENOVO-M720", DESKTOPS, 0);
        let lenovo = market.supplier("联想（北京）有限公司");
        let dell = market.supplier("戴尔（中国）有限公司");
        let lenovo_fa = market.offering(lenovo, desktop, &[PROVINCE], "5000", "4800", Some("10"));
        let dell_fa = market.offering(dell, desktop, &[PROVINCE], "5000", "4900", Some("20"));
        Scene { market, school, line, desktop, lenovo, dell, lenovo_fa, dell_fa }
    }

    pub fn buy(&mut self, quantity: &str) -> Vec<Event> {
        let request = order(self.desktop, quantity, self.line);
        self.market.ok(as_user(self.school), Action::PlaceOrder(request))
    }

    pub fn refuse(&mut self, request: OrderRequest) -> Reason {
        self.market.refused(as_user(self.school), Action::PlaceOrder(request))
    }
}

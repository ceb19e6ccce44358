//! The demo province: Zhejiang's real regions and catalog categories, with generated products,
//! suppliers and their framework agreements and offers, purchasing units and their budget lines,
//! and direct-order limits, loaded through ordinary engine commands so a journal holds it all.
//!
//! Generation is deterministic (a seeded ChaCha stream), so every new marketplace starts alike.

mod contests;
mod day;
mod goods;
pub mod history;
pub mod inquiry;
mod journal_sink;
pub mod live;
pub mod living;
mod names;

pub use contests::{Contest, contests};
pub use day::{DaySummary, ScriptStep, day_commands, day_script, trade_a_day};
pub use journal_sink::JournalSink;

/// Loads the demo province into `sink` as of `start`, then trades the working days from then up
/// to the day before `now` (none when `start` is today), sealing its inquiries' quotes with
/// `sealer`.
pub fn load_with_history(
    sink: &mut JournalSink,
    start: Timestamp,
    now: Timestamp,
    sealer: Option<&crate::sealing::Sealer>,
) -> anyhow::Result<DemoProvince> {
    let (first, today) = (engine::types::shanghai_date(start), engine::types::shanghai_date(now));
    let province = load(sink, first, DemoSizes::default())?;
    if first < today {
        let done = history::backfill(sink, &province, first, today, sealer)?;
        tracing::info!(
            days = done.days,
            commands = done.commands,
            taken = done.taken,
            "demo history traded"
        );
    }
    Ok(province)
}

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use engine::budget::Allocation;
use engine::catalog::{EnterpriseSize, Grant, ParticipantKind, ProductSpec, Registration};
use engine::types::{
    Actor, AgreementId, Amount, BudgetLineId, CategoryCode, ParticipantId, ProductId, RegionCode,
    Seq, Timestamp, UnitPrice, UserId,
};
use engine::{Action, Command, Engine, Event, EventEnvelope};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::Deserialize;
use time::Date;

const REGIONS_CSV: &str = include_str!("../../data/regions-zhejiang.csv");
const CATALOG_CSV: &str = include_str!("../../data/procurement-catalog.csv");

/// Where demo commands go: an engine directly, or the gateway's engine handle.
pub trait CommandSink {
    /// Applies a command; returns its sequence, or an error when the engine refused it.
    fn submit(&mut self, command: Command) -> anyhow::Result<Seq>;
}

/// An engine driven in-process at a clock the caller sets, keeping every event.
#[derive(Debug, Default)]
pub struct Driver {
    /// The engine.
    pub engine: Engine,
    /// The time commands are applied at.
    pub now: Timestamp,
    /// Every event produced.
    pub events: Vec<EventEnvelope>,
}

impl CommandSink for Driver {
    fn submit(&mut self, command: Command) -> anyhow::Result<Seq> {
        let start = self.events.len();
        let seq = self.engine.apply(command, self.now, &mut self.events);
        if let Some(Event::Rejected { action, reason }) = self.events.get(start).map(|e| &e.event) {
            bail!("{action:?} refused: {reason} ({})", reason.code());
        }
        Ok(seq)
    }
}

/// How big the demo is.
#[derive(Clone, Copy, Debug)]
pub struct DemoSizes {
    /// Suppliers.
    pub suppliers: usize,
    /// Purchasing units.
    pub purchasers: usize,
    /// Variants of each catalog model (sizes, configurations): 1 gives a few hundred products.
    pub variants: usize,
}

impl Default for DemoSizes {
    fn default() -> Self {
        Self { suppliers: 200, purchasers: 2_000, variants: 1 }
    }
}

/// A purchasing unit of the demo with its budget lines.
#[derive(Clone, Debug)]
pub struct DemoPurchaser {
    /// Participant id.
    pub id: ParticipantId,
    /// Name.
    pub name: String,
    /// Region.
    pub region: RegionCode,
    /// Budget lines of the current fiscal year.
    pub lines: Vec<BudgetLineId>,
}

/// A product of the demo.
#[derive(Clone, Debug)]
pub struct DemoProduct {
    /// Product id.
    pub id: ProductId,
    /// Catalog category.
    pub category: CategoryCode,
    /// Typical unit price.
    pub typical: UnitPrice,
    /// Quantity decimals.
    pub scale: u8,
}

/// An agreement of the demo.
#[derive(Clone, Debug)]
pub struct DemoAgreement {
    /// Agreement id.
    pub id: AgreementId,
    /// Supplier.
    pub supplier: ParticipantId,
    /// Product.
    pub product: ProductId,
    /// Ceiling.
    pub ceiling: UnitPrice,
}

/// What the demo loaded, for scripts and for printing demo accounts.
#[derive(Clone, Debug)]
pub struct DemoProvince {
    /// The provincial procurement centre.
    pub operator: ParticipantId,
    /// The provincial procurement supervisor (analyst / regulator).
    pub analyst: ParticipantId,
    /// Purchasing units.
    pub purchasers: Vec<DemoPurchaser>,
    /// Suppliers.
    pub suppliers: Vec<ParticipantId>,
    /// Products.
    pub products: Vec<DemoProduct>,
    /// Agreements.
    pub agreements: Vec<DemoAgreement>,
    /// Regions by code with their names.
    pub regions: BTreeMap<RegionCode, String>,
}

impl DemoProvince {
    /// The trading population of a market read back from its engine: what a restarted marketplace
    /// scripts its next day with.
    pub fn from_engine(engine: &Engine) -> Self {
        let of_kind = |kind: ParticipantKind| engine.participants().filter(move |p| p.kind == kind);
        let mut lines: BTreeMap<ParticipantId, Vec<BudgetLineId>> = BTreeMap::new();
        for line in engine.budget_lines() {
            lines.entry(line.purchaser).or_default().push(line.id);
        }
        let purchasers = of_kind(ParticipantKind::Purchaser)
            .map(|p| DemoPurchaser {
                id: p.id,
                name: p.name.clone(),
                region: p.region.map(|c| c.region()).unwrap_or_default(),
                lines: lines.remove(&p.id).unwrap_or_default(),
            })
            .collect();
        let agreements: Vec<_> = engine
            .agreements()
            .filter(|a| !a.revoked)
            .map(|a| DemoAgreement {
                id: a.id,
                supplier: a.supplier,
                product: a.product,
                ceiling: a.ceiling,
            })
            .collect();
        let mut typical: BTreeMap<ProductId, UnitPrice> = BTreeMap::new();
        for a in &agreements {
            let entry = typical.entry(a.product).or_default();
            *entry = (*entry).max(a.ceiling);
        }
        let products = engine
            .products()
            .map(|p| DemoProduct {
                id: p.id,
                category: p.category.category(),
                typical: typical.get(&p.id).copied().unwrap_or(UnitPrice::from_minor(10_000)),
                scale: p.scale,
            })
            .collect();
        DemoProvince {
            operator: of_kind(ParticipantKind::Operator).next().map_or(ParticipantId(0), |p| p.id),
            analyst: of_kind(ParticipantKind::Analyst).next().map_or(ParticipantId(0), |p| p.id),
            purchasers,
            suppliers: of_kind(ParticipantKind::Supplier).map(|p| p.id).collect(),
            products,
            agreements,
            regions: engine.regions().map(|r| (r.code, r.name.clone())).collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct RegionRow {
    code: RegionCode,
    name: String,
    level: String,
    parent_code: String,
}

#[derive(Debug, Deserialize)]
struct CategoryRow {
    code: String,
    name: String,
    parent_code: String,
}

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo";

/// The user the demo acts with for a participant: the loader opens each demo participant's account
/// in the command right after registering it, so the account's id is the participant's plus one.
pub fn demo_user(participant: ParticipantId) -> Actor {
    Actor::new(participant, UserId(participant.0 + 1))
}

/// The hash of [`DEMO_PASSWORD`], computed once per load: demo accounts share a public password,
/// so they may share its hash too. Real accounts get a salt of their own.
fn demo_password_hash() -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt =
        SaltString::encode_b64(b"zhejiang-demo-accounts").map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = argon2::Argon2::default()
        .hash_password(DEMO_PASSWORD.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    Ok(hash.to_string())
}

fn yuan(yuan: u32) -> UnitPrice {
    UnitPrice::from_minor(i64::from(yuan) * 10_000)
}

/// Loads the demo province through `sink`, as of `today` (agreements run from the start of this
/// year to the end of the next; budget lines are for this fiscal year).
pub fn load(
    sink: &mut impl CommandSink,
    today: Date,
    sizes: DemoSizes,
) -> anyhow::Result<DemoProvince> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_221_231);
    let system = |action| Command::new(Actor::SYSTEM, action);

    // Regions, in file order: every parent precedes its children.
    let mut regions = BTreeMap::new();
    let mut cities = Vec::new();
    let mut counties = Vec::new();
    for row in csv::Reader::from_reader(REGIONS_CSV.as_bytes()).deserialize::<RegionRow>() {
        let row = row.context("reading the regions file")?;
        let parent = if row.parent_code.is_empty() {
            None
        } else {
            Some(row.parent_code.parse().context("region parent code")?)
        };
        sink.submit(system(Action::DefineRegion {
            code: row.code,
            name: row.name.clone(),
            parent,
        }))?;
        match row.level.as_str() {
            "city" => cities.push(row.code),
            "county" => counties.push(row.code),
            _ => {}
        }
        regions.insert(row.code, row.name);
    }
    let province: RegionCode = "330000".parse().context("province code")?;

    // Categories: define each once its parent is defined.
    let mut pending: Vec<CategoryRow> = csv::Reader::from_reader(CATALOG_CSV.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .context("reading the catalog file")?;
    let mut defined = std::collections::BTreeSet::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut later = Vec::new();
        for row in pending {
            if row.parent_code.is_empty() || defined.contains(&row.parent_code) {
                let code: CategoryCode = row.code.parse().context("category code")?;
                let parent = if row.parent_code.is_empty() {
                    None
                } else {
                    Some(row.parent_code.parse().context("category parent")?)
                };
                sink.submit(system(Action::DefineCategory { code, name: row.name, parent }))?;
                defined.insert(row.code);
            } else {
                later.push(row);
            }
        }
        if later.len() == before {
            bail!("catalog rows with unknown parents: {}", later.len());
        }
        pending = later;
    }

    // Every participant gets its demo account in the very next command (see `demo_user`).
    let password_hash = demo_password_hash()?;
    let register = |sink: &mut dyn FnMut(Command) -> anyhow::Result<Seq>,
                    registration,
                    login: String|
     -> anyhow::Result<ParticipantId> {
        let participant = ParticipantId(sink(system(Action::RegisterParticipant(registration)))?.0);
        let password_hash = password_hash.clone();
        sink(system(Action::RegisterUser { participant, login, password_hash }))?;
        Ok(participant)
    };
    let mut submit = |command| sink.submit(command);
    let operator = register(
        &mut submit,
        Registration {
            kind: ParticipantKind::Operator,
            name: "浙江省政府采购中心".into(),
            credit_code: Some(names::credit_code("12", province, 1)),
            region: Some(province),
        },
        "centre".into(),
    )?;
    let analyst = register(
        &mut submit,
        Registration {
            kind: ParticipantKind::Analyst,
            name: "浙江省财政厅政府采购监管处".into(),
            credit_code: Some(names::credit_code("11", province, 2)),
            region: Some(province),
        },
        "supervisor".into(),
    )?;

    // Direct-order limits: province-wide for goods, works and services; Hangzhou stricter on computers.
    for (region, category, limit_yuan) in [
        (province, "A", 400_000),
        (province, "B", 400_000),
        (province, "C", 400_000),
        ("330100".parse()?, "A02010100", 200_000),
    ] {
        submit(system(Action::SetDirectOrderLimit {
            region,
            category: category.parse()?,
            limit: Some(Amount::from_minor(i64::from(limit_yuan) * 100)),
        }))?;
    }

    // Products.
    let mut products = Vec::new();
    for line in goods::GOODS {
        let category: CategoryCode = line.code.parse().context("goods category")?;
        for brand in line.brands {
            for (model, variant) in
                line.models.iter().flat_map(|m| (1..=sizes.variants).map(move |v| (m, v)))
            {
                let model = if sizes.variants == 1 {
                    (*model).to_string()
                } else {
                    format!("{model} 型{variant}")
                };
                let seq = submit(system(Action::DefineProduct(ProductSpec {
                    sku: format!("{}-{}-{}", line.code, brand, model),
                    category,
                    brand: (*brand).into(),
                    model: model.clone(),
                    spec: format!("{brand} {model}"),
                    unit: line.unit.into(),
                    scale: line.scale,
                })))?;
                products.push(DemoProduct {
                    id: ProductId(seq.0),
                    category,
                    typical: yuan(line.price_yuan),
                    scale: line.scale,
                });
            }
        }
    }

    // Suppliers, registered in the cities.
    let mut suppliers = Vec::new();
    for n in 0..sizes.suppliers {
        let city = *cities.choose(&mut rng).context("cities loaded")?;
        let name = names::supplier_name(&mut rng, &regions[&city], n);
        let id = register(
            &mut submit,
            Registration {
                kind: ParticipantKind::Supplier,
                name,
                credit_code: Some(names::credit_code("91", city, 1_000 + n)),
                region: None,
            },
            format!("supplier{}", n + 1),
        )?;
        // S-1: each declares its size; three in ten are micro, three small, two medium, two large.
        let size = match n % 10 {
            0..=2 => EnterpriseSize::Micro,
            3..=5 => EnterpriseSize::Small,
            6 | 7 => EnterpriseSize::Medium,
            _ => EnterpriseSize::Large,
        };
        submit(system(Action::DeclareSize { supplier: id, size }))?;
        suppliers.push(id);
    }

    // Agreements and offers: each product has 3 to 8 suppliers; most cover the province, the rest
    // one or two cities. Ceilings spread around the typical price; offers sit 1-10% below.
    let valid_from = Date::from_calendar_date(today.year(), time::Month::January, 1)?;
    let valid_to = Date::from_calendar_date(today.year() + 1, time::Month::December, 31)?;
    let mut agreements = Vec::new();
    for product in &products {
        let holders_count = rng.random_range(3..=8);
        let holders: Vec<_> = suppliers.choose_multiple(&mut rng, holders_count).copied().collect();
        for supplier in holders {
            let regions_covered = if rng.random_bool(0.6) {
                vec![province]
            } else {
                let count = rng.random_range(1..=2);
                cities.choose_multiple(&mut rng, count).copied().collect()
            };
            let ceiling_pct = rng.random_range(95..=110_i64);
            let ceiling =
                UnitPrice::from_minor(product.typical.minor() * ceiling_pct / 100 / 100 * 100);
            let offer_pct = rng.random_range(900..=990_i64);
            let offer = UnitPrice::from_minor(ceiling.minor() * offer_pct / 1000 / 100 * 100);
            let stock = rng.random_bool(0.6).then(|| {
                let units = rng.random_range(50..=800_i64);
                engine::types::Quantity::from_minor(units * 1000)
            });
            let seq = submit(system(Action::GrantAgreement(Grant {
                supplier,
                product: product.id,
                regions: regions_covered,
                ceiling,
                valid_from,
                valid_to,
                stock,
            })))?;
            let id = AgreementId(seq.0);
            submit(Command::new(
                demo_user(supplier),
                Action::SetOffer { agreement: id, price: offer },
            ))?;
            agreements.push(DemoAgreement { id, supplier, product: product.id, ceiling });
        }
    }

    // Purchasing units: a few at province and city level, the rest spread over the counties.
    let mut purchasers = Vec::new();
    let upper: Vec<RegionCode> = std::iter::once(province).chain(cities.iter().copied()).collect();
    // One unit in ten sits at province or city level; the others go round the counties in turn.
    let (mut upper_units, mut county_units) = (0, 0);
    for n in 0..sizes.purchasers {
        let (region, county, nth) = if n % 10 == 0 {
            upper_units += 1;
            let k = upper_units - 1;
            (upper[k % upper.len()], false, k / upper.len())
        } else {
            county_units += 1;
            let k = county_units - 1;
            (counties[k % counties.len()], true, k / counties.len())
        };
        let name = names::purchaser_name(&regions[&region], county, nth);
        let id = register(
            &mut submit,
            Registration {
                kind: ParticipantKind::Purchaser,
                name: name.clone(),
                credit_code: Some(names::credit_code("12", region, 100_000 + n)),
                region: Some(region),
            },
            format!("unit{}", n + 1),
        )?;
        let mut lines = Vec::new();
        for (project, code) in [("办公设备购置", "01"), ("日常公用经费", "02")] {
            let amount_yuan = rng.random_range(50..=2_000_i64) * 1_000;
            let seq = submit(system(Action::AllocateBudget(Allocation {
                purchaser: id,
                fiscal_year: today.year(),
                project: project.into(),
                line_code: format!("{}-{code}", today.year()),
                amount: Amount::from_minor(amount_yuan * 100),
            })))?;
            lines.push(BudgetLineId(seq.0));
        }
        purchasers.push(DemoPurchaser { id, name, region, lines });
    }

    Ok(DemoProvince { operator, analyst, purchasers, suppliers, products, agreements, regions })
}

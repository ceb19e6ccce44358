//! The baseline of the engine benchmark: the same direct-order lookups done the obvious way, with
//! `HashMap`s keyed by id and a `BTreeMap` book per product, no ledger, no events, no journal-ready
//! state. The engine should stay within a small factor of it while doing all of that.

use std::collections::{BTreeMap, HashMap};

use engine::catalog::ParticipantKind;
use engine::direct::OrderRequest;
use engine::types::{
    AgreementId, Amount, BudgetLineId, CategoryCode, ParticipantId, ProductId, Quantity,
    RegionCode, Seq, Timestamp, UnitPrice, fiscal_year,
};
use engine::{Action, Command, Engine};

struct Agreement {
    supplier: ParticipantId,
    product: ProductId,
    regions: Vec<RegionCode>,
    ceiling: UnitPrice,
    stock: Option<Quantity>,
    price: Option<(UnitPrice, Seq)>,
    from: Timestamp,
    until: Timestamp,
}

struct Product {
    scale: u8,
    categories: Vec<CategoryCode>,
}

struct Line {
    owner: ParticipantId,
    year: i32,
    available: Amount,
}

/// What a naive command did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Filled in this many legs.
    Filled(usize),
    /// An offer moved.
    OfferSet,
    /// Refused.
    Refused,
}

/// The naive market.
pub struct NaiveMarket {
    seq: u64,
    books: HashMap<ProductId, BTreeMap<(UnitPrice, Seq, AgreementId), ()>>,
    agreements: HashMap<AgreementId, Agreement>,
    active: HashMap<ParticipantId, bool>,
    regions: HashMap<ParticipantId, Vec<RegionCode>>,
    products: HashMap<ProductId, Product>,
    lines: HashMap<BudgetLineId, Line>,
    limits: HashMap<(RegionCode, CategoryCode), Amount>,
    trades: Vec<(ProductId, AgreementId, Quantity, Amount)>,
}

impl std::fmt::Debug for NaiveMarket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NaiveMarket({} agreements)", self.agreements.len())
    }
}

impl NaiveMarket {
    /// A copy of the engine's market in naive form.
    pub fn from_engine(engine: &Engine) -> Self {
        let mut market = NaiveMarket {
            seq: engine.seq().0,
            books: HashMap::new(),
            agreements: HashMap::new(),
            active: HashMap::new(),
            regions: HashMap::new(),
            products: HashMap::new(),
            lines: HashMap::new(),
            limits: engine.direct_order_limits().iter().map(|(r, c, a)| ((r, c), a)).collect(),
            trades: Vec::new(),
        };
        for p in engine.participants() {
            market.active.insert(p.id, p.is_active());
            if p.kind == ParticipantKind::Purchaser
                && let Some(chain) = p.region
            {
                market.regions.insert(p.id, chain.codes().to_vec());
            }
        }
        for p in engine.products() {
            let categories = p.category.codes().to_vec();
            market.products.insert(p.id, Product { scale: p.scale, categories });
        }
        for a in engine.agreements() {
            let from = Timestamp::shanghai_midnight(a.validity.from);
            let until =
                Timestamp::shanghai_midnight(a.validity.to.next_day().unwrap_or(a.validity.to));
            let price = a.offer.map(|o| (o.price, o.since));
            if let Some((price, since)) = price {
                market.books.entry(a.product).or_default().insert((price, since, a.id), ());
            }
            market.agreements.insert(
                a.id,
                Agreement {
                    supplier: a.supplier,
                    product: a.product,
                    regions: a.regions.clone(),
                    ceiling: a.ceiling,
                    stock: a.stock,
                    price,
                    from,
                    until,
                },
            );
        }
        for l in engine.budget_lines() {
            let line =
                Line { owner: l.purchaser, year: l.fiscal_year, available: l.balance.available() };
            market.lines.insert(l.id, line);
        }
        market
    }

    /// Applies a direct order or an offer change.
    pub fn apply(&mut self, command: &Command, now: Timestamp) -> Outcome {
        self.seq += 1;
        match &command.action {
            Action::PlaceOrder(request) => self.order(command.actor.participant, request, now),
            Action::SetOffer { agreement, price } => {
                self.offer(command.actor.participant, *agreement, *price)
            }
            _ => Outcome::Refused,
        }
    }

    fn offer(&mut self, supplier: ParticipantId, id: AgreementId, price: UnitPrice) -> Outcome {
        let Some(agreement) = self.agreements.get_mut(&id) else { return Outcome::Refused };
        if agreement.supplier != supplier || price > agreement.ceiling || !price.is_positive() {
            return Outcome::Refused;
        }
        if agreement.price.map(|(p, _)| p) != Some(price) {
            let since = Seq(self.seq);
            let old = agreement.price.replace((price, since));
            let book = self.books.entry(agreement.product).or_default();
            if let Some((p, s)) = old {
                book.remove(&(p, s, id));
            }
            book.insert((price, since, id), ());
        }
        Outcome::OfferSet
    }

    fn order(
        &mut self,
        purchaser: ParticipantId,
        request: &OrderRequest,
        now: Timestamp,
    ) -> Outcome {
        let Some(chain) = self.regions.get(&purchaser) else { return Outcome::Refused };
        let Some(product) = self.products.get(&request.product) else { return Outcome::Refused };
        if !request.quantity.fits_scale(product.scale) {
            return Outcome::Refused;
        }
        let Some(line) = self.lines.get(&request.budget_line) else { return Outcome::Refused };
        if line.owner != purchaser || line.year != fiscal_year(now) {
            return Outcome::Refused;
        }
        let Some(book) = self.books.get(&request.product) else { return Outcome::Refused };
        let mut plan = Vec::new();
        let mut remaining = request.quantity;
        for (price, _, id) in book.keys() {
            let a = &self.agreements[id];
            if request.supplier.is_some_and(|s| s != a.supplier)
                || !a.regions.iter().any(|r| chain.contains(r))
                || now < a.from
                || now >= a.until
                || !self.active.get(&a.supplier).copied().unwrap_or(false)
                || *price > a.ceiling
            {
                continue;
            }
            let take = a.stock.map_or(remaining, |s| s.min(remaining));
            if !take.is_positive() {
                continue;
            }
            if request.limit_price.is_some_and(|l| *price > l) {
                break;
            }
            let Some(amount) = price.times(take) else { return Outcome::Refused };
            plan.push((*id, take, amount));
            remaining = remaining.minus(take);
            if !remaining.is_positive() {
                break;
            }
        }
        if plan.is_empty() || (request.all_or_nothing && remaining.is_positive()) {
            return Outcome::Refused;
        }
        let total = plan.iter().fold(Amount::ZERO, |t, (_, _, a)| t.plus(*a));
        let limit = chain.iter().find_map(|r| {
            product.categories.iter().find_map(|c| self.limits.get(&(*r, *c)).copied())
        });
        if limit.is_some_and(|l| total > l) || total > line.available {
            return Outcome::Refused;
        }
        let legs = plan.len();
        for (id, take, amount) in plan {
            if let Some(a) = self.agreements.get_mut(&id)
                && let Some(stock) = a.stock.as_mut()
            {
                *stock = stock.minus(take);
            }
            self.trades.push((request.product, id, take, amount));
        }
        if let Some(line) = self.lines.get_mut(&request.budget_line) {
            line.available = line.available.minus(total);
        }
        Outcome::Filled(legs)
    }
}

//! Contested products: where a purchasing unit could run a real reverse auction, because enough
//! unaffiliated suppliers hold a valid agreement for a product covering its region.
//! Demo auctions, tests, benchmarks and load tools all start from here.

use std::collections::HashMap;

use engine::Engine;
use engine::catalog::{Agreement, ParticipantKind};
use engine::types::{Amount, BudgetLineId, ParticipantId, ProductId};

/// A purchaser, a budget line of it, a product and suppliers that may all bid against each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contest {
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// Its budget line with the most available.
    pub line: BudgetLineId,
    /// The product.
    pub product: ProductId,
    /// Unaffiliated suppliers holding a valid agreement for it covering the purchaser's region,
    /// in the order their agreements were granted.
    pub bidders: Vec<ParticipantId>,
}

/// For each purchasing unit with a line of at least `available`, the first product (scanning from
/// an offset that varies by unit, so contests spread over the catalog) with at least `bidders`
/// unaffiliated eligible suppliers, at the engine's current time.
pub fn contests(
    engine: &Engine,
    bidders: usize,
    available: Amount,
) -> impl Iterator<Item = Contest> + '_ {
    let now = engine.clock();
    let products: Vec<ProductId> = engine.products().map(|p| p.id).collect();
    let mut by_product: HashMap<ProductId, Vec<&Agreement>> = HashMap::new();
    for a in engine.agreements().filter(|a| a.is_valid(now)) {
        by_product.entry(a.product).or_default().push(a);
    }
    let purchasers = engine.participants().filter(|p| p.kind == ParticipantKind::Purchaser);
    purchasers.enumerate().filter_map(move |(i, purchaser)| {
        let region = purchaser.region?;
        let line = engine
            .budget_lines()
            .filter(|l| l.purchaser == purchaser.id && l.balance.available() >= available)
            .max_by_key(|l| l.balance.available())?;
        (0..products.len()).find_map(|offset| {
            let product = products[(i * 7 + offset) % products.len()];
            let mut holders: Vec<ParticipantId> = Vec::new();
            for a in by_product.get(&product).into_iter().flatten() {
                let eligible = a.covers(&region);
                let clash =
                    holders.iter().any(|h| *h == a.supplier || engine.affiliated(*h, a.supplier));
                if eligible && !clash {
                    holders.push(a.supplier);
                }
            }
            (holders.len() >= bidders).then_some(Contest {
                purchaser: purchaser.id,
                line: line.id,
                product,
                bidders: holders,
            })
        })
    })
}

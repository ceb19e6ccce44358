//! A deal as publication sees it, whatever its mode: who buys, where, what, at what ceiling, and
//! when it opens and closes; and the small conversions every notice and release shares.

use engine::Engine;
use engine::inquiry::InquiryKind;
use engine::settlement::Trade;
use engine::types::{
    Amount, CategoryCode, DealId, ParticipantId, ProductId, Quantity, RegionCode, Seq, Timestamp,
    UnitPrice,
};
use serde_json::{Value, json};

/// Where in the journal a publication comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// The record.
    pub seq: Seq,
    /// The event within it.
    pub index: u32,
    /// The record's engine time.
    pub ts: Timestamp,
}

impl At {
    /// The stable id of what this event publishes: `<seq>-<event index>`.
    pub fn id(self) -> String {
        format!("{}-{}", self.seq.0, self.index)
    }
}

/// How a deal is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Agreement-supply direct order (协议供货直接订购).
    DirectOrder,
    /// Reverse auction (竞价).
    Auction,
    /// Online inquiry (网上询价).
    Inquiry,
    /// Secondary competition among agreement holders (二次竞价).
    Competition,
    /// Negotiated purchase (协商采购).
    Negotiation,
}

impl Mode {
    /// Its name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Self::DirectOrder => "direct_order",
            Self::Auction => "auction",
            Self::Inquiry => "inquiry",
            Self::Competition => "competition",
            Self::Negotiation => "negotiation",
        }
    }

    /// Its Chinese name.
    pub fn chinese(self) -> &'static str {
        match self {
            Self::DirectOrder => "协议供货直接订购",
            Self::Auction => "网上竞价",
            Self::Inquiry => "网上询价",
            Self::Competition => "二次竞价",
            Self::Negotiation => "协商采购",
        }
    }

    /// The OCDS procurement method: an auction is open to every eligible holder, an inquiry or
    /// competition goes to suppliers chosen or qualified beforehand, and a direct order or a
    /// negotiation is made with one supplier.
    pub fn method(self) -> &'static str {
        match self {
            Self::Auction => "open",
            Self::Inquiry | Self::Competition => "selective",
            Self::DirectOrder | Self::Negotiation => "limited",
        }
    }

    /// The name `name` in the API.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::DirectOrder, Self::Auction, Self::Inquiry, Self::Competition, Self::Negotiation]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

/// One line of what a deal buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The product.
    pub product: ProductId,
    /// Quantity.
    pub quantity: Quantity,
    /// Ceiling unit price, where the deal has one.
    pub ceiling: Option<UnitPrice>,
}

/// A deal, as publication sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deal {
    /// Its id.
    pub id: DealId,
    /// Its mode.
    pub mode: Mode,
    /// The purchasing unit.
    pub purchaser: ParticipantId,
    /// The purchaser's region and its ancestors, nearest first.
    pub regions: Vec<RegionCode>,
    /// The category bought, and its ancestors, nearest first.
    pub categories: Vec<CategoryCode>,
    /// What it buys.
    pub lines: Vec<Line>,
    /// The budget held at opening: the ceiling times the quantity.
    pub hold: Option<Amount>,
    /// Bids or quotes are taken from.
    pub opens: Option<Timestamp>,
    /// And until.
    pub closes: Option<Timestamp>,
}

impl Deal {
    /// The auction, inquiry, secondary competition or negotiation `id`.
    pub fn find(engine: &Engine, id: DealId) -> Option<Self> {
        if let Some(a) = engine.auction(id) {
            let categories = match a.category {
                Some(code) => category_chain(engine, code),
                None => product_categories(engine, a.spec.product),
            };
            return Some(Self {
                id,
                mode: Mode::Auction,
                purchaser: a.purchaser,
                regions: a.region.codes().to_vec(),
                categories,
                lines: vec![Line {
                    product: a.spec.product,
                    quantity: a.spec.quantity,
                    ceiling: Some(a.spec.ceiling),
                }],
                hold: Some(a.hold),
                opens: Some(a.spec.starts),
                closes: Some(a.end),
            });
        }
        if let Some(q) = engine.inquiry(id) {
            let lines = q
                .spec
                .lines
                .iter()
                .map(|l| Line {
                    product: l.product,
                    quantity: l.quantity,
                    ceiling: Some(l.ceiling),
                })
                .collect::<Vec<_>>();
            let first = q.spec.lines.first().map(|l| l.product);
            return Some(Self {
                id,
                mode: match q.kind {
                    InquiryKind::Inquiry => Mode::Inquiry,
                    InquiryKind::SecondaryCompetition => Mode::Competition,
                },
                purchaser: q.purchaser,
                regions: q.region.codes().to_vec(),
                categories: first.map(|p| product_categories(engine, p)).unwrap_or_default(),
                lines,
                hold: Some(q.hold),
                // Quotes are taken from the opening: the opening notice's own time.
                opens: None,
                closes: Some(q.round().deadline),
            });
        }
        let n = engine.negotiation(id)?;
        Some(Self {
            id,
            mode: Mode::Negotiation,
            purchaser: n.purchaser,
            regions: n.region.codes().to_vec(),
            categories: product_categories(engine, n.product),
            lines: vec![Line { product: n.product, quantity: n.proposal.quantity, ceiling: None }],
            hold: None,
            opens: None,
            closes: None,
        })
    }

    /// A direct order, from the trades that filled it.
    pub fn of_order(engine: &Engine, trades: &[Trade]) -> Option<Self> {
        let first = trades.first()?;
        Some(Self {
            id: first.deal,
            mode: Mode::DirectOrder,
            purchaser: first.purchaser,
            regions: engine
                .region(first.region)
                .map(|r| r.chain.codes().to_vec())
                .unwrap_or_default(),
            categories: product_categories(engine, first.product),
            lines: trades
                .iter()
                .map(|t| Line { product: t.product, quantity: t.quantity, ceiling: None })
                .collect(),
            hold: None,
            opens: None,
            closes: None,
        })
    }
}

fn category_chain(engine: &Engine, code: CategoryCode) -> Vec<CategoryCode> {
    engine.category(code).map_or_else(|| vec![code], |c| c.chain.codes().to_vec())
}

fn product_categories(engine: &Engine, product: ProductId) -> Vec<CategoryCode> {
    engine.product(product).map(|p| p.category.codes().to_vec()).unwrap_or_default()
}

/// A moment as ISO 8601 with the Shanghai offset, to the millisecond.
pub fn iso(ts: Timestamp) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts.ms()) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
    );
    at.format(&format).unwrap_or_default()
}

/// An amount of money as OCDS has it: a JSON number of yuan, in CNY. Exact to the fen for every
/// amount below 2^53 fen (90 trillion yuan), which JSON numbers carry without loss.
pub fn money(amount: impl Into<rust_decimal::Decimal>) -> Value {
    let decimal: rust_decimal::Decimal = amount.into();
    let number = decimal
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number);
    json!({ "amount": number, "currency": "CNY" })
}

/// A participant's name and unified social credit code, as the notices print them.
pub fn named(engine: &Engine, p: ParticipantId) -> Value {
    match engine.participant(p) {
        Some(found) => json!({
            "id": p.0,
            "name": found.name,
            "credit_code": found.credit_code.map(|c| c.to_string()),
        }),
        None => json!({ "id": p.0 }),
    }
}

/// A product's description and unit, as notices and releases print them.
pub fn product_text(engine: &Engine, product: ProductId) -> (String, String) {
    match engine.product(product) {
        Some(p) => {
            // The catalogue's specification often repeats the brand and model already.
            let mut text = String::new();
            for part in [&p.brand, &p.model, &p.spec] {
                let part = part.trim();
                if !part.is_empty() && !text.contains(part) {
                    if part.contains(text.as_str()) {
                        text = part.to_string();
                    } else {
                        text = format!("{text} {part}").trim().to_string();
                    }
                }
            }
            (text, p.unit.clone())
        }
        None => (format!("product {}", product.0), String::new()),
    }
}

/// A region's name.
pub fn region_name(engine: &Engine, code: Option<&RegionCode>) -> Option<String> {
    code.and_then(|c| engine.region(*c)).map(|r| r.name.clone())
}

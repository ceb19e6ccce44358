//! The topics a client may follow, as a type: parsed (length first, so a hostile name costs nothing)
//! and printed back in one canonical form, which is what the hub keys its channels by. A topic
//! that does not parse is refused with a hint of the right shape; nothing is kept as sent.

use std::fmt;
use std::str::FromStr;

use engine::analytics::{Interval, Series};
use engine::types::{CategoryCode, DealId, ParticipantId, ProductId, RegionCode};

/// Longest topic name accepted: every canonical name is far shorter.
pub const MAX_TOPIC_LEN: usize = 64;

/// A topic a client may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A product's offers (`offers:<product>`).
    Offers(ProductId),
    /// A category's trades (`trades:<category>`).
    Trades(CategoryCode),
    /// A purchasing unit's budget lines (`budget:<purchaser>`).
    Budget(ParticipantId),
    /// A purchasing unit's orders and their trades (`orders:<purchaser>`).
    Orders(ParticipantId),
    /// A party's negotiations (`negotiations:<participant>`).
    Negotiations(ParticipantId),
    /// An auction room (`auction:<id>`).
    Auction(DealId),
    /// An inquiry (`inquiry:<id>`).
    Inquiry(DealId),
    /// Candles (`candles:product:<id>:<1m|1h|1d>`, `candles:category:<code>:<..>`).
    Candles(Series, Interval),
    /// A category's price index (`index:<category>`).
    Index(CategoryCode),
    /// Alerts of a region and the regions below it (`alerts:<region>`).
    Alerts(RegionCode),
    /// An award and what follows it (`award:<deal>`): its state only; followers re-read the award,
    /// which shows each its own part of the challenges (C-5).
    Award(DealId),
}

/// Why a topic name is refused: the shape it should have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadTopic(pub &'static str);

const KINDS: &str = "topics are offers, trades, budget, orders, auction, inquiry, award, negotiations, candles, index and alerts";

fn number(text: &str, shape: &'static str) -> Result<u64, BadTopic> {
    text.parse().map_err(|_| BadTopic(shape))
}

fn interval(text: &str) -> Option<Interval> {
    Interval::ALL.into_iter().find(|i| i.name() == text)
}

impl FromStr for Topic {
    type Err = BadTopic;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() > MAX_TOPIC_LEN {
            return Err(BadTopic("a topic is at most 64 characters"));
        }
        let (kind, key) = text.split_once(':').ok_or(BadTopic("a topic looks like offers:267"))?;
        let category = |shape| key.parse::<CategoryCode>().map_err(|_| BadTopic(shape));
        Ok(match kind {
            "offers" => Topic::Offers(ProductId(number(key, "offers:<product id>")?)),
            "trades" => Topic::Trades(category("trades:<category code>")?),
            "budget" => Topic::Budget(ParticipantId(number(key, "budget:<purchaser id>")?)),
            "orders" => Topic::Orders(ParticipantId(number(key, "orders:<purchaser id>")?)),
            "negotiations" => {
                Topic::Negotiations(ParticipantId(number(key, "negotiations:<participant id>")?))
            }
            "auction" => Topic::Auction(DealId(number(key, "auction:<auction id>")?)),
            "inquiry" => Topic::Inquiry(DealId(number(key, "inquiry:<inquiry id>")?)),
            "award" => Topic::Award(DealId(number(key, "award:<deal id>")?)),
            "index" => Topic::Index(category("index:<category code>")?),
            "alerts" => Topic::Alerts(key.parse().map_err(|_| BadTopic("alerts:<region code>"))?),
            "candles" => {
                const SHAPE: &str =
                    "candles:product:<id>:<1m|1h|1d> or candles:category:<code>:<1m|1h|1d>";
                let (series, rest) = key.split_once(':').ok_or(BadTopic(SHAPE))?;
                let (id, every) = rest.split_once(':').ok_or(BadTopic(SHAPE))?;
                let every = interval(every).ok_or(BadTopic(SHAPE))?;
                let series = match series {
                    "product" => Series::Product(ProductId(number(id, SHAPE)?)),
                    "category" => Series::Category(id.parse().map_err(|_| BadTopic(SHAPE))?),
                    _ => return Err(BadTopic(SHAPE)),
                };
                Topic::Candles(series, every)
            }
            _ => return Err(BadTopic(KINDS)),
        })
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Offers(p) => write!(f, "offers:{}", p.0),
            Topic::Trades(c) => write!(f, "trades:{c}"),
            Topic::Budget(p) => write!(f, "budget:{}", p.0),
            Topic::Orders(p) => write!(f, "orders:{}", p.0),
            Topic::Negotiations(p) => write!(f, "negotiations:{}", p.0),
            Topic::Auction(id) => write!(f, "auction:{}", id.0),
            Topic::Inquiry(id) => write!(f, "inquiry:{}", id.0),
            Topic::Candles(Series::Product(p), every) => {
                write!(f, "candles:product:{}:{}", p.0, every.name())
            }
            Topic::Candles(Series::Category(c), every) => {
                write!(f, "candles:category:{c}:{}", every.name())
            }
            Topic::Index(c) => write!(f, "index:{c}"),
            Topic::Alerts(r) => write!(f, "alerts:{r}"),
            Topic::Award(id) => write!(f, "award:{}", id.0),
        }
    }
}

/// An auction bidder's private topic: only that bidder's own connections are subscribed to it.
pub fn bidder_topic(auction: DealId, bidder: ParticipantId) -> String {
    format!("auction:{}/bidder:{}", auction.0, bidder.0)
}

/// An auction purchaser's private topic.
pub fn purchaser_topic(auction: DealId) -> String {
    format!("auction:{}/purchaser", auction.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_print_back_in_one_canonical_form() {
        for text in [
            "offers:267",
            "trades:A02010105",
            "budget:12",
            "auction:3090",
            "candles:product:267:1h",
            "candles:category:A02010105:1d",
            "index:A02010105",
            "alerts:330100",
        ] {
            assert_eq!(text.parse::<Topic>().expect(text).to_string(), text);
        }
        assert_eq!("offers:0267".parse::<Topic>().expect("leading zero").to_string(), "offers:267");
    }

    #[test]
    fn hostile_topics_are_refused_with_the_shape_expected() {
        let long = format!("candles:product:1:1m{}", "x".repeat(10_000));
        assert_eq!(long.parse::<Topic>(), Err(BadTopic("a topic is at most 64 characters")));
        assert!("candles:product:1:2m".parse::<Topic>().is_err());
        assert!("offers:-1".parse::<Topic>().is_err());
        assert!("secrets:1".parse::<Topic>().is_err());
        assert!(
            "auction:1/bidder:2".parse::<Topic>().is_err(),
            "private streams are not asked for"
        );
    }
}

//! The offer book of one product: every live offer under a non-revoked agreement, in price-time
//! priority. Eligibility for a given purchaser (region, validity, supplier status, ceiling, stock) is
//! decided while walking, because it depends on the purchaser and on `now`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::arena::Ix;
use crate::catalog::Offer;
use crate::types::{Seq, UnitPrice};

/// The priority of an offer. Field order is the priority (D-2): lower price first; at equal prices
/// the offer that has stood longest, that is the smaller sequence of its last price change; the
/// agreement's index only makes the order total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OfferKey {
    /// Offer price.
    pub price: UnitPrice,
    /// Sequence of the last price change.
    pub since: Seq,
    /// The agreement's index in the engine's agreement table.
    pub agreement: Ix,
}

impl OfferKey {
    pub(crate) fn new(offer: Offer, agreement: Ix) -> Self {
        Self { price: offer.price, since: offer.since, agreement }
    }
}

/// Live offers of one product in priority order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferBook {
    offers: BTreeSet<OfferKey>,
}

impl OfferBook {
    /// Offers, best first.
    pub fn iter(&self) -> impl Iterator<Item = &OfferKey> {
        self.offers.iter()
    }

    /// Number of live offers.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// True when no offer stands.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    pub(crate) fn insert(&mut self, key: OfferKey) {
        self.offers.insert(key);
    }

    pub(crate) fn remove(&mut self, key: OfferKey) {
        self.offers.remove(&key);
    }
}

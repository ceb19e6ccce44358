//! Agreement-supply direct orders (协议供货 / 直接订购, rules D-1 to D-6): the offer book of each
//! product and the fill of an order across eligible offers in price-time priority.

mod book;
mod order;

pub use book::{OfferBook, OfferKey};
pub use order::OrderRequest;
pub(crate) use order::PlannedFill;

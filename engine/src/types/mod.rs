//! Value types shared by every part of the engine: money, quantities, ids, codes and time.
//!
//! Each is a newtype over integers so the compiler keeps units apart: a `UnitPrice` cannot be added to
//! an `Amount`, and the only product allowed is price x quantity -> amount, rounded half-up to the fen.

mod codes;
mod ids;
mod money;
mod time;

pub use codes::{CategoryCode, CategoryKind, CodeError, CreditCode, RegionCode};
pub use ids::{
    Actor, AgreementId, BudgetLineId, DealId, GroupId, ParticipantId, ProductId, Seq, TradeId,
    UserId,
};
pub use money::{Amount, MoneyError, Quantity, UnitPrice};
pub use time::{Timestamp, Validity, fiscal_year, shanghai_date};

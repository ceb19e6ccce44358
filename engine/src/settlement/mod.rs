//! Trades and their settlement after the deal: delivered, accepted (验收), paid (资金支付), or
//! unwound by a declined contract (拒签) or an operator's cancellation (rule B-3; docs/DESIGN.md, Trades).

mod lifecycle;
mod settle;
mod table;
mod trade;

pub use lifecycle::{SettlementParty, SettlementStep, TradeState};
pub use settle::DEFAULT_PAYMENT_DAYS;
pub use table::TradeTable;
pub use trade::{Trade, TradeMode, TradeRecord};

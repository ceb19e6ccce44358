//! The settlement lifecycle of a trade as one transition table.
//!
//! ```text
//! Struck --Deliver--> Delivered --Accept--> Accepted --Pay--> Paid
//!   |                    |                     |
//!   +--Decline--> Declined (the winner refuses the contract, before delivery)
//!   +------------+---------------------------- +--Cancel--> Cancelled (operator, with a reason)
//!   +------------+---------------------------- +--Annul---> Annulled (a challenge or complaint upheld)
//! ```
//! A trade of an award takes no step but an unwinding one until the award is final (C-1).
//! Paid, Declined, Cancelled and Annulled are final. Declining, cancelling or annulling releases the
//! unpaid amount and restores stock (B-3).

use serde::{Deserialize, Serialize};

/// Where a trade stands after the deal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeState {
    /// Struck; the contract stands, nothing delivered yet.
    Struck,
    /// The supplier recorded delivery.
    Delivered,
    /// The purchaser accepted the delivery (验收).
    Accepted,
    /// The purchaser paid (资金支付). Final.
    Paid,
    /// The supplier declined the contract (拒签). Final.
    Declined,
    /// An operator cancelled the trade with a reason. Final.
    Cancelled,
    /// An upheld challenge or complaint annulled the award (C-4). Final.
    Annulled,
}

/// A step of settlement, asked for by one party.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettlementStep {
    /// The supplier records delivery.
    Deliver,
    /// The purchaser accepts the delivery.
    Accept,
    /// The purchaser records payment.
    Pay,
    /// The supplier declines the contract.
    Decline,
    /// An operator cancels.
    Cancel,
    /// An upheld challenge or complaint annuls the award; the engine takes this step (C-4).
    Annul,
}

/// Who may take a settlement step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementParty {
    /// The trade's supplier.
    Supplier,
    /// The trade's purchaser.
    Purchaser,
    /// An operator of the procurement centre.
    Operator,
}

impl SettlementStep {
    /// The party entitled to take this step.
    pub const fn party(self) -> SettlementParty {
        match self {
            SettlementStep::Deliver | SettlementStep::Decline => SettlementParty::Supplier,
            SettlementStep::Accept | SettlementStep::Pay => SettlementParty::Purchaser,
            SettlementStep::Cancel | SettlementStep::Annul => SettlementParty::Operator,
        }
    }

    /// True when the step gives the unpaid amount back to the budget and the goods back to stock.
    pub const fn unwinds(self) -> bool {
        matches!(self, SettlementStep::Decline | SettlementStep::Cancel | SettlementStep::Annul)
    }
}

impl TradeState {
    /// The transition table: the state after `step`, or `None` when the step does not apply.
    pub const fn after(self, step: SettlementStep) -> Option<TradeState> {
        use SettlementStep as S;
        use TradeState as T;
        match (self, step) {
            (T::Struck, S::Deliver) => Some(T::Delivered),
            (T::Delivered, S::Accept) => Some(T::Accepted),
            (T::Accepted, S::Pay) => Some(T::Paid),
            (T::Struck, S::Decline) => Some(T::Declined),
            (T::Struck | T::Delivered | T::Accepted, S::Cancel) => Some(T::Cancelled),
            (T::Struck | T::Delivered | T::Accepted, S::Annul) => Some(T::Annulled),
            (T::Struck, S::Accept | S::Pay)
            | (T::Delivered, S::Deliver | S::Pay | S::Decline)
            | (T::Accepted, S::Deliver | S::Accept | S::Decline)
            | (T::Paid | T::Declined | T::Cancelled | T::Annulled, _) => None,
        }
    }

    /// True once nothing more can happen to the trade.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            TradeState::Paid | TradeState::Declined | TradeState::Cancelled | TradeState::Annulled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [TradeState; 7] = [
        TradeState::Struck,
        TradeState::Delivered,
        TradeState::Accepted,
        TradeState::Paid,
        TradeState::Declined,
        TradeState::Cancelled,
        TradeState::Annulled,
    ];
    const STEPS: [SettlementStep; 6] = [
        SettlementStep::Deliver,
        SettlementStep::Accept,
        SettlementStep::Pay,
        SettlementStep::Decline,
        SettlementStep::Cancel,
        SettlementStep::Annul,
    ];

    #[test]
    fn final_states_admit_no_step_and_others_admit_some() {
        for state in STATES {
            let any = STEPS.iter().any(|step| state.after(*step).is_some());
            assert_eq!(any, !state.is_final(), "{state:?}");
        }
    }

    #[test]
    fn the_happy_path_runs_struck_delivered_accepted_paid() {
        let paid = TradeState::Struck
            .after(SettlementStep::Deliver)
            .and_then(|s| s.after(SettlementStep::Accept))
            .and_then(|s| s.after(SettlementStep::Pay));
        assert_eq!(paid, Some(TradeState::Paid));
    }

    #[test]
    fn a_contract_can_be_declined_only_before_delivery() {
        assert_eq!(TradeState::Struck.after(SettlementStep::Decline), Some(TradeState::Declined));
        assert_eq!(TradeState::Delivered.after(SettlementStep::Decline), None);
    }
}

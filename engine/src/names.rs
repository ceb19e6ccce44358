//! Names on the wire: each enum that reaches the API, the feeds or the database says its own name
//! (`name()`) and reads it back (`FromStr`), so every layer that prints or parses one agrees, and a
//! new variant cannot be forgotten by one of them (the `match` in `name` is exhaustive).

/// A name that belongs to no value of the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown name")]
pub struct UnknownName;

/// Gives an enum of unit variants its wire names: `name()`, `ALL` and `FromStr`. Exported, so that
/// the gateway's own enums on the wire are named the same way.
#[macro_export]
macro_rules! wire_names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name on the wire: API, feeds and database.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.name() == text).ok_or($crate::names::UnknownName)
            }
        }
    };
}

wire_names!(crate::budget::LedgerKind {
    Allocated => "allocated",
    Adjusted => "adjusted",
    Held => "held",
    Released => "released",
    Committed => "committed",
    Paid => "paid",
    Unwound => "unwound",
});

wire_names!(crate::settlement::TradeState {
    Struck => "struck",
    Delivered => "delivered",
    Accepted => "accepted",
    Paid => "paid",
    Declined => "declined",
    Cancelled => "cancelled",
    Annulled => "annulled",
});

wire_names!(crate::settlement::SettlementStep {
    Deliver => "deliver",
    Accept => "accept",
    Pay => "pay",
    Decline => "decline",
    Cancel => "cancel",
    Annul => "annul",
});

wire_names!(crate::award::AwardState {
    Provisional => "provisional",
    Final => "final",
    Vacant => "vacant",
    Failed => "failed",
});

wire_names!(crate::award::ChallengeState {
    Filed => "filed",
    Dismissed => "dismissed",
    Upheld => "upheld",
    Unanswered => "unanswered",
    Complained => "complained",
    ComplaintDismissed => "complaint_dismissed",
    ComplaintUpheld => "complaint_upheld",
});

wire_names!(crate::award::Vacancy {
    Challenge => "challenge_upheld",
    Complaint => "complaint_upheld",
    Declined => "declined",
    Cancelled => "cancelled",
});

wire_names!(crate::settlement::TradeMode {
    DirectOrder => "direct_order",
    Auction => "auction",
    Inquiry => "inquiry",
    Negotiation => "negotiation",
});

wire_names!(crate::catalog::ParticipantKind {
    Purchaser => "purchaser",
    Supplier => "supplier",
    Analyst => "analyst",
    Operator => "operator",
});

wire_names!(crate::catalog::RegionLevel {
    Province => "province",
    City => "city",
    County => "county",
});

wire_names!(crate::auction::AuctionState {
    Scheduled => "scheduled",
    Open => "open",
    Awarded => "awarded",
    Failed => "failed",
    Cancelled => "cancelled",
});

wire_names!(crate::auction::Disclosure {
    RankOnly => "rank_only",
    BestPrice => "best_price",
});

wire_names!(crate::negotiation::NegotiationState {
    Proposed => "proposed",
    Countered => "countered",
    Accepted => "accepted",
    Rejected => "rejected",
    Expired => "expired",
});

wire_names!(crate::negotiation::Party {
    Purchaser => "purchaser",
    Supplier => "supplier",
});

impl crate::inquiry::InquiryState {
    /// The published name. Closed and counted are both `opening`: that the authors have been
    /// counted, and a round may yet fail unopened, is not published before the round ends.
    pub const fn name(self) -> &'static str {
        use crate::inquiry::InquiryState as S;
        match self {
            S::Collecting => "collecting",
            S::Closed | S::Counted => "opening",
            S::RoundFailed => "round_failed",
            S::Awarded => "awarded",
            S::Failed => "failed",
            S::Cancelled => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::settlement::{SettlementStep, TradeMode};

    #[test]
    fn every_name_reads_back_as_its_value_and_nothing_else_does() {
        for step in SettlementStep::ALL {
            assert_eq!(step.name().parse::<SettlementStep>(), Ok(*step));
        }
        for mode in TradeMode::ALL {
            assert_eq!(mode.name().parse::<TradeMode>(), Ok(*mode));
        }
        assert!("Deliver".parse::<SettlementStep>().is_err());
    }
}

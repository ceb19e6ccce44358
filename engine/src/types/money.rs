//! Exact fixed-point money and quantities in integer minor units (docs/DESIGN.md, Units).
//!
//! - `UnitPrice`: 0.0001 yuan, tax-inclusive.
//! - `Amount`: fen (0.01 yuan).
//! - `Quantity`: 0.001 of the product's unit of measure; a product's scale (0 to 3 decimals) says how
//!   much of that precision it accepts.
//!
//! `rust_decimal` appears only where money crosses into text (`parse`, `Display`). Inside the engine
//! every operation is integer arithmetic, checked where an overflow could come from input.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why a decimal string is not a valid price, amount or quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a decimal number.
    #[error("not a decimal number")]
    NotDecimal,
    /// More decimals than the unit carries; finer input is refused, never rounded.
    #[error("at most {max_decimals} decimals are allowed")]
    TooPrecise {
        /// Decimals the unit carries.
        max_decimals: u32,
    },
    /// Below zero.
    #[error("must not be negative")]
    Negative,
    /// Too large to hold.
    #[error("out of range")]
    OutOfRange,
}

/// Parses a non-negative decimal string into minor units of `scale` decimals, refusing finer input.
/// Only plain decimals are money: digits with at most one point, no exponent, no sign but a
/// leading minus (refused as negative).
fn parse_minor(text: &str, scale: u32) -> Result<i64, MoneyError> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('-')
        && plain_decimal(rest)
    {
        return Err(MoneyError::Negative);
    }
    if !plain_decimal(text) {
        return Err(MoneyError::NotDecimal);
    }
    // Judged on the text: `Decimal` keeps at most 28 digits and rounds the rest away, so
    // "9402.99999999999999999999999999" would arrive as 9403 and pass for a whole price.
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.trim_end_matches('0').len() > scale as usize {
        return Err(MoneyError::TooPrecise { max_decimals: scale });
    }
    if whole.trim_start_matches('0').len() > 18 {
        return Err(MoneyError::OutOfRange);
    }
    let value = Decimal::from_str(text).map_err(|_| MoneyError::NotDecimal)?;
    from_decimal_minor(value, scale)
}

fn plain_decimal(text: &str) -> bool {
    let mut parts = text.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

fn from_decimal_minor(value: Decimal, scale: u32) -> Result<i64, MoneyError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(MoneyError::Negative);
    }
    let value = value.normalize();
    if value.scale() > scale {
        return Err(MoneyError::TooPrecise { max_decimals: scale });
    }
    let minor =
        value.checked_mul(Decimal::from(10_i64.pow(scale))).ok_or(MoneyError::OutOfRange)?;
    i64::try_from(minor.mantissa() / 10_i128.pow(minor.scale())).map_err(|_| MoneyError::OutOfRange)
}

/// Formats minor units with at least `min_decimals` and at most `scale` decimals.
fn fmt_minor(f: &mut fmt::Formatter<'_>, minor: i64, scale: u32, min_decimals: u32) -> fmt::Result {
    let mut value = Decimal::new(minor, scale).normalize();
    if value.scale() < min_decimals {
        value.rescale(min_decimals);
    }
    fmt::Display::fmt(&value, f)
}

macro_rules! minor_unit {
    ($(#[$doc:meta])* $name:ident, scale = $scale:expr, min_decimals = $min:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Decimals of one minor unit.
            pub const SCALE: u32 = $scale;
            /// Zero.
            pub const ZERO: Self = Self(0);

            /// From a count of minor units.
            pub const fn from_minor(minor: i64) -> Self {
                Self(minor)
            }

            /// The count of minor units.
            pub const fn minor(self) -> i64 {
                self.0
            }

            /// Parses a non-negative decimal string, refusing more decimals than the unit carries.
            pub fn parse(text: &str) -> Result<Self, MoneyError> {
                parse_minor(text, Self::SCALE).map(Self)
            }

            /// From a `Decimal` at the edge (API, PostgreSQL NUMERIC), refusing finer values.
            pub fn from_decimal(value: Decimal) -> Result<Self, MoneyError> {
                from_decimal_minor(value, Self::SCALE).map(Self)
            }

            /// From a `Decimal` that may be negative (a stored delta or sum), refusing finer values.
            pub fn from_decimal_signed(value: Decimal) -> Result<Self, MoneyError> {
                if value.is_sign_negative() {
                    from_decimal_minor(-value, Self::SCALE).map(|minor| Self(-minor))
                } else {
                    from_decimal_minor(value, Self::SCALE).map(Self)
                }
            }

            /// As a `Decimal` for the edge.
            pub fn to_decimal(self) -> Decimal {
                Decimal::new(self.0, Self::SCALE)
            }

            /// True when strictly above zero.
            pub const fn is_positive(self) -> bool {
                self.0 > 0
            }

            /// Sum, or `None` on overflow.
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }

            /// Difference, or `None` on overflow.
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_minor(f, self.0, Self::SCALE, $min)
            }
        }

        impl FromStr for $name {
            type Err = MoneyError;
            fn from_str(text: &str) -> Result<Self, MoneyError> {
                Self::parse(text)
            }
        }
    };
}

minor_unit!(
    /// A tax-inclusive unit price in 0.0001 yuan.
    UnitPrice, scale = 4, min_decimals = 2
);
minor_unit!(
    /// An amount of money in fen. Balances and ledger adjustments may be negative internally;
    /// input is never negative.
    Amount, scale = 2, min_decimals = 2
);
minor_unit!(
    /// A quantity in 0.001 of the product's unit of measure.
    Quantity, scale = 3, min_decimals = 0
);

impl Amount {
    /// Saturating sum, for totals whose inputs are already bounded by checked arithmetic.
    pub const fn plus(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// Saturating difference.
    pub const fn minus(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

impl Quantity {
    /// True when the quantity has no more decimals than `scale` (0 to 3) allows.
    pub const fn fits_scale(self, scale: u8) -> bool {
        if scale >= 3 {
            return true;
        }
        let step = 10_i64.pow(3 - scale as u32);
        self.0 % step == 0
    }

    /// The smaller of two quantities.
    pub fn min(self, other: Self) -> Self {
        if other.0 < self.0 { other } else { self }
    }

    /// Difference, never below zero.
    pub const fn minus(self, other: Self) -> Self {
        let d = self.0.saturating_sub(other.0);
        Self(if d < 0 { 0 } else { d })
    }

    /// Sum, saturating.
    pub const fn plus(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

/// One minor unit of price times one of quantity is 1e-7 yuan; a fen is 1e-2 yuan.
const PRICE_TIMES_QUANTITY_PER_FEN: i128 = 100_000;

impl UnitPrice {
    /// The line amount of `quantity` at this price, rounded half-up to the fen (docs/DESIGN.md, Units),
    /// or `None` when it does not fit.
    pub fn times(self, quantity: Quantity) -> Option<Amount> {
        let raw = i128::from(self.0) * i128::from(quantity.0);
        // Half-up on the magnitude: prices and quantities are never negative here, but be exact anyway.
        let half = PRICE_TIMES_QUANTITY_PER_FEN / 2;
        let fen = if raw >= 0 {
            (raw + half) / PRICE_TIMES_QUANTITY_PER_FEN
        } else {
            (raw - half) / PRICE_TIMES_QUANTITY_PER_FEN
        };
        i64::try_from(fen).ok().map(Amount)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn more_decimals_than_the_scale_are_refused_never_rounded() {
        let long = "9402.999999999999999999999999999999";
        assert_eq!(UnitPrice::parse(long), Err(MoneyError::TooPrecise { max_decimals: 4 }));
        assert_eq!(
            Amount::parse("0.0000000000000000000000000001"),
            Err(MoneyError::TooPrecise { max_decimals: 2 })
        );
        assert_eq!(
            Quantity::parse("1.00000000000000000000000000001"),
            Err(MoneyError::TooPrecise { max_decimals: 3 })
        );
        assert_eq!(
            UnitPrice::parse("9402.12340000000000000000000000000"),
            UnitPrice::parse("9402.1234")
        );
        assert_eq!(Amount::parse("1234567890123456789012345"), Err(MoneyError::OutOfRange));
    }

    use super::*;

    #[test]
    fn prices_parse_exactly_and_refuse_finer_input() {
        assert_eq!(UnitPrice::parse("4999.5").unwrap().minor(), 49_995_000);
        assert_eq!(UnitPrice::parse("0.0001").unwrap().minor(), 1);
        assert_eq!(UnitPrice::parse("0.00001"), Err(MoneyError::TooPrecise { max_decimals: 4 }));
        assert_eq!(UnitPrice::parse("-1"), Err(MoneyError::Negative));
        assert_eq!(UnitPrice::parse("abc"), Err(MoneyError::NotDecimal));
        assert_eq!(UnitPrice::parse("1e400"), Err(MoneyError::NotDecimal));
        assert_eq!(UnitPrice::parse("1e9"), Err(MoneyError::NotDecimal));
        assert_eq!(UnitPrice::parse("+1"), Err(MoneyError::NotDecimal));
        assert_eq!(UnitPrice::parse("1."), Err(MoneyError::NotDecimal));
        assert_eq!(UnitPrice::parse(".5"), Err(MoneyError::NotDecimal));
        assert_eq!(UnitPrice::parse("1,000"), Err(MoneyError::NotDecimal));
        assert_eq!(UnitPrice::parse("99999999999999999"), Err(MoneyError::OutOfRange));
    }

    #[test]
    fn trailing_zeros_beyond_the_scale_are_not_extra_precision() {
        assert_eq!(Amount::parse("12.3400").unwrap().minor(), 1234);
    }

    #[test]
    fn money_displays_with_at_least_two_decimals() {
        assert_eq!(UnitPrice::from_minor(49_995_000).to_string(), "4999.50");
        assert_eq!(UnitPrice::from_minor(12_345).to_string(), "1.2345");
        assert_eq!(Amount::from_minor(100).to_string(), "1.00");
        assert_eq!(Quantity::from_minor(2_500).to_string(), "2.5");
        assert_eq!(Quantity::from_minor(3_000).to_string(), "3");
    }

    #[test]
    fn line_amounts_round_half_up_to_the_fen() {
        // 0.0050 yuan x 1 = half a fen -> 1 fen.
        assert_eq!(
            UnitPrice::from_minor(50).times(Quantity::from_minor(1_000)),
            Some(Amount::from_minor(1))
        );
        // 0.0049 yuan x 1 -> 0 fen.
        assert_eq!(
            UnitPrice::from_minor(49).times(Quantity::from_minor(1_000)),
            Some(Amount::ZERO)
        );
        // 3.3333 yuan x 3 = 9.9999 -> 10.00.
        assert_eq!(
            UnitPrice::from_minor(33_333).times(Quantity::from_minor(3_000)),
            Some(Amount::from_minor(1_000))
        );
        assert_eq!(UnitPrice::from_minor(i64::MAX).times(Quantity::from_minor(i64::MAX)), None);
    }

    #[test]
    fn quantity_scale_refuses_finer_quantities() {
        assert!(Quantity::parse("2").unwrap().fits_scale(0));
        assert!(!Quantity::parse("2.5").unwrap().fits_scale(0));
        assert!(Quantity::parse("2.5").unwrap().fits_scale(1));
        assert!(!Quantity::parse("2.55").unwrap().fits_scale(1));
        assert!(Quantity::parse("2.555").unwrap().fits_scale(3));
    }
}

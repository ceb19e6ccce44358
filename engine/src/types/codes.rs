//! Official codes: administrative divisions (GB/T 2260), procurement catalog categories (2022
//! edition) and unified social credit codes (GB 32100-2015). Each parses, not validates: a value of
//! these types is well formed by construction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a code is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// An administrative code is six digits.
    #[error("a region code is six digits, such as 330106")]
    Region,
    /// A category code is a letter A, B or C, alone or followed by eight digits.
    #[error("a category code is A, B or C, alone or followed by eight digits, such as A02010105")]
    Category,
    /// A unified social credit code is 18 characters with a valid check character.
    #[error("a unified social credit code is 18 characters ending in a valid check character")]
    CreditCode,
}

/// A six-digit administrative division code: 330000 the province, 330100 a city, 330106 a district.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct RegionCode(u32);

impl RegionCode {
    /// The code as a number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// From a number, when it has six digits.
    pub fn new(code: u32) -> Result<Self, CodeError> {
        if (100_000..=999_999).contains(&code) { Ok(Self(code)) } else { Err(CodeError::Region) }
    }
}

impl FromStr for RegionCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Region);
        }
        Self::new(s.parse().map_err(|_| CodeError::Region)?)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// A category of the 2022 government procurement catalog (政府采购品目分类目录): `A`, `B` or `C` for
/// goods, works and services, or that letter and eight digits (`A02010105` desktop computers).
///
/// Packed into one integer, letter above digits, so comparisons on the hot path (limit lookups walk
/// a product's category chain) are single instructions; the order is that of the written codes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct CategoryCode(u64);

const CATEGORY_LETTERS: &[u8; 3] = b"ABC";

impl CategoryCode {
    fn letter(&self) -> u8 {
        let index = usize::try_from(self.0 >> 32).unwrap_or(0).saturating_sub(1);
        CATEGORY_LETTERS.get(index).copied().unwrap_or(b'?')
    }

    fn digits(&self) -> u64 {
        self.0 & 0xffff_ffff
    }

    /// The kind of procurement: goods, works or services, from the leading letter.
    pub fn kind(&self) -> CategoryKind {
        match self.letter() {
            b'A' => CategoryKind::Goods,
            b'B' => CategoryKind::Works,
            _ => CategoryKind::Services,
        }
    }
}

/// Goods (货物), works (工程) or services (服务).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CategoryKind {
    /// 货物
    Goods,
    /// 工程
    Works,
    /// 服务
    Services,
}

impl FromStr for CategoryCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        let bytes = s.as_bytes();
        let letter = bytes
            .first()
            .and_then(|b| CATEGORY_LETTERS.iter().position(|l| l == b))
            .ok_or(CodeError::Category)?;
        let digits = match bytes.len() {
            1 => 0,
            9 if bytes[1..].iter().all(u8::is_ascii_digit) => {
                // All-zero digits would read back as the bare letter; no such category exists.
                s[1..].parse::<u64>().ok().filter(|d| *d != 0).ok_or(CodeError::Category)?
            }
            _ => return Err(CodeError::Category),
        };
        Ok(Self(((letter as u64 + 1) << 32) | digits))
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = char::from(self.letter());
        if self.digits() == 0 {
            write!(f, "{letter}")
        } else {
            write!(f, "{letter}{:08}", self.digits())
        }
    }
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a 31-character
/// alphabet, the last a check character over the first 17. Every legal entity has exactly one, which
/// is how the marketplace tells suppliers apart as distinct legal entities.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CreditCode([u8; 18]);

/// The alphabet of GB 32100: digits and capitals without I, O, Z, S and V.
const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

impl CreditCode {
    /// The check character for the first 17 characters, or `None` if one is outside the alphabet.
    pub fn check_char(first17: &[u8]) -> Option<u8> {
        let mut sum = 0_u32;
        for (byte, weight) in first17.iter().zip(CREDIT_WEIGHTS) {
            let value = CREDIT_ALPHABET.iter().position(|c| c == byte)?;
            sum += u32::try_from(value).ok()? * weight;
        }
        let check = (31 - sum % 31) % 31;
        CREDIT_ALPHABET.get(check as usize).copied()
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl FromStr for CreditCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        let bytes = s.as_bytes();
        if bytes.len() != 18 {
            return Err(CodeError::CreditCode);
        }
        match Self::check_char(&bytes[..17]) {
            Some(check) if check == bytes[17] => {
                let mut code = [0_u8; 18];
                code.copy_from_slice(bytes);
                Ok(Self(code))
            }
            _ => Err(CodeError::CreditCode),
        }
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_are_checked_by_their_check_character() {
        // The example code printed in GB 32100-2015's explanatory material.
        assert!("91350100M000100Y43".parse::<CreditCode>().is_ok());
        assert_eq!("91350100M000100Y44".parse::<CreditCode>(), Err(CodeError::CreditCode));
        assert_eq!("91350100M000100Y4".parse::<CreditCode>(), Err(CodeError::CreditCode));
        assert_eq!("9135010OM000100Y43".parse::<CreditCode>(), Err(CodeError::CreditCode));
    }

    #[test]
    fn region_and_category_codes_parse_strictly() {
        assert_eq!("330106".parse::<RegionCode>().unwrap().get(), 330_106);
        assert!("33010".parse::<RegionCode>().is_err());
        assert!("33010a".parse::<RegionCode>().is_err());
        assert_eq!("A02010105".parse::<CategoryCode>().unwrap().to_string(), "A02010105");
        assert_eq!("B".parse::<CategoryCode>().unwrap().to_string(), "B");
        assert!("A00000000".parse::<CategoryCode>().is_err());
        let mut codes: Vec<CategoryCode> = ["C", "A02010105", "A", "A02010104", "B07000000"]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        codes.sort();
        let sorted: Vec<String> = codes.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, ["A", "A02010104", "A02010105", "B07000000", "C"]);
        assert_eq!("C".parse::<CategoryCode>().unwrap().kind(), CategoryKind::Services);
        assert!("A0201".parse::<CategoryCode>().is_err());
        assert!("D02010105".parse::<CategoryCode>().is_err());
    }
}

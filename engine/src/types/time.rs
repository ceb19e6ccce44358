//! Time: UTC milliseconds inside the engine; dates, fiscal years and validity in Asia/Shanghai.
//!
//! China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for every date
//! the marketplace handles, and no time-zone database is needed.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

const MS_PER_DAY: i64 = 86_400_000;
const SHANGHAI_OFFSET_MS: i64 = 8 * 3_600_000;

/// A moment in UTC milliseconds since the Unix epoch.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds since the epoch.
    pub const fn ms(self) -> i64 {
        self.0
    }

    /// This moment plus `ms` milliseconds.
    pub const fn plus_ms(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Midnight at the start of `date` in Shanghai.
    pub fn shanghai_midnight(date: Date) -> Self {
        let days = i64::from(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY);
        Self(days * MS_PER_DAY - SHANGHAI_OFFSET_MS)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// The calendar date in Shanghai at `ts`.
pub fn shanghai_date(ts: Timestamp) -> Date {
    let days = (ts.0 + SHANGHAI_OFFSET_MS).div_euclid(MS_PER_DAY);
    let julian = i32::try_from(days + i64::from(UNIX_EPOCH_JULIAN_DAY)).unwrap_or(i32::MAX);
    Date::from_julian_day(julian).unwrap_or(Date::MAX)
}

/// The fiscal year (the calendar year in Shanghai) at `ts`.
pub fn fiscal_year(ts: Timestamp) -> i32 {
    shanghai_date(ts).year()
}

/// A validity period given as inclusive dates, kept as the half-open window
/// `[midnight of from, midnight after to)` so the hot path compares two integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// First valid day.
    pub from: Date,
    /// Last valid day, inclusive.
    pub to: Date,
    starts: Timestamp,
    ends: Timestamp,
}

impl Validity {
    /// The period from `from` to `to`, both inclusive; `None` when `to` is before `from`.
    pub fn new(from: Date, to: Date) -> Option<Self> {
        if to < from {
            return None;
        }
        let ends = match to.next_day() {
            Some(day) => Timestamp::shanghai_midnight(day),
            None => Timestamp(i64::MAX),
        };
        Some(Self { from, to, starts: Timestamp::shanghai_midnight(from), ends })
    }

    /// True once the last valid day is over.
    pub fn has_ended(&self, now: Timestamp) -> bool {
        now >= self.ends
    }

    /// True when `now` falls inside the period.
    pub fn contains(&self, now: Timestamp) -> bool {
        self.starts <= now && now < self.ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn shanghai_dates_turn_at_sixteen_hundred_utc() {
        // 2026-12-31T15:59:59.999Z is 23:59:59.999 in Shanghai; one ms later it is 2027.
        let before = Timestamp(1_798_732_799_999);
        assert_eq!(shanghai_date(before), date!(2026 - 12 - 31));
        assert_eq!(fiscal_year(before.plus_ms(1)), 2027);
        assert_eq!(Timestamp::shanghai_midnight(date!(2027 - 01 - 01)), before.plus_ms(1));
    }

    #[test]
    fn validity_includes_both_dates() {
        let v = Validity::new(date!(2026 - 01 - 01), date!(2026 - 12 - 31)).unwrap();
        assert!(v.contains(Timestamp::shanghai_midnight(date!(2026 - 01 - 01))));
        assert!(v.contains(Timestamp::shanghai_midnight(date!(2027 - 01 - 01)).plus_ms(-1)));
        assert!(!v.contains(Timestamp::shanghai_midnight(date!(2027 - 01 - 01))));
        assert!(!v.contains(Timestamp::shanghai_midnight(date!(2026 - 01 - 01)).plus_ms(-1)));
        assert!(Validity::new(date!(2026 - 02 - 01), date!(2026 - 01 - 01)).is_none());
    }
}

//! Working days in Asia/Shanghai (docs/DESIGN.md, Units): Monday to Friday, less the public holidays the
//! State Council publishes each year, plus the weekend days it makes working days in exchange
//! (调休). Loaded by the operator a year at a time; the inquiry notice period counts in them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Date, Weekday};

use crate::command::Ctx;
use crate::event::Event;
use crate::jurisdiction::Reach;
use crate::reject::{Field, Reason};
use crate::state::State;
use crate::types::{Actor, Timestamp, shanghai_date};

/// The notice period of an inquiry by default: at least three working days from the day it is
/// issued to the quote deadline (政府采购非招标采购方式管理办法 Art. 45).
pub const DEFAULT_NOTICE_WORKING_DAYS: u32 = 3;

/// The working-day calendar and the notice period measured in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Weekdays that are holidays.
    pub holidays: BTreeSet<Date>,
    /// Weekend days that are working days.
    pub workdays: BTreeSet<Date>,
    /// Working days an inquiry's deadline must be away.
    pub notice_working_days: u32,
}

impl Default for Calendar {
    fn default() -> Self {
        Self {
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            notice_working_days: DEFAULT_NOTICE_WORKING_DAYS,
        }
    }
}

impl Calendar {
    /// True when `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        !weekend && !self.holidays.contains(&date)
    }

    /// Replaces the entries of `year` with these.
    pub fn load_year(&mut self, year: i32, holidays: &[Date], workdays: &[Date]) {
        self.holidays.retain(|d| d.year() != year);
        self.workdays.retain(|d| d.year() != year);
        self.holidays.extend(holidays.iter().copied());
        self.workdays.extend(workdays.iter().copied());
    }

    /// True when `deadline` leaves the notice period after `now`: counting from the day after the
    /// day of issue, as the regulations count, up to and including the deadline's day.
    pub fn notice_met(&self, now: Timestamp, deadline: Timestamp) -> bool {
        let (mut day, last) = (shanghai_date(now), shanghai_date(deadline));
        let mut counted = 0;
        while counted < self.notice_working_days {
            match day.next_day() {
                Some(next) if next <= last => day = next,
                _ => return false,
            }
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        true
    }

    /// The end of a period of `working_days` working days that starts the day after `from`'s day, as
    /// the procurement law counts periods: the midnight (Shanghai) after the last working day. A
    /// step at that instant or later is outside the period (windows are half-open).
    pub fn period_end(&self, from: Timestamp, working_days: u32) -> Timestamp {
        let mut day = shanghai_date(from);
        let mut counted = 0;
        while counted < working_days {
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        day.next_day().map_or(Timestamp(i64::MAX), Timestamp::shanghai_midnight)
    }
}

/// The longest notice period accepted, in working days.
const MAX_NOTICE_WORKING_DAYS: u32 = 60;

impl State {
    pub(crate) fn load_calendar(
        &mut self,
        actor: Actor,
        year: i32,
        holidays: Vec<Date>,
        workdays: Vec<Date>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        let in_year = |days: &[Date]| days.iter().all(|d| d.year() == year);
        let too_many = holidays.len() + workdays.len() > 366;
        if !in_year(&holidays) || !in_year(&workdays) || too_many {
            return Err(Reason::Invalid { field: Field::Calendar });
        }
        self.calendar.load_year(year, &holidays, &workdays);
        ctx.emit(Event::CalendarLoaded { year, holidays, workdays });
        Ok(())
    }

    pub(crate) fn set_inquiry_notice(
        &mut self,
        actor: Actor,
        working_days: u32,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        if working_days > MAX_NOTICE_WORKING_DAYS {
            return Err(Reason::Invalid { field: Field::Calendar });
        }
        self.calendar.notice_working_days = working_days;
        ctx.emit(Event::InquiryNoticeSet { working_days });
        Ok(())
    }

    /// Both of the above as one command: the notice period is checked before anything changes, so
    /// a refusal of either leaves both as they were.
    pub(crate) fn load_calendar_with_notice(
        &mut self,
        actor: Actor,
        year: i32,
        holidays: Vec<Date>,
        workdays: Vec<Date>,
        notice_working_days: u32,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Reason> {
        self.require_operator(actor, Reach::Province)?;
        if notice_working_days > MAX_NOTICE_WORKING_DAYS {
            return Err(Reason::Invalid { field: Field::Calendar });
        }
        self.load_calendar(actor, year, holidays, workdays, ctx)?;
        self.set_inquiry_notice(actor, notice_working_days, ctx)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn at(date: Date) -> Timestamp {
        // Ten in the morning in Shanghai.
        Timestamp::shanghai_midnight(date).plus_ms(10 * 3_600_000)
    }

    #[test]
    fn weekends_and_holidays_do_not_count_and_exchanged_weekend_days_do() {
        let mut calendar = Calendar::default();
        // Issued on Friday 2026-09-25: Mon 28, Tue 29, Wed 30 are the three working days.
        let friday = at(date!(2026 - 09 - 25));
        assert!(!calendar.notice_met(friday, at(date!(2026 - 09 - 29))));
        assert!(calendar.notice_met(friday, at(date!(2026 - 09 - 30))));
        // National Day: Oct 1 to 9 off, Sunday Sep 27 and Saturday Oct 10 worked in exchange.
        let golden_week: Vec<Date> = (1..=9)
            .map(|d| Date::from_calendar_date(2026, time::Month::October, d).expect("date"))
            .filter(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
            .collect();
        calendar.load_year(2026, &golden_week, &[date!(2026 - 09 - 27), date!(2026 - 10 - 10)]);
        let tuesday = at(date!(2026 - 09 - 29));
        // Wed 30 is one; then nothing until Sat Oct 10 (two), Mon Oct 12 (three).
        assert!(!calendar.notice_met(tuesday, at(date!(2026 - 10 - 11))));
        assert!(calendar.notice_met(tuesday, at(date!(2026 - 10 - 12))));
        assert!(calendar.is_working_day(date!(2026 - 09 - 27)));
        // Loading a year again replaces it.
        calendar.load_year(2026, &[], &[]);
        assert!(!calendar.is_working_day(date!(2026 - 09 - 27)));
    }
}

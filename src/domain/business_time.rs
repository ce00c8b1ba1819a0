//! Business-time arithmetic (DOMAIN.md section 5, time targets): how much
//! working time lies between two instants, and when a duration of working
//! time that starts at an instant is used up.
//!
//! A calendar is weekly working periods in a time zone, minus holidays,
//! plus extra working days (each worked with the periods of a named
//! weekday). Business time is real elapsed time inside working periods, in
//! local time: the instants whose local wall-clock time lies in a period of
//! their local date. So a period that a daylight-saving change shortens is
//! shorter (local 01:00–05:00 is 3 hours on the spring-forward night) and
//! one it lengthens is longer (5 hours on the fall-back night). The due time
//! is the earliest instant at which business time since the start reaches
//! the target; a target used up exactly at the end of a period is due then,
//! not at the next opening.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::ClosedEnum;
use super::channel::{Day, OpeningPeriod, period_conflicts};
use super::resource::Timestamp;

const MICROS_PER_SECOND: i64 = 1_000_000;
/// How far ahead `add` looks for working time before it gives up.
const HORIZON_DAYS: i64 = 3 * 366;

/// When time counts towards a target.
#[derive(Debug, Clone, PartialEq)]
pub enum BusinessClock {
    /// Every instant counts.
    AroundTheClock,
    Calendar(BusinessCalendar),
}

/// Working periods in a zone, with holidays and extra working days.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    zone: Tz,
    periods: Vec<OpeningPeriod>,
    holidays: BTreeSet<NaiveDate>,
    extra_days: BTreeMap<NaiveDate, Day>,
}

/// A half-open span of instants, in microseconds since the epoch.
type Span = (i64, i64);

impl BusinessCalendar {
    /// Checks and builds a calendar; every problem is returned as (field,
    /// description): an unknown zone, an empty week, a period that closes
    /// before it opens or overlaps another of its day, a holiday range that
    /// ends before it starts, a date that is both a holiday and worked.
    pub fn new(
        zone: &str,
        periods: Vec<OpeningPeriod>,
        holidays: &[(NaiveDate, NaiveDate)],
        extra_days: &[(NaiveDate, Day)],
    ) -> Result<Self, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let parsed = zone.parse::<Tz>();
        if parsed.is_err() {
            problems.push((
                "time_zone".to_owned(),
                "must be an IANA time zone such as Asia/Shanghai".to_owned(),
            ));
        }
        if periods.is_empty() {
            problems.push((
                "weekly_periods".to_owned(),
                "must hold at least one working period".to_owned(),
            ));
        }
        for (i, why) in period_conflicts(&periods) {
            problems.push((format!("weekly_periods[{i}]"), why));
        }
        let mut days_off = BTreeSet::new();
        for (i, (first, last)) in holidays.iter().enumerate() {
            if last < first {
                problems.push((
                    format!("holidays[{i}]"),
                    "must end on or after the day it starts".to_owned(),
                ));
                continue;
            }
            days_off.extend(first.iter_days().take_while(|day| day <= last));
        }
        let mut worked = BTreeMap::new();
        for (i, (date, day)) in extra_days.iter().enumerate() {
            if days_off.contains(date) {
                problems.push((
                    format!("extra_working_days[{i}]"),
                    format!("{date} is also a holiday"),
                ));
            } else if worked.insert(*date, *day).is_some() {
                problems.push((
                    format!("extra_working_days[{i}]"),
                    format!("{date} is listed twice"),
                ));
            }
        }
        match parsed {
            Ok(zone) if problems.is_empty() => Ok(BusinessCalendar {
                zone,
                periods,
                holidays: days_off,
                extra_days: worked,
            }),
            _ => Err(problems),
        }
    }

    /// The weekday whose periods `date` is worked with, if it is worked.
    fn worked_as(&self, date: NaiveDate) -> Option<Day> {
        if let Some(day) = self.extra_days.get(&date) {
            return Some(*day);
        }
        if self.holidays.contains(&date) {
            return None;
        }
        Day::from_code(i32::try_from(date.weekday().number_from_monday()).ok()?)
    }

    /// The working spans of one local date, sorted and disjoint.
    fn spans_on(&self, date: NaiveDate) -> Vec<Span> {
        let Some(day) = self.worked_as(date) else {
            return Vec::new();
        };
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let mut spans: Vec<Span> = self
            .periods
            .iter()
            .filter(|p| p.day == day)
            .flat_map(|p| {
                let open = midnight + Duration::minutes(i64::from(p.open));
                let close = midnight + Duration::minutes(i64::from(p.close));
                local_to_spans(&self.zone, open, close)
            })
            .collect();
        spans.sort_unstable();
        spans
    }

    /// The local date of an instant.
    fn local_date(&self, micros: i64) -> NaiveDate {
        DateTime::from_timestamp_micros(micros)
            .map(|t| t.with_timezone(&self.zone).date_naive())
            .unwrap_or_default()
    }
}

/// The instants whose wall-clock time in `zone` lies in [open, close): one
/// span for each UTC offset in force that day (two around a change of
/// offset; a skipped local hour has no instants, a repeated one has two).
fn local_to_spans(zone: &Tz, open: NaiveDateTime, close: NaiveDateTime) -> Vec<Span> {
    let as_utc = |local: NaiveDateTime| local.and_utc().timestamp();
    let offset_at = |utc_seconds: i64| {
        DateTime::from_timestamp(utc_seconds, 0)
            .map(|t| {
                i64::from(
                    zone.offset_from_utc_datetime(&t.naive_utc())
                        .fix()
                        .local_minus_utc(),
                )
            })
            .unwrap_or(0)
    };
    // Every instant of the span lies within a day of these bounds.
    let (low, high) = (as_utc(open) - 86_400, as_utc(close) + 86_400);
    let (before, after) = (offset_at(low), offset_at(high));
    let span = |offset: i64, from: i64, to: i64| {
        let start = (as_utc(open) - offset).max(from);
        let end = (as_utc(close) - offset).min(to);
        (start < end).then_some((start * MICROS_PER_SECOND, end * MICROS_PER_SECOND))
    };
    if before == after {
        return span(before, i64::MIN / 4, i64::MAX / 4)
            .into_iter()
            .collect();
    }
    // The first second of the later offset (one change in two days).
    let (mut lo, mut hi) = (low, high);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset_at(mid) == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    span(before, i64::MIN / 4, hi)
        .into_iter()
        .chain(span(after, hi, i64::MAX / 4))
        .collect()
}

impl BusinessClock {
    /// The business time in [from, to), in microseconds; 0 when `to` is not
    /// after `from`.
    pub fn measure(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (from, to) = (from.micros(), to.micros());
        if to <= from {
            return 0;
        }
        let BusinessClock::Calendar(calendar) = self else {
            return to - from;
        };
        let first = calendar.local_date(from) - Duration::days(1);
        let last = calendar.local_date(to) + Duration::days(1);
        first
            .iter_days()
            .take_while(|date| *date <= last)
            .flat_map(|date| calendar.spans_on(date))
            .map(|(start, end)| (end.min(to) - start.max(from)).max(0))
            .sum()
    }

    /// The earliest instant at which `duration` microseconds of business
    /// time since `start` have passed; None when the calendar has not that
    /// much working time in the next three years.
    pub fn add(&self, start: Timestamp, duration: i64) -> Option<Timestamp> {
        let start = start.micros();
        if duration <= 0 {
            return Some(Timestamp(start));
        }
        let BusinessClock::Calendar(calendar) = self else {
            return start.checked_add(duration).map(Timestamp);
        };
        let mut left = duration;
        let first = calendar.local_date(start) - Duration::days(1);
        for date in first
            .iter_days()
            .take(usize::try_from(HORIZON_DAYS).unwrap_or(0))
        {
            for (span_start, span_end) in calendar.spans_on(date) {
                let from = span_start.max(start);
                if from >= span_end {
                    continue;
                }
                if span_end - from >= left {
                    return Some(Timestamp(from + left));
                }
                left -= span_end - from;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    //! Every expected instant here was worked out by hand from the zone's
    //! offsets: Europe/Berlin is UTC+1 in winter and UTC+2 from 2026-03-29
    //! 01:00Z to 2026-10-25 01:00Z; Asia/Shanghai is UTC+8 all year.

    use super::*;

    const HOUR: i64 = 3600 * MICROS_PER_SECOND;
    const MINUTE: i64 = 60 * MICROS_PER_SECOND;

    fn at(text: &str) -> Timestamp {
        Timestamp(
            DateTime::parse_from_rfc3339(text)
                .expect("an RFC 3339 instant")
                .timestamp_micros(),
        )
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn period(day: Day, open_hour: u16, close_hour: u16) -> OpeningPeriod {
        OpeningPeriod {
            day,
            open: open_hour * 60,
            close: close_hour * 60,
        }
    }

    const WEEKDAYS: [Day; 5] = [
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
    ];
    const EVERY_DAY: [Day; 7] = [
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
        Day::Saturday,
        Day::Sunday,
    ];

    /// Berlin office: weekdays 09:00–12:00 and 13:00–17:00.
    fn berlin_office() -> BusinessClock {
        let periods = WEEKDAYS
            .iter()
            .flat_map(|d| [period(*d, 9, 12), period(*d, 13, 17)])
            .collect();
        BusinessClock::Calendar(BusinessCalendar::new("Europe/Berlin", periods, &[], &[]).unwrap())
    }

    /// Berlin night shift: every day 01:00–05:00, across both changes.
    fn berlin_nights() -> BusinessClock {
        let periods = EVERY_DAY.iter().map(|d| period(*d, 1, 5)).collect();
        BusinessClock::Calendar(BusinessCalendar::new("Europe/Berlin", periods, &[], &[]).unwrap())
    }

    /// Shanghai office: weekdays 09:00–18:00, the national holiday
    /// 2026-10-01..07, and Saturday 2026-10-10 worked as a Monday.
    fn shanghai_office() -> BusinessClock {
        let periods = WEEKDAYS.iter().map(|d| period(*d, 9, 18)).collect();
        let holidays = [(date("2026-10-01"), date("2026-10-07"))];
        let extra = [(date("2026-10-10"), Day::Monday)];
        BusinessClock::Calendar(
            BusinessCalendar::new("Asia/Shanghai", periods, &holidays, &extra).unwrap(),
        )
    }

    #[test]
    fn adding_within_a_day_skips_the_lunch_break() {
        let clock = berlin_office();
        // Mon 10:00 CET + 4 h: 10–12 and 13–15.
        assert_eq!(
            clock.add(at("2026-03-02T09:00:00Z"), 4 * HOUR),
            Some(at("2026-03-02T14:00:00Z"))
        );
        // Used up exactly at a period's end: due then, not after lunch.
        assert_eq!(
            clock.add(at("2026-03-02T10:00:00Z"), HOUR),
            Some(at("2026-03-02T11:00:00Z"))
        );
        // Starting inside the break: from 13:00.
        assert_eq!(
            clock.add(at("2026-03-02T11:30:00Z"), 30 * MINUTE),
            Some(at("2026-03-02T12:30:00Z"))
        );
    }

    #[test]
    fn adding_across_a_weekend_resumes_on_monday() {
        let clock = berlin_office();
        // Fri 16:00 CET + 2 h: 1 h on Friday, 1 h on Monday from 09:00.
        assert_eq!(
            clock.add(at("2026-03-06T15:00:00Z"), 2 * HOUR),
            Some(at("2026-03-09T09:00:00Z"))
        );
        // Saturday 11:00 + 1 h: Monday 10:00.
        assert_eq!(
            clock.add(at("2026-03-07T10:00:00Z"), HOUR),
            Some(at("2026-03-09T09:00:00Z"))
        );
        // Fri 00:00Z to Tue 00:00Z: Friday's and Monday's 7 h each.
        assert_eq!(
            clock.measure(at("2026-03-06T00:00:00Z"), at("2026-03-10T00:00:00Z")),
            14 * HOUR
        );
    }

    #[test]
    fn a_daylight_saving_change_shortens_or_lengthens_the_period_it_falls_in() {
        let clock = berlin_nights();
        // 2026-03-29: 01:00 CET = 00:00Z, 02:00–03:00 does not exist,
        // 05:00 CEST = 03:00Z: three hours.
        assert_eq!(
            clock.measure(at("2026-03-28T12:00:00Z"), at("2026-03-29T12:00:00Z")),
            3 * HOUR
        );
        assert_eq!(
            clock.add(at("2026-03-29T00:00:00Z"), 3 * HOUR),
            Some(at("2026-03-29T03:00:00Z"))
        );
        // One real hour after 01:00 CET is 03:00 CEST.
        assert_eq!(
            clock.add(at("2026-03-29T00:00:00Z"), HOUR),
            Some(at("2026-03-29T01:00:00Z"))
        );
        // 2026-10-25: 01:00 CEST = 23:00Z the day before, 02:00–03:00
        // happens twice, 05:00 CET = 04:00Z: five hours.
        assert_eq!(
            clock.measure(at("2026-10-24T12:00:00Z"), at("2026-10-25T12:00:00Z")),
            5 * HOUR
        );
        assert_eq!(
            clock.add(at("2026-10-24T23:00:00Z"), 5 * HOUR),
            Some(at("2026-10-25T04:00:00Z"))
        );
        // An ordinary night is four hours.
        assert_eq!(
            clock.measure(at("2026-10-25T12:00:00Z"), at("2026-10-26T12:00:00Z")),
            4 * HOUR
        );
    }

    #[test]
    fn holidays_are_skipped_and_extra_working_days_are_worked() {
        let clock = shanghai_office();
        // Wed 2026-09-30 17:00 CST + 2 h: 1 h that day, the holiday week,
        // then Thu 2026-10-08 09:00–10:00 CST = 02:00Z.
        assert_eq!(
            clock.add(at("2026-09-30T09:00:00Z"), 2 * HOUR),
            Some(at("2026-10-08T02:00:00Z"))
        );
        // Fri 2026-10-09 17:00 + 2 h: Saturday the 10th is worked.
        assert_eq!(
            clock.add(at("2026-10-09T09:00:00Z"), 2 * HOUR),
            Some(at("2026-10-10T02:00:00Z"))
        );
        // Sep 30, Oct 8, 9 and 10 at 9 h each; the holidays and Sunday the
        // 11th nothing.
        assert_eq!(
            clock.measure(at("2026-09-30T00:00:00Z"), at("2026-10-11T00:00:00Z")),
            36 * HOUR
        );
    }

    #[test]
    fn around_the_clock_every_instant_counts() {
        let clock = BusinessClock::AroundTheClock;
        assert_eq!(
            clock.add(at("2026-03-28T23:30:00Z"), 24 * HOUR),
            Some(at("2026-03-29T23:30:00Z"))
        );
        assert_eq!(
            clock.measure(at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z")),
            48 * HOUR
        );
        assert_eq!(
            clock.measure(at("2026-03-30T00:00:00Z"), at("2026-03-28T00:00:00Z")),
            0
        );
    }

    /// Property: for many starts and durations, measuring from the start to
    /// the due time gives the duration back, and one microsecond earlier
    /// falls short (the due time is the earliest).
    #[test]
    fn measuring_back_what_was_added_gives_the_same_duration() {
        for clock in [berlin_office(), berlin_nights(), shanghai_office()] {
            // Every 97 minutes over five weeks spanning the autumn change
            // and the Chinese holiday week.
            let mut start = at("2026-09-27T00:00:00Z").micros();
            let end = at("2026-11-01T00:00:00Z").micros();
            let mut n: i64 = 0;
            while start < end {
                n += 1;
                let duration = (n * 7919 % 2000 + 1) * MINUTE;
                let due = clock
                    .add(Timestamp(start), duration)
                    .expect("working time ahead");
                assert_eq!(
                    clock.measure(Timestamp(start), due),
                    duration,
                    "{clock:?} from {start} + {duration}"
                );
                assert!(clock.measure(Timestamp(start), Timestamp(due.micros() - 1)) < duration);
                start += 97 * MINUTE;
            }
        }
    }

    #[test]
    fn a_calendar_names_every_problem() {
        let problems = BusinessCalendar::new(
            "Mars/Olympus",
            vec![
                period(Day::Monday, 9, 12),
                period(Day::Monday, 11, 13),
                period(Day::Tuesday, 12, 9),
            ],
            &[
                (date("2026-10-07"), date("2026-10-01")),
                (date("2026-05-01"), date("2026-05-01")),
            ],
            &[(date("2026-05-01"), Day::Monday)],
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "time_zone",
                "weekly_periods[1]",
                "weekly_periods[2]",
                "holidays[0]",
                "extra_working_days[0]"
            ]
        );
        let empty = BusinessCalendar::new("UTC", vec![], &[], &[]).unwrap_err();
        assert_eq!(empty[0].0, "weekly_periods");
    }
}

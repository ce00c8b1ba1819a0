//! A calendar as a caller writes it, and the rules that turn it into a
//! [`Calendar`]: required fields, date text, list sizes, then every rule of
//! [`BusinessCalendar::new`]. Paths are relative to the calendar.

use std::collections::BTreeMap;

use super::*;
use crate::domain::ClosedEnum;
use crate::domain::channel::{OpeningPeriodInput, TimeOfDayInput};
use crate::domain::input::{required_code, required_text};

/// The writable fields of a calendar, unchecked, under their API names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarInput {
    pub display_name: String,
    pub time_zone: String,
    pub weekly_periods: Vec<OpeningPeriodInput>,
    pub holidays: Vec<HolidayInput>,
    pub extra_working_days: Vec<ExtraWorkingDayInput>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HolidayInput {
    pub first_date: String,
    pub last_date: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtraWorkingDayInput {
    pub date: String,
    pub worked_as: i32,
}

impl Calendar {
    /// Checks a calendar; every problem is named at once.
    pub fn parse(c: CalendarInput) -> Result<Calendar, Violations> {
        let mut v = Violations::new();
        let display_name = required_text(&mut v, "display_name", &c.display_name, 200);
        let time_zone = c.time_zone.trim().to_owned();
        if time_zone.is_empty() {
            v.add("time_zone", "is required");
        }

        // Each list keeps the index its items had in the request, so the
        // calendar's own checks name the item the caller sent.
        let mut periods = Indexed::default();
        if c.weekly_periods.len() > Calendar::MAX_PERIODS {
            v.add(
                "weekly_periods",
                format!("must hold 1 to {} periods", Calendar::MAX_PERIODS),
            );
        } else {
            for (i, p) in c.weekly_periods.iter().enumerate() {
                if let Some(period) = period(&mut v, &format!("weekly_periods[{i}]"), p) {
                    periods.push(i, period);
                }
            }
        }

        let mut holidays = Indexed::default();
        if c.holidays.len() > Calendar::MAX_HOLIDAYS {
            v.add(
                "holidays",
                format!("must hold at most {} ranges", Calendar::MAX_HOLIDAYS),
            );
        } else {
            for (i, h) in c.holidays.iter().enumerate() {
                let at = format!("holidays[{i}]");
                let first = v.check(
                    &format!("{at}.first_date"),
                    Calendar::parse_date(&h.first_date),
                );
                let last = v.check(
                    &format!("{at}.last_date"),
                    Calendar::parse_date(&h.last_date),
                );
                let (Some(first), Some(last)) = (first, last) else {
                    continue;
                };
                // A reversed range is the calendar's to report.
                if (last - first).num_days() > Calendar::MAX_HOLIDAY_SPAN_DAYS {
                    v.add(
                        at,
                        format!(
                            "must end at most {} days after it starts",
                            Calendar::MAX_HOLIDAY_SPAN_DAYS
                        ),
                    );
                    continue;
                }
                holidays.push(i, Holiday { first, last });
            }
        }

        let mut extra_days = Indexed::default();
        if c.extra_working_days.len() > Calendar::MAX_EXTRA_DAYS {
            v.add(
                "extra_working_days",
                format!("must hold at most {} dates", Calendar::MAX_EXTRA_DAYS),
            );
        } else {
            for (i, d) in c.extra_working_days.iter().enumerate() {
                let at = format!("extra_working_days[{i}]");
                let date = v.check(&format!("{at}.date"), Calendar::parse_date(&d.date));
                let worked_as = required_code(&mut v, &format!("{at}.worked_as"), d.worked_as);
                if let (Some(date), Some(worked_as)) = (date, worked_as) {
                    extra_days.push(i, ExtraWorkingDay { date, worked_as });
                }
            }
        }

        let calendar = Calendar {
            display_name: display_name.unwrap_or_default(),
            time_zone,
            periods: std::mem::take(&mut periods.items),
            holidays: std::mem::take(&mut holidays.items),
            extra_days: std::mem::take(&mut extra_days.items),
            labels: Labels::parse(&mut v, "labels", &c.labels),
        };
        if let Err(problems) = calendar.business_calendar() {
            for (field, why) in problems {
                let reported = match field.as_str() {
                    // Already named as required.
                    "time_zone" => calendar.time_zone.is_empty(),
                    // Periods were sent, but each one is already named.
                    "weekly_periods" => !c.weekly_periods.is_empty(),
                    _ => false,
                };
                if reported {
                    continue;
                }
                let field = periods
                    .rename(&field, "weekly_periods")
                    .or_else(|| holidays.rename(&field, "holidays"))
                    .or_else(|| extra_days.rename(&field, "extra_working_days"))
                    .unwrap_or(field);
                v.add(field, why);
            }
        }
        v.finish_with(calendar)
    }

    /// The writable fields as input, for an update to merge into.
    pub fn input(&self) -> CalendarInput {
        CalendarInput {
            display_name: self.display_name.clone(),
            time_zone: self.time_zone.clone(),
            weekly_periods: self
                .periods
                .iter()
                .map(|p| OpeningPeriodInput {
                    day: p.day.code(),
                    open_time: Some(time_of_day(p.open)),
                    close_time: Some(time_of_day(p.close)),
                })
                .collect(),
            holidays: self
                .holidays
                .iter()
                .map(|h| HolidayInput {
                    first_date: date_text(h.first),
                    last_date: date_text(h.last),
                })
                .collect(),
            extra_working_days: self
                .extra_days
                .iter()
                .map(|d| ExtraWorkingDayInput {
                    date: date_text(d.date),
                    worked_as: d.worked_as.code(),
                })
                .collect(),
            labels: self.labels.to_map(),
        }
    }
}

/// The items of a list that parsed, with the index each had in the request.
struct Indexed<T> {
    items: Vec<T>,
    sent_at: Vec<usize>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed {
            items: Vec::new(),
            sent_at: Vec::new(),
        }
    }
}

impl<T> Indexed<T> {
    fn push(&mut self, sent_at: usize, item: T) {
        self.items.push(item);
        self.sent_at.push(sent_at);
    }

    /// `{list}[i]…` with `i` an index into `items`, as the request's index.
    fn rename(&self, field: &str, list: &str) -> Option<String> {
        let rest = field.strip_prefix(list)?.strip_prefix('[')?;
        let (index, rest) = rest.split_once(']')?;
        let sent = self.sent_at.get(index.parse::<usize>().ok()?)?;
        Some(format!("{list}[{sent}]{rest}"))
    }
}

fn period(v: &mut Violations, at: &str, p: &OpeningPeriodInput) -> Option<OpeningPeriod> {
    let day = required_code(v, &format!("{at}.day"), p.day);
    let time = |v: &mut Violations, name: &str, t: Option<TimeOfDayInput>| {
        let field = format!("{at}.{name}");
        match t {
            Some(t) => v.check(&field, OpeningPeriod::minutes(t.hours, t.minutes)),
            None => {
                v.add(field, "is required");
                None
            }
        }
    };
    let open = time(v, "open_time", p.open_time);
    let close = time(v, "close_time", p.close_time);
    Some(OpeningPeriod {
        day: day?,
        open: open?,
        close: close?,
    })
}

fn time_of_day(minutes: u16) -> TimeOfDayInput {
    TimeOfDayInput {
        hours: i32::from(minutes / 60),
        minutes: i32::from(minutes % 60),
    }
}

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(day: Day, open: i32, close: i32) -> OpeningPeriodInput {
        OpeningPeriodInput {
            day: day.code(),
            open_time: Some(TimeOfDayInput {
                hours: open,
                minutes: 0,
            }),
            close_time: Some(TimeOfDayInput {
                hours: close,
                minutes: 0,
            }),
        }
    }

    fn shanghai() -> CalendarInput {
        CalendarInput {
            display_name: "Shanghai office".into(),
            time_zone: "Asia/Shanghai".into(),
            weekly_periods: vec![period(Day::Monday, 9, 12), period(Day::Monday, 13, 18)],
            holidays: vec![HolidayInput {
                first_date: "2026-10-01".into(),
                last_date: "2026-10-07".into(),
            }],
            extra_working_days: vec![ExtraWorkingDayInput {
                date: "2026-10-10".into(),
                worked_as: Day::Monday.code(),
            }],
            labels: BTreeMap::new(),
        }
    }

    fn fields(input: CalendarInput) -> Vec<String> {
        let mut found: Vec<String> = Calendar::parse(input)
            .unwrap_err()
            .into_violations()
            .into_iter()
            .map(|v| v.field)
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_good_calendar_round_trips_through_its_input() {
        let calendar = Calendar::parse(shanghai()).unwrap();
        assert_eq!(calendar.periods.len(), 2);
        assert_eq!(calendar.input(), shanghai());
    }

    #[test]
    fn the_calendars_checks_name_the_items_as_sent() {
        let mut input = shanghai();
        input.time_zone = "Mars/Olympus".into();
        input.weekly_periods = vec![
            period(Day::Monday, 9, 12),
            OpeningPeriodInput::default(),
            period(Day::Monday, 11, 13),
        ];
        input.holidays = vec![
            HolidayInput {
                first_date: "2026-13-01".into(),
                last_date: "2026-10-07".into(),
            },
            HolidayInput {
                first_date: "2026-10-07".into(),
                last_date: "2026-10-01".into(),
            },
            HolidayInput {
                first_date: "2026-10-01".into(),
                last_date: "2026-10-07".into(),
            },
        ];
        input.extra_working_days = vec![
            ExtraWorkingDayInput {
                date: "tomorrow".into(),
                worked_as: 0,
            },
            ExtraWorkingDayInput {
                date: "2026-10-03".into(),
                worked_as: Day::Friday.code(),
            },
        ];
        assert_eq!(
            fields(input),
            [
                "extra_working_days[0].date",
                "extra_working_days[0].worked_as",
                "extra_working_days[1]",
                "holidays[0].first_date",
                "holidays[1]",
                "time_zone",
                "weekly_periods[1].close_time",
                "weekly_periods[1].day",
                "weekly_periods[1].open_time",
                "weekly_periods[2]",
            ]
        );
    }

    #[test]
    fn missing_fields_are_named_once() {
        assert_eq!(
            fields(CalendarInput::default()),
            ["display_name", "time_zone", "weekly_periods"]
        );
        let mut long = shanghai();
        long.holidays[0].last_date = "2028-10-07".into();
        assert_eq!(fields(long), ["holidays[0]"]);
    }
}

//! Business calendars (DOMAIN.md section 5, time targets): weekly working
//! periods in a time zone, holidays and extra working days. The rules are
//! those of [`BusinessCalendar::new`]; this is the stored, listed resource.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::business_time::BusinessCalendar;
use super::channel::{Day, OpeningPeriod};
use super::event::FieldChanges;
use super::filter::{FieldSpec, FieldType, Schema};
use super::listing::Orderable;
use super::resource::{Collection, Labels, ResourceBody, Timestamp};
use crate::error::Violations;

mod input;

pub use input::{CalendarInput, ExtraWorkingDayInput, HolidayInput};

pub const COLLECTION: Collection = Collection {
    plural: "calendars",
    singular: "calendar",
    parent: None,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    pub display_name: String,
    /// An IANA zone name known to the tz database.
    pub time_zone: String,
    pub periods: Vec<OpeningPeriod>,
    pub holidays: Vec<Holiday>,
    pub extra_days: Vec<ExtraWorkingDay>,
    pub labels: Labels,
}

/// Days off from `first` to `last`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    #[serde(with = "iso_date")]
    pub first: NaiveDate,
    #[serde(with = "iso_date")]
    pub last: NaiveDate,
}

/// `date` is worked with the periods of `worked_as`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraWorkingDay {
    #[serde(with = "iso_date")]
    pub date: NaiveDate,
    pub worked_as: Day,
}

impl Calendar {
    pub const MAX_PERIODS: usize = 50;
    pub const MAX_HOLIDAYS: usize = 500;
    pub const MAX_EXTRA_DAYS: usize = 500;
    /// The longest holiday range, in days after its first day.
    pub const MAX_HOLIDAY_SPAN_DAYS: i64 = 366;

    /// The calendar the business-time arithmetic runs on.
    pub fn business_calendar(&self) -> Result<BusinessCalendar, Vec<(String, String)>> {
        let holidays: Vec<(NaiveDate, NaiveDate)> =
            self.holidays.iter().map(|h| (h.first, h.last)).collect();
        let extra: Vec<(NaiveDate, Day)> = self
            .extra_days
            .iter()
            .map(|d| (d.date, d.worked_as))
            .collect();
        BusinessCalendar::new(&self.time_zone, self.periods.clone(), &holidays, &extra)
    }

    /// A local date written `YYYY-MM-DD`.
    pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
        let text = text.trim();
        let bad = || "must be a date written YYYY-MM-DD".to_owned();
        if text.len() != 10 {
            return Err(bad());
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())
    }
}

/// Dates stored as `YYYY-MM-DD` text.
mod iso_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&date.format("%Y-%m-%d").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let text = String::deserialize(d)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(serde::de::Error::custom)
    }
}

impl ResourceBody for Calendar {
    const COLLECTION: Collection = COLLECTION;
    const FILTER: Schema = FILTER;
    const ORDERABLE: Orderable = ORDERABLE;

    type Input = CalendarInput;
    type Side = ();

    fn from_input(
        input: CalendarInput,
        _previous: Option<&Self>,
        _now: Timestamp,
    ) -> Result<Self, Violations> {
        Calendar::parse(input)
    }

    fn to_input(&self) -> CalendarInput {
        self.input()
    }

    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn changed_fields(before: &Self, after: &Self) -> Vec<String> {
        let (b, a) = (before, after);
        let mut changes = FieldChanges::default();
        changes
            .compare("display_name", &b.display_name, &a.display_name)
            .compare("time_zone", &b.time_zone, &a.time_zone)
            .compare("weekly_periods", &b.periods, &a.periods)
            .compare("holidays", &b.holidays, &a.holidays)
            .compare("extra_working_days", &b.extra_days, &a.extra_days)
            .compare("labels", &b.labels, &a.labels);
        changes.into_paths()
    }
}

/// Filterable fields of ListCalendars, as documented in the proto.
pub const FILTER: Schema = Schema {
    fields: &[
        FieldSpec {
            path: "display_name",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "time_zone",
            ty: FieldType::Exact,
        },
        FieldSpec {
            path: "create_time",
            ty: FieldType::Timestamp,
        },
        FieldSpec {
            path: "update_time",
            ty: FieldType::Timestamp,
        },
    ],
    labels: true,
};

/// Fields ListCalendars can be ordered by, as documented in the proto;
/// newest first by default.
pub const ORDERABLE: Orderable = Orderable {
    fields: &["display_name", "time_zone", "create_time", "update_time"],
    default_field: "create_time",
    default_descending: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_year_month_day() {
        assert_eq!(
            Calendar::parse_date("2026-10-01"),
            Ok(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap())
        );
        assert!(Calendar::parse_date("2026-1-1").is_err());
        assert!(Calendar::parse_date("2026-02-30").is_err());
        assert!(Calendar::parse_date("01/10/2026").is_err());
        assert!(Calendar::parse_date("").is_err());
    }

    #[test]
    fn stored_dates_round_trip_as_text() {
        let holiday = Holiday {
            first: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            last: NaiveDate::from_ymd_opt(2026, 10, 7).unwrap(),
        };
        let json = serde_json::to_string(&holiday).unwrap();
        assert_eq!(json, r#"{"first":"2026-10-01","last":"2026-10-07"}"#);
        assert_eq!(serde_json::from_str::<Holiday>(&json).unwrap(), holiday);
    }
}

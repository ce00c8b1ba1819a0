//! Contact channels (DOMAIN.md section 2): the organisation's intake and
//! contact channels with the service standard each must meet.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ClosedEnum;
use super::customer::Tier;
use super::event::FieldChanges;
use super::filter::{FieldSpec, FieldType, Schema};
use super::input::{required_code, required_text};
use super::listing::Orderable;
use super::resource::{Collection, Labels, ResourceBody, Timestamp};
use crate::error::Violations;

mod input;

pub use input::{
    AvailabilityInput, ChannelInput, DurationInput, OpeningPeriodInput, TimeOfDayInput,
};

pub const COLLECTION: Collection = Collection {
    plural: "channels",
    singular: "channel",
    parent: None,
};

closed_enum!(ChannelType {
    Hotline = 1 => "HOTLINE", OutboundCallback = 2 => "OUTBOUND_CALLBACK", Website = 3 => "WEBSITE",
    App = 4 => "APP", WalkInOffice = 5 => "WALK_IN_OFFICE", Fax = 6 => "FAX", Letter = 7 => "LETTER",
    Email = 8 => "EMAIL", Messaging = 9 => "MESSAGING", DirectLine = 10 => "DIRECT_LINE", Visit = 11 => "VISIT",
});
closed_enum!(ChannelKind { Regular = 1 => "REGULAR", Dedicated = 2 => "DEDICATED" });
closed_enum!(Day {
    Monday = 1 => "MONDAY", Tuesday = 2 => "TUESDAY", Wednesday = 3 => "WEDNESDAY", Thursday = 4 => "THURSDAY",
    Friday = 5 => "FRIDAY", Saturday = 6 => "SATURDAY", Sunday = 7 => "SUNDAY",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub display_name: String,
    pub channel_type: ChannelType,
    pub kind: ChannelKind,
    pub availability: Availability,
    /// Whole seconds, more than zero, at most [`Channel::MAX_RESPONSE_SECONDS`].
    pub first_response_seconds: i64,
    pub owning_department: String,
    /// Empty for a regular channel; the served tiers for a dedicated one.
    pub allowed_tiers: Vec<Tier>,
    pub active: bool,
    pub labels: Labels,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    AlwaysOpen,
    Weekly {
        /// An IANA zone name known to the tz database.
        time_zone: String,
        periods: Vec<OpeningPeriod>,
    },
}

/// Open from `open` to `close` minutes after midnight on `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningPeriod {
    pub day: Day,
    pub open: u16,
    pub close: u16,
}

pub const MINUTES_PER_DAY: u16 = 24 * 60;

impl Channel {
    pub const MAX_RESPONSE_SECONDS: i64 = 30 * 24 * 3600;
    pub const MAX_PERIODS: usize = 50;

    /// A regular channel serves every tier; a dedicated one names its tiers.
    pub fn check_tiers(kind: ChannelKind, tiers: &[Tier]) -> Result<(), String> {
        match kind {
            ChannelKind::Regular if !tiers.is_empty() => {
                Err("must be empty for a REGULAR channel, which serves every tier".into())
            }
            ChannelKind::Dedicated if tiers.is_empty() => {
                Err("must name at least one tier for a DEDICATED channel".into())
            }
            _ if tiers
                .iter()
                .enumerate()
                .any(|(i, t)| tiers[..i].contains(t)) =>
            {
                Err("must not name a tier twice".into())
            }
            _ => Ok(()),
        }
    }

    pub fn check_response_seconds(seconds: i64, nanos: i32) -> Result<i64, String> {
        if nanos != 0 {
            return Err("must be whole seconds".into());
        }
        if seconds <= 0 || seconds > Self::MAX_RESPONSE_SECONDS {
            return Err("must be more than zero and at most 30 days".into());
        }
        Ok(seconds)
    }
}

impl OpeningPeriod {
    /// A time of day in minutes: 00:00 to 24:00.
    pub fn minutes(hours: i32, minutes: i32) -> Result<u16, String> {
        let valid = (0..=24).contains(&hours)
            && (0..60).contains(&minutes)
            && !(hours == 24 && minutes != 0);
        valid
            .then(|| (hours * 60 + minutes) as u16)
            .ok_or_else(|| "must be a time from 00:00 to 24:00".into())
    }
}

/// Checks a weekly timetable: each period closes after it opens, and periods
/// of one day do not overlap. Returns (index, description) per bad period.
pub fn period_conflicts(periods: &[OpeningPeriod]) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    for (i, period) in periods.iter().enumerate() {
        if period.close <= period.open {
            problems.push((i, "close_time must be after open_time".into()));
        } else if periods[..i].iter().any(|p| {
            // An inverted earlier period is reported on its own, not as an overlap.
            p.open < p.close
                && p.day == period.day
                && p.open < period.close
                && period.open < p.close
        }) {
            problems.push((
                i,
                format!("overlaps an earlier {} period", period.day.name()),
            ));
        }
    }
    problems
}

impl ResourceBody for Channel {
    const COLLECTION: Collection = COLLECTION;
    const FILTER: Schema = FILTER;
    const ORDERABLE: Orderable = ORDERABLE;

    type Input = ChannelInput;
    type Side = ();

    fn from_input(
        input: ChannelInput,
        _previous: Option<&Self>,
        _now: Timestamp,
    ) -> Result<Self, Violations> {
        Channel::parse(input)
    }

    fn to_input(&self) -> ChannelInput {
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
            .compare("type", &b.channel_type, &a.channel_type)
            .compare("kind", &b.kind, &a.kind)
            .compare("availability", &b.availability, &a.availability)
            .compare(
                "first_response_target",
                &b.first_response_seconds,
                &a.first_response_seconds,
            )
            .compare(
                "owning_department",
                &b.owning_department,
                &a.owning_department,
            )
            .compare("allowed_tiers", &b.allowed_tiers, &a.allowed_tiers)
            .compare("active", &b.active, &a.active)
            .compare("labels", &b.labels, &a.labels);
        changes.into_paths()
    }
}

/// Checks an IANA time zone name against the tz database.
pub fn check_time_zone(name: &str) -> Result<String, String> {
    name.parse::<chrono_tz::Tz>()
        .map(|_| name.to_owned())
        .map_err(|_| "must be an IANA time zone such as Asia/Shanghai".into())
}

/// Filterable fields of ListChannels, as documented in the proto.
pub const FILTER: Schema = Schema {
    fields: &[
        FieldSpec {
            path: "display_name",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "type",
            ty: FieldType::Enum(ChannelType::ALL),
        },
        FieldSpec {
            path: "kind",
            ty: FieldType::Enum(ChannelKind::ALL),
        },
        FieldSpec {
            path: "owning_department",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "active",
            ty: FieldType::Bool,
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

/// Fields ListChannels can be ordered by, as documented in the proto;
/// newest first by default.
pub const ORDERABLE: Orderable = Orderable {
    fields: &[
        "display_name",
        "type",
        "owning_department",
        "create_time",
        "update_time",
    ],
    default_field: "create_time",
    default_descending: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn period(day: Day, open: u16, close: u16) -> OpeningPeriod {
        OpeningPeriod { day, open, close }
    }

    #[test]
    fn tiers_follow_the_channel_kind() {
        assert!(Channel::check_tiers(ChannelKind::Regular, &[]).is_ok());
        assert!(Channel::check_tiers(ChannelKind::Regular, &[Tier::Key]).is_err());
        assert!(Channel::check_tiers(ChannelKind::Dedicated, &[]).is_err());
        assert!(
            Channel::check_tiers(ChannelKind::Dedicated, &[Tier::Key, Tier::Strategic]).is_ok()
        );
        assert!(Channel::check_tiers(ChannelKind::Dedicated, &[Tier::Key, Tier::Key]).is_err());
    }

    #[test]
    fn response_targets_are_positive_whole_seconds_up_to_thirty_days() {
        assert_eq!(Channel::check_response_seconds(600, 0), Ok(600));
        assert!(Channel::check_response_seconds(0, 0).is_err());
        assert!(Channel::check_response_seconds(1, 5).is_err());
        assert!(Channel::check_response_seconds(30 * 24 * 3600 + 1, 0).is_err());
    }

    #[test]
    fn times_of_day_run_from_midnight_to_midnight() {
        assert_eq!(OpeningPeriod::minutes(9, 30), Ok(570));
        assert_eq!(OpeningPeriod::minutes(24, 0), Ok(1440));
        assert!(OpeningPeriod::minutes(24, 1).is_err());
        assert!(OpeningPeriod::minutes(-1, 0).is_err());
        assert!(OpeningPeriod::minutes(8, 60).is_err());
    }

    #[test]
    fn overlapping_and_inverted_periods_are_found() {
        let periods = [
            period(Day::Monday, 540, 720),
            period(Day::Monday, 780, 1080),
            period(Day::Monday, 700, 800),
            period(Day::Tuesday, 600, 600),
            period(Day::Tuesday, 540, 720),
        ];
        let found: Vec<usize> = period_conflicts(&periods)
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(found, vec![2, 3]);
    }

    #[test]
    fn time_zones_come_from_the_tz_database() {
        assert!(check_time_zone("Asia/Shanghai").is_ok());
        assert!(check_time_zone("Mars/Olympus").is_err());
    }
}

//! A channel as a caller writes it, and the rules that turn it into a
//! [`Channel`]: required fields, the timetable, the response target, the
//! tiers a dedicated channel serves. Paths are relative to the channel.

use super::*;

/// The writable fields of a channel, unchecked, under their API names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelInput {
    pub display_name: String,
    pub r#type: i32,
    pub kind: i32,
    pub availability: Option<AvailabilityInput>,
    pub first_response_target: Option<DurationInput>,
    pub owning_department: String,
    pub allowed_tiers: Vec<i32>,
    /// Absent means active.
    pub active: Option<bool>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityInput {
    pub always_open: bool,
    pub time_zone: String,
    pub weekly_periods: Vec<OpeningPeriodInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpeningPeriodInput {
    pub day: i32,
    pub open_time: Option<TimeOfDayInput>,
    pub close_time: Option<TimeOfDayInput>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeOfDayInput {
    pub hours: i32,
    pub minutes: i32,
}

/// A span as a caller sends it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationInput {
    pub seconds: i64,
    pub nanos: i32,
}

impl Channel {
    /// Checks a channel and its service standard.
    pub fn parse(c: ChannelInput) -> Result<Channel, Violations> {
        let mut v = Violations::new();
        let display_name = required_text(&mut v, "display_name", &c.display_name, 200);
        let channel_type = required_code(&mut v, "type", c.r#type);
        let kind = required_code(&mut v, "kind", c.kind);
        let availability = availability(&mut v, "availability", c.availability.as_ref());
        let first_response_seconds = match c.first_response_target {
            Some(d) => v.check(
                "first_response_target",
                Channel::check_response_seconds(d.seconds, d.nanos),
            ),
            None => {
                v.add("first_response_target", "is required");
                None
            }
        };
        let owning_department =
            required_text(&mut v, "owning_department", &c.owning_department, 100);
        // There are only four tiers: a longer list is refused whole, not per item.
        let listed = if c.allowed_tiers.len() > Tier::ALL.len() {
            v.add("allowed_tiers", "must not name a tier twice");
            &[][..]
        } else {
            &c.allowed_tiers[..]
        };
        let tiers: Vec<Tier> = listed
            .iter()
            .enumerate()
            .filter_map(|(i, code)| required_code(&mut v, &format!("allowed_tiers[{i}]"), *code))
            .collect();
        if let Some(kind) = kind {
            v.check("allowed_tiers", Channel::check_tiers(kind, &tiers));
        }
        let labels = Labels::parse(&mut v, "labels", &c.labels);
        match (
            display_name,
            channel_type,
            kind,
            availability,
            first_response_seconds,
            owning_department,
        ) {
            (
                Some(display_name),
                Some(channel_type),
                Some(kind),
                Some(availability),
                Some(seconds),
                Some(department),
            ) => v.finish_with(Channel {
                display_name,
                channel_type,
                kind,
                availability,
                first_response_seconds: seconds,
                owning_department: department,
                allowed_tiers: tiers,
                active: c.active.unwrap_or(true),
                labels,
            }),
            _ => Err(v),
        }
    }

    /// The writable fields as input, for an update to merge into.
    pub fn input(&self) -> ChannelInput {
        ChannelInput {
            display_name: self.display_name.clone(),
            r#type: self.channel_type.code(),
            kind: self.kind.code(),
            availability: Some(self.availability.input()),
            first_response_target: Some(DurationInput {
                seconds: self.first_response_seconds,
                nanos: 0,
            }),
            owning_department: self.owning_department.clone(),
            allowed_tiers: self.allowed_tiers.iter().map(|t| t.code()).collect(),
            active: Some(self.active),
            labels: self.labels.to_map(),
        }
    }
}

fn availability(
    v: &mut Violations,
    at: &str,
    a: Option<&AvailabilityInput>,
) -> Option<Availability> {
    let Some(a) = a else {
        v.add(at, "is required");
        return None;
    };
    if a.always_open {
        if !a.time_zone.is_empty() || !a.weekly_periods.is_empty() {
            v.add(
                at,
                "time_zone and weekly_periods must be empty when always_open is true",
            );
            return None;
        }
        return Some(Availability::AlwaysOpen);
    }
    let time_zone = v.check(
        &format!("{at}.time_zone"),
        check_time_zone(a.time_zone.trim()),
    );
    if a.weekly_periods.is_empty() || a.weekly_periods.len() > Channel::MAX_PERIODS {
        v.add(
            format!("{at}.weekly_periods"),
            format!(
                "must hold 1 to {} periods unless always_open is true",
                Channel::MAX_PERIODS
            ),
        );
        return None;
    }
    let mut periods = Vec::new();
    for (i, p) in a.weekly_periods.iter().enumerate() {
        let f = |name: &str| format!("{at}.weekly_periods[{i}].{name}");
        let day = required_code(v, &f("day"), p.day);
        let time = |v: &mut Violations, name: &str, t: Option<TimeOfDayInput>| match t {
            Some(t) => v.check(&f(name), OpeningPeriod::minutes(t.hours, t.minutes)),
            None => {
                v.add(f(name), "is required");
                None
            }
        };
        let open = time(v, "open_time", p.open_time);
        let close = time(v, "close_time", p.close_time);
        if let (Some(day), Some(open), Some(close)) = (day, open, close) {
            periods.push(OpeningPeriod { day, open, close });
        }
    }
    if periods.len() != a.weekly_periods.len() {
        return None;
    }
    for (i, problem) in period_conflicts(&periods) {
        v.add(format!("{at}.weekly_periods[{i}]"), problem);
    }
    Some(Availability::Weekly {
        time_zone: time_zone?,
        periods,
    })
}

impl Availability {
    fn input(&self) -> AvailabilityInput {
        match self {
            Availability::AlwaysOpen => AvailabilityInput {
                always_open: true,
                ..Default::default()
            },
            Availability::Weekly { time_zone, periods } => AvailabilityInput {
                always_open: false,
                time_zone: time_zone.clone(),
                weekly_periods: periods
                    .iter()
                    .map(|p| OpeningPeriodInput {
                        day: p.day.code(),
                        open_time: Some(time_of_day(p.open)),
                        close_time: Some(time_of_day(p.close)),
                    })
                    .collect(),
            },
        }
    }
}

fn time_of_day(minutes: u16) -> TimeOfDayInput {
    TimeOfDayInput {
        hours: i32::from(minutes / 60),
        minutes: i32::from(minutes % 60),
    }
}

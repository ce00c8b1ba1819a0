//! A policy as a caller writes it, and the rules that turn it into a
//! [`ServiceLevelPolicy`]: required fields, conditions without repeats,
//! resource names, targets and thresholds. Paths are relative to the policy.

use std::collections::BTreeMap;

use super::*;
use crate::domain::ClosedEnum;
use crate::domain::channel::DurationInput;
use crate::domain::input::{optional_text, required_code, required_text};

/// The writable fields of a policy, unchecked, under their API names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceLevelPolicyInput {
    pub display_name: String,
    pub description: String,
    pub priority: i32,
    /// Absent means active.
    pub active: Option<bool>,
    pub severities: Vec<i32>,
    pub customer_tiers: Vec<i32>,
    pub categories: Vec<i32>,
    /// Channels' resource names.
    pub channels: Vec<String>,
    /// A calendar's resource name, or empty.
    pub calendar: String,
    pub first_response_target: Option<DurationInput>,
    pub resolution_target: Option<DurationInput>,
    pub callback_target: Option<DurationInput>,
    /// Absent means the defaults.
    pub warning_thresholds: Option<ThresholdsInput>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdsInput {
    pub yellow_percent: i32,
    pub orange_percent: i32,
    pub red_percent: i32,
}

const TARGETS: &str = "at least one of first_response_target, resolution_target and \
                       callback_target is required";

impl ServiceLevelPolicy {
    /// Checks a policy; every problem is named at once. Whether its
    /// priority is free and its channels and calendar exist is for the
    /// write transaction to say.
    pub fn parse(p: ServiceLevelPolicyInput) -> Result<ServiceLevelPolicy, Violations> {
        let mut v = Violations::new();
        let display_name = required_text(&mut v, "display_name", &p.display_name, 200);
        let description = optional_text(&mut v, "description", &p.description, 2000);
        let priority = v.check("priority", check_priority(p.priority));
        let severities = closed_values(&mut v, "severities", &p.severities);
        let customer_tiers = closed_values(&mut v, "customer_tiers", &p.customer_tiers);
        let categories = closed_values(&mut v, "categories", &p.categories);
        let channels = channels(&mut v, &p.channels);
        let calendar = match p.calendar.trim() {
            "" => None,
            text => v.check(
                "calendar",
                calendar::COLLECTION.parse_name(text).map(|n| n.id),
            ),
        };
        let targets = Targets {
            first_response: target(&mut v, "first_response_target", p.first_response_target),
            resolution: target(&mut v, "resolution_target", p.resolution_target),
            callback: target(&mut v, "callback_target", p.callback_target),
        };
        let none_sent = [
            p.first_response_target,
            p.resolution_target,
            p.callback_target,
        ]
        .iter()
        .all(Option::is_none);
        if none_sent {
            for field in [
                "first_response_target",
                "resolution_target",
                "callback_target",
            ] {
                v.add(field, TARGETS);
            }
        }
        let thresholds = match p.warning_thresholds {
            Some(t) => thresholds(&mut v, t),
            None => Thresholds::default(),
        };
        let labels = Labels::parse(&mut v, "labels", &p.labels);
        let (Some(display_name), Some(priority)) = (display_name, priority) else {
            return Err(v);
        };
        v.finish_with(ServiceLevelPolicy {
            display_name,
            description,
            priority,
            active: p.active.unwrap_or(true),
            severities,
            customer_tiers,
            categories,
            channels,
            calendar,
            targets,
            thresholds,
            labels,
        })
    }

    /// The writable fields as input, for an update to merge into.
    pub fn input(&self) -> ServiceLevelPolicyInput {
        let t = &self.targets;
        ServiceLevelPolicyInput {
            display_name: self.display_name.clone(),
            description: self.description.clone(),
            priority: self.priority,
            active: Some(self.active),
            severities: self.severities.iter().map(|s| s.code()).collect(),
            customer_tiers: self.customer_tiers.iter().map(|t| t.code()).collect(),
            categories: self.categories.iter().map(|c| c.code()).collect(),
            channels: self.channels.iter().copied().map(channel_name).collect(),
            calendar: self.calendar.map(calendar_name).unwrap_or_default(),
            first_response_target: t.first_response.map(duration_input),
            resolution_target: t.resolution.map(duration_input),
            callback_target: t.callback.map(duration_input),
            warning_thresholds: Some(ThresholdsInput {
                yellow_percent: self.thresholds.yellow as i32,
                orange_percent: self.thresholds.orange as i32,
                red_percent: self.thresholds.red as i32,
            }),
            labels: self.labels.to_map(),
        }
    }
}

/// Priorities are whole numbers from 1; the lowest is tried first.
pub fn check_priority(priority: i32) -> Result<i32, String> {
    if priority >= 1 {
        Ok(priority)
    } else {
        Err("is required: a whole number from 1 (the lowest is tried first)".into())
    }
}

/// A target as microseconds: more than zero, at most
/// [`ServiceLevelPolicy::MAX_TARGET_MICROS`], no finer than a microsecond
/// (the precision of every stored time).
pub fn check_target(seconds: i64, nanos: i32) -> Result<i64, String> {
    let well_formed =
        nanos.abs() < 1_000_000_000 && !(seconds > 0 && nanos < 0) && !(seconds < 0 && nanos > 0);
    if !well_formed {
        return Err("is not a valid duration".into());
    }
    if seconds < 0 || nanos < 0 || (seconds == 0 && nanos == 0) {
        return Err("must be more than zero".into());
    }
    if nanos % 1000 != 0 {
        return Err("must be a whole number of microseconds".into());
    }
    let max_seconds = ServiceLevelPolicy::MAX_TARGET_MICROS / 1_000_000;
    if seconds > max_seconds || (seconds == max_seconds && nanos > 0) {
        return Err("must be at most 366 days".into());
    }
    Ok(seconds * 1_000_000 + i64::from(nanos / 1000))
}

fn target(v: &mut Violations, field: &str, d: Option<DurationInput>) -> Option<i64> {
    let d = d?;
    v.check(field, check_target(d.seconds, d.nanos))
}

fn duration_input(micros: i64) -> DurationInput {
    DurationInput {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// The thresholds, each from 1 to 99 and each above the one before.
fn thresholds(v: &mut Violations, t: ThresholdsInput) -> Thresholds {
    let at = |name: &str| format!("warning_thresholds.{name}");
    let mut percent = |name: &str, value: i32| {
        let valid = (1..100).contains(&value);
        if !valid {
            v.add(at(name), "must be a percent from 1 to 99");
        }
        valid.then_some(value as u32)
    };
    let yellow = percent("yellow_percent", t.yellow_percent);
    let orange = percent("orange_percent", t.orange_percent);
    let red = percent("red_percent", t.red_percent);
    if let (Some(y), Some(o)) = (yellow, orange)
        && o <= y
    {
        v.add(at("orange_percent"), "must be more than yellow_percent");
    }
    if let (Some(o), Some(r)) = (orange, red)
        && r <= o
    {
        v.add(at("red_percent"), "must be more than orange_percent");
    }
    Thresholds {
        yellow: yellow.unwrap_or_default(),
        orange: orange.unwrap_or_default(),
        red: red.unwrap_or_default(),
    }
}

/// A list of closed values, each known and named once. A list longer than
/// the set itself repeats something: one violation, not one per item.
fn closed_values<E: ClosedEnum + PartialEq>(
    v: &mut Violations,
    field: &str,
    codes: &[i32],
) -> Vec<E> {
    if codes.len() > E::ALL.len() {
        v.add(field, "must not name a value twice");
        return Vec::new();
    }
    let mut values = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if let Some(j) = codes[..i].iter().position(|c| c == code) {
            v.add(at, format!("repeats {field}[{j}]"));
        } else if let Some(value) = required_code(v, &at, *code) {
            values.push(value);
        }
    }
    values
}

fn channels(v: &mut Violations, names: &[String]) -> Vec<Uuid> {
    if names.len() > ServiceLevelPolicy::MAX_CHANNELS {
        v.add(
            "channels",
            format!(
                "must name at most {} channels",
                ServiceLevelPolicy::MAX_CHANNELS
            ),
        );
        return Vec::new();
    }
    let mut ids: Vec<(usize, Uuid)> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let at = format!("channels[{i}]");
        let Some(id) = v.check(
            &at,
            channel::COLLECTION.parse_name(name.trim()).map(|n| n.id),
        ) else {
            continue;
        };
        match ids.iter().find(|(_, seen)| *seen == id) {
            Some((j, _)) => v.add(at, format!("repeats channels[{j}]")),
            None => ids.push((i, id)),
        }
    }
    ids.into_iter().map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(n: i64) -> Option<DurationInput> {
        Some(DurationInput {
            seconds: n * 3600,
            nanos: 0,
        })
    }

    fn critical() -> ServiceLevelPolicyInput {
        ServiceLevelPolicyInput {
            display_name: "Critical".into(),
            priority: 10,
            severities: vec![Severity::Critical.code()],
            channels: vec![channel_name(Uuid::now_v7())],
            calendar: calendar_name(Uuid::now_v7()),
            first_response_target: hours(4),
            resolution_target: hours(24),
            ..Default::default()
        }
    }

    fn fields(input: ServiceLevelPolicyInput) -> Vec<String> {
        let mut found: Vec<String> = ServiceLevelPolicy::parse(input)
            .unwrap_err()
            .into_violations()
            .into_iter()
            .map(|v| v.field)
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_good_policy_round_trips_through_its_input() {
        let policy = ServiceLevelPolicy::parse(critical()).unwrap();
        assert!(policy.active, "absent means active");
        assert_eq!(policy.thresholds, Thresholds::default());
        assert_eq!(policy.targets.first_response, Some(4 * 3600 * 1_000_000));
        assert_eq!(policy.targets.callback, None);
        assert_eq!(ServiceLevelPolicy::parse(policy.input()).unwrap(), policy);
    }

    #[test]
    fn targets_are_positive_microseconds_up_to_366_days() {
        assert_eq!(check_target(1, 500_000_000), Ok(1_500_000));
        assert_eq!(check_target(0, 1000), Ok(1));
        assert_eq!(
            check_target(366 * 24 * 3600, 0),
            Ok(ServiceLevelPolicy::MAX_TARGET_MICROS)
        );
        for (seconds, nanos) in [(0, 0), (-1, 0), (0, -1000), (0, 1), (1, 1500)] {
            assert!(
                check_target(seconds, nanos).is_err(),
                "{seconds}s {nanos}ns"
            );
        }
        assert!(check_target(366 * 24 * 3600, 1000).is_err());
        assert!(check_target(i64::MAX, 0).is_err());
        assert!(check_target(1, -1).is_err(), "signs must agree");
        assert!(check_target(1, 1_000_000_000).is_err());
    }

    #[test]
    fn a_policy_needs_a_target() {
        let mut input = critical();
        input.first_response_target = None;
        input.resolution_target = None;
        assert_eq!(
            fields(input),
            [
                "callback_target",
                "first_response_target",
                "resolution_target"
            ]
        );
        let mut input = critical();
        input.first_response_target = None;
        input.resolution_target = None;
        input.callback_target = hours(48);
        assert!(ServiceLevelPolicy::parse(input).is_ok());
    }

    #[test]
    fn thresholds_rise_strictly_between_zero_and_a_hundred() {
        let with = |yellow_percent, orange_percent, red_percent| {
            let mut input = critical();
            input.warning_thresholds = Some(ThresholdsInput {
                yellow_percent,
                orange_percent,
                red_percent,
            });
            input
        };
        let ok = ServiceLevelPolicy::parse(with(60, 80, 95)).unwrap();
        assert_eq!(
            ok.thresholds,
            Thresholds {
                yellow: 60,
                orange: 80,
                red: 95
            }
        );
        assert_eq!(
            fields(with(0, 75, 100)),
            [
                "warning_thresholds.red_percent",
                "warning_thresholds.yellow_percent"
            ]
        );
        assert_eq!(
            fields(with(75, 50, 90)),
            ["warning_thresholds.orange_percent"]
        );
        assert_eq!(fields(with(50, 90, 90)), ["warning_thresholds.red_percent"]);
        assert_eq!(fields(with(0, 0, 0)).len(), 3);
    }

    #[test]
    fn conditions_name_each_bad_or_repeated_item() {
        let mut input = critical();
        let hotline = channel_name(Uuid::now_v7());
        input.severities = vec![Severity::High.code(), 9, Severity::High.code()];
        input.customer_tiers = vec![0];
        input.categories = vec![1, 2, 3, 4, 5, 6, 7, 1];
        input.channels = vec![hotline.clone(), "channels/42".into(), hotline];
        input.calendar = "calendar/1".into();
        assert_eq!(
            fields(input),
            [
                "calendar",
                "categories",
                "channels[1]",
                "channels[2]",
                "customer_tiers[0]",
                "severities[1]",
                "severities[2]",
            ]
        );
    }

    #[test]
    fn required_fields_are_named() {
        assert_eq!(
            fields(ServiceLevelPolicyInput::default()),
            [
                "callback_target",
                "display_name",
                "first_response_target",
                "priority",
                "resolution_target",
            ]
        );
        let mut negative = critical();
        negative.priority = -3;
        assert_eq!(fields(negative), ["priority"]);
    }
}

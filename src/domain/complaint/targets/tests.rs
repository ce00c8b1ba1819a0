//! Every expected instant was worked out by hand. Europe/Berlin is
//! UTC+1 in December; 2026-12-04 is a Friday.

use super::*;
use crate::domain::calendar::Calendar;
use crate::domain::channel::{Day, OpeningPeriod};
use crate::domain::complaint::CallbackOutcome;
use crate::domain::resource::Labels;

const HOUR: i64 = 3_600_000_000;
const MINUTE: i64 = 60_000_000;

fn at(text: &str) -> Timestamp {
    Timestamp(
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("an RFC 3339 instant")
            .timestamp_micros(),
    )
}

fn around_the_clock(targets: Targets) -> ServiceLevel {
    ServiceLevel {
        policy: Uuid::nil(),
        calendar: None,
        targets,
        thresholds: Thresholds::default(),
    }
}

fn resolution_in(micros: i64) -> ServiceLevel {
    around_the_clock(Targets {
        resolution: Some(micros),
        ..Targets::default()
    })
}

/// Moves the clocks as a complaint in `state` would be after `transition`.
fn follow(
    timing: &mut Timing,
    state: State,
    resolves: &[Timestamp],
    transition: Option<Transition>,
    now: Timestamp,
) {
    let facts = Facts {
        state,
        first_response_time: None,
        resolve_times: resolves,
        transition,
    };
    timing.follow(&facts, now);
}

fn record_all(
    timing: &mut Timing,
    level: &ServiceLevel,
    now: Timestamp,
) -> Vec<(WarningLevel, Timestamp)> {
    std::iter::from_fn(|| timing.record_next_warning(level, now))
        .map(|w| (w.level, w.reached_time))
        .collect()
}

fn resolution_status(timing: &Timing, level: &ServiceLevel, now: Timestamp) -> MilestoneStatus {
    timing
        .status(level, true, now)
        .into_iter()
        .find(|s| s.milestone == Milestone::Resolution)
        .expect("a resolution target")
}

#[test]
fn each_level_is_recorded_once_in_order_with_the_instant_it_was_reached() {
    // 4 h around the clock: 50 % at 2 h, 75 % at 3 h, 90 % at 3 h 36 min.
    let level = resolution_in(4 * HOUR);
    let mut timing = Timing::started(at("2026-12-07T09:00:00Z"));
    assert_eq!(
        timing.next_warning_time(&level),
        Some(at("2026-12-07T11:00:00Z"))
    );
    // Nothing is due before it is reached.
    assert_eq!(
        record_all(&mut timing, &level, at("2026-12-07T10:59:59Z")),
        []
    );
    assert_eq!(
        record_all(&mut timing, &level, at("2026-12-07T14:00:00Z")),
        [
            (WarningLevel::Yellow, at("2026-12-07T11:00:00Z")),
            (WarningLevel::Orange, at("2026-12-07T12:00:00Z")),
            (WarningLevel::Red, at("2026-12-07T12:36:00Z")),
            (WarningLevel::Breached, at("2026-12-07T13:00:00Z")),
        ]
    );
    assert_eq!(timing.next_warning_time(&level), None);
    assert_eq!(
        timing.last_warning.map(|w| (w.milestone, w.level)),
        Some((Milestone::Resolution, WarningLevel::Breached))
    );
}

#[test]
fn waiting_on_the_customer_moves_the_due_time_by_exactly_the_pause() {
    let level = resolution_in(4 * HOUR);
    let mut timing = Timing::started(at("2026-12-07T09:00:00Z"));
    let read = |t: &Timing, now| resolution_status(t, &level, now);
    assert_eq!(
        read(&timing, at("2026-12-07T09:30:00Z")).due_time,
        Some(at("2026-12-07T13:00:00Z"))
    );

    follow(
        &mut timing,
        State::WaitingOnCustomer,
        &[],
        None,
        at("2026-12-07T10:00:00Z"),
    );
    let paused = read(&timing, at("2026-12-07T11:00:00Z"));
    assert_eq!(
        (paused.due_time, paused.running, paused.elapsed),
        (None, false, HOUR)
    );
    assert_eq!(paused.time_until_breach, None);
    assert_eq!(timing.next_warning_time(&level), None);

    follow(
        &mut timing,
        State::InProgress,
        &[],
        None,
        at("2026-12-07T12:00:00Z"),
    );
    let resumed = read(&timing, at("2026-12-07T12:30:00Z"));
    // Paused 2 h: due 13:00 + 2 h.
    assert_eq!(resumed.due_time, Some(at("2026-12-07T15:00:00Z")));
    assert_eq!(resumed.elapsed, HOUR + 30 * MINUTE);
    assert_eq!(resumed.time_until_breach, Some(2 * HOUR + 30 * MINUTE));
    // Yellow at 2 h of running: 1 h before the pause and 1 h after.
    assert_eq!(
        timing.next_warning_time(&level),
        Some(at("2026-12-07T13:00:00Z"))
    );
}

#[test]
fn achieved_at_the_due_time_is_on_time_and_not_breached() {
    let level = resolution_in(4 * HOUR);
    for (resolved, on_time, breached) in [
        ("2026-12-07T13:00:00Z", true, false),
        ("2026-12-07T13:00:00.000001Z", false, true),
    ] {
        let mut timing = Timing::started(at("2026-12-07T09:00:00Z"));
        let resolves = [at(resolved)];
        follow(
            &mut timing,
            State::Resolved,
            &resolves,
            Some(Transition::Resolve),
            at(resolved),
        );
        let s = resolution_status(&timing, &level, at("2026-12-08T00:00:00Z"));
        assert_eq!(s.due_time, Some(at("2026-12-07T13:00:00Z")), "{resolved}");
        assert_eq!(
            (s.on_time, s.breached),
            (Some(on_time), breached),
            "{resolved}"
        );
        let levels: Vec<_> = record_all(&mut timing, &level, at("2026-12-08T00:00:00Z"))
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        let mut expected = vec![
            WarningLevel::Yellow,
            WarningLevel::Orange,
            WarningLevel::Red,
        ];
        if breached {
            expected.push(WarningLevel::Breached);
        }
        assert_eq!(levels, expected, "{resolved}");
    }
}

#[test]
fn achieving_a_milestone_before_a_level_stops_further_warnings() {
    let level = around_the_clock(Targets {
        first_response: Some(4 * HOUR),
        ..Targets::default()
    });
    let mut timing = Timing::started(at("2026-12-07T09:00:00Z"));
    let facts = Facts {
        state: State::InProgress,
        first_response_time: Some(at("2026-12-07T11:30:00Z")),
        resolve_times: &[],
        transition: Some(Transition::RecordCustomerContact),
    };
    timing.follow(&facts, at("2026-12-07T11:30:00Z"));
    assert_eq!(
        record_all(&mut timing, &level, at("2026-12-09T00:00:00Z")),
        [(WarningLevel::Yellow, at("2026-12-07T11:00:00Z"))]
    );
    assert_eq!(timing.next_warning_time(&level), None);
}

#[test]
fn a_tighter_target_passes_levels_at_once_recorded_at_their_own_instants() {
    let loose = resolution_in(8 * HOUR);
    let mut timing = Timing::started(at("2026-12-07T09:00:00Z"));
    assert_eq!(
        record_all(&mut timing, &loose, at("2026-12-07T12:00:00Z")),
        []
    );
    // Reclassified at 12:00 to 2 h: 1 h, 1 h 30, 1 h 48 and 2 h are past.
    let tight = resolution_in(2 * HOUR);
    assert_eq!(
        record_all(&mut timing, &tight, at("2026-12-07T12:00:00Z")),
        [
            (WarningLevel::Yellow, at("2026-12-07T10:00:00Z")),
            (WarningLevel::Orange, at("2026-12-07T10:30:00Z")),
            (WarningLevel::Red, at("2026-12-07T10:48:00Z")),
            (WarningLevel::Breached, at("2026-12-07T11:00:00Z")),
        ]
    );
}

#[test]
fn business_hours_carry_a_target_over_the_weekend() {
    let periods = [
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
    ]
    .map(|day| OpeningPeriod {
        day,
        open: 9 * 60,
        close: 17 * 60,
    })
    .to_vec();
    let calendar = Calendar {
        display_name: "Berlin office".into(),
        time_zone: "Europe/Berlin".into(),
        periods,
        holidays: Vec::new(),
        extra_days: Vec::new(),
        labels: Labels::default(),
    };
    let level = ServiceLevel {
        calendar: Some((Uuid::nil(), calendar)),
        ..resolution_in(8 * HOUR)
    };
    // Friday 16:00 local: 1 h on Friday, 7 h on Monday from 09:00.
    let mut timing = Timing::started(at("2026-12-04T15:00:00Z"));
    let s = resolution_status(&timing, &level, at("2026-12-05T12:00:00Z"));
    assert_eq!(s.due_time, Some(at("2026-12-07T15:00:00Z")));
    assert_eq!(s.elapsed, HOUR);
    // Yellow at 4 h: Monday 12:00 local.
    assert_eq!(
        timing.next_warning_time(&level),
        Some(at("2026-12-07T11:00:00Z"))
    );
    assert_eq!(
        record_all(&mut timing, &level, at("2026-12-07T16:00:00Z"))[..2],
        [
            (WarningLevel::Yellow, at("2026-12-07T11:00:00Z")),
            (WarningLevel::Orange, at("2026-12-07T13:00:00Z")),
        ]
    );
}

#[test]
fn each_resolution_starts_a_callback_clock_that_a_reached_callback_stops() {
    let level = around_the_clock(Targets {
        resolution: Some(4 * HOUR),
        callback: Some(2 * HOUR),
        ..Targets::default()
    });
    let mut timing = Timing::started(at("2026-12-07T09:00:00Z"));
    let first = [at("2026-12-07T10:00:00Z")];
    follow(
        &mut timing,
        State::Resolved,
        &first,
        Some(Transition::Resolve),
        first[0],
    );
    // An unreachable attempt leaves the callback clock running.
    let unreachable = Transition::RecordCallback(CallbackOutcome::Unreachable);
    follow(
        &mut timing,
        State::Resolved,
        &first,
        Some(unreachable),
        at("2026-12-07T10:30:00Z"),
    );
    assert!(timing.callbacks[0].running());
    // Not satisfied at 11:00: callback achieved, resolution resumes.
    let reopen = Transition::RecordCallback(CallbackOutcome::NotSatisfied);
    follow(
        &mut timing,
        State::InProgress,
        &first,
        Some(reopen),
        at("2026-12-07T11:00:00Z"),
    );
    assert_eq!(
        timing.callbacks[0].achieved_time,
        Some(at("2026-12-07T11:00:00Z"))
    );
    assert!(timing.resolution.running() && timing.resolution.achieved_time.is_none());
    // Resolved again at 12:00: a second callback clock; the resolution
    // clock counted 1 h + 1 h.
    let both = [first[0], at("2026-12-07T12:00:00Z")];
    follow(
        &mut timing,
        State::Resolved,
        &both,
        Some(Transition::Resolve),
        both[1],
    );
    let status = timing.status(&level, true, at("2026-12-07T12:30:00Z"));
    let numbers: Vec<_> = status.iter().map(|s| (s.milestone, s.number)).collect();
    assert_eq!(
        numbers,
        [
            (Milestone::Resolution, 0),
            (Milestone::Callback, 1),
            (Milestone::Callback, 2)
        ]
    );
    assert_eq!(status[0].elapsed, 2 * HOUR);
    assert_eq!(status[0].achieved_time, Some(both[1]));
    assert_eq!(status[1].on_time, Some(true));
    assert_eq!(status[2].due_time, Some(at("2026-12-07T14:00:00Z")));
    let standing = Standing::of(&timing, Some(&level), true);
    assert_eq!(standing.callback_due, Some(at("2026-12-07T14:00:00Z")));
    assert_eq!(standing.resolution_due, None);
}

#[test]
fn a_share_of_a_target_rounds_up_to_the_microsecond() {
    assert_eq!(share_of(3, 50), 2);
    assert_eq!(share_of(4, 50), 2);
    assert_eq!(share_of(10, 90), 9);
    assert_eq!(share_of(11, 90), 10);
    assert_eq!(share_of(4 * HOUR, 90), 3 * HOUR + 36 * MINUTE);
}

#[test]
fn durations_read_as_hours_minutes_and_seconds() {
    assert_eq!(describe_duration(4 * HOUR), "4h");
    assert_eq!(describe_duration(90 * MINUTE), "1h30m");
    assert_eq!(describe_duration(2_500_000), "2.5s");
    assert_eq!(describe_duration(0), "0s");
}

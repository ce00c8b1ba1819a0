//! Time targets and graded warnings of a complaint (DOMAIN.md section 5,
//! "Time targets and warnings"), as pure functions of the complaint's clocks.
//!
//! Each milestone has a clock: the spans during which it ran, each from a
//! start up to but excluding its end. The clocks always run, whether a
//! policy applies or not, so a policy chosen again (a severity change)
//! measures the whole history under its own calendar:
//! - first response: from receipt until the first contact with the
//!   customer, or until the complaint is closed;
//! - resolution: while the complaint is RECEIVED or IN_PROGRESS (not while
//!   it waits on the customer, not while it is resolved awaiting its
//!   callback); a reopen resumes it;
//! - callback: one per resolution, from the resolution until a callback
//!   reaches the customer (unreachable attempts do not stop it) or the
//!   complaint leaves RESOLVED otherwise.
//!
//! Business time elapsed is the business time inside the spans (all of it
//! around the clock). The due time is the earliest instant at which it
//! reaches the target. A level is reached at the earliest instant at which
//! the clock is running and business time elapsed is at least the level's
//! share of the target (yellow, orange and red by the policy's thresholds,
//! breached at 100 %): so a milestone achieved exactly at its due time is on
//! time and not breached. Levels rise one at a time and each is recorded
//! once, with the instant it was reached.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::State;
use super::process::Transition;
use crate::domain::ClosedEnum;
use crate::domain::business_time::BusinessClock;
use crate::domain::calendar::Calendar;
use crate::domain::resource::Timestamp;

closed_enum!(
    /// A milestone with a time target. Codes are the proto's `Complaint.Milestone`.
    Milestone {
        FirstResponse = 1 => "FIRST_RESPONSE",
        Resolution = 2 => "RESOLUTION",
        Callback = 3 => "CALLBACK",
    }
);

closed_enum!(
    /// How much of a target is used up. Codes are the proto's
    /// `Complaint.WarningLevel`; they rise with the level.
    WarningLevel {
        NoWarning = 1 => "NO_WARNING",
        Yellow = 2 => "YELLOW",
        Orange = 3 => "ORANGE",
        Red = 4 => "RED",
        Breached = 5 => "BREACHED",
    }
);

pub use crate::domain::service_level::{Targets, Thresholds};

/// The percent of the target at which `level` starts.
fn percent(thresholds: Thresholds, level: WarningLevel) -> u32 {
    match level {
        WarningLevel::NoWarning => 0,
        WarningLevel::Yellow => thresholds.yellow,
        WarningLevel::Orange => thresholds.orange,
        WarningLevel::Red => thresholds.red,
        WarningLevel::Breached => 100,
    }
}

/// The business time at which `percent` of `target` is used up: the
/// smallest whole microsecond count e with e × 100 ≥ target × percent.
fn share_of(target: i64, percent: u32) -> i64 {
    let product = i128::from(target) * i128::from(percent);
    i64::try_from((product + 99).div_euclid(100)).unwrap_or(i64::MAX)
}

/// A duration in microseconds as hours, minutes and seconds: `4h`,
/// `1h30m`, `90m` is `1h30m`, `2.5s`.
pub fn describe_duration(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut text = String::new();
    if h > 0 {
        text.push_str(&format!("{h}h"));
    }
    if m > 0 {
        text.push_str(&format!("{m}m"));
    }
    if s > 0 || fraction > 0 || text.is_empty() {
        match fraction {
            0 => text.push_str(&format!("{s}s")),
            f => text.push_str(
                format!("{s}.{f:06}")
                    .trim_end_matches('0')
                    .to_owned()
                    .as_str(),
            ),
        }
        if fraction > 0 {
            text.push('s');
        }
    }
    text
}

/// What a policy promised a complaint, copied when it was chosen: a later
/// edit of the policy or its calendar does not change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceLevel {
    pub policy: Uuid,
    /// The calendar's id and rules; None: around the clock.
    pub calendar: Option<(Uuid, Calendar)>,
    pub targets: Targets,
    pub thresholds: Thresholds,
}

impl ServiceLevel {
    /// The clock business time is counted on.
    pub fn business_clock(&self) -> BusinessClock {
        self.calendar
            .as_ref()
            .and_then(|(_, calendar)| calendar.business_calendar().ok())
            .map_or(BusinessClock::AroundTheClock, BusinessClock::Calendar)
    }

    fn target(&self, milestone: Milestone) -> Option<i64> {
        match milestone {
            Milestone::FirstResponse => self.targets.first_response,
            Milestone::Resolution => self.targets.resolution,
            Milestone::Callback => self.targets.callback,
        }
    }
}

/// A span during which a clock ran: from `start`, up to but excluding
/// `end` (None while it runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// The clock of one milestone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneClock {
    pub runs: Vec<Run>,
    pub achieved_time: Option<Timestamp>,
    /// The highest level recorded, and when it was reached.
    pub level: Option<(WarningLevel, Timestamp)>,
}

impl MilestoneClock {
    fn started(at: Timestamp) -> Self {
        MilestoneClock {
            runs: vec![Run {
                start: at,
                end: None,
            }],
            ..MilestoneClock::default()
        }
    }

    pub fn running(&self) -> bool {
        self.runs.last().is_some_and(|r| r.end.is_none())
    }

    fn set_running(&mut self, run: bool, now: Timestamp) {
        match (run, self.runs.last_mut()) {
            (true, Some(Run { end: None, .. }))
            | (false, None | Some(Run { end: Some(_), .. })) => {}
            (true, _) => self.runs.push(Run {
                start: now,
                end: None,
            }),
            (false, Some(last)) => last.end = Some(now.max(last.start)),
        }
    }

    /// Business time inside the runs, counted up to `now` for a running one.
    pub fn elapsed(&self, clock: &BusinessClock, now: Timestamp) -> i64 {
        self.runs
            .iter()
            .map(|r| clock.measure(r.start, r.end.unwrap_or(now)))
            .sum()
    }

    /// The earliest instant at which business time elapsed reaches
    /// `required`: while the clock runs (`at_end` false), or counting the
    /// instant a run ends too (`at_end` true, the due time). None when the
    /// runs so far do not reach it and the clock is paused.
    fn reach(&self, clock: &BusinessClock, required: i64, at_end: bool) -> Option<Timestamp> {
        let mut counted = 0;
        for run in &self.runs {
            if counted >= required {
                return Some(run.start);
            }
            let at = clock.add(run.start, required - counted)?;
            match run.end {
                None => return Some(at),
                Some(end) if at < end || (at_end && at == end) => return Some(at),
                Some(end) => counted += clock.measure(run.start, end),
            }
        }
        None
    }

    /// The earliest instant at which business time elapsed reaches
    /// `target`, the run's end included; None while paused short of it.
    pub fn due_time(&self, clock: &BusinessClock, target: i64) -> Option<Timestamp> {
        self.reach(clock, target, true)
    }

    /// The next level to record and the instant it is (or will be) reached.
    fn next_warning(
        &self,
        clock: &BusinessClock,
        target: i64,
        thresholds: Thresholds,
    ) -> Option<(WarningLevel, Timestamp)> {
        let after = self.level.map_or(WarningLevel::NoWarning, |(l, _)| l);
        let level = WarningLevel::from_code(after.code() + 1)?;
        let at = self.reach(clock, share_of(target, percent(thresholds, level)), false)?;
        Some((level, at))
    }
}

/// The clocks of a complaint's milestones and the latest warning recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    pub first_response: MilestoneClock,
    pub resolution: MilestoneClock,
    /// One per resolution, oldest first.
    pub callbacks: Vec<MilestoneClock>,
    pub last_warning: Option<Warning>,
}

/// A level reached by one milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub milestone: Milestone,
    /// For a callback, which resolution's (from 1); 0 otherwise.
    pub number: u32,
    pub level: WarningLevel,
    pub reached_time: Timestamp,
    /// The milestone's target, in microseconds.
    pub target: i64,
}

/// What the clocks follow, as a transition leaves the complaint.
pub struct Facts<'a> {
    pub state: State,
    pub first_response_time: Option<Timestamp>,
    pub resolve_times: &'a [Timestamp],
    /// The transition that led here, if any.
    pub transition: Option<Transition>,
}

/// One milestone as read at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneStatus {
    pub milestone: Milestone,
    pub number: u32,
    pub target: i64,
    pub start_time: Option<Timestamp>,
    /// None while the clock is paused short of the target.
    pub due_time: Option<Timestamp>,
    pub achieved_time: Option<Timestamp>,
    pub elapsed: i64,
    pub running: bool,
    pub level: WarningLevel,
    pub level_time: Option<Timestamp>,
    /// The breach level is reached (recorded or not yet).
    pub breached: bool,
    /// Due time minus now, while the milestone is pending and its clock
    /// runs; negative once overdue.
    pub time_until_breach: Option<i64>,
    /// Achieved at or before its due time; None while not achieved.
    pub on_time: Option<bool>,
}

impl Timing {
    /// The clocks of a complaint received at `received`.
    pub fn started(received: Timestamp) -> Self {
        Timing {
            first_response: MilestoneClock::started(received),
            resolution: MilestoneClock::started(received),
            ..Timing::default()
        }
    }

    /// Starts and stops the clocks as the complaint now stands.
    pub fn follow(&mut self, facts: &Facts, now: Timestamp) {
        let open = facts.state != State::Closed;
        self.first_response.achieved_time = facts.first_response_time;
        self.first_response
            .set_running(open && facts.first_response_time.is_none(), now);

        let resolving = matches!(facts.state, State::Received | State::InProgress);
        if resolving {
            self.resolution.achieved_time = None;
        } else if facts.state == State::Resolved {
            self.resolution.achieved_time = facts.resolve_times.last().copied();
        }
        self.resolution.set_running(resolving, now);

        while self.callbacks.len() < facts.resolve_times.len() {
            self.callbacks.push(MilestoneClock::default());
        }
        let reached = matches!(
            facts.transition,
            Some(Transition::RecordCallback(
                super::CallbackOutcome::Satisfied | super::CallbackOutcome::NotSatisfied
            ))
        );
        if let Some(last) = self.callbacks.last_mut() {
            if reached && last.running() {
                last.achieved_time = Some(now);
            }
            last.set_running(facts.state == State::Resolved, now);
        }
    }

    /// Every clock with its milestone and number.
    fn clocks(&self) -> impl Iterator<Item = (Milestone, u32, &MilestoneClock)> {
        [
            (Milestone::FirstResponse, 0, &self.first_response),
            (Milestone::Resolution, 0, &self.resolution),
        ]
        .into_iter()
        .chain(
            self.callbacks
                .iter()
                .enumerate()
                .map(|(i, c)| (Milestone::Callback, i as u32 + 1, c)),
        )
    }

    fn clock_mut(&mut self, milestone: Milestone, number: u32) -> Option<&mut MilestoneClock> {
        match milestone {
            Milestone::FirstResponse => Some(&mut self.first_response),
            Milestone::Resolution => Some(&mut self.resolution),
            Milestone::Callback => self.callbacks.get_mut(number.checked_sub(1)? as usize),
        }
    }

    /// The earliest unrecorded level over all milestones, reached (or to be
    /// reached) when.
    fn next_warning(&self, level: &ServiceLevel, clock: &BusinessClock) -> Option<Warning> {
        self.clocks()
            .filter_map(|(milestone, number, c)| {
                let target = level.target(milestone)?;
                let (level, reached_time) = c.next_warning(clock, target, level.thresholds)?;
                Some(Warning {
                    milestone,
                    number,
                    level,
                    reached_time,
                    target,
                })
            })
            .min_by_key(|w| (w.reached_time, w.milestone, w.number))
    }

    /// Records the earliest level reached by `now` and not yet recorded,
    /// if any.
    pub fn record_next_warning(&mut self, level: &ServiceLevel, now: Timestamp) -> Option<Warning> {
        let warning = self
            .next_warning(level, &level.business_clock())
            .filter(|w| w.reached_time <= now)?;
        let clock = self.clock_mut(warning.milestone, warning.number)?;
        clock.level = Some((warning.level, warning.reached_time));
        self.last_warning = Some(warning);
        Some(warning)
    }

    /// When the next level will be reached, if the clocks keep running:
    /// the time the warning sweep looks for.
    pub fn next_warning_time(&self, level: &ServiceLevel) -> Option<Timestamp> {
        self.next_warning(level, &level.business_clock())
            .map(|w| w.reached_time)
    }

    /// Every milestone that has a target, as read at `now`; `open` is
    /// whether the complaint is open.
    pub fn status(&self, level: &ServiceLevel, open: bool, now: Timestamp) -> Vec<MilestoneStatus> {
        let clock = level.business_clock();
        let last_callback = self.callbacks.len() as u32;
        self.clocks()
            .filter_map(|(milestone, number, c)| {
                let target = level.target(milestone)?;
                let due_time = c.due_time(&clock, target);
                let breach = c.reach(&clock, target, false);
                let superseded = milestone == Milestone::Callback && number < last_callback;
                let pending = open && c.achieved_time.is_none() && !superseded;
                let time_until_breach = match due_time {
                    Some(due) if pending && c.running() => Some(due.micros() - now.micros()),
                    _ => None,
                };
                Some(MilestoneStatus {
                    milestone,
                    number,
                    target,
                    start_time: c.runs.first().map(|r| r.start),
                    due_time,
                    achieved_time: c.achieved_time,
                    elapsed: c.elapsed(&clock, now),
                    running: c.running(),
                    level: c.level.map_or(WarningLevel::NoWarning, |(l, _)| l),
                    level_time: c.level.map(|(_, t)| t),
                    breached: breach.is_some_and(|t| t <= now),
                    time_until_breach,
                    on_time: c.achieved_time.map(|a| due_time.is_none_or(|due| a <= due)),
                })
            })
            .collect()
    }
}

/// What lists filter and order complaints by: the highest level recorded
/// among the pending milestones of an open complaint (NO_WARNING for a
/// closed one or one without targets), and each pending milestone's due
/// time while its clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub warning_level: WarningLevel,
    pub first_response_due: Option<Timestamp>,
    pub resolution_due: Option<Timestamp>,
    pub callback_due: Option<Timestamp>,
    pub next_warning_time: Option<Timestamp>,
}

impl Standing {
    pub fn of(timing: &Timing, level: Option<&ServiceLevel>, open: bool) -> Self {
        let mut standing = Standing {
            warning_level: WarningLevel::NoWarning,
            first_response_due: None,
            resolution_due: None,
            callback_due: None,
            next_warning_time: None,
        };
        let Some(level) = level else {
            return standing;
        };
        standing.next_warning_time = timing.next_warning_time(level);
        if !open {
            return standing;
        }
        // Read at the epoch: only the due times and levels are used, and
        // neither depends on the instant of reading.
        for s in timing.status(level, open, Timestamp(0)) {
            let pending = s.achieved_time.is_none()
                && (s.milestone != Milestone::Callback
                    || s.number == timing.callbacks.len() as u32);
            if !pending {
                continue;
            }
            standing.warning_level = standing.warning_level.max(s.level);
            let due = s.due_time.filter(|_| s.running);
            match s.milestone {
                Milestone::FirstResponse => standing.first_response_due = due,
                Milestone::Resolution => standing.resolution_due = due,
                Milestone::Callback => standing.callback_due = due,
            }
        }
        standing
    }
}

#[cfg(test)]
mod tests {
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
}

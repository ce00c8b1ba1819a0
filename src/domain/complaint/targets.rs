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
mod tests;

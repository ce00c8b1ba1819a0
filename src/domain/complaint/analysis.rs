//! The monthly complaint analysis (DOMAIN.md section 5, "Pareto of causes"
//! and "Complaint figures"): what each complaint contributes, fixed when it
//! is written so the database can group and count, and the rules that turn
//! the counts into figures.

use super::targets::{Milestone, MilestoneStatus};
use super::{CallbackOutcome, Complaint, Verdict};
use crate::domain::ClosedEnum;
use crate::domain::input::{TimeInput, optional_code};
use crate::domain::resource::Timestamp;
use crate::error::{Error, Violations};

closed_enum!(
    /// What AnalyzeComplaints groups by. Codes are the proto's
    /// `AnalyzeComplaintsRequest.GroupBy`.
    GroupBy {
        Category = 1 => "CATEGORY",
        RootCause = 2 => "ROOT_CAUSE",
        Channel = 3 => "CHANNEL",
        Product = 4 => "PRODUCT",
        Department = 5 => "DEPARTMENT",
        Supplier = 6 => "SUPPLIER",
        Severity = 7 => "SEVERITY",
        Validity = 8 => "VALIDITY",
        CustomerTier = 9 => "CUSTOMER_TIER",
        CustomerRelationship = 10 => "CUSTOMER_RELATIONSHIP",
        CustomerValueGrade = 11 => "CUSTOMER_VALUE_GRADE",
        CustomerSalesRegion = 12 => "CUSTOMER_SALES_REGION",
    }
);

/// A part of a whole count; the percent is absent when the whole is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ratio {
    pub numerator: i64,
    pub denominator: i64,
}

impl Ratio {
    pub fn new(numerator: i64, denominator: i64) -> Self {
        Ratio {
            numerator,
            denominator,
        }
    }

    pub fn percent(self) -> Option<f64> {
        (self.denominator != 0).then(|| 100.0 * self.numerator as f64 / self.denominator as f64)
    }

    /// Whether the share is at least `percent` %, exactly in integers.
    pub fn reaches(self, percent: i64) -> bool {
        self.denominator > 0
            && i128::from(self.numerator) * 100
                >= i128::from(percent) * i128::from(self.denominator)
    }
}

/// The share of the total at which the vital few end.
pub const VITAL_FEW_PERCENT: i64 = 80;

/// One group of the Pareto order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParetoGroup<K> {
    /// None: the complaints without a value for the field ("unspecified").
    pub key: Option<K>,
    pub count: i64,
    pub share: Ratio,
    /// This group and every group before it.
    pub cumulative: Ratio,
    pub vital_few: bool,
}

/// Orders groups by count, largest first, ties by key (the unspecified
/// group after every keyed group of its count); shares are of the total,
/// the cumulative share includes the group itself, and the vital few are
/// the groups up to and including the first whose cumulative share reaches
/// 80 %.
pub fn pareto<K: Ord>(groups: Vec<(Option<K>, i64)>) -> Vec<ParetoGroup<K>> {
    let mut groups = groups;
    groups.sort_by(|(ka, a), (kb, b)| {
        b.cmp(a).then_with(|| match (ka, kb) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
    });
    let total: i64 = groups.iter().map(|(_, c)| c).sum();
    let mut running = 0;
    let mut reached = false;
    groups
        .into_iter()
        .map(|(key, count)| {
            running += count;
            let cumulative = Ratio::new(running, total);
            let vital_few = !reached;
            reached = reached || cumulative.reaches(VITAL_FEW_PERCENT);
            ParetoGroup {
                key,
                count,
                share: Ratio::new(count, total),
                cumulative,
                vital_few,
            }
        })
        .collect()
}

/// The 1-based rank of the nearest-rank `p`-th percentile of `n` sorted
/// values: ⌈p × n / 100⌉, at least 1; the median is p = 50.
pub fn nearest_rank(p: i64, n: i64) -> i64 {
    ((p * n + 99) / 100).max(1)
}

/// How one milestone counts: whether it has a target, was reached, and
/// was reached on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MilestoneFacts {
    pub has_target: bool,
    pub reached: bool,
    pub on_time: bool,
}

impl MilestoneFacts {
    /// Counts among the reached: it has a target and was reached.
    pub fn counts(self) -> bool {
        self.has_target && self.reached
    }

    /// Counts among the reached on time.
    pub fn counts_on_time(self) -> bool {
        self.counts() && self.on_time
    }
}

/// What one complaint contributes to an analysis, as it stands now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub triaged: bool,
    pub invalid: bool,
    pub resolved: bool,
    pub reopened: bool,
    pub called_back: bool,
    /// The first callback that reached the customer: None, or whether it
    /// found them satisfied.
    pub first_callback_satisfied: Option<bool>,
    /// Receipt to the first response, and to the latest resolution, in
    /// microseconds: wall-clock, and business time under the policy's
    /// calendar (absent without a policy).
    pub first_response_wall: Option<i64>,
    pub first_response_business: Option<i64>,
    pub resolution_wall: Option<i64>,
    pub resolution_business: Option<i64>,
    pub first_response: MilestoneFacts,
    /// The latest resolution's.
    pub resolution: MilestoneFacts,
    /// The latest callback that reached the customer.
    pub callback: MilestoneFacts,
}

impl Complaint {
    /// This complaint's contribution to an analysis.
    pub fn analysis_facts(&self) -> Facts {
        let received = self.received_time.unwrap_or(Timestamp(0));
        let since = |t: Option<Timestamp>| t.map(|t| t.micros() - received.micros());
        let first_response_time = self.milestones.first_response_time;
        let latest_resolution = self.milestones.resolve_times.last().copied();
        let clock = self.service_level.as_ref().map(|l| l.business_clock());
        let business = |t: Option<Timestamp>| {
            clock
                .as_ref()
                .zip(t)
                .map(|(clock, t)| clock.measure(received, t))
        };
        let status: Vec<MilestoneStatus> = match &self.service_level {
            Some(level) => self
                .timing
                .status(level, self.progress.is_open(), Timestamp(0)),
            None => Vec::new(),
        };
        let of = |milestone: Milestone| -> MilestoneFacts {
            let mut found = status.iter().filter(|s| s.milestone == milestone);
            let chosen = match milestone {
                // The latest callback that was reached, else the latest.
                Milestone::Callback => {
                    let all: Vec<&MilestoneStatus> = found.collect();
                    all.iter()
                        .rev()
                        .find(|s| s.achieved_time.is_some())
                        .or(all.last())
                        .copied()
                }
                _ => found.next(),
            };
            chosen.map_or_else(MilestoneFacts::default, |s| MilestoneFacts {
                has_target: true,
                reached: s.achieved_time.is_some(),
                on_time: s.on_time == Some(true),
            })
        };
        let resolution = MilestoneFacts {
            has_target: self
                .service_level
                .as_ref()
                .is_some_and(|l| l.targets.resolution.is_some()),
            reached: latest_resolution.is_some(),
            on_time: self.latest_resolution_on_time(),
        };
        Facts {
            triaged: self.validity.verdict != Verdict::Undetermined,
            invalid: self.validity.verdict == Verdict::Invalid,
            resolved: self.progress.resolution_count > 0,
            reopened: self.progress.reopen_count > 0,
            called_back: self.progress.callback_count > 0,
            first_callback_satisfied: self
                .milestones
                .first_reached_callback
                .map(|o| o == CallbackOutcome::Satisfied),
            first_response_wall: since(first_response_time),
            first_response_business: business(first_response_time),
            resolution_wall: since(latest_resolution),
            resolution_business: business(latest_resolution),
            first_response: of(Milestone::FirstResponse),
            resolution,
            callback: of(Milestone::Callback),
        }
    }

    /// Whether the latest resolution came at or before the resolution due
    /// time: the earliest instant the clock's business time reached the
    /// target, over its whole history (a reopen does not move it back).
    fn latest_resolution_on_time(&self) -> bool {
        let (Some(level), Some(at)) = (
            self.service_level.as_ref(),
            self.milestones.resolve_times.last().copied(),
        ) else {
            return false;
        };
        let Some(target) = level.targets.resolution else {
            return false;
        };
        self.timing
            .resolution
            .due_time(&level.business_clock(), target)
            .is_none_or(|due| at <= due)
    }
}

/// The counts the database sums over a set of complaints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sums {
    pub complaints: i64,
    pub triaged: i64,
    pub invalid: i64,
    pub first_response_reached: i64,
    pub first_response_on_time: i64,
    pub resolution_reached: i64,
    pub resolution_on_time: i64,
    pub callback_reached: i64,
    pub callback_on_time: i64,
    pub resolved: i64,
    pub reopened: i64,
    pub called_back: i64,
    pub first_callbacks: i64,
    pub first_callbacks_satisfied: i64,
    pub open: i64,
    pub breached: i64,
}

/// The nearest-rank median and 90th percentile of some durations, in
/// microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    pub count: i64,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

/// The four series of durations an analysis reports percentiles of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Times {
    pub first_response: Percentiles,
    pub first_response_business: Percentiles,
    pub resolution: Percentiles,
    pub resolution_business: Percentiles,
}

/// The figures of a set of complaints (DOMAIN.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    pub complaints: i64,
    pub invalid_share: Ratio,
    pub times: Times,
    pub first_response_on_time: Ratio,
    pub resolution_on_time: Ratio,
    pub callback_on_time: Ratio,
    pub reopen_rate: Ratio,
    pub callback_rate: Ratio,
    pub satisfied_at_first_callback: Ratio,
    pub open: i64,
    pub breached: i64,
}

impl Figures {
    pub fn new(s: Sums, times: Times) -> Self {
        Figures {
            complaints: s.complaints,
            invalid_share: Ratio::new(s.invalid, s.triaged),
            times,
            first_response_on_time: Ratio::new(s.first_response_on_time, s.first_response_reached),
            resolution_on_time: Ratio::new(s.resolution_on_time, s.resolution_reached),
            callback_on_time: Ratio::new(s.callback_on_time, s.callback_reached),
            reopen_rate: Ratio::new(s.reopened, s.resolved),
            callback_rate: Ratio::new(s.called_back, s.resolved),
            satisfied_at_first_callback: Ratio::new(s.first_callbacks_satisfied, s.first_callbacks),
            open: s.open,
            breached: s.breached,
        }
    }
}

/// One group as the database counts it: its raw key (None: no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSums {
    pub key: Option<String>,
    pub sums: Sums,
    pub times: Times,
}

/// A group of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub pareto: ParetoGroup<String>,
    pub figures: Figures,
}

/// What AnalyzeComplaints answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub overall: Figures,
    pub groups: Vec<Group>,
    pub comparison_period: (Timestamp, Timestamp),
    pub comparison: Figures,
}

/// Puts the groups in Pareto order with their figures.
pub fn groups(sums: Vec<GroupSums>) -> Vec<Group> {
    let counts = sums
        .iter()
        .map(|g| (g.key.clone(), g.sums.complaints))
        .collect();
    let mut figures: Vec<(Option<String>, Figures)> = sums
        .into_iter()
        .map(|g| (g.key, Figures::new(g.sums, g.times)))
        .collect();
    pareto(counts)
        .into_iter()
        .map(|p| {
            let at = figures
                .iter()
                .position(|(k, _)| *k == p.key)
                .expect("every group has figures");
            Group {
                figures: figures.swap_remove(at).1,
                pareto: p,
            }
        })
        .collect()
}

impl GroupBy {
    /// The complaint field behind the group, as the store names its column,
    /// and whether its value is text (otherwise a closed value's code).
    pub fn field(self) -> (&'static str, bool) {
        match self {
            GroupBy::Category => ("category", false),
            GroupBy::RootCause => ("root_cause", false),
            GroupBy::Channel => ("intake_channel", true),
            GroupBy::Product => ("product_sku", true),
            GroupBy::Department => ("handling_department", true),
            GroupBy::Supplier => ("supplier", true),
            GroupBy::Severity => ("severity", false),
            GroupBy::Validity => ("validity", false),
            GroupBy::CustomerTier => ("customer_tier", false),
            GroupBy::CustomerRelationship => ("customer_relationship", false),
            GroupBy::CustomerValueGrade => ("customer_value_grade", false),
            GroupBy::CustomerSalesRegion => ("customer_sales_region", true),
        }
    }

    /// The key of a group from a closed value's stored code.
    pub fn key_of_code(self, code: i32) -> Option<String> {
        use crate::domain::customer::{Relationship, Tier, ValueGrade};
        fn name<E: ClosedEnum>(code: i32) -> Option<String> {
            E::from_code(code).map(|v| v.name().to_owned())
        }
        match self {
            GroupBy::Category => name::<super::Category>(code),
            GroupBy::RootCause => name::<super::RootCauseCategory>(code),
            GroupBy::Severity => name::<super::Severity>(code),
            GroupBy::Validity => name::<Verdict>(code),
            GroupBy::CustomerTier => name::<Tier>(code),
            GroupBy::CustomerRelationship => name::<Relationship>(code),
            GroupBy::CustomerValueGrade => name::<ValueGrade>(code),
            _ => None,
        }
    }
}

/// The comparison period: the one named, or the one of equal length that
/// ends where `(start, end)` starts.
pub fn comparison_period(
    (start, end): (Timestamp, Timestamp),
    named: Option<(Timestamp, Timestamp)>,
) -> (Timestamp, Timestamp) {
    named.unwrap_or((
        Timestamp(start.micros() - (end.micros() - start.micros())),
        start,
    ))
}

/// An AnalyzeComplaints request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRequest {
    pub period: (Timestamp, Timestamp),
    pub filter: Option<crate::domain::filter::Filter>,
    pub group_by: Option<GroupBy>,
    pub comparison: Option<(Timestamp, Timestamp)>,
}

impl AnalysisRequest {
    /// Every bad field named: a missing or inverted period, a filter the
    /// ListComplaints schema refuses, an unknown group, a comparison period
    /// given by one end only or inverted.
    pub fn parse(
        (start, end): (Option<TimeInput>, Option<TimeInput>),
        filter: &str,
        group_by: i32,
        (comparison_start, comparison_end): (Option<TimeInput>, Option<TimeInput>),
    ) -> Result<Self, Error> {
        let mut v = Violations::new();
        let mut instant = |field: &str, t: Option<TimeInput>, required: bool| match t {
            Some(t) => v.check(field, Timestamp::from_parts(t.seconds, t.nanos)),
            None => {
                if required {
                    v.add(field, "is required");
                }
                None
            }
        };
        let start = instant("start_time", start, true);
        let end = instant("end_time", end, true);
        let comparison_start = instant("comparison_start_time", comparison_start, false);
        let comparison_end = instant("comparison_end_time", comparison_end, false);
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            v.add("end_time", "must be after start_time");
        }
        let comparison = match (comparison_start, comparison_end) {
            (Some(s), Some(e)) if e <= s => {
                v.add("comparison_end_time", "must be after comparison_start_time");
                None
            }
            (Some(s), Some(e)) => Some((s, e)),
            (None, None) => None,
            (Some(_), None) => {
                v.add(
                    "comparison_end_time",
                    "is required with comparison_start_time",
                );
                None
            }
            (None, Some(_)) => {
                v.add(
                    "comparison_start_time",
                    "is required with comparison_end_time",
                );
                None
            }
        };
        let filter = v.check(
            "filter",
            crate::domain::filter::parse(filter, &super::FILTER).map_err(|e| e.message),
        );
        let group_by = optional_code::<GroupBy>(&mut v, "group_by", group_by);
        v.finish()?;
        match (start, end, filter) {
            (Some(start), Some(end), Some(filter)) => Ok(AnalysisRequest {
                period: (start, end),
                filter,
                group_by,
                comparison,
            }),
            _ => Err(Error::internal("a checked request lacks a part")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<'a>(groups: &[ParetoGroup<&'a str>]) -> Vec<(Option<&'a str>, i64, bool)> {
        groups
            .iter()
            .map(|g| (g.key, g.count, g.vital_few))
            .collect()
    }

    #[test]
    fn the_vital_few_end_with_the_first_group_whose_cumulative_share_reaches_80_percent() {
        // 30 in all: 12 + 12 = 24 is exactly 80 %, so the cut is at b.
        let groups = pareto(vec![
            (Some("c"), 3),
            (Some("b"), 12),
            (None, 3),
            (Some("a"), 12),
        ]);
        assert_eq!(
            keys(&groups),
            [
                (Some("a"), 12, true),
                (Some("b"), 12, true),
                (Some("c"), 3, false),
                (None, 3, false),
            ]
        );
        assert_eq!(groups[1].cumulative, Ratio::new(24, 30));
        assert_eq!(groups[3].cumulative, Ratio::new(30, 30));
        assert_eq!(groups[2].share.percent(), Some(10.0));

        // 23 of 30 falls short: the next group is in the vital few too.
        let groups = pareto(vec![(Some("a"), 12), (Some("b"), 11), (Some("c"), 7)]);
        assert_eq!(
            keys(&groups),
            [
                (Some("a"), 12, true),
                (Some("b"), 11, true),
                (Some("c"), 7, true),
            ]
        );
        assert!(pareto::<&str>(vec![]).is_empty());
    }

    #[test]
    fn a_share_compares_with_a_threshold_in_integers() {
        assert!(Ratio::new(24, 30).reaches(80));
        assert!(!Ratio::new(23, 30).reaches(80));
        assert!(!Ratio::new(0, 0).reaches(80));
        assert_eq!(Ratio::new(1, 0).percent(), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        // n = 10: median rank 5, 90th rank 9; n = 1: rank 1; n = 7: 4 and 7.
        assert_eq!((nearest_rank(50, 10), nearest_rank(90, 10)), (5, 9));
        assert_eq!((nearest_rank(50, 1), nearest_rank(90, 1)), (1, 1));
        assert_eq!((nearest_rank(50, 7), nearest_rank(90, 7)), (4, 7));
    }
}

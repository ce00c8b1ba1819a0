//! AnalyzeComplaints over the wire: the request into the domain's
//! `AnalysisRequest`, the answer into protobuf. Rules live in
//! `domain::complaint::analysis`.

use super::convert::{time_input, timestamp_to_pb};
use crate::domain::complaint::analysis::{
    Analysis, AnalysisRequest, Figures, Group, Percentiles, Ratio,
};
use crate::error::Error;
use crate::pb;

pub fn request(r: &pb::AnalyzeComplaintsRequest) -> Result<AnalysisRequest, Error> {
    AnalysisRequest::parse(
        (
            r.start_time.as_ref().map(time_input),
            r.end_time.as_ref().map(time_input),
        ),
        &r.filter,
        r.group_by,
        (
            r.comparison_start_time.as_ref().map(time_input),
            r.comparison_end_time.as_ref().map(time_input),
        ),
    )
}

/// Microseconds as a protobuf Duration.
pub fn duration(micros: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: micros / 1_000_000,
        nanos: (micros % 1_000_000 * 1000) as i32,
    }
}

fn ratio(r: Ratio) -> Option<pb::Ratio> {
    Some(pb::Ratio {
        numerator: r.numerator,
        denominator: r.denominator,
        percent: r.percent(),
    })
}

fn percentiles(p: Percentiles) -> Option<pb::DurationPercentiles> {
    Some(pb::DurationPercentiles {
        count: p.count,
        median: p.median.map(duration),
        p90: p.p90.map(duration),
    })
}

fn figures(f: &Figures) -> pb::ComplaintFigures {
    pb::ComplaintFigures {
        complaints: f.complaints,
        invalid_share: ratio(f.invalid_share),
        first_response_time: percentiles(f.times.first_response),
        first_response_business_time: percentiles(f.times.first_response_business),
        resolution_time: percentiles(f.times.resolution),
        resolution_business_time: percentiles(f.times.resolution_business),
        first_response_on_time: ratio(f.first_response_on_time),
        resolution_on_time: ratio(f.resolution_on_time),
        callback_on_time: ratio(f.callback_on_time),
        reopen_rate: ratio(f.reopen_rate),
        callback_rate: ratio(f.callback_rate),
        satisfied_at_first_callback: ratio(f.satisfied_at_first_callback),
        open: f.open,
        breached: f.breached,
    }
}

fn group(g: &Group) -> pb::ComplaintGroup {
    pb::ComplaintGroup {
        key: g.pareto.key.clone().unwrap_or_default(),
        unspecified: g.pareto.key.is_none(),
        share: ratio(g.pareto.share),
        cumulative_share: ratio(g.pareto.cumulative),
        vital_few: g.pareto.vital_few,
        figures: Some(figures(&g.figures)),
    }
}

/// This minus that, in points; absent when either has no percent.
fn points(this: Ratio, that: Ratio) -> Option<f64> {
    Some(this.percent()? - that.percent()?)
}

fn change(this: &Figures, that: &Figures) -> pb::ComplaintFigureChange {
    let median = |a: Percentiles, b: Percentiles| Some(duration(a.median? - b.median?));
    pb::ComplaintFigureChange {
        complaints: this.complaints - that.complaints,
        invalid_share_points: points(this.invalid_share, that.invalid_share),
        first_response_on_time_points: points(
            this.first_response_on_time,
            that.first_response_on_time,
        ),
        resolution_on_time_points: points(this.resolution_on_time, that.resolution_on_time),
        callback_on_time_points: points(this.callback_on_time, that.callback_on_time),
        reopen_rate_points: points(this.reopen_rate, that.reopen_rate),
        callback_rate_points: points(this.callback_rate, that.callback_rate),
        satisfied_at_first_callback_points: points(
            this.satisfied_at_first_callback,
            that.satisfied_at_first_callback,
        ),
        resolution_time_median: median(this.times.resolution, that.times.resolution),
        first_response_time_median: median(this.times.first_response, that.times.first_response),
    }
}

pub fn to_pb(a: &Analysis) -> pb::AnalyzeComplaintsResponse {
    pb::AnalyzeComplaintsResponse {
        overall: Some(figures(&a.overall)),
        groups: a.groups.iter().map(group).collect(),
        comparison_start_time: Some(timestamp_to_pb(a.comparison_period.0)),
        comparison_end_time: Some(timestamp_to_pb(a.comparison_period.1)),
        comparison: Some(figures(&a.comparison)),
        change: Some(change(&a.overall, &a.comparison)),
    }
}

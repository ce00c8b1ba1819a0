//! SummarizeCustomers over the wire: the request read into domain input,
//! checked by `domain::customer::summary`, and the summary written back.

use tonic::{Response, Status};

use super::convert::{money_to_pb, time_input};
use crate::domain::ClosedEnum;
use crate::domain::customer::summary::{Segment, Share, SummaryInput, SummaryQuery};
use crate::domain::input::code_of;
use crate::pb;
use crate::usecases::CustomerSummaries;

pub async fn summarize(
    summaries: &CustomerSummaries,
    r: pb::SummarizeCustomersRequest,
) -> Result<Response<pb::SummarizeCustomersResponse>, Status> {
    let query = SummaryQuery::parse(SummaryInput {
        filter: r.filter,
        group_by: r.group_by,
        currency_code: r.currency_code,
        start_time: r.start_time.as_ref().map(time_input),
        end_time: r.end_time.as_ref().map(time_input),
    })?;
    let summary = summaries.summarize(&query).await?;
    Ok(Response::new(pb::SummarizeCustomersResponse {
        total: Some(group_to_pb(&summary.total)),
        groups: summary.groups.iter().map(group_to_pb).collect(),
    }))
}

fn group_to_pb(s: &Segment) -> pb::CustomerGroup {
    let key = &s.key;
    pb::CustomerGroup {
        tier: code_of(key.tier),
        relationship: code_of(key.relationship),
        value_grade: code_of(key.value_grade),
        lifecycle_stage: code_of(key.lifecycle_stage),
        sales_region: key.sales_region.clone(),
        country: key.country.clone(),
        kind: key.kind.map_or(0, ClosedEnum::code),
        customer_count: s.customer_count,
        purchase_count: s.purchase_count,
        excluded_purchase_count: s.excluded_purchase_count,
        net_value: Some(money_to_pb(&s.net_value)),
        share: s.share.as_ref().map(share_to_pb),
    }
}

fn share_to_pb(share: &Share) -> pb::MoneyShare {
    pb::MoneyShare {
        numerator: Some(money_to_pb(&share.numerator)),
        denominator: Some(money_to_pb(&share.denominator)),
        percent: share.percent,
    }
}

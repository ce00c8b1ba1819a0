//! ChannelService: parses requests into domain values, calls the standard
//! use cases, encodes the results. Field paths in errors are request paths.

use tonic::{Request, Response, Status};

use super::convert::{self as cv, call, parse_name, required_enum};
use super::mask::MaskedMessage;
use crate::domain::ClosedEnum;
use crate::domain::channel::{
    self, Availability, Channel, OpeningPeriod, check_time_zone, period_conflicts,
};
use crate::domain::customer::Tier;
use crate::domain::resource::Resource;
use crate::domain::text;
use crate::error::Violations;
use crate::pb::{self, channel_service_server::ChannelService};
use crate::usecases::Resources;

const MASKED: MaskedMessage = MaskedMessage {
    full_name: "crm.v1.Channel",
    output_only: &["name", "create_time", "update_time", "delete_time", "etag"],
};

pub struct ChannelApi {
    pub channels: Resources<Channel>,
}

#[tonic::async_trait]
impl ChannelService for ChannelApi {
    async fn create_channel(
        &self,
        request: Request<pb::CreateChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let call = call(&request);
        let request = request.into_inner();
        let mut v = Violations::new();
        let request_id = cv::request_id(&mut v, &request.request_id);
        let body = match &request.channel {
            Some(c) => from_pb(&mut v, "channel", c),
            None => {
                v.add("channel", "is required");
                None
            }
        };
        let Some(body) = body.filter(|_| v.is_empty()) else {
            return Err(v.into_error().into());
        };
        let created = self.channels.create(&call, body, request_id).await?;
        Ok(Response::new(to_pb(&created)))
    }

    async fn get_channel(
        &self,
        request: Request<pb::GetChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let id = parse_name(channel::COLLECTION, "name", &request.get_ref().name)?;
        Ok(Response::new(to_pb(&self.channels.get(id).await?)))
    }

    async fn list_channels(
        &self,
        request: Request<pb::ListChannelsRequest>,
    ) -> Result<Response<pb::ListChannelsResponse>, Status> {
        let list = list_request!(request.into_inner(), show_deleted: |r: &pb::ListChannelsRequest| r.show_deleted);
        let page = self.channels.list(&list).await?;
        Ok(Response::new(pb::ListChannelsResponse {
            channels: page.items.iter().map(to_pb).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_channel(
        &self,
        request: Request<pb::UpdateChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let call = call(&request);
        let request = request.into_inner();
        let input = request.channel.unwrap_or_default();
        let id = parse_name(channel::COLLECTION, "channel.name", &input.name)?;
        let updated = self
            .channels
            .update(&call, id, cv::etag(&input.etag), |current| {
                let merged = MASKED.merge(request.update_mask.as_ref(), &input, &to_pb(current))?;
                let mut v = Violations::new();
                from_pb(&mut v, "channel", &merged)
                    .filter(|_| v.is_empty())
                    .ok_or_else(|| v.into_error())
            })
            .await?;
        Ok(Response::new(to_pb(&updated)))
    }

    async fn delete_channel(
        &self,
        request: Request<pb::DeleteChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let id = parse_name(channel::COLLECTION, "name", &request.get_ref().name)?;
        let deleted = self
            .channels
            .delete(&call(&request), id, cv::etag(&request.get_ref().etag))
            .await?;
        Ok(Response::new(to_pb(&deleted)))
    }

    async fn undelete_channel(
        &self,
        request: Request<pb::UndeleteChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let id = parse_name(channel::COLLECTION, "name", &request.get_ref().name)?;
        Ok(Response::new(to_pb(
            &self.channels.undelete(&call(&request), id).await?,
        )))
    }
}

/// Reads a channel message; every problem is recorded under `at`.
fn from_pb(v: &mut Violations, at: &str, c: &pb::Channel) -> Option<Channel> {
    let f = |name: &str| format!("{at}.{name}");
    let display_name = v.check(&f("display_name"), text::required(&c.display_name, 200));
    let channel_type = required_enum(v, &f("type"), c.r#type);
    let kind = required_enum(v, &f("kind"), c.kind);
    let availability = availability_from_pb(v, &f("availability"), c.availability.as_ref());
    let first_response_seconds = match &c.first_response_target {
        Some(d) => v.check(
            &f("first_response_target"),
            Channel::check_response_seconds(d.seconds, d.nanos),
        ),
        None => {
            v.add(f("first_response_target"), "is required");
            None
        }
    };
    let owning_department = v.check(
        &f("owning_department"),
        text::required(&c.owning_department, 100),
    );
    // There are only four tiers: a longer list is refused whole, not per item.
    let listed = if c.allowed_tiers.len() > Tier::ALL.len() {
        v.add(f("allowed_tiers"), "must not name a tier twice");
        &[][..]
    } else {
        &c.allowed_tiers[..]
    };
    let tiers: Vec<Tier> = listed
        .iter()
        .enumerate()
        .filter_map(|(i, code)| required_enum(v, &format!("{at}.allowed_tiers[{i}]"), *code))
        .collect();
    if let Some(kind) = kind {
        v.check(&f("allowed_tiers"), Channel::check_tiers(kind, &tiers));
    }
    let labels = cv::labels(v, &f("labels"), &c.labels);
    Some(Channel {
        display_name: display_name?,
        channel_type: channel_type?,
        kind: kind?,
        availability: availability?,
        first_response_seconds: first_response_seconds?,
        owning_department: owning_department?,
        allowed_tiers: tiers,
        active: c.active.unwrap_or(true),
        labels,
    })
}

fn availability_from_pb(
    v: &mut Violations,
    at: &str,
    a: Option<&pb::Availability>,
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
        let day = required_enum(v, &f("day"), p.day);
        let time = |v: &mut Violations, name: &str, t: Option<&pb::TimeOfDay>| match t {
            Some(t) => v.check(&f(name), OpeningPeriod::minutes(t.hours, t.minutes)),
            None => {
                v.add(f(name), "is required");
                None
            }
        };
        let open = time(v, "open_time", p.open_time.as_ref());
        let close = time(v, "close_time", p.close_time.as_ref());
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

pub(crate) fn to_pb(r: &Resource<Channel>) -> pb::Channel {
    let c = &r.body;
    let meta = cv::meta_to_pb(&r.meta);
    pb::Channel {
        name: channel::COLLECTION.name_of(r.id),
        display_name: c.display_name.clone(),
        r#type: c.channel_type.code(),
        kind: c.kind.code(),
        availability: Some(availability_to_pb(&c.availability)),
        first_response_target: Some(prost_types::Duration {
            seconds: c.first_response_seconds,
            nanos: 0,
        }),
        owning_department: c.owning_department.clone(),
        allowed_tiers: c.allowed_tiers.iter().map(|t| t.code()).collect(),
        active: Some(c.active),
        labels: cv::labels_to_pb(&c.labels),
        create_time: meta.create_time,
        update_time: meta.update_time,
        delete_time: meta.delete_time,
        etag: meta.etag,
    }
}

fn availability_to_pb(a: &Availability) -> pb::Availability {
    match a {
        Availability::AlwaysOpen => pb::Availability {
            always_open: true,
            ..Default::default()
        },
        Availability::Weekly { time_zone, periods } => pb::Availability {
            always_open: false,
            time_zone: time_zone.clone(),
            weekly_periods: periods
                .iter()
                .map(|p| pb::OpeningPeriod {
                    day: p.day.code(),
                    open_time: Some(time_to_pb(p.open)),
                    close_time: Some(time_to_pb(p.close)),
                })
                .collect(),
        },
    }
}

fn time_to_pb(minutes: u16) -> pb::TimeOfDay {
    pb::TimeOfDay {
        hours: i32::from(minutes / 60),
        minutes: i32::from(minutes % 60),
    }
}

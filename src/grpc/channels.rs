//! ChannelService: each handler picks its request's fields and calls the
//! standard path; the translation between `pb::Channel` and the domain's
//! channel is all that is specific here. Rules live in `domain::channel`.

use tonic::{Request, Response, Status};

use super::convert::{call, duration_input, labels_to_pb, meta_to_pb};
use super::standard::{self, WireResource};
use crate::domain::ClosedEnum;
use crate::domain::channel::{
    Availability, AvailabilityInput, Channel, ChannelInput, OpeningPeriodInput, TimeOfDayInput,
};
use crate::domain::resource::Resource;
use crate::pb::{self, channel_service_server::ChannelService};
use crate::usecases::Resources;

pub struct ChannelApi {
    pub channels: Resources<Channel>,
}

#[tonic::async_trait]
impl ChannelService for ChannelApi {
    async fn create_channel(
        &self,
        request: Request<pb::CreateChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::create(&self.channels, &call, "", r.channel.as_ref(), &r.request_id).await
    }

    async fn get_channel(
        &self,
        request: Request<pb::GetChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        standard::get(&self.channels, &request.get_ref().name).await
    }

    async fn list_channels(
        &self,
        request: Request<pb::ListChannelsRequest>,
    ) -> Result<Response<pb::ListChannelsResponse>, Status> {
        let r = request.into_inner();
        let list = list_request!(r, show_deleted: |r: &pb::ListChannelsRequest| r.show_deleted);
        let (channels, next_page_token) = standard::list(&self.channels, "", list).await?;
        Ok(Response::new(pb::ListChannelsResponse {
            channels,
            next_page_token,
        }))
    }

    async fn update_channel(
        &self,
        request: Request<pb::UpdateChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let mask = r.update_mask.as_ref();
        standard::update(&self.channels, &call, r.channel, mask, &r.request_id).await
    }

    async fn delete_channel(
        &self,
        request: Request<pb::DeleteChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::delete(&self.channels, &call, &r.name, &r.etag, &r.request_id).await
    }

    async fn undelete_channel(
        &self,
        request: Request<pb::UndeleteChannelRequest>,
    ) -> Result<Response<pb::Channel>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::undelete(&self.channels, &call, &r.name, &r.request_id).await
    }
}

impl WireResource for Channel {
    type Message = pb::Channel;
    const MESSAGE: &'static str = "crm.v1.Channel";

    fn name(message: &pb::Channel) -> &str {
        &message.name
    }

    fn etag(message: &pb::Channel) -> &str {
        &message.etag
    }

    fn input(c: &pb::Channel) -> ChannelInput {
        ChannelInput {
            display_name: c.display_name.clone(),
            r#type: c.r#type,
            kind: c.kind,
            availability: c.availability.as_ref().map(|a| AvailabilityInput {
                always_open: a.always_open,
                time_zone: a.time_zone.clone(),
                weekly_periods: a
                    .weekly_periods
                    .iter()
                    .map(|p| OpeningPeriodInput {
                        day: p.day,
                        open_time: p.open_time.map(time_of_day_input),
                        close_time: p.close_time.map(time_of_day_input),
                    })
                    .collect(),
            }),
            first_response_target: c.first_response_target.as_ref().map(duration_input),
            owning_department: c.owning_department.clone(),
            allowed_tiers: c.allowed_tiers.clone(),
            active: c.active,
            labels: c.labels.clone().into_iter().collect(),
        }
    }

    fn to_pb(r: &Resource<Channel>) -> pb::Channel {
        let c = &r.body;
        let meta = meta_to_pb(&r.meta);
        pb::Channel {
            name: r.resource_name(),
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
            labels: labels_to_pb(&c.labels),
            create_time: meta.create_time,
            update_time: meta.update_time,
            delete_time: meta.delete_time,
            etag: meta.etag,
        }
    }
}

fn time_of_day_input(t: pb::TimeOfDay) -> TimeOfDayInput {
    TimeOfDayInput {
        hours: t.hours,
        minutes: t.minutes,
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

//! ChannelService: service standards, availability rules, tiers of dedicated
//! channels, and the standard methods.

use crm::pb::{self, channel::Kind, customer::Tier};
use prost_types::FieldMask;
use tonic::Code;

use crate::support::*;

fn period(day: pb::opening_period::Day, open: (i32, i32), close: (i32, i32)) -> pb::OpeningPeriod {
    pb::OpeningPeriod {
        day: day as i32,
        open_time: Some(pb::TimeOfDay {
            hours: open.0,
            minutes: open.1,
        }),
        close_time: Some(pb::TimeOfDay {
            hours: close.0,
            minutes: close.1,
        }),
    }
}

fn dedicated_line() -> pb::Channel {
    use pb::opening_period::Day::*;
    pb::Channel {
        display_name: "Key account direct line".into(),
        r#type: pb::channel::Type::DirectLine as i32,
        kind: Kind::Dedicated as i32,
        availability: Some(pb::Availability {
            always_open: false,
            time_zone: "Asia/Shanghai".into(),
            weekly_periods: vec![
                period(Monday, (9, 0), (12, 0)),
                period(Monday, (13, 30), (24, 0)),
                period(Saturday, (10, 0), (16, 0)),
            ],
        }),
        first_response_target: Some(prost_types::Duration {
            seconds: 3600,
            nanos: 0,
        }),
        owning_department: "Key accounts".into(),
        allowed_tiers: vec![Tier::Strategic as i32, Tier::Key as i32],
        labels: [("site".to_owned(), "hq".to_owned())].into(),
        ..Default::default()
    }
}

db_tests! {
    async fn a_channel_keeps_its_service_standard(s) {
        let created = create_channel(&s, dedicated_line()).await;
        assert!(created.name.starts_with("channels/"));
        assert_eq!(created.availability, dedicated_line().availability);
        assert_eq!(created.first_response_target, dedicated_line().first_response_target);
        assert_eq!(created.allowed_tiers, dedicated_line().allowed_tiers);
        assert_eq!(created.active, Some(true), "active defaults to true");
        let fetched = s.channels().get_channel(pb::GetChannelRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created);
        let inactive = create_channel(&s, pb::Channel { active: Some(false), ..channel("Fax") }).await;
        assert_eq!(inactive.active, Some(false));
    }

    async fn channel_rules_are_checked_and_every_violation_named(s) {
        use pb::opening_period::Day::*;
        let bad = pb::Channel {
            display_name: String::new(),
            r#type: 0,
            kind: Kind::Dedicated as i32,
            availability: Some(pb::Availability {
                always_open: false,
                time_zone: "Mars/Olympus".into(),
                weekly_periods: vec![
                    period(Monday, (9, 0), (12, 0)),
                    period(Monday, (11, 0), (13, 0)),
                    period(Tuesday, (18, 0), (9, 0)),
                    period(Wednesday, (25, 0), (26, 0)),
                ],
            }),
            first_response_target: Some(prost_types::Duration { seconds: 0, nanos: 0 }),
            owning_department: String::new(),
            allowed_tiers: vec![],
            ..Default::default()
        };
        let status = expect_code(
            s.channels().create_channel(pb::CreateChannelRequest { channel: Some(bad), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        let mut fields = violated_fields(&status);
        fields.sort();
        assert_eq!(fields, [
            "channel.allowed_tiers",
            "channel.availability.time_zone",
            "channel.availability.weekly_periods[3].close_time",
            "channel.availability.weekly_periods[3].open_time",
            "channel.display_name",
            "channel.first_response_target",
            "channel.owning_department",
            "channel.type",
        ]);

        let overlapping = pb::Channel {
            availability: Some(pb::Availability {
                always_open: false,
                time_zone: "Europe/Paris".into(),
                weekly_periods: vec![period(Monday, (9, 0), (12, 0)), period(Monday, (11, 0), (13, 0)), period(Tuesday, (18, 0), (9, 0))],
            }),
            ..channel("Overlaps")
        };
        let status = expect_code(
            s.channels().create_channel(pb::CreateChannelRequest { channel: Some(overlapping), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["channel.availability.weekly_periods[1]", "channel.availability.weekly_periods[2]"]);

        let regular_with_tiers = pb::Channel { allowed_tiers: vec![Tier::Key as i32], ..channel("Hotline") };
        let both_ways = pb::Channel {
            availability: Some(pb::Availability { always_open: true, time_zone: "UTC".into(), weekly_periods: vec![] }),
            first_response_target: Some(prost_types::Duration { seconds: 10, nanos: 5 }),
            ..channel("Confused")
        };
        for (bad, field) in [(regular_with_tiers, "channel.allowed_tiers"), (both_ways, "channel.availability")] {
            let status = expect_code(
                s.channels().create_channel(pb::CreateChannelRequest { channel: Some(bad), request_id: String::new() }).await,
                Code::InvalidArgument,
            );
            assert!(violated_fields(&status).contains(&field.to_owned()), "{status:?}");
        }
        let listed = s.channels().list_channels(pb::ListChannelsRequest { show_deleted: true, ..Default::default() }).await.unwrap().into_inner();
        assert!(listed.channels.is_empty());
    }

    async fn updating_availability_revalidates_the_whole_channel(s) {
        let created = create_channel(&s, dedicated_line()).await;
        let always = pb::Channel {
            name: created.name.clone(),
            availability: Some(pb::Availability { always_open: true, ..Default::default() }),
            etag: created.etag.clone(),
            ..Default::default()
        };
        let updated = s.channels().update_channel(pb::UpdateChannelRequest { request_id: String::new(),
            channel: Some(always),
            update_mask: Some(FieldMask { paths: vec!["availability".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(updated.availability.unwrap(), pb::Availability { always_open: true, ..Default::default() });
        assert_eq!(updated.allowed_tiers, created.allowed_tiers);

        let to_regular = pb::Channel { name: created.name.clone(), kind: Kind::Regular as i32, ..Default::default() };
        let status = expect_code(
            s.channels().update_channel(pb::UpdateChannelRequest { request_id: String::new(),
                channel: Some(to_regular.clone()),
                update_mask: Some(FieldMask { paths: vec!["kind".into()] }),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["channel.allowed_tiers"]);
        let fixed = s.channels().update_channel(pb::UpdateChannelRequest { request_id: String::new(),
            channel: Some(to_regular),
            update_mask: Some(FieldMask { paths: vec!["kind".into(), "allowed_tiers".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(fixed.kind, Kind::Regular as i32);
        assert!(fixed.allowed_tiers.is_empty());
    }

    async fn channels_list_filter_and_soft_delete(s) {
        let line = create_channel(&s, dedicated_line()).await;
        let hotline = create_channel(&s, channel("Hotline")).await;
        let fax = create_channel(&s, pb::Channel { active: Some(false), r#type: pb::channel::Type::Fax as i32, ..channel("Fax") }).await;
        let names = |filter: &str| {
            let s = s.clone();
            let filter = filter.to_owned();
            async move {
                let page = s.channels().list_channels(pb::ListChannelsRequest { filter, order_by: "display_name".into(), ..Default::default() })
                    .await.unwrap().into_inner();
                page.channels.into_iter().map(|c| c.display_name).collect::<Vec<_>>()
            }
        };
        assert_eq!(names("kind = DEDICATED").await, [line.display_name.as_str()]);
        assert_eq!(names("active = true").await, ["Hotline", "Key account direct line"]);
        assert_eq!(names("type = FAX OR labels.site = hq").await, ["Fax", "Key account direct line"]);
        let status = expect_code(
            s.channels().list_channels(pb::ListChannelsRequest { filter: "tier = KEY".into(), ..Default::default() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["filter"]);

        s.channels().delete_channel(pb::DeleteChannelRequest { request_id: String::new(), name: fax.name.clone(), etag: fax.etag.clone() }).await.unwrap();
        assert_eq!(names("").await, ["Hotline", "Key account direct line"]);
        s.channels().undelete_channel(pb::UndeleteChannelRequest { request_id: String::new(), name: fax.name.clone() }).await.unwrap();
        assert_eq!(names("").await.len(), 3);
        let status = expect_code(
            s.channels().delete_channel(pb::DeleteChannelRequest { request_id: String::new(), name: hotline.name.clone(), etag: "\"7\"".into() }).await,
            Code::Aborted,
        );
        assert_eq!(reason(&status), "ETAG_MISMATCH");
    }

    async fn a_retried_channel_create_is_answered_from_the_first(s) {
        let request = pb::CreateChannelRequest { channel: Some(channel("Once")), request_id: uuid::Uuid::new_v4().to_string() };
        let first = s.channels().create_channel(request.clone()).await.unwrap().into_inner();
        let second = s.channels().create_channel(request).await.unwrap().into_inner();
        assert_eq!(first, second);
        let listed = s.channels().list_channels(pb::ListChannelsRequest::default()).await.unwrap().into_inner();
        assert_eq!(listed.channels.len(), 1);
    }
}

db_tests! {
    async fn a_mask_into_a_message_the_request_leaves_out_is_named_not_internal(s) {
        let created = s.channels().create_channel(pb::CreateChannelRequest { channel: Some(channel("Hotline")), request_id: String::new() }).await.unwrap().into_inner();
        let mut change = created.clone();
        change.availability = None;
        let status = expect_code(
            s.channels().update_channel(pb::UpdateChannelRequest {
                channel: Some(change),
                update_mask: Some(FieldMask { paths: vec!["availability.time_zone".into()] }),
                request_id: String::new(),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["update_mask"]);
        let unchanged = s.channels().get_channel(pb::GetChannelRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(unchanged.etag, created.etag, "nothing was written");
    }
}

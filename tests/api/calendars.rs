//! CalendarService: business calendars through the standard methods, and
//! every rule of a calendar named at once.

use crm::pb::{self, opening_period::Day};
use prost_types::FieldMask;
use tonic::Code;

use crate::support::*;

fn period(day: Day, open: (i32, i32), close: (i32, i32)) -> pb::OpeningPeriod {
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

fn holiday(first: &str, last: &str) -> pb::Holiday {
    pb::Holiday {
        first_date: first.into(),
        last_date: last.into(),
    }
}

fn extra(date: &str, worked_as: Day) -> pb::ExtraWorkingDay {
    pb::ExtraWorkingDay {
        date: date.into(),
        worked_as: worked_as as i32,
    }
}

/// Weekdays 09:00–18:00 in Shanghai, the national holiday off and the
/// Saturday after it worked as a Monday.
fn shanghai_office() -> pb::Calendar {
    use Day::*;
    pb::Calendar {
        display_name: "Shanghai office".into(),
        time_zone: "Asia/Shanghai".into(),
        weekly_periods: [Monday, Tuesday, Wednesday, Thursday, Friday]
            .into_iter()
            .map(|day| period(day, (9, 0), (18, 0)))
            .collect(),
        holidays: vec![holiday("2026-10-01", "2026-10-07")],
        extra_working_days: vec![extra("2026-10-10", Monday)],
        labels: [("site".to_owned(), "sh".to_owned())].into(),
        ..Default::default()
    }
}

fn berlin_support() -> pb::Calendar {
    pb::Calendar {
        display_name: "Berlin support".into(),
        time_zone: "Europe/Berlin".into(),
        weekly_periods: vec![
            period(Day::Monday, (8, 0), (12, 0)),
            period(Day::Monday, (13, 0), (17, 0)),
            period(Day::Saturday, (10, 0), (14, 0)),
        ],
        ..Default::default()
    }
}

async fn names(s: &TestServer, request: pb::ListCalendarsRequest) -> Vec<String> {
    let page = s
        .calendars()
        .list_calendars(request)
        .await
        .unwrap()
        .into_inner();
    page.calendars.into_iter().map(|c| c.display_name).collect()
}

fn listing(filter: &str) -> pb::ListCalendarsRequest {
    pb::ListCalendarsRequest {
        filter: filter.into(),
        order_by: "display_name".into(),
        ..Default::default()
    }
}

db_tests! {
    async fn a_calendar_goes_through_every_standard_method(s) {
        let created = create_calendar(&s, shanghai_office()).await;
        assert!(created.name.starts_with("calendars/"), "{}", created.name);
        let expected = pb::Calendar {
            name: created.name.clone(),
            create_time: created.create_time,
            update_time: created.update_time,
            etag: created.etag.clone(),
            ..shanghai_office()
        };
        assert_eq!(created, expected);
        assert!(created.create_time.is_some() && created.delete_time.is_none());
        let fetched = s.calendars().get_calendar(pb::GetCalendarRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created);

        let berlin = create_calendar(&s, berlin_support()).await;
        assert_eq!(names(&s, listing("")).await, ["Berlin support", "Shanghai office"]);
        assert_eq!(names(&s, listing(r#"time_zone = "Asia/Shanghai""#)).await, ["Shanghai office"]);
        assert_eq!(names(&s, listing(r#"display_name : "SUPP""#)).await, ["Berlin support"]);
        assert_eq!(names(&s, listing("labels.site = sh")).await, ["Shanghai office"]);
        let status = expect_code(s.calendars().list_calendars(listing(r#"time_zone : "Asia""#)).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["filter"]);

        let first = s.calendars().list_calendars(pb::ListCalendarsRequest { page_size: 1, order_by: "time_zone desc".into(), ..Default::default() })
            .await.unwrap().into_inner();
        assert_eq!(first.calendars[0].name, berlin.name, "Europe/Berlin sorts after Asia/Shanghai");
        assert!(!first.next_page_token.is_empty());
        let second = s.calendars().list_calendars(pb::ListCalendarsRequest { page_size: 1, order_by: "time_zone desc".into(), page_token: first.next_page_token, ..Default::default() })
            .await.unwrap().into_inner();
        assert_eq!(second.calendars[0].name, created.name);
        assert!(second.next_page_token.is_empty());

        let mut change = created.clone();
        change.display_name = "Shanghai head office".into();
        change.holidays.push(holiday("2027-02-06", "2027-02-12"));
        let updated = s.calendars().update_calendar(pb::UpdateCalendarRequest {
            calendar: Some(change.clone()),
            update_mask: Some(FieldMask { paths: vec!["display_name".into(), "holidays".into()] }),
            request_id: String::new(),
        }).await.unwrap().into_inner();
        assert_eq!(updated.display_name, "Shanghai head office");
        assert_eq!(updated.holidays.len(), 2);
        assert_eq!(updated.weekly_periods, created.weekly_periods, "fields outside the mask are kept");
        assert_ne!(updated.etag, created.etag);
        let status = expect_code(
            s.calendars().update_calendar(pb::UpdateCalendarRequest {
                calendar: Some(change),
                update_mask: Some(FieldMask { paths: vec!["display_name".into()] }),
                request_id: String::new(),
            }).await,
            Code::Aborted,
        );
        assert_eq!(reason(&status), "ETAG_MISMATCH");

        let overlapping = pb::Calendar {
            name: updated.name.clone(),
            weekly_periods: vec![period(Day::Monday, (9, 0), (12, 0)), period(Day::Monday, (11, 0), (13, 0))],
            ..Default::default()
        };
        let status = expect_code(
            s.calendars().update_calendar(pb::UpdateCalendarRequest {
                calendar: Some(overlapping),
                update_mask: Some(FieldMask { paths: vec!["weekly_periods".into()] }),
                request_id: String::new(),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["calendar.weekly_periods[1]"]);

        let deleted = s.calendars().delete_calendar(pb::DeleteCalendarRequest { name: updated.name.clone(), etag: updated.etag.clone(), request_id: String::new() })
            .await.unwrap().into_inner();
        assert!(deleted.delete_time.is_some());
        assert_eq!(names(&s, listing("")).await, ["Berlin support"]);
        assert_eq!(names(&s, pb::ListCalendarsRequest { show_deleted: true, ..listing("") }).await, ["Berlin support", "Shanghai head office"]);
        let still = s.calendars().get_calendar(pb::GetCalendarRequest { name: updated.name.clone() }).await.unwrap().into_inner();
        assert!(still.delete_time.is_some());
        let restored = s.calendars().undelete_calendar(pb::UndeleteCalendarRequest { name: updated.name.clone(), request_id: String::new() })
            .await.unwrap().into_inner();
        assert!(restored.delete_time.is_none());
        assert_eq!(names(&s, listing("")).await, ["Berlin support", "Shanghai head office"]);

        let events = s.events().list_events(pb::ListEventsRequest { filter: format!(r#"resource = "{}""#, created.name), ..Default::default() })
            .await.unwrap().into_inner().events;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["created", "updated", "deleted", "undeleted"]);
        assert_eq!(events[1].changed_fields, ["display_name", "holidays"]);
        assert!(events.iter().all(|e| e.resource_type == "calendar"));
        assert_eq!(events[3].resource_snapshot, Some(pb::event::ResourceSnapshot::Calendar(restored)));
    }

    async fn every_bad_calendar_field_is_named_at_once(s) {
        use Day::*;
        let bad = pb::Calendar {
            display_name: String::new(),
            time_zone: "Mars/Olympus".into(),
            weekly_periods: vec![
                period(Monday, (9, 0), (12, 0)),
                period(Tuesday, (9, 0), (25, 0)),
                period(Monday, (11, 0), (13, 0)),
                period(Wednesday, (18, 0), (9, 0)),
            ],
            holidays: vec![
                holiday("2026-10-01", "2026-10-07"),
                holiday("2026-10-32", "2026-11-01"),
                holiday("2026-05-05", "2026-05-01"),
                holiday("2026-01-01", "1 January"),
            ],
            extra_working_days: vec![
                extra("2026-10-03", Saturday),
                extra("10/10/2026", Monday),
                pb::ExtraWorkingDay { date: "2026-10-11".into(), worked_as: 0 },
                extra("2026-09-27", Monday),
                extra("2026-09-27", Tuesday),
            ],
            ..Default::default()
        };
        let status = expect_code(
            s.calendars().create_calendar(pb::CreateCalendarRequest { calendar: Some(bad), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        let mut fields = violated_fields(&status);
        fields.sort();
        assert_eq!(fields, [
            "calendar.display_name",
            "calendar.extra_working_days[0]",
            "calendar.extra_working_days[1].date",
            "calendar.extra_working_days[2].worked_as",
            "calendar.extra_working_days[4]",
            "calendar.holidays[1].first_date",
            "calendar.holidays[2]",
            "calendar.holidays[3].last_date",
            "calendar.time_zone",
            "calendar.weekly_periods[1].close_time",
            "calendar.weekly_periods[2]",
            "calendar.weekly_periods[3]",
        ]);
        let described = violations(&status);
        assert!(described.contains(&("calendar.extra_working_days[0]".to_owned(), "2026-10-03 is also a holiday".to_owned())), "{described:?}");

        let empty_week = pb::Calendar { weekly_periods: vec![], ..shanghai_office() };
        let status = expect_code(
            s.calendars().create_calendar(pb::CreateCalendarRequest { calendar: Some(empty_week), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["calendar.weekly_periods"]);
        let no_zone = pb::Calendar { time_zone: " ".into(), ..shanghai_office() };
        let status = expect_code(
            s.calendars().create_calendar(pb::CreateCalendarRequest { calendar: Some(no_zone), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violations(&status), [("calendar.time_zone".to_owned(), "is required".to_owned())]);

        let listed = s.calendars().list_calendars(pb::ListCalendarsRequest { show_deleted: true, ..Default::default() }).await.unwrap().into_inner();
        assert!(listed.calendars.is_empty(), "nothing was written");
    }

    async fn a_retried_calendar_create_is_answered_from_the_first(s) {
        let request = pb::CreateCalendarRequest { calendar: Some(shanghai_office()), request_id: uuid::Uuid::new_v4().to_string() };
        let first = s.calendars().create_calendar(request.clone()).await.unwrap().into_inner();
        let second = s.calendars().create_calendar(request.clone()).await.unwrap().into_inner();
        assert_eq!(first, second);
        let other = pb::CreateCalendarRequest { calendar: Some(berlin_support()), ..request };
        let status = expect_code(s.calendars().create_calendar(other).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["request_id"]);
        let listed = s.calendars().list_calendars(pb::ListCalendarsRequest::default()).await.unwrap().into_inner();
        assert_eq!(listed.calendars.len(), 1);
    }
}

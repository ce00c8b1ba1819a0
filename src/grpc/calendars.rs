//! CalendarService: each handler picks its request's fields and calls the
//! standard path; the translation between `pb::Calendar` and the domain's
//! calendar is all that is specific here. Rules live in `domain::calendar`.

use tonic::{Request, Response, Status};

use super::convert::{call, labels_to_pb, meta_to_pb};
use super::standard::{self, WireResource};
use crate::domain::calendar::{Calendar, CalendarInput, ExtraWorkingDayInput, HolidayInput};
use crate::domain::channel::{OpeningPeriodInput, TimeOfDayInput};
use crate::domain::resource::Resource;
use crate::pb::{self, calendar_service_server::CalendarService};
use crate::usecases::Resources;

pub struct CalendarApi {
    pub calendars: Resources<Calendar>,
}

#[tonic::async_trait]
impl CalendarService for CalendarApi {
    async fn create_calendar(
        &self,
        request: Request<pb::CreateCalendarRequest>,
    ) -> Result<Response<pb::Calendar>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::create(
            &self.calendars,
            &call,
            "",
            r.calendar.as_ref(),
            &r.request_id,
        )
        .await
    }

    async fn get_calendar(
        &self,
        request: Request<pb::GetCalendarRequest>,
    ) -> Result<Response<pb::Calendar>, Status> {
        standard::get(&self.calendars, &request.get_ref().name).await
    }

    async fn list_calendars(
        &self,
        request: Request<pb::ListCalendarsRequest>,
    ) -> Result<Response<pb::ListCalendarsResponse>, Status> {
        let r = request.into_inner();
        let list = list_request!(r, show_deleted: |r: &pb::ListCalendarsRequest| r.show_deleted);
        let (calendars, next_page_token) = standard::list(&self.calendars, "", list).await?;
        Ok(Response::new(pb::ListCalendarsResponse {
            calendars,
            next_page_token,
        }))
    }

    async fn update_calendar(
        &self,
        request: Request<pb::UpdateCalendarRequest>,
    ) -> Result<Response<pb::Calendar>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let mask = r.update_mask.as_ref();
        standard::update(&self.calendars, &call, r.calendar, mask, &r.request_id).await
    }

    async fn delete_calendar(
        &self,
        request: Request<pb::DeleteCalendarRequest>,
    ) -> Result<Response<pb::Calendar>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::delete(&self.calendars, &call, &r.name, &r.etag, &r.request_id).await
    }

    async fn undelete_calendar(
        &self,
        request: Request<pb::UndeleteCalendarRequest>,
    ) -> Result<Response<pb::Calendar>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::undelete(&self.calendars, &call, &r.name, &r.request_id).await
    }
}

impl WireResource for Calendar {
    type Message = pb::Calendar;
    const MESSAGE: &'static str = "crm.v1.Calendar";

    fn name(message: &pb::Calendar) -> &str {
        &message.name
    }

    fn etag(message: &pb::Calendar) -> &str {
        &message.etag
    }

    fn input(c: &pb::Calendar) -> CalendarInput {
        CalendarInput {
            display_name: c.display_name.clone(),
            time_zone: c.time_zone.clone(),
            weekly_periods: c
                .weekly_periods
                .iter()
                .map(|p| OpeningPeriodInput {
                    day: p.day,
                    open_time: p.open_time.map(time_of_day_input),
                    close_time: p.close_time.map(time_of_day_input),
                })
                .collect(),
            holidays: c
                .holidays
                .iter()
                .map(|h| HolidayInput {
                    first_date: h.first_date.clone(),
                    last_date: h.last_date.clone(),
                })
                .collect(),
            extra_working_days: c
                .extra_working_days
                .iter()
                .map(|d| ExtraWorkingDayInput {
                    date: d.date.clone(),
                    worked_as: d.worked_as,
                })
                .collect(),
            labels: c.labels.clone().into_iter().collect(),
        }
    }

    fn to_pb(r: &Resource<Calendar>) -> pb::Calendar {
        let input = r.body.input();
        let meta = meta_to_pb(&r.meta);
        pb::Calendar {
            name: r.resource_name(),
            display_name: input.display_name,
            time_zone: input.time_zone,
            weekly_periods: input
                .weekly_periods
                .into_iter()
                .map(|p| pb::OpeningPeriod {
                    day: p.day,
                    open_time: p.open_time.map(time_of_day_to_pb),
                    close_time: p.close_time.map(time_of_day_to_pb),
                })
                .collect(),
            holidays: input
                .holidays
                .into_iter()
                .map(|h| pb::Holiday {
                    first_date: h.first_date,
                    last_date: h.last_date,
                })
                .collect(),
            extra_working_days: input
                .extra_working_days
                .into_iter()
                .map(|d| pb::ExtraWorkingDay {
                    date: d.date,
                    worked_as: d.worked_as,
                })
                .collect(),
            labels: labels_to_pb(&r.body.labels),
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

fn time_of_day_to_pb(t: TimeOfDayInput) -> pb::TimeOfDay {
    pb::TimeOfDay {
        hours: t.hours,
        minutes: t.minutes,
    }
}

//! The `calendars` table: display name and time zone as columns for lists;
//! periods, holidays, extra working days and labels as JSON text.

use sea_orm::Set;
use sea_orm::entity::prelude::*;

use super::resources::{Table, from_json, meta_of, to_json};
use crate::domain::calendar::Calendar;
use crate::domain::resource::{Resource, Timestamp};
use crate::domain::text::fold;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendars")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub display_name: String,
    pub time_zone: String,
    #[sea_orm(column_type = "Text")]
    pub weekly_periods: String,
    #[sea_orm(column_type = "Text")]
    pub holidays: String,
    #[sea_orm(column_type = "Text")]
    pub extra_working_days: String,
    #[sea_orm(column_type = "Text")]
    pub labels: String,
    pub create_time: i64,
    pub update_time: i64,
    pub delete_time: Option<i64>,
    pub version: i64,
    pub display_name_folded: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Table for Calendar {
    type Entity = Entity;
    const ID: Column = Column::Id;
    const DELETE_TIME: Column = Column::DeleteTime;
    const VERSION: Column = Column::Version;

    fn column(field: &str) -> Option<Column> {
        Some(match field {
            "display_name" => Column::DisplayName,
            "time_zone" => Column::TimeZone,
            "create_time" => Column::CreateTime,
            "update_time" => Column::UpdateTime,
            _ => return None,
        })
    }

    fn folded(field: &str) -> Option<Column> {
        Some(match field {
            "display_name" => Column::DisplayNameFolded,
            _ => return None,
        })
    }

    fn to_row(resource: &Resource<Self>) -> Result<ActiveModel, Error> {
        let (c, m) = (&resource.body, &resource.meta);
        Ok(ActiveModel {
            id: Set(resource.id),
            display_name: Set(c.display_name.clone()),
            time_zone: Set(c.time_zone.clone()),
            weekly_periods: Set(to_json(&c.periods)?),
            holidays: Set(to_json(&c.holidays)?),
            extra_working_days: Set(to_json(&c.extra_days)?),
            labels: Set(to_json(&c.labels)?),
            create_time: Set(m.create_time.micros()),
            update_time: Set(m.update_time.micros()),
            delete_time: Set(m.delete_time.map(Timestamp::micros)),
            version: Set(m.version),
            display_name_folded: Set(fold(&c.display_name)),
        })
    }

    fn from_row(row: Model) -> Result<Resource<Self>, Error> {
        let body = Calendar {
            periods: from_json(&row.weekly_periods)?,
            holidays: from_json(&row.holidays)?,
            extra_days: from_json(&row.extra_working_days)?,
            labels: from_json(&row.labels)?,
            display_name: row.display_name,
            time_zone: row.time_zone,
        };
        Ok(Resource {
            id: row.id,
            parent: None,
            meta: meta_of(
                row.create_time,
                row.update_time,
                row.delete_time,
                row.version,
            ),
            body,
        })
    }
}

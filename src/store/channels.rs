//! The `channels` table: one column per filterable or orderable field;
//! availability, tiers and labels as JSON text.

use sea_orm::Set;
use sea_orm::entity::prelude::*;

use super::resources::{Table, from_json, meta_of, required_code, to_json};
use crate::domain::ClosedEnum;
use crate::domain::channel::Channel;
use crate::domain::resource::{Resource, Timestamp};
use crate::domain::text::fold;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub display_name: String,
    pub channel_type: i32,
    pub kind: i32,
    #[sea_orm(column_type = "Text")]
    pub availability: String,
    pub first_response_seconds: i64,
    pub owning_department: String,
    #[sea_orm(column_type = "Text")]
    pub allowed_tiers: String,
    pub active: bool,
    #[sea_orm(column_type = "Text")]
    pub labels: String,
    pub create_time: i64,
    pub update_time: i64,
    pub delete_time: Option<i64>,
    pub version: i64,
    pub display_name_folded: String,
    pub owning_department_folded: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Table for Channel {
    type Entity = Entity;
    const ID: Column = Column::Id;
    const DELETE_TIME: Column = Column::DeleteTime;
    const VERSION: Column = Column::Version;

    fn column(field: &str) -> Option<Column> {
        Some(match field {
            "display_name" => Column::DisplayName,
            "type" => Column::ChannelType,
            "kind" => Column::Kind,
            "owning_department" => Column::OwningDepartment,
            "active" => Column::Active,
            "create_time" => Column::CreateTime,
            "update_time" => Column::UpdateTime,
            _ => return None,
        })
    }

    fn folded(field: &str) -> Option<Column> {
        Some(match field {
            "display_name" => Column::DisplayNameFolded,
            "owning_department" => Column::OwningDepartmentFolded,
            _ => return None,
        })
    }

    fn to_row(resource: &Resource<Self>) -> Result<ActiveModel, Error> {
        let (c, m) = (&resource.body, &resource.meta);
        Ok(ActiveModel {
            id: Set(resource.id),
            display_name: Set(c.display_name.clone()),
            channel_type: Set(c.channel_type.code()),
            kind: Set(c.kind.code()),
            availability: Set(to_json(&c.availability)?),
            first_response_seconds: Set(c.first_response_seconds),
            owning_department: Set(c.owning_department.clone()),
            allowed_tiers: Set(to_json(&c.allowed_tiers)?),
            active: Set(c.active),
            labels: Set(to_json(&c.labels)?),
            create_time: Set(m.create_time.micros()),
            update_time: Set(m.update_time.micros()),
            delete_time: Set(m.delete_time.map(Timestamp::micros)),
            version: Set(m.version),
            display_name_folded: Set(fold(&c.display_name)),
            owning_department_folded: Set(fold(&c.owning_department)),
        })
    }

    fn from_row(row: Model) -> Result<Resource<Self>, Error> {
        let body = Channel {
            channel_type: required_code(row.channel_type)?,
            kind: required_code(row.kind)?,
            availability: from_json(&row.availability)?,
            first_response_seconds: row.first_response_seconds,
            owning_department: row.owning_department,
            allowed_tiers: from_json(&row.allowed_tiers)?,
            active: row.active,
            labels: from_json(&row.labels)?,
            display_name: row.display_name,
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

//! The `service_level_policies` table: what lists filter and order on
//! (display name, priority, active, calendar) and the targets and
//! thresholds as columns; the match conditions and labels as JSON text.
//! Priority is unique among live rows (a partial unique index); writers
//! check it first under one lock, so the index is only the backstop.

use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, DbBackend, QueryOrder, Set};

use super::Tx;
use super::db_error;
use super::resources::{Table, from_json, meta_of, to_json};
use crate::domain::resource::{Resource, Timestamp};
use crate::domain::service_level::{ServiceLevelPolicy, Targets, Thresholds, calendar_name};
use crate::domain::text::fold;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_level_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub display_name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub priority: i32,
    pub active: bool,
    #[sea_orm(column_type = "Text")]
    pub severities: String,
    #[sea_orm(column_type = "Text")]
    pub customer_tiers: String,
    #[sea_orm(column_type = "Text")]
    pub categories: String,
    #[sea_orm(column_type = "Text")]
    pub channels: String,
    /// The calendar's resource name, empty for around the clock.
    pub calendar: String,
    /// Microseconds; NULL where the policy sets no target.
    pub first_response_target: Option<i64>,
    pub resolution_target: Option<i64>,
    pub callback_target: Option<i64>,
    pub yellow_percent: i32,
    pub orange_percent: i32,
    pub red_percent: i32,
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

impl Table for ServiceLevelPolicy {
    type Entity = Entity;
    const ID: Column = Column::Id;
    const DELETE_TIME: Column = Column::DeleteTime;
    const VERSION: Column = Column::Version;

    fn column(field: &str) -> Option<Column> {
        Some(match field {
            "display_name" => Column::DisplayName,
            "priority" => Column::Priority,
            "active" => Column::Active,
            "calendar" => Column::Calendar,
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
        let (p, m) = (&resource.body, &resource.meta);
        Ok(ActiveModel {
            id: Set(resource.id),
            display_name: Set(p.display_name.clone()),
            description: Set(p.description.clone()),
            priority: Set(p.priority),
            active: Set(p.active),
            severities: Set(to_json(&p.severities)?),
            customer_tiers: Set(to_json(&p.customer_tiers)?),
            categories: Set(to_json(&p.categories)?),
            channels: Set(to_json(&p.channels)?),
            calendar: Set(p.calendar.map(calendar_name).unwrap_or_default()),
            first_response_target: Set(p.targets.first_response),
            resolution_target: Set(p.targets.resolution),
            callback_target: Set(p.targets.callback),
            yellow_percent: Set(p.thresholds.yellow as i32),
            orange_percent: Set(p.thresholds.orange as i32),
            red_percent: Set(p.thresholds.red as i32),
            labels: Set(to_json(&p.labels)?),
            create_time: Set(m.create_time.micros()),
            update_time: Set(m.update_time.micros()),
            delete_time: Set(m.delete_time.map(Timestamp::micros)),
            version: Set(m.version),
            display_name_folded: Set(fold(&p.display_name)),
        })
    }

    fn from_row(row: Model) -> Result<Resource<Self>, Error> {
        let calendar = match row.calendar.as_str() {
            "" => None,
            name => Some(
                crate::domain::calendar::COLLECTION
                    .parse_name(name)
                    .map_err(|e| Error::internal(format!("stored calendar {name:?} {e}")))?
                    .id,
            ),
        };
        let percent = |value: i32| {
            u32::try_from(value).map_err(|_| Error::internal("a stored threshold is negative"))
        };
        let body = ServiceLevelPolicy {
            severities: from_json(&row.severities)?,
            customer_tiers: from_json(&row.customer_tiers)?,
            categories: from_json(&row.categories)?,
            channels: from_json(&row.channels)?,
            labels: from_json(&row.labels)?,
            calendar,
            targets: Targets {
                first_response: row.first_response_target,
                resolution: row.resolution_target,
                callback: row.callback_target,
            },
            thresholds: Thresholds {
                yellow: percent(row.yellow_percent)?,
                orange: percent(row.orange_percent)?,
                red: percent(row.red_percent)?,
            },
            display_name: row.display_name,
            description: row.description,
            priority: row.priority,
            active: row.active,
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

/// Live, active policies ordered by priority (lowest first): the order in
/// which a complaint's policy is chosen. Policies are few (one per
/// priority a team keeps apart), so they are read whole.
pub async fn active_policies(tx: &Tx) -> Result<Vec<Resource<ServiceLevelPolicy>>, Error> {
    Entity::find()
        .filter(Column::DeleteTime.is_null())
        .filter(Column::Active.eq(true))
        .order_by_asc(Column::Priority)
        .order_by_asc(Column::Id)
        .all(tx.conn())
        .await
        .map_err(db_error)?
        .into_iter()
        .map(ServiceLevelPolicy::from_row)
        .collect()
}

/// The key of the PostgreSQL advisory lock that writers of a policy's
/// priority hold from their check to their commit: the bytes of "crm:sla1".
const PRIORITY_LOCK: i64 = i64::from_be_bytes(*b"crm:sla1");

/// The live policy, other than `except`, that holds `priority`, read in a
/// write transaction about to give a live policy that priority.
///
/// On PostgreSQL it first takes a transaction-scoped advisory lock that
/// every such writer takes: under READ COMMITTED two writers could both
/// find the priority free and the second would fail on the unique index
/// (an INTERNAL answer) instead of being refused. Holding the lock until
/// commit, the second reads after the first has committed and sees its
/// row. SQLite's IMMEDIATE write transactions already run one at a time.
pub async fn find_live_policy_with_priority(
    tx: &Tx,
    priority: i32,
    except: Option<Uuid>,
) -> Result<Option<Resource<ServiceLevelPolicy>>, Error> {
    if tx.conn().get_database_backend() == DbBackend::Postgres {
        tx.conn()
            .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({PRIORITY_LOCK})"))
            .await
            .map_err(db_error)?;
    }
    let mut select = Entity::find()
        .filter(Column::DeleteTime.is_null())
        .filter(Column::Priority.eq(priority));
    if let Some(id) = except {
        select = select.filter(Column::Id.ne(id));
    }
    select
        .one(tx.conn())
        .await
        .map_err(db_error)?
        .map(ServiceLevelPolicy::from_row)
        .transpose()
}

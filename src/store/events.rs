//! The event log table and its counters. Appends are serialized by a
//! single-row counter updated in the writing transaction: on PostgreSQL a
//! sequence value is taken at insert, not at commit, so two writers could
//! commit out of number order and a reader tailing "sequence > last" would
//! pass over a row that appears later. With the counter row locked until
//! commit, commit order is number order and the visible log is always a
//! gap-free prefix. SQLite has one writer at a time anyway.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{Order, QueryFilter, QueryOrder, QuerySelect, Set};

use super::{Tx, db_error, filter};
use crate::domain::event::{Change, Event};
use crate::domain::filter::Filter;
use crate::domain::resource::Timestamp;
use crate::error::Error;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub sequence: i64,
        #[sea_orm(unique)]
        pub event_id: Uuid,
        pub create_time: i64,
        pub actor: String,
        pub method: String,
        pub resource: String,
        pub resource_type: String,
        pub kind: String,
        #[sea_orm(column_type = "Text")]
        pub changed_fields: String,
        pub etag: String,
        /// The resource in its serde form: events written before payloads
        /// existed, until they are upgraded; empty afterwards.
        #[sea_orm(column_type = "Text")]
        pub snapshot: String,
        /// The resource in its wire form (protobuf), fixed at append time.
        #[sea_orm(column_type = "Blob", nullable)]
        pub payload: Option<Vec<u8>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub value: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// The last sequence number handed out.
pub const LAST_SEQUENCE: &str = "events.last_sequence";
/// The highest sequence number removed by retention.
pub const PURGED_THROUGH: &str = "events.purged_through";
/// The last sequence number the NATS relay had acknowledged.
pub const RELAYED_THROUGH: &str = "relay.nats.relayed_through";

pub async fn counter_value(tx: &Tx, name: &str) -> Result<i64, Error> {
    counter::Entity::find_by_id(name.to_owned())
        .one(tx.conn())
        .await
        .map_err(db_error)?
        .map(|row| row.value)
        .ok_or_else(|| Error::internal(format!("counter {name} is missing")))
}

/// The log's counters, read together in one statement (one snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub last_sequence: i64,
    pub purged_through: i64,
    pub relayed_through: i64,
}

pub async fn counters(tx: &Tx) -> Result<Counters, Error> {
    let rows = counter::Entity::find()
        .all(tx.conn())
        .await
        .map_err(db_error)?;
    let value = |name: &str| {
        rows.iter()
            .find(|row| row.name == name)
            .map(|row| row.value)
            .ok_or_else(|| Error::internal(format!("counter {name} is missing")))
    };
    Ok(Counters {
        last_sequence: value(LAST_SEQUENCE)?,
        purged_through: value(PURGED_THROUGH)?,
        relayed_through: value(RELAYED_THROUGH)?,
    })
}

pub async fn set_counter(tx: &Tx, name: &str, value: i64) -> Result<(), Error> {
    counter::Entity::update_many()
        .col_expr(counter::Column::Value, Expr::val(value))
        .filter(counter::Column::Name.eq(name))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Appends a change and returns it as an event. Takes the counter row lock,
/// held until the transaction ends: call it last, just before commit.
pub async fn append(tx: &Tx, change: Change, now: Timestamp) -> Result<Event, Error> {
    counter::Entity::update_many()
        .col_expr(
            counter::Column::Value,
            Expr::col(counter::Column::Value).add(1),
        )
        .filter(counter::Column::Name.eq(LAST_SEQUENCE))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    let sequence = counter_value(tx, LAST_SEQUENCE).await?;
    let event = Event {
        sequence,
        id: Uuid::now_v7(),
        time: now,
        change,
    };
    let c = &event.change;
    entity::ActiveModel {
        sequence: Set(sequence),
        event_id: Set(event.id),
        create_time: Set(event.time.micros()),
        actor: Set(c.actor.clone()),
        method: Set(c.method.clone()),
        resource: Set(c.resource.clone()),
        resource_type: Set(c.resource_type.clone()),
        kind: Set(c.kind.clone()),
        changed_fields: Set(super::to_json(&c.changed_fields)?),
        etag: Set(c.etag.clone()),
        snapshot: Set(String::new()),
        payload: Set(Some(c.snapshot.clone())),
    }
    .insert(tx.conn())
    .await
    .map_err(db_error)?;
    Ok(event)
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only events after this sequence (before it, when descending).
    pub after: Option<i64>,
    /// Only events at or below this sequence.
    pub through: Option<i64>,
    pub filter: Option<Filter>,
    pub resource_types: Vec<String>,
    pub kinds: Vec<String>,
    pub descending: bool,
    pub limit: u64,
}

pub async fn read(tx: &Tx, query: &EventQuery) -> Result<Vec<Event>, Error> {
    let mut select = Entity::find();
    if let Some(after) = query.after {
        select = select.filter(if query.descending {
            Column::Sequence.lt(after)
        } else {
            Column::Sequence.gt(after)
        });
    }
    if let Some(through) = query.through {
        select = select.filter(Column::Sequence.lte(through));
    }
    if let Some(tree) = &query.filter {
        select = select.filter(filter::condition_on(tree, column_of)?);
    }
    if !query.resource_types.is_empty() {
        select = select.filter(Column::ResourceType.is_in(query.resource_types.clone()));
    }
    if !query.kinds.is_empty() {
        select = select.filter(Column::Kind.is_in(query.kinds.clone()));
    }
    let order = if query.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    select
        .order_by(Column::Sequence, order)
        .limit(query.limit)
        .all(tx.conn())
        .await
        .map_err(db_error)?
        .into_iter()
        .map(from_row)
        .collect()
}

fn column_of(field: &str) -> Option<Column> {
    Some(match field {
        "sequence" => Column::Sequence,
        "resource" => Column::Resource,
        "resource_type" => Column::ResourceType,
        "kind" => Column::Kind,
        "actor" => Column::Actor,
        "method" => Column::Method,
        "create_time" => Column::CreateTime,
        _ => return None,
    })
}

fn from_row(row: entity::Model) -> Result<Event, Error> {
    Ok(Event {
        sequence: row.sequence,
        id: row.event_id,
        time: Timestamp(row.create_time),
        change: Change {
            actor: row.actor,
            method: row.method,
            resource: row.resource,
            resource_type: row.resource_type,
            kind: row.kind,
            changed_fields: super::from_json(&row.changed_fields)?,
            etag: row.etag,
            // Legacy rows are upgraded before the server serves.
            snapshot: row
                .payload
                .ok_or_else(|| Error::internal(format!("event {} has no payload", row.sequence)))?,
        },
    })
}

/// Events of `resource_type` still holding only their serde snapshot:
/// (sequence, JSON), oldest first.
pub async fn legacy_snapshots(
    tx: &Tx,
    resource_type: &str,
    limit: u64,
) -> Result<Vec<(i64, String)>, Error> {
    Ok(Entity::find()
        .filter(Column::Payload.is_null())
        .filter(Column::ResourceType.eq(resource_type))
        .order_by(Column::Sequence, Order::Asc)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|row| (row.sequence, row.snapshot))
        .collect())
}

/// Stores the wire form of a legacy event and drops its serde form.
pub async fn set_payload(tx: &Tx, sequence: i64, payload: &[u8]) -> Result<(), Error> {
    Entity::update_many()
        .col_expr(Column::Payload, Expr::val(payload.to_vec()))
        .col_expr(Column::Snapshot, Expr::val(""))
        .filter(Column::Sequence.eq(sequence))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The newest event created before `cutoff`, if any.
pub async fn newest_before(tx: &Tx, cutoff: Timestamp) -> Result<Option<i64>, Error> {
    Entity::find()
        .select_only()
        .column(Column::Sequence)
        .filter(Column::CreateTime.lt(cutoff.micros()))
        .order_by(Column::Sequence, Order::Desc)
        .limit(1)
        .into_tuple::<i64>()
        .one(tx.conn())
        .await
        .map_err(db_error)
}

/// Removes at most `chunk` of the oldest events up to `through`, always a
/// prefix of the log, and records how far retention reached. Returns how
/// many were removed.
pub async fn purge_through(tx: &Tx, through: i64, chunk: u64) -> Result<u64, Error> {
    let upto = Entity::find()
        .select_only()
        .column(Column::Sequence)
        .filter(Column::Sequence.lte(through))
        .order_by(Column::Sequence, Order::Asc)
        .offset(chunk.saturating_sub(1))
        .limit(1)
        .into_tuple::<i64>()
        .one(tx.conn())
        .await
        .map_err(db_error)?
        .unwrap_or(through);
    let removed = Entity::delete_many()
        .filter(Column::Sequence.lte(upto))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    let purged = Ord::max(counter_value(tx, PURGED_THROUGH).await?, upto);
    set_counter(tx, PURGED_THROUGH, purged).await?;
    Ok(removed.rows_affected)
}

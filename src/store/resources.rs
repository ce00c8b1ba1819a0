//! The standard storage operations, written once for every resource: insert,
//! find, replace under a version check, and keyset-paginated filtered lists.
//! A resource plugs in by implementing [`Table`].

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{Tx, db_error, filter, keys, keyset, labels};
use crate::domain::ClosedEnum;
use crate::domain::listing::{ListQuery, Page};
use crate::domain::resource::{Meta, Name, Reference, Resource, ResourceBody, Timestamp};
use crate::error::Error;

pub type Col<T> = <<T as Table>::Entity as EntityTrait>::Column;
pub type Row<T> = <<T as Table>::Entity as EntityTrait>::Model;
pub type ActiveRow<T> = <<T as Table>::Entity as EntityTrait>::ActiveModel;

/// How a resource body maps onto its table. Every resource table has the
/// bookkeeping columns `id`, `create_time`, `update_time`, `delete_time` and
/// `version`; a nested one also the parent's id.
pub trait Table: ResourceBody {
    type Entity: EntityTrait + Default;
    const ID: Col<Self>;
    const DELETE_TIME: Col<Self>;
    const VERSION: Col<Self>;
    /// In a nested collection: the column holding the parent's id, and the
    /// parent's table (whose `id` and `delete_time` the child checks).
    const PARENT: Option<(Col<Self>, &'static str)> = None;
    /// Whether a new child locks its parent's row for update (PostgreSQL)
    /// rather than for share: a child whose creation then changes the
    /// parent too (a purchase moves its customer's lifecycle stage), so
    /// concurrent children queue instead of deadlocking on the upgrade.
    const PARENT_FOR_UPDATE: bool = false;

    /// The column behind a filterable or orderable field path.
    fn column(field: &str) -> Option<Col<Self>>;
    /// The columns an orderable field sorts by, most significant first: its
    /// column, unless the value is kept in several (an amount as units then
    /// nanos).
    fn sort_columns(field: &str) -> Vec<Col<Self>> {
        Self::column(field).into_iter().collect()
    }
    /// The case-folded copy (`domain::text::fold`) of a text field's column,
    /// which `:` and prefix filters search. Every text filter field of a
    /// resource has one.
    fn folded(field: &str) -> Option<Col<Self>>;
    /// The (field, key) pairs of `resource` in the key index, for its
    /// `FieldType::Key` filter fields.
    fn keys(_resource: &Resource<Self>) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    fn to_row(resource: &Resource<Self>) -> Result<ActiveRow<Self>, Error>;
    fn from_row(row: Row<Self>) -> Result<Resource<Self>, Error>;

    /// Writes the side records of a change (`ResourceBody::Side`) in its
    /// transaction, by `actor` at `now`. A resource without side records
    /// never has any to write.
    fn write_side<'a>(
        _tx: &'a Tx,
        _actor: &'a str,
        _resource: &'a Resource<Self>,
        side: Vec<Self::Side>,
        _now: Timestamp,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        async move {
            if side.is_empty() {
                Ok(())
            } else {
                Err(Error::internal(
                    "side records for a resource without a side table",
                ))
            }
        }
    }
}

/// Writes the side records of a change in its transaction.
pub async fn write_side<T: Table>(
    tx: &Tx,
    actor: &str,
    resource: &Resource<T>,
    side: Vec<T::Side>,
    now: Timestamp,
) -> Result<(), Error> {
    T::write_side(tx, actor, resource, side, now).await
}

pub async fn insert<T: Table>(tx: &Tx, resource: &Resource<T>) -> Result<(), Error> {
    T::Entity::insert(T::to_row(resource)?)
        .exec_without_returning(tx.conn())
        .await
        .map_err(db_error)?;
    labels::replace(tx, resource.id, resource.body.labels()).await?;
    keys::replace(tx, resource.id, &T::keys(resource)).await
}

/// Reads a resource, if it exists.
pub async fn find<T: Table>(tx: &Tx, id: Uuid) -> Result<Option<Resource<T>>, Error> {
    T::Entity::find()
        .filter(T::ID.eq(id))
        .one(tx.conn())
        .await
        .map_err(db_error)?
        .map(T::from_row)
        .transpose()
}

/// Reads a resource; a missing one is NOT_FOUND.
pub async fn get<T: Table>(tx: &Tx, id: Uuid) -> Result<Resource<T>, Error> {
    read_one(tx, id, false).await
}

/// Reads a resource about to be changed and locks its row until the
/// transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's IMMEDIATE
/// transaction already holds the write lock). A concurrent change then waits
/// instead of making this one fail its version check.
pub async fn get_for_update<T: Table>(tx: &Tx, id: Uuid) -> Result<Resource<T>, Error> {
    read_one(tx, id, true).await
}

async fn read_one<T: Table>(tx: &Tx, id: Uuid, lock: bool) -> Result<Resource<T>, Error> {
    let mut select = T::Entity::find().filter(T::ID.eq(id));
    if lock {
        select = select.lock_exclusive();
    }
    select
        .one(tx.conn())
        .await
        .map_err(db_error)?
        .map(T::from_row)
        .transpose()?
        .ok_or_else(|| not_found::<T>(id))
}

fn not_found<T: Table>(id: Uuid) -> Error {
    // The parent is not known here; the id alone names the missing row.
    Error::NotFound {
        resource: format!("{}/{id}", T::COLLECTION.plural),
    }
}

/// Checks, inside a child's write transaction, that its parent exists and is
/// not deleted, and locks the parent's row (`FOR SHARE` on PostgreSQL) so a
/// concurrent delete of the parent waits until the child has committed.
pub async fn require_live_parent<T: Table>(tx: &Tx, parent_id: Uuid) -> Result<(), Error> {
    let Some((_, parent_table)) = T::PARENT else {
        return Err(Error::internal("a parent check on a top-level collection"));
    };
    let parent_name = T::COLLECTION.parent_name(parent_id);
    match liveness(tx, parent_table, parent_id, T::PARENT_FOR_UPDATE).await? {
        Liveness::Live => Ok(()),
        Liveness::Missing => Err(Error::NotFound {
            resource: parent_name,
        }),
        Liveness::Deleted => Err(Error::FailedPrecondition {
            reason: "PARENT_DELETED",
            description: format!("{parent_name} is deleted; undelete it first"),
            subject: parent_name,
        }),
    }
}

/// Checks, inside a write transaction, that each resource `body` points at
/// exists and is live, locking each row as [`require_live_parent`] does. A
/// pointer to nothing is INVALID_ARGUMENT on its field (under `singular`);
/// one to a deleted resource is FAILED_PRECONDITION. A referenced
/// collection's table is named by its plural, as every resource table is.
pub async fn require_live_references(
    tx: &Tx,
    singular: &str,
    references: &[Reference],
) -> Result<(), Error> {
    for reference in references {
        let name = reference.collection.name_of(Name {
            parent: None,
            id: reference.id,
        });
        match liveness(tx, reference.collection.plural, reference.id, false).await? {
            Liveness::Live => {}
            Liveness::Missing => {
                return Err(Error::invalid(
                    format!("{singular}.{}", reference.field),
                    format!("{name} does not exist"),
                ));
            }
            Liveness::Deleted => {
                return Err(Error::FailedPrecondition {
                    reason: "REFERENCE_DELETED",
                    description: format!(
                        "{singular}.{} names {name}, which is deleted",
                        reference.field
                    ),
                    subject: name,
                });
            }
        }
    }
    Ok(())
}

enum Liveness {
    Live,
    Deleted,
    Missing,
}

/// Whether the row `id` of a resource table exists and is not deleted; the
/// row is share-locked on PostgreSQL until the transaction ends.
async fn liveness(tx: &Tx, table: &str, id: Uuid, for_update: bool) -> Result<Liveness, Error> {
    let mut select = Query::select();
    select
        .column(Alias::new("delete_time"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).eq(id));
    if tx.conn().get_database_backend() == DbBackend::Postgres {
        if for_update {
            select.lock_exclusive();
        } else {
            select.lock_shared();
        }
    }
    let Some(row) = tx.conn().query_one(&select).await.map_err(db_error)? else {
        return Ok(Liveness::Missing);
    };
    let delete_time: Option<i64> = row.try_get("", "delete_time").map_err(db_error)?;
    Ok(match delete_time {
        Some(_) => Liveness::Deleted,
        None => Liveness::Live,
    })
}

/// Writes `resource` over the stored row if that row is still at
/// `expected_version`; otherwise a concurrent change won and this is ABORTED.
pub async fn replace<T: Table>(
    tx: &Tx,
    resource: &Resource<T>,
    expected_version: i64,
) -> Result<(), Error> {
    let result = T::Entity::update_many()
        .set(T::to_row(resource)?)
        .filter(T::ID.eq(resource.id))
        .filter(T::VERSION.eq(expected_version))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    if result.rows_affected != 1 {
        return Err(Error::Aborted {
            resource: resource.resource_name(),
        });
    }
    labels::replace(tx, resource.id, resource.body.labels()).await?;
    keys::replace(tx, resource.id, &T::keys(resource)).await
}

/// One page of a filtered, ordered list. Reads one row beyond the page to
/// know whether another page follows without a second query.
pub async fn list<T: Table>(tx: &Tx, query: &ListQuery) -> Result<Page<Resource<T>>, Error> {
    let mut order_columns = Vec::new();
    for field in &query.order.fields {
        let columns = T::sort_columns(field);
        if columns.is_empty() {
            return Err(Error::internal(format!("no column for {field}")));
        }
        order_columns.extend(columns);
    }
    let mut select = T::Entity::find();
    if let (Some(parent), Some((column, _))) = (query.parent, T::PARENT) {
        select = select.filter(column.eq(parent));
    }
    if !query.show_deleted {
        select = select.filter(T::DELETE_TIME.is_null());
    }
    if let Some(tree) = &query.filter {
        select = select.filter(filter::condition::<T>(tree)?);
    }
    if let Some(cursor) = &query.after {
        select = select.filter(keyset::after(
            &order_columns,
            T::ID,
            cursor,
            query.order.descending,
        )?);
    }
    let select = keyset::order(select, &order_columns, T::ID, query.order.descending);
    let rows = select
        .limit(query.page_size + 1)
        .all(tx.conn())
        .await
        .map_err(db_error)?;

    let more = rows.len() as u64 > query.page_size;
    let mut items = Vec::with_capacity(rows.len());
    let mut next = None;
    for (i, row) in rows.into_iter().enumerate() {
        if i as u64 == query.page_size {
            break;
        }
        if more && i as u64 + 1 == query.page_size {
            next = Some(keyset::cursor_of(&row, &order_columns, T::ID)?);
        }
        items.push(T::from_row(row)?);
    }
    Ok(Page { items, next })
}

/// The bookkeeping columns every resource table has, as a [`Meta`].
pub fn meta_of(create_time: i64, update_time: i64, delete_time: Option<i64>, version: i64) -> Meta {
    Meta {
        create_time: Timestamp(create_time),
        update_time: Timestamp(update_time),
        delete_time: delete_time.map(Timestamp),
        version,
    }
}

/// The stored code of an optional closed value: 0 when absent, so the column
/// is never NULL and sorts and compares like any other.
pub fn code_of<E: ClosedEnum>(value: Option<E>) -> i32 {
    value.map_or(0, ClosedEnum::code)
}

/// The value behind a stored code; 0 is absent.
pub fn from_code<E: ClosedEnum>(code: i32) -> Result<Option<E>, Error> {
    match code {
        0 => Ok(None),
        _ => E::from_code(code)
            .map(Some)
            .ok_or_else(|| Error::internal(format!("stored code {code} is unknown"))),
    }
}

/// Like [`from_code`] for a value that must be present.
pub fn required_code<E: ClosedEnum>(code: i32) -> Result<E, Error> {
    from_code(code)?.ok_or_else(|| Error::internal("a required stored code is 0"))
}

/// The JSON text of a stored value. A value that cannot be serialized is a
/// bug, reported as such rather than stored as nothing.
pub fn to_json<V: serde::Serialize>(value: &V) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|err| Error::internal(format!("to JSON: {err}")))
}

pub fn from_json<V: serde::de::DeserializeOwned>(text: &str) -> Result<V, Error> {
    serde_json::from_str(text).map_err(|err| Error::internal(format!("stored JSON: {err}")))
}

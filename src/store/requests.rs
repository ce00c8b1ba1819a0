//! Idempotency records: the first result of each request id, per caller,
//! kept so a retry returns it and changes nothing. Written in the
//! transaction of the change.

use sea_orm::entity::prelude::*;
use sea_orm::{Condition, QueryFilter, QueryOrder, QuerySelect, Set};

use super::{Tx, db_error, is_unique_violation};
use crate::domain::resource::Timestamp;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub actor: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: Uuid,
    pub method: String,
    pub fingerprint: String,
    #[sea_orm(column_type = "Text")]
    pub response: String,
    pub create_time: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The first answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The caller that chose the id: ids of different callers never meet.
    pub actor: String,
    pub request_id: Uuid,
    /// The full gRPC method name the id was first used with.
    pub method: String,
    /// A digest of the method, resource name and command, to refuse an id
    /// reused for another request.
    pub fingerprint: String,
    /// The result, serialized.
    pub response: String,
    pub create_time: Timestamp,
}

impl RequestRecord {
    pub async fn find(tx: &Tx, actor: &str, request_id: Uuid) -> Result<Option<Self>, Error> {
        Ok(Entity::find_by_id((actor.to_owned(), request_id))
            .one(tx.conn())
            .await
            .map_err(db_error)?
            .map(|row| RequestRecord {
                actor: row.actor,
                request_id: row.request_id,
                method: row.method,
                fingerprint: row.fingerprint,
                response: row.response,
                create_time: Timestamp(row.create_time),
            }))
    }

    /// Saves the record. A concurrent request with the same id that committed
    /// first makes this ABORTED: the caller's retry will find its result.
    pub async fn insert(&self, tx: &Tx) -> Result<(), Error> {
        let row = ActiveModel {
            actor: Set(self.actor.clone()),
            request_id: Set(self.request_id),
            method: Set(self.method.clone()),
            fingerprint: Set(self.fingerprint.clone()),
            response: Set(self.response.clone()),
            create_time: Set(self.create_time.micros()),
        };
        match Entity::insert(row).exec_without_returning(tx.conn()).await {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Err(Error::Aborted {
                resource: format!("request {}", self.request_id),
            }),
            Err(err) => Err(db_error(err)),
        }
    }

    /// Forgets at most about `chunk` of the oldest records created before
    /// `cutoff` (records of the same microsecond go together); returns how
    /// many.
    pub async fn purge_before(tx: &Tx, cutoff: Timestamp, chunk: u64) -> Result<u64, Error> {
        let expired = Column::CreateTime.lt(cutoff.micros());
        let last = Entity::find()
            .select_only()
            .column(Column::CreateTime)
            .filter(expired.clone())
            .order_by_asc(Column::CreateTime)
            .offset(chunk.saturating_sub(1))
            .limit(1)
            .into_tuple::<i64>()
            .one(tx.conn())
            .await
            .map_err(db_error)?;
        let mut condition = Condition::all().add(expired);
        if let Some(last) = last {
            condition = condition.add(Column::CreateTime.lte(last));
        }
        let result = Entity::delete_many()
            .filter(condition)
            .exec(tx.conn())
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected)
    }
}

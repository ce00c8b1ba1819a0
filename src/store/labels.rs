//! The label index: one row per (resource, key) so `labels.key = "v"` filters
//! are portable EXISTS subqueries on both engines. The resource row keeps
//! its own copy of the labels for reading; both are written in one transaction.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ExprTrait, Query, SelectStatement};
use sea_orm::{DynIden, Set};

use super::{Tx, db_error};
use crate::domain::resource::Labels;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_labels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub async fn replace(tx: &Tx, resource_id: Uuid, labels: &Labels) -> Result<(), Error> {
    Entity::delete_many()
        .filter(Column::ResourceId.eq(resource_id))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    let rows: Vec<ActiveModel> = labels
        .iter()
        .map(|(key, value)| ActiveModel {
            resource_id: Set(resource_id),
            key: Set(key.clone()),
            value: Set(value.clone()),
        })
        .collect();
    if !rows.is_empty() {
        Entity::insert_many(rows)
            .exec_without_returning(tx.conn())
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// `SELECT 1 FROM resource_labels WHERE resource_id = {table}.{id} AND key = ?
/// [AND value = ?]`, for use inside EXISTS.
pub fn matching(table: DynIden, id: DynIden, key: &str, value: Option<&str>) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr(Expr::val(1))
        .from(Entity)
        .and_where(Expr::col((Entity, Column::ResourceId)).equals((table, id)))
        .and_where(Expr::col((Entity, Column::Key)).eq(key));
    if let Some(value) = value {
        select.and_where(Expr::col((Entity, Column::Value)).eq(value));
    }
    select
}

//! The key index: one row per (resource, field, key) for fields found by
//! exact value through something the resource holds many of (a customer's
//! contact points: `contact_points.value = "+8613800000000"`). Keys are in
//! lookup form, computed by the domain; written with the resource in one
//! transaction, like the label index.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{ExprTrait, Query, SelectStatement};
use sea_orm::{DynIden, Set};

use super::{Tx, db_error};
use crate::error::Error;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "resource_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub resource_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub field: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Replaces every key of `resource_id` with `keys` (field, key); duplicates
/// are written once.
pub async fn replace(
    tx: &Tx,
    resource_id: Uuid,
    keys: &[(&'static str, String)],
) -> Result<(), Error> {
    Entity::delete_many()
        .filter(Column::ResourceId.eq(resource_id))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    let mut unique: Vec<&(&str, String)> = keys.iter().collect();
    unique.sort();
    unique.dedup();
    let rows: Vec<ActiveModel> = unique
        .into_iter()
        .map(|(field, key)| ActiveModel {
            resource_id: Set(resource_id),
            field: Set((*field).to_owned()),
            key: Set(key.clone()),
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

/// `SELECT 1 FROM resource_keys WHERE resource_id = {table}.{id} AND field = ?
/// AND key = ?`, for use inside EXISTS.
pub fn matching(table: DynIden, id: DynIden, field: &str, key: &str) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr(Expr::val(1))
        .from(Entity)
        .and_where(Expr::col((Entity, Column::ResourceId)).equals((table, id)))
        .and_where(Expr::col((Entity, Column::Field)).eq(field))
        .and_where(Expr::col((Entity, Column::Key)).eq(key));
    select
}

//! Leases for singleton work: one row per kind of work, naming the copy of
//! the service that holds it and until when. A holder renews before expiry;
//! when it dies, another copy takes the row once it has expired. The same
//! rows serve SQLite (one process holds the file anyway) and PostgreSQL.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{QueryFilter, Set};

use super::{Tx, db_error};
use crate::domain::resource::Timestamp;
use crate::error::Error;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub holder: String,
        pub expire_time: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// Takes or renews the lease `name` for `holder` until `until`: succeeds when
/// the lease is free, expired at `now`, or already held by `holder`.
pub async fn acquire(
    tx: &Tx,
    name: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<bool, Error> {
    let row = entity::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expire_time: Set(until.micros()),
    };
    let mut on_conflict = OnConflict::column(Column::Name);
    on_conflict
        .update_columns([Column::Holder, Column::ExpireTime])
        .action_and_where(
            Expr::col((Entity, Column::Holder))
                .eq(holder)
                .or(Expr::col((Entity, Column::ExpireTime)).lt(now.micros())),
        );
    let written = Entity::insert(row)
        .on_conflict(on_conflict.to_owned())
        .exec_without_returning(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(written == 1)
}

/// Gives the lease up, if `holder` still has it.
pub async fn release(tx: &Tx, name: &str, holder: &str) -> Result<(), Error> {
    Entity::delete_many()
        .filter(Column::Name.eq(name))
        .filter(Column::Holder.eq(holder))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(())
}

//! The server's own secrets, kept in the database so every replica and every
//! restart signs page tokens with the same key.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use super::{Store, db_error};
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "server_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const PAGE_TOKEN_KEY: &str = "page_token_key";

/// The page-token signing key, created at random on first use. Concurrent
/// first starts agree: the insert that loses the race is ignored.
pub async fn page_token_key(store: &Store) -> Result<Vec<u8>, Error> {
    let fresh = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    Entity::insert(ActiveModel {
        name: Set(PAGE_TOKEN_KEY.to_owned()),
        value: Set(fresh),
    })
    .on_conflict(OnConflict::column(Column::Name).do_nothing().to_owned())
    .try_insert()
    .exec(&store.db)
    .await
    .map_err(db_error)?;
    let row = Entity::find_by_id(PAGE_TOKEN_KEY.to_owned())
        .one(&store.db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::internal("page token key missing after insert"))?;
    Ok(row.value.into_bytes())
}

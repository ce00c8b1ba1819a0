//! Migrations that make text findable: folded copies of searchable
//! columns and the key index, each with the backfill of existing rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// A case-folded copy of every text column that `:` and prefix filters
/// search, written with the row by the same fold as the filter's pattern
/// (`domain::text::fold`), since neither engine's `lower()` folds beyond
/// ASCII under byte-order collation. Rows written before are backfilled here.
pub(super) struct FoldedText;

impl MigrationName for FoldedText {
    fn name(&self) -> &str {
        "m20261203_000006_folded_text"
    }
}

/// The customers' and channels' searchable columns: those of migration 3.
const FOLDED_TEXT: &[(&str, &[&str])] = FILTERABLE_TEXT.split_at(2).0;

/// Rows backfilled per read.
const BACKFILL_BATCH: u64 = 500;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for FoldedText {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in FOLDED_TEXT {
            // SQLite adds one column per ALTER TABLE.
            for column in *columns {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(*table))
                            .add_column(text(Alias::new(format!("{column}_folded"))).default(""))
                            .to_owned(),
                    )
                    .await?;
            }
            let backend = manager.get_database_backend();
            for_each_row(manager, table, columns, |row| {
                let id: uuid::Uuid = row.try_get("", "id")?;
                let mut update = Query::update();
                update
                    .table(Alias::new(*table))
                    .and_where(Expr::col(Alias::new("id")).eq(id));
                for column in *columns {
                    let value: String = row.try_get("", column)?;
                    update.value(
                        Alias::new(format!("{column}_folded")),
                        crate::domain::text::fold(&value),
                    );
                }
                Ok(Some(backend.build(&update)))
            })
            .await?;
        }
        Ok(())
    }
}

/// The key index (`store::keys`): contact points found by their number or
/// address in lookup form. Customers written before are indexed here.
pub(super) struct KeyIndex;

impl MigrationName for KeyIndex {
    fn name(&self) -> &str {
        "m20261203_000009_key_index"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ResourceKeys {
    Table,
    ResourceId,
    Field,
    Key,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for KeyIndex {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ResourceKeys as K;
        manager
            .create_table(
                Table::create()
                    .table(K::Table)
                    .col(uuid(K::ResourceId))
                    .col(text(K::Field))
                    .col(text(K::Key))
                    .primary_key(Index::create().col(K::ResourceId).col(K::Field).col(K::Key))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("resource_keys_by_key")
                    .table(K::Table)
                    .col(K::Field)
                    .col(K::Key)
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        let columns = &["country", "contact_points"];
        for_each_row(manager, "customers", columns, |row| {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let country: String = row.try_get("", "country")?;
            let points: String = row.try_get("", "contact_points")?;
            let points: Vec<crate::domain::customer::ContactPoint> = serde_json::from_str(&points)
                .map_err(|e| DbErr::Custom(format!("contact points of {id}: {e}")))?;
            let mut keys: Vec<String> = points
                .iter()
                .flat_map(|p| p.lookup_keys(&country))
                .collect();
            keys.sort();
            keys.dedup();
            if keys.is_empty() {
                return Ok(None);
            }
            let mut insert = Query::insert();
            insert
                .into_table(K::Table)
                .columns([K::ResourceId, K::Field, K::Key]);
            for key in keys {
                insert
                    .values([id.into(), "contact_points.value".into(), key.into()])
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            Ok(Some(backend.build(&insert)))
        })
        .await?;
        Ok(())
    }
}

/// Backfills computed in Rust: reads `id` and `columns` of every row of
/// `table` in id order, [`BACKFILL_BATCH`] rows at a time, and runs the
/// statement `write` makes of each (if any).
pub(super) async fn for_each_row(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str],
    mut write: impl FnMut(&sea_orm::QueryResult) -> Result<Option<sea_orm::Statement>, DbErr> + Send,
) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    let db = manager.get_connection();
    let mut after: Option<uuid::Uuid> = None;
    loop {
        let mut select = Query::select();
        select
            .column(Alias::new("id"))
            .columns(columns.iter().map(|c| Alias::new(*c)))
            .from(Alias::new(table))
            .order_by(Alias::new("id"), Order::Asc)
            .limit(BACKFILL_BATCH);
        if let Some(after) = after {
            select.and_where(Expr::col(Alias::new("id")).gt(after));
        }
        let rows = db.query_all(&select).await?;
        for row in &rows {
            if let Some(statement) = write(row)? {
                db.execute_raw(statement).await?;
            }
            after = Some(row.try_get("", "id")?);
        }
        if (rows.len() as u64) < BACKFILL_BATCH {
            return Ok(());
        }
    }
}

//! The lifecycle stage becomes derived (DOMAIN.md section 5 "Lifecycle"):
//! the column of when each customer's stage next changes without a
//! purchase, with the partial index the daily pass finds due customers by,
//! and every existing customer's stage recomputed from its live sales
//! (whatever a caller typed in before). The backfill reckons quarters in
//! UTC, since a migration does not know the service's `--time-zone`, and
//! marks every customer with a sale due now: the first daily pass
//! recomputes them in the configured zone, recording any change as an
//! event. Customers without a sale are prospects with nothing due.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::domain::ClosedEnum;
use crate::domain::customer::LifecycleStage;
use crate::domain::customer::lifecycle::{self, PurchaseHistory};
use crate::domain::purchase::PurchaseKind;
use crate::domain::resource::Timestamp;

pub(super) struct CustomerLifecycle;

impl MigrationName for CustomerLifecycle {
    fn name(&self) -> &str {
        "m20261204_000015_customer_lifecycle"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    Id,
    LifecycleStage,
    LifecycleNextChangeTime,
}

#[derive(DeriveIden, Clone, Copy)]
enum Purchases {
    Table,
    CustomerId,
    PurchaseTime,
    Kind,
    DeleteTime,
}

/// Customers recomputed per read of their purchases.
const BATCH: u64 = 500;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for CustomerLifecycle {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(big_integer_null(Customers::LifecycleNextChangeTime))
                    .to_owned(),
            )
            .await?;
        // Both engines take a partial index in the same words.
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"CREATE INDEX "customers_by_lifecycle_next_change_time" ON "customers" ("lifecycle_next_change_time") WHERE "lifecycle_next_change_time" IS NOT NULL"#,
        )
        .await?;
        let now = Timestamp(chrono::Utc::now().timestamp_micros());
        let backend = manager.get_database_backend();
        let mut after: Option<uuid::Uuid> = None;
        loop {
            let ids = customer_ids_after(db, after).await?;
            for (id, times) in sale_times(db, &ids).await? {
                let history = PurchaseHistory::of(&times, chrono_tz::UTC);
                let stage = lifecycle::stage(&history, chrono_tz::UTC, now);
                let due = history.last_purchase.map(|_| now.micros());
                db.execute_raw(backend.build(&set_stage(id, stage, due)))
                    .await?;
            }
            after = ids.last().copied();
            if (ids.len() as u64) < BATCH {
                return Ok(());
            }
        }
    }
}

async fn customer_ids_after(
    db: &impl ConnectionTrait,
    after: Option<uuid::Uuid>,
) -> Result<Vec<uuid::Uuid>, DbErr> {
    let mut select = Query::select();
    select
        .column(Customers::Id)
        .from(Customers::Table)
        .order_by(Customers::Id, Order::Asc)
        .limit(BATCH);
    if let Some(after) = after {
        select.and_where(Expr::col(Customers::Id).gt(after));
    }
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| row.try_get("", "id"))
        .collect()
}

/// The live sale times of each of `ids`, every id present (a customer
/// without a sale has none).
async fn sale_times(
    db: &impl ConnectionTrait,
    ids: &[uuid::Uuid],
) -> Result<BTreeMap<uuid::Uuid, Vec<Timestamp>>, DbErr> {
    let mut times: BTreeMap<uuid::Uuid, Vec<Timestamp>> =
        ids.iter().map(|id| (*id, Vec::new())).collect();
    if ids.is_empty() {
        return Ok(times);
    }
    let mut select = Query::select();
    select
        .columns([Purchases::CustomerId, Purchases::PurchaseTime])
        .from(Purchases::Table)
        .and_where(Expr::col(Purchases::CustomerId).is_in(ids.iter().copied()))
        .and_where(Expr::col(Purchases::DeleteTime).is_null())
        .and_where(Expr::col(Purchases::Kind).eq(PurchaseKind::Sale.code()));
    for row in db.query_all(&select).await? {
        let customer: uuid::Uuid = row.try_get("", "customer_id")?;
        let time: i64 = row.try_get("", "purchase_time")?;
        times.entry(customer).or_default().push(Timestamp(time));
    }
    Ok(times)
}

fn set_stage(id: uuid::Uuid, stage: LifecycleStage, due: Option<i64>) -> UpdateStatement {
    Query::update()
        .table(Customers::Table)
        .values([
            (Customers::LifecycleStage, stage.code().into()),
            (Customers::LifecycleNextChangeTime, due.into()),
        ])
        .and_where(Expr::col(Customers::Id).eq(id))
        .to_owned()
}

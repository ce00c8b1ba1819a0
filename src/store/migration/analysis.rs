//! What each complaint contributes to the monthly analysis, as columns the
//! database groups and sums (`Complaint::analysis_facts`, written with every
//! change): the product and root cause to group by, a 0/1 flag per count,
//! and the times from receipt whose percentiles are reported. Existing
//! complaints are backfilled from their stored bodies.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::search::for_each_row;
use super::text_by_bytes;

pub(super) struct ComplaintAnalysis;

impl MigrationName for ComplaintAnalysis {
    fn name(&self) -> &str {
        "m20261204_000014_complaint_analysis"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ComplaintColumns {
    #[sea_orm(iden = "complaints")]
    Table,
    Id,
    ProductSku,
    RootCause,
    Triaged,
    Invalid,
    Resolved,
    Reopened,
    CalledBack,
    FirstCallbackReached,
    FirstCallbackSatisfied,
    FirstResponseReached,
    FirstResponseOnTime,
    ResolutionReached,
    ResolutionOnTime,
    CallbackReached,
    CallbackOnTime,
    FirstResponseWall,
    FirstResponseBusiness,
    ResolutionWall,
    ResolutionBusiness,
}

use ComplaintColumns as C;

/// The group keys and the 0/1 counts, all NOT NULL.
const COUNTED: [C; 15] = [
    C::RootCause,
    C::Triaged,
    C::Invalid,
    C::Resolved,
    C::Reopened,
    C::CalledBack,
    C::FirstCallbackReached,
    C::FirstCallbackSatisfied,
    C::FirstResponseReached,
    C::FirstResponseOnTime,
    C::ResolutionReached,
    C::ResolutionOnTime,
    C::CallbackReached,
    C::CallbackOnTime,
    C::ProductSku,
];

const TIMES: [C; 4] = [
    C::FirstResponseWall,
    C::FirstResponseBusiness,
    C::ResolutionWall,
    C::ResolutionBusiness,
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for ComplaintAnalysis {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in COUNTED {
            let mut def = match column {
                C::ProductSku => text(column).default("").to_owned(),
                _ => integer(column).default(0).to_owned(),
            };
            manager
                .alter_table(
                    Table::alter()
                        .table(C::Table)
                        .add_column(&mut def)
                        .to_owned(),
                )
                .await?;
        }
        for column in TIMES {
            manager
                .alter_table(
                    Table::alter()
                        .table(C::Table)
                        .add_column(big_integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        text_by_bytes(manager, "complaints", &["product_sku"]).await?;
        let backend = manager.get_database_backend();
        for_each_row(manager, "complaints", &["body"], |row| {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let body: String = row.try_get("", "body")?;
            let c: crate::domain::complaint::Complaint = serde_json::from_str(&body)
                .map_err(|e| DbErr::Custom(format!("complaint {id}: {e}")))?;
            let f = c.analysis_facts();
            let flag = |b: bool| SimpleExpr::from(i32::from(b));
            let mut update = Query::update();
            update
                .table(C::Table)
                .values([
                    (C::ProductSku, c.product.sku.clone().into()),
                    (
                        C::RootCause,
                        c.root_cause
                            .as_ref()
                            .map_or(0, |r| crate::domain::ClosedEnum::code(r.category))
                            .into(),
                    ),
                    (C::Triaged, flag(f.triaged)),
                    (C::Invalid, flag(f.invalid)),
                    (C::Resolved, flag(f.resolved)),
                    (C::Reopened, flag(f.reopened)),
                    (C::CalledBack, flag(f.called_back)),
                    (
                        C::FirstCallbackReached,
                        flag(f.first_callback_satisfied.is_some()),
                    ),
                    (
                        C::FirstCallbackSatisfied,
                        flag(f.first_callback_satisfied == Some(true)),
                    ),
                    (C::FirstResponseReached, flag(f.first_response.counts())),
                    (
                        C::FirstResponseOnTime,
                        flag(f.first_response.counts_on_time()),
                    ),
                    (C::ResolutionReached, flag(f.resolution.counts())),
                    (C::ResolutionOnTime, flag(f.resolution.counts_on_time())),
                    (C::CallbackReached, flag(f.callback.counts())),
                    (C::CallbackOnTime, flag(f.callback.counts_on_time())),
                    (C::FirstResponseWall, f.first_response_wall.into()),
                    (C::FirstResponseBusiness, f.first_response_business.into()),
                    (C::ResolutionWall, f.resolution_wall.into()),
                    (C::ResolutionBusiness, f.resolution_business.into()),
                ])
                .and_where(Expr::col(C::Id).eq(id));
            Ok(Some(backend.build(&update)))
        })
        .await?;
        Ok(())
    }
}

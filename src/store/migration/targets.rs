//! Time targets on complaints: the columns lists filter and order by (the
//! warning level and each milestone's due time) and the next warning time
//! the warning sweep finds due work by, through a partial index holding only
//! the complaints that have one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

pub(super) struct ComplaintTargets;

impl MigrationName for ComplaintTargets {
    fn name(&self) -> &str {
        "m20261204_000012_complaint_targets"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ComplaintColumns {
    #[sea_orm(iden = "complaints")]
    Table,
    Id,
    WarningLevel,
    FirstResponseDueTime,
    ResolutionDueTime,
    CallbackDueTime,
    NextWarningTime,
}

/// `NO_WARNING`, which every complaint received before targets existed has.
const NO_WARNING: i32 = 1;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for ComplaintTargets {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ComplaintColumns as C;
        // One column per statement: SQLite adds one at a time.
        let columns = [
            integer(C::WarningLevel).default(NO_WARNING).to_owned(),
            big_integer_null(C::FirstResponseDueTime),
            big_integer_null(C::ResolutionDueTime),
            big_integer_null(C::CallbackDueTime),
            big_integer_null(C::NextWarningTime),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(C::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in [
            ("complaints_by_warning_level", C::WarningLevel),
            (
                "complaints_by_first_response_due_time",
                C::FirstResponseDueTime,
            ),
            ("complaints_by_resolution_due_time", C::ResolutionDueTime),
            ("complaints_by_callback_due_time", C::CallbackDueTime),
        ] {
            manager
                .create_index(keyset_index(C::Table, name, &[column], C::Id))
                .await?;
        }
        // Both engines take a partial index in the same words.
        manager
            .get_connection()
            .execute_unprepared(
                r#"CREATE INDEX "complaints_by_next_warning_time" ON "complaints" ("next_warning_time") WHERE "next_warning_time" IS NOT NULL"#,
            )
            .await?;
        Ok(())
    }
}

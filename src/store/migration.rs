//! Schema migrations, applied in order by `crm migrate` and before `crm serve`
//! reports SERVING. A shipped migration is never edited: add a new one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, blob_null, boolean, integer, pk_uuid, text, uuid,
};

mod analysis;
mod lifecycle;
mod resources;
mod search;
mod targets;

use resources::{Calendars, Complaints, NestedPurchases, ServiceLevelPolicies};
use search::{FoldedText, KeyIndex};

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(EventLog),
            Box::new(ByteOrderText),
            Box::new(MutationMachinery),
            Box::new(SingletonLeases),
            Box::new(FoldedText),
            Box::new(NestedPurchases),
            Box::new(Complaints),
            Box::new(KeyIndex),
            Box::new(Calendars),
            Box::new(ServiceLevelPolicies),
            Box::new(targets::ComplaintTargets),
            Box::new(analysis::ComplaintAnalysis),
            Box::new(lifecycle::CustomerLifecycle),
        ]
    }
}

/// Customers, channels, the label index, idempotency records, secrets.
struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m20261123_000001_initial"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    Id,
    DisplayName,
    Kind,
    Relationship,
    Tier,
    ValueGrade,
    LifecycleStage,
    AttitudeType,
    DoNotContact,
    Country,
    Province,
    City,
    SalesRegion,
    CitySize,
    AgeBand,
    Gender,
    IncomeBand,
    Occupation,
    Education,
    UsageRate,
    UserStatus,
    Loyalty,
    ProductAttitude,
    BenefitSought,
    ContactPoints,
    Labels,
    CreateTime,
    UpdateTime,
    DeleteTime,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum Channels {
    Table,
    Id,
    DisplayName,
    ChannelType,
    Kind,
    Availability,
    FirstResponseSeconds,
    OwningDepartment,
    AllowedTiers,
    Active,
    Labels,
    CreateTime,
    UpdateTime,
    DeleteTime,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum ResourceLabels {
    Table,
    ResourceId,
    Key,
    Value,
}

#[derive(DeriveIden, Clone, Copy)]
enum RequestRecords {
    Table,
    Actor,
    RequestId,
    Method,
    Fingerprint,
    Response,
    CreateTime,
}

#[derive(DeriveIden, Clone, Copy)]
enum ServerSecrets {
    Table,
    Name,
    Value,
}

/// Makes `columns` of `table` compare and sort by bytes on PostgreSQL
/// (`COLLATE "C"`), as SQLite's BINARY collation already does, so both
/// engines return the same pages in the same order. Nothing on SQLite.
async fn text_by_bytes(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let changes: Vec<String> = columns
        .iter()
        .map(|column| format!(r#"ALTER COLUMN "{column}" TYPE text COLLATE "C""#))
        .collect();
    let sql = format!(r#"ALTER TABLE "{table}" {}"#, changes.join(", "));
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}

/// An index over `columns` then the id: the shape keyset pagination reads.
fn keyset_index<T: Iden + Copy + 'static>(
    table: T,
    name: &str,
    columns: &[T],
    id: T,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.col(id).to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Customers as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(pk_uuid(C::Id))
                    .col(text(C::DisplayName))
                    .col(integer(C::Kind))
                    .col(integer(C::Relationship))
                    .col(integer(C::Tier))
                    .col(integer(C::ValueGrade))
                    .col(integer(C::LifecycleStage))
                    .col(integer(C::AttitudeType))
                    .col(boolean(C::DoNotContact))
                    .col(text(C::Country))
                    .col(text(C::Province))
                    .col(text(C::City))
                    .col(text(C::SalesRegion))
                    .col(integer(C::CitySize))
                    .col(text(C::AgeBand))
                    .col(integer(C::Gender))
                    .col(text(C::IncomeBand))
                    .col(text(C::Occupation))
                    .col(text(C::Education))
                    .col(integer(C::UsageRate))
                    .col(integer(C::UserStatus))
                    .col(integer(C::Loyalty))
                    .col(integer(C::ProductAttitude))
                    .col(integer(C::BenefitSought))
                    .col(text(C::ContactPoints))
                    .col(text(C::Labels))
                    .col(big_integer(C::CreateTime))
                    .col(big_integer(C::UpdateTime))
                    .col(big_integer_null(C::DeleteTime))
                    .col(big_integer(C::Version))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("customers_by_create_time", &[C::CreateTime][..]),
            ("customers_by_update_time", &[C::UpdateTime]),
            ("customers_by_display_name", &[C::DisplayName]),
            ("customers_by_tier", &[C::Tier]),
            ("customers_by_value_grade", &[C::ValueGrade]),
            ("customers_by_lifecycle_stage", &[C::LifecycleStage]),
            ("customers_by_country", &[C::Country]),
            ("customers_by_sales_region", &[C::SalesRegion]),
        ] {
            manager
                .create_index(keyset_index(C::Table, name, columns, C::Id))
                .await?;
        }

        use Channels as H;
        manager
            .create_table(
                Table::create()
                    .table(H::Table)
                    .col(pk_uuid(H::Id))
                    .col(text(H::DisplayName))
                    .col(integer(H::ChannelType))
                    .col(integer(H::Kind))
                    .col(text(H::Availability))
                    .col(big_integer(H::FirstResponseSeconds))
                    .col(text(H::OwningDepartment))
                    .col(text(H::AllowedTiers))
                    .col(boolean(H::Active))
                    .col(text(H::Labels))
                    .col(big_integer(H::CreateTime))
                    .col(big_integer(H::UpdateTime))
                    .col(big_integer_null(H::DeleteTime))
                    .col(big_integer(H::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(keyset_index(
                H::Table,
                "channels_by_create_time",
                &[H::CreateTime],
                H::Id,
            ))
            .await?;

        use ResourceLabels as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(uuid(L::ResourceId))
                    .col(text(L::Key))
                    .col(text(L::Value))
                    .primary_key(Index::create().col(L::ResourceId).col(L::Key))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("resource_labels_by_key_value")
                    .table(L::Table)
                    .col(L::Key)
                    .col(L::Value)
                    .to_owned(),
            )
            .await?;

        use RequestRecords as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(pk_uuid(R::RequestId))
                    .col(text(R::Method))
                    .col(text(R::Fingerprint))
                    .col(text(R::Response))
                    .col(big_integer(R::CreateTime))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("request_records_by_create_time")
                    .table(R::Table)
                    .col(R::CreateTime)
                    .to_owned(),
            )
            .await?;

        use ServerSecrets as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(text(S::Name).primary_key())
                    .col(text(S::Value))
                    .to_owned(),
            )
            .await
    }
}

/// The event log and the counters that number it and track its readers.
struct EventLog;

impl MigrationName for EventLog {
    fn name(&self) -> &str {
        "m20261123_000002_event_log"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Sequence,
    EventId,
    CreateTime,
    Actor,
    Method,
    Resource,
    ResourceType,
    Kind,
    ChangedFields,
    Etag,
    Snapshot,
    Payload,
}

#[derive(DeriveIden, Clone, Copy)]
enum Counters {
    Table,
    Name,
    Value,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for EventLog {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Events as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(big_integer(E::Sequence).primary_key())
                    .col(uuid(E::EventId).unique_key())
                    .col(big_integer(E::CreateTime))
                    .col(text(E::Actor))
                    .col(text(E::Method))
                    .col(text(E::Resource))
                    .col(text(E::ResourceType))
                    .col(text(E::Kind))
                    .col(text(E::ChangedFields))
                    .col(text(E::Etag))
                    .col(text(E::Snapshot))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("events_by_resource", E::Resource),
            ("events_by_create_time", E::CreateTime),
            ("events_by_actor", E::Actor),
        ] {
            manager
                .create_index(keyset_index(E::Table, name, &[column], E::Sequence))
                .await?;
        }

        use Counters as K;
        manager
            .create_table(
                Table::create()
                    .table(K::Table)
                    .col(text(K::Name).primary_key())
                    .col(big_integer(K::Value))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert.into_table(K::Table).columns([K::Name, K::Value]);
        for name in [
            "events.last_sequence",
            "events.purged_through",
            "relay.nats.relayed_through",
        ] {
            insert
                .values([name.into(), 0i64.into()])
                .map_err(|err| DbErr::Migration(err.to_string()))?;
        }
        manager.exec_stmt(insert).await
    }
}

/// Text that lists sort or compare by (`order_by display_name`,
/// `geography.city < "M"`) orders by bytes on PostgreSQL as it does on
/// SQLite, instead of by the database's locale: both engines return the same
/// pages in the same order.
struct ByteOrderText;

impl MigrationName for ByteOrderText {
    fn name(&self) -> &str {
        "m20261123_000003_byte_order_text"
    }
}

const FILTERABLE_TEXT: &[(&str, &[&str])] = &[
    (
        "customers",
        &[
            "display_name",
            "country",
            "province",
            "city",
            "sales_region",
            "age_band",
            "income_band",
            "occupation",
            "education",
        ],
    ),
    ("channels", &["display_name", "owning_department"]),
    (
        "events",
        &["resource", "resource_type", "kind", "actor", "method"],
    ),
    ("resource_labels", &["key", "value"]),
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for ByteOrderText {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite compares text by bytes already (BINARY collation).
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        for (table, columns) in FILTERABLE_TEXT {
            text_by_bytes(manager, table, columns).await?;
        }
        Ok(())
    }
}

/// Request ids are remembered per caller and for every mutation, so the
/// record is keyed by (actor, request_id); events carry the resource in its
/// wire form. Request ids recorded before this migration are forgotten
/// (they live 7 days at most); old events keep their serde snapshot until
/// the server re-encodes them at start.
struct MutationMachinery;

impl MigrationName for MutationMachinery {
    fn name(&self) -> &str {
        "m20261203_000004_mutation_machinery"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for MutationMachinery {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use RequestRecords as R;
        manager
            .drop_table(Table::drop().table(R::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(text(R::Actor))
                    .col(uuid(R::RequestId))
                    .col(text(R::Method))
                    .col(text(R::Fingerprint))
                    .col(text(R::Response))
                    .col(big_integer(R::CreateTime))
                    .primary_key(Index::create().col(R::Actor).col(R::RequestId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("request_records_by_time")
                    .table(R::Table)
                    .col(R::CreateTime)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Events::Table)
                    .add_column(blob_null(Events::Payload))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            // The caller's name is compared by bytes, like every other text.
            manager
                .get_connection()
                .execute_unprepared(
                    r#"ALTER TABLE "request_records" ALTER COLUMN "actor" TYPE text COLLATE "C""#,
                )
                .await?;
        }
        Ok(())
    }
}

/// Leases for work that must run on one copy of the service at a time.
struct SingletonLeases;

impl MigrationName for SingletonLeases {
    fn name(&self) -> &str {
        "m20261203_000005_leases"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Leases {
    Table,
    Name,
    Holder,
    ExpireTime,
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for SingletonLeases {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Leases as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(text(L::Name).primary_key())
                    .col(text(L::Holder))
                    .col(big_integer(L::ExpireTime))
                    .to_owned(),
            )
            .await
    }
}

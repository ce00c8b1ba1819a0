//! Schema migrations, applied in order by `crm migrate` and before `crm serve`
//! reports SERVING. A shipped migration is never edited: add a new one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, blob_null, boolean, integer, pk_uuid, text, uuid,
};

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
            let changes: Vec<String> = columns
                .iter()
                .map(|column| format!(r#"ALTER COLUMN "{column}" TYPE text COLLATE "C""#))
                .collect();
            let sql = format!(r#"ALTER TABLE "{table}" {}"#, changes.join(", "));
            manager.get_connection().execute_unprepared(&sql).await?;
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

/// A case-folded copy of every text column that `:` and prefix filters
/// search, written with the row by the same fold as the filter's pattern
/// (`domain::text::fold`), since neither engine's `lower()` folds beyond
/// ASCII under byte-order collation. Rows written before are backfilled here.
struct FoldedText;

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
struct KeyIndex;

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
async fn for_each_row(
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

/// Purchases, nested under customers: the customer's id is part of the row
/// and leads each keyset index, so a list within one customer reads one
/// index range; the `customers/-` list has its own indexes without it.
/// Amounts are exact integers (units and nanos), never REAL.
struct NestedPurchases;

impl MigrationName for NestedPurchases {
    fn name(&self) -> &str {
        "m20261203_000007_purchases"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Purchases {
    Table,
    Id,
    CustomerId,
    ProductSku,
    ProductName,
    Quantity,
    AmountCurrencyCode,
    AmountUnits,
    AmountNanos,
    PurchaseTime,
    Channel,
    Reason,
    Kind,
    Labels,
    CreateTime,
    UpdateTime,
    DeleteTime,
    Version,
    ProductSkuFolded,
    ProductNameFolded,
}

/// The purchases' text columns that filters compare: by bytes on
/// PostgreSQL, as migration 3 made every other one.
const PURCHASE_TEXT: &[&str] = &[
    "product_sku",
    "product_name",
    "amount_currency_code",
    "channel",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for NestedPurchases {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Purchases as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(pk_uuid(P::Id))
                    .col(uuid(P::CustomerId))
                    .col(text(P::ProductSku))
                    .col(text(P::ProductName))
                    .col(big_integer(P::Quantity))
                    .col(text(P::AmountCurrencyCode))
                    .col(big_integer(P::AmountUnits))
                    .col(integer(P::AmountNanos))
                    .col(big_integer(P::PurchaseTime))
                    .col(text(P::Channel))
                    .col(integer(P::Reason))
                    .col(integer(P::Kind))
                    .col(text(P::Labels))
                    .col(big_integer(P::CreateTime))
                    .col(big_integer(P::UpdateTime))
                    .col(big_integer_null(P::DeleteTime))
                    .col(big_integer(P::Version))
                    .col(text(P::ProductSkuFolded))
                    .col(text(P::ProductNameFolded))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "purchases_by_customer_purchase_time",
                &[P::CustomerId, P::PurchaseTime][..],
            ),
            (
                "purchases_by_customer_amount",
                &[P::CustomerId, P::AmountUnits, P::AmountNanos],
            ),
            (
                "purchases_by_customer_create_time",
                &[P::CustomerId, P::CreateTime],
            ),
            ("purchases_by_purchase_time", &[P::PurchaseTime]),
            ("purchases_by_amount", &[P::AmountUnits, P::AmountNanos]),
            ("purchases_by_create_time", &[P::CreateTime]),
        ] {
            manager
                .create_index(keyset_index(P::Table, name, columns, P::Id))
                .await?;
        }
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let changes: Vec<String> = PURCHASE_TEXT
                .iter()
                .map(|column| format!(r#"ALTER COLUMN "{column}" TYPE text COLLATE "C""#))
                .collect();
            let sql = format!(r#"ALTER TABLE "purchases" {}"#, changes.join(", "));
            use sea_orm::ConnectionTrait;
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}

/// Complaints and their steps. Steps are the complaint's permanent history:
/// no retention deletes them.
struct Complaints;

impl MigrationName for Complaints {
    fn name(&self) -> &str {
        "m20261203_000008_complaints"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ComplaintsTable {
    #[sea_orm(iden = "complaints")]
    Table,
    Id,
    Customer,
    IntakeChannel,
    ReceivedTime,
    State,
    Severity,
    Category,
    HandlingDepartment,
    Supplier,
    Validity,
    CustomerTier,
    CustomerRelationship,
    CustomerValueGrade,
    CustomerSalesRegion,
    CustomerCountry,
    Body,
    CreateTime,
    UpdateTime,
    DeleteTime,
    Version,
    CustomerFolded,
    IntakeChannelFolded,
    HandlingDepartmentFolded,
    SupplierFolded,
    CustomerSalesRegionFolded,
    CustomerCountryFolded,
}

#[derive(DeriveIden, Clone, Copy)]
enum ComplaintSteps {
    Table,
    Id,
    ComplaintId,
    Number,
    Kind,
    Actor,
    CreateTime,
    StateBefore,
    StateAfter,
    Note,
    Decision,
}

/// The complaints' text columns that lists filter on, and their folded
/// copies: byte order on PostgreSQL, as every other.
const COMPLAINT_TEXT: &[&str] = &[
    "customer",
    "intake_channel",
    "handling_department",
    "supplier",
    "customer_sales_region",
    "customer_country",
    "customer_folded",
    "intake_channel_folded",
    "handling_department_folded",
    "supplier_folded",
    "customer_sales_region_folded",
    "customer_country_folded",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Complaints {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ComplaintsTable as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(pk_uuid(C::Id))
                    .col(text(C::Customer))
                    .col(text(C::IntakeChannel))
                    .col(big_integer(C::ReceivedTime))
                    .col(integer(C::State))
                    .col(integer(C::Severity))
                    .col(integer(C::Category))
                    .col(text(C::HandlingDepartment))
                    .col(text(C::Supplier))
                    .col(integer(C::Validity))
                    .col(integer(C::CustomerTier))
                    .col(integer(C::CustomerRelationship))
                    .col(integer(C::CustomerValueGrade))
                    .col(text(C::CustomerSalesRegion))
                    .col(text(C::CustomerCountry))
                    .col(text(C::Body))
                    .col(big_integer(C::CreateTime))
                    .col(big_integer(C::UpdateTime))
                    .col(big_integer_null(C::DeleteTime))
                    .col(big_integer(C::Version))
                    .col(text(C::CustomerFolded))
                    .col(text(C::IntakeChannelFolded))
                    .col(text(C::HandlingDepartmentFolded))
                    .col(text(C::SupplierFolded))
                    .col(text(C::CustomerSalesRegionFolded))
                    .col(text(C::CustomerCountryFolded))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("complaints_by_received_time", &[C::ReceivedTime][..]),
            ("complaints_by_state", &[C::State]),
            ("complaints_by_severity", &[C::Severity]),
            ("complaints_by_category", &[C::Category]),
            ("complaints_by_customer_tier", &[C::CustomerTier]),
            ("complaints_by_create_time", &[C::CreateTime]),
            ("complaints_by_update_time", &[C::UpdateTime]),
            ("complaints_by_customer", &[C::Customer, C::State]),
        ] {
            manager
                .create_index(keyset_index(C::Table, name, columns, C::Id))
                .await?;
        }

        use ComplaintSteps as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(pk_uuid(S::Id))
                    .col(uuid(S::ComplaintId))
                    .col(big_integer(S::Number))
                    .col(integer(S::Kind))
                    .col(text(S::Actor))
                    .col(big_integer(S::CreateTime))
                    .col(integer(S::StateBefore))
                    .col(integer(S::StateAfter))
                    .col(text(S::Note))
                    .col(text(S::Decision))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("complaint_steps_by_number")
                    .table(S::Table)
                    .col(S::ComplaintId)
                    .col(S::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;

        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let changes: Vec<String> = COMPLAINT_TEXT
                .iter()
                .map(|column| format!(r#"ALTER COLUMN "{column}" TYPE text COLLATE "C""#))
                .collect();
            let sql = format!(r#"ALTER TABLE "complaints" {}"#, changes.join(", "));
            manager.get_connection().execute_unprepared(&sql).await?;
            manager
                .get_connection()
                .execute_unprepared(
                    r#"ALTER TABLE "complaint_steps" ALTER COLUMN "actor" TYPE text COLLATE "C""#,
                )
                .await?;
        }
        Ok(())
    }
}

/// Business calendars: display name and time zone as columns that lists
/// filter and order on; periods, holidays and extra working days as JSON.
struct Calendars;

impl MigrationName for Calendars {
    fn name(&self) -> &str {
        "m20261203_000010_calendars"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarsTable {
    #[sea_orm(iden = "calendars")]
    Table,
    Id,
    DisplayName,
    TimeZone,
    WeeklyPeriods,
    Holidays,
    ExtraWorkingDays,
    Labels,
    CreateTime,
    UpdateTime,
    DeleteTime,
    Version,
    DisplayNameFolded,
}

/// The calendars' text columns that lists filter on: by bytes on PostgreSQL.
const CALENDAR_TEXT: &[&str] = &["display_name", "time_zone", "display_name_folded"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Calendars {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CalendarsTable as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(pk_uuid(C::Id))
                    .col(text(C::DisplayName))
                    .col(text(C::TimeZone))
                    .col(text(C::WeeklyPeriods))
                    .col(text(C::Holidays))
                    .col(text(C::ExtraWorkingDays))
                    .col(text(C::Labels))
                    .col(big_integer(C::CreateTime))
                    .col(big_integer(C::UpdateTime))
                    .col(big_integer_null(C::DeleteTime))
                    .col(big_integer(C::Version))
                    .col(text(C::DisplayNameFolded))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("calendars_by_create_time", &[C::CreateTime][..]),
            ("calendars_by_update_time", &[C::UpdateTime]),
            ("calendars_by_display_name", &[C::DisplayName]),
        ] {
            manager
                .create_index(keyset_index(C::Table, name, columns, C::Id))
                .await?;
        }
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let changes: Vec<String> = CALENDAR_TEXT
                .iter()
                .map(|column| format!(r#"ALTER COLUMN "{column}" TYPE text COLLATE "C""#))
                .collect();
            let sql = format!(r#"ALTER TABLE "calendars" {}"#, changes.join(", "));
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}

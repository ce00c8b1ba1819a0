//! Migrations adding the tables of resources built on the machinery:
//! purchases, complaints and their steps, calendars, service-level policies.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::*;

/// Purchases, nested under customers: the customer's id is part of the row
/// and leads each keyset index, so a list within one customer reads one
/// index range; the `customers/-` list has its own indexes without it.
/// Amounts are exact integers (units and nanos), never REAL.
pub(super) struct NestedPurchases;

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
        text_by_bytes(manager, "purchases", PURCHASE_TEXT).await
    }
}

/// Complaints and their steps. Steps are the complaint's permanent history:
/// no retention deletes them.
pub(super) struct Complaints;

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

        text_by_bytes(manager, "complaints", COMPLAINT_TEXT).await?;
        text_by_bytes(manager, "complaint_steps", &["actor"]).await
    }
}

/// Business calendars: display name and time zone as columns that lists
/// filter and order on; periods, holidays and extra working days as JSON.
pub(super) struct Calendars;

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
        text_by_bytes(manager, "calendars", CALENDAR_TEXT).await
    }
}

/// Service-level policies: what lists filter and order on, and the targets
/// and thresholds, as columns; match conditions as JSON. Priority is unique
/// among live policies: a partial unique index backs the check writers make
/// in their transaction.
pub(super) struct ServiceLevelPolicies;

impl MigrationName for ServiceLevelPolicies {
    fn name(&self) -> &str {
        "m20261204_000011_service_level_policies"
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PoliciesTable {
    #[sea_orm(iden = "service_level_policies")]
    Table,
    Id,
    DisplayName,
    Description,
    Priority,
    Active,
    Severities,
    CustomerTiers,
    Categories,
    Channels,
    Calendar,
    FirstResponseTarget,
    ResolutionTarget,
    CallbackTarget,
    YellowPercent,
    OrangePercent,
    RedPercent,
    Labels,
    CreateTime,
    UpdateTime,
    DeleteTime,
    Version,
    DisplayNameFolded,
}

/// The policies' text columns that lists filter on: by bytes on PostgreSQL.
const POLICY_TEXT: &[&str] = &["display_name", "calendar", "display_name_folded"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for ServiceLevelPolicies {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use PoliciesTable as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(pk_uuid(P::Id))
                    .col(text(P::DisplayName))
                    .col(text(P::Description))
                    .col(integer(P::Priority))
                    .col(boolean(P::Active))
                    .col(text(P::Severities))
                    .col(text(P::CustomerTiers))
                    .col(text(P::Categories))
                    .col(text(P::Channels))
                    .col(text(P::Calendar))
                    .col(big_integer_null(P::FirstResponseTarget))
                    .col(big_integer_null(P::ResolutionTarget))
                    .col(big_integer_null(P::CallbackTarget))
                    .col(integer(P::YellowPercent))
                    .col(integer(P::OrangePercent))
                    .col(integer(P::RedPercent))
                    .col(text(P::Labels))
                    .col(big_integer(P::CreateTime))
                    .col(big_integer(P::UpdateTime))
                    .col(big_integer_null(P::DeleteTime))
                    .col(big_integer(P::Version))
                    .col(text(P::DisplayNameFolded))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("service_level_policies_by_priority", &[P::Priority][..]),
            ("service_level_policies_by_display_name", &[P::DisplayName]),
            ("service_level_policies_by_create_time", &[P::CreateTime]),
            ("service_level_policies_by_update_time", &[P::UpdateTime]),
        ] {
            manager
                .create_index(keyset_index(P::Table, name, columns, P::Id))
                .await?;
        }
        // The same statement on both engines; a deleted policy keeps its
        // priority, so only live rows must differ.
        manager
            .get_connection()
            .execute_unprepared(
                r#"CREATE UNIQUE INDEX "service_level_policies_live_priority" ON "service_level_policies" ("priority") WHERE "delete_time" IS NULL"#,
            )
            .await?;
        text_by_bytes(manager, "service_level_policies", POLICY_TEXT).await
    }
}

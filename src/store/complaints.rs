//! The `complaints` table (one column per filterable or orderable field,
//! the whole complaint as JSON) and `complaint_steps`, the history written
//! beside each change and never updated or deleted: event retention does
//! not reach it.

use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect, Set};

use super::resources::{Table, code_of, from_json, meta_of, required_code, to_json};
use super::{Tx, db_error};
use crate::domain::ClosedEnum;
use crate::domain::complaint::steps::{Step, StepDraft};
use crate::domain::complaint::{self, Complaint, State};
use crate::domain::listing::{Cursor, KeyValue, Page};
use crate::domain::resource::{Name, Resource, Timestamp};
use crate::domain::text::fold;
use crate::domain::{channel, customer};
use crate::error::Error;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub customer: String,
        pub intake_channel: String,
        pub received_time: i64,
        pub state: i32,
        pub severity: i32,
        pub category: i32,
        pub handling_department: String,
        pub supplier: String,
        pub validity: i32,
        pub customer_tier: i32,
        pub customer_relationship: i32,
        pub customer_value_grade: i32,
        pub customer_sales_region: String,
        pub customer_country: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub create_time: i64,
        pub update_time: i64,
        pub delete_time: Option<i64>,
        pub version: i64,
        pub customer_folded: String,
        pub intake_channel_folded: String,
        pub handling_department_folded: String,
        pub supplier_folded: String,
        pub customer_sales_region_folded: String,
        pub customer_country_folded: String,
        pub warning_level: i32,
        pub first_response_due_time: Option<i64>,
        pub resolution_due_time: Option<i64>,
        pub callback_due_time: Option<i64>,
        pub next_warning_time: Option<i64>,
        pub product_sku: String,
        pub root_cause: i32,
        pub triaged: i32,
        pub invalid: i32,
        pub resolved: i32,
        pub reopened: i32,
        pub called_back: i32,
        pub first_callback_reached: i32,
        pub first_callback_satisfied: i32,
        pub first_response_reached: i32,
        pub first_response_on_time: i32,
        pub resolution_reached: i32,
        pub resolution_on_time: i32,
        pub callback_reached: i32,
        pub callback_on_time: i32,
        pub first_response_wall: Option<i64>,
        pub first_response_business: Option<i64>,
        pub resolution_wall: Option<i64>,
        pub resolution_business: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod step_entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_steps")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub complaint_id: Uuid,
        pub number: i64,
        pub kind: i32,
        pub actor: String,
        pub create_time: i64,
        pub state_before: i32,
        pub state_after: i32,
        #[sea_orm(column_type = "Text")]
        pub note: String,
        #[sea_orm(column_type = "Text")]
        pub decision: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Model};
pub(super) use entity::{Column, Entity};

fn customer_name(id: Uuid) -> String {
    customer::COLLECTION.name_of(Name { parent: None, id })
}

fn channel_name(id: Uuid) -> String {
    channel::COLLECTION.name_of(Name { parent: None, id })
}

impl Table for Complaint {
    type Entity = Entity;
    const ID: Column = Column::Id;
    const DELETE_TIME: Column = Column::DeleteTime;
    const VERSION: Column = Column::Version;

    fn column(field: &str) -> Option<Column> {
        Some(match field {
            "customer" => Column::Customer,
            "intake_channel" => Column::IntakeChannel,
            "received_time" => Column::ReceivedTime,
            "state" => Column::State,
            "severity" => Column::Severity,
            "category" => Column::Category,
            "handling_department" => Column::HandlingDepartment,
            "supplier" => Column::Supplier,
            "validity" => Column::Validity,
            "customer_tier" => Column::CustomerTier,
            "customer_relationship" => Column::CustomerRelationship,
            "customer_value_grade" => Column::CustomerValueGrade,
            "customer_sales_region" => Column::CustomerSalesRegion,
            "customer_country" => Column::CustomerCountry,
            "create_time" => Column::CreateTime,
            "update_time" => Column::UpdateTime,
            "warning_level" => Column::WarningLevel,
            "first_response_due_time" => Column::FirstResponseDueTime,
            "resolution_due_time" => Column::ResolutionDueTime,
            "callback_due_time" => Column::CallbackDueTime,
            _ => return None,
        })
    }

    fn folded(field: &str) -> Option<Column> {
        Some(match field {
            "customer" => Column::CustomerFolded,
            "intake_channel" => Column::IntakeChannelFolded,
            "handling_department" => Column::HandlingDepartmentFolded,
            "supplier" => Column::SupplierFolded,
            "customer_sales_region" => Column::CustomerSalesRegionFolded,
            "customer_country" => Column::CustomerCountryFolded,
            _ => return None,
        })
    }

    fn to_row(resource: &Resource<Self>) -> Result<ActiveModel, Error> {
        let (c, m) = (&resource.body, &resource.meta);
        let standing = c.standing();
        let facts = c.analysis_facts();
        let flag = |b: bool| Set(i32::from(b));
        let customer = customer_name(c.customer);
        let channel = channel_name(c.intake_channel);
        let supplier = c
            .supplier
            .as_ref()
            .map(|s| s.display_name.clone())
            .unwrap_or_default();
        Ok(ActiveModel {
            id: Set(resource.id),
            customer_folded: Set(fold(&customer)),
            customer: Set(customer),
            intake_channel_folded: Set(fold(&channel)),
            intake_channel: Set(channel),
            received_time: Set(c
                .received_time
                .map_or(m.create_time.micros(), Timestamp::micros)),
            state: Set(c.state().code()),
            severity: Set(c.severity.code()),
            category: Set(c.category.code()),
            handling_department_folded: Set(fold(&c.handling_department)),
            handling_department: Set(c.handling_department.clone()),
            supplier_folded: Set(fold(&supplier)),
            supplier: Set(supplier),
            validity: Set(c.validity.verdict.code()),
            customer_tier: Set(code_of(c.segment.tier)),
            customer_relationship: Set(code_of(c.segment.relationship)),
            customer_value_grade: Set(code_of(c.segment.value_grade)),
            customer_sales_region_folded: Set(fold(&c.segment.sales_region)),
            customer_sales_region: Set(c.segment.sales_region.clone()),
            customer_country_folded: Set(fold(&c.segment.country)),
            customer_country: Set(c.segment.country.clone()),
            body: Set(to_json(c)?),
            create_time: Set(m.create_time.micros()),
            update_time: Set(m.update_time.micros()),
            delete_time: Set(m.delete_time.map(Timestamp::micros)),
            version: Set(m.version),
            warning_level: Set(standing.warning_level.code()),
            first_response_due_time: Set(standing.first_response_due.map(Timestamp::micros)),
            resolution_due_time: Set(standing.resolution_due.map(Timestamp::micros)),
            callback_due_time: Set(standing.callback_due.map(Timestamp::micros)),
            next_warning_time: Set(standing.next_warning_time.map(Timestamp::micros)),
            product_sku: Set(c.product.sku.clone()),
            root_cause: Set(code_of(c.root_cause.as_ref().map(|r| r.category))),
            triaged: flag(facts.triaged),
            invalid: flag(facts.invalid),
            resolved: flag(facts.resolved),
            reopened: flag(facts.reopened),
            called_back: flag(facts.called_back),
            first_callback_reached: flag(facts.first_callback_satisfied.is_some()),
            first_callback_satisfied: flag(facts.first_callback_satisfied == Some(true)),
            first_response_reached: flag(facts.first_response.counts()),
            first_response_on_time: flag(facts.first_response.counts_on_time()),
            resolution_reached: flag(facts.resolution.counts()),
            resolution_on_time: flag(facts.resolution.counts_on_time()),
            callback_reached: flag(facts.callback.counts()),
            callback_on_time: flag(facts.callback.counts_on_time()),
            first_response_wall: Set(facts.first_response_wall),
            first_response_business: Set(facts.first_response_business),
            resolution_wall: Set(facts.resolution_wall),
            resolution_business: Set(facts.resolution_business),
        })
    }

    fn from_row(row: Model) -> Result<Resource<Self>, Error> {
        Ok(Resource {
            id: row.id,
            parent: None,
            meta: meta_of(
                row.create_time,
                row.update_time,
                row.delete_time,
                row.version,
            ),
            body: from_json(&row.body)?,
        })
    }

    /// Steps are numbered from the complaint's own count: the complaint's
    /// row is locked by the change, so numbers never race.
    #[allow(clippy::manual_async_fn)] // the trait's future must be Send
    fn write_side<'a>(
        tx: &'a Tx,
        actor: &'a str,
        resource: &'a Resource<Self>,
        side: Vec<StepDraft>,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        async move {
            let mut number = last_step_number(tx, resource.id).await?;
            for draft in side {
                number += 1;
                step_entity::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    complaint_id: Set(resource.id),
                    number: Set(number),
                    kind: Set(draft.kind.code()),
                    actor: Set(actor.to_owned()),
                    create_time: Set(now.micros()),
                    state_before: Set(code_of(draft.state_before)),
                    state_after: Set(draft.state_after.code()),
                    note: Set(draft.note),
                    decision: Set(draft.decision),
                }
                .insert(tx.conn())
                .await
                .map_err(db_error)?;
            }
            Ok(())
        }
    }
}

async fn last_step_number(tx: &Tx, complaint: Uuid) -> Result<i64, Error> {
    let last = step_entity::Entity::find()
        .filter(step_entity::Column::ComplaintId.eq(complaint))
        .order_by_desc(step_entity::Column::Number)
        .one(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(last.map_or(0, |s| s.number))
}

/// One page of a complaint's steps, oldest first, after `after`'s number.
pub async fn list_steps(
    tx: &Tx,
    complaint: Uuid,
    after: Option<&Cursor>,
    page_size: u64,
) -> Result<Page<Step>, Error> {
    let after_number = match after.and_then(|c| c.keys.first()) {
        Some(KeyValue::Integer(n)) => *n,
        Some(_) => return Err(Error::internal("a step cursor holds a number")),
        None => 0,
    };
    let rows = step_entity::Entity::find()
        .filter(step_entity::Column::ComplaintId.eq(complaint))
        .filter(step_entity::Column::Number.gt(after_number))
        .order_by_asc(step_entity::Column::Number)
        .limit(page_size + 1)
        .all(tx.conn())
        .await
        .map_err(db_error)?;
    let more = rows.len() as u64 > page_size;
    let mut items = Vec::new();
    for row in rows.into_iter().take(page_size as usize) {
        items.push(Step {
            complaint: row.complaint_id,
            number: row.number,
            actor: row.actor,
            time: Timestamp(row.create_time),
            draft: StepDraft {
                kind: required_code(row.kind)?,
                state_before: super::resources::from_code(row.state_before)?,
                state_after: required_code(row.state_after)?,
                note: row.note,
                decision: row.decision,
            },
        });
    }
    let next = match (more, items.last()) {
        (true, Some(last)) => Some(Cursor {
            keys: vec![KeyValue::Integer(last.number)],
            id: complaint,
        }),
        _ => None,
    };
    Ok(Page { items, next })
}

/// Up to `limit` open complaints of a customer, oldest first.
pub async fn open_complaints_of(tx: &Tx, customer: Uuid, limit: u64) -> Result<Vec<String>, Error> {
    let rows = Entity::find()
        .filter(Column::Customer.eq(customer_name(customer)))
        .filter(Column::State.ne(State::Closed.code()))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            complaint::COLLECTION.name_of(Name {
                parent: None,
                id: r.id,
            })
        })
        .collect())
}

/// Up to `limit` complaints whose next warning is reached by `now`, the
/// earliest first: read through the partial index on the next warning
/// time, so the cost follows the complaints that are due, not those open.
pub async fn complaints_with_warnings_due(
    tx: &Tx,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<Uuid>, Error> {
    let rows: Vec<Uuid> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::NextWarningTime.is_not_null())
        .filter(Column::NextWarningTime.lte(now.micros()))
        .filter(Column::DeleteTime.is_null())
        .order_by_asc(Column::NextWarningTime)
        .limit(limit)
        .into_tuple()
        .all(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(rows)
}

/// The earliest next warning time of any complaint, if one has any.
pub async fn earliest_warning_time(tx: &Tx) -> Result<Option<Timestamp>, Error> {
    let first: Option<Option<i64>> = Entity::find()
        .select_only()
        .column(Column::NextWarningTime)
        .filter(Column::NextWarningTime.is_not_null())
        .order_by_asc(Column::NextWarningTime)
        .into_tuple()
        .one(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(first.flatten().map(Timestamp))
}

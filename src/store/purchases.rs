//! The `purchases` table: one column per filterable or orderable field, the
//! customer's id as the parent column, the amount as exact integers
//! (currency code, units, nanos), the channel as its resource name (what
//! filters compare), labels as JSON text.

use sea_orm::Set;
use sea_orm::entity::prelude::*;

use super::resources::{Table, from_code, from_json, meta_of, required_code, to_json};
use crate::domain::ClosedEnum;
use crate::domain::money::Money;
use crate::domain::purchase::{self, Product, Purchase, channel_name};
use crate::domain::resource::{Resource, Timestamp};
use crate::domain::text::fold;
use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub product_sku: String,
    pub product_name: String,
    pub quantity: i64,
    pub amount_currency_code: String,
    pub amount_units: i64,
    pub amount_nanos: i32,
    pub purchase_time: i64,
    pub channel: String,
    pub reason: i32,
    pub kind: i32,
    #[sea_orm(column_type = "Text")]
    pub labels: String,
    pub create_time: i64,
    pub update_time: i64,
    pub delete_time: Option<i64>,
    pub version: i64,
    pub product_sku_folded: String,
    pub product_name_folded: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Table for Purchase {
    type Entity = Entity;
    const ID: Column = Column::Id;
    const DELETE_TIME: Column = Column::DeleteTime;
    const VERSION: Column = Column::Version;
    const PARENT: Option<(Column, &'static str)> = Some((Column::CustomerId, "customers"));
    // The purchase's follow-up rewrites the customer's lifecycle stage.
    const PARENT_FOR_UPDATE: bool = true;

    fn column(field: &str) -> Option<Column> {
        Some(match field {
            "purchase_time" => Column::PurchaseTime,
            "product.sku" => Column::ProductSku,
            "product.name" => Column::ProductName,
            "quantity" => Column::Quantity,
            "amount.units" => Column::AmountUnits,
            "amount.currency_code" => Column::AmountCurrencyCode,
            "channel" => Column::Channel,
            "reason" => Column::Reason,
            "kind" => Column::Kind,
            "create_time" => Column::CreateTime,
            "update_time" => Column::UpdateTime,
            _ => return None,
        })
    }

    /// Units and nanos share one sign, so ordering by units then nanos is
    /// ordering by the amount.
    fn sort_columns(field: &str) -> Vec<Column> {
        match field {
            "amount" => vec![Column::AmountUnits, Column::AmountNanos],
            _ => Self::column(field).into_iter().collect(),
        }
    }

    fn folded(field: &str) -> Option<Column> {
        Some(match field {
            "product.sku" => Column::ProductSkuFolded,
            "product.name" => Column::ProductNameFolded,
            _ => return None,
        })
    }

    fn to_row(resource: &Resource<Self>) -> Result<ActiveModel, Error> {
        let (p, m) = (&resource.body, &resource.meta);
        let customer_id = resource
            .parent
            .ok_or_else(|| Error::internal("a purchase without its customer"))?;
        Ok(ActiveModel {
            id: Set(resource.id),
            customer_id: Set(customer_id),
            product_sku: Set(p.product.sku.clone()),
            product_name: Set(p.product.name.clone()),
            quantity: Set(p.quantity),
            amount_currency_code: Set(p.amount.currency_code.clone()),
            amount_units: Set(p.amount.units),
            amount_nanos: Set(p.amount.nanos),
            purchase_time: Set(p.purchase_time.micros()),
            channel: Set(p.channel.map(channel_name).unwrap_or_default()),
            reason: Set(super::resources::code_of(p.reason)),
            kind: Set(p.kind.code()),
            labels: Set(to_json(&p.labels)?),
            create_time: Set(m.create_time.micros()),
            update_time: Set(m.update_time.micros()),
            delete_time: Set(m.delete_time.map(Timestamp::micros)),
            version: Set(m.version),
            product_sku_folded: Set(fold(&p.product.sku)),
            product_name_folded: Set(fold(&p.product.name)),
        })
    }

    fn from_row(row: Model) -> Result<Resource<Self>, Error> {
        let channel = match row.channel.as_str() {
            "" => None,
            name => Some(
                crate::domain::channel::COLLECTION
                    .parse_name(name)
                    .map_err(|e| Error::internal(format!("stored channel {name:?} {e}")))?
                    .id,
            ),
        };
        let body = Purchase {
            product: Product {
                sku: row.product_sku,
                name: row.product_name,
            },
            quantity: row.quantity,
            amount: Money {
                currency_code: row.amount_currency_code,
                units: row.amount_units,
                nanos: row.amount_nanos,
            },
            purchase_time: Timestamp(row.purchase_time),
            channel,
            reason: from_code(row.reason)?,
            kind: required_code::<purchase::PurchaseKind>(row.kind)?,
            labels: from_json(&row.labels)?,
        };
        Ok(Resource {
            id: row.id,
            parent: Some(row.customer_id),
            meta: meta_of(
                row.create_time,
                row.update_time,
                row.delete_time,
                row.version,
            ),
            body,
        })
    }
}

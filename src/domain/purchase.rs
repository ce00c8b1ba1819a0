//! Purchases (DOMAIN.md sections 1 and 5): what a customer bought or
//! returned, when, through which channel and why. They feed grading, recency
//! and frequency; a return counts against the customer's net value. Nested
//! under the customer: `customers/{customer}/purchases/{purchase}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ClosedEnum;
use super::event::FieldChanges;
use super::filter::{FieldSpec, FieldType, Schema};
use super::input::{
    TimeInput, code_of, optional_code, optional_text, required_code, required_text, time,
};
use super::listing::Orderable;
use super::money::{Money, MoneyInput};
use super::resource::{Collection, Labels, Name, Reference, ResourceBody, Timestamp};
use super::{channel, customer};
use crate::error::Violations;

mod input;

pub use input::{ProductInput, PurchaseInput};

pub const COLLECTION: Collection = Collection {
    plural: "purchases",
    singular: "purchase",
    parent: Some(&customer::COLLECTION),
};

closed_enum!(PurchaseKind { Sale = 1 => "SALE", Return = 2 => "RETURN" });
closed_enum!(Reason { Quality = 1 => "QUALITY", Service = 2 => "SERVICE", Economy = 3 => "ECONOMY", Other = 4 => "OTHER" });

/// One purchase or return by a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purchase {
    pub product: Product,
    /// More than zero, at most [`Purchase::MAX_QUANTITY`].
    pub quantity: i64,
    /// Never negative: a return is recorded with a positive amount and kind
    /// [`PurchaseKind::Return`].
    pub amount: Money,
    pub purchase_time: Timestamp,
    /// The contact channel it was bought through, when known.
    pub channel: Option<Uuid>,
    pub reason: Option<Reason>,
    pub kind: PurchaseKind,
    pub labels: Labels,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
}

impl Purchase {
    pub const MAX_QUANTITY: i64 = 1_000_000_000;
    /// How far ahead of the service's clock a purchase time may be: the
    /// caller's clock may run a little fast, but nothing is bought tomorrow.
    pub const MAX_CLOCK_SKEW_MICROS: i64 = 5 * 60 * 1_000_000;

    /// What the purchase adds to the customer's net value, in nanos of its
    /// currency: the amount for a sale, minus the amount for a return.
    pub fn net_value_nanos(&self) -> i128 {
        match self.kind {
            PurchaseKind::Sale => self.amount.total_nanos(),
            PurchaseKind::Return => -self.amount.total_nanos(),
        }
    }

    pub fn check_quantity(quantity: i64) -> Result<i64, String> {
        if (1..=Self::MAX_QUANTITY).contains(&quantity) {
            Ok(quantity)
        } else {
            Err(format!(
                "must be a whole number from 1 to {}",
                Self::MAX_QUANTITY
            ))
        }
    }

    /// A purchase time is not later than `now` plus the allowed skew.
    pub fn check_purchase_time(time: Timestamp, now: Timestamp) -> Result<Timestamp, String> {
        if time > now.plus_micros(Self::MAX_CLOCK_SKEW_MICROS) {
            Err("must not be in the future".into())
        } else {
            Ok(time)
        }
    }
}

impl ResourceBody for Purchase {
    const COLLECTION: Collection = COLLECTION;
    const FILTER: Schema = FILTER;
    const ORDERABLE: Orderable = ORDERABLE;

    type Input = PurchaseInput;
    type Side = ();

    fn from_input(
        input: PurchaseInput,
        _previous: Option<&Self>,
        now: Timestamp,
    ) -> Result<Self, Violations> {
        Purchase::parse(input, now)
    }

    fn to_input(&self) -> PurchaseInput {
        self.input()
    }

    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn references(&self) -> Vec<Reference> {
        self.channel
            .map(|id| Reference {
                field: "channel",
                collection: channel::COLLECTION,
                id,
            })
            .into_iter()
            .collect()
    }

    fn changed_fields(before: &Self, after: &Self) -> Vec<String> {
        let (b, a) = (before, after);
        let mut changes = FieldChanges::default();
        changes
            .compare("product.sku", &b.product.sku, &a.product.sku)
            .compare("product.name", &b.product.name, &a.product.name)
            .compare("quantity", &b.quantity, &a.quantity)
            .compare("amount", &b.amount, &a.amount)
            .compare("purchase_time", &b.purchase_time, &a.purchase_time)
            .compare("channel", &b.channel, &a.channel)
            .compare("reason", &b.reason, &a.reason)
            .compare("kind", &b.kind, &a.kind)
            .compare("labels", &b.labels, &a.labels);
        changes.into_paths()
    }
}

/// The resource name of a channel a purchase points at.
pub fn channel_name(id: Uuid) -> String {
    channel::COLLECTION.name_of(Name { parent: None, id })
}

/// Filterable fields of ListPurchases, as documented in the proto.
pub const FILTER: Schema = Schema {
    fields: &[
        FieldSpec {
            path: "purchase_time",
            ty: FieldType::Timestamp,
        },
        FieldSpec {
            path: "product.sku",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "product.name",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "quantity",
            ty: FieldType::Integer,
        },
        FieldSpec {
            path: "amount.currency_code",
            ty: FieldType::Exact,
        },
        FieldSpec {
            path: "amount.units",
            ty: FieldType::Integer,
        },
        FieldSpec {
            path: "channel",
            ty: FieldType::Exact,
        },
        FieldSpec {
            path: "reason",
            ty: FieldType::Enum(Reason::ALL),
        },
        FieldSpec {
            path: "kind",
            ty: FieldType::Enum(PurchaseKind::ALL),
        },
        FieldSpec {
            path: "create_time",
            ty: FieldType::Timestamp,
        },
        FieldSpec {
            path: "update_time",
            ty: FieldType::Timestamp,
        },
    ],
    labels: true,
};

/// Fields ListPurchases can be ordered by, as documented in the proto;
/// latest purchase first by default.
pub const ORDERABLE: Orderable = Orderable {
    fields: &[
        "purchase_time",
        "amount",
        "quantity",
        "create_time",
        "update_time",
    ],
    default_field: "purchase_time",
    default_descending: true,
};

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_780_000_000_000_000);

    fn valid() -> PurchaseInput {
        PurchaseInput {
            product: ProductInput {
                sku: "GX-200".into(),
                name: "Gas meter".into(),
            },
            quantity: 2,
            amount: MoneyInput {
                currency_code: "CNY".into(),
                units: 399,
                nanos: 500_000_000,
            },
            purchase_time: Some(NOW.into()),
            kind: PurchaseKind::Sale.code(),
            ..Default::default()
        }
    }

    fn fields(input: PurchaseInput) -> Vec<String> {
        match Purchase::parse(input, NOW) {
            Ok(_) => Vec::new(),
            Err(v) => v.into_violations().into_iter().map(|f| f.field).collect(),
        }
    }

    #[test]
    fn a_valid_purchase_round_trips_through_its_input() {
        let purchase = Purchase::parse(valid(), NOW).unwrap();
        assert_eq!(Purchase::parse(purchase.input(), NOW).unwrap(), purchase);
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = PurchaseInput {
            product: ProductInput {
                sku: " ".into(),
                name: "x".repeat(201),
            },
            quantity: -1,
            amount: MoneyInput {
                currency_code: "usd".into(),
                units: -5,
                nanos: 0,
            },
            purchase_time: Some(NOW.plus_micros(Purchase::MAX_CLOCK_SKEW_MICROS + 1).into()),
            channel: "channel/1".into(),
            reason: 9,
            kind: 0,
            labels: [("Bad".into(), String::new())].into(),
        };
        assert_eq!(
            fields(bad),
            [
                "product.sku",
                "product.name",
                "quantity",
                "amount.currency_code",
                "amount",
                "purchase_time",
                "channel",
                "reason",
                "kind",
                "labels[\"Bad\"]",
            ]
        );
    }

    #[test]
    fn a_purchase_time_within_the_clock_skew_is_accepted() {
        let mut input = valid();
        input.purchase_time = Some(NOW.plus_micros(Purchase::MAX_CLOCK_SKEW_MICROS).into());
        assert!(fields(input).is_empty());
        let mut input = valid();
        input.purchase_time = None;
        assert_eq!(fields(input), ["purchase_time"]);
    }

    #[test]
    fn a_return_counts_against_net_value() {
        let sale = Purchase::parse(valid(), NOW).unwrap();
        let mut input = valid();
        input.kind = PurchaseKind::Return.code();
        let refund = Purchase::parse(input, NOW).unwrap();
        assert_eq!(sale.net_value_nanos(), 399_500_000_000);
        assert_eq!(refund.net_value_nanos(), -399_500_000_000);
    }
}

//! The complaint as a caller writes it at intake or in an update, and the
//! rules that turn it into a [`Complaint`]; and receipt, which checks the
//! customer and channel and copies the customer's segment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::process::Progress;
use super::*;
use crate::domain::ClosedEnum;
use crate::domain::channel::{self, Channel};
use crate::domain::customer::{self, Customer};
use crate::domain::input::{TimeInput, optional_text, required_code, required_text};
use crate::domain::purchase::{self, Purchase};
use crate::domain::resource::{Labels, Resource, Timestamp};
use crate::error::{Error, Violations};

/// The writable fields of a complaint, unchecked, under their API names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComplaintInput {
    pub customer: String,
    pub intake_channel: String,
    pub received_time: Option<TimeInput>,
    pub product: ProductInput,
    pub purchase: String,
    pub category: i32,
    pub subcategory: String,
    pub severity: i32,
    pub subject: String,
    pub description: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductInput {
    pub sku: String,
    pub display_name: String,
}

impl Complaint {
    /// Checks intake or an update's merge; on an update (`previous`) the
    /// immutable intake fields must not change and everything the process
    /// decided is carried over.
    pub fn parse(c: ComplaintInput, previous: Option<&Complaint>) -> Result<Complaint, Violations> {
        let mut v = Violations::new();
        let customer = reference(&mut v, "customer", customer::COLLECTION, &c.customer);
        let intake_channel = reference(
            &mut v,
            "intake_channel",
            channel::COLLECTION,
            &c.intake_channel,
        );
        let received_time = c
            .received_time
            .and_then(|t| v.check("received_time", Timestamp::from_parts(t.seconds, t.nanos)));
        let purchase = purchase_of(&mut v, &c.purchase, customer);
        if let Some(p) = previous {
            let immutable = [
                ("customer", customer.is_some_and(|id| id != p.customer)),
                (
                    "intake_channel",
                    intake_channel.is_some_and(|id| id != p.intake_channel),
                ),
                (
                    "received_time",
                    received_time.is_some() && received_time != p.received_time,
                ),
                ("purchase", purchase != p.purchase),
            ];
            for (field, changed) in immutable {
                if changed {
                    v.add(field, "is immutable");
                }
            }
        }
        let body = Complaint {
            customer: customer.unwrap_or_default(),
            intake_channel: intake_channel.unwrap_or_default(),
            received_time: previous.map_or(received_time, |p| p.received_time),
            purchase,
            product: Product {
                sku: optional_text(&mut v, "product.sku", &c.product.sku, 100),
                display_name: optional_text(&mut v, "product.name", &c.product.display_name, 200),
            },
            category: required_code(&mut v, "category", c.category).unwrap_or(Category::Other),
            subcategory: optional_text(&mut v, "subcategory", &c.subcategory, 100),
            severity: required_code(&mut v, "severity", c.severity).unwrap_or(Severity::Low),
            subject: required_text(&mut v, "subject", &c.subject, 200).unwrap_or_default(),
            description: optional_text(&mut v, "description", &c.description, 10_000),
            labels: Labels::parse(&mut v, "labels", &c.labels),
            segment: previous.map(|p| p.segment.clone()).unwrap_or_default(),
            progress: previous.map_or_else(Progress::received, |p| p.progress),
            validity: previous.map_or(
                Validity {
                    verdict: Verdict::Undetermined,
                    reason: None,
                    explanation: String::new(),
                    judge_time: None,
                },
                |p| p.validity.clone(),
            ),
            handling_department: previous
                .map(|p| p.handling_department.clone())
                .unwrap_or_default(),
            assignee: previous.map(|p| p.assignee.clone()).unwrap_or_default(),
            supplier: previous.and_then(|p| p.supplier.clone()),
            remedy: previous.and_then(|p| p.remedy.clone()),
            root_cause: previous.and_then(|p| p.root_cause.clone()),
            last_callback_outcome: previous.and_then(|p| p.last_callback_outcome),
            last_satisfaction_level: previous.and_then(|p| p.last_satisfaction_level),
            milestones: previous.map(|p| p.milestones.clone()).unwrap_or_default(),
            service_level: previous.and_then(|p| p.service_level.clone()),
            timing: previous.map(|p| p.timing.clone()).unwrap_or_default(),
        };
        v.finish_with(body)
    }

    /// The writable fields as input, for an update to merge into.
    pub fn input(&self) -> ComplaintInput {
        ComplaintInput {
            customer: customer::COLLECTION.name_of(crate::domain::resource::Name {
                parent: None,
                id: self.customer,
            }),
            intake_channel: channel::COLLECTION.name_of(crate::domain::resource::Name {
                parent: None,
                id: self.intake_channel,
            }),
            received_time: self.received_time.map(TimeInput::from),
            product: ProductInput {
                sku: self.product.sku.clone(),
                display_name: self.product.display_name.clone(),
            },
            purchase: self.purchase.clone(),
            category: self.category.code(),
            subcategory: self.subcategory.clone(),
            severity: self.severity.code(),
            subject: self.subject.clone(),
            description: self.description.clone(),
            labels: self.labels.to_map(),
        }
    }

    /// Receipt: the customer must exist and be live, the channel must exist,
    /// be live and active (each otherwise INVALID_ARGUMENT naming its field
    /// under `complaint.`); the received time defaults to `now` and must
    /// not be after it; the customer's segment is copied as it is now.
    pub fn receive(
        mut self,
        customer: Option<&Resource<Customer>>,
        channel: Option<&Resource<Channel>>,
        now: Timestamp,
    ) -> Result<Complaint, Error> {
        let mut v = Violations::new();
        match customer {
            None => v.add("complaint.customer", "names no customer"),
            Some(c) if c.meta.is_deleted() => v.add("complaint.customer", "is deleted"),
            Some(_) => {}
        }
        match channel {
            None => v.add("complaint.intake_channel", "names no channel"),
            Some(c) if c.meta.is_deleted() => v.add("complaint.intake_channel", "is deleted"),
            Some(c) if !c.body.active => v.add("complaint.intake_channel", "is not active"),
            Some(_) => {}
        }
        let received = self.received_time.unwrap_or(now);
        if received > now {
            v.add("complaint.received_time", "must not be in the future");
        }
        v.finish()?;
        if let Some(c) = customer {
            self.segment = Segment {
                tier: c.body.tier,
                relationship: c.body.relationship,
                value_grade: c.body.value_grade,
                sales_region: c.body.geography.sales_region.clone(),
                country: c.body.geography.country.clone(),
            };
        }
        self.received_time = Some(received);
        self.timing = super::targets::Timing::started(received);
        Ok(self)
    }
}

/// An optional purchase, by name: one of the complaint's customer's
/// purchases (`customers/{customer}/purchases/{purchase}`), kept as given.
fn purchase_of(v: &mut Violations, text: &str, customer: Option<uuid::Uuid>) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    match purchase::COLLECTION.parse_name(text) {
        Err(_) => v.add(
            "purchase",
            "must name a purchase: customers/{customer}/purchases/{purchase}",
        ),
        Ok(name) if customer.is_some() && name.parent != customer => {
            v.add("purchase", "must be a purchase of the complaint's customer")
        }
        Ok(_) => {}
    }
    text.to_owned()
}

impl Complaint {
    /// The purchase complained about, if any.
    pub fn purchase_name(&self) -> Option<crate::domain::resource::Name> {
        purchase::COLLECTION.parse_name(&self.purchase).ok()
    }

    /// At receipt: the purchase named must exist and not be deleted.
    pub fn check_purchase(&self, found: Option<&Resource<Purchase>>) -> Result<(), Error> {
        match found {
            Some(p) if Some(p.parent) == self.purchase_name().map(|n| n.parent) => {
                if p.meta.is_deleted() {
                    Err(Error::invalid("complaint.purchase", "is deleted"))
                } else {
                    Ok(())
                }
            }
            _ => Err(Error::invalid("complaint.purchase", "names no purchase")),
        }
    }
}

/// The id of a required resource name of `collection`.
fn reference(
    v: &mut Violations,
    field: &str,
    collection: crate::domain::resource::Collection,
    text: &str,
) -> Option<uuid::Uuid> {
    v.check(field, collection.parse_name(text)).map(|n| n.id)
}

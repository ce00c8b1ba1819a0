//! The complaint as stored: what the caller wrote at intake, the customer's
//! segment copied at receipt, and what the process decided (Output only).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::process::{Progress, Transition};
use super::steps::{StepDraft, StepKind};
use super::targets::{Facts, ServiceLevel, Standing, Timing, WarningLevel};
use super::{CallbackOutcome, State};
use crate::domain::ClosedEnum;
use crate::domain::customer::{Relationship, Tier, ValueGrade};
use crate::domain::event::FieldChanges;
use crate::domain::filter::{FieldSpec, FieldType, Schema};
use crate::domain::listing::Orderable;
use crate::domain::resource::{Collection, Labels, ResourceBody, Timestamp};
use crate::error::Violations;

pub const COLLECTION: Collection = Collection {
    plural: "complaints",
    singular: "complaint",
    parent: None,
};

closed_enum!(Category {
    ProductQuality = 1 => "PRODUCT_QUALITY", Delivery = 2 => "DELIVERY",
    ServiceAttitude = 3 => "SERVICE_ATTITUDE", Billing = 4 => "BILLING",
    InstallationRepair = 5 => "INSTALLATION_REPAIR", InformationAdvice = 6 => "INFORMATION_ADVICE",
    Other = 7 => "OTHER",
});
closed_enum!(Severity { Low = 1 => "LOW", Medium = 2 => "MEDIUM", High = 3 => "HIGH", Critical = 4 => "CRITICAL" });
closed_enum!(Verdict { Undetermined = 1 => "UNDETERMINED", Valid = 2 => "VALID", Invalid = 3 => "INVALID" });
closed_enum!(InvalidReason {
    NotOurProduct = 1 => "NOT_OUR_PRODUCT", OutsideWarranty = 2 => "OUTSIDE_WARRANTY",
    Misunderstanding = 3 => "MISUNDERSTANDING", Duplicate = 4 => "DUPLICATE", Other = 5 => "INVALID_REASON_OTHER",
});
closed_enum!(RemedyKind {
    Substitute = 1 => "SUBSTITUTE", ExchangeReturn = 2 => "EXCHANGE_RETURN", Repair = 3 => "REPAIR",
    Refund = 4 => "REFUND", Compensation = 5 => "COMPENSATION", Apology = 6 => "APOLOGY",
});
closed_enum!(RootCauseCategory {
    Design = 1 => "DESIGN", Manufacturing = 2 => "MANUFACTURING", MaterialSupplier = 3 => "MATERIAL_SUPPLIER",
    Logistics = 4 => "LOGISTICS", StaffBehaviour = 5 => "STAFF_BEHAVIOUR", Process = 6 => "PROCESS",
    Information = 7 => "INFORMATION", CustomerMisuse = 8 => "CUSTOMER_MISUSE", Unknown = 9 => "UNKNOWN",
});
closed_enum!(SatisfactionLevel {
    VeryDissatisfied = 1 => "VERY_DISSATISFIED", Dissatisfied = 2 => "DISSATISFIED", Neutral = 3 => "NEUTRAL",
    Satisfied = 4 => "SATISFIED", VerySatisfied = 5 => "VERY_SATISFIED",
});
closed_enum!(ContactDirection { Inbound = 1 => "INBOUND", Outbound = 2 => "OUTBOUND" });

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub display_name: String,
}

/// The customer's segment when the complaint was received, so later
/// analysis does not shift when the customer changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub tier: Option<Tier>,
    pub relationship: Option<Relationship>,
    pub value_grade: Option<ValueGrade>,
    pub sales_region: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    pub verdict: Verdict,
    pub reason: Option<InvalidReason>,
    pub explanation: String,
    pub judge_time: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplier {
    pub display_name: String,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remedy {
    pub kind: RemedyKind,
    /// Minor units and ISO 4217 currency; set exactly for COMPENSATION.
    pub amount: Option<(i64, String)>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootCause {
    pub category: RootCauseCategory,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    pub first_response_time: Option<Timestamp>,
    pub triage_time: Option<Timestamp>,
    pub resolve_times: Vec<Timestamp>,
    pub close_time: Option<Timestamp>,
    /// What the first callback that reached the customer found.
    #[serde(default)]
    pub first_reached_callback: Option<CallbackOutcome>,
}

/// A complaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Complaint {
    /// Immutable after intake.
    pub customer: Uuid,
    pub intake_channel: Uuid,
    /// None only before receipt, which sets it to now when the caller left
    /// it out.
    pub received_time: Option<Timestamp>,
    pub purchase: String,
    /// Descriptive: UpdateComplaint may change these.
    pub product: Product,
    pub category: Category,
    pub subcategory: String,
    pub severity: Severity,
    pub subject: String,
    pub description: String,
    pub labels: Labels,
    /// Copied at receipt.
    pub segment: Segment,
    /// Decided by the process.
    pub progress: Progress,
    pub validity: Validity,
    pub handling_department: String,
    pub assignee: String,
    pub supplier: Option<Supplier>,
    pub remedy: Option<Remedy>,
    pub root_cause: Option<RootCause>,
    pub last_callback_outcome: Option<CallbackOutcome>,
    pub last_satisfaction_level: Option<SatisfactionLevel>,
    pub milestones: Milestones,
    /// The policy's promise, copied when it was chosen; None: no policy
    /// applied.
    #[serde(default)]
    pub service_level: Option<ServiceLevel>,
    /// The milestones' clocks; they run whether a policy applies or not.
    #[serde(default)]
    pub timing: Timing,
}

impl Complaint {
    pub fn state(&self) -> State {
        self.progress.state
    }

    /// Starts and stops the milestones' clocks as the complaint now stands,
    /// after `transition`.
    pub fn follow_clocks(&mut self, transition: Option<Transition>, now: Timestamp) {
        let facts = Facts {
            state: self.progress.state,
            first_response_time: self.milestones.first_response_time,
            resolve_times: &self.milestones.resolve_times,
            transition,
        };
        self.timing.follow(&facts, now);
    }

    /// What lists filter and order by: warning level and due times.
    pub fn standing(&self) -> Standing {
        Standing::of(
            &self.timing,
            self.service_level.as_ref(),
            self.progress.is_open(),
        )
    }
}

impl ResourceBody for Complaint {
    const COLLECTION: Collection = COLLECTION;
    const FILTER: Schema = FILTER;
    const ORDERABLE: Orderable = ORDERABLE;

    type Input = super::ComplaintInput;
    type Side = StepDraft;

    fn from_input(
        input: super::ComplaintInput,
        previous: Option<&Self>,
        _now: crate::domain::resource::Timestamp,
    ) -> Result<Self, Violations> {
        Complaint::parse(input, previous)
    }

    fn to_input(&self) -> super::ComplaintInput {
        self.input()
    }

    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn changed_fields(b: &Self, a: &Self) -> Vec<String> {
        let mut c = FieldChanges::default();
        c.compare("product", &b.product, &a.product)
            .compare("category", &b.category, &a.category)
            .compare("subcategory", &b.subcategory, &a.subcategory)
            .compare("severity", &b.severity, &a.severity)
            .compare("subject", &b.subject, &a.subject)
            .compare("description", &b.description, &a.description)
            .compare("labels", &b.labels, &a.labels)
            .compare("state", &b.progress.state, &a.progress.state)
            .compare("validity", &b.validity, &a.validity)
            .compare(
                "handling_department",
                &b.handling_department,
                &a.handling_department,
            )
            .compare("assignee", &b.assignee, &a.assignee)
            .compare("supplier", &b.supplier, &a.supplier)
            .compare("remedy", &b.remedy, &a.remedy)
            .compare("root_cause", &b.root_cause, &a.root_cause)
            .compare(
                "callback_count",
                &b.progress.callback_count,
                &a.progress.callback_count,
            )
            .compare(
                "unreachable_callbacks",
                &b.progress.unreachable_since_resolution,
                &a.progress.unreachable_since_resolution,
            )
            .compare(
                "last_callback_outcome",
                &b.last_callback_outcome,
                &a.last_callback_outcome,
            )
            .compare(
                "reopen_count",
                &b.progress.reopen_count,
                &a.progress.reopen_count,
            )
            .compare(
                "first_response_time",
                &b.milestones.first_response_time,
                &a.milestones.first_response_time,
            )
            .compare(
                "triage_time",
                &b.milestones.triage_time,
                &a.milestones.triage_time,
            )
            .compare(
                "resolve_times",
                &b.milestones.resolve_times,
                &a.milestones.resolve_times,
            )
            .compare(
                "close_time",
                &b.milestones.close_time,
                &a.milestones.close_time,
            )
            .compare("closure_reason", &b.progress.closure, &a.progress.closure)
            .compare(
                "last_satisfaction_level",
                &b.last_satisfaction_level,
                &a.last_satisfaction_level,
            );
        c.into_paths()
    }

    fn created_side(&self) -> Vec<StepDraft> {
        vec![StepDraft {
            kind: StepKind::Received,
            state_before: None,
            state_after: self.state(),
            note: String::new(),
            decision: format!(
                "category {}; severity {}",
                self.category.name(),
                self.severity.name()
            ),
        }]
    }

    /// A change of category or severity is itself a step.
    fn updated_side(before: &Self, after: &Self) -> Vec<StepDraft> {
        let mut decided = Vec::new();
        if before.category != after.category {
            decided.push(format!(
                "category {} -> {}",
                before.category.name(),
                after.category.name()
            ));
        }
        if before.severity != after.severity {
            decided.push(format!(
                "severity {} -> {}",
                before.severity.name(),
                after.severity.name()
            ));
        }
        if decided.is_empty() {
            return Vec::new();
        }
        vec![StepDraft {
            kind: StepKind::Reclassified,
            state_before: Some(before.state()),
            state_after: after.state(),
            note: String::new(),
            decision: decided.join("; "),
        }]
    }
}

const fn field(path: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec { path, ty }
}

/// Filterable fields of ListComplaints, as documented in the proto.
pub const FILTER: Schema = Schema {
    fields: &[
        field("state", FieldType::Enum(State::ALL)),
        field("severity", FieldType::Ranked(Severity::ALL)),
        field("category", FieldType::Enum(Category::ALL)),
        field("customer", FieldType::Text),
        field("intake_channel", FieldType::Text),
        field("handling_department", FieldType::Text),
        field("supplier", FieldType::Text),
        field("validity", FieldType::Enum(Verdict::ALL)),
        field("received_time", FieldType::Timestamp),
        field("customer_tier", FieldType::Enum(Tier::ALL)),
        field("customer_relationship", FieldType::Enum(Relationship::ALL)),
        field("customer_value_grade", FieldType::Enum(ValueGrade::ALL)),
        field("customer_sales_region", FieldType::Text),
        field("customer_country", FieldType::Text),
        field("create_time", FieldType::Timestamp),
        field("update_time", FieldType::Timestamp),
        field("warning_level", FieldType::Ranked(WarningLevel::ALL)),
        field("first_response_due_time", FieldType::Timestamp),
        field("resolution_due_time", FieldType::Timestamp),
        field("callback_due_time", FieldType::Timestamp),
    ],
    labels: true,
};

/// Fields ListComplaints can be ordered by; newest received first by default.
pub const ORDERABLE: Orderable = Orderable {
    fields: &[
        "received_time",
        "state",
        "severity",
        "category",
        "customer_tier",
        "create_time",
        "update_time",
        "warning_level",
        "first_response_due_time",
        "resolution_due_time",
        "callback_due_time",
    ],
    default_field: "received_time",
    default_descending: true,
};

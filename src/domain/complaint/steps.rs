//! The history of a complaint: one step per registration, transition and
//! reclassification, written in the transaction of the change and never
//! updated or removed.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::State;
use crate::domain::resource::Timestamp;

closed_enum!(StepKind {
    Received = 1 => "RECEIVED", Triaged = 2 => "TRIAGED", Assigned = 3 => "ASSIGNED",
    CustomerContacted = 4 => "CUSTOMER_CONTACTED", WaitingOnCustomer = 5 => "WAITING_ON_CUSTOMER",
    Resumed = 6 => "RESUMED", Resolved = 7 => "RESOLVED", CallbackRecorded = 8 => "CALLBACK_RECORDED",
    Closed = 9 => "CLOSED", Withdrawn = 10 => "WITHDRAWN", Reclassified = 11 => "RECLASSIFIED",
    WarningRaised = 12 => "WARNING_RAISED", TargetBreached = 13 => "TARGET_BREACHED",
});

/// A step as a change produces it; the store numbers it and adds who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDraft {
    pub kind: StepKind,
    pub state_before: Option<State>,
    pub state_after: State,
    pub note: String,
    /// What the step decided, in words.
    pub decision: String,
}

/// A stored step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub complaint: Uuid,
    /// From 1, in the order the steps were written.
    pub number: i64,
    pub actor: String,
    pub time: Timestamp,
    pub draft: StepDraft,
}

impl Step {
    pub fn resource_name(&self) -> String {
        format!("complaints/{}/steps/{}", self.complaint, self.number)
    }
}

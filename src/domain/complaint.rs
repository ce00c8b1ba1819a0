//! Complaints (DOMAIN.md section 3): received on a channel, triaged valid or
//! not, handled by a department (or followed through to a supplier),
//! remedied, and closed only when a callback finds the customer satisfied,
//! after repeated unreachable callbacks, or on the customer's withdrawal.
//! `process` is the state machine every transition goes through.

pub mod analysis;
mod body;
mod input;
pub mod process;
pub mod steps;
pub mod targets;
pub mod transitions;

pub use body::*;
pub use input::*;

closed_enum! {
    /// Where a complaint stands. Codes are the proto's `Complaint.State`.
    State {
        Received = 1 => "RECEIVED",
        InProgress = 2 => "IN_PROGRESS",
        WaitingOnCustomer = 3 => "WAITING_ON_CUSTOMER",
        Resolved = 4 => "RESOLVED",
        Closed = 5 => "CLOSED",
    }
}

closed_enum! {
    /// Why a complaint was closed.
    ClosureReason {
        Satisfied = 1 => "SATISFIED",
        Invalid = 2 => "INVALID",
        Withdrawn = 3 => "WITHDRAWN",
        Unreachable = 4 => "UNREACHABLE",
    }
}

closed_enum! {
    /// What a callback after a resolution found.
    CallbackOutcome {
        Satisfied = 1 => "CALLBACK_SATISFIED",
        NotSatisfied = 2 => "CALLBACK_NOT_SATISFIED",
        Unreachable = 3 => "CALLBACK_UNREACHABLE",
    }
}

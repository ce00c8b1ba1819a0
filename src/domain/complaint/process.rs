//! The complaint process as a pure state machine: each transition (one
//! custom method of ComplaintService) either moves the complaint's progress
//! on or is refused, naming the current state and the method. There is no
//! way to close a valid complaint except a satisfied callback, the
//! unreachable rule, or the customer's withdrawal.
//!
//! | transition              | allowed from                          | leads to                          |
//! |-------------------------|---------------------------------------|-----------------------------------|
//! | TriageComplaint valid   | RECEIVED, IN_PROGRESS (re-judge)      | IN_PROGRESS                       |
//! | TriageComplaint invalid | RECEIVED, IN_PROGRESS (re-judge)      | CLOSED, reason INVALID            |
//! | AssignComplaint         | any open state                        | unchanged                         |
//! | RecordCustomerContact   | any open state                        | unchanged                         |
//! | WaitOnCustomer          | IN_PROGRESS                           | WAITING_ON_CUSTOMER               |
//! | ResumeComplaint         | WAITING_ON_CUSTOMER                   | IN_PROGRESS                       |
//! | ResolveComplaint        | IN_PROGRESS, WAITING_ON_CUSTOMER      | RESOLVED (unreachable count 0)    |
//! | RecordCallback satisfied| RESOLVED                              | CLOSED, reason SATISFIED          |
//! | RecordCallback not sat. | RESOLVED                              | IN_PROGRESS, reopen count + 1     |
//! | RecordCallback unreach. | RESOLVED                              | RESOLVED, unreachable count + 1   |
//! | CloseComplaint          | RESOLVED with unreachable ≥ the limit | CLOSED, reason UNREACHABLE        |
//! | WithdrawComplaint       | any open state                        | CLOSED, reason WITHDRAWN          |
//!
//! "Open" is every state but CLOSED. A closed complaint takes no transition.

use super::{CallbackOutcome, ClosureReason, State};
use crate::domain::ClosedEnum;
use crate::error::Error;

/// Unreachable callbacks since the latest resolution after which
/// CloseComplaint may close it (the default of the documented rule).
pub const UNREACHABLE_CALLBACKS_TO_CLOSE: u32 = 3;

/// One transition of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Triage { valid: bool },
    Assign,
    RecordCustomerContact,
    WaitOnCustomer,
    Resume,
    Resolve,
    RecordCallback(CallbackOutcome),
    Close,
    Withdraw,
}

impl Transition {
    /// The custom method that performs it, as refusals name it.
    pub fn method(self) -> &'static str {
        match self {
            Transition::Triage { .. } => "TriageComplaint",
            Transition::Assign => "AssignComplaint",
            Transition::RecordCustomerContact => "RecordCustomerContact",
            Transition::WaitOnCustomer => "WaitOnCustomer",
            Transition::Resume => "ResumeComplaint",
            Transition::Resolve => "ResolveComplaint",
            Transition::RecordCallback(_) => "RecordCallback",
            Transition::Close => "CloseComplaint",
            Transition::Withdraw => "WithdrawComplaint",
        }
    }
}

/// The part of a complaint the process decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub state: State,
    /// Set exactly when the state is CLOSED.
    pub closure: Option<ClosureReason>,
    /// Times a callback found the customer not satisfied.
    pub reopen_count: u32,
    /// Times the complaint was resolved.
    pub resolution_count: u32,
    /// Callbacks that reached the customer, over all resolutions.
    pub callback_count: u32,
    /// Unreachable callback attempts since the latest resolution.
    pub unreachable_since_resolution: u32,
}

/// A transition the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub state: State,
    pub method: &'static str,
    pub why: String,
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        Error::FailedPrecondition {
            reason: "INVALID_STATE",
            subject: format!("state {}", refused.state.name()),
            description: refused.why,
        }
    }
}

impl Progress {
    /// A complaint just received.
    pub fn received() -> Self {
        Progress {
            state: State::Received,
            closure: None,
            reopen_count: 0,
            resolution_count: 0,
            callback_count: 0,
            unreachable_since_resolution: 0,
        }
    }

    pub fn is_open(&self) -> bool {
        self.state != State::Closed
    }

    /// The progress after `transition`, or why it is refused.
    /// `unreachable_to_close` is the close rule's limit (by default
    /// [`UNREACHABLE_CALLBACKS_TO_CLOSE`]).
    pub fn apply(
        &self,
        transition: Transition,
        unreachable_to_close: u32,
    ) -> Result<Self, Refused> {
        use State::*;
        let refuse = |why: String| Refused {
            state: self.state,
            method: transition.method(),
            why,
        };
        let not_from = || {
            refuse(format!(
                "{} is not allowed while the complaint is {}",
                transition.method(),
                self.state.name()
            ))
        };
        let mut next = *self;
        let closing = |reason| Progress {
            state: Closed,
            closure: Some(reason),
            ..*self
        };
        match (self.state, transition) {
            (Closed, _) => return Err(not_from()),
            (Received | InProgress, Transition::Triage { valid: true }) => next.state = InProgress,
            (Received | InProgress, Transition::Triage { valid: false }) => {
                next = closing(ClosureReason::Invalid);
            }
            (_, Transition::Assign | Transition::RecordCustomerContact) => {}
            (InProgress, Transition::WaitOnCustomer) => next.state = WaitingOnCustomer,
            (WaitingOnCustomer, Transition::Resume) => next.state = InProgress,
            (InProgress | WaitingOnCustomer, Transition::Resolve) => {
                next.state = Resolved;
                next.resolution_count += 1;
                next.unreachable_since_resolution = 0;
            }
            (Resolved, Transition::RecordCallback(outcome)) => match outcome {
                CallbackOutcome::Satisfied => {
                    next = closing(ClosureReason::Satisfied);
                    next.callback_count += 1;
                }
                CallbackOutcome::NotSatisfied => {
                    next.state = InProgress;
                    next.reopen_count += 1;
                    next.callback_count += 1;
                }
                CallbackOutcome::Unreachable => next.unreachable_since_resolution += 1,
            },
            (Resolved, Transition::Close) => {
                if self.unreachable_since_resolution < unreachable_to_close {
                    return Err(refuse(format!(
                        "CloseComplaint needs {unreachable_to_close} unreachable callbacks since the latest resolution; there were {}",
                        self.unreachable_since_resolution
                    )));
                }
                next = closing(ClosureReason::Unreachable);
            }
            (_, Transition::Withdraw) => next = closing(ClosureReason::Withdrawn),
            _ => return Err(not_from()),
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    //! Every (state, transition) pair, against the table in the module
    //! documentation, written out here by hand.

    use super::*;
    use CallbackOutcome as C;
    use State::*;

    const ALL_STATES: [State; 5] = [Received, InProgress, WaitingOnCustomer, Resolved, Closed];
    const ALL_TRANSITIONS: [Transition; 12] = [
        Transition::Triage { valid: true },
        Transition::Triage { valid: false },
        Transition::Assign,
        Transition::RecordCustomerContact,
        Transition::WaitOnCustomer,
        Transition::Resume,
        Transition::Resolve,
        Transition::RecordCallback(C::Satisfied),
        Transition::RecordCallback(C::NotSatisfied),
        Transition::RecordCallback(C::Unreachable),
        Transition::Close,
        Transition::Withdraw,
    ];

    fn at(state: State, unreachable: u32) -> Progress {
        Progress {
            state,
            closure: (state == Closed).then_some(ClosureReason::Satisfied),
            unreachable_since_resolution: unreachable,
            ..Progress::received()
        }
    }

    /// The expected state (and closure) after each pair, or None if refused;
    /// with 3 unreachable callbacks behind a RESOLVED complaint.
    fn expected(state: State, t: Transition) -> Option<(State, Option<ClosureReason>)> {
        use ClosureReason as R;
        use Transition as T;
        let open = state != Closed;
        Some(match (state, t) {
            (Received | InProgress, T::Triage { valid: true }) => (InProgress, None),
            (Received | InProgress, T::Triage { valid: false }) => (Closed, Some(R::Invalid)),
            (s, T::Assign | T::RecordCustomerContact) if open => (s, None),
            (InProgress, T::WaitOnCustomer) => (WaitingOnCustomer, None),
            (WaitingOnCustomer, T::Resume) => (InProgress, None),
            (InProgress | WaitingOnCustomer, T::Resolve) => (Resolved, None),
            (Resolved, T::RecordCallback(C::Satisfied)) => (Closed, Some(R::Satisfied)),
            (Resolved, T::RecordCallback(C::NotSatisfied)) => (InProgress, None),
            (Resolved, T::RecordCallback(C::Unreachable)) => (Resolved, None),
            (Resolved, T::Close) => (Closed, Some(R::Unreachable)),
            (_, T::Withdraw) if open => (Closed, Some(R::Withdrawn)),
            _ => return None,
        })
    }

    #[test]
    fn every_state_and_transition_pair_follows_the_table() {
        let mut allowed = 0;
        for state in ALL_STATES {
            for t in ALL_TRANSITIONS {
                let got = at(state, 3).apply(t, UNREACHABLE_CALLBACKS_TO_CLOSE);
                match (expected(state, t), got) {
                    (Some((s, closure)), Ok(next)) => {
                        allowed += 1;
                        assert_eq!(
                            (next.state, next.closure),
                            (s, closure),
                            "{state:?} + {t:?}"
                        );
                    }
                    (None, Err(refused)) => {
                        assert_eq!((refused.state, refused.method), (state, t.method()));
                        assert!(refused.why.contains(state.name()), "{}", refused.why);
                    }
                    (want, got) => panic!("{state:?} + {t:?}: expected {want:?}, got {got:?}"),
                }
            }
        }
        // 2 + 2 triage, 4 + 4 assign/contact, 1 wait, 1 resume, 2 resolve,
        // 3 callbacks, 1 close, 4 withdraw.
        assert_eq!(allowed, 24);
    }

    #[test]
    fn closing_as_unreachable_needs_the_limit_of_attempts_since_the_latest_resolution() {
        let resolved = at(InProgress, 0).apply(Transition::Resolve, 3).unwrap();
        let mut p = resolved;
        for attempt in 0..3 {
            let refused = p.apply(Transition::Close, 3).unwrap_err();
            assert!(
                refused.why.contains(&format!("there were {attempt}")),
                "{}",
                refused.why
            );
            p = p
                .apply(Transition::RecordCallback(C::Unreachable), 3)
                .unwrap();
            assert_eq!(p.state, Resolved);
        }
        assert_eq!(p.unreachable_since_resolution, 3);
        let closed = p.apply(Transition::Close, 3).unwrap();
        assert_eq!(closed.closure, Some(ClosureReason::Unreachable));
        // Unreachable attempts are not callbacks.
        assert_eq!(closed.callback_count, 0);

        // Two attempts, a not-satisfied callback and a new resolution start
        // the count again.
        let mut p = resolved;
        for _ in 0..2 {
            p = p
                .apply(Transition::RecordCallback(C::Unreachable), 3)
                .unwrap();
        }
        p = p
            .apply(Transition::RecordCallback(C::NotSatisfied), 3)
            .unwrap();
        p = p.apply(Transition::Resolve, 3).unwrap();
        assert_eq!(p.unreachable_since_resolution, 0);
        p = p
            .apply(Transition::RecordCallback(C::Unreachable), 3)
            .unwrap();
        assert!(p.apply(Transition::Close, 3).is_err());
        // A limit of 1 closes after one.
        assert!(p.apply(Transition::Close, 1).is_ok());
    }

    #[test]
    fn the_full_path_counts_resolutions_reopens_and_callbacks() {
        let steps = [
            Transition::Triage { valid: true },
            Transition::Assign,
            Transition::RecordCustomerContact,
            Transition::WaitOnCustomer,
            Transition::Resume,
            Transition::Resolve,
            Transition::RecordCallback(C::NotSatisfied),
            Transition::Resolve,
            Transition::RecordCallback(C::Unreachable),
            Transition::RecordCallback(C::Satisfied),
        ];
        let states: Vec<State> = steps
            .iter()
            .scan(Progress::received(), |p, t| {
                *p = p.apply(*t, 3).unwrap();
                Some(p.state)
            })
            .collect();
        assert_eq!(
            states,
            [
                InProgress,
                InProgress,
                InProgress,
                WaitingOnCustomer,
                InProgress,
                Resolved,
                InProgress,
                Resolved,
                Resolved,
                Closed
            ]
        );
        let end = steps
            .iter()
            .fold(Progress::received(), |p, t| p.apply(*t, 3).unwrap());
        assert_eq!(
            end,
            Progress {
                state: Closed,
                closure: Some(ClosureReason::Satisfied),
                reopen_count: 1,
                resolution_count: 2,
                callback_count: 2,
                unreachable_since_resolution: 1,
            }
        );
        assert!(!end.is_open());
    }

    #[test]
    fn a_refusal_is_failed_precondition_naming_the_state() {
        let refused = at(Received, 0).apply(Transition::Resolve, 3).unwrap_err();
        let Error::FailedPrecondition {
            reason,
            subject,
            description,
        } = Error::from(refused)
        else {
            panic!("expected FAILED_PRECONDITION");
        };
        assert_eq!(reason, "INVALID_STATE");
        assert_eq!(subject, "state RECEIVED");
        assert_eq!(
            description,
            "ResolveComplaint is not allowed while the complaint is RECEIVED"
        );
    }
}

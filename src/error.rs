//! The one error vocabulary of the service: what a caller can act on. Every
//! layer returns it; only `grpc::status` turns it into a gRPC status.

use std::fmt;

/// One invalid request field, named by its path in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; every bad field is listed.
    #[error("invalid argument: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// The named resource does not exist.
    #[error("{resource} not found")]
    NotFound { resource: String },
    /// The resource is not in a state that allows the call.
    #[error("{description}")]
    FailedPrecondition {
        /// Stable UPPER_SNAKE reason, e.g. `RESOURCE_DELETED`.
        reason: &'static str,
        /// What is in the wrong state, e.g. a resource name.
        subject: String,
        description: String,
    },
    /// A concurrent change won: the etag sent is stale.
    #[error("etag mismatch on {resource}")]
    Aborted { resource: String },
    /// The server is at its limit of concurrent calls; retry with backoff.
    #[error("overloaded")]
    Overloaded,
    /// A documented limit (not load) refuses the call, e.g. the number of
    /// open streams; retry once the caller has released something.
    #[error("{description}")]
    LimitReached {
        /// Stable UPPER_SNAKE reason, e.g. `TOO_MANY_STREAMS`.
        reason: &'static str,
        description: String,
    },
    /// The call ran past the server's time limit.
    #[error("deadline exceeded")]
    TimedOut,
    /// The database rolled the call's transaction back in favour of a
    /// concurrent one (deadlock, serialization failure): nothing was written
    /// and the same call can be retried at once. The text is logged.
    #[error("transaction aborted: {0}")]
    TransactionAborted(String),
    /// Storage cannot be reached; the call is safe to retry.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The server is stopping: a stream ends, to be resumed elsewhere.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// A bug or an unexpected state. The text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A request with one bad field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::InvalidArgument(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    pub fn internal(context: impl fmt::Display) -> Self {
        Error::Internal(context.to_string())
    }
}

/// Collects every violation of a request before answering, so the caller
/// can fix them all at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Keeps the value of a check that passed; records the failure otherwise.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(description) => {
                self.add(field, description);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok when nothing was recorded, otherwise the INVALID_ARGUMENT error.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidArgument(self.0))
        }
    }

    /// `value` when nothing was recorded, otherwise the violations.
    pub fn finish_with<T>(self, value: T) -> Result<T, Violations> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// For a value a passed check guarantees: Internal instead of a panic if
    /// that guarantee were ever broken.
    pub fn into_error(self) -> Error {
        if self.0.is_empty() {
            Error::internal("a required value was missing without a recorded violation")
        } else {
            Error::InvalidArgument(self.0)
        }
    }

    /// The same violations with every path placed under `prefix`: a
    /// resource's own paths become request paths (`display_name` ->
    /// `customer.display_name`).
    pub fn under(self, prefix: &str) -> Self {
        Violations(
            self.0
                .into_iter()
                .map(|v| FieldViolation {
                    field: format!("{prefix}.{}", v.field),
                    description: v.description,
                })
                .collect(),
        )
    }

    /// Moves every violation of `other` into this one.
    pub fn extend(&mut self, other: Violations) {
        self.0.extend(other.0);
    }

    pub fn into_violations(self) -> Vec<FieldViolation> {
        self.0
    }
}

impl From<Violations> for Error {
    fn from(violations: Violations) -> Self {
        violations.into_error()
    }
}

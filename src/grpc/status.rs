//! The one place where the error vocabulary becomes a gRPC status: canonical
//! code, short message, ErrorInfo always, BadRequest or PreconditionFailure
//! where they apply, RetryInfo on every error a caller may simply retry.
//! Internal causes are logged here and never sent.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::Error;

/// The ErrorInfo domain of every error this service returns.
pub const ERROR_DOMAIN: &str = "crm.v1";

/// Messages travel in HTTP/2 headers: name a few violations, count the rest.
const VIOLATIONS_IN_MESSAGE: usize = 3;

/// How long a caller should wait before retrying: a transaction that lost to
/// a concurrent one can run again almost at once; an overloaded or
/// unavailable server needs a moment.
const RETRY_CONFLICT_AFTER: Duration = Duration::from_millis(50);
const RETRY_UNAVAILABLE_AFTER: Duration = Duration::from_secs(1);

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        to_status(err)
    }
}

pub fn to_status(err: Error) -> Status {
    let mut details = ErrorDetails::new();
    let (code, reason, message) = match err {
        Error::InvalidArgument(violations) => {
            let mut message: Vec<String> = violations
                .iter()
                .take(VIOLATIONS_IN_MESSAGE)
                .map(|v| format!("{}: {}", v.field, v.description))
                .collect();
            if violations.len() > VIOLATIONS_IN_MESSAGE {
                message.push(format!(
                    "and {} more",
                    violations.len() - VIOLATIONS_IN_MESSAGE
                ));
            }
            for v in violations {
                details.add_bad_request_violation(v.field, v.description);
            }
            (
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
                message.join("; "),
            )
        }
        Error::NotFound { resource } => {
            let message = format!("{resource} not found");
            details.set_resource_info(kind_of(&resource), &resource, "", &message);
            (Code::NotFound, "RESOURCE_NOT_FOUND", message)
        }
        Error::FailedPrecondition {
            reason,
            subject,
            description,
        } => {
            details.add_precondition_failure_violation(reason, subject, &description);
            (Code::FailedPrecondition, reason, description)
        }
        Error::Aborted { resource } => (
            Code::Aborted,
            "ETAG_MISMATCH",
            format!("{resource} was changed by someone else; read it again and retry"),
        ),
        Error::TransactionAborted(cause) => {
            tracing::info!(%cause, "transaction aborted by a concurrent one");
            details.set_retry_info(Some(RETRY_CONFLICT_AFTER));
            (
                Code::Aborted,
                "TRANSACTION_ABORTED",
                "a concurrent call conflicted with this one; nothing was changed, retry it".into(),
            )
        }
        Error::Overloaded => {
            details.set_retry_info(Some(RETRY_UNAVAILABLE_AFTER));
            (
                Code::ResourceExhausted,
                "OVERLOADED",
                "the server is at its limit of concurrent calls; retry with backoff".into(),
            )
        }
        Error::LimitReached {
            reason,
            description,
        } => (Code::ResourceExhausted, reason, description),
        Error::TimedOut => (
            Code::DeadlineExceeded,
            "SERVER_TIMEOUT",
            "the call took longer than the server's limit".into(),
        ),
        Error::Unavailable(cause) => {
            tracing::warn!(%cause, "storage unavailable");
            details.set_retry_info(Some(RETRY_UNAVAILABLE_AFTER));
            (
                Code::Unavailable,
                "STORAGE_UNAVAILABLE",
                "storage is unavailable; retry later".into(),
            )
        }
        Error::ShuttingDown => {
            details.set_retry_info(Some(RETRY_UNAVAILABLE_AFTER));
            (
                Code::Unavailable,
                "SHUTTING_DOWN",
                "the server is shutting down; reconnect, to another copy if there is one, with the last sequence received".into(),
            )
        }
        Error::Internal(cause) => {
            tracing::error!(%cause, "internal error");
            (Code::Internal, "INTERNAL", "internal error".into())
        }
    };
    details.set_error_info(reason, ERROR_DOMAIN, HashMap::<String, String>::new());
    Status::with_error_details(code, message, details)
}

/// `customers/abc` -> `customers`.
fn kind_of(resource: &str) -> &str {
    resource.split('/').next().unwrap_or(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry_delay(status: &Status) -> Option<Duration> {
        status
            .get_details_retry_info()
            .and_then(|info| info.retry_delay)
    }

    #[test]
    fn a_transaction_lost_to_a_concurrent_one_is_aborted_and_says_retry() {
        let status = to_status(Error::TransactionAborted("deadlock detected".into()));
        assert_eq!(status.code(), Code::Aborted);
        let info = status.get_details_error_info().expect("ErrorInfo");
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("TRANSACTION_ABORTED", ERROR_DOMAIN)
        );
        assert_eq!(retry_delay(&status), Some(RETRY_CONFLICT_AFTER));
        assert!(!status.message().contains("deadlock"), "{status:?}");
    }

    #[test]
    fn unavailable_storage_says_retry_and_hides_the_cause() {
        let status = to_status(Error::Unavailable("connection refused".into()));
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(retry_delay(&status), Some(RETRY_UNAVAILABLE_AFTER));
        assert!(!status.message().contains("refused"), "{status:?}");
    }

    #[test]
    fn an_internal_error_does_not_invite_a_retry() {
        let status = to_status(Error::Internal("bug".into()));
        assert_eq!(status.code(), Code::Internal);
        assert!(status.get_details_retry_info().is_none());
    }
}

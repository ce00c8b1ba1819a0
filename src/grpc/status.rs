//! The one place where the error vocabulary becomes a gRPC status: canonical
//! code, short message, ErrorInfo always, BadRequest or PreconditionFailure
//! where they apply. Internal causes are logged here and never sent.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::Error;

/// The ErrorInfo domain of every error this service returns.
pub const ERROR_DOMAIN: &str = "crm.v1";

/// Messages travel in HTTP/2 headers: name a few violations, count the rest.
const VIOLATIONS_IN_MESSAGE: usize = 3;

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
        Error::Overloaded => (
            Code::ResourceExhausted,
            "OVERLOADED",
            "the server is at its limit of concurrent calls; retry with backoff".into(),
        ),
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
            (
                Code::Unavailable,
                "STORAGE_UNAVAILABLE",
                "storage is unavailable; retry later".into(),
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

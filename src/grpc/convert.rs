//! Translation between protobuf values and domain values that every resource
//! shares: times, labels, bookkeeping fields, list requests, the caller.

use std::collections::HashMap;

use tonic::Request;

use crate::domain::channel::DurationInput;
use crate::domain::input::TimeInput;
use crate::domain::money::Money;
use crate::domain::resource::{Labels, Meta, Timestamp};
use crate::usecases::Call;

/// The header a calling service names its actor with, until authentication.
pub const ACTOR_HEADER: &str = "x-actor";

/// A use-case list request from any List request message: they share the
/// standard field names.
macro_rules! list_request {
    ($request:expr, show_deleted: $show_deleted:expr) => {{
        let r = $request;
        $crate::usecases::ListRequest {
            show_deleted: $show_deleted(&r),
            filter: r.filter,
            order_by: r.order_by,
            page_size: r.page_size,
            page_token: r.page_token,
        }
    }};
}

/// The gRPC method of a call (`/package.Service/Method`), recorded by a tower
/// layer from the HTTP path: tonic's own `GrpcMethod` is set only by clients.
#[derive(Debug, Clone)]
pub struct MethodPath(pub String);

/// The caller and method of a request.
pub fn call<T>(request: &Request<T>) -> Call {
    let method = request
        .extensions()
        .get::<MethodPath>()
        .map(|path| path.0.clone())
        .unwrap_or_default();
    let actor = request
        .metadata()
        .get(ACTOR_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|actor| !actor.is_empty())
        .unwrap_or("anonymous")
        .chars()
        .take(200)
        .collect();
    Call { method, actor }
}

pub fn labels_to_pb(labels: &Labels) -> HashMap<String, String> {
    labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

pub fn timestamp_to_pb(time: Timestamp) -> prost_types::Timestamp {
    let (seconds, nanos) = time.parts();
    prost_types::Timestamp { seconds, nanos }
}

/// An exact amount in its wire form.
pub fn money_to_pb(m: &Money) -> crate::pb::Money {
    crate::pb::Money {
        currency_code: m.currency_code.clone(),
        units: m.units,
        nanos: m.nanos,
    }
}

/// A caller's timestamp as domain input; the domain checks its range.
pub fn time_input(time: &prost_types::Timestamp) -> TimeInput {
    TimeInput {
        seconds: time.seconds,
        nanos: time.nanos,
    }
}

/// A caller's span as domain input; the domain checks its range.
pub fn duration_input(span: &prost_types::Duration) -> DurationInput {
    DurationInput {
        seconds: span.seconds,
        nanos: span.nanos,
    }
}

pub fn duration_to_pb(span: DurationInput) -> prost_types::Duration {
    prost_types::Duration {
        seconds: span.seconds,
        nanos: span.nanos,
    }
}

/// The bookkeeping fields every resource message carries.
pub struct MetaFields {
    pub create_time: Option<prost_types::Timestamp>,
    pub update_time: Option<prost_types::Timestamp>,
    pub delete_time: Option<prost_types::Timestamp>,
    pub etag: String,
}

pub fn meta_to_pb(meta: &Meta) -> MetaFields {
    MetaFields {
        create_time: Some(timestamp_to_pb(meta.create_time)),
        update_time: Some(timestamp_to_pb(meta.update_time)),
        delete_time: meta.delete_time.map(timestamp_to_pb),
        etag: meta.etag(),
    }
}

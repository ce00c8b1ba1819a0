//! Translation between protobuf values and domain values that every resource
//! shares: names, enums, times, labels, request ids, the caller.

use std::collections::HashMap;

use tonic::Request;
use uuid::Uuid;

use crate::domain::ClosedEnum;
use crate::domain::resource::{Collection, Labels, Meta, Timestamp};
use crate::error::{Error, Violations};
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

pub fn parse_name(collection: Collection, field: &str, name: &str) -> Result<Uuid, Error> {
    collection
        .parse_name(name)
        .map_err(|description| Error::invalid(field, description))
}

/// An empty request id means none; anything else must be a UUID.
pub fn request_id(v: &mut Violations, text: &str) -> Option<Uuid> {
    if text.is_empty() {
        return None;
    }
    v.check(
        "request_id",
        Uuid::parse_str(text).map_err(|_| "must be a UUID".to_owned()),
    )
}

/// An empty etag means "don't check".
pub fn etag(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// An optional closed value: 0 is "not recorded".
pub fn optional_enum<E: ClosedEnum>(v: &mut Violations, field: &str, code: i32) -> Option<E> {
    if code == 0 {
        return None;
    }
    let value = E::from_code(code);
    if value.is_none() {
        v.add(field, format!("{code} is not a known value"));
    }
    value
}

/// A required closed value: 0 is refused.
pub fn required_enum<E: ClosedEnum>(v: &mut Violations, field: &str, code: i32) -> Option<E> {
    if code == 0 {
        v.add(field, "is required");
        return None;
    }
    optional_enum(v, field, code)
}

pub fn enum_code<E: ClosedEnum>(value: Option<E>) -> i32 {
    value.map_or(0, E::code)
}

pub fn labels(v: &mut Violations, field: &str, labels: &HashMap<String, String>) -> Labels {
    Labels::parse(labels).unwrap_or_else(|problems| {
        for (key, description) in problems {
            let path = if key.is_empty() {
                field.to_owned()
            } else {
                format!("{field}[{key:?}]")
            };
            v.add(path, description);
        }
        Labels::default()
    })
}

pub fn labels_to_pb(labels: &Labels) -> HashMap<String, String> {
    labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

pub fn timestamp_to_pb(time: Timestamp) -> prost_types::Timestamp {
    let micros = time.micros();
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// A timestamp from a caller: valid range, truncated to microseconds.
pub fn timestamp(
    v: &mut Violations,
    field: &str,
    time: &prost_types::Timestamp,
) -> Option<Timestamp> {
    let valid = (0..1_000_000_000).contains(&time.nanos)
        && chrono::DateTime::from_timestamp(time.seconds, 0).is_some()
        && time.seconds.checked_mul(1_000_000).is_some();
    if !valid {
        v.add(field, "is not a valid timestamp");
        return None;
    }
    Some(Timestamp(
        time.seconds * 1_000_000 + i64::from(time.nanos / 1000),
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_at_microsecond_precision() {
        let mut v = Violations::new();
        let pb = prost_types::Timestamp {
            seconds: -1,
            nanos: 999_999_000,
        };
        let time = timestamp(&mut v, "t", &pb).unwrap();
        assert_eq!(time, Timestamp(-1));
        assert_eq!(timestamp_to_pb(time), pb);
        assert!(
            timestamp(
                &mut v,
                "t",
                &prost_types::Timestamp {
                    seconds: 0,
                    nanos: -1
                }
            )
            .is_none()
        );
        assert!(
            timestamp(
                &mut v,
                "t",
                &prost_types::Timestamp {
                    seconds: i64::MAX,
                    nanos: 0
                }
            )
            .is_none()
        );
        match v.finish() {
            Err(Error::InvalidArgument(found)) => assert_eq!(found.len(), 2),
            other => panic!("expected two violations, got {other:?}"),
        }
    }
}

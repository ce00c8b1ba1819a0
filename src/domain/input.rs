//! Reading a caller's input into domain values: closed values from their
//! codes, times from (seconds, nanos), free text, each problem recorded
//! under its field path so that a caller learns every one at once.

use serde::{Deserialize, Serialize};

use super::ClosedEnum;
use super::resource::Timestamp;
use super::text;
use crate::error::Violations;

/// An optional closed value: 0 is "not recorded".
pub fn optional_code<E: ClosedEnum>(v: &mut Violations, field: &str, code: i32) -> Option<E> {
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
pub fn required_code<E: ClosedEnum>(v: &mut Violations, field: &str, code: i32) -> Option<E> {
    if code == 0 {
        v.add(field, "is required");
        return None;
    }
    optional_code(v, field, code)
}

/// The code of an optional closed value: 0 when absent.
pub fn code_of<E: ClosedEnum>(value: Option<E>) -> i32 {
    value.map_or(0, ClosedEnum::code)
}

/// An instant as a caller sends it: seconds and nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeInput {
    pub seconds: i64,
    pub nanos: i32,
}

impl From<Timestamp> for TimeInput {
    fn from(time: Timestamp) -> Self {
        let (seconds, nanos) = time.parts();
        TimeInput { seconds, nanos }
    }
}

/// A required instant.
pub fn time(v: &mut Violations, field: &str, time: Option<TimeInput>) -> Option<Timestamp> {
    match time {
        Some(t) => v.check(field, Timestamp::from_parts(t.seconds, t.nanos)),
        None => {
            v.add(field, "is required");
            None
        }
    }
}

/// Required free text: trimmed, 1 to `max` characters.
pub fn required_text(v: &mut Violations, field: &str, value: &str, max: usize) -> Option<String> {
    v.check(field, text::required(value, max))
}

/// Optional free text: trimmed, at most `max` characters; empty when bad.
pub fn optional_text(v: &mut Violations, field: &str, value: &str, max: usize) -> String {
    v.check(field, text::optional(value, max))
        .unwrap_or_default()
}

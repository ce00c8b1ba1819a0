//! Type-checks one comparison against a resource's schema: the field must
//! exist, take the operator, and the literal must parse as the field's type.

use chrono::DateTime;

use super::grammar::{Literal, OPS, Parsed, SYMBOLS};
use super::{FieldSpec, FieldType, Filter, FilterError, Op, Schema, Value};
use crate::domain::resource::is_label_key;

pub(super) const ORDERED: &[Op] = &[Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
const EQUALITY: &[Op] = &[Op::Eq, Op::Ne];

/// Checks a comparison against the schema: a declared field first, then labels.
pub(super) fn resolve(schema: &Schema, path: &str, op: Op, lit: Literal) -> Parsed {
    if let Some(spec) = schema.fields.iter().find(|f| f.path == path) {
        return compare(spec, op, lit);
    }
    if schema.labels && path == "labels" {
        if op != Op::Has {
            bail!("\"labels\" takes \":\" and a key, e.g. labels:vip");
        }
        check_label_key(&lit.text)?;
        return Ok(Filter::LabelPresent { key: lit.text });
    }
    if let Some(key) = path.strip_prefix("labels.").filter(|_| schema.labels) {
        check_label_key(key)?;
        let (key, value) = (key.to_string(), lit.text);
        match op {
            Op::Has if value == "*" && !lit.wild.is_empty() => Ok(Filter::LabelPresent { key }),
            // Label values have no prefix match, so a star must be escaped to be meant.
            Op::Eq | Op::Ne if lit.wild.is_empty() => Ok(Filter::Label { key, op, value }),
            Op::Eq | Op::Ne => bail!("\"{path}\" does not support \"*\"; write \\* for a star"),
            _ => bail!("\"{path}\" takes = or != with a value, or :* to test presence"),
        }
    } else {
        let mut names: Vec<&str> = schema.fields.iter().map(|f| f.path).collect();
        names.extend(schema.labels.then_some("labels.<key>"));
        let list = names.join(", ");
        bail!("unknown field \"{path}\"; filterable fields: {list}")
    }
}

/// Types the literal of a comparison on a declared field.
fn compare(spec: &FieldSpec, op: Op, lit: Literal) -> Parsed {
    let (field, text) = (spec.path, lit.text.as_str());
    // Text takes every comparator; enums, booleans and whole names have no order.
    let ops: &[Op] = match spec.ty {
        FieldType::Text => &OPS,
        FieldType::Enum(_) | FieldType::Bool | FieldType::Key(_) | FieldType::Exact => EQUALITY,
        FieldType::Integer | FieldType::Timestamp | FieldType::Ranked(_) => ORDERED,
    };
    let to_symbol = |op: &Op| OPS.iter().position(|o| o == op).map_or("", |i| SYMBOLS[i]);
    if !ops.contains(&op) {
        let list: Vec<&str> = ops.iter().map(to_symbol).collect();
        let (symbol, list) = (to_symbol(&op), list.join(" "));
        bail!("\"{field}\" does not support \"{symbol}\"; use one of {list}");
    }
    let value = match spec.ty {
        FieldType::Text => {
            // Only a single trailing star after `=` means something (a prefix match).
            let prefix = op == Op::Eq && lit.wild == [text.len().wrapping_sub(1)];
            if !prefix && !lit.wild.is_empty() {
                bail!("\"{field}\" allows \"*\" only at the end after \"=\"; write \\* for a star");
            }
            let op = if prefix { Op::Prefix } else { op };
            let value = Value::Text(text[..text.len() - usize::from(prefix)].to_string());
            return Ok(Filter::Compare { field, op, value });
        }
        FieldType::Key(lookup_form) => {
            if !lit.wild.is_empty() {
                bail!("\"{field}\" matches whole values only; write \\* for a star");
            }
            let value = lookup_form(text);
            return Ok(Filter::Key { field, op, value });
        }
        FieldType::Exact if !lit.wild.is_empty() => {
            bail!("\"{field}\" is compared whole: \"*\" is not allowed; write \\* for a star")
        }
        FieldType::Exact => Some(Value::Text(text.to_string())),
        FieldType::Enum(names) | FieldType::Ranked(names) => {
            names.iter().find(|n| n.0 == text).map(|n| Value::Enum(n.1))
        }
        FieldType::Integer => text.parse().ok().map(Value::Integer),
        FieldType::Bool => text.parse().ok().map(Value::Bool),
        FieldType::Timestamp => {
            let time = DateTime::parse_from_rfc3339(text).ok();
            time.map(|t| Value::Timestamp(t.timestamp_micros()))
        }
    };
    if let Some(value) = value {
        return Ok(Filter::Compare { field, op, value });
    }
    match spec.ty {
        FieldType::Enum(names) | FieldType::Ranked(names) => {
            let list: Vec<&str> = names.iter().map(|n| n.0).collect();
            bail!("\"{field}\" takes one of {}", list.join(", "))
        }
        FieldType::Integer => bail!("\"{field}\" takes a 64-bit integer"),
        FieldType::Bool => bail!("\"{field}\" takes true or false"),
        _ => bail!("\"{field}\" takes an RFC 3339 time such as 2026-01-31T12:00:00Z"),
    }
}

/// Label keys follow the stored-key rule, so `labels.<key>` accepts exactly
/// the keys that can exist.
fn check_label_key(key: &str) -> Result<(), FilterError> {
    if !is_label_key(key) {
        bail!("invalid label key {key:?}: use 1-63 of a-z, 0-9, _ and -, starting with a letter");
    }
    Ok(())
}

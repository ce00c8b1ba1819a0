//! AIP-160 list filters: parses and type-checks filter text against a
//! resource schema into a `Filter` tree; never builds SQL or touches storage.
//! `grammar` reads the text, `typing` checks each comparison against the schema.

use std::fmt;

/// Returns a `FilterError` whose message is formatted like `format!`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(FilterError { message: format!($($arg)*) })
    };
}

mod grammar;
#[cfg(test)]
mod tests;
mod typing;

/// Longest filter accepted, in bytes; checked before any parsing work.
const MAX_LEN: usize = 4096;

/// The type of a filterable field, which decides which literals and operators it accepts.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    /// Free text. Accepts quoted or bare string literals.
    Text,
    /// Text compared whole, with `=` and `!=` only: resource names such as
    /// `channels/{id}` and codes such as `EUR`. No substring or prefix match,
    /// so no case-folded copy is needed.
    Exact,
    /// A closed set of names, each stored as an integer code; literal is a bare or quoted name, e.g. `tier = STRATEGIC`.
    Enum(&'static [(&'static str, i32)]),
    /// A closed set whose codes rise with the value (a severity, a warning
    /// level): like `Enum`, and also ordered, `warning_level >= ORANGE`
    /// comparing codes.
    Ranked(&'static [(&'static str, i32)]),
    /// A 64-bit integer.
    Integer,
    /// true / false.
    Bool,
    /// A point in time; literal is an RFC 3339 string such as "2026-01-31T12:00:00Z" (quoted or bare). Stored as microseconds since the Unix epoch (UTC).
    Timestamp,
    /// An exact value looked up through the resource's key index (e.g. a
    /// contact point's number or address): `=` and `!=` only, the literal
    /// put into lookup form by the function first.
    Key(fn(&str) -> String),
}

/// One filterable field of a resource.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub path: &'static str,
    pub ty: FieldType,
}

/// The fields a resource can be filtered by. `labels` (bool) says whether `labels.<key>` is accepted.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub fields: &'static [FieldSpec],
    pub labels: bool,
}

/// A parsed, validated filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `field OP value` on a schema field. `field` is the schema's `path` (the &'static str from FieldSpec).
    Compare {
        field: &'static str,
        op: Op,
        value: Value,
    },
    /// `labels.key = "v"` (op Eq or Ne only, value is the label value)
    Label {
        key: String,
        op: Op,
        value: String,
    },
    /// `labels.key:*` or `labels:key` : the label key is present
    LabelPresent {
        key: String,
    },
    /// `field = "v"` / `field != "v"` on a Key field: some (no) indexed key
    /// of the field equals `value`, already in lookup form.
    Key {
        field: &'static str,
        op: Op,
        value: String,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `:` on a Text field: case-insensitive substring match
    Has,
    /// `=` on a Text field whose literal ends with an unescaped `*`: prefix match (value holds the prefix without the `*`)
    Prefix,
}

/// A typed comparison value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Integer(i64),
    Bool(bool),
    Timestamp(i64),
    Enum(i32),
}

/// Why a filter was refused; `message` is short lowercase English for developers naming the offending field or position, e.g. `unknown field "colour"; filterable fields: display_name, tier, labels.<key>` or `expected a value after "=" at position 12` or `"tier" takes one of STRATEGIC, KEY, GENERAL, POTENTIAL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FilterError {}

/// Parses `text` against `schema`. Empty or whitespace-only text gives Ok(None) (no filter).
pub fn parse(text: &str, schema: &Schema) -> Result<Option<Filter>, FilterError> {
    if text.len() > MAX_LEN {
        bail!("filter is {} bytes; the limit is {MAX_LEN}", text.len());
    }
    if text.trim().is_empty() {
        return Ok(None);
    }
    grammar::parse_text(text, schema).map(Some)
}

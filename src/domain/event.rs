//! The change log: one event per change of any resource, numbered in commit
//! order, carrying the resource as it is after the change.

use uuid::Uuid;

use super::filter::{FieldSpec, FieldType, Schema};
use super::listing::Orderable;
use super::resource::Timestamp;

/// Standard kinds of change; resources add their own state transitions
/// (for instance `resolved`), always lower_snake_case verbs in the past tense.
pub const CREATED: &str = "created";
pub const UPDATED: &str = "updated";
pub const DELETED: &str = "deleted";
pub const UNDELETED: &str = "undeleted";

/// A change about to be appended; the log assigns sequence, id and time.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub actor: String,
    pub method: String,
    /// Resource name, e.g. `customers/{id}`.
    pub resource: String,
    /// Singular resource type, e.g. `customer`.
    pub resource_type: String,
    pub kind: String,
    /// Field paths, in API terms, whose value changed.
    pub changed_fields: Vec<String>,
    pub etag: String,
    /// The resource after the change in its wire form (the protobuf
    /// encoding of its message), fixed when the event is appended.
    pub snapshot: Vec<u8>,
}

/// An appended change.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the log: strictly increasing in commit order, no gaps.
    pub sequence: i64,
    /// Unique id; the deduplication key for consumers.
    pub id: Uuid,
    pub time: Timestamp,
    pub change: Change,
}

/// Collects the paths whose values differ between two versions.
#[derive(Debug, Default)]
pub struct FieldChanges(Vec<String>);

impl FieldChanges {
    pub fn compare<V: PartialEq>(&mut self, path: &str, before: &V, after: &V) -> &mut Self {
        if before != after {
            self.0.push(path.to_owned());
        }
        self
    }

    pub fn into_paths(self) -> Vec<String> {
        self.0
    }
}

/// ListEvents orders by sequence only; oldest first by default.
pub const ORDERABLE: Orderable = Orderable {
    fields: &["sequence"],
    default_field: "sequence",
    default_descending: false,
};

/// Filterable fields of ListEvents, as documented in the proto.
pub const FILTER: Schema = Schema {
    fields: &[
        FieldSpec {
            path: "sequence",
            ty: FieldType::Integer,
        },
        FieldSpec {
            path: "resource",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "resource_type",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "kind",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "actor",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "method",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "create_time",
            ty: FieldType::Timestamp,
        },
    ],
    labels: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_differing_fields_are_reported_in_order() {
        let mut changes = FieldChanges::default();
        changes
            .compare("a", &1, &1)
            .compare("b.c", &"x", &"y")
            .compare("d", &Some(2), &None);
        assert_eq!(changes.into_paths(), ["b.c", "d"]);
    }
}

//! What every resource shares: its name (with an optional parent), timestamps,
//! version and etag, labels, the soft-delete state, and the standard
//! transitions (update along field paths, delete, undelete) as pure functions
//! of the stored resource, a command and the time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use super::event;
use super::filter::Schema;
use super::listing::Orderable;
use crate::error::{Error, Violations};

/// What the standard methods need to know of a resource's body.
pub trait ResourceBody:
    Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    const COLLECTION: Collection;
    /// Fields a list can be filtered by.
    const FILTER: Schema;
    /// Fields a list can be ordered by, and the default order.
    const ORDERABLE: Orderable;

    /// What a caller may write, unchecked: the writable fields under their API
    /// names (an update merges into it along field paths), closed values as
    /// their codes. Server-owned fields are not part of it.
    type Input: Clone + Default + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Checks every rule of the resource and reports every violation, with
    /// paths relative to the resource. `previous` is the stored version on
    /// an update: server-owned fields are carried over from it. `now` is the
    /// service clock's time, for rules about time (nothing in the future).
    fn from_input(
        input: Self::Input,
        previous: Option<&Self>,
        now: Timestamp,
    ) -> Result<Self, Violations>;

    /// The writable fields as input: `from_input(to_input(x), Some(&x)) == x`.
    fn to_input(&self) -> Self::Input;

    fn labels(&self) -> &Labels;

    /// The other resources this one points at, each of which must exist and
    /// be live when the pointer is written (checked in the write transaction).
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }

    /// Paths, in API field names, whose values differ between two versions.
    fn changed_fields(before: &Self, after: &Self) -> Vec<String>;

    /// Records a change writes beside the resource in its transaction and
    /// never changes afterwards (a complaint's steps); `()` for none.
    type Side: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static;

    /// The side records of a create.
    fn created_side(&self) -> Vec<Self::Side> {
        Vec::new()
    }

    /// The side records of a standard Update from `before` to `after`.
    fn updated_side(_before: &Self, _after: &Self) -> Vec<Self::Side> {
        Vec::new()
    }
}

/// Microseconds since the Unix epoch, UTC: exact on both engines, sortable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn micros(self) -> i64 {
        self.0
    }

    /// A protobuf-style (seconds, nanos) pair, checked and truncated to
    /// microseconds.
    pub fn from_parts(seconds: i64, nanos: i32) -> Result<Self, String> {
        let valid = (0..1_000_000_000).contains(&nanos)
            && chrono::DateTime::from_timestamp(seconds, 0).is_some()
            && seconds.checked_mul(1_000_000).is_some();
        if !valid {
            return Err("is not a valid timestamp".into());
        }
        Ok(Timestamp(seconds * 1_000_000 + i64::from(nanos / 1000)))
    }

    /// The (seconds, nanos) pair of this instant.
    pub fn parts(self) -> (i64, i32) {
        (
            self.0.div_euclid(1_000_000),
            (self.0.rem_euclid(1_000_000) * 1000) as i32,
        )
    }

    /// This instant moved by `micros` (negative: earlier), saturating.
    pub fn plus_micros(self, micros: i64) -> Self {
        Timestamp(self.0.saturating_add(micros))
    }
}

/// RFC 3339 in UTC, e.g. `2026-12-04T09:30:00Z`.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match chrono::DateTime::from_timestamp_micros(self.0) {
            Some(t) => f.write_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            None => write!(f, "{}us", self.0),
        }
    }
}

/// The collection a resource lives in, which gives its name pattern:
/// `{plural}/{id}`, or `{parent plural}/{parent id}/{plural}/{id}` for a
/// collection nested under a parent (AIP-122).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collection {
    /// Plural, as in names: `customers`, `purchases`.
    pub plural: &'static str,
    /// Singular, as in messages and events: `customer`.
    pub singular: &'static str,
    /// The collection of the parent, for a nested collection.
    pub parent: Option<&'static Collection>,
}

/// A pointer from one resource to another, named by the field that holds it
/// (`channel`), with the collection and id it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub field: &'static str,
    pub collection: Collection,
    pub id: Uuid,
}

/// A resource's place: its id and, in a nested collection, its parent's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Name {
    pub parent: Option<Uuid>,
    pub id: Uuid,
}

/// Which part of a collection a list reads (AIP-159).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A top-level collection: everything in it.
    Root,
    /// The children of one parent.
    Parent(Uuid),
    /// The children of every parent: `customers/-`.
    AnyParent,
}

impl Collection {
    /// The resource name of `name` in this collection.
    pub fn name_of(self, name: Name) -> String {
        match (self.parent, name.parent) {
            (Some(parent), Some(parent_id)) => {
                format!(
                    "{}/{}/{}/{}",
                    parent.plural, parent_id, self.plural, name.id
                )
            }
            _ => format!("{}/{}", self.plural, name.id),
        }
    }

    /// The parent's resource name, for a nested collection.
    pub fn parent_name(self, parent_id: Uuid) -> String {
        match self.parent {
            Some(parent) => format!("{}/{}", parent.plural, parent_id),
            None => String::new(),
        }
    }

    /// The printed form of a list scope, as the `parent` field carries it.
    pub fn scope_text(self, scope: Scope) -> String {
        match (self.parent, scope) {
            (Some(parent), Scope::AnyParent) => format!("{}/-", parent.plural),
            (Some(_), Scope::Parent(id)) => self.parent_name(id),
            _ => String::new(),
        }
    }

    fn expected(self) -> String {
        match self.parent {
            Some(parent) => format!(
                "must be a resource name of the form {}/{{id}}/{}/{{id}}",
                parent.plural, self.plural
            ),
            None => format!("must be a resource name of the form {}/{{id}}", self.plural),
        }
    }

    /// Parses a resource name of this collection; the error describes what
    /// is wrong.
    pub fn parse_name(self, text: &str) -> Result<Name, String> {
        if text.is_empty() {
            return Err("is required".into());
        }
        let parts: Vec<&str> = text.split('/').collect();
        let parsed = match (self.parent, parts.as_slice()) {
            (None, [plural, id]) if *plural == self.plural => {
                parse_id(id).map(|id| Name { parent: None, id })
            }
            (Some(parent), [parent_plural, parent_id, plural, id])
                if *parent_plural == parent.plural && *plural == self.plural =>
            {
                parse_id(parent_id)
                    .zip(parse_id(id))
                    .map(|(parent_id, id)| Name {
                        parent: Some(parent_id),
                        id,
                    })
            }
            _ => None,
        };
        parsed.ok_or_else(|| self.expected())
    }

    /// Parses the `parent` of a list or create: empty for a top-level
    /// collection; a parent's name, or `{parent plural}/-` for every parent
    /// (lists only), for a nested one.
    pub fn parse_scope(self, text: &str) -> Result<Scope, String> {
        let Some(parent) = self.parent else {
            return if text.is_empty() {
                Ok(Scope::Root)
            } else {
                Err(format!(
                    "must be empty: {} is a top-level collection",
                    self.plural
                ))
            };
        };
        let expected = || {
            format!(
                "must be a {} name, {}/{{id}}, or {}/- for all",
                parent.singular, parent.plural, parent.plural
            )
        };
        if text.is_empty() {
            return Err("is required".into());
        }
        match text.split_once('/') {
            Some((plural, "-")) if plural == parent.plural => Ok(Scope::AnyParent),
            Some((plural, id)) if plural == parent.plural => {
                parse_id(id).map(Scope::Parent).ok_or_else(expected)
            }
            _ => Err(expected()),
        }
    }
}

/// A canonical (lower-case, hyphenated) UUID.
fn parse_id(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text)
        .ok()
        .filter(|uuid| uuid.hyphenated().to_string() == text)
}

/// Bookkeeping the server keeps for every resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub create_time: Timestamp,
    pub update_time: Timestamp,
    pub delete_time: Option<Timestamp>,
    /// Incremented by every change; the etag is derived from it.
    pub version: i64,
}

impl Meta {
    pub fn new(now: Timestamp) -> Self {
        Meta {
            create_time: now,
            update_time: now,
            delete_time: None,
            version: 1,
        }
    }

    pub fn etag(&self) -> String {
        etag_of(self.version)
    }

    pub fn is_deleted(&self) -> bool {
        self.delete_time.is_some()
    }
}

/// The etag of a version: quoted, as HTTP entity tags are.
pub fn etag_of(version: i64) -> String {
    format!("\"{version}\"")
}

/// A stored resource: its id, parent, bookkeeping and body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource<T> {
    pub id: Uuid,
    /// The parent's id, in a nested collection. Absent in snapshots written
    /// before collections could nest.
    #[serde(default)]
    pub parent: Option<Uuid>,
    pub meta: Meta,
    pub body: T,
}

impl<T: ResourceBody> Resource<T> {
    pub fn name(&self) -> Name {
        Name {
            parent: self.parent,
            id: self.id,
        }
    }

    /// The full resource name, e.g. `customers/{id}`.
    pub fn resource_name(&self) -> String {
        T::COLLECTION.name_of(self.name())
    }
}

/// What a mutation makes of a stored resource: the new body, whether it is
/// soft-deleted afterwards, the kind of event the change records, and the
/// side records written with it (a change with side records is written even
/// when the body is unchanged).
#[derive(Debug, Clone, PartialEq)]
pub struct Next<T: ResourceBody> {
    pub body: T,
    pub delete_time: Option<Timestamp>,
    pub kind: &'static str,
    pub side: Vec<T::Side>,
}

impl<T: ResourceBody> Next<T> {
    /// A change of the body of a live resource.
    pub fn changed(body: T, kind: &'static str) -> Self {
        Next {
            body,
            delete_time: None,
            kind,
            side: Vec::new(),
        }
    }
}

/// An update: the caller's input and the paths of it to apply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateCommand<I> {
    pub input: I,
    /// Field paths in API names, checked against the contract already.
    pub paths: Vec<String>,
}

/// The standard Update: merges the named paths of the input into the stored
/// resource's input, and checks the result with the same rules as a create.
pub fn update<T: ResourceBody>(
    current: &Resource<T>,
    command: UpdateCommand<T::Input>,
    now: Timestamp,
) -> Result<Next<T>, Error> {
    let merged = super::patch::merge(&current.body.to_input(), &command.input, &command.paths)?;
    let body = T::from_input(merged, Some(&current.body), now)
        .map_err(|v| v.under(T::COLLECTION.singular))?;
    Ok(Next {
        side: T::updated_side(&current.body, &body),
        ..Next::changed(body, event::UPDATED)
    })
}

/// The standard Delete: soft, so the resource stays readable.
pub fn delete<T: ResourceBody>(
    current: &Resource<T>,
    _command: (),
    now: Timestamp,
) -> Result<Next<T>, Error> {
    Ok(Next {
        body: current.body.clone(),
        delete_time: Some(now),
        kind: event::DELETED,
        side: Vec::new(),
    })
}

/// The standard Undelete.
pub fn undelete<T: ResourceBody>(
    current: &Resource<T>,
    _command: (),
    _now: Timestamp,
) -> Result<Next<T>, Error> {
    Ok(Next {
        body: current.body.clone(),
        delete_time: None,
        kind: event::UNDELETED,
        side: Vec::new(),
    })
}

/// Free key/value attributes, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub const MAX_COUNT: usize = 64;
    pub const MAX_VALUE_CHARS: usize = 256;

    /// Checks every label, recording each problem under `field`.
    pub fn parse(v: &mut Violations, field: &str, pairs: &BTreeMap<String, String>) -> Self {
        // Too many: one violation, not one per label (the answer must stay small).
        if pairs.len() > Self::MAX_COUNT {
            v.add(
                field,
                format!("at most {} labels are allowed", Self::MAX_COUNT),
            );
            return Labels::default();
        }
        let mut labels = BTreeMap::new();
        for (key, value) in pairs {
            let at = || format!("{field}[{key:?}]");
            if !is_label_key(key) {
                v.add(
                    at(),
                    "key must be 1 to 63 lower-case letters, digits, '_' or '-', starting with a letter",
                );
            } else if value.chars().count() > Self::MAX_VALUE_CHARS
                || value.chars().any(char::is_control)
            {
                v.add(
                    at(),
                    format!(
                        "value must be at most {} characters without control characters",
                        Self::MAX_VALUE_CHARS
                    ),
                );
            } else {
                labels.insert(key.clone(), value.clone());
            }
        }
        Labels(labels)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0.clone()
    }
}

/// Label keys: 1 to 63 of `[a-z0-9_-]`, starting with a letter. Shared with
/// the filter parser so `labels.key` accepts exactly the keys that can exist.
pub fn is_label_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key.len() <= 63
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSTOMERS: Collection = Collection {
        plural: "customers",
        singular: "customer",
        parent: None,
    };
    const PURCHASES: Collection = Collection {
        plural: "purchases",
        singular: "purchase",
        parent: Some(&CUSTOMERS),
    };

    #[test]
    fn a_name_parses_back_to_its_id() {
        let name = Name {
            parent: None,
            id: Uuid::now_v7(),
        };
        assert_eq!(CUSTOMERS.parse_name(&CUSTOMERS.name_of(name)), Ok(name));
    }

    #[test]
    fn a_nested_name_carries_its_parent() {
        let name = Name {
            parent: Some(Uuid::now_v7()),
            id: Uuid::now_v7(),
        };
        let text = PURCHASES.name_of(name);
        assert!(text.starts_with("customers/") && text.contains("/purchases/"));
        assert_eq!(PURCHASES.parse_name(&text), Ok(name));
        assert!(CUSTOMERS.parse_name(&text).is_err());
        let bare = CUSTOMERS.name_of(Name {
            parent: None,
            ..name
        });
        assert!(PURCHASES.parse_name(&bare).is_err());
    }

    #[test]
    fn list_scopes_name_one_parent_or_all() {
        let id = Uuid::now_v7();
        assert_eq!(PURCHASES.parse_scope("customers/-"), Ok(Scope::AnyParent));
        assert_eq!(
            PURCHASES.parse_scope(&format!("customers/{id}")),
            Ok(Scope::Parent(id))
        );
        assert_eq!(
            PURCHASES.scope_text(Scope::Parent(id)),
            format!("customers/{id}")
        );
        for bad in [
            "",
            "customers",
            "channels/-",
            "customers/42",
            "customers/-/x",
        ] {
            assert!(PURCHASES.parse_scope(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(CUSTOMERS.parse_scope(""), Ok(Scope::Root));
        assert!(CUSTOMERS.parse_scope("customers/-").is_err());
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in [
            "",
            "customers/",
            "customers/42",
            "channels/0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11",
            "customers/0191C1A2-7D3E-7CC0-9B5E-3F1F2D1E0A11",
            "customers/0191c1a27d3e7cc09b5e3f1f2d1e0a11",
            "customers/0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11/x",
        ] {
            assert!(CUSTOMERS.parse_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn labels_check_keys_values_and_count() {
        let mut v = Violations::new();
        let ok: BTreeMap<String, String> = [("vip".into(), "yes".into())].into();
        assert_eq!(Labels::parse(&mut v, "labels", &ok).to_map(), ok);
        assert!(v.is_empty());
        let bad_key: BTreeMap<String, String> = [("VIP".into(), "yes".into())].into();
        Labels::parse(&mut v, "labels", &bad_key);
        let too_many: BTreeMap<String, String> =
            (0..65).map(|i| (format!("k{i}"), String::new())).collect();
        Labels::parse(&mut v, "labels", &too_many);
        let fields: Vec<String> = v.into_violations().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["labels[\"VIP\"]", "labels"]);
    }

    #[test]
    fn etags_follow_the_version() {
        let mut meta = Meta::new(Timestamp(1));
        let first = meta.etag();
        meta.version += 1;
        assert_ne!(first, meta.etag());
    }

    #[test]
    fn timestamps_round_trip_at_microsecond_precision() {
        let time = Timestamp::from_parts(-1, 999_999_000).unwrap();
        assert_eq!(time, Timestamp(-1));
        assert_eq!(time.parts(), (-1, 999_999_000));
        assert!(Timestamp::from_parts(0, -1).is_err());
        assert!(Timestamp::from_parts(i64::MAX, 0).is_err());
    }
}

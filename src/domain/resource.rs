//! What every resource shares: its id and name, timestamps, version and etag,
//! labels, and the soft-delete state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

use super::filter::Schema;
use super::listing::Orderable;

/// What the standard methods need to know of a resource's body.
pub trait ResourceBody:
    Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    const COLLECTION: Collection;
    /// Fields a list can be filtered by.
    const FILTER: Schema;
    /// Fields a list can be ordered by, and the default order.
    const ORDERABLE: Orderable;

    fn labels(&self) -> &Labels;

    /// Paths, in API field names, whose values differ between two versions.
    fn changed_fields(before: &Self, after: &Self) -> Vec<String>;

    /// Carries fields only the server sets over from the stored version
    /// (`None` on create), whatever the caller sent.
    fn keep_server_fields(&mut self, _previous: Option<&Self>) {}
}

/// Microseconds since the Unix epoch, UTC: exact on both engines, sortable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(chrono::Utc::now().timestamp_micros())
    }

    pub fn micros(self) -> i64 {
        self.0
    }
}

/// The collection a resource lives in, which gives its name pattern
/// `{collection}/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collection {
    /// Plural, as in names: `customers`.
    pub plural: &'static str,
    /// Singular, as in messages and events: `customer`.
    pub singular: &'static str,
}

impl Collection {
    pub fn name_of(self, id: Uuid) -> String {
        format!("{}/{}", self.plural, id)
    }

    /// Parses `customers/{uuid}` into the id; the error describes what is wrong.
    pub fn parse_name(self, name: &str) -> Result<Uuid, String> {
        let expected = || format!("must be a resource name of the form {}/{{id}}", self.plural);
        let Some(id) = name
            .strip_prefix(self.plural)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            return Err(if name.is_empty() {
                "is required".into()
            } else {
                expected()
            });
        };
        Uuid::parse_str(id)
            .ok()
            .filter(|uuid| uuid.hyphenated().to_string() == id)
            .ok_or_else(expected)
    }
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

/// A stored resource: its id, bookkeeping and body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource<T> {
    pub id: Uuid,
    pub meta: Meta,
    pub body: T,
}

/// Free key/value attributes, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub const MAX_COUNT: usize = 64;
    pub const MAX_VALUE_CHARS: usize = 256;

    /// Checks every label; returns the labels or the violations as
    /// (key, description) pairs.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Result<Self, Vec<(String, String)>> {
        let pairs: Vec<_> = pairs.into_iter().collect();
        // Too many: one violation, not one per label (the answer must stay small).
        if pairs.len() > Self::MAX_COUNT {
            return Err(vec![(
                String::new(),
                format!("at most {} labels are allowed", Self::MAX_COUNT),
            )]);
        }
        let mut labels = BTreeMap::new();
        let mut problems = Vec::new();
        for (key, value) in pairs {
            if !is_label_key(key) {
                problems.push((
                    key.clone(),
                    "key must be 1 to 63 lower-case letters, digits, '_' or '-', starting with a letter".into(),
                ));
            } else if value.chars().count() > Self::MAX_VALUE_CHARS
                || value.chars().any(char::is_control)
            {
                problems.push((
                    key.clone(),
                    format!(
                        "value must be at most {} characters without control characters",
                        Self::MAX_VALUE_CHARS
                    ),
                ));
            } else {
                labels.insert(key.clone(), value.clone());
            }
        }
        if problems.is_empty() {
            Ok(Labels(labels))
        } else {
            Err(problems)
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
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
    };

    #[test]
    fn a_name_parses_back_to_its_id() {
        let id = Uuid::now_v7();
        assert_eq!(CUSTOMERS.parse_name(&CUSTOMERS.name_of(id)), Ok(id));
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
        ] {
            assert!(CUSTOMERS.parse_name(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn labels_check_keys_values_and_count() {
        let ok: BTreeMap<String, String> = [("vip".into(), "yes".into())].into();
        assert!(Labels::parse(&ok).is_ok());
        let bad_key: BTreeMap<String, String> = [("VIP".into(), "yes".into())].into();
        assert_eq!(Labels::parse(&bad_key).unwrap_err()[0].0, "VIP");
        let too_many: BTreeMap<String, String> =
            (0..65).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(Labels::parse(&too_many).is_err());
    }

    #[test]
    fn etags_follow_the_version() {
        let mut meta = Meta::new(Timestamp(1));
        let first = meta.etag();
        meta.version += 1;
        assert_ne!(first, meta.etag());
    }
}

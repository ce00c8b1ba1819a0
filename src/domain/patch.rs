//! The merge of an update into a stored resource, along field paths, written
//! once for every resource: both sides are the resource's input type, whose
//! fields carry their API names, so a path such as `geography.city` names
//! the same field here as in the contract. Paths have been checked against
//! the contract by the transport; one that names no field here is a bug.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;

/// `base` with the value at each of `paths` taken from `input` (a value
/// `input` leaves at its default clears the field). A path into a message
/// that the request leaves out, or that the stored resource does not have,
/// is the caller's mistake (INVALID_ARGUMENT on `update_mask`); one that
/// names no field at all is a bug.
pub fn merge<I: Serialize + DeserializeOwned>(
    base: &I,
    input: &I,
    paths: &[String],
) -> Result<I, Error> {
    let mut target = serde_json::to_value(base).map_err(Error::internal)?;
    let source = serde_json::to_value(input).map_err(Error::internal)?;
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        let value = lookup(&source, &segments).map_err(|miss| {
            miss.into_error(path, "the request leaves it out: send it, or name it whole")
        })?;
        let slot = lookup_mut(&mut target, &segments)
            .map_err(|miss| miss.into_error(path, "the resource has none yet: name it whole"))?;
        *slot = value.clone();
    }
    serde_json::from_value(target).map_err(Error::internal)
}

/// Why a path could not be followed.
enum Miss {
    /// Through a message that is absent (null): its segments so far.
    Absent(String),
    /// Through a name the input type does not have.
    Unknown,
}

impl Miss {
    fn into_error(self, path: &str, advice: &str) -> Error {
        match self {
            Miss::Absent(prefix) => Error::invalid(
                "update_mask",
                format!("{path:?} names a field inside {prefix:?}, but {advice}"),
            ),
            Miss::Unknown => Error::internal(format!("update path {path:?} names no input field")),
        }
    }
}

fn step<'a>(
    value: &'a Value,
    segments: &[&str],
    i: usize,
) -> Result<&'a serde_json::Map<String, Value>, Miss> {
    match value {
        Value::Object(object) => Ok(object),
        Value::Null if i > 0 => Err(Miss::Absent(segments[..i].join("."))),
        _ => Err(Miss::Unknown),
    }
}

fn lookup<'a>(mut value: &'a Value, segments: &[&str]) -> Result<&'a Value, Miss> {
    for (i, segment) in segments.iter().enumerate() {
        value = step(value, segments, i)?
            .get(*segment)
            .ok_or(Miss::Unknown)?;
    }
    Ok(value)
}

fn lookup_mut<'a>(mut value: &'a mut Value, segments: &[&str]) -> Result<&'a mut Value, Miss> {
    for (i, segment) in segments.iter().enumerate() {
        step(value, segments, i)?;
        value = value
            .as_object_mut()
            .and_then(|object| object.get_mut(*segment))
            .ok_or(Miss::Unknown)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Place {
        city: String,
        country: String,
    }

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Card {
        name: String,
        place: Place,
        tags: Vec<String>,
        active: Option<bool>,
    }

    fn stored() -> Card {
        Card {
            name: "Acme".into(),
            place: Place {
                city: "Hangzhou".into(),
                country: "CN".into(),
            },
            tags: vec!["a".into()],
            active: Some(true),
        }
    }

    #[test]
    fn only_the_named_paths_change() {
        let input = Card {
            name: "ignored".into(),
            place: Place {
                city: "Ningbo".into(),
                country: String::new(),
            },
            ..Default::default()
        };
        let merged = merge(&stored(), &input, &["place.city".into()]).unwrap();
        assert_eq!(merged.place.city, "Ningbo");
        assert_eq!(merged.place.country, "CN");
        assert_eq!(merged.name, "Acme");
        assert_eq!(merged.tags, ["a"]);
    }

    #[test]
    fn a_path_left_unset_in_the_input_clears_the_field() {
        let merged = merge(
            &stored(),
            &Card::default(),
            &["place".into(), "tags".into(), "active".into()],
        )
        .unwrap();
        assert_eq!(merged.place, Place::default());
        assert!(merged.tags.is_empty());
        assert_eq!(merged.active, None);
    }

    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Sparse {
        place: Option<Place>,
    }

    #[test]
    fn a_path_into_an_absent_message_is_the_callers_mistake() {
        let stored = Sparse {
            place: Some(Place::default()),
        };
        let err = merge(&stored, &Sparse::default(), &["place.city".into()]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(v) if v.iter().any(|f| f.field == "update_mask" && f.description.contains("the request leaves it out"))),
            "{err:?}"
        );
        let err = merge(&Sparse::default(), &stored, &["place.city".into()]).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(v) if v.iter().any(|f| f.description.contains("the resource has none yet"))),
            "{err:?}"
        );
        // Named whole, it merges.
        let merged = merge(&Sparse::default(), &stored, &["place".into()]).unwrap();
        assert_eq!(merged, stored);
    }

    #[test]
    fn a_path_that_names_no_field_is_a_bug_not_a_silent_no_op() {
        assert!(matches!(
            merge(&stored(), &Card::default(), &["colour".into()]),
            Err(Error::Internal(_))
        ));
    }
}

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
/// `input` leaves at its default clears the field).
pub fn merge<I: Serialize + DeserializeOwned>(
    base: &I,
    input: &I,
    paths: &[String],
) -> Result<I, Error> {
    let mut target = serde_json::to_value(base).map_err(Error::internal)?;
    let source = serde_json::to_value(input).map_err(Error::internal)?;
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        let value = lookup(&source, &segments)
            .ok_or_else(|| Error::internal(format!("update path {path:?} names no input field")))?;
        let slot = lookup_mut(&mut target, &segments)
            .ok_or_else(|| Error::internal(format!("update path {path:?} names no input field")))?;
        *slot = value.clone();
    }
    serde_json::from_value(target).map_err(Error::internal)
}

fn lookup<'a>(value: &'a Value, segments: &[&str]) -> Option<&'a Value> {
    segments
        .iter()
        .try_fold(value, |value, segment| value.as_object()?.get(*segment))
}

fn lookup_mut<'a>(value: &'a mut Value, segments: &[&str]) -> Option<&'a mut Value> {
    segments.iter().try_fold(value, |value, segment| {
        value.as_object_mut()?.get_mut(*segment)
    })
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

    #[test]
    fn a_path_that_names_no_field_is_a_bug_not_a_silent_no_op() {
        assert!(matches!(
            merge(&stored(), &Card::default(), &["colour".into()]),
            Err(Error::Internal(_))
        ));
    }
}

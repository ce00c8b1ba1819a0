//! Field masks for every Update method, written once over the descriptor
//! set: which paths exist and which are Output only, read from the contract
//! itself (a field whose comment says "Output only." can never be set). The
//! merge along the checked paths happens in the domain, on the resource's
//! input, inside the update's transaction.

use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage,
};
use prost_types::FieldMask;

use crate::error::{Error, Violations};
use crate::pb;

static POOL: LazyLock<Result<DescriptorPool, String>> = LazyLock::new(|| {
    DescriptorPool::decode(pb::FILE_DESCRIPTOR_SET).map_err(|err| err.to_string())
});

fn descriptor(full_name: &str) -> Result<MessageDescriptor, Error> {
    let pool = POOL.as_ref().map_err(Error::internal)?;
    pool.get_message_by_name(full_name)
        .ok_or_else(|| Error::internal(format!("{full_name} is not in the descriptor set")))
}

/// Whether the contract documents the field as "Output only" (`.` or `:` after it).
pub fn is_output_only(field: &FieldDescriptor) -> bool {
    let file = field.parent_file();
    file.file_descriptor_proto()
        .source_code_info
        .as_ref()
        .and_then(|info| info.location.iter().find(|l| l.path == field.path()))
        .and_then(|location| location.leading_comments.as_deref())
        .is_some_and(|comment| comment.contains("Output only"))
}

/// The top-level fields of a message that no caller may set.
pub fn output_only_fields(full_name: &str) -> Result<Vec<String>, Error> {
    Ok(descriptor(full_name)?
        .fields()
        .filter(is_output_only)
        .map(|f| f.name().to_owned())
        .collect())
}

/// The paths an update applies: those of the mask, checked (each must name
/// a field through singular message fields, none may be Output only; `*` is
/// every writable top-level field), or without a mask every field set in
/// `input`, except Output only ones.
pub fn update_paths<M: Message>(
    full_name: &str,
    mask: Option<&FieldMask>,
    input: &M,
) -> Result<Vec<String>, Error> {
    let descriptor = descriptor(full_name)?;
    let output_only = output_only_fields(full_name)?;
    let is_output_only = |path: &str| {
        let top = path.split('.').next().unwrap_or(path);
        output_only.iter().any(|name| name == top)
    };
    let Some(paths) = mask.map(|m| m.paths.as_slice()).filter(|p| !p.is_empty()) else {
        let message = DynamicMessage::decode(descriptor, input.encode_to_vec().as_slice())
            .map_err(Error::internal)?;
        return Ok(set_paths(&message, "")
            .into_iter()
            .filter(|path| !is_output_only(path))
            .collect());
    };
    let mut violations = Violations::new();
    let mut checked = Vec::new();
    for path in paths {
        if path == "*" {
            checked.extend(
                descriptor
                    .fields()
                    .map(|f| f.name().to_owned())
                    .filter(|name| !is_output_only(name)),
            );
        } else if is_output_only(path) {
            violations.add("update_mask", format!("{path:?} is output only"));
        } else if !path_exists(&descriptor, path) {
            violations.add(
                "update_mask",
                format!("{path:?} is not a field of {full_name}"),
            );
        } else {
            checked.push(path.clone());
        }
    }
    violations.finish()?;
    checked.dedup();
    Ok(checked)
}

fn path_exists(descriptor: &MessageDescriptor, path: &str) -> bool {
    let mut current = descriptor.clone();
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let Some(field) = current.get_field_by_name(segment) else {
            return false;
        };
        if segments.peek().is_none() {
            return true;
        }
        match field.kind() {
            Kind::Message(inner) if !field.is_list() && !field.is_map() && !is_value(&inner) => {
                current = inner
            }
            _ => return false,
        }
    }
    false
}

/// Messages that are one value, set and cleared whole: a time, a span, an
/// amount of money. A mask cannot name their parts, and an update without a
/// mask replaces them whole (a part left at zero is not sent, so a partial
/// merge would keep a stale one).
const VALUE_MESSAGES: &[&str] = &["crm.v1.Money"];

fn is_value(message: &MessageDescriptor) -> bool {
    let name = message.full_name();
    name.starts_with("google.protobuf.") || VALUE_MESSAGES.contains(&name)
}

/// The paths of the set fields, descending into singular message fields so
/// that a partial nested message updates only what it holds.
fn set_paths(message: &DynamicMessage, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (field, value) in message.fields() {
        let path = format!("{prefix}{}", field.name());
        match (value.as_message(), field.is_list() || field.is_map()) {
            (Some(inner), false) if !is_value(&inner.descriptor()) => {
                paths.extend(set_paths(inner, &format!("{path}.")))
            }
            _ => paths.push(path),
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_only_fields_come_from_the_contract_comments() {
        let fields = output_only_fields("crm.v1.Customer").unwrap();
        for name in ["name", "value_grade", "create_time", "etag"] {
            assert!(fields.iter().any(|f| f == name), "{name} in {fields:?}");
        }
        assert!(!fields.iter().any(|f| f == "display_name"));
    }

    #[test]
    fn a_mask_naming_an_output_only_or_unknown_field_is_refused() {
        let mask = FieldMask {
            paths: vec!["etag".into(), "colour".into(), "display_name".into()],
        };
        match update_paths("crm.v1.Customer", Some(&mask), &pb::Customer::default()) {
            Err(Error::InvalidArgument(v)) => assert_eq!(v.len(), 2),
            other => panic!("expected two violations, got {other:?}"),
        }
    }

    #[test]
    fn without_a_mask_the_set_fields_are_the_paths() {
        let input = pb::Customer {
            name: "customers/x".into(),
            display_name: "Acme".into(),
            geography: Some(pb::Geography {
                city: "Ningbo".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let paths = update_paths("crm.v1.Customer", None, &input).unwrap();
        assert_eq!(paths, ["display_name", "geography.city"]);
    }
}

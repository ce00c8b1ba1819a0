//! Field masks for every Update method, written once over the descriptor set:
//! which paths exist, which are output only, and the merge of the request's
//! values into the stored resource. The merged message then goes through the
//! same validation as a create, so an update can never store what a create
//! would refuse.

use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MessageDescriptor, ReflectMessage};
use prost_types::FieldMask;

use crate::error::{Error, Violations};
use crate::pb;

static POOL: LazyLock<Result<DescriptorPool, String>> = LazyLock::new(|| {
    DescriptorPool::decode(pb::FILE_DESCRIPTOR_SET).map_err(|err| err.to_string())
});

/// What the mask machinery must know of one resource message.
pub struct MaskedMessage {
    /// Full protobuf name, e.g. `crm.v1.Customer`.
    pub full_name: &'static str,
    /// Top-level fields a caller can never set.
    pub output_only: &'static [&'static str],
}

impl MaskedMessage {
    fn descriptor(&self) -> Result<MessageDescriptor, Error> {
        let pool = POOL.as_ref().map_err(Error::internal)?;
        pool.get_message_by_name(self.full_name).ok_or_else(|| {
            Error::internal(format!("{} is not in the descriptor set", self.full_name))
        })
    }

    /// Copies the fields the mask names from `input` onto `current`. Without a
    /// mask, every field set in `input` is copied, except output-only ones.
    /// `*` copies every writable field, clearing those `input` leaves unset.
    pub fn merge<M: Message + Default>(
        &self,
        mask: Option<&FieldMask>,
        input: &M,
        current: &M,
    ) -> Result<M, Error> {
        let descriptor = self.descriptor()?;
        let decode = |m: &M| {
            DynamicMessage::decode(descriptor.clone(), m.encode_to_vec().as_slice())
                .map_err(Error::internal)
        };
        let source = decode(input)?;
        let mut target = decode(current)?;

        let paths = match mask.map(|m| m.paths.as_slice()).filter(|p| !p.is_empty()) {
            None => set_paths(&source, "")
                .into_iter()
                .filter(|path| !self.is_output_only(path))
                .collect(),
            Some(paths) => self.check_paths(&descriptor, paths)?,
        };
        for path in &paths {
            let segments: Vec<&str> = path.split('.').collect();
            copy(Some(&source), &mut target, &segments);
        }
        M::decode(target.encode_to_vec().as_slice()).map_err(Error::internal)
    }

    fn is_output_only(&self, path: &str) -> bool {
        let top = path.split('.').next().unwrap_or(path);
        self.output_only.contains(&top)
    }

    /// Every path must name a field, through singular message fields; none
    /// may be output only. `*` expands to every writable top-level field.
    fn check_paths(
        &self,
        descriptor: &MessageDescriptor,
        paths: &[String],
    ) -> Result<Vec<String>, Error> {
        let mut violations = Violations::new();
        let mut checked = Vec::new();
        for path in paths {
            if path == "*" {
                checked.extend(
                    descriptor
                        .fields()
                        .map(|f| f.name().to_owned())
                        .filter(|name| !self.is_output_only(name)),
                );
            } else if self.is_output_only(path) {
                violations.add("update_mask", format!("{path:?} is output only"));
            } else if !path_exists(descriptor, path) {
                violations.add(
                    "update_mask",
                    format!("{path:?} is not a field of {}", self.full_name),
                );
            } else {
                checked.push(path.clone());
            }
        }
        violations.finish()?;
        Ok(checked)
    }
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
            Kind::Message(inner) if !field.is_list() && !field.is_map() => current = inner,
            _ => return false,
        }
    }
    false
}

/// The paths of the set fields, descending into singular message fields so
/// that a partial nested message updates only what it holds.
fn set_paths(message: &DynamicMessage, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (field, value) in message.fields() {
        let path = format!("{prefix}{}", field.name());
        match (value.as_message(), field.is_list() || field.is_map()) {
            (Some(inner), false) => paths.extend(set_paths(inner, &format!("{path}."))),
            _ => paths.push(path),
        }
    }
    paths
}

/// Copies the value at `segments` from `source` (absent: cleared) to `target`.
fn copy(source: Option<&DynamicMessage>, target: &mut DynamicMessage, segments: &[&str]) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    let Some(field) = target.descriptor().get_field_by_name(first) else {
        return;
    };
    if rest.is_empty() {
        match source.filter(|s| s.has_field(&field)) {
            Some(s) => target.set_field(&field, s.get_field(&field).into_owned()),
            None => target.clear_field(&field),
        }
        return;
    }
    let inner_source = source
        .filter(|s| s.has_field(&field))
        .map(|s| s.get_field(&field).into_owned());
    if let Some(inner_target) = target.get_field_mut(&field).as_message_mut() {
        copy(
            inner_source.as_ref().and_then(|v| v.as_message()),
            inner_target,
            rest,
        );
    }
}

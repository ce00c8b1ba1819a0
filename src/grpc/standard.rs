//! The standard methods over the wire, written once for every resource: a
//! resource says how its message reads into domain input and how a stored
//! resource is written back ([`WireResource`]); each handler is then a line
//! that picks the request's fields and calls one of these.

use prost_types::FieldMask;
use tonic::{Response, Status};
use uuid::Uuid;

use super::mask;
use crate::domain::resource::{Name, Resource, ResourceBody, Scope, Timestamp, UpdateCommand};
use crate::error::{Error, Violations};
use crate::usecases::{Call, ListRequest, Resources, Stored, Target};

/// How a resource crosses the wire.
pub trait WireResource: Stored {
    type Message: prost::Message + Default + Clone + 'static;
    /// The message's full protobuf name, e.g. `crm.v1.Customer`.
    const MESSAGE: &'static str;

    /// The message as stored: for an event, as of the change.
    fn to_pb(resource: &Resource<Self>) -> Self::Message;
    /// The message as read at `now`: a resource with figures that depend on
    /// the instant of reading (a complaint's time until breach) overrides it.
    fn to_pb_at(resource: &Resource<Self>, _now: Timestamp) -> Self::Message {
        Self::to_pb(resource)
    }
    /// The message's writable fields as domain input: translation only, no
    /// rules (those live in the domain constructor).
    fn input(message: &Self::Message) -> Self::Input;
    fn name(message: &Self::Message) -> &str;
    fn etag(message: &Self::Message) -> &str;

    /// The wire form stored in events: the message's protobuf encoding.
    fn encode(resource: &Resource<Self>) -> Vec<u8> {
        prost::Message::encode_to_vec(&Self::to_pb(resource))
    }
}

pub async fn create<T: WireResource>(
    resources: &Resources<T>,
    call: &Call,
    parent: &str,
    message: Option<&T::Message>,
    request_id: &str,
) -> Result<Response<T::Message>, Status> {
    let mut v = Violations::new();
    let request_id = request_id_of(&mut v, request_id);
    let scope = v.check("parent", T::COLLECTION.parse_scope(parent));
    let parent = match scope {
        Some(Scope::AnyParent) => {
            v.add("parent", "must name one parent: `-` only lists");
            None
        }
        Some(Scope::Parent(id)) => Some(id),
        Some(Scope::Root) | None => None,
    };
    let singular = T::COLLECTION.singular;
    let Some(input) = message.map(T::input) else {
        v.add(singular, "is required");
        return Err(v.into_error().into());
    };
    if !v.is_empty() {
        // Name the body's problems too, so the caller can fix all at once.
        if let Err(body) = T::from_input(input, None, resources.now()) {
            v.extend(body.under(singular));
        }
        return Err(v.into_error().into());
    }
    let created = resources.create(call, parent, input, request_id).await?;
    Ok(Response::new(T::to_pb_at(&created, resources.now())))
}

/// A batch create: the batch's `parent` (one parent, or `{plural}/-` when
/// each request names its own) and each request's parent and message.
/// Every bad field of every request is named under `requests[i]`.
pub async fn batch_create<T: WireResource>(
    resources: &Resources<T>,
    call: &Call,
    parent: &str,
    requests: Vec<(&str, Option<&T::Message>)>,
    request_id: &str,
) -> Result<Vec<T::Message>, Status> {
    let mut v = Violations::new();
    let request_id = request_id_of(&mut v, request_id);
    let batch = v.check("parent", T::COLLECTION.parse_scope(parent));
    let mut parents = Vec::with_capacity(requests.len());
    for (i, (own, _)) in requests.iter().enumerate() {
        let field = format!("requests[{i}].parent");
        let own = match *own {
            "" => None,
            text => v.check(&field, T::COLLECTION.parse_scope(text)),
        };
        let parent = match (batch, own) {
            (Some(Scope::Parent(id)), None) => Some(id),
            (Some(Scope::Parent(id)), Some(Scope::Parent(own))) if own == id => Some(id),
            (Some(Scope::Parent(_)), Some(_)) => {
                v.add(field, "must be empty or the batch's parent");
                None
            }
            (Some(Scope::AnyParent), Some(Scope::Parent(own))) => Some(own),
            (Some(Scope::AnyParent), _) => {
                v.add(field, "must name one parent when the batch's parent is `-`");
                None
            }
            _ => None,
        };
        parents.push(parent);
    }
    let inputs: Vec<Option<T::Input>> = requests
        .iter()
        .map(|(_, message)| message.map(T::input))
        .collect();
    if let Err(bad) = resources.check_batch(&inputs) {
        v.extend(bad);
    }
    v.finish()?;
    let rows = parents
        .into_iter()
        .zip(inputs)
        .map(|(parent, input)| (parent, input.unwrap_or_default()))
        .collect();
    let created = resources.create_batch(call, rows, request_id).await?;
    Ok(created
        .iter()
        .map(|r| T::to_pb_at(r, resources.now()))
        .collect())
}

pub async fn get<T: WireResource>(
    resources: &Resources<T>,
    name: &str,
) -> Result<Response<T::Message>, Status> {
    let name = parse_name::<T>("name", name)?;
    let resource = resources.get(name).await?;
    Ok(Response::new(T::to_pb_at(&resource, resources.now())))
}

/// One page: the messages and the next page token.
pub async fn list<T: WireResource>(
    resources: &Resources<T>,
    parent: &str,
    request: ListRequest,
) -> Result<(Vec<T::Message>, String), Status> {
    let scope = T::COLLECTION
        .parse_scope(parent)
        .map_err(|description| Error::invalid("parent", description))?;
    let page = resources.list(scope, &request).await?;
    Ok((
        page.items
            .iter()
            .map(|r| T::to_pb_at(r, resources.now()))
            .collect(),
        page.next_page_token,
    ))
}

pub async fn update<T: WireResource>(
    resources: &Resources<T>,
    call: &Call,
    message: Option<T::Message>,
    mask: Option<&FieldMask>,
    request_id: &str,
) -> Result<Response<T::Message>, Status> {
    let singular = T::COLLECTION.singular;
    let message = message.ok_or_else(|| Error::invalid(singular, "is required"))?;
    let mut v = Violations::new();
    let request_id = request_id_of(&mut v, request_id);
    let name = v.check(
        &format!("{singular}.name"),
        T::COLLECTION.parse_name(T::name(&message)),
    );
    let paths = match mask::update_paths(T::MESSAGE, mask, &message) {
        Ok(paths) => Some(paths),
        Err(Error::InvalidArgument(found)) => {
            for f in found {
                v.add(f.field, f.description);
            }
            None
        }
        Err(other) => return Err(other.into()),
    };
    let (Some(name), Some(paths)) = (name, paths) else {
        return Err(v.into_error().into());
    };
    v.finish()?;
    let target = Target {
        name,
        etag: etag_of(T::etag(&message)),
        request_id,
    };
    let command = UpdateCommand {
        input: T::input(&message),
        paths,
    };
    let updated = resources.update(call, target, command).await?;
    Ok(Response::new(T::to_pb_at(&updated, resources.now())))
}

pub async fn delete<T: WireResource>(
    resources: &Resources<T>,
    call: &Call,
    name: &str,
    etag: &str,
    request_id: &str,
) -> Result<Response<T::Message>, Status> {
    let target = target::<T>(name, etag, request_id)?;
    let deleted = resources.delete(call, target).await?;
    Ok(Response::new(T::to_pb_at(&deleted, resources.now())))
}

pub async fn undelete<T: WireResource>(
    resources: &Resources<T>,
    call: &Call,
    name: &str,
    request_id: &str,
) -> Result<Response<T::Message>, Status> {
    let target = target::<T>(name, "", request_id)?;
    let restored = resources.undelete(call, target).await?;
    Ok(Response::new(T::to_pb_at(&restored, resources.now())))
}

/// The target of a state-changing method from its `name`, `etag` and
/// `request_id` fields, every bad one named.
pub fn target<T: ResourceBody>(name: &str, etag: &str, request_id: &str) -> Result<Target, Error> {
    let mut v = Violations::new();
    let request_id = request_id_of(&mut v, request_id);
    let name = v.check("name", T::COLLECTION.parse_name(name));
    let name = name.ok_or_else(|| Violations::into_error(std::mem::take(&mut v)))?;
    v.finish()?;
    Ok(Target {
        name,
        etag: etag_of(etag),
        request_id,
    })
}

pub fn parse_name<T: ResourceBody>(field: &str, name: &str) -> Result<Name, Error> {
    T::COLLECTION
        .parse_name(name)
        .map_err(|description| Error::invalid(field, description))
}

/// An empty request id means none; anything else must be a UUID.
fn request_id_of(v: &mut Violations, text: &str) -> Option<Uuid> {
    if text.is_empty() {
        return None;
    }
    v.check(
        "request_id",
        Uuid::parse_str(text).map_err(|_| "must be a UUID".to_owned()),
    )
}

/// An empty etag means "don't check".
fn etag_of(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

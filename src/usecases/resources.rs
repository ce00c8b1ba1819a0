//! The standard methods (create, get, list, update, delete, undelete) and the
//! one mutation path every state change takes, written once for every
//! resource: request-id idempotency, etag checks, soft delete, parents that
//! must be live, signed keyset page tokens, and the event of every change.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use crate::domain::event::{self, Change};
use crate::domain::listing::{ListQuery, PageTokens};
use crate::domain::resource::{
    self as standard, Meta, Name, Next, Resource, Scope, Timestamp, UpdateCommand,
};
use crate::error::Error;
use crate::store::{self, Persisted, Store, Tx};

use super::clock::Clock;
use super::events::EventLog;

mod batch;
mod idempotency;
mod list_request;

use idempotency::{fingerprint, remember, replay, retry_once_on_lost_race};
pub use list_request::{ListRequest, ListResult};

/// A resource the use cases can store: the bound handlers name instead of
/// the store's own trait.
pub trait Stored: Persisted {}
impl<T: Persisted> Stored for T {}

/// Encodes a resource in its wire form (the protobuf encoding of its
/// message). Registered by the transport at composition; events store what
/// it returns, so old events stay readable whatever the domain types become.
pub type Encoder<T> = fn(&Resource<T>) -> Vec<u8>;

/// A domain function of the stored resource, a command and the time: what
/// every mutation applies.
pub type Transition<T, C> = fn(&Resource<T>, C, Timestamp) -> Result<Next<T>, Error>;

/// A boxed future borrowing the transaction, as hooks return.
pub type HookFuture<'a, R> = Pin<Box<dyn Future<Output = Result<R, Error>> + Send + 'a>>;

/// Completes a new body inside the create's write transaction, where other
/// resources it refers to can be read and locked (a complaint checks its
/// customer and channel and copies the customer's segment).
pub type Prepare<T> = for<'a> fn(&'a Tx, T, Timestamp) -> HookFuture<'a, T>;

/// Checks a mutation against other resources inside its transaction, after
/// the transition and before the write, and may complete it from them (a
/// customer with open complaints cannot be deleted; a complaint whose
/// severity changed chooses its service-level policy again).
pub type Guard<T> =
    for<'a> fn(&'a Tx, &'a Resource<T>, NextOf<T>, Timestamp) -> HookFuture<'a, NextOf<T>>;

/// Follows a change of this resource, inside its transaction and after its
/// event, with changes of other resources through their own mutation path
/// (a purchase moves its customer's lifecycle stage). `before` is none for
/// a create. Answers the sequence of the last event it appended, if any.
/// A trait object rather than a plain fn, because the follow-up needs the
/// other resource's `Resources` (its encoder, its event log).
pub trait Follow<T>: Send + Sync {
    fn follow<'a>(
        &'a self,
        tx: &'a Tx,
        call: &'a Call,
        before: Option<&'a Resource<T>>,
        after: &'a Resource<T>,
    ) -> HookFuture<'a, Option<i64>>;
}

/// The `Next` of a resource type, named without its trait bound so the
/// hook can be a field of any `Resources<T>`.
pub type NextOf<T> = <T as HasNext>::Next;

/// Names `Next<T>` for a resource body.
pub trait HasNext {
    type Next;
}

impl<T: crate::domain::resource::ResourceBody> HasNext for T {
    type Next = Next<T>;
}

/// Who calls and through which method; recorded with what the call changes.
#[derive(Debug, Clone)]
pub struct Call {
    /// Full gRPC method name, e.g. `/crm.v1.CustomerService/CreateCustomer`.
    pub method: String,
    /// The caller's identity as it presented itself.
    pub actor: String,
}

/// Which resource a mutation changes, under which guards.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: Name,
    /// The etag the caller last read; a stale one is ABORTED.
    pub etag: Option<String>,
    /// A retry with the same id returns the first result.
    pub request_id: Option<Uuid>,
}

/// The state a mutation needs the resource in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Require {
    Live,
    Deleted,
}

/// A change written inside a transaction that is not committed yet.
#[derive(Debug)]
pub struct Written<T> {
    pub resource: Resource<T>,
    /// The event the change appended; none for a replay or a no-op.
    pub sequence: Option<i64>,
}

/// The standard methods over one resource.
pub struct Resources<T: HasNext> {
    store: Store,
    tokens: PageTokens,
    events: EventLog,
    clock: Clock,
    encode: Encoder<T>,
    prepare: Option<Prepare<T>>,
    guard: Option<Guard<T>>,
    follow: Option<Arc<dyn Follow<T>>>,
    body: PhantomData<fn() -> T>,
}

impl<T: HasNext> Clone for Resources<T> {
    fn clone(&self) -> Self {
        Resources {
            store: self.store.clone(),
            tokens: self.tokens.clone(),
            events: self.events.clone(),
            clock: self.clock.clone(),
            encode: self.encode,
            prepare: self.prepare,
            guard: self.guard,
            follow: self.follow.clone(),
            body: PhantomData,
        }
    }
}

impl<T: Persisted> Resources<T> {
    pub fn new(
        store: Store,
        tokens: PageTokens,
        events: EventLog,
        clock: Clock,
        encode: Encoder<T>,
    ) -> Self {
        Resources {
            store,
            tokens,
            events,
            clock,
            encode,
            prepare: None,
            guard: None,
            follow: None,
            body: PhantomData,
        }
    }

    /// Completes every new body inside the create's transaction.
    pub fn with_prepare(mut self, prepare: Prepare<T>) -> Self {
        self.prepare = Some(prepare);
        self
    }

    /// Checks every mutation inside its transaction before it is written.
    pub fn with_guard(mut self, guard: Guard<T>) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Follows every written change with `follow`, in its transaction.
    pub fn with_follow(mut self, follow: Arc<dyn Follow<T>>) -> Self {
        self.follow = Some(follow);
        self
    }

    /// The service clock's time, which the rules about time see.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Commits a transaction holding written changes and wakes the event
    /// streams. The commit stays outside the mutation itself, so several
    /// mutations can share one transaction.
    pub async fn commit(&self, tx: Tx, written: Written<T>) -> Result<Resource<T>, Error> {
        tx.commit().await?;
        if let Some(sequence) = written.sequence {
            self.events.committed(sequence);
        }
        Ok(written.resource)
    }

    /// Creates a resource (under `parent` in a nested collection) from
    /// caller input, checked before any transaction opens.
    pub async fn create(
        &self,
        call: &Call,
        parent: Option<Uuid>,
        input: T::Input,
        request_id: Option<Uuid>,
    ) -> Result<Resource<T>, Error> {
        let body = T::from_input(input.clone(), None, self.clock.now())
            .map_err(|v| Error::from(v.under(T::COLLECTION.singular)))?;
        let fingerprint = &fingerprint(call, &self.collection_text(parent), &input)?;
        let body = &body;
        retry_once_on_lost_race(request_id, || async move {
            let tx = self.store.write().await?;
            let written = self
                .create_in(&tx, call, parent, body.clone(), request_id, fingerprint)
                .await?;
            self.commit(tx, written).await
        })
        .await
    }

    /// The create inside an open write transaction.
    pub async fn create_in(
        &self,
        tx: &Tx,
        call: &Call,
        parent: Option<Uuid>,
        body: T,
        request_id: Option<Uuid>,
        fingerprint: &str,
    ) -> Result<Written<T>, Error> {
        if let Some(resource) = replay(tx, call, request_id, fingerprint).await? {
            return Ok(Written {
                resource,
                sequence: None,
            });
        }
        if T::COLLECTION.parent.is_some() != parent.is_some() {
            return Err(Error::internal(
                "a parent is required exactly in nested collections",
            ));
        }
        if let Some(parent) = parent {
            store::require_live_parent::<T>(tx, parent).await?;
        }
        store::require_live_references(tx, T::COLLECTION.singular, &body.references()).await?;
        let now = self.clock.now();
        let body = match self.prepare {
            Some(prepare) => prepare(tx, body, now).await?,
            None => body,
        };
        let resource = Resource {
            id: Uuid::now_v7(),
            parent,
            meta: Meta::new(now),
            body,
        };
        store::insert(tx, &resource).await?;
        let side = resource.body.created_side();
        store::write_side(tx, &call.actor, &resource, side, now).await?;
        remember(tx, call, request_id, fingerprint, &resource, now).await?;
        let sequence = self
            .append(tx, call, &resource, event::CREATED, Vec::new(), now)
            .await?;
        let sequence = self.followed(tx, call, None, &resource, sequence).await?;
        Ok(Written {
            resource,
            sequence: Some(sequence),
        })
    }

    /// Returns a resource, soft-deleted or not.
    pub async fn get(&self, name: Name) -> Result<Resource<T>, Error> {
        let tx = self.store.read().await?;
        let resource = store::get::<T>(&tx, name.id).await?;
        same_parent(&resource, name)?;
        Ok(resource)
    }

    /// One page of the list; every invalid list parameter is reported.
    pub async fn list(&self, scope: Scope, request: &ListRequest) -> Result<ListResult<T>, Error> {
        let parent = match scope {
            Scope::Parent(id) => Some(id),
            Scope::Root | Scope::AnyParent => None,
        };
        let collection = match T::COLLECTION.scope_text(scope) {
            scope if scope.is_empty() => T::COLLECTION.plural.to_owned(),
            scope => format!("{scope}/{}", T::COLLECTION.plural),
        };
        let params = request.validate(&collection, &T::FILTER, T::ORDERABLE, &self.tokens)?;
        let query = ListQuery {
            parent,
            filter: params.filter,
            order: params.order,
            page_size: params.page_size,
            after: params.after,
            show_deleted: request.show_deleted,
        };
        let tx = self.store.read().await?;
        let page = store::list::<T>(&tx, &query).await?;
        Ok(ListResult {
            items: page.items,
            next_page_token: page
                .next
                .map(|cursor| self.tokens.encode(&cursor, &params.binding))
                .unwrap_or_default(),
        })
    }

    /// The standard Update: merges the input along its paths and checks the
    /// result like a create. A stale etag is ABORTED.
    pub async fn update(
        &self,
        call: &Call,
        target: Target,
        command: UpdateCommand<T::Input>,
    ) -> Result<Resource<T>, Error> {
        self.mutate(call, target, command, standard::update).await
    }

    /// Soft-deletes: the resource stays readable, hidden from lists.
    pub async fn delete(&self, call: &Call, target: Target) -> Result<Resource<T>, Error> {
        self.mutate(call, target, (), standard::delete).await
    }

    /// Restores a soft-deleted resource.
    pub async fn undelete(&self, call: &Call, target: Target) -> Result<Resource<T>, Error> {
        self.change(call, target, Require::Deleted, (), standard::undelete)
            .await
    }

    /// Changes a live resource through `apply`, a domain function of the
    /// stored resource, the command and the time: Update, Delete and every
    /// custom method (AIP-136) go through here, in one write transaction.
    pub async fn mutate<C: Serialize + Clone>(
        &self,
        call: &Call,
        target: Target,
        command: C,
        apply: Transition<T, C>,
    ) -> Result<Resource<T>, Error> {
        self.change(call, target, Require::Live, command, apply)
            .await
    }

    async fn change<C: Serialize + Clone>(
        &self,
        call: &Call,
        target: Target,
        require: Require,
        command: C,
        apply: Transition<T, C>,
    ) -> Result<Resource<T>, Error> {
        let (target, command) = (&target, &command);
        retry_once_on_lost_race(target.request_id, || async move {
            let tx = self.store.write().await?;
            let written = self
                .mutate_in(&tx, call, target, require, command.clone(), apply)
                .await?;
            self.commit(tx, written).await
        })
        .await
    }

    /// The mutation inside an open write transaction: replay a known
    /// request, load with a lock, check state and etag, apply, write, append
    /// the event, record the request. The caller commits.
    pub async fn mutate_in<C: Serialize>(
        &self,
        tx: &Tx,
        call: &Call,
        target: &Target,
        require: Require,
        command: C,
        apply: Transition<T, C>,
    ) -> Result<Written<T>, Error> {
        let name = T::COLLECTION.name_of(target.name);
        let fingerprint = fingerprint(call, &name, &command)?;
        if let Some(resource) = replay(tx, call, target.request_id, &fingerprint).await? {
            return Ok(Written {
                resource,
                sequence: None,
            });
        }
        let current = store::get_for_update::<T>(tx, target.name.id).await?;
        same_parent(&current, target.name)?;
        match (require, current.meta.is_deleted()) {
            (Require::Live, true) => return Err(deleted(&name)),
            (Require::Deleted, false) => return Err(not_deleted(&name)),
            _ => {}
        }
        if let Some(etag) = &target.etag
            && *etag != current.meta.etag()
        {
            return Err(Error::Aborted { resource: name });
        }
        let now = self.clock.now();
        let mut next = apply(&current, command, now)?;
        if let Some(guard) = self.guard {
            next = guard(tx, &current, next, now).await?;
        }
        if next.body == current.body
            && next.delete_time == current.meta.delete_time
            && next.side.is_empty()
        {
            remember(tx, call, target.request_id, &fingerprint, &current, now).await?;
            return Ok(Written {
                resource: current,
                sequence: None,
            });
        }
        // A pointer kept from before may name what was deleted since; only a
        // new one must be live.
        let kept = current.body.references();
        let added: Vec<_> = next
            .body
            .references()
            .into_iter()
            .filter(|r| !kept.contains(r))
            .collect();
        store::require_live_references(tx, T::COLLECTION.singular, &added).await?;
        let mut changed = T::changed_fields(&current.body, &next.body);
        if next.delete_time != current.meta.delete_time {
            changed.push("delete_time".to_owned());
        }
        // Only a follow-up needs the resource as it was.
        let before = self.follow.is_some().then(|| current.clone());
        let updated = Resource {
            meta: Meta {
                create_time: current.meta.create_time,
                update_time: now.max(current.meta.update_time),
                delete_time: next.delete_time,
                version: current.meta.version + 1,
            },
            body: next.body,
            ..current
        };
        store::replace(tx, &updated, current.meta.version).await?;
        store::write_side(tx, &call.actor, &updated, next.side, now).await?;
        remember(tx, call, target.request_id, &fingerprint, &updated, now).await?;
        let sequence = self
            .append(tx, call, &updated, next.kind, changed, now)
            .await?;
        let sequence = self
            .followed(tx, call, before.as_ref(), &updated, sequence)
            .await?;
        Ok(Written {
            resource: updated,
            sequence: Some(sequence),
        })
    }

    /// Runs the follow-up of a written change; the last sequence appended.
    async fn followed(
        &self,
        tx: &Tx,
        call: &Call,
        before: Option<&Resource<T>>,
        after: &Resource<T>,
        sequence: i64,
    ) -> Result<i64, Error> {
        let Some(follow) = &self.follow else {
            return Ok(sequence);
        };
        let followed = follow.follow(tx, call, before, after).await?;
        Ok(followed.map_or(sequence, |s| s.max(sequence)))
    }

    /// Appends the event of a change, with the resource in its wire form.
    /// Takes the log's counter lock: the last write before commit.
    async fn append(
        &self,
        tx: &Tx,
        call: &Call,
        resource: &Resource<T>,
        kind: &str,
        changed_fields: Vec<String>,
        now: Timestamp,
    ) -> Result<i64, Error> {
        let change = Change {
            actor: call.actor.clone(),
            method: call.method.clone(),
            resource: resource.resource_name(),
            resource_type: T::COLLECTION.singular.to_owned(),
            kind: kind.to_owned(),
            changed_fields,
            etag: resource.meta.etag(),
            snapshot: (self.encode)(resource),
        };
        Ok(store::events::append(tx, change, now).await?.sequence)
    }

    /// Re-encodes events stored before snapshots had a wire form (they held
    /// the domain's serde form) in bounded batches; returns how many.
    pub async fn upgrade_legacy_events(&self) -> Result<u64, Error> {
        let mut upgraded = 0;
        loop {
            let tx = self.store.write().await?;
            let batch = store::events::legacy_snapshots(&tx, T::COLLECTION.singular, 500).await?;
            if batch.is_empty() {
                return Ok(upgraded);
            }
            for (sequence, json) in &batch {
                let resource: Resource<T> = store::from_json(json)?;
                store::events::set_payload(&tx, *sequence, &(self.encode)(&resource)).await?;
            }
            tx.commit().await?;
            upgraded += batch.len() as u64;
        }
    }

    /// The resource collection (and parent) a create writes into, as named
    /// in its fingerprint.
    fn collection_text(&self, parent: Option<Uuid>) -> String {
        match parent {
            Some(id) => format!("{}/{}", T::COLLECTION.parent_name(id), T::COLLECTION.plural),
            None => T::COLLECTION.plural.to_owned(),
        }
    }
}

/// A child named under another parent than its own does not exist there.
fn same_parent<T: Persisted>(resource: &Resource<T>, name: Name) -> Result<(), Error> {
    if resource.parent == name.parent {
        Ok(())
    } else {
        Err(Error::NotFound {
            resource: T::COLLECTION.name_of(name),
        })
    }
}

fn deleted(name: &str) -> Error {
    Error::FailedPrecondition {
        reason: "RESOURCE_DELETED",
        description: format!("{name} is deleted; undelete it first"),
        subject: name.to_owned(),
    }
}

fn not_deleted(name: &str) -> Error {
    Error::FailedPrecondition {
        reason: "RESOURCE_NOT_DELETED",
        description: format!("{name} is not deleted"),
        subject: name.to_owned(),
    }
}

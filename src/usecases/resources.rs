//! The standard methods (create, get, list, update, delete, undelete) written
//! once for every resource: idempotent creates, etag checks, soft delete,
//! signed keyset page tokens.

use std::marker::PhantomData;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::event::{self, Change};
use crate::domain::filter::{self, Filter, Schema};
use crate::domain::listing::{self, Cursor, ListQuery, OrderBy, Orderable, PageTokens};
use crate::domain::resource::{Meta, Resource, Timestamp};
use crate::error::{Error, Violations};
use crate::store::{self, RequestRecord, Store, Table, Tx};

use super::events::EventLog;

/// Who calls and through which method; recorded with what the call changes.
#[derive(Debug, Clone)]
pub struct Call {
    /// Full gRPC method name, e.g. `/crm.v1.CustomerService/CreateCustomer`.
    pub method: String,
    /// The caller's identity as it presented itself.
    pub actor: String,
}

/// A list request as received, before validation.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub filter: String,
    pub order_by: String,
    pub page_size: i32,
    pub page_token: String,
    pub show_deleted: bool,
}

/// A list request after validation, with what its page tokens are bound to.
pub(super) struct ListParams {
    pub filter: Option<Filter>,
    pub order: OrderBy,
    pub page_size: u64,
    pub after: Option<Cursor>,
    pub binding: String,
}

impl ListRequest {
    /// Checks every list parameter against the list's schema, reporting all
    /// bad ones at once, and decodes the page token for this exact request.
    pub(super) fn validate(
        &self,
        collection: &str,
        schema: &Schema,
        orderable: Orderable,
        tokens: &PageTokens,
    ) -> Result<ListParams, Error> {
        let mut v = Violations::new();
        let filter = v.check(
            "filter",
            filter::parse(&self.filter, schema).map_err(|e| e.message),
        );
        let order = v.check("order_by", OrderBy::parse(&self.order_by, orderable));
        let page_size = v.check("page_size", listing::page_size(self.page_size));
        let (Some(filter), Some(order), Some(page_size)) = (filter, order, page_size) else {
            return Err(v.into_error());
        };
        let binding = listing::binding(collection, &self.filter, &order, self.show_deleted);
        let after = match self.page_token.as_str() {
            "" => None,
            token => Some(
                tokens
                    .decode(token, &binding)
                    .map_err(|description| Error::invalid("page_token", description))?,
            ),
        };
        Ok(ListParams {
            filter,
            order,
            page_size,
            after,
            binding,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ListResult<T> {
    pub items: Vec<Resource<T>>,
    /// Empty on the last page.
    pub next_page_token: String,
}

/// The standard methods over one resource.
pub struct Resources<T> {
    store: Store,
    tokens: PageTokens,
    events: EventLog,
    body: PhantomData<fn() -> T>,
}

impl<T> Clone for Resources<T> {
    fn clone(&self) -> Self {
        Resources {
            store: self.store.clone(),
            tokens: self.tokens.clone(),
            events: self.events.clone(),
            body: PhantomData,
        }
    }
}

impl<T: Table> Resources<T> {
    pub fn new(store: Store, tokens: PageTokens, events: EventLog) -> Self {
        Resources {
            store,
            tokens,
            events,
            body: PhantomData,
        }
    }

    /// Appends the event of a change to `resource`, last in the transaction
    /// (the log's counter row stays locked until commit), commits, and wakes
    /// the event streams. Every write of every resource ends here.
    async fn commit_change(
        &self,
        tx: Tx,
        call: &Call,
        resource: &Resource<T>,
        kind: &str,
        changed_fields: Vec<String>,
    ) -> Result<(), Error> {
        let change = Change {
            actor: call.actor.clone(),
            method: call.method.clone(),
            resource: T::COLLECTION.name_of(resource.id),
            resource_type: T::COLLECTION.singular.to_owned(),
            kind: kind.to_owned(),
            changed_fields,
            etag: resource.meta.etag(),
            snapshot: store::to_json(resource),
        };
        let appended = store::events::append(&tx, change).await?;
        tx.commit().await?;
        self.events.committed(appended.sequence);
        Ok(())
    }

    /// Creates a resource. With a request id, a retry of the same request
    /// returns the first result and changes nothing; the same id with a
    /// different request is refused.
    pub async fn create(
        &self,
        call: &Call,
        body: T,
        request_id: Option<Uuid>,
    ) -> Result<Resource<T>, Error> {
        match self.create_once(call, body.clone(), request_id).await {
            // A concurrent call with the same request id committed first (its
            // record won the unique index): this one rolled back; answer from
            // the winner's record.
            Err(Error::Aborted { .. }) if request_id.is_some() => {
                self.create_once(call, body, request_id).await
            }
            other => other,
        }
    }

    async fn create_once(
        &self,
        call: &Call,
        mut body: T,
        request_id: Option<Uuid>,
    ) -> Result<Resource<T>, Error> {
        // Server-only fields are not part of the request: a retry that differs
        // only there is the same request.
        body.keep_server_fields(None);
        let fingerprint = fingerprint(&store::to_json(&body));
        let tx = self.store.write().await?;
        if let Some(request_id) = request_id
            && let Some(record) = RequestRecord::find(&tx, request_id).await?
        {
            if record.method != call.method || record.fingerprint != fingerprint {
                return Err(Error::invalid(
                    "request_id",
                    "was already used for a different request",
                ));
            }
            return store::from_json(&record.response);
        }
        let now = Timestamp::now();
        let resource = Resource {
            id: Uuid::now_v7(),
            meta: Meta::new(now),
            body,
        };
        store::insert(&tx, &resource).await?;
        if let Some(request_id) = request_id {
            let record = RequestRecord {
                request_id,
                method: call.method.clone(),
                fingerprint,
                response: store::to_json(&resource),
                create_time: now,
            };
            record.insert(&tx).await?;
        }
        self.commit_change(tx, call, &resource, event::CREATED, Vec::new())
            .await?;
        Ok(resource)
    }

    /// Returns a resource, soft-deleted or not.
    pub async fn get(&self, id: Uuid) -> Result<Resource<T>, Error> {
        let tx = self.store.read().await?;
        store::get(&tx, id).await
    }

    /// One page of the list; every invalid list parameter is reported.
    pub async fn list(&self, request: &ListRequest) -> Result<ListResult<T>, Error> {
        let collection = T::COLLECTION.plural;
        let params = request.validate(collection, &T::FILTER, T::ORDERABLE, &self.tokens)?;
        let query = ListQuery {
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

    /// Replaces the body with what `change` makes of the stored resource,
    /// inside one transaction. A stale etag is ABORTED; a deleted resource
    /// must be undeleted first. An update that changes nothing writes nothing.
    pub async fn update(
        &self,
        call: &Call,
        id: Uuid,
        etag: Option<&str>,
        change: impl FnOnce(&Resource<T>) -> Result<T, Error>,
    ) -> Result<Resource<T>, Error> {
        let tx = self.store.write().await?;
        let current = store::get_for_update::<T>(&tx, id).await?;
        require_live(&current)?;
        require_etag(&current, etag)?;
        let mut body = change(&current)?;
        body.keep_server_fields(Some(&current.body));
        if body == current.body {
            return Ok(current);
        }
        let updated = Resource {
            id,
            meta: next_version(&current.meta, current.meta.delete_time),
            body,
        };
        store::replace(&tx, &updated, current.meta.version).await?;
        let changed = T::changed_fields(&current.body, &updated.body);
        self.commit_change(tx, call, &updated, event::UPDATED, changed)
            .await?;
        Ok(updated)
    }

    /// Soft-deletes: the resource stays readable, hidden from lists.
    pub async fn delete(
        &self,
        call: &Call,
        id: Uuid,
        etag: Option<&str>,
    ) -> Result<Resource<T>, Error> {
        let tx = self.store.write().await?;
        let current = store::get_for_update::<T>(&tx, id).await?;
        require_live(&current)?;
        require_etag(&current, etag)?;
        let deleted = Resource {
            meta: next_version(&current.meta, Some(Timestamp::now())),
            ..current.clone()
        };
        store::replace(&tx, &deleted, current.meta.version).await?;
        let changed = vec!["delete_time".to_owned()];
        self.commit_change(tx, call, &deleted, event::DELETED, changed)
            .await?;
        Ok(deleted)
    }

    /// Restores a soft-deleted resource.
    pub async fn undelete(&self, call: &Call, id: Uuid) -> Result<Resource<T>, Error> {
        let tx = self.store.write().await?;
        let current = store::get_for_update::<T>(&tx, id).await?;
        if !current.meta.is_deleted() {
            return Err(Error::FailedPrecondition {
                reason: "RESOURCE_NOT_DELETED",
                subject: T::COLLECTION.name_of(id),
                description: format!("{} is not deleted", T::COLLECTION.name_of(id)),
            });
        }
        let restored = Resource {
            meta: next_version(&current.meta, None),
            ..current.clone()
        };
        store::replace(&tx, &restored, current.meta.version).await?;
        let changed = vec!["delete_time".to_owned()];
        self.commit_change(tx, call, &restored, event::UNDELETED, changed)
            .await?;
        Ok(restored)
    }
}

fn next_version(meta: &Meta, delete_time: Option<Timestamp>) -> Meta {
    Meta {
        create_time: meta.create_time,
        update_time: Timestamp::now().max(meta.update_time),
        delete_time,
        version: meta.version + 1,
    }
}

fn require_live<T: Table>(resource: &Resource<T>) -> Result<(), Error> {
    if resource.meta.is_deleted() {
        let name = T::COLLECTION.name_of(resource.id);
        return Err(Error::FailedPrecondition {
            reason: "RESOURCE_DELETED",
            description: format!("{name} is deleted; undelete it first"),
            subject: name,
        });
    }
    Ok(())
}

fn require_etag<T: Table>(resource: &Resource<T>, etag: Option<&str>) -> Result<(), Error> {
    match etag {
        Some(etag) if etag != resource.meta.etag() => Err(Error::Aborted {
            resource: T::COLLECTION.name_of(resource.id),
        }),
        _ => Ok(()),
    }
}

fn fingerprint(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

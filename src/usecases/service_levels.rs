//! The service-level policy rule that needs the other policies: a priority
//! is held by one live policy at most. Checked inside the write transaction
//! of each change that gives a live policy its priority (a create, an
//! Update that changes the priority, an undelete), so two writers cannot
//! both take one; a partial unique index backs it in the schema.

use crate::domain::resource::{Next, Resource, Timestamp};
use crate::domain::service_level::{ServiceLevelPolicy, priority_taken};
use crate::error::Error;
use crate::store::{self, Tx};

use super::resources::HookFuture;

/// Before a create: the new policy's priority must be free.
pub(super) fn claim_priority(
    tx: &Tx,
    body: ServiceLevelPolicy,
    _now: Timestamp,
) -> HookFuture<'_, ServiceLevelPolicy> {
    Box::pin(async move {
        refuse_taken(tx, body.priority, None).await?;
        Ok(body)
    })
}

/// Before an Update or an undelete that leaves the policy live with a
/// priority it did not hold while live: that priority must be free.
pub(super) fn keep_priority_unique<'a>(
    tx: &'a Tx,
    current: &'a Resource<ServiceLevelPolicy>,
    next: Next<ServiceLevelPolicy>,
    _now: Timestamp,
) -> HookFuture<'a, Next<ServiceLevelPolicy>> {
    Box::pin(async move {
        let live_after = next.delete_time.is_none();
        let newly_held = current.meta.is_deleted() || next.body.priority != current.body.priority;
        if live_after && newly_held {
            refuse_taken(tx, next.body.priority, Some(current.id)).await?;
        }
        Ok(next)
    })
}

async fn refuse_taken(tx: &Tx, priority: i32, except: Option<uuid::Uuid>) -> Result<(), Error> {
    match store::find_live_policy_with_priority(tx, priority, except).await? {
        Some(holder) => Err(priority_taken(priority, &holder.resource_name())),
        None => Ok(()),
    }
}

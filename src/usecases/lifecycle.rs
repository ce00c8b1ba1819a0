//! The lifecycle stage kept true (DOMAIN.md section 5 "Lifecycle"): after
//! every purchase change, in its transaction, and by the daily pass as time
//! passes. Each recomputes from the customer's live sales with the pure rule
//! (`domain::customer::lifecycle`), records when the stage would next
//! change, and writes a change of stage through the customer's own
//! mutation path, so it is an event of the customer like any other.

use std::sync::Arc;

use chrono_tz::Tz;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::customer::Customer;
use crate::domain::customer::lifecycle::{self, PurchaseHistory};
use crate::domain::purchase::Purchase;
use crate::domain::resource::{Name, Resource};
use crate::error::Error;
use crate::store::{self, Store, Tx};

use super::events::EventLog;
use super::resources::{Call, Follow, HookFuture, Require, Resources, Target};

/// Who and what the daily pass's changes name in events.
pub const PASS_CALL: (&str, &str) = ("crm", "crm/lifecycle-pass");

/// The lifecycle of customers, in the organisation's time zone.
#[derive(Clone)]
pub struct Lifecycles {
    customers: Resources<Customer>,
    store: Store,
    events: EventLog,
    zone: Tz,
}

impl Lifecycles {
    pub(super) fn new(
        customers: Resources<Customer>,
        store: Store,
        events: EventLog,
        zone: Tz,
    ) -> Arc<Self> {
        Arc::new(Lifecycles {
            customers,
            store,
            events,
            zone,
        })
    }

    /// Recomputes one customer's stage inside `tx`, as of the clock's now:
    /// locks the customer first, so its sales are read after any concurrent
    /// purchase of the same customer commits. A deleted customer is left as
    /// it is. Answers the sequence of the change's event, if the stage moved.
    async fn recompute(&self, tx: &Tx, call: &Call, id: Uuid) -> Result<Option<i64>, Error> {
        let current = store::get_for_update::<Customer>(tx, id).await?;
        if current.meta.is_deleted() {
            return Ok(None);
        }
        let now = self.customers.now();
        let times = store::sale_times_of(tx, id).await?;
        let history = PurchaseHistory::of(&times, self.zone);
        let evaluated = lifecycle::evaluate(&history, self.zone, now);
        store::set_lifecycle_next_change(tx, id, evaluated.next_change).await?;
        if current.body.lifecycle_stage == Some(evaluated.stage) {
            return Ok(None);
        }
        let target = Target {
            name: Name { parent: None, id },
            etag: None,
            request_id: None,
        };
        let written = self
            .customers
            .mutate_in(
                tx,
                call,
                &target,
                Require::Live,
                evaluated.stage,
                lifecycle::follow,
            )
            .await?;
        Ok(written.sequence)
    }

    /// The daily pass: moves every live customer whose stage is due to
    /// change by now (into at risk, lost, or out of loyal or won back),
    /// `chunk` customers per transaction, the earliest due first, until none
    /// is due or `held` is cancelled. Finds them by their next change time,
    /// through its index: the cost follows the customers due, not all
    /// customers. Returns how many stages it changed.
    pub async fn pass(&self, chunk: u64, held: &CancellationToken) -> Result<u64, Error> {
        let call = Call {
            actor: PASS_CALL.0.to_owned(),
            method: PASS_CALL.1.to_owned(),
        };
        let mut changed = 0;
        while !held.is_cancelled() {
            let tx = self.store.write().await?;
            let due = store::customers_with_lifecycle_due(&tx, self.customers.now(), chunk).await?;
            let mut last = None;
            for id in &due {
                if let Some(sequence) = self.recompute(&tx, &call, *id).await? {
                    changed += 1;
                    last = Some(sequence);
                }
            }
            // Each customer due now has a later next change or none, so the
            // next round reads the next ones.
            tx.commit().await?;
            if let Some(sequence) = last {
                self.events.committed(sequence);
            }
            if (due.len() as u64) < chunk {
                break;
            }
        }
        Ok(changed)
    }
}

/// A purchase change that can move the stage: any create, delete or
/// undelete, and an update of the purchase time or kind.
impl Follow<Purchase> for Lifecycles {
    fn follow<'a>(
        &'a self,
        tx: &'a Tx,
        call: &'a Call,
        before: Option<&'a Resource<Purchase>>,
        after: &'a Resource<Purchase>,
    ) -> HookFuture<'a, Option<i64>> {
        Box::pin(async move {
            if let Some(before) = before
                && before.body.purchase_time == after.body.purchase_time
                && before.body.kind == after.body.kind
                && before.meta.delete_time == after.meta.delete_time
            {
                return Ok(None);
            }
            let customer = after
                .parent
                .ok_or_else(|| Error::internal("a purchase without its customer"))?;
            self.recompute(tx, call, customer).await
        })
    }
}

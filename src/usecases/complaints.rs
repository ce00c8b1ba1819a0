//! The complaint rules that need other resources or the steps table:
//! receipt (customer and channel checked, the segment copied, in the
//! create's transaction), a contact point that must be the customer's, the
//! history list, and the refusal to delete a customer with open complaints.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::channel::Channel;
use crate::domain::complaint::steps::Step;
use crate::domain::complaint::transitions::{self, Contact};
use crate::domain::complaint::{self, Complaint};
use crate::domain::customer::Customer;
use crate::domain::listing::{self, PageTokens};
use crate::domain::resource::{Name, Next, Resource, Timestamp};
use crate::error::Error;
use crate::store::{self, Store, Tx};

use super::resources::{Call, HookFuture, Require, Resources, Target};

/// Complaints: the standard methods and transitions through `resources`,
/// and what needs more than the complaint itself.
#[derive(Clone)]
pub struct Complaints {
    pub resources: Resources<Complaint>,
    store: Store,
    tokens: PageTokens,
}

/// One page of a complaint's history.
#[derive(Debug, Clone)]
pub struct StepPage {
    pub steps: Vec<Step>,
    /// Empty on the last page.
    pub next_page_token: String,
}

/// How many open complaints a refused customer delete names.
const OPEN_COMPLAINTS_NAMED: u64 = 5;

impl Complaints {
    pub(super) fn new(resources: Resources<Complaint>, store: Store, tokens: PageTokens) -> Self {
        Complaints {
            resources: resources.with_prepare(receive),
            store,
            tokens,
        }
    }

    /// RecordCustomerContact: the contact point must be one of the
    /// customer's and the channel must exist, both as of the change's own
    /// transaction (a concurrent edit of the customer is seen). A replayed
    /// request answers its first result without checking again.
    pub async fn record_contact(
        &self,
        call: &Call,
        target: Target,
        contact: Contact,
    ) -> Result<Resource<Complaint>, Error> {
        let tx = self.store.write().await?;
        let written = self
            .resources
            .mutate_in(
                &tx,
                call,
                &target,
                Require::Live,
                contact.clone(),
                transitions::record_contact,
            )
            .await?;
        if written.sequence.is_some() {
            let customer = store::find::<Customer>(&tx, written.resource.body.customer)
                .await?
                .ok_or_else(|| Error::internal("a complaint's customer is missing"))?;
            contact.check_point(&customer.body)?;
            if store::find::<Channel>(&tx, contact.channel)
                .await?
                .is_none()
            {
                return Err(Error::invalid("channel", "names no channel"));
            }
        }
        // Dropped on any error above: nothing of the contact is written.
        self.resources.commit(tx, written).await
    }

    /// The steps of a complaint, oldest first.
    pub async fn steps(
        &self,
        complaint: Name,
        page_size: i32,
        page_token: &str,
    ) -> Result<StepPage, Error> {
        let page_size =
            listing::page_size(page_size).map_err(|d| Error::invalid("page_size", d))?;
        let binding = format!("{}/steps", complaint::COLLECTION.name_of(complaint));
        let after = match page_token {
            "" => None,
            token => Some(
                self.tokens
                    .decode(token, &binding)
                    .map_err(|d| Error::invalid("page_token", d))?,
            ),
        };
        // Existence first: an unknown complaint is NOT_FOUND, not an empty list.
        self.resources.get(complaint).await?;
        let tx = self.store.read().await?;
        let page = store::list_steps(&tx, complaint.id, after.as_ref(), page_size).await?;
        Ok(StepPage {
            steps: page.items,
            next_page_token: page
                .next
                .map(|cursor| self.tokens.encode(&cursor, &binding))
                .unwrap_or_default(),
        })
    }
}

/// Who and what the warning sweep's changes name in steps and events.
pub const SWEEP_CALL: (&str, &str) = ("crm", "crm/warning-sweep");

impl Complaints {
    /// Records every warning level reached by now and not yet recorded
    /// (DOMAIN.md section 5), each as its own change with a step and an
    /// event, `chunk` complaints per transaction, the earliest due first,
    /// until none is due or `held` is cancelled. Finds due complaints by
    /// their next warning time, through its index: the cost follows the
    /// complaints that are due, not those open. Each change locks its row
    /// and recomputes from what is stored, so two sweeps never record a
    /// level twice. Returns how many levels it recorded.
    pub async fn sweep_warnings(&self, chunk: u64, held: &CancellationToken) -> Result<u64, Error> {
        let call = Call {
            actor: SWEEP_CALL.0.to_owned(),
            method: SWEEP_CALL.1.to_owned(),
        };
        let mut recorded = 0;
        while !held.is_cancelled() {
            let tx = self.store.write().await?;
            let due = store::complaints_with_warnings_due(&tx, self.resources.now(), chunk).await?;
            let mut last = None;
            for id in &due {
                let target = Target {
                    name: Name {
                        parent: None,
                        id: *id,
                    },
                    etag: None,
                    request_id: None,
                };
                loop {
                    let written = self
                        .resources
                        .mutate_in(
                            &tx,
                            &call,
                            &target,
                            Require::Live,
                            (),
                            transitions::record_warning,
                        )
                        .await?;
                    if written.sequence.is_none() {
                        break;
                    }
                    recorded += 1;
                    last = Some(written);
                }
            }
            let Some(last) = last else {
                // Nothing due, or nothing recordable: the next round looks again.
                return Ok(recorded);
            };
            self.resources.commit(tx, last).await?;
            if (due.len() as u64) < chunk {
                break;
            }
        }
        Ok(recorded)
    }

    /// How long the sweep may wait: until the earliest next warning time
    /// known, at most `every`.
    pub async fn until_next_warning(&self, every: Duration) -> Result<Duration, Error> {
        let tx = self.store.read().await?;
        let Some(next) = store::earliest_warning_time(&tx).await? else {
            return Ok(every);
        };
        let wait = next.micros().saturating_sub(self.resources.now().micros());
        Ok(Duration::from_micros(u64::try_from(wait).unwrap_or(0)).min(every))
    }
}

/// Receipt, inside the create's transaction: reads the customer and the
/// channel there (so a concurrent delete is seen) and lets the domain check
/// them and copy the segment.
fn receive(tx: &Tx, body: Complaint, now: Timestamp) -> HookFuture<'_, Complaint> {
    Box::pin(async move {
        let customer = store::find::<Customer>(tx, body.customer).await?;
        let channel = store::find::<Channel>(tx, body.intake_channel).await?;
        body.receive(customer.as_ref(), channel.as_ref(), now)
    })
}

/// A customer with open complaints cannot be deleted: FAILED_PRECONDITION
/// naming them. Checked in the delete's transaction.
pub(super) fn refuse_delete_with_open_complaints<'a>(
    tx: &'a Tx,
    current: &'a Resource<Customer>,
    next: Next<Customer>,
    _now: Timestamp,
) -> HookFuture<'a, Next<Customer>> {
    Box::pin(async move {
        let deleting = next.delete_time.is_some() && !current.meta.is_deleted();
        if !deleting {
            return Ok(next);
        }
        let open = store::open_complaints_of(tx, current.id, OPEN_COMPLAINTS_NAMED).await?;
        if open.is_empty() {
            return Ok(next);
        }
        Err(Error::FailedPrecondition {
            reason: "OPEN_COMPLAINTS",
            subject: open.join(", "),
            description: format!(
                "{} has open complaints ({}); close or withdraw them first",
                current.resource_name(),
                open.join(", ")
            ),
        })
    })
}

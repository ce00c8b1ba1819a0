//! The complaint rules that need other resources or the steps table:
//! receipt (customer and channel checked, the segment copied, in the
//! create's transaction), a contact point that must be the customer's, the
//! history list, and the refusal to delete a customer with open complaints.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::calendar::Calendar;
use crate::domain::channel::Channel;
use crate::domain::complaint::analysis::{self, Analysis, AnalysisRequest, Figures, GroupSums};
use crate::domain::complaint::steps::Step;
use crate::domain::complaint::steps::StepKind;
use crate::domain::complaint::targets::ServiceLevel;
use crate::domain::complaint::transitions::{self, Contact};
use crate::domain::complaint::{self, Complaint};
use crate::domain::customer::Customer;
use crate::domain::listing::{self, PageTokens};
use crate::domain::purchase::Purchase;
use crate::domain::resource::{Name, Next, Resource, Timestamp};
use crate::domain::service_level;
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
            resources: resources.with_prepare(receive).with_guard(reclassify),
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

    /// AnalyzeComplaints: the period's figures grouped and overall, and the
    /// comparison period's overall figures, from one read snapshot.
    pub async fn analyze(&self, request: AnalysisRequest) -> Result<Analysis, Error> {
        let tx = self.store.read().await?;
        let filter = request.filter.as_ref();
        let overall = |sums: Vec<GroupSums>| {
            sums.into_iter()
                .next()
                .map_or_else(Figures::default, |g| Figures::new(g.sums, g.times))
        };
        let groups = match request.group_by {
            Some(by) => analysis::groups(
                store::complaint_figures(&tx, request.period, filter, Some(by)).await?,
            ),
            None => Vec::new(),
        };
        let comparison_period = analysis::comparison_period(request.period, request.comparison);
        Ok(Analysis {
            overall: overall(store::complaint_figures(&tx, request.period, filter, None).await?),
            groups,
            comparison_period,
            comparison: overall(
                store::complaint_figures(&tx, comparison_period, filter, None).await?,
            ),
        })
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
        let mut body = body.receive(customer.as_ref(), channel.as_ref(), now)?;
        if let Some(purchase) = body.purchase_name() {
            body.check_purchase(store::find::<Purchase>(tx, purchase.id).await?.as_ref())?;
        }
        body.service_level = choose_service_level(tx, &body).await?;
        Ok(body)
    })
}

/// What the first active policy that applies to the complaint promises,
/// with its calendar as it is now, read in the change's transaction; None
/// when no policy applies.
async fn choose_service_level(tx: &Tx, body: &Complaint) -> Result<Option<ServiceLevel>, Error> {
    let policies = store::active_policies(tx).await?;
    let Some(policy) = service_level::choose(
        &policies,
        body.severity,
        body.category,
        body.intake_channel,
        body.segment.tier,
    ) else {
        return Ok(None);
    };
    let calendar = match policy.body.calendar {
        Some(id) => {
            let calendar = store::find::<Calendar>(tx, id)
                .await?
                .ok_or_else(|| Error::internal("a policy's calendar is missing"))?;
            Some((id, calendar.body))
        }
        None => None,
    };
    Ok(Some(ServiceLevel {
        policy: policy.id,
        calendar,
        targets: policy.body.targets,
        thresholds: policy.body.thresholds,
    }))
}

/// A change of severity or category chooses the policy again, in the
/// update's transaction; the clocks keep their history, so every due time
/// is recomputed under the new promise, and the reclassification step says
/// which policy now applies.
pub(super) fn reclassify<'a>(
    tx: &'a Tx,
    current: &'a Resource<Complaint>,
    mut next: Next<Complaint>,
    _now: Timestamp,
) -> HookFuture<'a, Next<Complaint>> {
    Box::pin(async move {
        let (before, after) = (&current.body, &next.body);
        if before.severity == after.severity && before.category == after.category {
            return Ok(next);
        }
        let chosen = choose_service_level(tx, &next.body).await?;
        let policy_of = |level: &Option<ServiceLevel>| {
            level.as_ref().map_or("none".to_owned(), |l| {
                service_level::COLLECTION.name_of(Name {
                    parent: None,
                    id: l.policy,
                })
            })
        };
        let (old, new) = (policy_of(&next.body.service_level), policy_of(&chosen));
        if old != new
            && let Some(step) = next
                .side
                .iter_mut()
                .find(|s| s.kind == StepKind::Reclassified)
        {
            step.decision.push_str(&format!("; policy {old} -> {new}"));
        }
        next.body.service_level = chosen;
        Ok(next)
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

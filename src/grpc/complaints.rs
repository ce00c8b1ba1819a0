//! ComplaintService: standard methods through `grpc::standard`, each
//! transition a parse into its domain command and one `mutate` with the
//! domain's transition function. Rules live in `domain::complaint`.

use tonic::{Request, Response, Status};

use super::complaint_analysis::{self, duration};
use super::convert::{call, labels_to_pb, meta_to_pb, time_input, timestamp_to_pb};
use super::standard::{self, WireResource, target};
use crate::domain::ClosedEnum;
use crate::domain::complaint::steps::Step;
use crate::domain::complaint::targets::{Milestone, ServiceLevel};
use crate::domain::complaint::transitions::{
    self as t, Assign, Callback, Contact, Noted, Resolve, Triage,
};
use crate::domain::complaint::{Complaint, ComplaintInput, ProductInput};
use crate::domain::input::code_of;
use crate::domain::resource::{Collection, Name, Resource, Timestamp};
use crate::domain::{calendar, service_level};
use crate::pb::{self, complaint_service_server::ComplaintService};
use crate::usecases::{Call, Complaints, Transition};

pub struct ComplaintApi {
    pub complaints: Complaints,
}

type Answer = Result<Response<pb::Complaint>, Status>;

impl ComplaintApi {
    /// The complaint as read now.
    fn answer(&self, resource: Resource<Complaint>) -> Answer {
        let now = self.complaints.resources.now();
        Ok(Response::new(Complaint::to_pb_at(&resource, now)))
    }

    /// A transition that takes nothing but an optional note: name, etag,
    /// request id and note, in that order.
    async fn noted(
        &self,
        call: &Call,
        [name, etag, request_id, note]: [&str; 4],
        apply: Transition<Complaint, Noted>,
    ) -> Answer {
        let target = target::<Complaint>(name, etag, request_id)?;
        let command = Noted::parse(note)?;
        self.answer(
            self.complaints
                .resources
                .mutate(call, target, command, apply)
                .await?,
        )
    }
}

#[tonic::async_trait]
impl ComplaintService for ComplaintApi {
    async fn create_complaint(&self, request: Request<pb::CreateComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        let resources = &self.complaints.resources;
        standard::create(resources, &call, "", r.complaint.as_ref(), &r.request_id).await
    }

    async fn get_complaint(&self, request: Request<pb::GetComplaintRequest>) -> Answer {
        standard::get(&self.complaints.resources, &request.get_ref().name).await
    }

    async fn list_complaints(
        &self,
        request: Request<pb::ListComplaintsRequest>,
    ) -> Result<Response<pb::ListComplaintsResponse>, Status> {
        let list = list_request!(request.into_inner(), show_deleted: |_: &pb::ListComplaintsRequest| false);
        let (complaints, next_page_token) =
            standard::list(&self.complaints.resources, "", list).await?;
        Ok(Response::new(pb::ListComplaintsResponse {
            complaints,
            next_page_token,
        }))
    }

    async fn update_complaint(&self, request: Request<pb::UpdateComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        let mask = r.update_mask.as_ref();
        standard::update(
            &self.complaints.resources,
            &call,
            r.complaint,
            mask,
            &r.request_id,
        )
        .await
    }

    async fn triage_complaint(&self, request: Request<pb::TriageComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        let target = target::<Complaint>(&r.name, &r.etag, &r.request_id)?;
        let command = Triage::parse(
            &r.note,
            r.verdict,
            &r.handling_department,
            r.invalid_reason,
            &r.explanation,
        )?;
        self.answer(
            self.complaints
                .resources
                .mutate(&call, target, command, t::triage)
                .await?,
        )
    }

    async fn assign_complaint(&self, request: Request<pb::AssignComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        let target = target::<Complaint>(&r.name, &r.etag, &r.request_id)?;
        let supplier = r
            .supplier
            .as_ref()
            .map(|s| (s.display_name.as_str(), s.reference.as_str()));
        let command = Assign::parse(
            &r.note,
            &r.handling_department,
            &r.assignee,
            supplier,
            r.escalate,
        )?;
        self.answer(
            self.complaints
                .resources
                .mutate(&call, target, command, t::assign)
                .await?,
        )
    }

    async fn record_customer_contact(
        &self,
        request: Request<pb::RecordCustomerContactRequest>,
    ) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        let target = target::<Complaint>(&r.name, &r.etag, &r.request_id)?;
        let command = Contact::parse(
            &r.note,
            &r.channel,
            r.direction,
            r.contact_point_type,
            &r.contact_point_value,
            r.callback_requested,
            &r.summary,
        )?;
        self.answer(
            self.complaints
                .record_contact(&call, target, command)
                .await?,
        )
    }

    async fn wait_on_customer(&self, request: Request<pb::WaitOnCustomerRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        self.noted(
            &call,
            [&r.name, &r.etag, &r.request_id, &r.note],
            t::wait_on_customer,
        )
        .await
    }

    async fn resume_complaint(&self, request: Request<pb::ResumeComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        self.noted(&call, [&r.name, &r.etag, &r.request_id, &r.note], t::resume)
            .await
    }

    async fn resolve_complaint(&self, request: Request<pb::ResolveComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        let target = target::<Complaint>(&r.name, &r.etag, &r.request_id)?;
        let remedy = r
            .remedy
            .as_ref()
            .map(|m| (m.kind, m.amount_minor, m.currency.as_str(), m.note.as_str()));
        let root_cause = r
            .root_cause
            .as_ref()
            .map(|c| (c.category, c.detail.as_str()));
        let command = Resolve::parse(&r.note, remedy, root_cause)?;
        self.answer(
            self.complaints
                .resources
                .mutate(&call, target, command, t::resolve)
                .await?,
        )
    }

    async fn record_callback(&self, request: Request<pb::RecordCallbackRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        let target = target::<Complaint>(&r.name, &r.etag, &r.request_id)?;
        let command = Callback::parse(&r.note, r.outcome, r.satisfaction_level)?;
        self.answer(
            self.complaints
                .resources
                .mutate(&call, target, command, t::record_callback)
                .await?,
        )
    }

    async fn close_complaint(&self, request: Request<pb::CloseComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        self.noted(&call, [&r.name, &r.etag, &r.request_id, &r.note], t::close)
            .await
    }

    async fn withdraw_complaint(&self, request: Request<pb::WithdrawComplaintRequest>) -> Answer {
        let (call, r) = (call(&request), request.into_inner());
        self.noted(
            &call,
            [&r.name, &r.etag, &r.request_id, &r.note],
            t::withdraw,
        )
        .await
    }

    async fn list_complaint_steps(
        &self,
        request: Request<pb::ListComplaintStepsRequest>,
    ) -> Result<Response<pb::ListComplaintStepsResponse>, Status> {
        let r = request.into_inner();
        let name: Name = standard::parse_name::<Complaint>("parent", &r.parent)?;
        let page = self
            .complaints
            .steps(name, r.page_size, &r.page_token)
            .await?;
        Ok(Response::new(pb::ListComplaintStepsResponse {
            steps: page.steps.iter().map(step_to_pb).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn analyze_complaints(
        &self,
        request: Request<pb::AnalyzeComplaintsRequest>,
    ) -> Result<Response<pb::AnalyzeComplaintsResponse>, Status> {
        let analysis_request = complaint_analysis::request(request.get_ref())?;
        let analysis = self.complaints.analyze(analysis_request).await?;
        Ok(Response::new(complaint_analysis::to_pb(&analysis)))
    }
}

fn step_to_pb(s: &Step) -> pb::ComplaintStep {
    pb::ComplaintStep {
        name: s.resource_name(),
        number: s.number as i32,
        kind: s.draft.kind.code(),
        actor: s.actor.clone(),
        create_time: Some(timestamp_to_pb(s.time)),
        state_before: code_of(s.draft.state_before),
        state_after: s.draft.state_after.code(),
        note: s.draft.note.clone(),
        decision: s.draft.decision.clone(),
    }
}

impl WireResource for Complaint {
    type Message = pb::Complaint;
    const MESSAGE: &'static str = "crm.v1.Complaint";

    fn name(message: &pb::Complaint) -> &str {
        &message.name
    }

    fn etag(message: &pb::Complaint) -> &str {
        &message.etag
    }

    fn input(c: &pb::Complaint) -> ComplaintInput {
        let product = c.product.clone().unwrap_or_default();
        ComplaintInput {
            customer: c.customer.clone(),
            intake_channel: c.intake_channel.clone(),
            received_time: c.received_time.as_ref().map(time_input),
            product: ProductInput {
                sku: product.sku,
                display_name: product.name,
            },
            purchase: c.purchase.clone(),
            category: c.category,
            subcategory: c.subcategory.clone(),
            severity: c.severity,
            subject: c.subject.clone(),
            description: c.description.clone(),
            labels: c.labels.clone().into_iter().collect(),
        }
    }

    fn to_pb(r: &Resource<Complaint>) -> pb::Complaint {
        Self::to_pb_at(r, r.meta.update_time)
    }

    fn to_pb_at(r: &Resource<Complaint>, now: Timestamp) -> pb::Complaint {
        let c = &r.body;
        let meta = meta_to_pb(&r.meta);
        let input = c.input();
        pb::Complaint {
            name: r.resource_name(),
            customer: input.customer,
            intake_channel: input.intake_channel,
            received_time: c.received_time.map(timestamp_to_pb),
            product: Some(pb::Product {
                sku: c.product.sku.clone(),
                name: c.product.display_name.clone(),
            }),
            purchase: c.purchase.clone(),
            category: c.category.code(),
            subcategory: c.subcategory.clone(),
            severity: c.severity.code(),
            subject: c.subject.clone(),
            description: c.description.clone(),
            labels: labels_to_pb(&c.labels),
            customer_tier: code_of(c.segment.tier),
            customer_relationship: code_of(c.segment.relationship),
            customer_value_grade: code_of(c.segment.value_grade),
            customer_sales_region: c.segment.sales_region.clone(),
            customer_country: c.segment.country.clone(),
            state: c.state().code(),
            validity: Some(pb::Validity {
                verdict: c.validity.verdict.code(),
                reason: code_of(c.validity.reason),
                explanation: c.validity.explanation.clone(),
                judge_time: c.validity.judge_time.map(timestamp_to_pb),
            }),
            handling_department: c.handling_department.clone(),
            assignee: c.assignee.clone(),
            supplier: c.supplier.as_ref().map(|s| pb::Supplier {
                display_name: s.display_name.clone(),
                reference: s.reference.clone(),
            }),
            remedy: c.remedy.as_ref().map(|m| pb::Remedy {
                kind: m.kind.code(),
                amount_minor: m.amount.as_ref().map_or(0, |a| a.0),
                currency: m.amount.as_ref().map(|a| a.1.clone()).unwrap_or_default(),
                note: m.note.clone(),
            }),
            root_cause: c.root_cause.as_ref().map(|rc| pb::RootCause {
                category: rc.category.code(),
                detail: rc.detail.clone(),
            }),
            callback_count: c.progress.callback_count as i32,
            unreachable_callbacks: c.progress.unreachable_since_resolution as i32,
            last_callback_outcome: code_of(c.last_callback_outcome),
            reopen_count: c.progress.reopen_count as i32,
            first_response_time: c.milestones.first_response_time.map(timestamp_to_pb),
            triage_time: c.milestones.triage_time.map(timestamp_to_pb),
            resolve_times: c
                .milestones
                .resolve_times
                .iter()
                .map(|t| timestamp_to_pb(*t))
                .collect(),
            close_time: c.milestones.close_time.map(timestamp_to_pb),
            closure_reason: code_of(c.progress.closure),
            last_satisfaction_level: code_of(c.last_satisfaction_level),
            time_targets: c
                .service_level
                .as_ref()
                .map(|level| time_targets_to_pb(c, level, now)),
            warning_level: c.standing().warning_level.code(),
            create_time: meta.create_time,
            update_time: meta.update_time,
            etag: meta.etag,
        }
    }
}

fn time_targets_to_pb(c: &Complaint, level: &ServiceLevel, now: Timestamp) -> pb::TimeTargets {
    let mut first_response = None;
    let mut resolution = None;
    let mut callbacks = Vec::new();
    for s in c.timing.status(level, c.progress.is_open(), now) {
        let target = pb::MilestoneTarget {
            milestone: s.milestone.code(),
            number: s.number as i32,
            target: Some(duration(s.target)),
            start_time: s.start_time.map(timestamp_to_pb),
            due_time: s.due_time.map(timestamp_to_pb),
            achieved_time: s.achieved_time.map(timestamp_to_pb),
            business_time_elapsed: Some(duration(s.elapsed)),
            running: s.running,
            warning_level: s.level.code(),
            warning_time: s.level_time.map(timestamp_to_pb),
            breached: s.breached,
            time_until_breach: s.time_until_breach.map(duration),
            on_time: s.on_time,
        };
        match s.milestone {
            Milestone::FirstResponse => first_response = Some(target),
            Milestone::Resolution => resolution = Some(target),
            Milestone::Callback => callbacks.push(target),
        }
    }
    let name_of = |collection: Collection, id| collection.name_of(Name { parent: None, id });
    pb::TimeTargets {
        policy: name_of(service_level::COLLECTION, level.policy),
        calendar: level
            .calendar
            .as_ref()
            .map(|(id, _)| name_of(calendar::COLLECTION, *id))
            .unwrap_or_default(),
        yellow_percent: level.thresholds.yellow as i32,
        orange_percent: level.thresholds.orange as i32,
        red_percent: level.thresholds.red as i32,
        first_response,
        resolution,
        callbacks,
        last_warning: c.timing.last_warning.map(|w| pb::WarningRecord {
            milestone: w.milestone.code(),
            number: w.number as i32,
            level: w.level.code(),
            reached_time: Some(timestamp_to_pb(w.reached_time)),
            target: Some(duration(w.target)),
        }),
    }
}

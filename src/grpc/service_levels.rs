//! ServiceLevelPolicyService: each handler picks its request's fields and
//! calls the standard path; the translation between
//! `pb::ServiceLevelPolicy` and the domain's policy is all that is specific
//! here. Rules live in `domain::service_level`, the unique priority in
//! `usecases`.

use tonic::{Request, Response, Status};

use super::convert::{call, duration_input, duration_to_pb, labels_to_pb, meta_to_pb};
use super::standard::{self, WireResource};
use crate::domain::resource::Resource;
use crate::domain::service_level::{ServiceLevelPolicy, ServiceLevelPolicyInput, ThresholdsInput};
use crate::pb::{self, service_level_policy_service_server::ServiceLevelPolicyService};
use crate::usecases::Resources;

pub struct ServiceLevelPolicyApi {
    pub policies: Resources<ServiceLevelPolicy>,
}

#[tonic::async_trait]
impl ServiceLevelPolicyService for ServiceLevelPolicyApi {
    async fn create_service_level_policy(
        &self,
        request: Request<pb::CreateServiceLevelPolicyRequest>,
    ) -> Result<Response<pb::ServiceLevelPolicy>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let policy = r.service_level_policy.as_ref();
        standard::create(&self.policies, &call, "", policy, &r.request_id).await
    }

    async fn get_service_level_policy(
        &self,
        request: Request<pb::GetServiceLevelPolicyRequest>,
    ) -> Result<Response<pb::ServiceLevelPolicy>, Status> {
        standard::get(&self.policies, &request.get_ref().name).await
    }

    async fn list_service_level_policies(
        &self,
        request: Request<pb::ListServiceLevelPoliciesRequest>,
    ) -> Result<Response<pb::ListServiceLevelPoliciesResponse>, Status> {
        let r = request.into_inner();
        let list = list_request!(r, show_deleted: |r: &pb::ListServiceLevelPoliciesRequest| r.show_deleted);
        let (service_level_policies, next_page_token) =
            standard::list(&self.policies, "", list).await?;
        Ok(Response::new(pb::ListServiceLevelPoliciesResponse {
            service_level_policies,
            next_page_token,
        }))
    }

    async fn update_service_level_policy(
        &self,
        request: Request<pb::UpdateServiceLevelPolicyRequest>,
    ) -> Result<Response<pb::ServiceLevelPolicy>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let mask = r.update_mask.as_ref();
        let policy = r.service_level_policy;
        standard::update(&self.policies, &call, policy, mask, &r.request_id).await
    }

    async fn delete_service_level_policy(
        &self,
        request: Request<pb::DeleteServiceLevelPolicyRequest>,
    ) -> Result<Response<pb::ServiceLevelPolicy>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::delete(&self.policies, &call, &r.name, &r.etag, &r.request_id).await
    }

    async fn undelete_service_level_policy(
        &self,
        request: Request<pb::UndeleteServiceLevelPolicyRequest>,
    ) -> Result<Response<pb::ServiceLevelPolicy>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::undelete(&self.policies, &call, &r.name, &r.request_id).await
    }
}

impl WireResource for ServiceLevelPolicy {
    type Message = pb::ServiceLevelPolicy;
    const MESSAGE: &'static str = "crm.v1.ServiceLevelPolicy";

    fn name(message: &pb::ServiceLevelPolicy) -> &str {
        &message.name
    }

    fn etag(message: &pb::ServiceLevelPolicy) -> &str {
        &message.etag
    }

    fn input(p: &pb::ServiceLevelPolicy) -> ServiceLevelPolicyInput {
        ServiceLevelPolicyInput {
            display_name: p.display_name.clone(),
            description: p.description.clone(),
            priority: p.priority,
            active: p.active,
            severities: p.severities.clone(),
            customer_tiers: p.customer_tiers.clone(),
            categories: p.categories.clone(),
            channels: p.channels.clone(),
            calendar: p.calendar.clone(),
            first_response_target: p.first_response_target.as_ref().map(duration_input),
            resolution_target: p.resolution_target.as_ref().map(duration_input),
            callback_target: p.callback_target.as_ref().map(duration_input),
            warning_thresholds: p.warning_thresholds.map(|t| ThresholdsInput {
                yellow_percent: t.yellow_percent,
                orange_percent: t.orange_percent,
                red_percent: t.red_percent,
            }),
            labels: p.labels.clone().into_iter().collect(),
        }
    }

    fn to_pb(r: &Resource<ServiceLevelPolicy>) -> pb::ServiceLevelPolicy {
        let input = r.body.input();
        let meta = meta_to_pb(&r.meta);
        pb::ServiceLevelPolicy {
            name: r.resource_name(),
            display_name: input.display_name,
            description: input.description,
            priority: input.priority,
            active: input.active,
            severities: input.severities,
            customer_tiers: input.customer_tiers,
            categories: input.categories,
            channels: input.channels,
            calendar: input.calendar,
            first_response_target: input.first_response_target.map(duration_to_pb),
            resolution_target: input.resolution_target.map(duration_to_pb),
            callback_target: input.callback_target.map(duration_to_pb),
            warning_thresholds: input.warning_thresholds.map(|t| pb::WarningThresholds {
                yellow_percent: t.yellow_percent,
                orange_percent: t.orange_percent,
                red_percent: t.red_percent,
            }),
            labels: labels_to_pb(&r.body.labels),
            create_time: meta.create_time,
            update_time: meta.update_time,
            delete_time: meta.delete_time,
            etag: meta.etag,
        }
    }
}

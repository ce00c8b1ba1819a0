//! CustomerService: each handler picks its request's fields and calls the
//! standard path; the translation between `pb::Customer` and the domain's
//! customer (input one way, stored resource the other) is all that is
//! specific here. Rules live in `domain::customer`.

use tonic::{Request, Response, Status};

use super::convert::{call, labels_to_pb, meta_to_pb, time_input, timestamp_to_pb};
use super::standard::{self, WireResource};
use super::summaries;
use crate::domain::ClosedEnum;
use crate::domain::customer::{
    BehaviourInput, Consent, ConsentInput, ContactPoint, ContactPointInput, Customer,
    CustomerInput, DemographicsInput, GeographyInput,
};
use crate::domain::input::code_of;
use crate::domain::resource::Resource;
use crate::pb::{self, customer_service_server::CustomerService};
use crate::usecases::{CustomerSummaries, Resources};

pub struct CustomerApi {
    pub customers: Resources<Customer>,
    pub summaries: CustomerSummaries,
}

#[tonic::async_trait]
impl CustomerService for CustomerApi {
    async fn create_customer(
        &self,
        request: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::create(
            &self.customers,
            &call,
            "",
            r.customer.as_ref(),
            &r.request_id,
        )
        .await
    }

    async fn batch_create_customers(
        &self,
        request: Request<pb::BatchCreateCustomersRequest>,
    ) -> Result<Response<pb::BatchCreateCustomersResponse>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let rows = r
            .requests
            .iter()
            .map(|row| ("", row.customer.as_ref()))
            .collect();
        let customers =
            standard::batch_create(&self.customers, &call, "", rows, &r.request_id).await?;
        Ok(Response::new(pb::BatchCreateCustomersResponse {
            customers,
        }))
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        standard::get(&self.customers, &request.get_ref().name).await
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let r = request.into_inner();
        let list = list_request!(r, show_deleted: |r: &pb::ListCustomersRequest| r.show_deleted);
        let (customers, next_page_token) = standard::list(&self.customers, "", list).await?;
        Ok(Response::new(pb::ListCustomersResponse {
            customers,
            next_page_token,
        }))
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        let mask = r.update_mask.as_ref();
        standard::update(&self.customers, &call, r.customer, mask, &r.request_id).await
    }

    async fn delete_customer(
        &self,
        request: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::delete(&self.customers, &call, &r.name, &r.etag, &r.request_id).await
    }

    async fn undelete_customer(
        &self,
        request: Request<pb::UndeleteCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let (call, r) = (call(&request), request.into_inner());
        standard::undelete(&self.customers, &call, &r.name, &r.request_id).await
    }

    async fn summarize_customers(
        &self,
        request: Request<pb::SummarizeCustomersRequest>,
    ) -> Result<Response<pb::SummarizeCustomersResponse>, Status> {
        summaries::summarize(&self.summaries, request.into_inner()).await
    }
}

impl WireResource for Customer {
    type Message = pb::Customer;
    const MESSAGE: &'static str = "crm.v1.Customer";

    fn name(message: &pb::Customer) -> &str {
        &message.name
    }

    fn etag(message: &pb::Customer) -> &str {
        &message.etag
    }

    fn input(c: &pb::Customer) -> CustomerInput {
        let geo = c.geography.clone().unwrap_or_default();
        let demo = c.demographics.clone().unwrap_or_default();
        let beh = c.behaviour.unwrap_or_default();
        CustomerInput {
            display_name: c.display_name.clone(),
            kind: c.kind,
            relationship: c.relationship,
            tier: c.tier,
            attitude_type: c.attitude_type,
            geography: GeographyInput {
                country: geo.country,
                province: geo.province,
                city: geo.city,
                sales_region: geo.sales_region,
                city_size: geo.city_size,
            },
            demographics: DemographicsInput {
                age_band: demo.age_band,
                gender: demo.gender,
                income_band: demo.income_band,
                occupation: demo.occupation,
                education: demo.education,
            },
            behaviour: BehaviourInput {
                usage_rate: beh.usage_rate,
                user_status: beh.user_status,
                loyalty: beh.loyalty,
                product_attitude: beh.product_attitude,
                benefit_sought: beh.benefit_sought,
            },
            contact_points: c.contact_points.iter().map(contact_point_input).collect(),
            do_not_contact: c.do_not_contact,
            labels: c.labels.clone().into_iter().collect(),
        }
    }

    fn to_pb(r: &Resource<Customer>) -> pb::Customer {
        let c = &r.body;
        let meta = meta_to_pb(&r.meta);
        pb::Customer {
            name: r.resource_name(),
            display_name: c.display_name.clone(),
            kind: c.kind.code(),
            relationship: code_of(c.relationship),
            tier: code_of(c.tier),
            value_grade: code_of(c.value_grade),
            lifecycle_stage: code_of(c.lifecycle_stage),
            attitude_type: code_of(c.attitude_type),
            geography: Some(pb::Geography {
                country: c.geography.country.clone(),
                province: c.geography.province.clone(),
                city: c.geography.city.clone(),
                sales_region: c.geography.sales_region.clone(),
                city_size: code_of(c.geography.city_size),
            }),
            demographics: Some(pb::Demographics {
                age_band: c.demographics.age_band.clone(),
                gender: code_of(c.demographics.gender),
                income_band: c.demographics.income_band.clone(),
                occupation: c.demographics.occupation.clone(),
                education: c.demographics.education.clone(),
            }),
            behaviour: Some(pb::Behaviour {
                usage_rate: code_of(c.behaviour.usage_rate),
                user_status: code_of(c.behaviour.user_status),
                loyalty: code_of(c.behaviour.loyalty),
                product_attitude: code_of(c.behaviour.product_attitude),
                benefit_sought: code_of(c.behaviour.benefit_sought),
            }),
            contact_points: c.contact_points.iter().map(contact_point_to_pb).collect(),
            do_not_contact: c.do_not_contact,
            labels: labels_to_pb(&c.labels),
            create_time: meta.create_time,
            update_time: meta.update_time,
            delete_time: meta.delete_time,
            etag: meta.etag,
        }
    }
}

fn contact_point_input(p: &pb::ContactPoint) -> ContactPointInput {
    ContactPointInput {
        r#type: p.r#type,
        value: p.value.clone(),
        preferred: p.preferred,
        verified: p.verified,
        service_consent: p.service_consent.as_ref().map(consent_input),
        marketing_consent: p.marketing_consent.as_ref().map(consent_input),
    }
}

fn consent_input(c: &pb::Consent) -> ConsentInput {
    ConsentInput {
        status: c.status,
        record_time: c.record_time.as_ref().map(time_input),
        source: c.source.clone(),
    }
}

fn contact_point_to_pb(p: &ContactPoint) -> pb::ContactPoint {
    pb::ContactPoint {
        r#type: p.kind.code(),
        value: p.value.clone(),
        preferred: p.preferred,
        verified: p.verified,
        service_consent: consent_to_pb(&p.service_consent),
        marketing_consent: consent_to_pb(&p.marketing_consent),
    }
}

fn consent_to_pb(consent: &Consent) -> Option<pb::Consent> {
    match consent {
        Consent::NotAsked => None,
        Consent::Answered {
            status,
            record_time,
            source,
        } => Some(pb::Consent {
            status: status.code(),
            record_time: Some(timestamp_to_pb(*record_time)),
            source: source.clone(),
        }),
    }
}

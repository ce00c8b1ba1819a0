//! CustomerService: parses requests into domain values, calls the standard
//! use cases, encodes the results. Field paths in errors are request paths.

use tonic::{Request, Response, Status};

use super::convert::{
    self as cv, call, enum_code, optional_enum, parse_name, required_enum, timestamp,
    timestamp_to_pb,
};
use super::mask::MaskedMessage;
use crate::domain::ClosedEnum;
use crate::domain::customer::{
    self, Behaviour, Consent, ConsentStatus, ContactPoint, Customer, Demographics, Geography,
};
use crate::domain::resource::Resource;
use crate::domain::text;
use crate::error::Violations;
use crate::pb::{self, customer_service_server::CustomerService};
use crate::usecases::Resources;

const MASKED: MaskedMessage = MaskedMessage {
    full_name: "crm.v1.Customer",
    output_only: &[
        "name",
        "value_grade",
        "create_time",
        "update_time",
        "delete_time",
        "etag",
    ],
};

pub struct CustomerApi {
    pub customers: Resources<Customer>,
}

#[tonic::async_trait]
impl CustomerService for CustomerApi {
    async fn create_customer(
        &self,
        request: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let call = call(&request);
        let request = request.into_inner();
        let mut v = Violations::new();
        let request_id = cv::request_id(&mut v, &request.request_id);
        let body = match &request.customer {
            Some(c) => from_pb(&mut v, "customer", c),
            None => {
                v.add("customer", "is required");
                None
            }
        };
        let Some(body) = body.filter(|_| v.is_empty()) else {
            return Err(v.into_error().into());
        };
        let created = self.customers.create(&call, body, request_id).await?;
        Ok(Response::new(to_pb(&created)))
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let id = parse_name(customer::COLLECTION, "name", &request.get_ref().name)?;
        Ok(Response::new(to_pb(&self.customers.get(id).await?)))
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let list = list_request!(request.into_inner(), show_deleted: |r: &pb::ListCustomersRequest| r.show_deleted);
        let page = self.customers.list(&list).await?;
        Ok(Response::new(pb::ListCustomersResponse {
            customers: page.items.iter().map(to_pb).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let call = call(&request);
        let request = request.into_inner();
        let input = request.customer.unwrap_or_default();
        let id = parse_name(customer::COLLECTION, "customer.name", &input.name)?;
        let updated = self
            .customers
            .update(&call, id, cv::etag(&input.etag), |current| {
                let merged = MASKED.merge(request.update_mask.as_ref(), &input, &to_pb(current))?;
                let mut v = Violations::new();
                from_pb(&mut v, "customer", &merged)
                    .filter(|_| v.is_empty())
                    .ok_or_else(|| v.into_error())
            })
            .await?;
        Ok(Response::new(to_pb(&updated)))
    }

    async fn delete_customer(
        &self,
        request: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let id = parse_name(customer::COLLECTION, "name", &request.get_ref().name)?;
        let deleted = self
            .customers
            .delete(&call(&request), id, cv::etag(&request.get_ref().etag))
            .await?;
        Ok(Response::new(to_pb(&deleted)))
    }

    async fn undelete_customer(
        &self,
        request: Request<pb::UndeleteCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let id = parse_name(customer::COLLECTION, "name", &request.get_ref().name)?;
        Ok(Response::new(to_pb(
            &self.customers.undelete(&call(&request), id).await?,
        )))
    }
}

/// Reads a customer message; every problem is recorded under `at`.
fn from_pb(v: &mut Violations, at: &str, c: &pb::Customer) -> Option<Customer> {
    let f = |name: &str| format!("{at}.{name}");
    let display_name = v.check(&f("display_name"), text::required(&c.display_name, 200));
    let kind = required_enum(v, &f("kind"), c.kind);
    let geo = c.geography.clone().unwrap_or_default();
    let demo = c.demographics.clone().unwrap_or_default();
    let beh = c.behaviour.unwrap_or_default();
    let free = |v: &mut Violations, name: &str, value: &str, max| {
        v.check(&f(name), text::optional(value, max))
            .unwrap_or_default()
    };
    let body = Customer {
        display_name: display_name.unwrap_or_default(),
        relationship: optional_enum(v, &f("relationship"), c.relationship),
        tier: optional_enum(v, &f("tier"), c.tier),
        value_grade: optional_enum(v, &f("value_grade"), c.value_grade),
        lifecycle_stage: optional_enum(v, &f("lifecycle_stage"), c.lifecycle_stage),
        attitude_type: optional_enum(v, &f("attitude_type"), c.attitude_type),
        geography: Geography {
            country: v
                .check(
                    &f("geography.country"),
                    customer::check_country(geo.country.trim()),
                )
                .unwrap_or_default(),
            province: free(v, "geography.province", &geo.province, 100),
            city: free(v, "geography.city", &geo.city, 100),
            sales_region: free(v, "geography.sales_region", &geo.sales_region, 100),
            city_size: optional_enum(v, &f("geography.city_size"), geo.city_size),
        },
        demographics: Demographics {
            age_band: free(v, "demographics.age_band", &demo.age_band, 20),
            gender: optional_enum(v, &f("demographics.gender"), demo.gender),
            income_band: free(v, "demographics.income_band", &demo.income_band, 40),
            occupation: free(v, "demographics.occupation", &demo.occupation, 100),
            education: free(v, "demographics.education", &demo.education, 100),
        },
        behaviour: Behaviour {
            usage_rate: optional_enum(v, &f("behaviour.usage_rate"), beh.usage_rate),
            user_status: optional_enum(v, &f("behaviour.user_status"), beh.user_status),
            loyalty: optional_enum(v, &f("behaviour.loyalty"), beh.loyalty),
            product_attitude: optional_enum(
                v,
                &f("behaviour.product_attitude"),
                beh.product_attitude,
            ),
            benefit_sought: optional_enum(v, &f("behaviour.benefit_sought"), beh.benefit_sought),
        },
        contact_points: contact_points_from_pb(v, &f("contact_points"), &c.contact_points),
        do_not_contact: c.do_not_contact,
        labels: cv::labels(v, &f("labels"), &c.labels),
        kind: kind?,
    };
    Some(body)
}

fn contact_points_from_pb(
    v: &mut Violations,
    at: &str,
    points: &[pb::ContactPoint],
) -> Vec<ContactPoint> {
    if points.len() > Customer::MAX_CONTACT_POINTS {
        v.add(
            at,
            format!(
                "at most {} contact points are allowed",
                Customer::MAX_CONTACT_POINTS
            ),
        );
        return Vec::new();
    }
    let mut parsed = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let f = |name: &str| format!("{at}[{i}].{name}");
        let kind = required_enum(v, &f("type"), p.r#type);
        let value = v.check(
            &f("value"),
            text::required(&p.value, ContactPoint::MAX_VALUE_CHARS),
        );
        if let (Some(kind), Some(value)) = (kind, &value) {
            v.check(&f("value"), ContactPoint::check_value(kind, value));
        }
        let service_consent = consent_from_pb(v, &f("service_consent"), p.service_consent.as_ref());
        let marketing_consent =
            consent_from_pb(v, &f("marketing_consent"), p.marketing_consent.as_ref());
        if let (Some(kind), Some(value)) = (kind, value) {
            parsed.push(ContactPoint {
                kind,
                value,
                preferred: p.preferred,
                verified: p.verified,
                service_consent,
                marketing_consent,
            });
        }
    }
    if parsed.len() == points.len() {
        for (i, problem) in Customer::contact_point_conflicts(&parsed) {
            v.add(format!("{at}[{i}]"), problem);
        }
    }
    parsed
}

fn consent_from_pb(v: &mut Violations, at: &str, consent: Option<&pb::Consent>) -> Consent {
    let Some(c) =
        consent.filter(|c| c.status != 0 || c.record_time.is_some() || !c.source.is_empty())
    else {
        return Consent::NotAsked;
    };
    let status = required_enum::<ConsentStatus>(v, &format!("{at}.status"), c.status);
    let record_time = match &c.record_time {
        Some(t) => timestamp(v, &format!("{at}.record_time"), t),
        None => {
            v.add(
                format!("{at}.record_time"),
                "is required when consent is recorded",
            );
            None
        }
    };
    let source = v.check(&format!("{at}.source"), text::required(&c.source, 200));
    match (status, record_time, source) {
        (Some(status), Some(record_time), Some(source)) => Consent::Answered {
            status,
            record_time,
            source,
        },
        _ => Consent::NotAsked,
    }
}

pub(crate) fn to_pb(r: &Resource<Customer>) -> pb::Customer {
    let c = &r.body;
    let meta = cv::meta_to_pb(&r.meta);
    pb::Customer {
        name: customer::COLLECTION.name_of(r.id),
        display_name: c.display_name.clone(),
        kind: c.kind.code(),
        relationship: enum_code(c.relationship),
        tier: enum_code(c.tier),
        value_grade: enum_code(c.value_grade),
        lifecycle_stage: enum_code(c.lifecycle_stage),
        attitude_type: enum_code(c.attitude_type),
        geography: Some(pb::Geography {
            country: c.geography.country.clone(),
            province: c.geography.province.clone(),
            city: c.geography.city.clone(),
            sales_region: c.geography.sales_region.clone(),
            city_size: enum_code(c.geography.city_size),
        }),
        demographics: Some(pb::Demographics {
            age_band: c.demographics.age_band.clone(),
            gender: enum_code(c.demographics.gender),
            income_band: c.demographics.income_band.clone(),
            occupation: c.demographics.occupation.clone(),
            education: c.demographics.education.clone(),
        }),
        behaviour: Some(pb::Behaviour {
            usage_rate: enum_code(c.behaviour.usage_rate),
            user_status: enum_code(c.behaviour.user_status),
            loyalty: enum_code(c.behaviour.loyalty),
            product_attitude: enum_code(c.behaviour.product_attitude),
            benefit_sought: enum_code(c.behaviour.benefit_sought),
        }),
        contact_points: c.contact_points.iter().map(contact_point_to_pb).collect(),
        do_not_contact: c.do_not_contact,
        labels: cv::labels_to_pb(&c.labels),
        create_time: meta.create_time,
        update_time: meta.update_time,
        delete_time: meta.delete_time,
        etag: meta.etag,
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

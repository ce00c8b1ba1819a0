//! CustomerService: every RPC, its validation rules, etags, idempotency and
//! soft delete, with the codes and details returned.

use crm::pb::{self, customer::Kind, customer::Tier};
use prost_types::FieldMask;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::*;

fn consent(status: pb::consent::Status) -> Option<pb::Consent> {
    Some(pb::Consent {
        status: status as i32,
        record_time: Some(prost_types::Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        }),
        source: "signed form".into(),
    })
}

fn full_customer() -> pb::Customer {
    pb::Customer {
        display_name: "  Acme Trading Co.  ".into(),
        kind: Kind::Organisation as i32,
        relationship: pb::customer::Relationship::Intermediate as i32,
        tier: Tier::Key as i32,
        lifecycle_stage: pb::customer::LifecycleStage::Active as i32,
        attitude_type: pb::customer::AttitudeType::Advocate as i32,
        geography: Some(pb::Geography {
            country: "CN".into(),
            province: "Zhejiang".into(),
            city: "Hangzhou".into(),
            sales_region: "EAST".into(),
            city_size: pb::geography::CitySize::Large as i32,
        }),
        demographics: Some(pb::Demographics {
            age_band: "35-44".into(),
            ..Default::default()
        }),
        behaviour: Some(pb::Behaviour {
            usage_rate: pb::behaviour::UsageRate::Frequent as i32,
            loyalty: pb::behaviour::Loyalty::Strong as i32,
            benefit_sought: pb::behaviour::Benefit::Service as i32,
            ..Default::default()
        }),
        contact_points: vec![
            pb::ContactPoint {
                r#type: pb::contact_point::Type::Email as i32,
                value: "buyer@acme.example".into(),
                preferred: true,
                verified: true,
                service_consent: consent(pb::consent::Status::Granted),
                marketing_consent: consent(pb::consent::Status::Denied),
            },
            pb::ContactPoint {
                r#type: pb::contact_point::Type::Mobile as i32,
                value: "+86 138 0000 0000".into(),
                ..Default::default()
            },
        ],
        labels: [("account-manager".to_owned(), "li.wei".to_owned())].into(),
        ..Default::default()
    }
}

db_tests! {
    async fn create_returns_the_stored_customer_with_server_fields(s) {
        let created = create_customer(&s, full_customer()).await;
        assert!(created.name.starts_with("customers/"), "{}", created.name);
        assert_eq!(created.display_name, "Acme Trading Co.", "display name is trimmed");
        assert_eq!(created.etag, "\"1\"");
        assert!(created.create_time.is_some());
        assert_eq!(created.create_time, created.update_time);
        assert!(created.delete_time.is_none());
        let mut expected = full_customer();
        expected.display_name = "Acme Trading Co.".into();
        assert_eq!(created.contact_points, expected.contact_points);
        assert_eq!(created.geography, expected.geography);
        assert_eq!(created.labels, expected.labels);

        let fetched = s.customers()
            .get_customer(pb::GetCustomerRequest { name: created.name.clone() })
            .await.unwrap().into_inner();
        assert_eq!(fetched, created);
    }

    async fn create_ignores_output_only_fields(s) {
        let mut input = customer("Grade smuggler");
        input.name = "customers/0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11".into();
        input.value_grade = pb::customer::ValueGrade::A as i32;
        input.etag = "\"99\"".into();
        let created = create_customer(&s, input).await;
        assert_ne!(created.name, "customers/0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11");
        assert_eq!(created.value_grade, 0, "value grade is set by grading only");
        assert_eq!(created.etag, "\"1\"");
    }

    async fn create_reports_every_invalid_field_at_once(s) {
        let bad = pb::Customer {
            display_name: " ".into(),
            kind: 0,
            tier: 42,
            geography: Some(pb::Geography { country: "china".into(), ..Default::default() }),
            demographics: Some(pb::Demographics { age_band: "x".repeat(21), ..Default::default() }),
            contact_points: vec![
                pb::ContactPoint { r#type: 0, value: "".into(), ..Default::default() },
                pb::ContactPoint {
                    r#type: pb::contact_point::Type::Email as i32,
                    value: "not-an-email".into(),
                    service_consent: Some(pb::Consent { status: pb::consent::Status::Granted as i32, ..Default::default() }),
                    ..Default::default()
                },
            ],
            labels: [("Bad Key".to_owned(), "v".to_owned())].into(),
            ..Default::default()
        };
        let status = expect_code(
            s.customers().create_customer(pb::CreateCustomerRequest { customer: Some(bad), request_id: "not-a-uuid".into() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(reason(&status), "INVALID_ARGUMENT");
        let fields = violated_fields(&status);
        for expected in [
            "request_id",
            "customer.display_name",
            "customer.kind",
            "customer.tier",
            "customer.geography.country",
            "customer.demographics.age_band",
            "customer.contact_points[0].type",
            "customer.contact_points[0].value",
            "customer.contact_points[1].value",
            "customer.contact_points[1].service_consent.record_time",
            "customer.contact_points[1].service_consent.source",
            "customer.labels[\"Bad Key\"]",
        ] {
            assert!(fields.contains(&expected.to_owned()), "{expected} missing from {fields:?}");
        }
        assert_eq!(fields.len(), 12, "{fields:?}");
        let listed = s.customers().list_customers(pb::ListCustomersRequest::default()).await.unwrap().into_inner();
        assert!(listed.customers.is_empty(), "nothing was written");
    }

    async fn create_without_a_customer_is_invalid(s) {
        let status = expect_code(
            s.customers().create_customer(pb::CreateCustomerRequest::default()).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), vec!["customer"]);
    }

    async fn contact_points_allow_one_preferred_point_per_type_and_no_duplicates(s) {
        let email = |value: &str, preferred| pb::ContactPoint {
            r#type: pb::contact_point::Type::Email as i32,
            value: value.into(),
            preferred,
            ..Default::default()
        };
        let mut input = customer("Two preferred");
        input.contact_points = vec![email("a@x.cn", true), email("b@x.cn", true), email("A@X.CN", false)];
        let status = expect_code(
            s.customers().create_customer(pb::CreateCustomerRequest { customer: Some(input), request_id: String::new() }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), vec!["customer.contact_points[1]", "customer.contact_points[2]"]);
    }

    async fn a_retried_create_returns_the_first_result_and_creates_nothing_more(s) {
        let request = pb::CreateCustomerRequest {
            customer: Some(customer("Retry Ltd")),
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        let first = s.customers().create_customer(request.clone()).await.unwrap().into_inner();
        let second = s.customers().create_customer(request).await.unwrap().into_inner();
        assert_eq!(first, second);
        let listed = s.customers().list_customers(pb::ListCustomersRequest::default()).await.unwrap().into_inner();
        assert_eq!(listed.customers.len(), 1);
    }

    async fn a_request_id_reused_for_another_request_is_refused(s) {
        let id = uuid::Uuid::new_v4().to_string();
        s.customers()
            .create_customer(pb::CreateCustomerRequest { customer: Some(customer("First")), request_id: id.clone() })
            .await.unwrap();
        let status = expect_code(
            s.customers().create_customer(pb::CreateCustomerRequest { customer: Some(customer("Second")), request_id: id }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), vec!["request_id"]);
    }

    async fn get_names_the_missing_customer_and_refuses_malformed_names(s) {
        let missing = "customers/0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11";
        let status = expect_code(
            s.customers().get_customer(pb::GetCustomerRequest { name: missing.into() }).await,
            Code::NotFound,
        );
        assert_eq!(reason(&status), "RESOURCE_NOT_FOUND");
        assert_eq!(status.get_details_resource_info().unwrap().resource_name, missing);
        for bad in ["", "customers/42", "channels/0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11"] {
            let status = expect_code(
                s.customers().get_customer(pb::GetCustomerRequest { name: bad.into() }).await,
                Code::InvalidArgument,
            );
            assert_eq!(violated_fields(&status), vec!["name"], "{bad}");
        }
    }

    async fn update_with_a_mask_changes_only_the_named_fields(s) {
        let created = create_customer(&s, full_customer()).await;
        let input = pb::Customer {
            name: created.name.clone(),
            display_name: "Renamed".into(),
            tier: Tier::Strategic as i32,
            geography: Some(pb::Geography { city: "Ningbo".into(), ..Default::default() }),
            ..Default::default()
        };
        let updated = s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(),
            customer: Some(input),
            update_mask: Some(FieldMask { paths: vec!["display_name".into(), "geography.city".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(updated.display_name, "Renamed");
        assert_eq!(updated.tier, Tier::Key as i32, "tier was not in the mask");
        let geography = updated.geography.clone().unwrap();
        assert_eq!((geography.city.as_str(), geography.province.as_str()), ("Ningbo", "Zhejiang"));
        assert_eq!(updated.contact_points, created.contact_points);
        assert_eq!(updated.etag, "\"2\"");
        assert_eq!(updated.create_time, created.create_time);
        let micros = |t: Option<prost_types::Timestamp>| t.map(|t| t.seconds * 1_000_000 + i64::from(t.nanos / 1000)).unwrap();
        assert!(micros(updated.update_time) > micros(created.update_time));
    }

    async fn update_without_a_mask_changes_the_populated_fields(s) {
        let created = create_customer(&s, full_customer()).await;
        let input = pb::Customer {
            name: created.name.clone(),
            geography: Some(pb::Geography { sales_region: "SOUTH".into(), ..Default::default() }),
            do_not_contact: true,
            ..Default::default()
        };
        let updated = s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(input), update_mask: None })
            .await.unwrap().into_inner();
        assert!(updated.do_not_contact);
        let geography = updated.geography.unwrap();
        assert_eq!((geography.sales_region.as_str(), geography.city.as_str()), ("SOUTH", "Hangzhou"));
        assert_eq!(updated.display_name, created.display_name);
        assert_eq!(updated.kind, created.kind);
    }

    async fn update_with_a_star_replaces_every_writable_field(s) {
        let created = create_customer(&s, full_customer()).await;
        let mut input = customer("Bare");
        input.name = created.name.clone();
        let updated = s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(),
            customer: Some(input),
            update_mask: Some(FieldMask { paths: vec!["*".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(updated.display_name, "Bare");
        assert_eq!(updated.tier, 0);
        assert!(updated.contact_points.is_empty());
        assert!(updated.labels.is_empty());
        assert_eq!(updated.create_time, created.create_time, "output-only fields survive *");
    }

    async fn update_refuses_output_only_and_unknown_paths(s) {
        let created = create_customer(&s, customer("Masked")).await;
        let status = expect_code(
            s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(),
                customer: Some(pb::Customer { name: created.name.clone(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["value_grade".into(), "colour".into(), "geography.planet".into()] }),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violations(&status).len(), 3);
        assert!(violated_fields(&status).iter().all(|f| f == "update_mask"));
    }

    async fn an_update_that_would_break_a_rule_is_refused_and_changes_nothing(s) {
        let created = create_customer(&s, full_customer()).await;
        let status = expect_code(
            s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(),
                customer: Some(pb::Customer { name: created.name.clone(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["display_name".into(), "kind".into()] }),
            }).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), vec!["customer.display_name", "customer.kind"]);
        let fetched = s.customers().get_customer(pb::GetCustomerRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created);
    }

    async fn a_stale_etag_aborts_update_and_delete(s) {
        let created = create_customer(&s, customer("Contended")).await;
        let mut first = customer("First writer");
        first.name = created.name.clone();
        first.etag = created.etag.clone();
        s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(first), update_mask: None }).await.unwrap();

        let mut second = customer("Second writer");
        second.name = created.name.clone();
        second.etag = created.etag.clone();
        let status = expect_code(
            s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(second), update_mask: None }).await,
            Code::Aborted,
        );
        assert_eq!(reason(&status), "ETAG_MISMATCH");
        let status = expect_code(
            s.customers().delete_customer(pb::DeleteCustomerRequest { request_id: String::new(), name: created.name.clone(), etag: created.etag.clone() }).await,
            Code::Aborted,
        );
        assert_eq!(reason(&status), "ETAG_MISMATCH");
        let fetched = s.customers().get_customer(pb::GetCustomerRequest { name: created.name }).await.unwrap().into_inner();
        assert_eq!(fetched.display_name, "First writer");
        assert!(fetched.delete_time.is_none());
    }

    async fn soft_delete_hides_a_customer_until_it_is_undeleted(s) {
        let created = create_customer(&s, customer("Leaving")).await;
        let kept = create_customer(&s, customer("Staying")).await;
        let deleted = s.customers()
            .delete_customer(pb::DeleteCustomerRequest { request_id: String::new(), name: created.name.clone(), etag: created.etag.clone() })
            .await.unwrap().into_inner();
        assert!(deleted.delete_time.is_some());
        assert_ne!(deleted.etag, created.etag);

        let names = |list: pb::ListCustomersResponse| list.customers.into_iter().map(|c| c.name).collect::<Vec<_>>();
        let visible = s.customers().list_customers(pb::ListCustomersRequest::default()).await.unwrap().into_inner();
        assert_eq!(names(visible), vec![kept.name.clone()]);
        let all = s.customers().list_customers(pb::ListCustomersRequest { show_deleted: true, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(names(all).len(), 2);
        let fetched = s.customers().get_customer(pb::GetCustomerRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched.delete_time, deleted.delete_time);

        for status in [
            expect_code(s.customers().delete_customer(pb::DeleteCustomerRequest { request_id: String::new(), name: created.name.clone(), etag: String::new() }).await, Code::FailedPrecondition),
            expect_code(s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(),
                customer: Some(pb::Customer { name: created.name.clone(), display_name: "Back?".into(), ..Default::default() }),
                update_mask: None,
            }).await, Code::FailedPrecondition),
        ] {
            assert_eq!(reason(&status), "RESOURCE_DELETED");
            assert_eq!(status.get_details_precondition_failure().unwrap().violations[0].subject, created.name);
        }

        let restored = s.customers().undelete_customer(pb::UndeleteCustomerRequest { request_id: String::new(), name: created.name.clone() }).await.unwrap().into_inner();
        assert!(restored.delete_time.is_none());
        let visible = s.customers().list_customers(pb::ListCustomersRequest::default()).await.unwrap().into_inner();
        assert_eq!(visible.customers.len(), 2);
        let status = expect_code(
            s.customers().undelete_customer(pb::UndeleteCustomerRequest { request_id: String::new(), name: created.name }).await,
            Code::FailedPrecondition,
        );
        assert_eq!(reason(&status), "RESOURCE_NOT_DELETED");
    }

    async fn delete_and_undelete_of_a_missing_customer_are_not_found(s) {
        let missing = "customers/0191c1a2-7d3e-7cc0-9b5e-3f1f2d1e0a11".to_owned();
        expect_code(s.customers().delete_customer(pb::DeleteCustomerRequest { request_id: String::new(), name: missing.clone(), etag: String::new() }).await, Code::NotFound);
        expect_code(s.customers().undelete_customer(pb::UndeleteCustomerRequest { request_id: String::new(), name: missing.clone() }).await, Code::NotFound);
        expect_code(s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(),
            customer: Some(pb::Customer { name: missing, display_name: "x".into(), ..Default::default() }),
            update_mask: None,
        }).await, Code::NotFound);
    }
}

db_tests! {
    async fn concurrent_retries_of_one_create_make_one_customer(s) {
        let request = pb::CreateCustomerRequest {
            customer: Some(customer("Raced Ltd")),
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        let calls: Vec<_> = (0..32)
            .map(|_| {
                let (mut client, request) = (s.customers(), request.clone());
                tokio::spawn(async move { client.create_customer(request).await })
            })
            .collect();
        let mut names = Vec::new();
        for call in calls {
            names.push(call.await.unwrap().expect("every retry succeeds").into_inner().name);
        }
        names.dedup();
        assert_eq!(names.len(), 1, "every retry answers the same customer");
        let listed = s.customers().list_customers(pb::ListCustomersRequest::default()).await.unwrap().into_inner();
        assert_eq!(listed.customers.len(), 1);
    }
}

db_tests! {
    async fn concurrent_updates_without_an_etag_all_apply(s) {
        let created = create_customer(&s, customer("Busy")).await;
        let calls: Vec<_> = (0..16)
            .map(|i| {
                let (mut client, name) = (s.customers(), created.name.clone());
                tokio::spawn(async move {
                    let mut labels = std::collections::HashMap::new();
                    labels.insert(format!("k{i}"), "v".to_owned());
                    let change = pb::Customer { name, labels, ..Default::default() };
                    client.update_customer(pb::UpdateCustomerRequest { request_id: String::new(),
                        customer: Some(change),
                        update_mask: Some(FieldMask { paths: vec!["display_name".into(), "labels".into()] }),
                    }).await
                })
            })
            .collect();
        for call in calls {
            let status = call.await.unwrap().expect_err("display_name cleared by the mask is invalid");
            assert_eq!(status.code(), Code::InvalidArgument);
        }
        let calls: Vec<_> = (0..16)
            .map(|i| {
                let (mut client, name) = (s.customers(), created.name.clone());
                tokio::spawn(async move {
                    let change = pb::Customer { name, display_name: format!("Busy {i}"), ..Default::default() };
                    client.update_customer(pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(change), update_mask: None }).await
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap().expect("an update without an etag waits its turn instead of failing");
        }
        let fetched = s.customers().get_customer(pb::GetCustomerRequest { name: created.name }).await.unwrap().into_inner();
        assert_eq!(fetched.etag, "\"17\"", "all sixteen updates applied");
    }
}

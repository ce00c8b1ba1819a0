//! BatchCreateCustomers: the import path. Every row is stored as
//! CreateCustomer stores one (contact points in the key index, one event
//! each), all or nothing, idempotent on the batch's request id.

use crm::pb::{self, contact_point::Type};
use tonic::Code;

use crate::events::all_events;
use crate::support::*;

fn with_mobile(name: &str, number: &str) -> pb::Customer {
    let mut c = customer(name);
    c.geography = Some(pb::Geography {
        country: "CN".into(),
        ..Default::default()
    });
    c.contact_points = vec![pb::ContactPoint {
        r#type: Type::Mobile as i32,
        value: number.into(),
        ..Default::default()
    }];
    c
}

fn row(customer: pb::Customer) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        customer: Some(customer),
        request_id: String::new(),
    }
}

fn batch(
    rows: Vec<pb::CreateCustomerRequest>,
    request_id: &str,
) -> pb::BatchCreateCustomersRequest {
    pb::BatchCreateCustomersRequest {
        requests: rows,
        request_id: request_id.into(),
    }
}

/// Every live customer's display name, sorted.
async fn names(s: &TestServer, filter: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = s
            .customers()
            .list_customers(pb::ListCustomersRequest {
                filter: filter.into(),
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        found.extend(page.customers.into_iter().map(|c| c.display_name));
        if page.next_page_token.is_empty() {
            found.sort();
            return found;
        }
        page_token = page.next_page_token;
    }
}

db_tests! {
    async fn a_batch_registers_every_customer_as_a_single_create_would(s) {
        let request = batch(
            vec![
                row(with_mobile("Ann", "138 0000 0001")),
                row(with_mobile("Bo", "+86 138 0000 0002")),
                row(customer("Cy")),
            ],
            &uuid::Uuid::new_v4().to_string(),
        );
        let created = s.customers().batch_create_customers(request).await.unwrap().into_inner().customers;
        let shown: Vec<&str> = created.iter().map(|c| c.display_name.as_str()).collect();
        assert_eq!(shown, ["Ann", "Bo", "Cy"], "in the order of the requests");
        for c in &created {
            let got = s.customers().get_customer(pb::GetCustomerRequest { name: c.name.clone() }).await.unwrap().into_inner();
            assert_eq!(&got, c, "the answer is what was stored");
        }
        // The key index holds every row's contact points, in lookup form.
        assert_eq!(names(&s, "contact_points.value = \"+8613800000001\"").await, ["Ann"]);
        assert_eq!(names(&s, "contact_points.value = \"+86-138-0000-0002\"").await, ["Bo"]);
        assert_eq!(names(&s, "contact_points.value = \"138 0000 0001\"").await, ["Ann"], "the local form as written");
        let events = all_events(&s, "resource_type = customer").await;
        let mut evented: Vec<&str> = events.iter().map(|e| e.resource.as_str()).collect();
        evented.sort();
        let mut expected: Vec<&str> = created.iter().map(|c| c.name.as_str()).collect();
        expected.sort();
        assert_eq!(evented, expected, "one event per customer");
        assert!(events.iter().all(|e| e.kind == "created"));
    }

    async fn a_bad_row_is_named_by_index_and_nothing_is_written(s) {
        let mut no_name = with_mobile("", "138 0000 0003");
        no_name.display_name = "   ".into();
        let mut bad_point = with_mobile("Bad point", "not a number");
        bad_point.kind = 0;
        let status = expect_code(
            s.customers().batch_create_customers(batch(
                vec![
                    row(with_mobile("Fine", "138 0000 0004")),
                    row(no_name),
                    row(customer("Also fine")),
                    row(bad_point),
                    pb::CreateCustomerRequest::default(),
                ],
                &uuid::Uuid::new_v4().to_string(),
            )).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), [
            "requests[1].customer.display_name",
            "requests[3].customer.kind",
            "requests[3].customer.contact_points[0].value",
            "requests[4].customer",
        ]);
        assert_eq!(names(&s, "").await, Vec::<String>::new(), "no customer");
        assert_eq!(names(&s, "contact_points.value = \"+8613800000004\"").await, Vec::<String>::new(), "no key");
        assert!(all_events(&s, "").await.is_empty(), "no event");
    }

    async fn a_retried_batch_answers_its_first_result_and_creates_nothing(s) {
        let id = uuid::Uuid::new_v4().to_string();
        let request = batch(vec![row(with_mobile("Dee", "138 0000 0005")), row(customer("Eve"))], &id);
        let first = s.customers().batch_create_customers(request.clone()).await.unwrap().into_inner();
        let again = s.customers().batch_create_customers(request).await.unwrap().into_inner();
        assert_eq!(again, first);
        assert_eq!(names(&s, "").await, ["Dee", "Eve"]);
        assert_eq!(all_events(&s, "resource_type = customer").await.len(), 2);

        let other = batch(vec![row(customer("Fay"))], &id);
        let status = expect_code(s.customers().batch_create_customers(other).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["request_id"]);
        assert_eq!(names(&s, "").await, ["Dee", "Eve"]);
    }

    async fn a_batch_holds_one_to_a_thousand_customers(s) {
        for size in [0, 1001] {
            let rows = vec![row(customer("Many")); size];
            let status = expect_code(s.customers().batch_create_customers(batch(rows, "")).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), ["requests"], "{size} rows");
        }
        assert!(names(&s, "").await.is_empty());
        let full = batch(vec![row(customer("Many")); 1000], "");
        let created = s.customers().batch_create_customers(full).await.unwrap().into_inner().customers;
        assert_eq!(created.len(), 1000);
        assert_eq!(names(&s, "").await.len(), 1000);
    }
}

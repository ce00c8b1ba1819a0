//! The one mutation path: server-owned fields set through it, request-id
//! idempotency on every mutation, and events whose payload was fixed when
//! they were written.

use crm::domain::customer::{Customer, ValueGrade};
use crm::domain::resource::{Next, Resource, Timestamp};
use crm::error::Error;
use crm::pb::{self, event::ResourceSnapshot};
use crm::settings::Settings;
use crm::usecases::{Call, Target};
use prost::Message;
use prost_types::FieldMask;
use sea_orm::{ConnectionTrait, Database};
use tonic::Code;

use crate::events::{all_events, as_actor};
use crate::support::*;

/// A grading as the coming ABC pass will write it: a custom transition.
fn grade(
    current: &Resource<Customer>,
    grade: ValueGrade,
    _now: Timestamp,
) -> Result<Next<Customer>, Error> {
    let mut body = current.body.clone();
    body.value_grade = Some(grade);
    Ok(Next::changed(body, "graded"))
}

fn rename(customer: &pb::Customer, to: &str, request_id: &str) -> pb::UpdateCustomerRequest {
    pb::UpdateCustomerRequest {
        customer: Some(pb::Customer {
            name: customer.name.clone(),
            display_name: to.into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["display_name".into()],
        }),
        request_id: request_id.into(),
    }
}

db_tests! {
    async fn a_server_owned_field_is_set_through_the_mutation_path_and_kept_by_updates(s) {
        let created = create_customer(&s, customer("Graded Ltd")).await;
        let name = crm::domain::customer::COLLECTION.parse_name(&created.name).unwrap();
        let call = Call { method: "/crm.v1.CustomerService/GradeCustomers".into(), actor: "grader".into() };
        let target = Target { name, etag: Some(created.etag.clone()), request_id: None };
        let graded = s.services.customers.mutate(&call, target, ValueGrade::A, grade).await.unwrap();
        assert_eq!(graded.body.value_grade, Some(ValueGrade::A));
        assert_eq!(graded.meta.version, 2);

        let read = s.customers().get_customer(pb::GetCustomerRequest { name: created.name.clone() }).await.unwrap().into_inner();
        assert_eq!(read.value_grade, pb::customer::ValueGrade::A as i32);
        let renamed = s.customers().update_customer(rename(&created, "Graded Group", "")).await.unwrap().into_inner();
        assert_eq!(renamed.value_grade, pb::customer::ValueGrade::A as i32, "an update keeps the grade");

        let events = all_events(&s, &format!("resource = \"{}\"", created.name)).await;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["created", "graded", "updated"]);
        assert_eq!(events[1].changed_fields, ["value_grade"]);
        assert_eq!(events[1].actor, "grader");
    }

    async fn every_mutation_answers_a_retry_from_its_first_result(s) {
        let created = create_customer(&s, customer("Retry Ltd")).await;
        let id = uuid::Uuid::new_v4().to_string();
        let first = s.customers().update_customer(as_actor("alice", rename(&created, "Retry One", &id))).await.unwrap().into_inner();
        assert_eq!(first.etag, "\"2\"");
        let again = s.customers().update_customer(as_actor("alice", rename(&created, "Retry One", &id))).await.unwrap().into_inner();
        assert_eq!(again, first, "a retry returns the first result");

        let status = expect_code(
            s.customers().update_customer(as_actor("alice", rename(&created, "Retry Two", &id))).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["request_id"]);
        // Another caller's ids never meet alice's.
        let bobs = s.customers().update_customer(as_actor("bob", rename(&created, "Retry Two", &id))).await.unwrap().into_inner();
        assert_eq!(bobs.etag, "\"3\"");

        let delete_id = uuid::Uuid::new_v4().to_string();
        let delete = || pb::DeleteCustomerRequest { name: created.name.clone(), etag: String::new(), request_id: delete_id.clone() };
        let deleted = s.customers().delete_customer(delete()).await.unwrap().into_inner();
        let redeleted = s.customers().delete_customer(delete()).await.unwrap().into_inner();
        assert_eq!(redeleted, deleted, "a retried delete is not FAILED_PRECONDITION");
        let undelete = || pb::UndeleteCustomerRequest { name: created.name.clone(), request_id: delete_id.clone() };
        let status = expect_code(s.customers().undelete_customer(undelete()).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["request_id"], "the id belongs to the delete");

        let kinds: Vec<String> = all_events(&s, &format!("resource = \"{}\"", created.name)).await.into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["created", "updated", "updated", "deleted"], "retries wrote nothing");
    }
}

/// An older version of the Customer message: only name and display name,
/// and a field (number 90) that a later version no longer has.
#[derive(Clone, PartialEq, prost::Message)]
struct CustomerV0 {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    display_name: String,
    #[prost(string, tag = "90")]
    retired: String,
}

#[tokio::test]
async fn events_written_by_earlier_versions_still_decode() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let s = TestServer::start_with(Settings::for_database(url.clone())).await;
    s.stop().await;

    let id = uuid::Uuid::now_v7();
    let name = format!("customers/{id}");
    let old_payload = CustomerV0 {
        name: name.clone(),
        display_name: "Written by v0".into(),
        retired: "gone".into(),
    }
    .encode_to_vec();
    // The serde form events held before they kept the wire form.
    let legacy = format!(
        r#"{{"id":"{id}","meta":{{"create_time":1,"update_time":1,"delete_time":null,"version":1}},"body":{{"display_name":"Written as JSON","kind":"ORGANISATION","relationship":null,"tier":"KEY","value_grade":null,"lifecycle_stage":null,"attitude_type":null,"geography":{{"country":"CN","province":"","city":"","sales_region":"","city_size":null}},"demographics":{{"age_band":"","gender":null,"income_band":"","occupation":"","education":""}},"behaviour":{{"usage_rate":null,"user_status":null,"loyalty":null,"product_attitude":null,"benefit_sought":null}},"contact_points":[],"do_not_contact":false,"labels":{{}}}}}}"#
    );
    let db = Database::connect(&url).await.unwrap();
    let insert = |sequence: i64, snapshot: String, payload: Option<Vec<u8>>| {
        sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO events (sequence, event_id, create_time, actor, method, resource, resource_type, kind, changed_fields, etag, snapshot, payload) VALUES (?, ?, 1, 'old', '', ?, 'customer', 'created', '[]', '\"1\"', ?, ?)",
            [
                sequence.into(),
                uuid::Uuid::now_v7().into(),
                name.clone().into(),
                snapshot.into(),
                payload.into(),
            ],
        )
    };
    db.execute_raw(insert(1, legacy, None)).await.unwrap();
    db.execute_raw(insert(2, String::new(), Some(old_payload)))
        .await
        .unwrap();
    db.execute_unprepared("UPDATE counters SET value = 2 WHERE name = 'events.last_sequence'")
        .await
        .unwrap();
    db.close().await.unwrap();

    let s = TestServer::start_with(Settings::for_database(url)).await;
    let events = all_events(&s, "").await;
    let snapshots: Vec<pb::Customer> = events
        .into_iter()
        .map(|e| match e.resource_snapshot {
            Some(ResourceSnapshot::Customer(c)) => c,
            other => panic!("expected a customer, got {other:?}"),
        })
        .collect();
    assert_eq!(snapshots.len(), 2);
    assert_eq!(snapshots[0].display_name, "Written as JSON");
    assert_eq!(snapshots[0].tier, pb::customer::Tier::Key as i32);
    assert_eq!(snapshots[0].name, name);
    assert_eq!(snapshots[1].display_name, "Written by v0");
    assert_eq!(snapshots[1].name, name);
    s.stop().await;
}

//! Intake finds the caller by the number or address they call or write
//! from: `contact_points.value = ".."` on ListCustomers, through the key
//! index, with numbers compared in E.164 so one number written two ways
//! matches.

use crm::pb::{self, contact_point::Type};
use tonic::Code;

use crate::support::*;

fn with_points(name: &str, country: &str, points: &[(Type, &str)]) -> pb::Customer {
    let mut c = customer(name);
    c.geography = Some(pb::Geography {
        country: country.into(),
        ..Default::default()
    });
    c.contact_points = points
        .iter()
        .map(|(kind, value)| pb::ContactPoint {
            r#type: *kind as i32,
            value: (*value).into(),
            ..Default::default()
        })
        .collect();
    c
}

async fn found(s: &TestServer, filter: &str) -> Vec<String> {
    let mut names: Vec<String> = s
        .customers()
        .list_customers(pb::ListCustomersRequest {
            filter: filter.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{filter}: {e:?}"))
        .into_inner()
        .customers
        .into_iter()
        .map(|c| c.display_name)
        .collect();
    names.sort();
    names
}

db_tests! {
    async fn a_caller_is_found_by_any_way_of_writing_their_number_or_address(s) {
        create_customer(&s, with_points("Local form", "CN", &[(Type::Mobile, "138 0000 0000")])).await;
        create_customer(&s, with_points("International form", "", &[(Type::Phone, "+86 (138) 0000-0000"), (Type::Email, "Li.Wei@Example.CN")])).await;
        create_customer(&s, with_points("Someone else", "CN", &[(Type::Mobile, "139 1111 2222")])).await;
        create_customer(&s, with_points("No points", "", &[])).await;

        for written in ["+8613800000000", "+86 138 0000 0000", "+86-138-0000-0000"] {
            assert_eq!(found(&s, &format!("contact_points.value = \"{written}\"")).await, ["International form", "Local form"], "{written}");
        }
        // The local form finds the card it was written on.
        assert_eq!(found(&s, "contact_points.value = \"138 0000 0000\"").await, ["Local form"]);
        assert_eq!(found(&s, "contact_points.value = \"li.wei@example.cn\"").await, ["International form"]);
        assert_eq!(found(&s, "contact_points.value = \"+8613900000000\"").await, Vec::<String>::new());
        assert_eq!(
            found(&s, "NOT contact_points.value = \"+8613800000000\"").await,
            ["No points", "Someone else"]
        );
        assert_eq!(found(&s, "contact_points.value = \"+8613911112222\" AND geography.country = CN").await, ["Someone else"]);

        // A changed number is found by its new value only.
        let listed = s.customers().list_customers(pb::ListCustomersRequest { filter: "display_name = \"Someone else\"".into(), ..Default::default() }).await.unwrap().into_inner();
        let mut changed = listed.customers[0].clone();
        changed.contact_points[0].value = "+86 137 5555 6666".into();
        s.customers().update_customer(pb::UpdateCustomerRequest {
            customer: Some(changed),
            update_mask: Some(prost_types::FieldMask { paths: vec!["contact_points".into()] }),
            ..Default::default()
        }).await.unwrap();
        assert_eq!(found(&s, "contact_points.value = \"+8613911112222\"").await, Vec::<String>::new());
        assert_eq!(found(&s, "contact_points.value = \"+8613755556666\"").await, ["Someone else"]);

        for bad in ["contact_points.value : \"138\"", "contact_points.value = \"138*\"", "contact_points.value < \"1\""] {
            let status = expect_code(s.customers().list_customers(pb::ListCustomersRequest { filter: bad.into(), ..Default::default() }).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), ["filter"], "{bad}");
        }
    }
}

/// Customers written before the key index existed are indexed by the
/// migration that adds it.
#[tokio::test]
async fn the_migration_indexes_customers_written_before_it() {
    after_rerunning_migration(
        "m20261203_000009_key_index",
        &["DROP TABLE resource_keys"],
        async |s| {
            create_customer(
                s,
                with_points("Early", "CN", &[(Type::Mobile, "138 0000 0000")]),
            )
            .await;
        },
        async |s, url| {
            assert_eq!(
                found(s, "contact_points.value = \"+8613800000000\"").await,
                ["Early"],
                "on {url}"
            );
        },
    )
    .await;
}

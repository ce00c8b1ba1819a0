//! The lifecycle stage derived from purchases (DOMAIN.md section 5): moved
//! by every purchase change in its transaction and by the daily pass as
//! the clock moves, each move an `updated` event naming only
//! `lifecycle_stage`, and never settable by a caller.

use std::time::Duration;

use crm::pb::{self, customer::LifecycleStage as Stage, purchase::Kind};
use prost_types::FieldMask;
use tonic::Code;

use crate::events::all_events;
use crate::support::*;

const DAY: i64 = 86_400;

/// `days` days before the service clock's now (negative: after).
fn days_ago(s: &TestServer, days: i64) -> Option<prost_types::Timestamp> {
    let (seconds, _) = s.services.clock.now().parts();
    Some(prost_types::Timestamp {
        seconds: seconds - days * DAY,
        nanos: 0,
    })
}

fn sale(s: &TestServer, days: i64) -> pb::Purchase {
    pb::Purchase {
        product: Some(pb::Product {
            sku: "GAS-1".into(),
            name: "Gas supply".into(),
        }),
        quantity: 1,
        amount: Some(pb::Money {
            currency_code: "CNY".into(),
            units: 100,
            nanos: 0,
        }),
        purchase_time: days_ago(s, days),
        kind: Kind::Sale as i32,
        ..Default::default()
    }
}

async fn buy(s: &TestServer, customer: &str, purchase: pb::Purchase) -> pb::Purchase {
    s.purchases()
        .create_purchase(pb::CreatePurchaseRequest {
            parent: customer.into(),
            purchase: Some(purchase),
            request_id: String::new(),
        })
        .await
        .expect("purchase recorded")
        .into_inner()
}

async fn stage_of(s: &TestServer, customer: &str) -> Stage {
    let read = s
        .customers()
        .get_customer(pb::GetCustomerRequest {
            name: customer.into(),
        })
        .await
        .unwrap()
        .into_inner();
    Stage::try_from(read.lifecycle_stage).unwrap()
}

fn advance_days(s: &TestServer, days: u64) {
    s.services
        .clock
        .advance(Duration::from_secs(days * DAY as u64));
}

db_tests! {
    async fn a_prospect_becomes_active_at_its_first_purchase(s) {
        let c = create_customer(&s, customer("First buyer")).await;
        assert_eq!(Stage::try_from(c.lifecycle_stage).unwrap(), Stage::Prospect);
        buy(&s, &c.name, sale(&s, 1)).await;
        assert_eq!(stage_of(&s, &c.name).await, Stage::Active);
        let events = all_events(&s, &format!("resource = \"{}\"", c.name)).await;
        let last = events.last().unwrap();
        assert_eq!(last.kind, "updated");
        assert_eq!(last.changed_fields, ["lifecycle_stage"]);
        assert_eq!(last.method, "/crm.v1.PurchaseService/CreatePurchase");
        // A second purchase leaves the stage where it is: no event.
        buy(&s, &c.name, sale(&s, 0)).await;
        let again = all_events(&s, &format!("resource = \"{}\"", c.name)).await;
        assert_eq!(again.len(), events.len());
    }

    async fn a_purchase_200_days_ago_puts_the_customer_at_risk_and_lists_find_it(s) {
        let risky = create_customer(&s, customer("Drifting away")).await;
        let recent = create_customer(&s, customer("Bought last week")).await;
        buy(&s, &risky.name, sale(&s, 200)).await;
        buy(&s, &recent.name, sale(&s, 7)).await;
        assert_eq!(stage_of(&s, &risky.name).await, Stage::AtRisk);
        assert_eq!(stage_of(&s, &recent.name).await, Stage::Active);
        let found = s
            .customers()
            .list_customers(pb::ListCustomersRequest {
                filter: "lifecycle_stage = AT_RISK".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let names: Vec<_> = found.customers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, [risky.name.as_str()]);
    }

    async fn the_daily_pass_moves_customers_on_and_a_new_purchase_wins_them_back(s) {
        let c = create_customer(&s, customer("Goes quiet")).await;
        let bystander = create_customer(&s, customer("Never bought")).await;
        buy(&s, &c.name, sale(&s, 0)).await;
        assert_eq!(s.services.lifecycle_pass().await.unwrap(), 0, "nothing due yet");
        advance_days(&s, 180);
        assert_eq!(stage_of(&s, &c.name).await, Stage::Active, "until the pass runs");
        assert_eq!(s.services.lifecycle_pass().await.unwrap(), 1);
        assert_eq!(stage_of(&s, &c.name).await, Stage::AtRisk);
        // 365 days after the purchase.
        advance_days(&s, 185);
        assert_eq!(s.services.lifecycle_pass().await.unwrap(), 1);
        assert_eq!(stage_of(&s, &c.name).await, Stage::Lost);
        assert_eq!(s.services.lifecycle_pass().await.unwrap(), 0, "lost stays lost");
        assert_eq!(stage_of(&s, &bystander.name).await, Stage::Prospect);
        let events = all_events(&s, &format!("resource = \"{}\"", c.name)).await;
        let moved: Vec<_> = events.iter().filter(|e| e.method == "crm/lifecycle-pass").collect();
        assert_eq!(moved.len(), 2);
        assert!(moved.iter().all(|e| e.changed_fields == ["lifecycle_stage"] && e.actor == "crm"));
        buy(&s, &c.name, sale(&s, 0)).await;
        assert_eq!(stage_of(&s, &c.name).await, Stage::WonBack);
        advance_days(&s, 180);
        s.services.lifecycle_pass().await.unwrap();
        assert_eq!(stage_of(&s, &c.name).await, Stage::AtRisk, "won back ends at 180 days");
    }

    async fn lifecycle_stage_cannot_be_set_through_create_or_update(s) {
        let mut input = customer("Claims loyalty");
        input.lifecycle_stage = Stage::Loyal as i32;
        let c = create_customer(&s, input).await;
        assert_eq!(Stage::try_from(c.lifecycle_stage).unwrap(), Stage::Prospect);
        let status = expect_code(
            s.customers()
                .update_customer(pb::UpdateCustomerRequest {
                    request_id: String::new(),
                    customer: Some(pb::Customer {
                        name: c.name.clone(),
                        lifecycle_stage: Stage::Lost as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask { paths: vec!["lifecycle_stage".into()] }),
                })
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["update_mask"]);
        let mut everything = c.clone();
        everything.lifecycle_stage = Stage::Lost as i32;
        everything.display_name = "Renamed".into();
        let updated = s
            .customers()
            .update_customer(pb::UpdateCustomerRequest {
                request_id: String::new(),
                customer: Some(everything),
                update_mask: Some(FieldMask { paths: vec!["*".into()] }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.display_name, "Renamed");
        assert_eq!(Stage::try_from(updated.lifecycle_stage).unwrap(), Stage::Prospect);
    }

    async fn returns_and_deleted_purchases_do_not_count(s) {
        let c = create_customer(&s, customer("Returns things")).await;
        let mut returned = sale(&s, 1);
        returned.kind = Kind::Return as i32;
        buy(&s, &c.name, returned).await;
        assert_eq!(stage_of(&s, &c.name).await, Stage::Prospect, "a return is not a purchase");
        let bought = buy(&s, &c.name, sale(&s, 2)).await;
        assert_eq!(stage_of(&s, &c.name).await, Stage::Active);
        s.purchases()
            .delete_purchase(pb::DeletePurchaseRequest { name: bought.name.clone(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(stage_of(&s, &c.name).await, Stage::Prospect);
        s.purchases()
            .undelete_purchase(pb::UndeletePurchaseRequest { name: bought.name.clone(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(stage_of(&s, &c.name).await, Stage::Active);
        // Correcting the purchase time back 300 days: at risk at once.
        let mut moved = bought.clone();
        moved.etag.clear();
        moved.purchase_time = days_ago(&s, 300);
        s.purchases()
            .update_purchase(pb::UpdatePurchaseRequest {
                purchase: Some(moved),
                update_mask: Some(FieldMask { paths: vec!["purchase_time".into()] }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        assert_eq!(stage_of(&s, &c.name).await, Stage::AtRisk);
    }

    async fn concurrent_purchases_of_one_customer_all_succeed(s) {
        let c = create_customer(&s, customer("Busy buyer")).await;
        let buys: Vec<_> = (0..8)
            .map(|i| {
                let (s, name, purchase) = (s.clone(), c.name.clone(), sale(&s, 400 - 50 * i));
                tokio::spawn(async move {
                    s.purchases()
                        .create_purchase(pb::CreatePurchaseRequest {
                            parent: name,
                            purchase: Some(purchase),
                            request_id: String::new(),
                        })
                        .await
                        .map(|_| ())
                        .map_err(|status| status.code())
                })
            })
            .collect();
        for buy in buys {
            assert_eq!(buy.await.unwrap(), Ok(()));
        }
        // Sales 400, 350, .., 50 days ago: every gap is 50 days, the last
        // 50 days ago.
        assert_eq!(stage_of(&s, &c.name).await, Stage::Active);
    }

    async fn a_batch_of_purchases_moves_each_customer_once(s) {
        let a = create_customer(&s, customer("Batch A")).await;
        let b = create_customer(&s, customer("Batch B")).await;
        let row = |parent: &str, purchase| pb::CreatePurchaseRequest {
            parent: parent.into(),
            purchase: Some(purchase),
            request_id: String::new(),
        };
        s.purchases()
            .batch_create_purchases(pb::BatchCreatePurchasesRequest {
                parent: "customers/-".into(),
                requests: vec![
                    row(&a.name, sale(&s, 400)),
                    row(&a.name, sale(&s, 3)),
                    row(&b.name, sale(&s, 250)),
                ],
                request_id: String::new(),
            })
            .await
            .unwrap();
        assert_eq!(stage_of(&s, &a.name).await, Stage::WonBack, "bought again 397 days later");
        assert_eq!(stage_of(&s, &b.name).await, Stage::AtRisk);
    }
}

/// Customers stored before the stage was derived (here: every stage reset
/// to a typed-in ACTIVE) are recomputed from their sales by migration 15.
#[tokio::test]
async fn the_migration_derives_the_stage_of_customers_written_before_it() {
    after_rerunning_migration(
        "m20261204_000015_customer_lifecycle",
        &[
            "UPDATE customers SET lifecycle_stage = 2",
            "DROP INDEX customers_by_lifecycle_next_change_time",
            "ALTER TABLE customers DROP COLUMN lifecycle_next_change_time",
        ],
        async |s| {
            create_customer(s, customer("Never bought")).await;
            let risky = create_customer(s, customer("Bought long ago")).await;
            buy(s, &risky.name, sale(s, 200)).await;
            let recent = create_customer(s, customer("Bought lately")).await;
            buy(s, &recent.name, sale(s, 10)).await;
        },
        async |s, url| {
            let listed = s
                .customers()
                .list_customers(pb::ListCustomersRequest {
                    order_by: "display_name".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            let stages: Vec<_> = listed
                .customers
                .iter()
                .map(|c| {
                    (
                        c.display_name.as_str(),
                        Stage::try_from(c.lifecycle_stage).unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                stages,
                [
                    ("Bought lately", Stage::Active),
                    ("Bought long ago", Stage::AtRisk),
                    ("Never bought", Stage::Prospect),
                ],
                "on {url}"
            );
        },
    )
    .await;
}

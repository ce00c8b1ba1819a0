//! The periodic clean-up, driven directly with a chosen clock.

use std::time::Duration;

use crm::domain::customer::Customer;
use crm::domain::resource::Timestamp;
use crm::store::{SqliteSync, Store};
use crm::usecases::{Call, REQUEST_ID_RETENTION, Services};

fn body() -> Customer {
    serde_json::from_value(serde_json::json!({
        "display_name": "Remembered", "kind": "ORGANISATION", "relationship": null, "tier": null,
        "value_grade": null, "lifecycle_stage": null, "attitude_type": null,
        "geography": {"country": "", "province": "", "city": "", "sales_region": "", "city_size": null},
        "demographics": {"age_band": "", "gender": null, "income_band": "", "occupation": "", "education": ""},
        "behaviour": {"usage_rate": null, "user_status": null, "loyalty": null, "product_attitude": null, "benefit_sought": null},
        "contact_points": [], "do_not_contact": false, "labels": {}
    }))
    .expect("a valid customer body")
}

#[tokio::test]
async fn request_ids_are_remembered_for_the_retention_and_then_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let store = Store::connect(&url, SqliteSync::Normal).await.unwrap();
    store.migrate().await.unwrap();
    let services = Services::new(store, Duration::from_secs(3600))
        .await
        .unwrap();
    let call = Call {
        method: "/crm.v1.CustomerService/CreateCustomer".into(),
        actor: "test".into(),
    };
    let request_id = Some(uuid::Uuid::new_v4());

    let first = services
        .customers
        .create(&call, body(), request_id)
        .await
        .unwrap();
    let just_before =
        Timestamp(Timestamp::now().micros() + REQUEST_ID_RETENTION.as_micros() as i64 - 60_000_000);
    assert_eq!(
        services
            .housekeeping(just_before)
            .await
            .unwrap()
            .request_ids,
        0
    );
    let replay = services
        .customers
        .create(&call, body(), request_id)
        .await
        .unwrap();
    assert_eq!(replay.id, first.id, "still remembered inside the retention");

    let after = Timestamp(
        Timestamp::now().micros()
            + (REQUEST_ID_RETENTION + Duration::from_secs(60)).as_micros() as i64,
    );
    assert_eq!(services.housekeeping(after).await.unwrap().request_ids, 1);
    let fresh = services
        .customers
        .create(&call, body(), request_id)
        .await
        .unwrap();
    assert_ne!(fresh.id, first.id, "forgotten after the retention");
}

//! The periodic clean-up, driven directly with a chosen clock.

use std::time::Duration;

use crm::domain::customer::CustomerInput;
use crm::store::{SqliteSync, Store};
use crm::usecases::{Call, Clock, REQUEST_ID_RETENTION, Services};

fn body() -> CustomerInput {
    CustomerInput {
        display_name: "Remembered".into(),
        kind: 2,
        ..Default::default()
    }
}

#[tokio::test]
async fn request_ids_are_remembered_for_the_retention_and_then_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let store = Store::connect(&url, SqliteSync::Normal).await.unwrap();
    store.migrate().await.unwrap();
    let clock = Clock::shifted();
    let services = Services::new(
        store,
        clock.clone(),
        crm::grpc::encoders(),
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let call = Call {
        method: "/crm.v1.CustomerService/CreateCustomer".into(),
        actor: "test".into(),
    };
    let request_id = Some(uuid::Uuid::new_v4());

    let first = services
        .customers
        .create(&call, None, body(), request_id)
        .await
        .unwrap();
    clock.advance(REQUEST_ID_RETENTION - Duration::from_secs(60));
    assert_eq!(services.housekeeping().await.unwrap().request_ids, 0);
    let replay = services
        .customers
        .create(&call, None, body(), request_id)
        .await
        .unwrap();
    assert_eq!(replay.id, first.id, "still remembered inside the retention");

    clock.advance(Duration::from_secs(120));
    assert_eq!(services.housekeeping().await.unwrap().request_ids, 1);
    let fresh = services
        .customers
        .create(&call, None, body(), request_id)
        .await
        .unwrap();
    assert_ne!(fresh.id, first.id, "forgotten after the retention");
}

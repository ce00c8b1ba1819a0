//! The periodic clean-up, driven directly with a chosen clock.

use std::time::Duration;

use crm::domain::customer::CustomerInput;
use crm::store::{SqliteSync, Store};
use crm::usecases::{Call, Clock, REQUEST_ID_RETENTION, Retention, Services};

use crate::support::*;

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
        Retention {
            events: Duration::from_secs(3600),
            relay_hold_back: None,
            chunk: 1000,
        },
        chrono_tz::UTC,
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

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Creates `count` customers, each with a request id: `count` events and
/// `count` request records.
async fn create_with_request_ids(s: &TestServer, count: usize) {
    for i in 0..count {
        s.customers()
            .create_customer(crm::pb::CreateCustomerRequest {
                customer: Some(customer(&format!("Customer {i}"))),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("created");
    }
}

#[tokio::test]
async fn retention_keeps_events_the_relay_has_not_delivered_until_its_hold_back_ends() {
    // A relay is configured but its NATS never answers: nothing is delivered.
    let relaying = |settings: &mut crm::settings::Settings| {
        settings.nats_url = Some("nats://127.0.0.1:9".into());
        settings.event_retention = HOUR;
        settings.relay_hold_back = DAY;
    };
    for s in TestServer::on_each_engine(relaying).await {
        create_with_request_ids(&s, 3).await;
        // The relay delivered the first event before NATS went away.
        s.services.relay_log().delivered_through(1).await.unwrap();

        s.services.clock.advance(2 * HOUR);
        let cleaned = s.services.housekeeping().await.unwrap();
        assert_eq!(
            (cleaned.events, cleaned.undelivered_events),
            (1, 0),
            "past retention only the delivered event goes"
        );

        s.services.clock.advance(DAY);
        let cleaned = s.services.housekeeping().await.unwrap();
        assert_eq!(
            (cleaned.events, cleaned.undelivered_events),
            (2, 2),
            "past retention and hold-back the undelivered go too, counted"
        );
        s.stop().await;
    }

    // Without a relay, retention alone decides.
    let alone = |settings: &mut crm::settings::Settings| settings.event_retention = HOUR;
    for s in TestServer::on_each_engine(alone).await {
        create_with_request_ids(&s, 3).await;
        s.services.clock.advance(2 * HOUR);
        assert_eq!(s.services.housekeeping().await.unwrap().events, 3);
        s.stop().await;
    }
}

#[tokio::test]
async fn housekeeping_removes_in_bounded_chunks_one_transaction_each() {
    let chunked = |settings: &mut crm::settings::Settings| {
        settings.event_retention = HOUR;
        settings.housekeeping_chunk = 2;
    };
    for s in TestServer::on_each_engine(chunked).await {
        create_with_request_ids(&s, 5).await;
        s.services.clock.advance(REQUEST_ID_RETENTION + HOUR);
        let cleaned = s.services.housekeeping().await.unwrap();
        assert_eq!((cleaned.request_ids, cleaned.events), (5, 5));
        // 2 + 2 + 1 request records, then 2 + 2 + 1 events.
        assert_eq!(
            cleaned.transactions, 6,
            "five rows of each kind in chunks of two"
        );

        // Retention's recorded reach moved with every chunk: a cursor after
        // the fourth event is behind it, one after the fifth is not.
        let from = |after| crm::pb::StreamEventsRequest {
            position: Some(crm::pb::stream_events_request::Position::AfterSequence(
                after,
            )),
            ..Default::default()
        };
        let status = expect_code(
            s.events().stream_events(from(4)).await,
            tonic::Code::FailedPrecondition,
        );
        assert_eq!(reason(&status), "CURSOR_EXPIRED");
        s.events()
            .stream_events(from(5))
            .await
            .expect("a cursor at the edge works");
        s.stop().await;
    }
}

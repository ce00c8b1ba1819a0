//! The server as engineers meet it: reflection, health, graceful shutdown.

use std::collections::BTreeSet;
use std::time::Duration;

use crm::pb;
use crm::settings::Settings;
use tokio_stream::StreamExt;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

use crate::support::*;

async fn reflect(s: &TestServer, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(s.channel.clone());
    let outbound = tokio_stream::iter([ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    }]);
    let mut inbound = client
        .server_reflection_info(outbound)
        .await
        .unwrap()
        .into_inner();
    inbound
        .next()
        .await
        .unwrap()
        .unwrap()
        .message_response
        .unwrap()
}

#[tokio::test]
async fn reflection_lists_exactly_the_served_services() {
    let s = TestServer::sqlite().await;
    let MessageResponse::ListServicesResponse(list) =
        reflect(&s, MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "crm.v1.CalendarService",
            "crm.v1.ChannelService",
            "crm.v1.ComplaintService",
            "crm.v1.CustomerService",
            "crm.v1.EventService",
            "crm.v1.PurchaseService",
            "crm.v1.ServiceLevelPolicyService",
            "grpc.health.v1.Health"
        ]
    );
    s.stop().await;
}

#[tokio::test]
async fn reflection_serves_error_detail_types_for_grpcurl() {
    let s = TestServer::sqlite().await;
    for symbol in ["google.rpc.BadRequest", "crm.v1.Customer"] {
        let response = reflect(&s, MessageRequest::FileContainingSymbol(symbol.into())).await;
        assert!(
            matches!(response, MessageResponse::FileDescriptorResponse(_)),
            "{symbol}: {response:?}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn health_reports_serving_then_not_serving_on_shutdown_and_open_streams_do_not_block_exit() {
    let mut settings = Settings::for_database("sqlite::memory:");
    settings.shutdown_grace = Duration::from_millis(500);
    let s = TestServer::start_with(settings).await;
    let mut health = HealthClient::new(s.channel.clone());
    let check = |service: &str| HealthCheckRequest {
        service: service.into(),
    };
    for service in ["", "crm.v1.CustomerService", "crm.v1.ChannelService"] {
        let response = health.check(check(service)).await.unwrap().into_inner();
        assert_eq!(
            response.status,
            ServingStatus::Serving as i32,
            "{service:?}"
        );
    }
    let mut watch = health.watch(check("")).await.unwrap().into_inner();
    let first: HealthCheckResponse = watch.next().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);

    let started = std::time::Instant::now();
    let stopping = {
        let s = s.clone();
        tokio::spawn(async move { s.shutdown().await })
    };
    let next = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("status update");
    assert_eq!(
        next.unwrap().unwrap().status,
        ServingStatus::NotServing as i32
    );
    stopping.await.unwrap().expect("server exits cleanly");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "exit waited for the open stream: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn in_flight_calls_finish_during_shutdown_and_what_callers_were_told_is_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let s = TestServer::start_with(Settings::for_database(url.clone())).await;
    const CALLS: usize = 20;
    let calls = spawn_creates(&s, CALLS, "Late");
    tokio::time::sleep(Duration::from_millis(20)).await;
    s.shutdown().await.expect("clean shutdown");
    let (mut answered, mut refused) = (BTreeSet::new(), BTreeSet::new());
    for (i, call) in calls.into_iter().enumerate() {
        // A call either completed, or was refused before it started: never cut off midway.
        match call.await.unwrap() {
            Ok(response) => {
                let created = response.into_inner();
                assert!(created.name.starts_with("customers/"), "{created:?}");
                assert_eq!(created.display_name, format!("Late {i}"));
                answered.insert((created.name, created.display_name));
            }
            Err(status) => {
                assert!(
                    matches!(
                        status.code(),
                        tonic::Code::Unavailable | tonic::Code::Cancelled
                    ),
                    "{status:?}"
                );
                refused.insert(format!("Late {i}"));
            }
        }
    }
    assert_eq!(answered.len() + refused.len(), CALLS);

    // A new server on the same file: what survived the shutdown.
    let again = TestServer::start_with(Settings::for_database(url)).await;
    let listed = again
        .customers()
        .list_customers(pb::ListCustomersRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    again.shutdown().await.expect("clean shutdown");
    let stored: BTreeSet<(String, String)> = listed
        .customers
        .into_iter()
        .map(|c| (c.name, c.display_name))
        .collect();
    let lost: Vec<_> = answered.difference(&stored).collect();
    assert!(lost.is_empty(), "answered OK but not stored: {lost:?}");
    let stored_refused: Vec<_> = stored
        .iter()
        .filter(|(_, display_name)| refused.contains(display_name))
        .collect();
    assert!(
        stored_refused.is_empty(),
        "refused but stored: {stored_refused:?}"
    );
    assert_eq!(
        stored, answered,
        "the database holds exactly what was answered OK"
    );
}

#[tokio::test]
async fn calls_beyond_the_concurrency_limit_are_shed_with_resource_exhausted() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_database(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("crm.db").display()
    ));
    settings.max_concurrent_calls = 1;
    let s = TestServer::start_with(settings).await;
    let calls = spawn_creates(&s, 100, "Rush");
    let (mut served, mut shed) = (0, 0);
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => served += 1,
            Err(status) => {
                assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
                assert_eq!(reason(&status), "OVERLOADED");
                shed += 1;
            }
        }
    }
    assert!(served >= 1 && shed >= 1, "served {served}, shed {shed}");
    let listed = s
        .customers()
        .list_customers(pb::ListCustomersRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.customers.len(), served, "a shed call wrote nothing");
    s.stop().await;
}

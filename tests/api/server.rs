//! The server as engineers meet it: reflection, health, graceful shutdown.

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
            "crm.v1.ChannelService",
            "crm.v1.CustomerService",
            "crm.v1.EventService",
            "crm.v1.PurchaseService",
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
async fn in_flight_calls_finish_during_shutdown() {
    let s = TestServer::sqlite().await;
    let calls = spawn_creates(&s, 20, "Late");
    tokio::time::sleep(Duration::from_millis(20)).await;
    s.shutdown().await.expect("clean shutdown");
    for call in calls {
        // A call either completed, or was refused before it started: never cut off midway.
        match call.await.unwrap() {
            Ok(response) => assert!(response.into_inner().name.starts_with("customers/")),
            Err(status) => assert!(
                matches!(
                    status.code(),
                    tonic::Code::Unavailable | tonic::Code::Cancelled
                ),
                "{status:?}"
            ),
        }
    }
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

//! The places a resource is registered must agree: every filterable and
//! orderable field has a column, text columns compare by bytes on
//! PostgreSQL, every resource's events decode, and reflection offers every
//! served service. Adding a resource that forgets one fails here.

use crm::domain::calendar::Calendar;
use crm::domain::channel::Channel;
use crm::domain::complaint::Complaint;
use crm::domain::customer::Customer;
use crm::domain::filter::FieldType;
use crm::domain::purchase::Purchase;
use crm::domain::service_level::ServiceLevelPolicy;
use crm::store::{Persisted, column_name, folded_column_name, sort_column_names};
use sea_orm::{ConnectionTrait, Database, Statement};

/// (column, is text) for every filterable and orderable field.
fn columns<T: Persisted>() -> Vec<(String, bool)> {
    let mut found = Vec::new();
    for field in T::FILTER.fields {
        // Found through the key index, not a column (tests/api/lookup.rs).
        if matches!(field.ty, FieldType::Key(_)) {
            continue;
        }
        let column = column_name::<T>(field.path).unwrap_or_else(|| {
            panic!(
                "{}: filter field {} has no column",
                T::COLLECTION.plural,
                field.path
            )
        });
        let is_text = matches!(field.ty, FieldType::Text);
        assert_eq!(
            folded_column_name::<T>(field.path).is_some(),
            is_text,
            "{}: text filter field {} needs a folded column, and only text fields have one",
            T::COLLECTION.plural,
            field.path
        );
        // Whole-text fields compare too, so they need byte order as well.
        let compares_text = is_text || matches!(field.ty, FieldType::Exact);
        found.push((column.to_owned(), compares_text));
    }
    for field in T::ORDERABLE.fields {
        assert!(
            !sort_column_names::<T>(field).is_empty(),
            "{}: orderable field {field} has no column",
            T::COLLECTION.plural
        );
    }
    assert!(T::ORDERABLE.fields.contains(&T::ORDERABLE.default_field));
    found
}

#[test]
fn every_listed_field_of_every_resource_has_a_column() {
    assert!(!columns::<Customer>().is_empty());
    assert!(!columns::<Channel>().is_empty());
    assert!(!columns::<Purchase>().is_empty());
    assert!(!columns::<Complaint>().is_empty());
    assert!(!columns::<Calendar>().is_empty());
    assert!(!columns::<ServiceLevelPolicy>().is_empty());
}

async fn text_collations<T: Persisted>(
    db: &sea_orm::DatabaseConnection,
    table: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (column, is_text) in columns::<T>() {
        if !is_text {
            continue;
        }
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT collation_name FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
                [table.into(), column.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{table}.{column} does not exist"));
        let collation: Option<String> = row.try_get("", "collation_name").unwrap();
        if collation.as_deref() != Some("C") {
            wrong.push(format!("{table}.{column}: {collation:?}"));
        }
    }
    wrong
}

#[tokio::test]
async fn text_that_lists_filter_on_compares_by_bytes_on_postgres() {
    let Some(server) = crate::support::TestServer::postgres().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = server.database_url().expect("a PostgreSQL test database");
    let db = Database::connect(&url).await.unwrap();
    let mut wrong = text_collations::<Customer>(&db, "customers").await;
    wrong.extend(text_collations::<Channel>(&db, "channels").await);
    wrong.extend(text_collations::<Purchase>(&db, "purchases").await);
    wrong.extend(text_collations::<Complaint>(&db, "complaints").await);
    wrong.extend(text_collations::<Calendar>(&db, "calendars").await);
    wrong.extend(text_collations::<ServiceLevelPolicy>(&db, "service_level_policies").await);
    db.close().await.ok();
    server.stop().await;
    assert!(wrong.is_empty(), "not COLLATE \"C\": {wrong:?}");
}

/// The crm services the .proto files declare: (full name, [(method, is a
/// server stream)]).
fn declared_services() -> Vec<(String, Vec<(String, bool)>)> {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(crm::pb::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    set.file
        .iter()
        .filter(|file| file.package() == "crm.v1")
        .flat_map(|file| {
            file.service.iter().map(|service| {
                let methods = service
                    .method
                    .iter()
                    .map(|m| (m.name().to_owned(), m.server_streaming()))
                    .collect();
                (format!("crm.v1.{}", service.name()), methods)
            })
        })
        .collect()
}

/// Every service the protos declare is routed (each of its methods answers
/// something other than UNIMPLEMENTED), reports its health, and is offered
/// by reflection; nothing else is.
#[tokio::test]
async fn every_declared_service_is_routed_reported_and_reflected() {
    use tonic::codegen::http::uri::PathAndQuery;
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

    let s = crate::support::TestServer::sqlite().await;
    let services = declared_services();
    assert!(services.len() >= 3, "found {services:?}");
    let mut grpc = tonic::client::Grpc::new(s.channel.clone());
    let mut health = tonic_health::pb::health_client::HealthClient::new(s.channel.clone());
    for (service, methods) in &services {
        for (method, streaming) in methods {
            grpc.ready().await.unwrap();
            let path = PathAndQuery::try_from(format!("/{service}/{method}")).unwrap();
            // An empty message is a valid request of any type; the answer
            // (likely INVALID_ARGUMENT) only has to come from a handler.
            let request = tonic::Request::new(());
            let codec = tonic_prost::ProstCodec::<(), ()>::default();
            let code = if *streaming {
                grpc.server_streaming(request, path, codec).await.err()
            } else {
                grpc.unary(request, path, codec).await.err()
            }
            .map(|status| status.code());
            assert_ne!(
                code,
                Some(tonic::Code::Unimplemented),
                "{service}/{method} is declared but not routed"
            );
        }
        let status = health
            .check(HealthCheckRequest {
                service: service.clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("{service} has no health status: {e:?}"))
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }

    let mut reflection =
        tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient::new(
            s.channel.clone(),
        );
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_request::MessageRequest,
        server_reflection_response::MessageResponse,
    };
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::once(request))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let mut offered: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    offered.sort();
    let mut expected: Vec<String> = services.into_iter().map(|(name, _)| name).collect();
    expected.push("grpc.health.v1.Health".into());
    expected.sort();
    assert_eq!(offered, expected);
    s.stop().await;
}

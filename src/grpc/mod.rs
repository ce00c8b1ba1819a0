//! The gRPC transport: the only layer that names tonic and the generated
//! types. Handlers parse requests into domain values, call a use case and
//! encode the result; `status` maps every error in one place.

#[macro_use]
mod convert;
mod calendars;
mod channels;
mod complaint_analysis;
mod complaints;
mod customers;
pub mod events;
mod mask;
mod purchases;
mod service_levels;
mod standard;
mod status;
mod summaries;

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::codegen::http;
use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::error::Overloaded;
use tower::{BoxError, ServiceBuilder};
use tower_http::trace::TraceLayer;

pub use convert::ACTOR_HEADER;
pub use status::ERROR_DOMAIN;

use crate::domain::calendar::Calendar;
use crate::domain::channel::Channel;
use crate::domain::complaint::Complaint;
use crate::domain::customer::Customer;
use crate::domain::purchase::Purchase;
use crate::domain::service_level::ServiceLevelPolicy;
use crate::error::Error;
use crate::pb::{
    calendar_service_server::CalendarServiceServer, channel_service_server::ChannelServiceServer,
    complaint_service_server::ComplaintServiceServer,
    customer_service_server::CustomerServiceServer, event_service_server::EventServiceServer,
    purchase_service_server::PurchaseServiceServer,
    service_level_policy_service_server::ServiceLevelPolicyServiceServer,
};
use crate::usecases::Encoders;
use crate::usecases::Services;
use standard::WireResource;

/// The crm services, each with its own health status. A test checks this
/// list, the routes and reflection against the services the protos declare.
const CRM_SERVICES: &[&str] = &[
    "crm.v1.CustomerService",
    "crm.v1.ChannelService",
    "crm.v1.PurchaseService",
    "crm.v1.ComplaintService",
    "crm.v1.EventService",
    "crm.v1.CalendarService",
    "crm.v1.ServiceLevelPolicyService",
];
/// Reflection advertises the crm services and health.
const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// Health of the whole server ("") and of each served service.
#[derive(Clone)]
pub struct Health(HealthReporter);

impl Health {
    pub async fn set(&self, serving: bool) {
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for name in std::iter::once(&"").chain(CRM_SERVICES) {
            self.0.set_service_status(*name, status).await;
        }
    }
}

/// The wire form of every resource, which the use cases store in events.
pub fn encoders() -> Encoders {
    Encoders {
        customer: Customer::encode,
        channel: Channel::encode,
        purchase: Purchase::encode,
        complaint: Complaint::encode,
        calendar: Calendar::encode,
        service_level_policy: ServiceLevelPolicy::encode,
    }
}

/// Every gRPC service of the application, with reflection and health.
pub fn routes(services: &Services) -> Result<(Routes, Health), anyhow::Error> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            // Lets grpcurl decode google.rpc error details instead of showing bytes.
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET);
        for name in CRM_SERVICES.iter().chain([&HEALTH_SERVICE]) {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    let routes = Routes::new(health_service)
        .add_service(CustomerServiceServer::new(customers::CustomerApi {
            customers: services.customers.clone(),
            summaries: services.customer_summaries.clone(),
        }))
        .add_service(ChannelServiceServer::new(channels::ChannelApi {
            channels: services.channels.clone(),
        }))
        .add_service(PurchaseServiceServer::new(purchases::PurchaseApi {
            purchases: services.purchases.clone(),
        }))
        .add_service(ComplaintServiceServer::new(complaints::ComplaintApi {
            complaints: services.complaints.clone(),
        }))
        .add_service(CalendarServiceServer::new(calendars::CalendarApi {
            calendars: services.calendars.clone(),
        }))
        .add_service(ServiceLevelPolicyServiceServer::new(
            service_levels::ServiceLevelPolicyApi {
                policies: services.service_levels.clone(),
            },
        ))
        .add_service(EventServiceServer::new(events::EventApi {
            events: services.events.clone(),
        }))
        // grpcurl 1.8 speaks only v1alpha; buf curl and newer tools try v1.
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?);
    Ok((routes, Health(reporter)))
}

/// Serves `routes` on `listener` until `shutdown` completes, then lets
/// in-flight calls finish.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    request_timeout: Duration,
    max_concurrent_calls: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), anyhow::Error> {
    let layers = ServiceBuilder::new()
        // Outermost: one span per call, so timeouts and errors are logged in it.
        .layer(TraceLayer::new_for_grpc())
        // Handlers record the method with every change they make.
        .map_request(|mut request: http::Request<tonic::body::Body>| {
            let path = convert::MethodPath(request.uri().path().to_owned());
            request.extensions_mut().insert(path);
            request
        })
        // A call running past the limit answers DEADLINE_EXCEEDED (tonic's own
        // Server::timeout would answer CANCELLED).
        .map_future(move |call| answer(request_timeout, call))
        // Sheds calls beyond the process-wide limit at once instead of
        // queueing them (each connection alone would not see the total).
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::new(max_concurrent_calls));
    Server::builder()
        .layer(layers)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming(listener), shutdown)
        .await?;
    Ok(())
}

/// Accepted connections with TCP_NODELAY: a response written in several
/// small writes (headers, data, trailers) must not wait for the client's
/// delayed ACK (measured: 44 ms per 100-row page without it, 2.7 ms with it).
fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_secs(60)))
}

/// Answers DEADLINE_EXCEEDED when `call` has not produced its response
/// within `limit` (for a stream the limit covers the start of the call, not
/// the stream that follows), and RESOURCE_EXHAUSTED when load shedding
/// refused it.
async fn answer<B: Default>(
    limit: Duration,
    call: impl Future<Output = Result<http::Response<B>, BoxError>>,
) -> Result<http::Response<B>, BoxError> {
    match tokio::time::timeout(limit, call).await {
        Ok(Err(err)) if err.is::<Overloaded>() => {
            Ok(status::to_status(Error::Overloaded).into_http())
        }
        Ok(result) => result,
        Err(_) => Ok(status::to_status(Error::TimedOut).into_http()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{answer, http};
    use crate::domain::ClosedEnum;
    use crate::domain::{channel, complaint, customer, purchase};
    use crate::pb;

    /// Domain codes are stored and sent as protobuf numbers: the two lists
    /// of names and numbers must agree exactly.
    fn same<E: ClosedEnum>(proto: impl Fn(&str) -> Option<i32>, proto_count: usize) {
        for (name, code) in E::ALL {
            assert_eq!(proto(name), Some(*code), "{name}");
        }
        assert_eq!(
            E::ALL.len() + 1,
            proto_count,
            "a value is missing on one side"
        );
    }

    macro_rules! check {
        ($domain:ty, $proto:ty) => {
            same::<$domain>(
                |n| <$proto>::from_str_name(n).map(|v| v as i32),
                (0..100).filter(|i| <$proto>::try_from(*i).is_ok()).count(),
            )
        };
    }

    #[test]
    fn domain_enums_match_the_proto_enums() {
        check!(customer::CustomerKind, pb::customer::Kind);
        check!(customer::Relationship, pb::customer::Relationship);
        check!(customer::Tier, pb::customer::Tier);
        check!(customer::ValueGrade, pb::customer::ValueGrade);
        check!(customer::LifecycleStage, pb::customer::LifecycleStage);
        check!(customer::AttitudeType, pb::customer::AttitudeType);
        check!(customer::CitySize, pb::geography::CitySize);
        check!(customer::Gender, pb::demographics::Gender);
        check!(customer::UsageRate, pb::behaviour::UsageRate);
        check!(customer::UserStatus, pb::behaviour::UserStatus);
        check!(customer::Loyalty, pb::behaviour::Loyalty);
        check!(customer::ProductAttitude, pb::behaviour::ProductAttitude);
        check!(customer::Benefit, pb::behaviour::Benefit);
        check!(customer::ContactType, pb::contact_point::Type);
        check!(customer::ConsentStatus, pb::consent::Status);
        check!(channel::ChannelType, pb::channel::Type);
        check!(channel::ChannelKind, pb::channel::Kind);
        check!(channel::Day, pb::opening_period::Day);
        check!(purchase::PurchaseKind, pb::purchase::Kind);
        check!(purchase::Reason, pb::purchase::Reason);
        check!(complaint::State, pb::complaint::State);
        check!(complaint::Category, pb::complaint::Category);
        check!(complaint::Severity, pb::complaint::Severity);
        check!(complaint::ClosureReason, pb::complaint::ClosureReason);
        check!(complaint::Verdict, pb::validity::Verdict);
        check!(complaint::InvalidReason, pb::InvalidReason);
        check!(complaint::RemedyKind, pb::remedy::Kind);
        check!(complaint::RootCauseCategory, pb::root_cause::Category);
        check!(complaint::CallbackOutcome, pb::CallbackOutcome);
        check!(complaint::SatisfactionLevel, pb::SatisfactionLevel);
        check!(complaint::ContactDirection, pb::ContactDirection);
        check!(complaint::steps::StepKind, pb::complaint_step::Kind);
        check!(complaint::targets::Milestone, pb::Milestone);
        check!(complaint::targets::WarningLevel, pb::WarningLevel);
    }

    fn code(response: &http::Response<String>) -> tonic::Code {
        tonic::Status::from_header_map(response.headers()).map_or(tonic::Code::Ok, |s| s.code())
    }

    #[tokio::test]
    async fn late_and_shed_calls_get_their_own_codes() {
        let limit = Duration::from_millis(10);
        let never = std::future::pending::<Result<http::Response<String>, tower::BoxError>>();
        let response = answer(limit, never).await.unwrap();
        assert_eq!(code(&response), tonic::Code::DeadlineExceeded);

        let shed = async { Err(tower::load_shed::error::Overloaded::new().into()) };
        let response = answer::<String>(limit, shed).await.unwrap();
        assert_eq!(code(&response), tonic::Code::ResourceExhausted);

        let quick = async { Ok(http::Response::new("done".to_owned())) };
        let response = answer(limit, quick).await.unwrap();
        assert_eq!(response.body(), "done");
    }
}

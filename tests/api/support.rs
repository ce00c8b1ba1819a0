//! Starting and stopping a real server per test, and reading error details.

use std::sync::Arc;

use crm::app::Application;
use crm::pb;
use crm::pb::calendar_service_client::CalendarServiceClient;
use crm::pb::channel_service_client::ChannelServiceClient;
use crm::pb::complaint_service_client::ComplaintServiceClient;
use crm::pb::customer_service_client::CustomerServiceClient;
use crm::pb::event_service_client::EventServiceClient;
use crm::pb::purchase_service_client::PurchaseServiceClient;
use crm::pb::service_level_policy_service_client::ServiceLevelPolicyServiceClient;
use crm::settings::Settings;
use crm::usecases::{Clock, Services};
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::{Mutex, oneshot};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Declares tests that run once per database engine. Each body gets `s`, a
/// running [`TestServer`].
macro_rules! db_tests {
    ($(async fn $name:ident($s:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn case($s: $crate::support::TestServer) $body

            #[tokio::test]
            async fn sqlite() {
                let server = $crate::support::TestServer::sqlite().await;
                case(server.clone()).await;
                server.stop().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(server) = $crate::support::TestServer::postgres().await else {
                    eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
                    return;
                };
                case(server.clone()).await;
                server.stop().await;
            }
        }
    )*};
}

/// Settings for a test server on `url`: the warning sweep runs only when a
/// test sweeps (as of the clock it moved) or turns it back on.
pub fn test_settings(url: String) -> Settings {
    let mut settings = Settings::for_database(url);
    settings.warning_sweep_in_background = false;
    settings.lifecycle_pass_in_background = false;
    settings
}

/// The database a test server runs on, kept until the server is dropped.
enum TestDatabase {
    /// A fresh SQLite file in a directory removed with it.
    Sqlite(tempfile::TempDir),
    /// A fresh PostgreSQL database, dropped by `stop`.
    Postgres { admin_url: String, name: String },
    /// Whatever the test's own settings point at; the test owns it.
    Given,
}

struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A server running in this process on its own database.
#[derive(Clone)]
pub struct TestServer {
    pub channel: Channel,
    /// The server's use cases, to drive what no RPC triggers (housekeeping).
    pub services: Services,
    running: Arc<Mutex<Running>>,
    database: Arc<TestDatabase>,
}

impl TestServer {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(|_| {}).await
    }

    /// A server on a fresh PostgreSQL database, or None without a server URL.
    pub async fn postgres() -> Option<Self> {
        Self::postgres_with(|_| {}).await
    }

    /// A server on a fresh PostgreSQL database with settings of the test's
    /// choosing, or None without a server URL.
    pub async fn postgres_with(configure: impl FnOnce(&mut Settings)) -> Option<Self> {
        let (admin_url, name) = create_postgres_database().await?;
        let mut settings = test_settings(with_database(&admin_url, &name));
        configure(&mut settings);
        Some(Self::start(settings, TestDatabase::Postgres { admin_url, name }).await)
    }

    /// A server on a fresh SQLite file with settings of the test's choosing.
    pub async fn sqlite_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut settings = test_settings(sqlite_url(dir.path()));
        configure(&mut settings);
        Self::start(settings, TestDatabase::Sqlite(dir)).await
    }

    /// A server on each engine the suite runs on (PostgreSQL when
    /// CRM_TEST_POSTGRES_URL is set), with the same settings.
    pub async fn on_each_engine(configure: impl Fn(&mut Settings)) -> Vec<Self> {
        let mut servers = vec![Self::sqlite_with(&configure).await];
        servers.extend(Self::postgres_with(&configure).await);
        servers
    }

    pub async fn start_with(settings: Settings) -> Self {
        Self::start(settings, TestDatabase::Given).await
    }

    async fn start(mut settings: Settings, database: TestDatabase) -> Self {
        // Tests run housekeeping themselves, as of the clock they moved: a
        // round of the server's own at start could race theirs.
        settings.housekeeping_in_background = false;
        // The clock runs with the system's and tests move it ahead to let
        // retention or targets pass without waiting.
        let app = Application::build_with_clock(settings, Clock::shifted())
            .await
            .expect("application builds");
        let addr = app.local_addr().expect("bound address");
        let services = app.services().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("valid uri")
            .connect_lazy();
        TestServer {
            channel,
            services,
            running: Arc::new(Mutex::new(Running {
                stop: Some(stop),
                task: Some(task),
            })),
            database: Arc::new(database),
        }
    }

    /// The URL of the server's own database, SQLite file or PostgreSQL;
    /// None for one the test gave itself.
    pub fn database_url(&self) -> Option<String> {
        match &*self.database {
            TestDatabase::Postgres { admin_url, name } => Some(with_database(admin_url, name)),
            TestDatabase::Sqlite(dir) => Some(sqlite_url(dir.path())),
            TestDatabase::Given => None,
        }
    }

    pub fn customers(&self) -> CustomerServiceClient<Channel> {
        CustomerServiceClient::new(self.channel.clone())
    }

    pub fn channels(&self) -> ChannelServiceClient<Channel> {
        ChannelServiceClient::new(self.channel.clone())
    }

    pub fn calendars(&self) -> CalendarServiceClient<Channel> {
        CalendarServiceClient::new(self.channel.clone())
    }

    pub fn service_levels(&self) -> ServiceLevelPolicyServiceClient<Channel> {
        ServiceLevelPolicyServiceClient::new(self.channel.clone())
    }

    pub fn purchases(&self) -> PurchaseServiceClient<Channel> {
        PurchaseServiceClient::new(self.channel.clone())
    }

    pub fn complaints(&self) -> ComplaintServiceClient<Channel> {
        ComplaintServiceClient::new(self.channel.clone())
    }

    pub fn events(&self) -> EventServiceClient<Channel> {
        EventServiceClient::new(self.channel.clone())
    }

    /// Asks the server to shut down and waits for it to finish.
    pub async fn shutdown(&self) -> anyhow::Result<()> {
        let mut running = self.running.lock().await;
        if let Some(stop) = running.stop.take() {
            let _ = stop.send(());
        }
        match running.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }

    /// Shuts down and drops the PostgreSQL test database.
    pub async fn stop(self) {
        self.shutdown().await.expect("server stops cleanly");
        if let TestDatabase::Postgres { admin_url, name } = &*self.database {
            drop_postgres_database(admin_url, name).await;
        }
    }
}

/// The URL of the SQLite file a test server keeps in `dir`.
fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("crm.db").display())
}

/// A fresh database on the server of CRM_TEST_POSTGRES_URL: (admin URL,
/// database name), or None without a server URL.
async fn create_postgres_database() -> Option<(String, String)> {
    let admin_url = std::env::var("CRM_TEST_POSTGRES_URL").ok()?;
    let name = format!("crm_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(&admin_url)
        .await
        .expect("PostgreSQL reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    Some((admin_url, name))
}

async fn drop_postgres_database(admin_url: &str, name: &str) {
    if let Ok(admin) = Database::connect(admin_url).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        admin.close().await.ok();
    }
}

/// Tests of a migration's backfill: on a fresh SQLite file and (when
/// configured) a fresh PostgreSQL database, starts a server, lets `write`
/// store rows through it, undoes migration `version` with `undo` (SQL run
/// directly), starts the server again so the migration runs on those rows,
/// and hands it to `check` with the URL.
pub async fn after_rerunning_migration<W, C>(version: &str, undo: &[&str], write: W, check: C)
where
    W: AsyncFn(&TestServer),
    C: AsyncFn(&TestServer, &str),
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut urls = vec![format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("crm.db").display()
    )];
    let postgres = PostgresDatabase::create().await;
    urls.extend(postgres.as_ref().map(PostgresDatabase::url));
    for url in urls {
        let s = TestServer::start_with(Settings::for_database(&url)).await;
        write(&s).await;
        s.shutdown().await.expect("server stops");
        let db = Database::connect(&url).await.expect("database reachable");
        for sql in undo {
            db.execute_unprepared(sql)
                .await
                .expect("undo the migration");
        }
        db.execute_unprepared(&format!(
            "DELETE FROM seaql_migrations WHERE version = '{version}'"
        ))
        .await
        .expect("forget the migration");
        db.close().await.ok();
        let s = TestServer::start_with(Settings::for_database(&url)).await;
        check(&s, &url).await;
        s.shutdown().await.expect("server stops");
    }
    if let Some(postgres) = postgres {
        postgres.drop().await;
    }
}

/// A fresh PostgreSQL database for tests that run servers of their own (as
/// processes); dropped by `drop`.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl PostgresDatabase {
    pub async fn create() -> Option<Self> {
        let (admin_url, name) = create_postgres_database().await?;
        Some(PostgresDatabase { admin_url, name })
    }

    pub fn url(&self) -> String {
        with_database(&self.admin_url, &self.name)
    }

    pub async fn drop(self) {
        drop_postgres_database(&self.admin_url, &self.name).await;
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let root = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Starts `count` CreateCustomer calls at once; they race through the server.
pub fn spawn_creates(
    s: &TestServer,
    count: usize,
    prefix: &str,
) -> Vec<tokio::task::JoinHandle<Result<tonic::Response<pb::Customer>, Status>>> {
    (0..count)
        .map(|i| {
            let mut client = s.customers();
            let request = pb::CreateCustomerRequest {
                customer: Some(customer(&format!("{prefix} {i}"))),
                request_id: String::new(),
            };
            tokio::spawn(async move { client.create_customer(request).await })
        })
        .collect()
}

/// A valid customer with the given display name.
pub fn customer(display_name: &str) -> pb::Customer {
    pb::Customer {
        display_name: display_name.into(),
        kind: pb::customer::Kind::Organisation as i32,
        ..Default::default()
    }
}

pub async fn create_customer(s: &TestServer, customer: pb::Customer) -> pb::Customer {
    s.customers()
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(customer),
            request_id: String::new(),
        })
        .await
        .expect("customer created")
        .into_inner()
}

/// A valid regular, always-open hotline.
pub fn channel(display_name: &str) -> pb::Channel {
    pb::Channel {
        display_name: display_name.into(),
        r#type: pb::channel::Type::Hotline as i32,
        kind: pb::channel::Kind::Regular as i32,
        availability: Some(pb::Availability {
            always_open: true,
            ..Default::default()
        }),
        first_response_target: Some(prost_types::Duration {
            seconds: 600,
            nanos: 0,
        }),
        owning_department: "Customer service centre".into(),
        ..Default::default()
    }
}

pub async fn create_channel(s: &TestServer, channel: pb::Channel) -> pb::Channel {
    s.channels()
        .create_channel(pb::CreateChannelRequest {
            channel: Some(channel),
            request_id: String::new(),
        })
        .await
        .expect("channel created")
        .into_inner()
}

pub async fn create_calendar(s: &TestServer, calendar: pb::Calendar) -> pb::Calendar {
    s.calendars()
        .create_calendar(pb::CreateCalendarRequest {
            calendar: Some(calendar),
            request_id: String::new(),
        })
        .await
        .expect("calendar created")
        .into_inner()
}

/// The (field, description) pairs of a status's BadRequest.
pub fn violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields named by a status's BadRequest.
pub fn violated_fields(status: &Status) -> Vec<String> {
    violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

/// The ErrorInfo reason, after checking the domain.
pub fn reason(status: &Status) -> String {
    let info = status
        .get_details_error_info()
        .expect("every error carries ErrorInfo");
    assert_eq!(info.domain, "crm.v1");
    info.reason
}

/// Asserts the code of a failed call and returns its status.
pub fn expect_code<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, Status>,
    code: Code,
) -> Status {
    match result {
        Ok(response) => panic!("expected {code:?}, got {:?}", response.into_inner()),
        Err(status) => {
            assert_eq!(status.code(), code, "{status:?}");
            status
        }
    }
}

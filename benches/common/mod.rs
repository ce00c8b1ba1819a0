//! What the complaint benchmarks share: a real server on port 0 with the
//! background sweeps off, the customers and channels complaints need, and
//! copying complaint rows in SQL under fresh ids (`gen_random_uuid()` on
//! PostgreSQL, `randomblob(16)` on SQLite).

// Each bench binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::ops::RangeInclusive;

use crm::app::Application;
use crm::pb;
use crm::settings::Settings;
use crm::usecases::Services;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use tonic::transport::Channel;

pub fn seconds(n: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: n,
        nanos: 0,
    })
}

pub fn timestamp(micros: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    })
}

/// Now, in microseconds since the epoch.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_micros() as i64
}

/// The URL of database `name` on the PostgreSQL server of `admin`.
pub fn postgres_url(admin: &str, name: &str) -> String {
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

/// Creates database `name` through `admin`; returns its URL.
pub async fn create_postgres_database(admin: &str, name: &str) -> String {
    let db = Database::connect(admin)
        .await
        .expect("PostgreSQL reachable");
    db.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    db.close().await.ok();
    postgres_url(admin, name)
}

/// A real server on port 0, with the warning sweep and housekeeping left
/// to the bench.
pub struct Server {
    pub channel: Channel,
    pub services: Services,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), anyhow::Error>>,
}

impl Server {
    pub async fn start(url: &str) -> Server {
        Server::start_with(url, |_| {}).await
    }

    /// Starts with the settings `adjust` leaves.
    pub async fn start_with(url: &str, adjust: impl FnOnce(&mut Settings)) -> Server {
        let mut settings = Settings::for_database(url.to_owned());
        settings.warning_sweep_in_background = false;
        settings.housekeeping_in_background = false;
        adjust(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("application builds");
        let services = app.services().clone();
        let addr = app.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .expect("address URL")
            .connect_lazy();
        Server {
            channel,
            services,
            stop,
            task,
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

pub async fn create_customer(channel: &Channel, customer: pb::Customer) -> pb::Customer {
    pb::customer_service_client::CustomerServiceClient::new(channel.clone())
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(customer),
            request_id: String::new(),
        })
        .await
        .expect("customer")
        .into_inner()
}

/// An always-open regular channel of `kind`.
pub async fn create_channel(
    channel: &Channel,
    display_name: &str,
    kind: pb::channel::Type,
) -> pb::Channel {
    pb::channel_service_client::ChannelServiceClient::new(channel.clone())
        .create_channel(pb::CreateChannelRequest {
            channel: Some(pb::Channel {
                display_name: display_name.into(),
                r#type: kind as i32,
                kind: pb::channel::Kind::Regular as i32,
                availability: Some(pb::Availability {
                    always_open: true,
                    ..Default::default()
                }),
                first_response_target: seconds(600),
                owning_department: "Customer service centre".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("channel")
        .into_inner()
}

/// A complaint's id as an SQL literal of the engine.
pub fn id_literal(backend: DbBackend, name: &str) -> String {
    let id = name.trim_start_matches("complaints/");
    match backend {
        DbBackend::Postgres => format!("'{id}'"),
        _ => format!("x'{}'", id.replace('-', "")),
    }
}

/// The first column of every row `sql` returns, as text.
async fn texts(db: &DatabaseConnection, sql: &str, column: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|r| r.try_get::<String>("", column).expect("text"))
        .collect()
}

/// The columns of the complaints table, in table order.
pub async fn complaint_columns(db: &DatabaseConnection) -> Vec<String> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            texts(
                db,
                "SELECT column_name FROM information_schema.columns \
                 WHERE table_name = 'complaints' ORDER BY ordinal_position",
                "column_name",
            )
            .await
        }
        _ => texts(db, "PRAGMA table_info(complaints)", "name").await,
    }
}

/// Inserts one complaint row for each number `i` in `numbers`, under a fresh
/// id, copied from the row `c` that `source` joins to the numbers `n(i)`
/// (`JOIN complaints c ON ...`); `value(column)` may give an SQL expression
/// over `n.i` and `c` in place of `c.column`. Returns the rows inserted.
pub async fn copy_complaints(
    db: &DatabaseConnection,
    numbers: RangeInclusive<u64>,
    source: &str,
    value: impl Fn(&str) -> Option<String>,
) -> u64 {
    let backend = db.get_database_backend();
    let others: Vec<String> = complaint_columns(db)
        .await
        .into_iter()
        .filter(|c| c != "id")
        .collect();
    let names = others
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let values = others
        .iter()
        .map(|c| value(c).unwrap_or_else(|| format!("c.\"{c}\"")))
        .collect::<Vec<_>>()
        .join(", ");
    let (from, to) = (numbers.start(), numbers.end());
    let sql = match backend {
        DbBackend::Postgres => format!(
            "INSERT INTO complaints (id, {names}) SELECT gen_random_uuid(), {values} \
             FROM generate_series({from}::bigint, {to}::bigint) AS n(i) {source}"
        ),
        _ => format!(
            "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
             INSERT INTO complaints (id, {names}) SELECT randomblob(16), {values} \
             FROM n {source}"
        ),
    };
    db.execute_unprepared(&sql)
        .await
        .expect("copy complaints")
        .rows_affected()
}

//! The warning sweep's cost per sweep, with 100 complaints due beside a
//! small and a large number of open ones: the sweep finds due work through
//! the index on the next warning time, so the two must be within 2x of
//! each other (issue 9). Prints the figures beside that limit; asserts
//! nothing on speed.
//!
//!     cargo bench --bench warnings                       # SQLite
//!     CRM_BENCH_POSTGRES_URL=postgres://... cargo bench --bench warnings
//!     CRM_BENCH_OPEN=100000 cargo bench --bench warnings # the large size
//!
//! Each size gets a fresh database. Two template complaints are received
//! through the API: one under a 30-day target (open, nothing due for weeks)
//! and one under a 1-hour target received 2 hours ago (all four levels
//! due). The open ones are copied from the first in SQL; each round copies
//! 100 of the second and times one sweep, which records their 400 levels.

use std::time::{Duration, Instant};

use crm::pb::{self, complaint_service_client::ComplaintServiceClient};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

mod common;
use common::{Server, copy_complaints, id_literal, seconds};

const DUE: usize = 100;
const ROUNDS: usize = 5;
const LIMIT_RATIO: f64 = 2.0;

/// The database for one size: a fresh PostgreSQL database or SQLite file.
async fn database(dir: &tempfile::TempDir, label: &str) -> String {
    match std::env::var("CRM_BENCH_POSTGRES_URL") {
        Ok(admin) => {
            let name = format!("crm_bench_{}", uuid::Uuid::now_v7().simple());
            common::create_postgres_database(&admin, &name).await
        }
        Err(_) => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join(format!("{label}.db")).display()
        ),
    }
}

/// Receives one complaint of `severity`, `ago` seconds before now.
async fn receive(channel: &Channel, severity: pb::complaint::Severity, ago: i64) -> String {
    let customer = common::create_customer(
        channel,
        pb::Customer {
            display_name: "Bench customer".into(),
            kind: pb::customer::Kind::Organisation as i32,
            ..Default::default()
        },
    )
    .await;
    let hotline = common::create_channel(channel, "Hotline", pb::channel::Type::Hotline).await;
    ComplaintServiceClient::new(channel.clone())
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(pb::Complaint {
                customer: customer.name,
                intake_channel: hotline.name,
                received_time: common::timestamp(common::now_micros() - ago * 1_000_000),
                category: pb::complaint::Category::Delivery as i32,
                severity: severity as i32,
                subject: "Late delivery".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("complaint")
        .into_inner()
        .name
}

/// Copies the complaint row `template` `count` times under fresh ids;
/// `hidden` copies have no next warning time, so no sweep sees them, and
/// warning level 0, which no written complaint has, to find them by.
async fn copy(db: &DatabaseConnection, template: &str, count: usize, hidden: bool) {
    let source = format!(
        "JOIN complaints c ON c.id = {}",
        id_literal(db.get_database_backend(), template)
    );
    let copied = copy_complaints(db, 1..=count as u64, &source, |column| match column {
        "next_warning_time" if hidden => Some("NULL".to_owned()),
        "warning_level" if hidden => Some("0".to_owned()),
        _ => None,
    })
    .await;
    assert_eq!(copied, count as u64, "copied rows");
}

/// Milliseconds per sweep of 100 due complaints among `open` open ones.
async fn per_sweep(dir: &tempfile::TempDir, open: usize) -> Vec<Duration> {
    let url = database(dir, &format!("open{open}")).await;
    let server = Server::start(&url).await;
    let (services, channel) = (server.services.clone(), server.channel.clone());
    let mut policies =
        pb::service_level_policy_service_client::ServiceLevelPolicyServiceClient::new(
            channel.clone(),
        );
    for (priority, severities, target) in [
        (1, vec![pb::complaint::Severity::Critical as i32], 3600),
        (2, vec![], 30 * 24 * 3600),
    ] {
        policies
            .create_service_level_policy(pb::CreateServiceLevelPolicyRequest {
                service_level_policy: Some(pb::ServiceLevelPolicy {
                    display_name: format!("Bench {priority}"),
                    priority,
                    severities,
                    resolution_target: seconds(target),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("policy");
    }
    let idle = receive(&channel, pb::complaint::Severity::Low, 0).await;
    let due = receive(&channel, pb::complaint::Severity::Critical, 2 * 3600).await;
    let db = Database::connect(&url).await.expect("database");
    let backend = db.get_database_backend();
    let due_at: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            format!(
                "SELECT next_warning_time FROM complaints WHERE id = {}",
                id_literal(backend, &due)
            ),
        ))
        .await
        .expect("template")
        .expect("a row")
        .try_get("", "next_warning_time")
        .expect("a next warning time");
    copy(&db, &idle, open - DUE * ROUNDS - 2, false).await;
    copy(&db, &due, DUE * ROUNDS, true).await;
    // The template's own warnings first, so each round sweeps only its copies.
    services
        .complaints
        .sweep_warnings(1000, &CancellationToken::new())
        .await
        .expect("sweep");
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        // 100 hidden copies become due, as their next warning time says.
        let release = format!(
            "UPDATE complaints SET next_warning_time = {due_at} WHERE id IN \
             (SELECT id FROM complaints WHERE warning_level = 0 AND next_warning_time IS NULL LIMIT {DUE})"
        );
        let released = db.execute_unprepared(&release).await.expect("release");
        assert_eq!(released.rows_affected(), DUE as u64, "released");
        let start = Instant::now();
        let recorded = services
            .complaints
            .sweep_warnings(1000, &CancellationToken::new())
            .await
            .expect("sweep");
        times.push(start.elapsed());
        assert_eq!(recorded, DUE as u64 * 4, "levels recorded");
    }
    db.close().await.ok();
    server.stop().await;
    times.sort();
    times
}

#[tokio::main]
async fn main() {
    let large: usize = std::env::var("CRM_BENCH_OPEN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let engine = match std::env::var("CRM_BENCH_POSTGRES_URL") {
        Ok(_) => "PostgreSQL",
        Err(_) => "SQLite",
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    println!(
        "crm warning sweep bench: {engine}, {DUE} due per sweep (4 levels each), median of {ROUNDS}"
    );
    let small = per_sweep(&dir, 1_000).await;
    let big = per_sweep(&dir, large).await;
    let (s, b) = (small[ROUNDS / 2], big[ROUNDS / 2]);
    println!(
        "{:>8} open: {:>9.1?} per sweep  (all: {small:.1?})",
        1_000, s
    );
    println!("{large:>8} open: {:>9.1?} per sweep  (all: {big:.1?})", b);
    println!(
        "ratio {:.2} (limit {LIMIT_RATIO:.1}): {}",
        b.as_secs_f64() / s.as_secs_f64(),
        if b.as_secs_f64() <= LIMIT_RATIO * s.as_secs_f64() {
            "within"
        } else {
            "OVER"
        }
    );
}

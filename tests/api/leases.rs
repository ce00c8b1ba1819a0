//! Singleton work runs on one copy at a time and passes to another copy when
//! its holder dies: two `crm serve` processes on one PostgreSQL database.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crm::app::HOUSEKEEPING_LEASE;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::support::PostgresDatabase;

/// A `crm serve` process, killed when dropped.
struct Copy(Child);

impl Copy {
    fn start(database_url: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(["serve", "--listen", "127.0.0.1:0", "--lease-ttl", "2s"])
            .args(["--database-url", database_url])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("crm starts");
        Copy(child)
    }

    /// The prefix of this process's holder name in the lease table.
    fn holder_prefix(&self) -> String {
        format!("pid-{}-", self.0.id())
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Who holds `lease` now, if anyone (an expired row counts as no one).
async fn holder(db: &DatabaseConnection, lease: &str) -> Option<String> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT holder FROM leases WHERE name = $1 \
             AND expire_time > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint",
            [lease.into()],
        ))
        .await
        .ok()??;
    row.try_get::<String>("", "holder").ok()
}

/// Polls until `lease` is held by a holder starting with `prefix`.
async fn wait_for_holder(db: &DatabaseConnection, lease: &str, prefix: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let now = holder(db, lease).await;
        if now.as_deref().is_some_and(|h| h.starts_with(prefix)) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{prefix}* did not take {lease} within {within:?}; held by {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_lease_stays_with_its_holder_and_passes_on_within_seconds_of_a_kill() {
    let Some(database) = PostgresDatabase::create().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = database.url();
    let mut first = Copy::start(&url);
    let db = Database::connect(&url).await.expect("database reachable");
    // The first copy migrates and takes the lease before the second starts.
    wait_for_holder(
        &db,
        HOUSEKEEPING_LEASE,
        &first.holder_prefix(),
        Duration::from_secs(60),
    )
    .await;
    let second = Copy::start(&url);

    // Six renewal periods with both copies alive: the holder never changes.
    for _ in 0..30 {
        let now = holder(&db, HOUSEKEEPING_LEASE).await;
        assert!(
            now.as_deref()
                .is_some_and(|h| h.starts_with(&first.holder_prefix())),
            "the lease left its live holder: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    first.0.kill().expect("kill -9 the holder");
    first.0.wait().expect("the holder is gone");
    let killed = tokio::time::Instant::now();
    // Expiry (2 s) plus one retry period (2/3 s) and some slack.
    wait_for_holder(
        &db,
        HOUSEKEEPING_LEASE,
        &second.holder_prefix(),
        Duration::from_secs(8),
    )
    .await;
    eprintln!(
        "the second copy took the lease {:?} after the kill (lease 2 s)",
        killed.elapsed()
    );

    drop(second);
    db.close().await.ok();
    database.drop().await;
}

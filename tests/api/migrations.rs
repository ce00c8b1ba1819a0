//! Migrations under concurrent starts: copies that start together on one
//! fresh database all come up, and the schema is migrated exactly once.

use crm::app::Application;
use crm::settings::Settings;
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::support::PostgresDatabase;

/// How many copies start at once: enough that, without a lock, several of
/// them find the same migration pending.
const COPIES: usize = 8;

/// Builds `COPIES` applications on `url` at the same time; every one must
/// succeed, and each migration must be recorded once.
async fn copies_start_together_and_migrate_once(url: String) {
    let builds: Vec<_> = (0..COPIES)
        .map(|_| tokio::spawn(Application::build(Settings::for_database(url.clone()))))
        .collect();
    let mut failures = Vec::new();
    let mut apps = Vec::new();
    for build in builds {
        match build.await.expect("build task ends") {
            Ok(app) => apps.push(app),
            Err(err) => failures.push(format!("{err:#}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {COPIES} concurrent starts failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    drop(apps);

    let db = Database::connect(&url).await.expect("database reachable");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .expect("migration records");
    let recorded: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("", "version").expect("version column"))
        .collect();
    let expected = crm::store::migration_names();
    assert_eq!(recorded, expected, "each migration applied exactly once");
    db.close().await.ok();
}

#[tokio::test]
async fn copies_starting_together_on_a_fresh_postgres_database_all_come_up() {
    let Some(database) = PostgresDatabase::create().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    copies_start_together_and_migrate_once(database.url()).await;
    database.drop().await;
}

#[tokio::test]
async fn copies_starting_together_on_a_fresh_sqlite_file_all_come_up() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    copies_start_together_and_migrate_once(url).await;
}

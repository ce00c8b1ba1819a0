//! Real failures provoked on real engines, passed through the store's
//! classification: PostgreSQL from CRM_TEST_POSTGRES_URL when it is set,
//! SQLite files always.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, IsolationLevel, Statement, TransactionOptions,
    TransactionTrait,
};

use super::super::{SqliteSync, Store, db_error, is_unique_violation};
use crate::error::Error;

async fn run(conn: &impl ConnectionTrait, sql: &str) -> Result<(), Error> {
    conn.execute_unprepared(sql)
        .await
        .map(|_| ())
        .map_err(db_error)
}

/// A store with a two-row table of its own, `pair` (id 1 and 2).
struct Pair {
    store: Store,
    table: String,
    /// Keeps a SQLite file alive until the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl Pair {
    async fn on(url: &str, dir: Option<tempfile::TempDir>) -> Pair {
        let store = Store::connect(url, SqliteSync::Full)
            .await
            .expect("store connects");
        let table = format!("pair_{}", uuid::Uuid::new_v4().simple());
        run(
            &store.db,
            &format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)"),
        )
        .await
        .expect("table created");
        run(
            &store.db,
            &format!("INSERT INTO {table} VALUES (1, 0), (2, 0)"),
        )
        .await
        .expect("rows inserted");
        Pair {
            store,
            table,
            _dir: dir,
        }
    }

    async fn postgres() -> Option<Pair> {
        let Ok(url) = std::env::var("CRM_TEST_POSTGRES_URL") else {
            eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
            return None;
        };
        Some(Pair::on(&url, None).await)
    }

    async fn sqlite() -> Pair {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
        Pair::on(&url, Some(dir)).await
    }

    fn bump(&self, id: i32) -> String {
        format!("UPDATE {} SET v = v + 1 WHERE id = {id}", self.table)
    }

    async fn drop(self) {
        let _ = run(&self.store.db, &format!("DROP TABLE {}", self.table)).await;
        self.store.close().await;
    }
}

#[tokio::test]
async fn a_postgres_deadlock_is_a_retryable_abort() {
    let Some(pair) = Pair::postgres().await else {
        return;
    };
    let a = pair.store.write().await.expect("first transaction");
    let b = pair.store.write().await.expect("second transaction");
    run(a.conn(), &pair.bump(1)).await.expect("a locks row 1");
    run(b.conn(), &pair.bump(2)).await.expect("b locks row 2");
    // Each now waits for the other's row: PostgreSQL breaks the cycle by
    // failing one of them with 40P01.
    let (row_1, row_2) = (pair.bump(1), pair.bump(2));
    let (by_a, by_b) = tokio::join!(run(a.conn(), &row_2), run(b.conn(), &row_1));
    let aborted = [&by_a, &by_b]
        .into_iter()
        .filter(|result| matches!(result, Err(Error::TransactionAborted(_))))
        .count();
    assert_eq!(
        aborted, 1,
        "one side must lose the deadlock as a retryable abort: a {by_a:?}, b {by_b:?}"
    );
    drop((a, b));
    pair.drop().await;
}

#[tokio::test]
async fn a_postgres_serialization_failure_is_a_retryable_abort() {
    let Some(pair) = Pair::postgres().await else {
        return;
    };
    let snapshot = pair
        .store
        .db
        .begin_with_options(TransactionOptions {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            ..Default::default()
        })
        .await
        .expect("repeatable read transaction");
    run(
        &snapshot,
        &format!("SELECT v FROM {} WHERE id = 1", pair.table),
    )
    .await
    .expect("snapshot taken");
    run(&pair.store.db, &pair.bump(1))
        .await
        .expect("a concurrent change commits");
    let result = run(&snapshot, &pair.bump(1)).await;
    assert!(
        matches!(result, Err(Error::TransactionAborted(_))),
        "changing a row changed since the snapshot (40001) must be a retryable abort: {result:?}"
    );
    drop(snapshot);
    pair.drop().await;
}

#[tokio::test]
async fn a_postgres_connection_terminated_by_the_administrator_is_unavailable() {
    let Some(pair) = Pair::postgres().await else {
        return;
    };
    let victim = pair.store.write().await.expect("transaction");
    let backend = victim.conn().get_database_backend();
    let pid: i32 = victim
        .conn()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT pg_backend_pid() AS pid",
        ))
        .await
        .expect("pid read")
        .expect("one row")
        .try_get("", "pid")
        .expect("pid column");
    // Waits up to 5 s for the backend to end, so the next call sees it gone.
    run(
        &pair.store.db,
        &format!("SELECT pg_terminate_backend({pid}, 5000)"),
    )
    .await
    .expect("backend terminated");
    let result = run(victim.conn(), "SELECT 1").await;
    assert!(
        matches!(result, Err(Error::Unavailable(_))),
        "a connection ended by admin shutdown (57P01) must be UNAVAILABLE: {result:?}"
    );
    drop(victim);
    pair.drop().await;
}

#[tokio::test]
async fn a_sqlite_write_lock_held_past_the_busy_timeout_is_unavailable() {
    let pair = Pair::sqlite().await;
    let holder = pair.store.write().await.expect("write lock taken");
    let url = format!(
        "sqlite://{}?mode=rwc",
        pair._dir
            .as_ref()
            .map(|dir| dir.path().join("crm.db"))
            .expect("a file")
            .display()
    );
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| opts.busy_timeout(Duration::from_millis(50)));
    let impatient = Database::connect(options).await.expect("second connection");
    let result = run(&impatient, &pair.bump(1)).await;
    assert!(
        matches!(result, Err(Error::Unavailable(_))),
        "SQLITE_BUSY past the busy timeout must be UNAVAILABLE: {result:?}"
    );
    drop(holder);
    impatient.close().await.ok();
    pair.drop().await;
}

#[tokio::test]
async fn a_sqlite_reader_overtaken_by_a_commit_cannot_write_and_is_a_retryable_abort() {
    let pair = Pair::sqlite().await;
    let reader = pair.store.read().await.expect("read transaction");
    run(reader.conn(), &format!("SELECT v FROM {}", pair.table))
        .await
        .expect("snapshot taken");
    run(&pair.store.db, &pair.bump(1))
        .await
        .expect("another connection commits");
    let result = run(reader.conn(), &pair.bump(2)).await;
    assert!(
        matches!(result, Err(Error::TransactionAborted(_))),
        "SQLITE_BUSY_SNAPSHOT must be a retryable abort, not a wait for a lock: {result:?}"
    );
    drop(reader);
    pair.drop().await;
}

async fn duplicate_key_is_a_unique_violation(pair: Pair) {
    let err = pair
        .store
        .db
        .execute_unprepared(&format!("INSERT INTO {} VALUES (1, 9)", pair.table))
        .await
        .expect_err("a second row with id 1");
    assert!(is_unique_violation(&err), "{err:?}");
    assert!(matches!(db_error(err), Error::Internal(_)));
    pair.drop().await;
}

#[tokio::test]
async fn a_duplicate_key_is_a_unique_violation_on_sqlite() {
    duplicate_key_is_a_unique_violation(Pair::sqlite().await).await;
}

#[tokio::test]
async fn a_duplicate_key_is_a_unique_violation_on_postgres() {
    if let Some(pair) = Pair::postgres().await {
        duplicate_key_is_a_unique_violation(pair).await;
    }
}

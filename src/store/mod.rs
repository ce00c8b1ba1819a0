//! Storage on SQLite or PostgreSQL through sea-orm. Takes and returns domain
//! types; rows never leave this module. Knows nothing of gRPC.

mod calendars;
mod channels;
mod complaint_figures;
mod complaints;
mod customers;
pub mod events;
mod failure;
mod filter;
mod keys;
mod keyset;
mod labels;
pub mod leases;
mod lifecycle;
mod migration;
mod purchases;
mod requests;
mod resources;
mod secrets;
mod service_levels;
mod summaries;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, IsolationLevel, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::error::Error;
use failure::Failure;

pub use complaint_figures::complaint_figures;
pub use complaints::{
    complaints_with_warnings_due, earliest_warning_time, list_steps, open_complaints_of,
};
pub use lifecycle::{customers_with_lifecycle_due, sale_times_of, set_lifecycle_next_change};
pub use requests::RequestRecord;
pub use resources::{
    find, from_json, get, get_for_update, insert, list, replace, require_live_parent,
    require_live_references, to_json, write_side,
};
pub use secrets::page_token_key;
pub use service_levels::{active_policies, find_live_policy_with_priority};
pub use summaries::summarize_customers;

/// A resource the store keeps: the bound the layers above name. How it maps
/// onto rows (`resources::Table`, its entity, columns and row conversions)
/// stays inside the store; rows never leave it.
pub trait Persisted: resources::Table {}
impl<T: resources::Table> Persisted for T {}

/// The column behind a filterable or orderable field of `T`, by name; None
/// for a field with no column.
pub fn column_name<T: Persisted>(field: &str) -> Option<&'static str> {
    use sea_orm::IdenStatic;
    T::column(field).map(|column| column.as_str())
}

/// The columns an orderable field of `T` sorts by, by name; empty for a
/// field it cannot sort by.
pub fn sort_column_names<T: Persisted>(field: &str) -> Vec<&'static str> {
    use sea_orm::IdenStatic;
    T::sort_columns(field)
        .into_iter()
        .map(|column| column.as_str())
        .collect()
}

/// The names of every migration, in the order they apply.
pub fn migration_names() -> Vec<String> {
    migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// The case-folded copy of a text field's column, which `:` and prefix
/// filters search; None for a field without one.
pub fn folded_column_name<T: Persisted>(field: &str) -> Option<&'static str> {
    use sea_orm::IdenStatic;
    T::folded(field).map(|column| column.as_str())
}

/// How durable a SQLite commit is. PostgreSQL always runs with its own
/// (fsync, synchronous_commit) settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    /// Every commit reaches the disk before it is acknowledged.
    Full,
    /// Survives a process crash; a power loss may drop the last commits.
    Normal,
}

/// The key of the PostgreSQL advisory lock that serializes migrations: the
/// bytes of "crm:migr", fixed so every copy of every version agrees.
const MIGRATION_LOCK: i64 = i64::from_be_bytes(*b"crm:migr");

/// A pool of connections to the one database.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

/// An open transaction; dropped without `commit`, it rolls back.
pub struct Tx(DatabaseTransaction);

impl Tx {
    pub async fn commit(self) -> Result<(), Error> {
        self.0.commit().await.map_err(db_error)
    }

    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.0
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    pub async fn connect(url: &str, sqlite_sync: SqliteSync) -> Result<Self, Error> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        if url.starts_with("sqlite:") {
            // sea-orm caps SQLite at one connection unless told: readers would
            // queue behind writers. WAL lets them run side by side.
            options
                .max_connections(8)
                .map_sqlx_sqlite_opts(move |opts| {
                    opts.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(match sqlite_sync {
                            SqliteSync::Full => SqliteSynchronous::Full,
                            SqliteSync::Normal => SqliteSynchronous::Normal,
                        })
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(5))
                });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options).await.map_err(db_error)?;
        Ok(Store { db })
    }

    /// Applies every pending migration, one copy at a time. The whole run is
    /// one transaction that holds the migration lock, so copies starting
    /// together cannot both find a migration pending and both apply it, and
    /// a failed run leaves nothing half-applied.
    ///
    /// On SQLite the lock is the write lock: `write` starts IMMEDIATE, and a
    /// second copy waits for it (up to the busy timeout). On PostgreSQL,
    /// where DDL does not block a second copy from reading an empty
    /// migration table, it is an advisory lock on a fixed key. It is
    /// transaction-scoped: commit, rollback or a dropped connection release
    /// it, so it can never stay behind on a pooled connection.
    pub async fn migrate(&self) -> Result<(), Error> {
        let tx = self.write().await?;
        if self.db.get_database_backend() == DbBackend::Postgres {
            tx.conn()
                .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await
                .map_err(db_error)?;
        }
        migration::Migrator::up(tx.conn(), None)
            .await
            .map_err(db_error)?;
        tx.commit().await
    }

    /// Starts a transaction that will write. On SQLite it starts IMMEDIATE,
    /// taking the write lock up front: a deferred read-then-write transaction
    /// fails with "database is locked" when another writer got in between.
    pub async fn write(&self) -> Result<Tx, Error> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let tx = self
            .db
            .begin_with_options(options)
            .await
            .map_err(db_error)?;
        Ok(Tx(tx))
    }

    /// Starts a transaction that only reads, with one snapshot for all its
    /// statements: a reader of the counters and then the events must not
    /// see a retention commit land between the two and skip what it
    /// removed. PostgreSQL's default, READ COMMITTED, takes a new snapshot
    /// per statement, so it runs REPEATABLE READ, READ ONLY (which never
    /// fails with a serialization error). SQLite's deferred transaction
    /// already reads one snapshot from its first read to its end (WAL).
    pub async fn read(&self) -> Result<Tx, Error> {
        let options = match self.db.get_database_backend() {
            DbBackend::Postgres => TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..Default::default()
            },
            _ => TransactionOptions::default(),
        };
        let tx = self
            .db
            .begin_with_options(options)
            .await
            .map_err(db_error)?;
        Ok(Tx(tx))
    }

    pub async fn close(self) {
        if let Err(err) = self.db.close().await {
            tracing::warn!(error = %err, "closing the database pool failed");
        }
    }
}

/// Classifies a database error by its engine code (see `failure`): a
/// transaction the engine gave up for a concurrent one is retryable
/// (ABORTED), storage that cannot serve now is retryable (UNAVAILABLE),
/// anything else is a bug (INTERNAL). The cause is kept for the log.
pub(crate) fn db_error(err: DbErr) -> Error {
    match failure::classify(&err) {
        Failure::Conflict => Error::TransactionAborted(err.to_string()),
        Failure::Unavailable => Error::Unavailable(err.to_string()),
        Failure::UniqueViolation | Failure::ForeignKeyViolation | Failure::Other => {
            Error::Internal(err.to_string())
        }
    }
}

/// Whether the error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    failure::classify(err) == Failure::UniqueViolation
}

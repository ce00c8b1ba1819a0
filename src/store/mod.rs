//! Storage on SQLite or PostgreSQL through sea-orm. Takes and returns domain
//! types; rows never leave this module. Knows nothing of gRPC.

mod channels;
mod customers;
pub mod events;
mod filter;
mod labels;
pub mod leases;
mod migration;
mod requests;
mod resources;
mod secrets;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::error::Error;

pub use requests::RequestRecord;
pub use resources::{
    from_json, get, get_for_update, insert, list, replace, require_live_parent, to_json,
};
pub use secrets::page_token_key;

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

/// How durable a SQLite commit is. PostgreSQL always runs with its own
/// (fsync, synchronous_commit) settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    /// Every commit reaches the disk before it is acknowledged.
    Full,
    /// Survives a process crash; a power loss may drop the last commits.
    Normal,
}

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

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), Error> {
        migration::Migrator::up(&self.db, None)
            .await
            .map_err(db_error)
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

    /// Starts a transaction that only reads: one consistent snapshot.
    pub async fn read(&self) -> Result<Tx, Error> {
        let tx = self.db.begin().await.map_err(db_error)?;
        Ok(Tx(tx))
    }

    pub async fn close(self) {
        if let Err(err) = self.db.close().await {
            tracing::warn!(error = %err, "closing the database pool failed");
        }
    }
}

/// Classifies a database error: connection trouble is retryable
/// (UNAVAILABLE), anything else is a bug (INTERNAL), logged with its cause.
pub(crate) fn db_error(err: DbErr) -> Error {
    match &err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Error::Unavailable(err.to_string()),
        _ if is_busy(&err) => Error::Unavailable(err.to_string()),
        _ => Error::Internal(err.to_string()),
    }
}

fn is_busy(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("database is locked") || text.contains("could not serialize access")
}

/// Whether the error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

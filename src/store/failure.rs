//! What a database error means to a caller, read from the engine's own
//! code: the SQLSTATE on PostgreSQL, the extended result code on SQLite.
//! Never from the error's text, which changes with versions and locales.

use sea_orm::sqlx::{self, postgres::PgDatabaseError, sqlite::SqliteError};
use sea_orm::{DbErr, RuntimeErr};

/// The classes of database failure the service treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The engine rolled the transaction back in favour of a concurrent one
    /// (deadlock, serialization failure, a snapshot that fell behind a
    /// commit): running the whole call again can succeed at once.
    Conflict,
    /// Storage cannot serve now: unreachable, shutting down, out of
    /// connections, or held by another writer past the wait limit.
    Unavailable,
    UniqueViolation,
    ForeignKeyViolation,
    /// Anything else is a bug or a broken schema.
    Other,
}

pub(crate) fn classify(err: &DbErr) -> Failure {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Failure::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            classify_sqlx(cause)
        }
        _ => Failure::Other,
    }
}

fn classify_sqlx(err: &sqlx::Error) -> Failure {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<PgDatabaseError>().is_some() {
                postgres(&code)
            } else if db.try_downcast_ref::<SqliteError>().is_some() {
                code.parse().map_or(Failure::Other, sqlite)
            } else {
                Failure::Other
            }
        }
        // The connection broke mid-call or the pool could not lend one.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Failure::Unavailable,
        _ => Failure::Other,
    }
}

/// PostgreSQL SQLSTATE codes (Appendix A of its manual).
fn postgres(sqlstate: &str) -> Failure {
    match sqlstate {
        // serialization_failure, deadlock_detected
        "40001" | "40P01" => Failure::Conflict,
        // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or
        // in recovery), too_many_connections, lock_not_available (a lock
        // wait limit, like SQLite's busy timeout)
        "57P01" | "57P02" | "57P03" | "53300" | "55P03" => Failure::Unavailable,
        // class 08: connection exception
        code if code.starts_with("08") => Failure::Unavailable,
        "23505" => Failure::UniqueViolation,
        "23503" => Failure::ForeignKeyViolation,
        _ => Failure::Other,
    }
}

const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_BUSY_SNAPSHOT: i32 = SQLITE_BUSY | (2 << 8);
const SQLITE_CONSTRAINT_FOREIGNKEY: i32 = 787;
const SQLITE_CONSTRAINT_PRIMARYKEY: i32 = 1555;
const SQLITE_CONSTRAINT_UNIQUE: i32 = 2067;

/// SQLite extended result codes; the low byte is the primary code.
fn sqlite(code: i32) -> Failure {
    match code {
        // A read transaction asked to write after another connection
        // committed: its snapshot is stale, only a fresh transaction can
        // write. No wait would help, so this is a conflict, not "busy".
        SQLITE_BUSY_SNAPSHOT => Failure::Conflict,
        // Another connection held the lock past the busy timeout.
        code if matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED) => Failure::Unavailable,
        SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY => Failure::UniqueViolation,
        SQLITE_CONSTRAINT_FOREIGNKEY => Failure::ForeignKeyViolation,
        _ => Failure::Other,
    }
}

#[cfg(test)]
#[path = "failure_tests.rs"]
mod tests;

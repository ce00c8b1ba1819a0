//! The command line and environment: every setting has a flag and a
//! `CRM_*` variable, all shown by `--help`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::store::SqliteSync;
use crate::usecases::DEFAULT_MAX_EVENT_STREAMS;

#[derive(Debug, Parser)]
#[command(
    name = "crm",
    version,
    about = "Customer-relationship system of record, served over gRPC"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve gRPC (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the application is built from. Tests build it directly.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        env = "CRM_LISTEN",
        default_value = "127.0.0.1:50051",
        global = true
    )]
    pub listen: SocketAddr,
    /// Database URL: `sqlite://FILE?mode=rwc` (created on first start) or
    /// `postgres://user@host/db`.
    #[arg(
        long,
        env = "CRM_DATABASE_URL",
        default_value = "sqlite://crm.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// Log format.
    #[arg(
        long,
        env = "CRM_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Longest a call may run before it answers DEADLINE_EXCEEDED, e.g. `30s`.
    #[arg(long, env = "CRM_REQUEST_TIMEOUT", default_value = "30s", value_parser = positive_duration, global = true)]
    pub request_timeout: Duration,
    /// Most calls served at once across all connections; calls beyond it are
    /// refused at once with RESOURCE_EXHAUSTED. Open streams do not count.
    #[arg(long, env = "CRM_MAX_CONCURRENT_CALLS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub max_concurrent_calls: u32,
    /// Most event streams (StreamEvents) open at once; a stream beyond it is
    /// refused with RESOURCE_EXHAUSTED (reason `TOO_MANY_STREAMS`).
    #[arg(long, env = "CRM_MAX_EVENT_STREAMS", default_value_t = DEFAULT_MAX_EVENT_STREAMS, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub max_event_streams: u32,
    /// How long shutdown waits for in-flight calls before it exits anyway.
    #[arg(long, env = "CRM_SHUTDOWN_GRACE", default_value = "10s", value_parser = positive_duration, global = true)]
    pub shutdown_grace: Duration,
    /// How long events are kept before retention removes them, e.g. `30d`.
    #[arg(long, env = "CRM_EVENT_RETENTION", default_value = "30d", value_parser = positive_duration, global = true)]
    pub event_retention: Duration,
    /// NATS server to relay every event to (JetStream), e.g.
    /// `nats://127.0.0.1:4222`. Unset: no relay.
    #[arg(long, env = "CRM_NATS_URL", global = true)]
    pub nats_url: Option<String>,
    /// JetStream stream the relay publishes to, created when missing.
    #[arg(
        long,
        env = "CRM_NATS_STREAM",
        default_value = "CRM_EVENTS",
        global = true
    )]
    pub nats_stream: String,
    /// Subject prefix: events go to `{prefix}.{resource_type}.{kind}`.
    #[arg(
        long,
        env = "CRM_NATS_SUBJECT_PREFIX",
        default_value = "crm.v1",
        global = true
    )]
    pub nats_subject_prefix: String,
    /// With a relay: how much longer than the retention events the relay has
    /// not delivered are kept, e.g. while NATS is down. Past it they are
    /// removed anyway and the loss is logged as an error.
    #[arg(long, env = "CRM_RELAY_HOLD_BACK", default_value = "7d", value_parser = positive_duration, global = true)]
    pub relay_hold_back: Duration,
    /// Whether housekeeping runs on its own schedule (always, for the
    /// binary); tests that drive it with a clock of their own turn it off.
    #[arg(skip = true)]
    pub housekeeping_in_background: bool,
    /// Most rows housekeeping removes in one transaction.
    #[arg(long, env = "CRM_HOUSEKEEPING_CHUNK", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub housekeeping_chunk: u32,
    /// How long a copy holds the lease of singleton work (housekeeping, the
    /// relay) without renewing it; another copy takes over after this.
    #[arg(long, env = "CRM_LEASE_TTL", default_value = "15s", value_parser = positive_duration, global = true)]
    pub lease_ttl: Duration,
    /// How often the warning sweep looks for complaints whose next warning
    /// level is reached (it also wakes at the earliest one known).
    #[arg(long, env = "CRM_WARNING_SWEEP_INTERVAL", default_value = "15s", value_parser = positive_duration, global = true)]
    pub warning_sweep_interval: Duration,
    /// Whether the warning sweep runs on its own schedule (always, for the
    /// binary); tests that sweep as of a clock they move turn it off.
    #[arg(skip = true)]
    pub warning_sweep_in_background: bool,
    /// The organisation's time zone, an IANA name: where the service itself
    /// reckons calendar days, quarters and years (the lifecycle's quarters).
    #[arg(long, env = "CRM_TIME_ZONE", default_value = "UTC", value_parser = time_zone, global = true)]
    pub time_zone: chrono_tz::Tz,
    /// Whether the daily lifecycle pass runs on its own schedule (always,
    /// for the binary); tests that run it as of a clock they move turn it off.
    #[arg(skip = true)]
    pub lifecycle_pass_in_background: bool,
    /// SQLite durability: `full` syncs every commit to disk; `normal` survives
    /// a crash of the process but may lose the last commits on power loss.
    #[arg(
        long,
        env = "CRM_SQLITE_SYNC",
        value_enum,
        default_value = "full",
        global = true
    )]
    pub sqlite_sync: SqliteSync,
}

impl Settings {
    /// Defaults for everything but the database: for tests and embedding.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            log_format: LogFormat::Text,
            request_timeout: Duration::from_secs(30),
            max_concurrent_calls: 512,
            max_event_streams: DEFAULT_MAX_EVENT_STREAMS,
            shutdown_grace: Duration::from_secs(10),
            event_retention: Duration::from_secs(30 * 24 * 3600),
            nats_url: None,
            nats_stream: "CRM_EVENTS".into(),
            nats_subject_prefix: "crm.v1".into(),
            sqlite_sync: SqliteSync::Full,
            lease_ttl: Duration::from_secs(15),
            warning_sweep_interval: Duration::from_secs(15),
            warning_sweep_in_background: true,
            relay_hold_back: Duration::from_secs(7 * 24 * 3600),
            housekeeping_chunk: 1000,
            housekeeping_in_background: true,
            time_zone: chrono_tz::UTC,
            lifecycle_pass_in_background: true,
        }
    }
}

/// An IANA time zone name such as `Asia/Shanghai`.
fn time_zone(text: &str) -> Result<chrono_tz::Tz, String> {
    text.parse::<chrono_tz::Tz>()
        .map_err(|_| "must be an IANA time zone such as Asia/Shanghai".into())
}

/// A duration such as `30s`, `500ms` or `30d`; zero is refused, since it
/// would make every call, shutdown or retention end at once.
fn positive_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if duration.is_zero() => Err("must be more than zero".into()),
        Ok(duration) => Ok(duration),
        Err(err) => Err(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_must_be_positive() {
        assert_eq!(positive_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(
            positive_duration("30d"),
            Ok(Duration::from_secs(30 * 24 * 3600))
        );
        assert!(positive_duration("0s").is_err());
        assert!(positive_duration("soon").is_err());
    }

    #[test]
    fn flags_and_subcommands_parse_in_either_order() {
        let cli = Cli::try_parse_from(["crm", "serve", "--listen", "127.0.0.1:0"]).unwrap();
        assert_eq!(cli.settings.listen.port(), 0);
        let cli = Cli::try_parse_from(["crm", "--request-timeout", "2s", "migrate"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Migrate)));
        assert_eq!(cli.settings.request_timeout, Duration::from_secs(2));
        assert!(Cli::try_parse_from(["crm", "--request-timeout", "0s"]).is_err());
        assert!(Cli::try_parse_from(["crm", "--max-concurrent-calls", "0"]).is_err());
        assert!(Cli::try_parse_from(["crm", "--max-event-streams", "0"]).is_err());
        let cli = Cli::try_parse_from(["crm", "--time-zone", "Asia/Shanghai"]).unwrap();
        assert_eq!(cli.settings.time_zone, chrono_tz::Asia::Shanghai);
        assert!(Cli::try_parse_from(["crm", "--time-zone", "Mars/Olympus"]).is_err());
    }
}

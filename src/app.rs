//! The composition root: builds the application from [`Settings`] (store,
//! migrations, use cases, gRPC routes), binds the listener, serves until a
//! shutdown future completes, and enforces the shutdown deadline.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::grpc::{self, Health};
use crate::nats::{self, NatsTarget};
use crate::settings::Settings;
use crate::store::Store;
use crate::usecases::{Cleaned, Clock, Leases, Retention, Services};

/// How often the periodic clean-up runs.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(3600);
/// How often the lifecycle pass moves customers as time passes: daily, the
/// stage's unit being whole days.
const LIFECYCLE_EVERY: Duration = Duration::from_secs(24 * 3600);
/// The leases of singleton work: one copy at a time runs each.
pub const HOUSEKEEPING_LEASE: &str = "housekeeping";
pub const RELAY_LEASE: &str = "relay.nats";
pub const WARNING_LEASE: &str = "warnings";
pub const LIFECYCLE_LEASE: &str = "lifecycle";

pub struct Application {
    services: Services,
    listener: TcpListener,
    routes: Routes,
    health: Health,
    store: Store,
    settings: Settings,
}

impl Application {
    /// Connects, migrates and binds; nothing is served until [`run_until`].
    ///
    /// [`run_until`]: Application::run_until
    pub async fn build(settings: Settings) -> Result<Self, anyhow::Error> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// Like [`Application::build`], with the clock every use case reads
    /// (tests pass a manual one).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, anyhow::Error> {
        let store = Store::connect(&settings.database_url, settings.sqlite_sync)
            .await
            .context("connecting to the database")?;
        store.migrate().await.context("applying migrations")?;
        let services = Services::new(
            store.clone(),
            clock,
            grpc::encoders(),
            Retention {
                events: settings.event_retention,
                relay_hold_back: settings.nats_url.as_ref().map(|_| settings.relay_hold_back),
                chunk: settings.housekeeping_chunk,
            },
            settings.time_zone,
        )
        .await
        .context("starting the use cases")?;
        services
            .events
            .limit_streams(settings.max_event_streams as usize);
        let (routes, health) = grpc::routes(&services)?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        Ok(Application {
            services,
            listener,
            routes,
            health,
            store,
            settings,
        })
    }

    /// The use cases behind the routes, for embedding and tests.
    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn local_addr(&self) -> Result<SocketAddr, anyhow::Error> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes: then reports NOT_SERVING, stops
    /// taking calls, lets in-flight ones finish, and returns within the
    /// grace period even if a stream is still open.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), anyhow::Error> {
        let Application {
            services,
            listener,
            routes,
            health,
            store,
            settings,
        } = self;
        health.set(true).await;
        // One stop signal for all background work; cancelled with the streams.
        let stop = CancellationToken::new();
        let leases = Leases::new(store.clone(), services.clock.clone(), settings.lease_ttl);
        let cleanup = settings.housekeeping_in_background.then(|| {
            let (leases, services, stop) = (leases.clone(), services.clone(), stop.clone());
            tokio::spawn(async move {
                leases
                    .run(HOUSEKEEPING_LEASE, stop, |held| {
                        housekeeping(services.clone(), held)
                    })
                    .await
            })
        });
        let sweep = settings.warning_sweep_in_background.then(|| {
            let (leases, services, stop) = (leases.clone(), services.clone(), stop.clone());
            let every = settings.warning_sweep_interval;
            let chunk = u64::from(settings.housekeeping_chunk);
            tokio::spawn(async move {
                leases
                    .run(WARNING_LEASE, stop, |held| {
                        warning_sweep(services.clone(), held, every, chunk)
                    })
                    .await
            })
        });
        let lifecycle = settings.lifecycle_pass_in_background.then(|| {
            let (leases, services, stop) = (leases.clone(), services.clone(), stop.clone());
            let chunk = u64::from(settings.housekeeping_chunk);
            tokio::spawn(async move {
                leases
                    .run(LIFECYCLE_LEASE, stop, |held| {
                        lifecycle_pass(services.clone(), held, chunk)
                    })
                    .await
            })
        });
        // Every copy polls for the others' commits, once for all its streams.
        let poll = {
            let (events, stop) = (services.events.clone(), stop.clone());
            tokio::spawn(async move { events.follow_other_copies(stop).await })
        };
        // Only with a NATS URL: no relay, no cost.
        let relay = settings.nats_url.clone().map(|url| {
            let target = NatsTarget {
                url,
                stream: settings.nats_stream.clone(),
                subject_prefix: settings.nats_subject_prefix.clone(),
                max_age: settings.event_retention,
            };
            let (leases, services, stop) = (leases.clone(), services.clone(), stop.clone());
            tokio::spawn(async move {
                leases
                    .run(RELAY_LEASE, stop, |held| {
                        nats::relay(
                            target.clone(),
                            services.events.clone(),
                            services.relay_log(),
                            held,
                        )
                    })
                    .await
            })
        });
        tracing::info!(addr = %listener.local_addr()?, "serving");

        let events = services.events.clone();
        let draining = {
            let health = health.clone();
            async move {
                shutdown.await;
                tracing::info!("shutting down: draining in-flight calls");
                health.set(false).await;
                // Open event streams would hold the server open: end them.
                // This is also the signal the relay and the deadline wait on.
                events.stop_streams();
            }
        };
        let serve = grpc::serve(
            listener,
            routes,
            settings.request_timeout,
            settings.max_concurrent_calls as usize,
            draining,
        );
        let mut stopping = services.events.stopping();
        let stop_work = stop.clone();
        tokio::spawn({
            let mut stopping = services.events.stopping();
            async move {
                let _ = stopping.wait_for(|stopping| *stopping).await;
                stop_work.cancel();
            }
        });
        let deadline = async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(settings.shutdown_grace).await;
        };
        tokio::select! {
            result = serve => result?,
            () = deadline => tracing::warn!(grace = ?settings.shutdown_grace, "calls still open after the grace period; exiting"),
        }
        stop.cancel();
        // Housekeeping ends its round and gives its lease up.
        if let Some(cleanup) = cleanup
            && tokio::time::timeout(Duration::from_secs(2), cleanup)
                .await
                .is_err()
        {
            tracing::warn!("housekeeping did not stop in time");
        }
        if let Some(sweep) = sweep
            && tokio::time::timeout(Duration::from_secs(2), sweep)
                .await
                .is_err()
        {
            tracing::warn!("the warning sweep did not stop in time");
        }
        if let Some(lifecycle) = lifecycle
            && tokio::time::timeout(Duration::from_secs(2), lifecycle)
                .await
                .is_err()
        {
            tracing::warn!("the lifecycle pass did not stop in time");
        }
        let _ = poll.await;
        if let Some(relay) = relay {
            // The relay saw the stop signal with the streams; a publish stuck
            // on an unreachable server must not hold the exit.
            if tokio::time::timeout(Duration::from_secs(2), relay)
                .await
                .is_err()
            {
                tracing::warn!("event relay did not stop in time");
            }
        }
        store.close().await;
        Ok(())
    }
}

/// Runs the clean-up when the lease is taken and then every
/// [`HOUSEKEEPING_EVERY`], until `held` is cancelled; a failed round is
/// logged and retried at the next tick.
async fn housekeeping(services: Services, held: CancellationToken) {
    let mut ticks = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = held.cancelled() => return,
        }
        match services.housekeeping_while(&held).await {
            Ok(Cleaned {
                request_ids: 0,
                events: 0,
                ..
            }) => {}
            Ok(cleaned) => tracing::info!(
                request_ids = cleaned.request_ids,
                events = cleaned.events,
                transactions = cleaned.transactions,
                "housekeeping removed expired records"
            ),
            Err(err) => tracing::warn!(error = %err, "housekeeping failed"),
        }
    }
}

/// Records warnings as they are reached, while `held`: sweeps, then
/// waits until the earliest next warning time known or `every`, whichever
/// comes first. A failed sweep is logged and retried at the next wake.
async fn warning_sweep(services: Services, held: CancellationToken, every: Duration, chunk: u64) {
    loop {
        match services.complaints.sweep_warnings(chunk, &held).await {
            Ok(0) => {}
            Ok(recorded) => tracing::info!(recorded, "warning levels recorded"),
            Err(err) => tracing::warn!(error = %err, "warning sweep failed"),
        }
        let wait = services
            .complaints
            .until_next_warning(every)
            .await
            .unwrap_or(every)
            // A complaint due but not recordable must not spin the loop.
            .max(every.min(Duration::from_millis(100)));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = held.cancelled() => return,
        }
    }
}

/// Moves customers along their lifecycle as time passes, while `held`:
/// a pass when the lease is taken and then every [`LIFECYCLE_EVERY`]. A
/// failed pass is logged and retried at the next tick.
async fn lifecycle_pass(services: Services, held: CancellationToken, chunk: u64) {
    let mut ticks = tokio::time::interval(LIFECYCLE_EVERY);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = held.cancelled() => return,
        }
        match services.lifecycles.pass(chunk, &held).await {
            Ok(0) => {}
            Ok(changed) => tracing::info!(changed, "lifecycle stages moved"),
            Err(err) => tracing::warn!(error = %err, "lifecycle pass failed"),
        }
    }
}

/// Applies pending migrations and returns.
pub async fn migrate(settings: &Settings) -> Result<(), anyhow::Error> {
    let store = Store::connect(&settings.database_url, settings.sqlite_sync).await?;
    store.migrate().await?;
    store.close().await;
    Ok(())
}

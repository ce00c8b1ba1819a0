//! Singleton work: background tasks that must run on one copy of the service
//! at a time (housekeeping, the event relay; later the warning sweeper and
//! the lifecycle pass) run under a lease through this one mechanism. The
//! holder renews every third of the lease's life; if it dies, another copy
//! takes over once the lease expires; if it cannot renew in time, it stops
//! its work before the lease can pass to someone else.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::clock::Clock;
use crate::error::Error;
use crate::store::{Store, leases};

/// This copy's claim on singleton work.
#[derive(Clone)]
pub struct Leases {
    store: Store,
    clock: Clock,
    /// Unique to this process: its pid and a random id.
    holder: String,
    ttl: Duration,
}

impl Leases {
    pub fn new(store: Store, clock: Clock, ttl: Duration) -> Self {
        Leases {
            store,
            clock,
            holder: format!("pid-{}-{}", std::process::id(), Uuid::new_v4().simple()),
            ttl,
        }
    }

    /// Who this copy is in the lease table.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes or renews `name`; true while this copy holds it.
    pub async fn try_acquire(&self, name: &str) -> Result<bool, Error> {
        let now = self.clock.now();
        let ttl = i64::try_from(self.ttl.as_micros()).unwrap_or(i64::MAX);
        let tx = self.store.write().await?;
        let held = leases::acquire(&tx, name, &self.holder, now, now.plus_micros(ttl)).await?;
        tx.commit().await?;
        Ok(held)
    }

    async fn release(&self, name: &str) -> Result<(), Error> {
        let tx = self.store.write().await?;
        leases::release(&tx, name, &self.holder).await?;
        tx.commit().await
    }

    /// Runs `work` whenever this copy holds `name`, until `stop` is
    /// cancelled. `work` gets a token cancelled when the lease is lost or
    /// the service stops, and must return soon after.
    pub async fn run<F, Fut>(&self, name: &'static str, stop: CancellationToken, work: F)
    where
        F: Fn(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let renew_every = self.ttl / 3;
        while !stop.is_cancelled() {
            match self.try_acquire(name).await {
                Ok(true) => {
                    tracing::info!(lease = name, holder = %self.holder, "took the lease");
                    let held = stop.child_token();
                    let task = tokio::spawn(work(held.clone()));
                    self.keep(name, &held, renew_every).await;
                    held.cancel();
                    let _ = task.await;
                    if let Err(err) = self.release(name).await {
                        tracing::warn!(lease = name, error = %err, "releasing the lease failed");
                    }
                }
                Ok(false) => {}
                Err(err) => tracing::warn!(lease = name, error = %err, "taking the lease failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(renew_every) => {}
                () = stop.cancelled() => {}
            }
        }
    }

    /// Renews until the lease is lost, a renewal fails, or `held` is
    /// cancelled.
    async fn keep(&self, name: &str, held: &CancellationToken, renew_every: Duration) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(renew_every) => {}
                () = held.cancelled() => return,
            }
            match self.try_acquire(name).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(lease = name, "lost the lease; stopping its work");
                    return;
                }
                // Stop at once rather than risk running beside the next
                // holder once the lease expires.
                Err(err) => {
                    tracing::warn!(lease = name, error = %err, "renewing the lease failed; stopping its work");
                    return;
                }
            }
        }
    }
}

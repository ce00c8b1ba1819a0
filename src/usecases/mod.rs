//! Use cases: the rules that need state and transactions. Each call opens one
//! transaction, so a change, its event and its side records commit or vanish
//! together. Speaks domain types; knows nothing of gRPC or SQL.

mod clock;
mod complaints;
mod events;
mod housekeeping;
mod lease;
mod lifecycle;
mod relay;
mod resources;
mod service_levels;
mod summaries;

pub use clock::Clock;
pub use complaints::{Complaints, StepPage};
pub use events::{
    DEFAULT_MAX_EVENT_STREAMS, EventLog, SHARED_POLL_EVERY, StreamFilter, StreamStart,
};
pub use housekeeping::{Cleaned, REQUEST_ID_RETENTION, Retention};
pub use lease::Leases;
pub use lifecycle::{Lifecycles, PASS_CALL};
pub use relay::RelayLog;
pub use resources::{
    Call, Encoder, Follow, Guard, HookFuture, ListRequest, ListResult, Prepare, Require, Resources,
    Stored, Target, Transition, Written,
};
pub use summaries::CustomerSummaries;

use std::sync::Arc;

use chrono_tz::Tz;
use tokio_util::sync::CancellationToken;

use crate::domain::calendar::Calendar;
use crate::domain::channel::Channel;
use crate::domain::complaint::Complaint;
use crate::domain::customer::Customer;
use crate::domain::listing::PageTokens;
use crate::domain::purchase::Purchase;
use crate::domain::service_level::ServiceLevelPolicy;
use crate::error::Error;
use crate::store::{self, Store};

/// The wire form of each resource, registered by the transport at
/// composition: every writer of events (handlers, background passes) encodes
/// the same way.
#[derive(Clone, Copy)]
pub struct Encoders {
    pub customer: Encoder<Customer>,
    pub channel: Encoder<Channel>,
    pub purchase: Encoder<Purchase>,
    pub complaint: Encoder<Complaint>,
    pub calendar: Encoder<Calendar>,
    pub service_level_policy: Encoder<ServiceLevelPolicy>,
}

/// Every use case of the service, sharing one store, one clock and one
/// event log.
#[derive(Clone)]
pub struct Services {
    pub customers: Resources<Customer>,
    pub customer_summaries: CustomerSummaries,
    pub channels: Resources<Channel>,
    pub purchases: Resources<Purchase>,
    pub complaints: Complaints,
    pub calendars: Resources<Calendar>,
    pub service_levels: Resources<ServiceLevelPolicy>,
    pub lifecycles: Arc<Lifecycles>,
    pub events: EventLog,
    pub clock: Clock,
    store: Store,
    retention: Retention,
}

impl Services {
    /// Builds the use cases over a migrated store and re-encodes events
    /// stored before snapshots had a wire form; [`Services::housekeeping`]
    /// keeps what `retention` says; calendar quarters of the lifecycle are
    /// those of `zone`, the organisation's time zone.
    pub async fn new(
        store: Store,
        clock: Clock,
        encoders: Encoders,
        retention: Retention,
        zone: Tz,
    ) -> Result<Self, Error> {
        let tokens = PageTokens::new(store::page_token_key(&store).await?);
        let events = EventLog::new(store.clone(), tokens.clone());
        let customers = Resources::new(
            store.clone(),
            tokens.clone(),
            events.clone(),
            clock.clone(),
            encoders.customer,
        )
        .with_guard(complaints::refuse_delete_with_open_complaints);
        let lifecycles = Lifecycles::new(customers.clone(), store.clone(), events.clone(), zone);
        let complaint_resources = Resources::new(
            store.clone(),
            tokens.clone(),
            events.clone(),
            clock.clone(),
            encoders.complaint,
        );
        let services = Services {
            complaints: Complaints::new(complaint_resources, store.clone(), tokens.clone()),
            customers,
            customer_summaries: CustomerSummaries::new(store.clone()),
            channels: Resources::new(
                store.clone(),
                tokens.clone(),
                events.clone(),
                clock.clone(),
                encoders.channel,
            ),
            calendars: Resources::new(
                store.clone(),
                tokens.clone(),
                events.clone(),
                clock.clone(),
                encoders.calendar,
            ),
            service_levels: Resources::new(
                store.clone(),
                tokens.clone(),
                events.clone(),
                clock.clone(),
                encoders.service_level_policy,
            )
            .with_prepare(service_levels::claim_priority)
            .with_guard(service_levels::keep_priority_unique),
            purchases: Resources::new(
                store.clone(),
                tokens,
                events.clone(),
                clock.clone(),
                encoders.purchase,
            )
            .with_follow(lifecycles.clone()),
            lifecycles,
            events,
            clock,
            store,
            retention,
        };
        services.customers.upgrade_legacy_events().await?;
        services.channels.upgrade_legacy_events().await?;
        services
            .complaints
            .resources
            .upgrade_legacy_events()
            .await?;
        Ok(services)
    }

    /// Runs one round of clean-up to its end, as of the clock's now.
    pub async fn housekeeping(&self) -> Result<Cleaned, Error> {
        self.housekeeping_while(&CancellationToken::new()).await
    }

    /// Runs one round of clean-up, stopping between chunks once `held` is
    /// cancelled (the lease was lost or the service stops).
    pub async fn housekeeping_while(&self, held: &CancellationToken) -> Result<Cleaned, Error> {
        housekeeping::clean(&self.store, self.clock.now(), self.retention, held).await
    }

    /// Runs the daily lifecycle pass to its end, as of the clock's now, in
    /// chunks of the housekeeping chunk; how many stages changed.
    pub async fn lifecycle_pass(&self) -> Result<u64, Error> {
        let chunk = u64::from(self.retention.chunk);
        self.lifecycles.pass(chunk, &CancellationToken::new()).await
    }

    /// The relay's view of the event log.
    pub fn relay_log(&self) -> RelayLog {
        RelayLog::new(self.store.clone())
    }
}

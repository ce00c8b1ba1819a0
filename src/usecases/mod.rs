//! Use cases: the rules that need state and transactions. Each call opens one
//! transaction, so a change, its event and its side records commit or vanish
//! together. Speaks domain types; knows nothing of gRPC or SQL.

mod events;
mod housekeeping;
mod relay;
mod resources;

pub use events::{EventLog, StreamFilter, StreamStart};
pub use housekeeping::{Cleaned, REQUEST_ID_RETENTION};
pub use relay::RelayLog;
pub use resources::{Call, ListRequest, ListResult, Resources};

use std::time::Duration;

use crate::domain::channel::Channel;
use crate::domain::customer::Customer;
use crate::domain::listing::PageTokens;
use crate::domain::resource::Timestamp;
use crate::error::Error;
use crate::store::{self, Store};

/// Every use case of the service, sharing one store and one event log.
#[derive(Clone)]
pub struct Services {
    pub customers: Resources<Customer>,
    pub channels: Resources<Channel>,
    pub events: EventLog,
    store: Store,
    event_retention: Duration,
}

impl Services {
    /// Builds the use cases over a migrated store; events older than
    /// `event_retention` are removed by [`Services::housekeeping`].
    pub async fn new(store: Store, event_retention: Duration) -> Result<Self, Error> {
        let tokens = PageTokens::new(store::page_token_key(&store).await?);
        let events = EventLog::new(store.clone(), tokens.clone());
        Ok(Services {
            customers: Resources::new(store.clone(), tokens.clone(), events.clone()),
            channels: Resources::new(store.clone(), tokens, events.clone()),
            events,
            store,
            event_retention,
        })
    }

    /// Runs the periodic clean-up as of `now`.
    pub async fn housekeeping(&self, now: Timestamp) -> Result<Cleaned, Error> {
        housekeeping::clean(&self.store, now, self.event_retention).await
    }

    /// The relay's view of the event log.
    pub fn relay_log(&self) -> RelayLog {
        RelayLog::new(self.store.clone())
    }
}

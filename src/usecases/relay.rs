//! The relay's side of the event log: which committed events still have to
//! be delivered, and how far delivery got. The position lives in the
//! database, so a crash or an outage of the target delays delivery but
//! loses nothing.

use crate::domain::event::Event;
use crate::error::Error;
use crate::store::Store;
use crate::store::events::{self as log, EventQuery};

#[derive(Clone)]
pub struct RelayLog {
    store: Store,
}

impl RelayLog {
    pub fn new(store: Store) -> Self {
        RelayLog { store }
    }

    /// Up to `limit` committed events after the recorded position, in
    /// sequence order. If retention removed events the relay never delivered,
    /// it says so and goes on from the oldest retained.
    pub async fn pending(&self, limit: u64) -> Result<Vec<Event>, Error> {
        let tx = self.store.read().await?;
        let log::Counters {
            last_sequence: last,
            purged_through: purged,
            relayed_through: relayed,
        } = log::counters(&tx).await?;
        if relayed < purged {
            tracing::error!(
                relayed,
                purged,
                "retention removed events before they were relayed"
            );
        }
        let query = EventQuery {
            after: Some(relayed.max(purged)),
            through: Some(last),
            limit,
            ..Default::default()
        };
        log::read(&tx, &query).await
    }

    /// Records that every event through `sequence` was delivered.
    pub async fn delivered_through(&self, sequence: i64) -> Result<(), Error> {
        let tx = self.store.write().await?;
        let current = log::counter_value(&tx, log::RELAYED_THROUGH).await?;
        if sequence > current {
            log::set_counter(&tx, log::RELAYED_THROUGH, sequence).await?;
        }
        tx.commit().await
    }
}

//! Periodic clean-up: forgets request ids and removes events past their
//! retention.

use std::time::Duration;

use crate::domain::resource::Timestamp;
use crate::error::Error;
use crate::store::{RequestRecord, Store, events};

/// How long a request id is remembered; the proto promises 7 days.
pub const REQUEST_ID_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// What one round of clean-up removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub request_ids: u64,
    pub events: u64,
}

fn before(now: Timestamp, retention: Duration) -> Timestamp {
    let span = i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
    Timestamp(now.micros().saturating_sub(span))
}

pub async fn clean(
    store: &Store,
    now: Timestamp,
    event_retention: Duration,
) -> Result<Cleaned, Error> {
    let tx = store.write().await?;
    let request_ids = RequestRecord::purge_before(&tx, before(now, REQUEST_ID_RETENTION)).await?;
    let events = events::purge_before(&tx, before(now, event_retention)).await?;
    tx.commit().await?;
    Ok(Cleaned {
        request_ids,
        events,
    })
}

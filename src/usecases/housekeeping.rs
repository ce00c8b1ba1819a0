//! Periodic clean-up: forgets request ids and removes events past their
//! retention, in bounded chunks (one transaction each) so a large backlog
//! never holds one long transaction or its locks.
//!
//! While a relay is configured, events it has not delivered are kept past
//! their retention, up to a hold-back limit; beyond it they are removed
//! anyway, and the loss is logged as an error.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::resource::Timestamp;
use crate::error::Error;
use crate::store::{RequestRecord, Store, events};

/// How long a request id is remembered; the proto promises 7 days.
pub const REQUEST_ID_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long clean-up keeps what it keeps.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Age past which events are removed.
    pub events: Duration,
    /// With a relay configured: how much longer than `events` an event the
    /// relay has not delivered is kept. None: no relay, nothing held back.
    pub relay_hold_back: Option<Duration>,
    /// Most rows removed in one transaction (a u32: larger limits are not
    /// accepted by the database drivers).
    pub chunk: u32,
}

/// What one round of clean-up removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub request_ids: u64,
    pub events: u64,
    /// Events removed before the relay delivered them (past the hold-back).
    pub undelivered_events: u64,
    /// Transactions the round committed.
    pub transactions: u64,
}

fn before(now: Timestamp, age: Duration) -> Timestamp {
    let span = i64::try_from(age.as_micros()).unwrap_or(i64::MAX);
    Timestamp(now.micros().saturating_sub(span))
}

/// One round as of `now`; stops between chunks once `held` is cancelled.
pub async fn clean(
    store: &Store,
    now: Timestamp,
    retention: Retention,
    held: &CancellationToken,
) -> Result<Cleaned, Error> {
    let mut cleaned = Cleaned::default();
    let cutoff = before(now, REQUEST_ID_RETENTION);
    while !held.is_cancelled() {
        let tx = store.write().await?;
        let removed = RequestRecord::purge_before(&tx, cutoff, u64::from(retention.chunk)).await?;
        tx.commit().await?;
        cleaned.transactions += 1;
        cleaned.request_ids += removed;
        if removed < u64::from(retention.chunk) {
            break;
        }
    }

    let Some(through) = events_to_remove(store, now, retention, &mut cleaned).await? else {
        return Ok(cleaned);
    };
    while !held.is_cancelled() {
        let tx = store.write().await?;
        let removed = events::purge_through(&tx, through, u64::from(retention.chunk)).await?;
        tx.commit().await?;
        cleaned.transactions += 1;
        cleaned.events += removed;
        if removed < u64::from(retention.chunk) {
            break;
        }
    }
    Ok(cleaned)
}

/// The newest event this round may remove, holding back for the relay.
async fn events_to_remove(
    store: &Store,
    now: Timestamp,
    retention: Retention,
    cleaned: &mut Cleaned,
) -> Result<Option<i64>, Error> {
    let tx = store.read().await?;
    let expired = events::newest_before(&tx, before(now, retention.events)).await?;
    let Some(hold_back) = retention.relay_hold_back else {
        return Ok(expired);
    };
    let counters = events::counters(&tx).await?;
    let delivered = counters.relayed_through.max(counters.purged_through);
    let forced = events::newest_before(&tx, before(now, retention.events + hold_back))
        .await?
        .filter(|&forced| forced > delivered);
    if let Some(forced) = forced {
        cleaned.undelivered_events = u64::try_from(forced - delivered).unwrap_or(0);
        tracing::error!(
            relayed_through = counters.relayed_through,
            removing_through = forced,
            hold_back = ?hold_back,
            "the relay has not delivered events older than retention plus its hold-back; \
             removing them undelivered"
        );
    }
    Ok(match (expired, forced) {
        (_, Some(forced)) => Some(forced),
        (Some(expired), None) => Some(expired.min(counters.relayed_through)),
        (None, None) => None,
    })
}

//! Periodic clean-up: forgets request ids past their retention.

use std::time::Duration;

use crate::domain::resource::Timestamp;
use crate::error::Error;
use crate::store::{RequestRecord, Store};

/// How long a request id is remembered; the proto promises 7 days.
pub const REQUEST_ID_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Forgets request ids older than the retention as of `now`; returns how many.
pub async fn forget_old_requests(store: &Store, now: Timestamp) -> Result<u64, Error> {
    let retention = i64::try_from(REQUEST_ID_RETENTION.as_micros()).unwrap_or(i64::MAX);
    let tx = store.write().await?;
    let forgotten =
        RequestRecord::purge_before(&tx, Timestamp(now.micros().saturating_sub(retention))).await?;
    tx.commit().await?;
    Ok(forgotten)
}

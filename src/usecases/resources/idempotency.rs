//! Request-id idempotency, shared by every create and mutation: a request
//! is remembered with its answer, keyed by (actor, request id) and bound to
//! a fingerprint of what it asked; a retry answers the first result, a
//! reused id with another request is refused.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Call;
use crate::domain::resource::Timestamp;
use crate::error::Error;
use crate::store::{self, RequestRecord, Tx};

/// A concurrent call with the same request id committed first (its record
/// won the unique index): this one rolled back; answer from the winner's
/// record by running once more.
pub(super) async fn retry_once_on_lost_race<R, F, Fut>(
    request_id: Option<Uuid>,
    run: F,
) -> Result<R, Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    match run().await {
        Err(Error::Aborted { resource })
            if request_id.is_some() && resource.starts_with("request ") =>
        {
            run().await
        }
        other => other,
    }
}

/// The stored answer to a request seen before; a reused id with another
/// request is refused.
pub(super) async fn replay<R: DeserializeOwned>(
    tx: &Tx,
    call: &Call,
    request_id: Option<Uuid>,
    fingerprint: &str,
) -> Result<Option<R>, Error> {
    let Some(request_id) = request_id else {
        return Ok(None);
    };
    let Some(record) = RequestRecord::find(tx, &call.actor, request_id).await? else {
        return Ok(None);
    };
    if record.fingerprint != fingerprint {
        return Err(Error::invalid(
            "request_id",
            "was already used for a different request",
        ));
    }
    store::from_json(&record.response).map(Some)
}

pub(super) async fn remember<R: Serialize>(
    tx: &Tx,
    call: &Call,
    request_id: Option<Uuid>,
    fingerprint: &str,
    response: &R,
    now: Timestamp,
) -> Result<(), Error> {
    let Some(request_id) = request_id else {
        return Ok(());
    };
    RequestRecord {
        actor: call.actor.clone(),
        request_id,
        method: call.method.clone(),
        fingerprint: fingerprint.to_owned(),
        response: store::to_json(response)?,
        create_time: now,
    }
    .insert(tx)
    .await
}

/// What a request id is bound to: the method, the full resource name (the
/// collection, for a create) and the command.
pub(super) fn fingerprint(
    call: &Call,
    name: &str,
    command: &impl Serialize,
) -> Result<String, Error> {
    let command = store::to_json(command)?;
    let digest = Sha256::new()
        .chain_update(call.method.as_bytes())
        .chain_update([0])
        .chain_update(name.as_bytes())
        .chain_update([0])
        .chain_update(command.as_bytes())
        .finalize();
    Ok(digest.iter().map(|byte| format!("{byte:02x}")).collect())
}

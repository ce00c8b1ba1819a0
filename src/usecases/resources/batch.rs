//! Batch creates: every row checked before any transaction, then all rows
//! created in one transaction or none, idempotent on the batch's request id.

use uuid::Uuid;

use super::idempotency::{fingerprint, remember, replay, retry_once_on_lost_race};
use super::{Call, Resources};
use crate::domain::resource::Resource;
use crate::error::{Error, Violations};
use crate::store::Persisted;

impl<T: Persisted> Resources<T> {
    /// The largest number of resources one batch create may hold.
    pub const MAX_BATCH: usize = 1000;

    /// Checks the inputs of a batch create and reports every violation,
    /// each under `requests[i].{singular}`; a row without input is one.
    pub fn check_batch(&self, inputs: &[Option<T::Input>]) -> Result<Vec<T>, Violations> {
        let mut v = Violations::new();
        if inputs.is_empty() || inputs.len() > Self::MAX_BATCH {
            v.add(
                "requests",
                format!("must hold 1 to {} requests", Self::MAX_BATCH),
            );
            return Err(v);
        }
        let now = self.clock.now();
        let mut bodies = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.iter().enumerate() {
            let at = format!("requests[{i}].{}", T::COLLECTION.singular);
            match input.clone().map(|input| T::from_input(input, None, now)) {
                Some(Ok(body)) => bodies.push(body),
                Some(Err(bad)) => v.extend(bad.under(&at)),
                None => v.add(at, "is required"),
            }
        }
        v.finish_with(bodies)
    }

    /// Creates every resource of a batch in one transaction, or none: the
    /// first bad row (a missing or deleted parent, a pointer to nothing)
    /// fails the whole batch, and its violations name the row by index.
    /// Idempotent on `request_id` for the batch as a whole.
    pub async fn create_batch(
        &self,
        call: &Call,
        rows: Vec<(Option<Uuid>, T::Input)>,
        request_id: Option<Uuid>,
    ) -> Result<Vec<Resource<T>>, Error> {
        let inputs: Vec<Option<T::Input>> =
            rows.iter().map(|(_, input)| Some(input.clone())).collect();
        let bodies = self.check_batch(&inputs).map_err(Error::from)?;
        let parents: Vec<String> = rows
            .iter()
            .map(|(parent, _)| self.collection_text(*parent))
            .collect();
        let fingerprint = &fingerprint(call, &parents.join(","), &inputs)?;
        let rows: Vec<(Option<Uuid>, T)> =
            rows.iter().map(|(parent, _)| *parent).zip(bodies).collect();
        let rows = &rows;
        retry_once_on_lost_race(request_id, || async move {
            let tx = self.store.write().await?;
            if let Some(created) = replay(&tx, call, request_id, fingerprint).await? {
                return Ok(created);
            }
            let mut created = Vec::with_capacity(rows.len());
            let mut last_sequence = None;
            for (i, (parent, body)) in rows.iter().enumerate() {
                let written = self
                    .create_in(&tx, call, *parent, body.clone(), None, "")
                    .await
                    .map_err(|err| at_row(err, i))?;
                last_sequence = written.sequence.or(last_sequence);
                created.push(written.resource);
            }
            remember(
                &tx,
                call,
                request_id,
                fingerprint,
                &created,
                self.clock.now(),
            )
            .await?;
            tx.commit().await?;
            if let Some(sequence) = last_sequence {
                self.events.committed(sequence);
            }
            Ok(created)
        })
        .await
    }
}

/// An error of one row of a batch, its fields named under `requests[i]`.
fn at_row(err: Error, i: usize) -> Error {
    match err {
        Error::InvalidArgument(violations) => Error::InvalidArgument(
            violations
                .into_iter()
                .map(|v| crate::error::FieldViolation {
                    field: format!("requests[{i}].{}", v.field),
                    description: v.description,
                })
                .collect(),
        ),
        other => other,
    }
}

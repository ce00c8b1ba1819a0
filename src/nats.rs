//! Delivery of the event log to NATS JetStream: an outbound adapter beside
//! the gRPC transport. Publishes committed events one at a time in sequence
//! order, each with its event id as `Nats-Msg-Id` so JetStream drops
//! duplicates, and records progress in the database after each batch.

use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage, stream};
use prost::Message;
use tokio_util::sync::CancellationToken;

use crate::domain::event::Event;
use crate::grpc::events::to_pb;
use crate::usecases::{EventLog, RelayLog};

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct NatsTarget {
    pub url: String,
    /// JetStream stream name, created when missing.
    pub stream: String,
    /// Subjects are `{prefix}.{resource_type}.{kind}`.
    pub subject_prefix: String,
    /// How long the stream keeps messages.
    pub max_age: Duration,
}

/// Events read per round; progress is saved after each.
const BATCH: u64 = 100;
/// JetStream drops a repeated message id seen within this window. The relay
/// re-sends an event only when its acknowledgement was lost; a duplicate can
/// reach consumers only if NATS then stays away longer than this (consumers
/// deduplicate by event id in any case).
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);
const POLL_EVERY: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

impl NatsTarget {
    pub fn subject(&self, event: &Event) -> String {
        format!(
            "{}.{}.{}",
            self.subject_prefix, event.change.resource_type, event.change.kind
        )
    }
}

/// Relays until `stop` is cancelled (the service stops or this copy loses
/// the relay's lease). Errors (NATS down, storage busy) are logged and
/// retried with backoff; nothing is skipped.
pub async fn relay(target: NatsTarget, events: EventLog, log: RelayLog, stop: CancellationToken) {
    let mut signals = events.signals();
    let mut backoff = Duration::from_millis(100);
    let mut connection = None;
    while !stop.is_cancelled() {
        let wait = match deliver_round(&target, &log, &mut connection).await {
            Ok(0) => POLL_EVERY,
            Ok(_) => {
                backoff = Duration::from_millis(100);
                continue;
            }
            Err(err) => {
                tracing::warn!(error = %err, retry_in = ?backoff, "event relay to NATS failed");
                if matches!(err, RoundError::Nats(_)) {
                    connection = None;
                }
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
        };
        tokio::select! {
            _ = signals.changed(), if wait == POLL_EVERY => {}
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => {}
        }
    }
}

/// Why a round stopped early: NATS itself (reconnect before the next try)
/// or something on this side (storage, encoding: keep the connection).
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error("NATS: {0}")]
    Nats(anyhow::Error),
    #[error("{0}")]
    Local(anyhow::Error),
}

/// Delivers one batch; returns how many events went out. Progress through
/// the last acknowledged event is saved even when the round fails midway,
/// so a retry re-sends only the event whose acknowledgement was lost.
async fn deliver_round(
    target: &NatsTarget,
    log: &RelayLog,
    connection: &mut Option<jetstream::Context>,
) -> Result<usize, RoundError> {
    let pending = log
        .pending(BATCH)
        .await
        .map_err(|e| RoundError::Local(e.into()))?;
    if pending.is_empty() {
        return Ok(0);
    }
    let context = match connection {
        Some(context) => context.clone(),
        None => {
            let context = connect(target).await.map_err(RoundError::Nats)?;
            *connection = Some(context.clone());
            context
        }
    };
    let mut acknowledged = None;
    let mut outcome = Ok(());
    for event in &pending {
        if let Err(err) = publish(&context, target, event).await {
            outcome = Err(err);
            break;
        }
        acknowledged = Some(event.sequence);
    }
    if let Some(sequence) = acknowledged {
        log.delivered_through(sequence)
            .await
            .map_err(|e| RoundError::Local(e.into()))?;
    }
    outcome.map(|()| pending.len())
}

/// Publishes one event and waits for JetStream to store it. One at a time: a
/// failed publish is retried before any later one is sent, so the stream
/// holds events in sequence order.
async fn publish(
    context: &jetstream::Context,
    target: &NatsTarget,
    event: &Event,
) -> Result<(), RoundError> {
    // An event that cannot be encoded is a bug: the relay stops there (and
    // says so at every retry) rather than skip it.
    let payload = to_pb(event)
        .map_err(|e| RoundError::Local(e.into()))?
        .encode_to_vec();
    let message = PublishMessage::build()
        .payload(payload.into())
        .message_id(event.id.to_string())
        .header("Crm-Sequence", event.sequence.to_string().as_str())
        .header("Crm-Resource", event.change.resource.as_str())
        .header("Content-Type", "application/protobuf; proto=crm.v1.Event");
    let ack = context
        .send_publish(target.subject(event), message)
        .await
        .map_err(|e| RoundError::Nats(e.into()))?;
    ack.await.map_err(|e| RoundError::Nats(e.into()))?;
    Ok(())
}

async fn connect(target: &NatsTarget) -> Result<jetstream::Context, anyhow::Error> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(&target.url)
        .await?;
    let context = jetstream::new(client);
    context
        .get_or_create_stream(stream::Config {
            name: target.stream.clone(),
            subjects: vec![format!("{}.>", target.subject_prefix)],
            storage: stream::StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            max_age: target.max_age,
            ..Default::default()
        })
        .await?;
    tracing::info!(url = %target.url, stream = %target.stream, "relaying events to NATS JetStream");
    Ok(context)
}

//! The event log as callers use it: the audit list, and streams that replay
//! from a cursor and then follow new events live, without gap or reordering.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::domain::event::{self, Event};
use crate::domain::listing::{Cursor, KeyValue, PageTokens};
use crate::error::Error;
use crate::store::Store;
use crate::store::events::{self as log, EventQuery};

use super::ListRequest;

/// How many events a stream reads per query.
const STREAM_BATCH: u64 = 256;
/// A stream also looks for new events this often, for commits that another
/// server process made (the in-process signal only covers this one).
const POLL_EVERY: Duration = Duration::from_millis(500);

/// Where a stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStart {
    /// After this sequence: the last event the client processed.
    After(i64),
    Oldest,
    Now,
}

/// Only events of these types and kinds; empty means all.
#[derive(Debug, Clone, Default)]
pub struct StreamFilter {
    pub resource_types: Vec<String>,
    pub kinds: Vec<String>,
}

/// The log's reading side and its live signals.
#[derive(Clone)]
pub struct EventLog {
    store: Store,
    tokens: PageTokens,
    /// The last committed sequence known to this process.
    committed: watch::Sender<i64>,
    /// Set when the server shuts down: every stream ends.
    stopping: watch::Sender<bool>,
}

impl EventLog {
    pub fn new(store: Store, tokens: PageTokens) -> Self {
        EventLog {
            store,
            tokens,
            committed: watch::Sender::new(0),
            stopping: watch::Sender::new(false),
        }
    }

    /// Wakes the streams after a commit that appended up to `sequence`.
    pub fn committed(&self, sequence: i64) {
        self.committed.send_if_modified(|last| {
            let newer = sequence > *last;
            *last = (*last).max(sequence);
            newer
        });
    }

    /// Ends every open stream (they answer UNAVAILABLE so clients reconnect).
    pub fn stop_streams(&self) {
        self.stopping.send_replace(true);
    }

    /// Subscribes to commit signals (the NATS relay uses them too).
    pub fn signals(&self) -> watch::Receiver<i64> {
        self.committed.subscribe()
    }

    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// One page of the audit list.
    pub async fn list(&self, request: &ListRequest) -> Result<(Vec<Event>, String), Error> {
        let params = request.validate("events", &event::FILTER, event::ORDERABLE, &self.tokens)?;
        let after = match params.after.as_ref().map(|cursor| cursor.keys.as_slice()) {
            None => None,
            Some([KeyValue::Integer(sequence)]) => Some(*sequence),
            Some(_) => return Err(Error::invalid("page_token", "is not an event page token")),
        };
        let page_size = params.page_size;
        let query = EventQuery {
            after,
            filter: params.filter,
            descending: params.order.descending,
            limit: page_size + 1,
            ..Default::default()
        };
        let tx = self.store.read().await?;
        let mut events = log::read(&tx, &query).await?;
        let mut next = String::new();
        if events.len() as u64 > page_size {
            events.truncate(page_size as usize);
            if let Some(last) = events.last() {
                let cursor = Cursor {
                    keys: vec![KeyValue::Integer(last.sequence)],
                    id: Uuid::nil(),
                };
                next = self.tokens.encode(&cursor, &params.binding);
            }
        }
        Ok((events, next))
    }

    /// Opens a stream: checks the start position now, then feeds events in
    /// sequence order to the returned channel until the receiver is dropped
    /// or the server stops.
    pub async fn stream(
        &self,
        start: StreamStart,
        filter: StreamFilter,
    ) -> Result<mpsc::Receiver<Result<Event, Error>>, Error> {
        let tx = self.store.read().await?;
        let counters = log::counters(&tx).await?;
        drop(tx);
        let (last, purged) = (counters.last_sequence, counters.purged_through);
        let after = match start {
            StreamStart::Now => last,
            StreamStart::Oldest => purged,
            StreamStart::After(sequence) if sequence < 0 => {
                return Err(Error::invalid("after_sequence", "must not be negative"));
            }
            StreamStart::After(sequence) if sequence < purged => {
                return Err(cursor_expired(sequence, purged));
            }
            StreamStart::After(sequence) if sequence > last => {
                return Err(Error::invalid(
                    "after_sequence",
                    format!("is beyond the last event, {last}"),
                ));
            }
            StreamStart::After(sequence) => sequence,
        };
        let (sender, receiver) = mpsc::channel(STREAM_BATCH as usize);
        tokio::spawn(self.clone().feed(after, filter, sender));
        Ok(receiver)
    }

    async fn feed(
        self,
        mut after: i64,
        filter: StreamFilter,
        out: mpsc::Sender<Result<Event, Error>>,
    ) {
        let mut signals = self.committed.subscribe();
        let mut stopping = self.stopping.subscribe();
        loop {
            if *stopping.borrow() {
                let _ = out
                    .send(Err(Error::Unavailable(
                        "the server is shutting down".into(),
                    )))
                    .await;
                return;
            }
            let batch = match self.next_batch(after, &filter).await {
                Ok(batch) => batch,
                Err(err) => {
                    let _ = out.send(Err(err)).await;
                    return;
                }
            };
            let (events, scanned_through) = batch;
            let full = events.len() as u64 == STREAM_BATCH;
            for event in events {
                after = event.sequence;
                if out.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            if full {
                continue;
            }
            // Caught up: every event through this sequence was seen, matching or not.
            after = after.max(scanned_through);
            tokio::select! {
                _ = signals.changed() => {}
                () = tokio::time::sleep(POLL_EVERY) => {}
                _ = stopping.changed() => {}
                () = out.closed() => return,
            }
        }
    }

    /// Events after `after` that pass the filter, and the last committed
    /// sequence of the same snapshot: commit order is sequence order, so
    /// everything up to it is visible now. If retention removed events the
    /// stream has not passed yet, the stream ends rather than skip them.
    async fn next_batch(
        &self,
        after: i64,
        filter: &StreamFilter,
    ) -> Result<(Vec<Event>, i64), Error> {
        let tx = self.store.read().await?;
        let counters = log::counters(&tx).await?;
        let (last, purged) = (counters.last_sequence, counters.purged_through);
        if after < purged {
            return Err(cursor_expired(after, purged));
        }
        let query = EventQuery {
            after: Some(after),
            through: Some(last),
            resource_types: filter.resource_types.clone(),
            kinds: filter.kinds.clone(),
            limit: STREAM_BATCH,
            ..Default::default()
        };
        let events = log::read(&tx, &query).await?;
        let scanned = if events.len() as u64 == STREAM_BATCH {
            after
        } else {
            last
        };
        Ok((events, scanned))
    }
}

fn cursor_expired(after: i64, purged: i64) -> Error {
    Error::FailedPrecondition {
        reason: "CURSOR_EXPIRED",
        subject: format!("after_sequence {after}"),
        description: format!(
            "events up to sequence {purged} were removed by retention; restart from the oldest retained event"
        ),
    }
}

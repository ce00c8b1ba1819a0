//! The event log as callers use it: the audit list, and streams that replay
//! from a cursor and then follow new events live, without gap or reordering.
//!
//! An idle stream costs no database reads: every stream waits on one watch
//! channel holding the last committed sequence known to this process. The
//! process's own writes bump it right after commit; one shared poll
//! ([`EventLog::follow_other_copies`]) bumps it for writes by other copies
//! of the service. A stream reads the database only when that position
//! passes what it has already seen. How many streams may be open at once is
//! bounded ([`EventLog::limit_streams`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::domain::event::{self, Event};
use crate::domain::listing::{Cursor, KeyValue, PageTokens};
use crate::error::Error;
use crate::store::Store;
use crate::store::events::{self as log, EventQuery, LAST_SEQUENCE};

use super::ListRequest;

/// How many events a stream reads per query.
const STREAM_BATCH: u64 = 256;
/// How often the shared poll looks for commits that another copy of the
/// service made (this process's own commits signal at once). One read per
/// process, and none while no stream is open.
pub const SHARED_POLL_EVERY: Duration = Duration::from_secs(1);
/// Open streams allowed unless [`EventLog::limit_streams`] says otherwise.
pub const DEFAULT_MAX_EVENT_STREAMS: u32 = 1000;

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
    /// Database reads made to feed open streams (batches and the shared
    /// poll), for tests and metrics.
    stream_reads: Arc<AtomicU64>,
    slots: Arc<StreamSlots>,
}

/// How many streams are open, and how many may be.
#[derive(Debug)]
struct StreamSlots {
    open: AtomicUsize,
    max: AtomicUsize,
}

/// One open stream's slot, given back when the stream's task ends: the
/// client went away, the stream failed, or the server stops.
struct StreamSlot(Arc<StreamSlots>);

impl StreamSlots {
    fn take(self: &Arc<Self>) -> Result<StreamSlot, Error> {
        let max = self.max.load(Ordering::Relaxed);
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            })
            .map(|_| StreamSlot(self.clone()))
            .map_err(|_| Error::LimitReached {
                reason: "TOO_MANY_STREAMS",
                description: format!(
                    "at most {max} event streams may be open at once; close one or retry later"
                ),
            })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl EventLog {
    pub fn new(store: Store, tokens: PageTokens) -> Self {
        EventLog {
            store,
            tokens,
            committed: watch::Sender::new(0),
            stopping: watch::Sender::new(false),
            stream_reads: Arc::new(AtomicU64::new(0)),
            slots: Arc::new(StreamSlots {
                open: AtomicUsize::new(0),
                max: AtomicUsize::new(DEFAULT_MAX_EVENT_STREAMS as usize),
            }),
        }
    }

    /// Sets how many streams may be open at once (for every clone of this
    /// log); streams beyond it are refused with RESOURCE_EXHAUSTED.
    pub fn limit_streams(&self, max: usize) {
        self.slots.max.store(max, Ordering::Relaxed);
    }

    /// How many streams are open now.
    pub fn open_streams(&self) -> usize {
        self.slots.open.load(Ordering::Acquire)
    }

    /// The one shared poll, until `stop` is cancelled: while any stream is
    /// open, reads the last committed sequence every [`SHARED_POLL_EVERY`]
    /// and wakes the streams when another copy of the service committed.
    pub async fn follow_other_copies(&self, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(SHARED_POLL_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stop.cancelled() => return,
            }
            if self.open_streams() == 0 {
                continue;
            }
            let polled = tokio::select! {
                polled = self.last_committed() => polled,
                () = stop.cancelled() => return,
            };
            match polled {
                Ok(last) => self.committed(last),
                // Streams still wake on this process's own commits.
                Err(err) => tracing::warn!(error = %err, "polling the event log failed"),
            }
        }
    }

    async fn last_committed(&self) -> Result<i64, Error> {
        self.stream_reads.fetch_add(1, Ordering::Relaxed);
        let tx = self.store.read().await?;
        log::counter_value(&tx, LAST_SEQUENCE).await
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

    /// How many database reads open streams have made so far.
    pub fn stream_reads(&self) -> u64 {
        self.stream_reads.load(Ordering::Relaxed)
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
        // Taken first: a refused stream costs no database read.
        let slot = self.slots.take()?;
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
        self.committed(last);
        let (sender, receiver) = mpsc::channel(STREAM_BATCH as usize);
        tokio::spawn(self.clone().feed(after, filter, sender, slot));
        Ok(receiver)
    }

    async fn feed(
        self,
        mut after: i64,
        filter: StreamFilter,
        out: mpsc::Sender<Result<Event, Error>>,
        // Held until the stream ends, whichever way it ends.
        _slot: StreamSlot,
    ) {
        let mut signals = self.committed.subscribe();
        let mut stopping = self.stopping.subscribe();
        loop {
            if *stopping.borrow() {
                let _ = out.send(Err(Error::ShuttingDown)).await;
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
            // Idle until something later commits: no database read meanwhile.
            tokio::select! {
                _ = signals.wait_for(|last| *last > after) => {}
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
        self.stream_reads.fetch_add(1, Ordering::Relaxed);
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

//! Reads of the event log that take several statements see one snapshot:
//! retention committing between them can end a stream (CURSOR_EXPIRED) but
//! never make it skip events silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crm::domain::customer::CustomerInput;
use crm::pb::{self, stream_events_request::Position};
use crm::store::events::{self as log, EventQuery};
use crm::store::{SqliteSync, Store};
use crm::usecases::{Call, Clock, Retention, Services};
use tokio_stream::StreamExt;
use tonic::Code;

use crate::support::*;

const RETENTION: Duration = Duration::from_secs(3600);

/// The counters and then the events, in one read transaction, with a
/// retention run that removes every event committed in between.
async fn retention_between_two_statements_of_one_read(url: &str) {
    let store = Store::connect(url, SqliteSync::Normal)
        .await
        .expect("store connects");
    store.migrate().await.expect("migrated");
    let clock = Clock::shifted();
    let services = Services::new(
        store.clone(),
        clock.clone(),
        crm::grpc::encoders(),
        Retention {
            events: RETENTION,
            relay_hold_back: None,
            chunk: 1000,
        },
        chrono_tz::UTC,
    )
    .await
    .expect("use cases start");
    let call = Call {
        method: "/crm.v1.CustomerService/CreateCustomer".into(),
        actor: "test".into(),
    };
    for i in 0..5 {
        let body = CustomerInput {
            display_name: format!("Snapshot {i}"),
            kind: 2,
            ..Default::default()
        };
        services
            .customers
            .create(&call, None, body, None)
            .await
            .expect("customer created");
    }

    let tx = store.read().await.expect("read transaction");
    let counters = log::counters(&tx).await.expect("counters");
    assert_eq!((counters.last_sequence, counters.purged_through), (5, 0));
    clock.advance(RETENTION * 2);
    let cleaned = services.housekeeping().await.expect("retention runs");
    assert_eq!(cleaned.events, 5, "retention removed every event");
    let query = EventQuery {
        after: Some(counters.purged_through),
        through: Some(counters.last_sequence),
        limit: 100,
        ..Default::default()
    };
    let sequences: Vec<i64> = log::read(&tx, &query)
        .await
        .expect("events")
        .iter()
        .map(|event| event.sequence)
        .collect();
    assert_eq!(
        sequences,
        [1, 2, 3, 4, 5],
        "the events read must belong to the counters' snapshot: retention committed in between \
         and the read saw it, so a stream would skip what it removed"
    );
    drop(tx);
    store.close().await;
}

#[tokio::test]
async fn one_read_sees_one_snapshot_of_counters_and_events_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    retention_between_two_statements_of_one_read(&url).await;
}

#[tokio::test]
async fn one_read_sees_one_snapshot_of_counters_and_events_on_postgres() {
    let Some(database) = PostgresDatabase::create().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    retention_between_two_statements_of_one_read(&database.url()).await;
    database.drop().await;
}

/// Events written before retention starts; it removes them a few at a time.
const EVENTS: usize = 1200;
/// Readers that keep opening streams at the front of the log.
const READERS: usize = 6;
/// Events each attempt reads before it lets go.
const READ_PER_ATTEMPT: usize = 30;

/// What the readers saw.
#[derive(Default)]
struct Seen {
    /// Attempts whose first events arrived in order.
    checked: AtomicUsize,
    /// Attempts told their position had been removed.
    expired: AtomicUsize,
}

/// Opens a stream after the oldest retained event and reads the next few
/// events. Err describes a skipped event; Ok(false) means the stream was
/// told it fell behind.
async fn read_from_the_front(s: &TestServer) -> Result<bool, String> {
    let oldest = s
        .events()
        .list_events(pb::ListEventsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .map_err(|status| format!("ListEvents failed: {status:?}"))?
        .into_inner()
        .events;
    let Some(oldest) = oldest.first() else {
        return Ok(false);
    };
    let mut previous = oldest.sequence - 1;
    let opened = s
        .events()
        .stream_events(pb::StreamEventsRequest {
            position: Some(Position::AfterSequence(previous)),
            resource_types: vec![],
            kinds: vec![],
        })
        .await;
    let mut stream = match opened {
        Ok(response) => response.into_inner(),
        Err(status) if is_expired(&status) => return Ok(false),
        Err(status) => return Err(format!("StreamEvents refused: {status:?}")),
    };
    for _ in 0..READ_PER_ATTEMPT {
        let next = match tokio::time::timeout(Duration::from_secs(2), stream.next()).await {
            Ok(next) => next,
            // Caught up with the log's end: nothing was skipped.
            Err(_) => return Ok(true),
        };
        match next {
            Some(Ok(message)) => {
                let sequence = message.event.map_or(-1, |event| event.sequence);
                if sequence != previous + 1 {
                    return Err(format!(
                        "after {previous} the stream sent {sequence} without saying it fell behind"
                    ));
                }
                previous = sequence;
            }
            Some(Err(status)) if is_expired(&status) => return Ok(false),
            Some(Err(status)) => return Err(format!("stream failed: {status:?}")),
            None => return Err("stream ended without a status".into()),
        }
    }
    Ok(true)
}

fn is_expired(status: &tonic::Status) -> bool {
    status.code() == Code::FailedPrecondition && reason(status) == "CURSOR_EXPIRED"
}

#[tokio::test]
async fn streams_never_skip_events_silently_while_retention_removes_them_on_postgres() {
    let Some(s) = TestServer::postgres().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let clock = s.services.clock.clone();
    let first = clock.now();
    for round in 0..EVENTS / 100 {
        for create in spawn_creates(&s, 100, &format!("Retained {round}")) {
            create.await.expect("task").expect("customer created");
        }
    }
    let span = clock.now().micros() - first.micros();

    // Move the clock so retention's cutoff stands at the first event, then
    // advance it in steps that each remove a few events.
    let retention = Duration::from_secs(30 * 24 * 3600);
    let behind = Duration::from_micros(u64::try_from(span).unwrap_or(0));
    clock.advance(retention.saturating_sub(behind));
    let step = Duration::from_micros(u64::try_from(span / 400).unwrap_or(1).max(1));
    let retaining = Arc::new(AtomicBool::new(true));
    let retention_task = {
        let (services, retaining) = (s.services.clone(), retaining.clone());
        tokio::spawn(async move {
            let mut removed = 0;
            let outcome = loop {
                if removed >= EVENTS as u64 {
                    break Ok(());
                }
                services.clock.advance(step);
                match services.housekeeping().await {
                    Ok(cleaned) => removed += cleaned.events,
                    Err(err) => break Err(err),
                }
            };
            // Readers stop with retention, whatever its outcome.
            retaining.store(false, Ordering::SeqCst);
            outcome
        })
    };

    let seen = Arc::new(Seen::default());
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (s, seen, retaining) = (s.clone(), seen.clone(), retaining.clone());
            tokio::spawn(async move {
                while retaining.load(Ordering::SeqCst) {
                    let counter = match read_from_the_front(&s).await? {
                        true => &seen.checked,
                        false => &seen.expired,
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    let mut skipped = Vec::new();
    for reader in readers {
        if let Err(gap) = reader.await.expect("reader task") {
            skipped.push(gap);
        }
    }
    retention_task
        .await
        .expect("retention task")
        .expect("retention runs");
    let (checked, expired) = (
        seen.checked.load(Ordering::SeqCst),
        seen.expired.load(Ordering::SeqCst),
    );
    assert!(
        skipped.is_empty(),
        "{} reader(s) saw a gap ({checked} clean attempts, {expired} told they fell behind): {skipped:?}",
        skipped.len()
    );
    assert!(
        checked >= 20,
        "too few attempts to mean anything: {checked}"
    );
    s.stop().await;
}

//! What open event streams cost: a limit on how many are open at once, and
//! idle streams that wait on one shared notifier instead of each querying
//! the database.

use std::time::Duration;

use crm::pb::{self, stream_events_request::Position};
use crm::settings::Settings;
use crm::usecases::SHARED_POLL_EVERY;
use tokio_stream::StreamExt;
use tonic::{Code, Status, Streaming};

use crate::support::*;

async fn open_now(s: &TestServer) -> Result<Streaming<pb::StreamEventsResponse>, Status> {
    s.events()
        .stream_events(pb::StreamEventsRequest {
            position: Some(Position::Now(())),
            ..Default::default()
        })
        .await
        .map(|response| response.into_inner())
}

async fn next_sequence(stream: &mut Streaming<pb::StreamEventsResponse>) -> i64 {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .expect("stream open")
        .expect("no error")
        .event
        .expect("an event")
        .sequence
}

/// A server on a SQLite file of its own, with `change` applied to its settings.
async fn sqlite_server(dir: &tempfile::TempDir, change: impl FnOnce(&mut Settings)) -> TestServer {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let mut settings = Settings::for_database(url);
    change(&mut settings);
    TestServer::start_with(settings).await
}

#[tokio::test]
async fn streams_beyond_the_limit_are_refused_and_a_closed_stream_frees_its_slot() {
    let dir = tempfile::tempdir().unwrap();
    let s = sqlite_server(&dir, |settings| settings.max_event_streams = 2).await;
    let first = open_now(&s).await.expect("first stream opens");
    let mut second = open_now(&s).await.expect("second stream opens");
    for _ in 0..3 {
        let status = open_now(&s).await.expect_err("a third stream is refused");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert_eq!(reason(&status), "TOO_MANY_STREAMS");
        assert!(status.message().contains("2"), "{}", status.message());
    }

    // The client goes away: the server notices and frees the slot.
    drop(first);
    let started = std::time::Instant::now();
    let mut third = loop {
        match open_now(&s).await {
            Ok(stream) => break stream,
            Err(status) if status.code() == Code::ResourceExhausted => {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "the closed stream's slot was not freed: {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("{status:?}"),
        }
    };
    let status = open_now(&s).await.expect_err("the limit still holds");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    let created = create_customer(&s, customer("Seen by both")).await;
    assert!(!created.name.is_empty());
    assert_eq!(next_sequence(&mut second).await, 1);
    assert_eq!(next_sequence(&mut third).await, 1);
    s.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn idle_streams_cost_no_more_database_reads_than_one_shared_poller() {
    const STREAMS: usize = 20;
    const IDLE: Duration = Duration::from_secs(3);
    let s = TestServer::sqlite().await;
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        streams.push(open_now(&s).await.expect("stream opens"));
    }
    // Let every stream read its first (empty) batch and settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = s.services.events.stream_reads();
    tokio::time::sleep(IDLE).await;
    let reads = s.services.events.stream_reads() - before;
    // One shared poll per period, and a margin of one for timer alignment.
    let one_poller = (IDLE.as_millis() / SHARED_POLL_EVERY.as_millis()) as u64 + 1;
    assert!(
        reads <= one_poller,
        "{STREAMS} idle streams made {reads} database reads in {IDLE:?}; one shared poller makes at most {one_poller}"
    );

    // Idle does not mean deaf: a commit wakes every stream at once.
    create_customer(&s, customer("Wake up")).await;
    for stream in &mut streams {
        assert_eq!(next_sequence(stream).await, 1);
    }
    s.stop().await;
}

/// Two copies of the service on one database: a stream on one follows
/// writes made through the other (found by the shared poll, not a signal).
async fn a_stream_follows_writes_of_another_copy(one: &TestServer, other: &TestServer) {
    let mut stream = open_now(one).await.expect("stream opens");
    let created = create_customer(other, customer("Written elsewhere")).await;
    let event = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the other copy's event within 5 s")
        .expect("stream open")
        .expect("no error")
        .event
        .expect("an event");
    assert_eq!(event.resource, created.name);
}

#[tokio::test]
async fn a_stream_follows_writes_made_by_another_copy_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let one = sqlite_server(&dir, |_| {}).await;
    let other = sqlite_server(&dir, |_| {}).await;
    a_stream_follows_writes_of_another_copy(&one, &other).await;
    other.shutdown().await.expect("clean shutdown");
    one.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_stream_follows_writes_made_by_another_copy_on_postgres() {
    let Some(one) = TestServer::postgres().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = one.database_url().expect("a PostgreSQL test database");
    let other = TestServer::start_with(Settings::for_database(url)).await;
    a_stream_follows_writes_of_another_copy(&one, &other).await;
    other.shutdown().await.expect("clean shutdown");
    one.stop().await;
}

//! Delivery of the event log to NATS JetStream. Needs CRM_TEST_NATS_URL (CI
//! sets it); the restart test also runs a private `nats-server` of its own,
//! so it can kill and restart it without touching the shared one.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, stream::Stream};
use crm::pb;
use crm::settings::Settings;
use prost::Message;
use tokio_stream::StreamExt;

use crate::support::*;

fn nats_url() -> Option<String> {
    let url = std::env::var("CRM_TEST_NATS_URL").ok();
    if url.is_none() {
        eprintln!("skipped: CRM_TEST_NATS_URL is not set");
    }
    url
}

/// Settings for a server relaying to `url` on a stream and subjects of its own.
fn relaying(database_url: &str, url: &str) -> (Settings, String) {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let mut settings = Settings::for_database(database_url);
    settings.nats_url = Some(url.to_owned());
    settings.nats_stream = format!("CRM_TEST_{}", unique.to_uppercase());
    settings.nats_subject_prefix = format!("crmtest.{unique}");
    let stream = settings.nats_stream.clone();
    (settings, stream)
}

async fn jetstream(url: &str) -> jetstream::Context {
    jetstream::new(async_nats::connect(url).await.expect("NATS reachable"))
}

/// Waits until the stream holds `count` messages (or fails after 60 s).
async fn wait_for_messages(js: &jetstream::Context, name: &str, count: u64) -> Stream {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut stream) = js.get_stream(name).await
            && let Ok(info) = stream.info().await
        {
            let held = info.state.messages;
            assert!(
                held <= count,
                "the stream holds {held} messages, more than the {count} events"
            );
            if held == count {
                return stream;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay did not deliver {count} events in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads every message through a pull consumer; checks each is the event of
/// its position, once, in order, and that nothing follows.
async fn consume_all(stream: &Stream, count: usize) -> Vec<pb::Event> {
    let consumer = stream
        .create_consumer(pull::Config::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("next message")
            .unwrap()
            .unwrap();
        let event = pb::Event::decode(message.payload.clone()).expect("payload is a crm.v1.Event");
        let headers = message.headers.clone().expect("headers");
        assert_eq!(
            headers.get("Nats-Msg-Id").map(|v| v.as_str()),
            Some(event.event_id.as_str())
        );
        assert!(
            message
                .subject
                .ends_with(&format!(".{}.{}", event.resource_type, event.kind)),
            "{}",
            message.subject
        );
        message.ack().await.unwrap();
        events.push(event);
    }
    let extra = tokio::time::timeout(Duration::from_millis(500), messages.next()).await;
    assert!(
        extra.is_err(),
        "a message beyond the {count} events arrived"
    );
    let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(
        sequences,
        (1..=count as i64).collect::<Vec<_>>(),
        "every event exactly once, in order"
    );
    events
}

#[tokio::test]
async fn the_relay_delivers_every_event_once_and_resumes_from_its_stored_position() {
    let Some(url) = nats_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let (settings, stream_name) = relaying(&database, &url);
    let js = jetstream(&url).await;

    let s = TestServer::start_with(settings.clone()).await;
    for i in 0..5 {
        create_customer(&s, customer(&format!("Relayed {i}"))).await;
    }
    wait_for_messages(&js, &stream_name, 5).await;
    s.stop().await;

    // A server without the relay keeps appending; a later relay catches up.
    let s = TestServer::start_with(Settings {
        nats_url: None,
        ..settings.clone()
    })
    .await;
    for i in 0..5 {
        let created = create_customer(&s, customer(&format!("Offline {i}"))).await;
        s.customers()
            .delete_customer(pb::DeleteCustomerRequest {
                request_id: String::new(),
                name: created.name,
                etag: String::new(),
            })
            .await
            .unwrap();
    }
    s.stop().await;
    let s = TestServer::start_with(settings).await;
    let stream = wait_for_messages(&js, &stream_name, 15).await;
    let events = consume_all(&stream, 15).await;
    assert_eq!(events[5].kind, "created");
    assert_eq!(events[6].kind, "deleted");
    s.stop().await;
    js.delete_stream(&stream_name).await.unwrap();
}

/// A nats-server of the test's own, on a fixed port and store directory so
/// it can be killed and started again with its data.
struct PrivateNats {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateNats {
    fn binary() -> String {
        [
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "/usr/local/bin/nats-server",
        ]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(str::to_owned)
        .unwrap_or_else(|| "nats-server".to_owned())
    }

    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut nats = PrivateNats {
            port,
            store: tempfile::tempdir().unwrap(),
            child: None,
        };
        nats.restart().await;
        nats
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    async fn restart(&mut self) {
        let child = Command::new(Self::binary())
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts (CI machines have it at /usr/sbin/nats-server)");
        self.child = Some(child);
        for _ in 0..100 {
            if async_nats::connect(self.url()).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nats-server did not come up on port {}", self.port);
    }

    /// Kills the server as a crash would.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test]
async fn a_nats_restart_during_a_burst_loses_and_duplicates_nothing() {
    if nats_url().is_none() {
        return;
    }
    let mut nats = PrivateNats::start().await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("crm.db").display());
    let (settings, stream_name) = relaying(&database, &nats.url());
    let s = TestServer::start_with(settings).await;

    const BURST: usize = 600;
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            for i in 0..BURST {
                create_customer(&s, customer(&format!("Burst {i}"))).await;
            }
        })
    };
    // Let part of the burst through, then crash NATS mid-burst and bring it back.
    let js = jetstream(&nats.url()).await;
    loop {
        if let Ok(mut stream) = js.get_stream(&stream_name).await
            && stream.info().await.map(|i| i.state.messages).unwrap_or(0) >= 100
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    nats.kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nats.restart().await;
    writer.await.unwrap();

    let js = jetstream(&nats.url()).await;
    let stream = wait_for_messages(&js, &stream_name, BURST as u64).await;
    consume_all(&stream, BURST).await;
    s.stop().await;
}

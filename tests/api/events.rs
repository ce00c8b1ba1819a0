//! The change log: one event per change in the change's transaction, the
//! audit list, and streams that replay from a cursor and then go live.

use std::time::Duration;

use crm::error::Error;
use crm::pb::{self, event::ResourceSnapshot, stream_events_request::Position};
use crm::usecases::{StreamFilter, StreamStart};
use prost_types::FieldMask;
use tokio_stream::StreamExt;
use tonic::{Code, Request, Streaming};

use crate::support::*;

/// Every event, oldest first, read through ListEvents pages.
pub async fn all_events(s: &TestServer, filter: &str) -> Vec<pb::Event> {
    let (mut events, mut token) = (Vec::new(), String::new());
    loop {
        let page = s
            .events()
            .list_events(pb::ListEventsRequest {
                filter: filter.into(),
                page_size: 7,
                page_token: token,
                order_by: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        events.extend(page.events);
        if page.next_page_token.is_empty() {
            return events;
        }
        token = page.next_page_token;
    }
}

pub fn as_actor<T>(actor: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("x-actor", actor.parse().unwrap());
    request
}

async fn open(
    s: &TestServer,
    position: Position,
    types: &[&str],
) -> Streaming<pb::StreamEventsResponse> {
    s.events()
        .stream_events(pb::StreamEventsRequest {
            position: Some(position),
            resource_types: types.iter().map(|t| (*t).to_owned()).collect(),
            kinds: vec![],
        })
        .await
        .unwrap()
        .into_inner()
}

async fn next(stream: &mut Streaming<pb::StreamEventsResponse>) -> pb::Event {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .expect("stream open")
        .expect("no error")
        .event
        .unwrap()
}

db_tests! {
    async fn every_change_of_every_resource_appends_one_event_in_order(s) {
        let mut customers = s.customers();
        let created = customers.create_customer(as_actor("alice", pb::CreateCustomerRequest { customer: Some(customer("Acme")), request_id: String::new() })).await.unwrap().into_inner();
        let mut change = pb::Customer { name: created.name.clone(), geography: Some(pb::Geography { city: "Hangzhou".into(), ..Default::default() }), tier: pb::customer::Tier::Key as i32, ..Default::default() };
        change.etag = created.etag.clone();
        let updated = customers.update_customer(as_actor("bob", pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(change), update_mask: None })).await.unwrap().into_inner();
        let deleted = customers.delete_customer(pb::DeleteCustomerRequest { request_id: String::new(), name: created.name.clone(), etag: String::new() }).await.unwrap().into_inner();
        let restored = customers.undelete_customer(pb::UndeleteCustomerRequest { request_id: String::new(), name: created.name.clone() }).await.unwrap().into_inner();
        let mut channels = s.channels();
        let line = channels.create_channel(pb::CreateChannelRequest { channel: Some(channel("Hotline")), request_id: String::new() }).await.unwrap().into_inner();
        let renamed = channels.update_channel(pb::UpdateChannelRequest { request_id: String::new(),
            channel: Some(pb::Channel { name: line.name.clone(), display_name: "Service hotline".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["display_name".into()] }),
        }).await.unwrap().into_inner();
        channels.delete_channel(pb::DeleteChannelRequest { request_id: String::new(), name: line.name.clone(), etag: String::new() }).await.unwrap();
        channels.undelete_channel(pb::UndeleteChannelRequest { request_id: String::new(), name: line.name.clone() }).await.unwrap();

        let events = all_events(&s, "").await;
        let seen: Vec<(i64, &str, &str, &str)> = events.iter()
            .map(|e| (e.sequence, e.resource_type.as_str(), e.kind.as_str(), e.actor.as_str()))
            .collect();
        assert_eq!(seen, [
            (1, "customer", "created", "alice"), (2, "customer", "updated", "bob"),
            (3, "customer", "deleted", "anonymous"), (4, "customer", "undeleted", "anonymous"),
            (5, "channel", "created", "anonymous"), (6, "channel", "updated", "anonymous"),
            (7, "channel", "deleted", "anonymous"), (8, "channel", "undeleted", "anonymous"),
        ]);
        assert_eq!(events[1].changed_fields, ["tier", "geography.city"]);
        assert_eq!(events[1].method, "/crm.v1.CustomerService/UpdateCustomer");
        assert_eq!(events[2].changed_fields, ["delete_time"]);
        assert_eq!(events[5].changed_fields, ["display_name"]);
        assert!(events[0].changed_fields.is_empty());
        for (event, resource) in [(&events[0], &created), (&events[1], &updated), (&events[2], &deleted), (&events[3], &restored)] {
            assert_eq!(event.resource, created.name);
            assert_eq!(event.etag, resource.etag);
            assert_eq!(event.resource_snapshot, Some(ResourceSnapshot::Customer(resource.clone())), "the snapshot is the resource after the change");
        }
        assert_eq!(events[5].resource_snapshot, Some(ResourceSnapshot::Channel(renamed)));
        let ids: std::collections::HashSet<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids.len(), 8, "event ids are unique");
    }

    async fn a_refused_or_empty_change_leaves_no_event(s) {
        let request = pb::CreateCustomerRequest { customer: Some(customer("Once")), request_id: uuid::Uuid::new_v4().to_string() };
        let created = s.customers().create_customer(request.clone()).await.unwrap().into_inner();
        s.customers().create_customer(request).await.unwrap();
        expect_code(s.customers().create_customer(pb::CreateCustomerRequest { customer: Some(customer("")), request_id: String::new() }).await, Code::InvalidArgument);
        let stale = pb::Customer { name: created.name.clone(), display_name: "Stale".into(), etag: "\"9\"".into(), ..Default::default() };
        expect_code(s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(stale), update_mask: None }).await, Code::Aborted);
        let same = pb::Customer { name: created.name.clone(), display_name: "Once".into(), ..Default::default() };
        let unchanged = s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(same), update_mask: None }).await.unwrap().into_inner();
        assert_eq!(unchanged.etag, created.etag, "an update that changes nothing writes nothing");
        expect_code(s.customers().undelete_customer(pb::UndeleteCustomerRequest { request_id: String::new(), name: created.name.clone() }).await, Code::FailedPrecondition);
        let events = all_events(&s, "").await;
        assert_eq!(events.len(), 1, "{events:?}");
    }

    async fn the_audit_list_filters_by_resource_actor_kind_and_time(s) {
        let a = s.customers().create_customer(as_actor("alice", pb::CreateCustomerRequest { customer: Some(customer("A")), request_id: String::new() })).await.unwrap().into_inner();
        let b = create_customer(&s, customer("B")).await;
        s.customers().delete_customer(as_actor("alice", pb::DeleteCustomerRequest { request_id: String::new(), name: b.name.clone(), etag: String::new() })).await.unwrap();
        s.channels().create_channel(pb::CreateChannelRequest { channel: Some(channel("C")), request_id: String::new() }).await.unwrap();

        let sequences = |events: Vec<pb::Event>| events.into_iter().map(|e| e.sequence).collect::<Vec<_>>();
        assert_eq!(sequences(all_events(&s, &format!("resource = \"{}\"", b.name)).await), [2, 3]);
        assert_eq!(sequences(all_events(&s, "actor = alice").await), [1, 3]);
        assert_eq!(sequences(all_events(&s, "resource_type = customer AND kind != created").await), [3]);
        assert_eq!(sequences(all_events(&s, "sequence >= 2 AND sequence < 4").await), [2, 3]);
        let first_time = all_events(&s, "").await[0].create_time.unwrap();
        let after = chrono::DateTime::from_timestamp(first_time.seconds, first_time.nanos as u32).unwrap();
        let filter = format!("create_time > \"{}\"", after.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        assert_eq!(sequences(all_events(&s, &filter).await), [2, 3, 4]);
        assert_eq!(a.name, all_events(&s, "sequence = 1").await[0].resource);

        let newest = s.events().list_events(pb::ListEventsRequest { order_by: "sequence desc".into(), page_size: 3, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(sequences(newest.events), [4, 3, 2]);
        let rest = s.events().list_events(pb::ListEventsRequest { order_by: "sequence desc".into(), page_size: 3, page_token: newest.next_page_token, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(sequences(rest.events), [1]);
        let status = expect_code(s.events().list_events(pb::ListEventsRequest { filter: "labels.x = \"y\"".into(), order_by: "create_time".into(), ..Default::default() }).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["filter", "order_by"]);
    }

    async fn a_stream_replays_from_its_cursor_then_follows_live_changes(s) {
        create_customer(&s, customer("Before 1")).await;
        create_customer(&s, customer("Before 2")).await;
        let mut stream = open(&s, Position::AfterSequence(1), &[]).await;
        assert_eq!(next(&mut stream).await.sequence, 2);
        let live = create_customer(&s, customer("Live")).await;
        let event = next(&mut stream).await;
        assert_eq!((event.sequence, event.resource.as_str()), (3, live.name.as_str()));

        let mut from_now = open(&s, Position::Now(()), &["channel"]).await;
        let mut from_oldest = open(&s, Position::Oldest(()), &["customer"]).await;
        create_customer(&s, customer("Not a channel")).await;
        s.channels().create_channel(pb::CreateChannelRequest { channel: Some(channel("Desk")), request_id: String::new() }).await.unwrap();
        let event = next(&mut from_now).await;
        assert_eq!((event.sequence, event.resource_type.as_str()), (5, "channel"), "now skips the past and other types");
        let oldest: Vec<i64> = [next(&mut from_oldest).await, next(&mut from_oldest).await, next(&mut from_oldest).await, next(&mut from_oldest).await]
            .iter().map(|e| e.sequence).collect();
        assert_eq!(oldest, [1, 2, 3, 4]);
    }

    async fn a_stream_refuses_a_missing_a_future_or_an_expired_cursor(s) {
        let status = expect_code(s.events().stream_events(pb::StreamEventsRequest::default()).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["position"]);
        create_customer(&s, customer("One")).await;
        create_customer(&s, customer("Two")).await;
        for beyond in [9, -1] {
            let status = expect_code(s.events().stream_events(pb::StreamEventsRequest { position: Some(Position::AfterSequence(beyond)), ..Default::default() }).await, Code::InvalidArgument);
            assert_eq!(violated_fields(&status), ["after_sequence"], "{beyond}");
        }

        // Retention removes everything older than 30 days: run it as of 31 days from now.
        s.services.clock.advance(Duration::from_secs(31 * 24 * 3600));
        let cleaned = s.services.housekeeping().await.unwrap();
        assert_eq!(cleaned.events, 2);
        let status = expect_code(s.events().stream_events(pb::StreamEventsRequest { position: Some(Position::AfterSequence(1)), ..Default::default() }).await, Code::FailedPrecondition);
        assert_eq!(reason(&status), "CURSOR_EXPIRED");
        let mut resumed = open(&s, Position::AfterSequence(2), &[]).await;
        let mut oldest = open(&s, Position::Oldest(()), &[]).await;
        create_customer(&s, customer("Three")).await;
        assert_eq!(next(&mut resumed).await.sequence, 3, "a cursor at the retention edge still works");
        assert_eq!(next(&mut oldest).await.sequence, 3);
        assert!(all_events(&s, "sequence <= 2").await.is_empty());
    }

    async fn a_consumer_that_reconnects_at_random_points_sees_every_event_in_order(s) {
        const WRITERS: usize = 4;
        const PER_WRITER: usize = 500;
        let writers: Vec<_> = (0..WRITERS).map(|w| {
            let s = s.clone();
            tokio::spawn(async move {
                for i in 0..PER_WRITER {
                    let created = create_customer(&s, customer(&format!("W{w} #{i}"))).await;
                    if i % 5 == 0 {
                        let change = pb::Customer { name: created.name, display_name: format!("W{w} #{i} renamed"), ..Default::default() };
                        s.customers().update_customer(pb::UpdateCustomerRequest { request_id: String::new(), customer: Some(change), update_mask: None }).await.unwrap();
                    }
                }
            })
        }).collect();
        let total = (WRITERS * PER_WRITER + WRITERS * PER_WRITER / 5) as i64;

        // A small deterministic generator picks where the consumer hangs up.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut random_below = |n: u64| { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state % n };
        let (mut seen, mut cursor, mut reconnects) = (Vec::with_capacity(total as usize), 0i64, 0);
        while cursor < total {
            let mut stream = open(&s, Position::AfterSequence(cursor), &[]).await;
            let take = 1 + random_below(400);
            for _ in 0..take {
                let event = next(&mut stream).await;
                seen.push(event.sequence);
                cursor = event.sequence;
                if cursor == total { break; }
            }
            reconnects += 1;
        }
        for writer in writers { writer.await.unwrap(); }
        assert!(reconnects > 5, "the consumer reconnected {reconnects} times");
        assert_eq!(seen, (1..=total).collect::<Vec<_>>(), "every event once, in order, across {reconnects} reconnects");
    }
}

/// Read from the use case directly: over gRPC, HTTP/2 buffers would carry
/// every event to the client before retention could overtake the stream.
#[tokio::test]
async fn a_stream_that_falls_behind_retention_ends_instead_of_skipping() {
    let s = TestServer::sqlite().await;
    for i in 0..600 {
        create_customer(&s, customer(&format!("C{i}"))).await;
    }
    // The stream fills its buffer and waits for this reader, which does not read yet.
    let mut stream = s
        .services
        .events
        .stream(StreamStart::After(0), StreamFilter::default())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.services
        .clock
        .advance(Duration::from_secs(31 * 24 * 3600));
    assert_eq!(s.services.housekeeping().await.unwrap().events, 600);
    let mut seen = Vec::new();
    let error = loop {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.recv()).await;
        let Ok(next) = next else {
            panic!("stalled after {} events", seen.len())
        };
        match next.expect("the stream says why it ends") {
            Ok(event) => seen.push(event.sequence),
            Err(error) => break error,
        }
    };
    assert!(
        matches!(
            error,
            Error::FailedPrecondition {
                reason: "CURSOR_EXPIRED",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        seen.len() < 600,
        "events removed before delivery were not delivered"
    );
    assert_eq!(
        seen,
        (1..=seen.len() as i64).collect::<Vec<_>>(),
        "what was delivered has no gap"
    );
    s.stop().await;
}

#[tokio::test]
async fn open_streams_end_with_unavailable_when_the_server_stops() {
    let s = TestServer::sqlite().await;
    let mut stream = open(&s, Position::Now(()), &[]).await;
    let stopping = {
        let s = s.clone();
        tokio::spawn(async move { s.shutdown().await })
    };
    let end = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the stream ends promptly");
    let status = end.expect("a final status").expect_err("an error status");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(reason(&status), "SHUTTING_DOWN");
    stopping.await.unwrap().expect("clean shutdown");
}

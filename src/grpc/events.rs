//! EventService: the audit list and the live stream of changes, and the one
//! encoding of an event that the NATS relay publishes too.

use std::pin::Pin;

use tokio_stream::{Stream, StreamExt, wrappers::ReceiverStream};
use tonic::{Request, Response, Status};

use super::convert::timestamp_to_pb;
use crate::domain::event::Event;
use crate::error::Error;
use crate::pb::{
    self, event::ResourceSnapshot, event_service_server::EventService,
    stream_events_request::Position,
};
use crate::usecases::{EventLog, StreamFilter, StreamStart};

pub struct EventApi {
    pub events: EventLog,
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::StreamEventsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl EventService for EventApi {
    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        let list =
            list_request!(request.into_inner(), show_deleted: |_: &pb::ListEventsRequest| false);
        let (events, next_page_token) = self.events.list(&list).await?;
        let events = events.iter().map(to_pb).collect::<Result<_, _>>()?;
        Ok(Response::new(pb::ListEventsResponse {
            events,
            next_page_token,
        }))
    }

    async fn stream_events(
        &self,
        request: Request<pb::StreamEventsRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let r = request.into_inner();
        let start = match r.position {
            Some(Position::AfterSequence(sequence)) => StreamStart::After(sequence),
            Some(Position::Oldest(())) => StreamStart::Oldest,
            Some(Position::Now(())) => StreamStart::Now,
            None => {
                return Err(Error::invalid(
                    "position",
                    "is required: after_sequence, oldest or now",
                )
                .into());
            }
        };
        let filter = StreamFilter {
            resource_types: r.resource_types,
            kinds: r.kinds,
        };
        let events = self.events.stream(start, filter).await?;
        let stream = ReceiverStream::new(events).map(|item| {
            let event = item.and_then(|event| to_pb(&event))?;
            Ok(pb::StreamEventsResponse { event: Some(event) })
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

/// The protobuf form of an event, its snapshot decoded from the wire form
/// stored when the event was appended: an event written by an earlier
/// version of a message decodes like any protobuf message does.
pub fn to_pb(event: &Event) -> Result<pb::Event, Error> {
    let change = &event.change;
    let bytes = change.snapshot.as_slice();
    let snapshot = match change.resource_type.as_str() {
        "customer" => ResourceSnapshot::Customer(decode(bytes)?),
        "channel" => ResourceSnapshot::Channel(decode(bytes)?),
        "purchase" => ResourceSnapshot::Purchase(decode(bytes)?),
        "complaint" => ResourceSnapshot::Complaint(decode(bytes)?),
        "calendar" => ResourceSnapshot::Calendar(decode(bytes)?),
        "service_level_policy" => ResourceSnapshot::ServiceLevelPolicy(decode(bytes)?),
        other => {
            return Err(Error::internal(format!(
                "event of unknown resource type {other}"
            )));
        }
    };
    Ok(pb::Event {
        sequence: event.sequence,
        event_id: event.id.to_string(),
        create_time: Some(timestamp_to_pb(event.time)),
        actor: change.actor.clone(),
        method: change.method.clone(),
        resource: change.resource.clone(),
        resource_type: change.resource_type.clone(),
        kind: change.kind.clone(),
        changed_fields: change.changed_fields.clone(),
        etag: change.etag.clone(),
        resource_snapshot: Some(snapshot),
    })
}

fn decode<M: prost::Message + Default>(bytes: &[u8]) -> Result<M, Error> {
    M::decode(bytes).map_err(|err| Error::internal(format!("event snapshot: {err}")))
}

//! RecordCustomerContact: a contact with the customer during handling, on
//! one of their own contact points; the first sets the first response.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::super::steps::StepKind;
use super::super::{Complaint, ContactDirection};
use super::{NOTE_CHARS, advance, note};
use crate::domain::ClosedEnum;
use crate::domain::channel;
use crate::domain::complaint::process::Transition;
use crate::domain::customer::{ContactType, Customer};
use crate::domain::input::{required_code, required_text};
use crate::domain::resource::{Next, Resource, Timestamp};
use crate::error::{Error, Violations};

/// RecordCustomerContact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub note: String,
    pub channel: Uuid,
    pub direction: ContactDirection,
    pub point_type: ContactType,
    pub point_value: String,
    pub callback_requested: bool,
    pub summary: String,
}

impl Contact {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        note_text: &str,
        channel_name: &str,
        direction: i32,
        point_type: i32,
        point_value: &str,
        callback_requested: bool,
        summary: &str,
    ) -> Result<Self, Error> {
        let mut v = Violations::new();
        let note = note(&mut v, note_text);
        let channel = v.check("channel", channel::COLLECTION.parse_name(channel_name));
        let direction = required_code(&mut v, "direction", direction);
        let point_type = required_code(&mut v, "contact_point_type", point_type);
        let point_value = required_text(&mut v, "contact_point_value", point_value, 500);
        let summary = required_text(&mut v, "summary", summary, NOTE_CHARS);
        match (channel, direction, point_type, point_value, summary) {
            (
                Some(channel),
                Some(direction),
                Some(point_type),
                Some(point_value),
                Some(summary),
            ) if v.is_empty() => Ok(Contact {
                note,
                channel: channel.id,
                direction,
                point_type,
                point_value,
                callback_requested,
                summary,
            }),
            _ => Err(v.into_error()),
        }
    }

    /// The contact point used must be one of the customer's.
    pub fn check_point(&self, customer: &Customer) -> Result<(), Error> {
        // Compared in lookup form: "+86 138 0000 0000" is the point
        // stored as "138 0000 0000" for a customer in CN.
        let wanted = crate::domain::customer::contact_lookup_key(&self.point_value);
        let known = customer.contact_points.iter().any(|p| {
            p.kind == self.point_type
                && p.lookup_keys(&customer.geography.country).contains(&wanted)
        });
        if known {
            Ok(())
        } else {
            Err(Error::invalid(
                "contact_point_value",
                format!(
                    "is not a {} contact point of the complaint's customer",
                    self.point_type.name()
                ),
            ))
        }
    }
}

pub fn record_contact(
    current: &Resource<Complaint>,
    c: Contact,
    now: Timestamp,
) -> Result<Next<Complaint>, Error> {
    let decision = format!(
        "{} {} {}{}: {}",
        c.direction.name(),
        c.point_type.name(),
        c.point_value,
        if c.callback_requested {
            "; callback requested"
        } else {
            ""
        },
        c.summary
    );
    let step = (StepKind::CustomerContacted, "customer_contacted");
    advance(
        current,
        Transition::RecordCustomerContact,
        step,
        c.note,
        decision,
        now,
        |b| {
            b.milestones.first_response_time.get_or_insert(now);
        },
    )
}

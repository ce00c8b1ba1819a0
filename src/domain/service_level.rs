//! Service-level policies (DOMAIN.md sections 3 and 5, time targets): which
//! complaints a policy governs (severities, customer tiers, categories,
//! intake channels; an empty list matches any), the business calendar its
//! targets count in, a target per milestone and the warning thresholds.
//! The first active matching policy by priority applies; with none, a
//! complaint has no targets. Priority is unique among live policies: that
//! rule needs the other policies, so the use case checks it in the write
//! transaction; the rest is here.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::complaint::{Category, Severity};
use super::customer::Tier;
use super::event::FieldChanges;
use super::filter::{FieldSpec, FieldType, Schema};
use super::listing::Orderable;
use super::resource::{Collection, Labels, Name, Reference, Resource, ResourceBody, Timestamp};
use super::{calendar, channel};
use crate::error::{Error, Violations};

mod input;

pub use input::{ServiceLevelPolicyInput, ThresholdsInput};

pub const COLLECTION: Collection = Collection {
    plural: "serviceLevelPolicies",
    // The request field that carries a policy (`service_level_policy`), so
    // violations name request paths; also the events' resource_type, which
    // is the name of the Event snapshot field.
    singular: "service_level_policy",
    parent: None,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceLevelPolicy {
    pub display_name: String,
    pub description: String,
    /// 1 or more, unique among live policies; the lowest applies first.
    pub priority: i32,
    /// An inactive policy is never chosen.
    pub active: bool,
    /// Match conditions, each without repeats; empty matches any.
    pub severities: Vec<Severity>,
    pub customer_tiers: Vec<Tier>,
    pub categories: Vec<Category>,
    /// Intake channels by id.
    pub channels: Vec<Uuid>,
    /// The business calendar the targets count in; None: around the clock.
    pub calendar: Option<Uuid>,
    pub targets: Targets,
    pub thresholds: Thresholds,
    pub labels: Labels,
}

/// A target duration per milestone, in microseconds of business time; None
/// where the policy sets no target for that milestone. At least one is set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
    /// After each resolution.
    pub callback: Option<i64>,
}

/// The elapsed shares, in percent of a target, at which the warning levels
/// yellow, orange and red are reached (breached is 100 %).
/// `0 < yellow < orange < red < 100`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    pub yellow: u32,
    pub orange: u32,
    pub red: u32,
}

impl Default for Thresholds {
    /// DOMAIN.md section 5: yellow from 50 %, orange from 75 %, red from 90 %.
    fn default() -> Self {
        Thresholds {
            yellow: 50,
            orange: 75,
            red: 90,
        }
    }
}

impl ServiceLevelPolicy {
    pub const MAX_CHANNELS: usize = 100;
    /// The longest target: a year of business time is already no promise.
    pub const MAX_TARGET_MICROS: i64 = 366 * 24 * 3600 * 1_000_000;

    /// Whether the policy applies to a complaint of this severity, category,
    /// intake channel and customer tier (None: the customer had no tier,
    /// which only a policy open to every tier matches). An inactive policy
    /// never applies.
    pub fn applies_to(
        &self,
        severity: Severity,
        category: Category,
        channel: Uuid,
        tier: Option<Tier>,
    ) -> bool {
        fn any_or<V: PartialEq>(listed: &[V], value: Option<V>) -> bool {
            listed.is_empty() || value.is_some_and(|v| listed.contains(&v))
        }
        self.active
            && any_or(&self.severities, Some(severity))
            && any_or(&self.categories, Some(category))
            && any_or(&self.channels, Some(channel))
            && any_or(&self.customer_tiers, tier)
    }
}

/// The policy that governs a complaint: the first of `by_priority` (live
/// policies, lowest priority first, as `store::active_policies` returns
/// them) that applies to it; None means the complaint has no targets.
pub fn choose(
    by_priority: &[Resource<ServiceLevelPolicy>],
    severity: Severity,
    category: Category,
    channel: Uuid,
    tier: Option<Tier>,
) -> Option<&Resource<ServiceLevelPolicy>> {
    by_priority
        .iter()
        .find(|p| p.body.applies_to(severity, category, channel, tier))
}

/// Refuses a change that would give a live policy a priority another live
/// policy (`holder`, by resource name) already has: FAILED_PRECONDITION
/// naming the field and the holder, not INVALID_ARGUMENT, since the request
/// is well formed and becomes acceptable once the holder changes.
pub fn priority_taken(priority: i32, holder: &str) -> Error {
    Error::FailedPrecondition {
        reason: "PRIORITY_TAKEN",
        subject: holder.to_owned(),
        description: format!(
            "priority {priority} is held by {holder}: priority must be unique among live \
             policies; choose another or change that policy first"
        ),
    }
}

/// The resource name of a channel a policy matches on.
pub fn channel_name(id: Uuid) -> String {
    channel::COLLECTION.name_of(Name { parent: None, id })
}

/// The resource name of a policy's calendar.
pub fn calendar_name(id: Uuid) -> String {
    calendar::COLLECTION.name_of(Name { parent: None, id })
}

impl ResourceBody for ServiceLevelPolicy {
    const COLLECTION: Collection = COLLECTION;
    const FILTER: Schema = FILTER;
    const ORDERABLE: Orderable = ORDERABLE;

    type Input = ServiceLevelPolicyInput;
    type Side = ();

    fn from_input(
        input: ServiceLevelPolicyInput,
        _previous: Option<&Self>,
        _now: Timestamp,
    ) -> Result<Self, Violations> {
        ServiceLevelPolicy::parse(input)
    }

    fn to_input(&self) -> ServiceLevelPolicyInput {
        self.input()
    }

    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn references(&self) -> Vec<Reference> {
        let channels = self.channels.iter().map(|&id| Reference {
            field: "channels",
            collection: channel::COLLECTION,
            id,
        });
        let calendar = self.calendar.map(|id| Reference {
            field: "calendar",
            collection: calendar::COLLECTION,
            id,
        });
        channels.chain(calendar).collect()
    }

    fn changed_fields(before: &Self, after: &Self) -> Vec<String> {
        let (b, a) = (before, after);
        let (bt, at) = (&b.targets, &a.targets);
        let (bw, aw) = (&b.thresholds, &a.thresholds);
        let mut changes = FieldChanges::default();
        changes
            .compare("display_name", &b.display_name, &a.display_name)
            .compare("description", &b.description, &a.description)
            .compare("priority", &b.priority, &a.priority)
            .compare("active", &b.active, &a.active)
            .compare("severities", &b.severities, &a.severities)
            .compare("customer_tiers", &b.customer_tiers, &a.customer_tiers)
            .compare("categories", &b.categories, &a.categories)
            .compare("channels", &b.channels, &a.channels)
            .compare("calendar", &b.calendar, &a.calendar)
            .compare(
                "first_response_target",
                &bt.first_response,
                &at.first_response,
            )
            .compare("resolution_target", &bt.resolution, &at.resolution)
            .compare("callback_target", &bt.callback, &at.callback)
            .compare("warning_thresholds.yellow_percent", &bw.yellow, &aw.yellow)
            .compare("warning_thresholds.orange_percent", &bw.orange, &aw.orange)
            .compare("warning_thresholds.red_percent", &bw.red, &aw.red)
            .compare("labels", &b.labels, &a.labels);
        changes.into_paths()
    }
}

/// Filterable fields of ListServiceLevelPolicies, as documented in the proto.
pub const FILTER: Schema = Schema {
    fields: &[
        FieldSpec {
            path: "display_name",
            ty: FieldType::Text,
        },
        FieldSpec {
            path: "priority",
            ty: FieldType::Integer,
        },
        FieldSpec {
            path: "active",
            ty: FieldType::Bool,
        },
        FieldSpec {
            path: "calendar",
            ty: FieldType::Exact,
        },
        FieldSpec {
            path: "create_time",
            ty: FieldType::Timestamp,
        },
        FieldSpec {
            path: "update_time",
            ty: FieldType::Timestamp,
        },
    ],
    labels: true,
};

/// Fields ListServiceLevelPolicies can be ordered by, as documented in the
/// proto; by priority, the order policies are tried in, by default.
pub const ORDERABLE: Orderable = Orderable {
    fields: &["priority", "display_name", "create_time", "update_time"],
    default_field: "priority",
    default_descending: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600 * 1_000_000;

    fn policy(priority: i32) -> ServiceLevelPolicy {
        ServiceLevelPolicy {
            display_name: format!("policy {priority}"),
            description: String::new(),
            priority,
            active: true,
            severities: Vec::new(),
            customer_tiers: Vec::new(),
            categories: Vec::new(),
            channels: Vec::new(),
            calendar: None,
            targets: Targets {
                first_response: Some(8 * HOUR),
                resolution: Some(48 * HOUR),
                callback: None,
            },
            thresholds: Thresholds::default(),
            labels: Labels::default(),
        }
    }

    fn stored(body: ServiceLevelPolicy) -> Resource<ServiceLevelPolicy> {
        Resource {
            id: Uuid::now_v7(),
            parent: None,
            meta: crate::domain::resource::Meta::new(Timestamp(0)),
            body,
        }
    }

    #[test]
    fn a_policy_without_conditions_applies_to_every_complaint() {
        let p = policy(1);
        let hotline = Uuid::now_v7();
        assert!(p.applies_to(Severity::Low, Category::Billing, hotline, None));
        assert!(p.applies_to(
            Severity::Critical,
            Category::Other,
            hotline,
            Some(Tier::Strategic)
        ));
    }

    #[test]
    fn an_inactive_policy_never_applies() {
        let p = ServiceLevelPolicy {
            active: false,
            ..policy(1)
        };
        assert!(!p.applies_to(Severity::Low, Category::Billing, Uuid::now_v7(), None));
    }

    #[test]
    fn every_listed_condition_must_hold() {
        let (hotline, email) = (Uuid::now_v7(), Uuid::now_v7());
        // Critical or high delivery complaints of key customers on the hotline.
        let p = ServiceLevelPolicy {
            severities: vec![Severity::Critical, Severity::High],
            categories: vec![Category::Delivery],
            channels: vec![hotline],
            customer_tiers: vec![Tier::Key],
            ..policy(1)
        };
        let key = Some(Tier::Key);
        assert!(p.applies_to(Severity::High, Category::Delivery, hotline, key));
        assert!(p.applies_to(Severity::Critical, Category::Delivery, hotline, key));
        // One condition off at a time.
        assert!(!p.applies_to(Severity::Medium, Category::Delivery, hotline, key));
        assert!(!p.applies_to(Severity::High, Category::Billing, hotline, key));
        assert!(!p.applies_to(Severity::High, Category::Delivery, email, key));
        assert!(!p.applies_to(
            Severity::High,
            Category::Delivery,
            hotline,
            Some(Tier::General)
        ));
    }

    #[test]
    fn a_customer_without_a_tier_matches_only_a_policy_open_to_every_tier() {
        let channel = Uuid::now_v7();
        let tiered = ServiceLevelPolicy {
            customer_tiers: vec![Tier::Strategic, Tier::Key, Tier::General, Tier::Potential],
            ..policy(1)
        };
        assert!(!tiered.applies_to(Severity::Low, Category::Other, channel, None));
        assert!(tiered.applies_to(
            Severity::Low,
            Category::Other,
            channel,
            Some(Tier::Potential)
        ));
        assert!(policy(2).applies_to(Severity::Low, Category::Other, channel, None));
    }

    #[test]
    fn the_first_applicable_policy_by_priority_is_chosen() {
        let hotline = Uuid::now_v7();
        let critical = stored(ServiceLevelPolicy {
            severities: vec![Severity::Critical],
            ..policy(10)
        });
        let strategic_off = stored(ServiceLevelPolicy {
            customer_tiers: vec![Tier::Strategic],
            active: false,
            ..policy(5)
        });
        let everything = stored(policy(100));
        let by_priority = [strategic_off, critical.clone(), everything.clone()];
        let chosen = |severity, tier| {
            choose(&by_priority, severity, Category::Delivery, hotline, tier).map(|p| p.id)
        };
        // The strategic policy comes first but is inactive.
        assert_eq!(
            chosen(Severity::Critical, Some(Tier::Strategic)),
            Some(critical.id)
        );
        assert_eq!(
            chosen(Severity::Low, Some(Tier::Strategic)),
            Some(everything.id)
        );
        assert_eq!(
            choose(
                &by_priority[..2],
                Severity::Low,
                Category::Delivery,
                hotline,
                None
            ),
            None,
            "with no applicable policy there are no targets"
        );
    }

    #[test]
    fn default_thresholds_are_fifty_seventy_five_ninety() {
        assert_eq!(
            Thresholds::default(),
            Thresholds {
                yellow: 50,
                orange: 75,
                red: 90
            }
        );
    }

    #[test]
    fn references_name_the_channels_and_the_calendar() {
        let (a, b, cal) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let p = ServiceLevelPolicy {
            channels: vec![a, b],
            calendar: Some(cal),
            ..policy(1)
        };
        let found: Vec<(&str, Uuid)> = p.references().iter().map(|r| (r.field, r.id)).collect();
        assert_eq!(found, [("channels", a), ("channels", b), ("calendar", cal)]);
        assert!(policy(1).references().is_empty());
    }
}

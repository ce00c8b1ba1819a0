//! ServiceLevelPolicyService: policies through the standard methods, every
//! bad field named at once, pointers that must name live channels and
//! calendars, and a priority held by one live policy at most, even under
//! concurrent writers.

use crm::domain::complaint::{Category, Severity};
use crm::domain::customer::Tier;
use crm::pb::{self, complaint, customer};
use crm::store::{SqliteSync, Store};
use prost_types::{Duration, FieldMask};
use tonic::Code;

use crate::support::*;

fn hours(n: i64) -> Option<Duration> {
    Some(Duration {
        seconds: n * 3600,
        nanos: 0,
    })
}

fn policy(display_name: &str, priority: i32) -> pb::ServiceLevelPolicy {
    pb::ServiceLevelPolicy {
        display_name: display_name.into(),
        priority,
        first_response_target: hours(8),
        resolution_target: hours(48),
        callback_target: hours(48),
        ..Default::default()
    }
}

/// Critical complaints on `hotline`, counted in `calendar`: 4 h to a first
/// response, 24 h to resolution.
fn critical(hotline: &str, calendar: &str) -> pb::ServiceLevelPolicy {
    pb::ServiceLevelPolicy {
        description: "Critical complaints on the hotline".into(),
        severities: vec![complaint::Severity::Critical as i32],
        channels: vec![hotline.into()],
        calendar: calendar.into(),
        first_response_target: hours(4),
        resolution_target: hours(24),
        callback_target: None,
        labels: [("team".to_owned(), "care".to_owned())].into(),
        ..policy("Critical", 10)
    }
}

async fn create(s: &TestServer, policy: pb::ServiceLevelPolicy) -> pb::ServiceLevelPolicy {
    try_create(s, policy)
        .await
        .expect("policy created")
        .into_inner()
}

async fn try_create(
    s: &TestServer,
    policy: pb::ServiceLevelPolicy,
) -> Result<tonic::Response<pb::ServiceLevelPolicy>, tonic::Status> {
    s.service_levels()
        .create_service_level_policy(pb::CreateServiceLevelPolicyRequest {
            service_level_policy: Some(policy),
            request_id: String::new(),
        })
        .await
}

async fn update(
    s: &TestServer,
    policy: pb::ServiceLevelPolicy,
    paths: &[&str],
) -> Result<tonic::Response<pb::ServiceLevelPolicy>, tonic::Status> {
    s.service_levels()
        .update_service_level_policy(pb::UpdateServiceLevelPolicyRequest {
            service_level_policy: Some(policy),
            update_mask: Some(FieldMask {
                paths: paths.iter().map(|p| p.to_string()).collect(),
            }),
            request_id: String::new(),
        })
        .await
}

async fn delete(s: &TestServer, name: &str) -> pb::ServiceLevelPolicy {
    s.service_levels()
        .delete_service_level_policy(pb::DeleteServiceLevelPolicyRequest {
            name: name.into(),
            ..Default::default()
        })
        .await
        .expect("policy deleted")
        .into_inner()
}

async fn undelete(
    s: &TestServer,
    name: &str,
) -> Result<tonic::Response<pb::ServiceLevelPolicy>, tonic::Status> {
    s.service_levels()
        .undelete_service_level_policy(pb::UndeleteServiceLevelPolicyRequest {
            name: name.into(),
            request_id: String::new(),
        })
        .await
}

async fn names(s: &TestServer, request: pb::ListServiceLevelPoliciesRequest) -> Vec<String> {
    let page = s
        .service_levels()
        .list_service_level_policies(request)
        .await
        .unwrap()
        .into_inner();
    page.service_level_policies
        .into_iter()
        .map(|p| p.display_name)
        .collect()
}

fn listing(filter: &str) -> pb::ListServiceLevelPoliciesRequest {
    pb::ListServiceLevelPoliciesRequest {
        filter: filter.into(),
        ..Default::default()
    }
}

/// Mondays 09:00-18:00 in Shanghai.
async fn office_hours(s: &TestServer) -> pb::Calendar {
    let monday = pb::OpeningPeriod {
        day: pb::opening_period::Day::Monday as i32,
        open_time: Some(pb::TimeOfDay {
            hours: 9,
            minutes: 0,
        }),
        close_time: Some(pb::TimeOfDay {
            hours: 18,
            minutes: 0,
        }),
    };
    let calendar = pb::Calendar {
        display_name: "Office hours".into(),
        time_zone: "Asia/Shanghai".into(),
        weekly_periods: vec![monday],
        ..Default::default()
    };
    create_calendar(s, calendar).await
}

/// The PreconditionFailure (type, subject, description) of a refusal.
fn precondition(status: &tonic::Status) -> (String, String, String) {
    use tonic_types::StatusExt;
    let failure = status
        .get_details_precondition_failure()
        .expect("a PreconditionFailure");
    let v = &failure.violations[0];
    (v.r#type.clone(), v.subject.clone(), v.description.clone())
}

/// Asserts a refusal of `priority` because `holder` has it.
fn assert_priority_taken(status: &tonic::Status, priority: i32, holder: &str) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(status), "PRIORITY_TAKEN");
    let (kind, subject, description) = precondition(status);
    assert_eq!(
        (kind.as_str(), subject.as_str()),
        ("PRIORITY_TAKEN", holder)
    );
    assert!(
        description.starts_with(&format!("priority {priority} is held by {holder}")),
        "{description}"
    );
}

db_tests! {
    async fn a_policy_goes_through_every_standard_method(s) {
        let hotline = create_channel(&s, channel("Hotline")).await;
        let calendar = office_hours(&s).await;
        let created = create(&s, critical(&hotline.name, &calendar.name)).await;
        assert!(created.name.starts_with("serviceLevelPolicies/"), "{}", created.name);
        let expected = pb::ServiceLevelPolicy {
            name: created.name.clone(),
            active: Some(true),
            warning_thresholds: Some(pb::WarningThresholds { yellow_percent: 50, orange_percent: 75, red_percent: 90 }),
            create_time: created.create_time,
            update_time: created.update_time,
            etag: created.etag.clone(),
            ..critical(&hotline.name, &calendar.name)
        };
        assert_eq!(created, expected, "absent active is true, absent thresholds are 50/75/90");
        let fetched = s.service_levels().get_service_level_policy(pb::GetServiceLevelPolicyRequest { name: created.name.clone() })
            .await.unwrap().into_inner();
        assert_eq!(fetched, created);

        let everything = create(&s, pb::ServiceLevelPolicy {
            warning_thresholds: Some(pb::WarningThresholds { yellow_percent: 60, orange_percent: 80, red_percent: 95 }),
            ..policy("Everything else", 100)
        }).await;
        assert_eq!(everything.warning_thresholds.unwrap().red_percent, 95);
        let strategic = create(&s, pb::ServiceLevelPolicy {
            customer_tiers: vec![customer::Tier::Strategic as i32],
            active: Some(false),
            ..policy("Strategic", 5)
        }).await;

        assert_eq!(names(&s, listing("")).await, ["Strategic", "Critical", "Everything else"], "by priority");
        assert_eq!(names(&s, pb::ListServiceLevelPoliciesRequest { order_by: "priority desc".into(), ..listing("") }).await,
            ["Everything else", "Critical", "Strategic"]);
        assert_eq!(names(&s, pb::ListServiceLevelPoliciesRequest { order_by: "display_name".into(), ..listing("") }).await,
            ["Critical", "Everything else", "Strategic"]);
        assert_eq!(names(&s, listing("priority < 50 AND active = true")).await, ["Critical"]);
        assert_eq!(names(&s, listing("active = false")).await, ["Strategic"]);
        assert_eq!(names(&s, listing(&format!(r#"calendar = "{}""#, calendar.name))).await, ["Critical"]);
        assert_eq!(names(&s, listing(r#"calendar = """#)).await, ["Strategic", "Everything else"]);
        assert_eq!(names(&s, listing(r#"display_name : "ELSE""#)).await, ["Everything else"]);
        assert_eq!(names(&s, listing("labels.team = care")).await, ["Critical"]);
        let status = expect_code(s.service_levels().list_service_level_policies(listing("severities = CRITICAL")).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["filter"]);

        let first = s.service_levels().list_service_level_policies(pb::ListServiceLevelPoliciesRequest { page_size: 2, ..listing("") })
            .await.unwrap().into_inner();
        assert_eq!(first.service_level_policies.len(), 2);
        let second = s.service_levels().list_service_level_policies(pb::ListServiceLevelPoliciesRequest { page_size: 2, page_token: first.next_page_token, ..listing("") })
            .await.unwrap().into_inner();
        assert_eq!(second.service_level_policies, std::slice::from_ref(&everything));
        assert!(second.next_page_token.is_empty());

        // One threshold and the name through the mask; the rest is kept.
        let change = pb::ServiceLevelPolicy {
            display_name: "Critical (hotline)".into(),
            warning_thresholds: Some(pb::WarningThresholds { red_percent: 85, ..Default::default() }),
            ..created.clone()
        };
        let updated = update(&s, change.clone(), &["display_name", "warning_thresholds.red_percent"]).await.unwrap().into_inner();
        assert_eq!(updated.display_name, "Critical (hotline)");
        assert_eq!(updated.warning_thresholds, Some(pb::WarningThresholds { yellow_percent: 50, orange_percent: 75, red_percent: 85 }));
        assert_eq!(updated.channels, created.channels, "fields outside the mask are kept");
        assert_ne!(updated.etag, created.etag);
        let status = expect_code(update(&s, change, &["display_name"]).await, Code::Aborted);
        assert_eq!(reason(&status), "ETAG_MISMATCH");
        // A target named in the mask and left out is cleared; one must stay.
        let cleared = update(&s, pb::ServiceLevelPolicy { name: updated.name.clone(), ..Default::default() }, &["first_response_target"])
            .await.unwrap().into_inner();
        assert_eq!((cleared.first_response_target, cleared.resolution_target), (None, hours(24)));
        let status = expect_code(
            update(&s, pb::ServiceLevelPolicy { name: updated.name.clone(), ..Default::default() }, &["resolution_target"]).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), [
            "service_level_policy.first_response_target",
            "service_level_policy.resolution_target",
            "service_level_policy.callback_target",
        ]);
        // Thresholds named whole and left out return to the defaults.
        let defaults = update(&s, pb::ServiceLevelPolicy { name: updated.name.clone(), ..Default::default() }, &["warning_thresholds"])
            .await.unwrap().into_inner();
        assert_eq!(defaults.warning_thresholds.unwrap().red_percent, 90);

        let deleted = delete(&s, &defaults.name).await;
        assert!(deleted.delete_time.is_some());
        assert_eq!(names(&s, listing("")).await, ["Strategic", "Everything else"]);
        assert_eq!(names(&s, pb::ListServiceLevelPoliciesRequest { show_deleted: true, ..listing("") }).await,
            ["Strategic", "Critical (hotline)", "Everything else"]);
        let restored = undelete(&s, &defaults.name).await.unwrap().into_inner();
        assert!(restored.delete_time.is_none());

        let events = s.events().list_events(pb::ListEventsRequest { filter: format!(r#"resource = "{}""#, created.name), ..Default::default() })
            .await.unwrap().into_inner().events;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["created", "updated", "updated", "updated", "deleted", "undeleted"]);
        assert_eq!(events[1].changed_fields, ["display_name", "warning_thresholds.red_percent"]);
        assert_eq!(events[2].changed_fields, ["first_response_target"]);
        assert!(events.iter().all(|e| e.resource_type == "service_level_policy"));
        assert_eq!(events[5].resource_snapshot, Some(pb::event::ResourceSnapshot::ServiceLevelPolicy(restored)));
        assert_eq!(strategic.active, Some(false));
    }

    async fn every_bad_policy_field_is_named_at_once(s) {
        let hotline = create_channel(&s, channel("Hotline")).await;
        let bad = pb::ServiceLevelPolicy {
            display_name: " ".into(),
            priority: 0,
            severities: vec![complaint::Severity::High as i32, 9],
            customer_tiers: vec![customer::Tier::Key as i32, customer::Tier::Key as i32],
            categories: vec![0],
            channels: vec![hotline.name.clone(), "channels/hotline".into(), hotline.name.clone()],
            calendar: "calendar/1".into(),
            first_response_target: Some(Duration { seconds: 0, nanos: 0 }),
            resolution_target: Some(Duration { seconds: -3600, nanos: 0 }),
            callback_target: Some(Duration { seconds: 1, nanos: 1 }),
            warning_thresholds: Some(pb::WarningThresholds { yellow_percent: 80, orange_percent: 75, red_percent: 100 }),
            ..Default::default()
        };
        let status = expect_code(try_create(&s, bad).await, Code::InvalidArgument);
        let mut fields = violated_fields(&status);
        fields.sort();
        assert_eq!(fields, [
            "service_level_policy.calendar",
            "service_level_policy.callback_target",
            "service_level_policy.categories[0]",
            "service_level_policy.channels[1]",
            "service_level_policy.channels[2]",
            "service_level_policy.customer_tiers[1]",
            "service_level_policy.display_name",
            "service_level_policy.first_response_target",
            "service_level_policy.priority",
            "service_level_policy.resolution_target",
            "service_level_policy.severities[1]",
            "service_level_policy.warning_thresholds.orange_percent",
            "service_level_policy.warning_thresholds.red_percent",
        ]);
        let described = violations(&status);
        for expected in [
            ("service_level_policy.first_response_target", "must be more than zero"),
            ("service_level_policy.resolution_target", "must be more than zero"),
            ("service_level_policy.callback_target", "must be a whole number of microseconds"),
            ("service_level_policy.severities[1]", "9 is not a known value"),
            ("service_level_policy.customer_tiers[1]", "repeats customer_tiers[0]"),
            ("service_level_policy.channels[2]", "repeats channels[0]"),
            ("service_level_policy.warning_thresholds.orange_percent", "must be more than yellow_percent"),
            ("service_level_policy.warning_thresholds.red_percent", "must be a percent from 1 to 99"),
        ] {
            assert!(described.contains(&(expected.0.to_owned(), expected.1.to_owned())), "{expected:?} in {described:?}");
        }

        let no_target = pb::ServiceLevelPolicy { first_response_target: None, resolution_target: None, callback_target: None, ..policy("None", 1) };
        let status = expect_code(try_create(&s, no_target).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), [
            "service_level_policy.first_response_target",
            "service_level_policy.resolution_target",
            "service_level_policy.callback_target",
        ]);
        let too_long = pb::ServiceLevelPolicy { resolution_target: hours(366 * 24 + 1), ..policy("Long", 1) };
        let status = expect_code(try_create(&s, too_long).await, Code::InvalidArgument);
        assert_eq!(violations(&status), [("service_level_policy.resolution_target".to_owned(), "must be at most 366 days".to_owned())]);
        let low = pb::ServiceLevelPolicy { warning_thresholds: Some(pb::WarningThresholds { yellow_percent: 0, orange_percent: 50, red_percent: 50 }), ..policy("Low", 1) };
        let status = expect_code(try_create(&s, low).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), [
            "service_level_policy.warning_thresholds.yellow_percent",
            "service_level_policy.warning_thresholds.red_percent",
        ]);

        // Well-formed names of nothing: refused in the write transaction.
        let nowhere = format!("channels/{}", uuid::Uuid::now_v7());
        let status = expect_code(try_create(&s, pb::ServiceLevelPolicy { channels: vec![hotline.name.clone(), nowhere.clone()], ..policy("Nowhere", 1) }).await, Code::InvalidArgument);
        assert_eq!(violations(&status), [("service_level_policy.channels".to_owned(), format!("{nowhere} does not exist"))]);
        let no_calendar = format!("calendars/{}", uuid::Uuid::now_v7());
        let status = expect_code(try_create(&s, pb::ServiceLevelPolicy { calendar: no_calendar.clone(), ..policy("No calendar", 1) }).await, Code::InvalidArgument);
        assert_eq!(violations(&status), [("service_level_policy.calendar".to_owned(), format!("{no_calendar} does not exist"))]);
        let closed = create_channel(&s, channel("Closed")).await;
        s.channels().delete_channel(pb::DeleteChannelRequest { name: closed.name.clone(), ..Default::default() }).await.unwrap();
        let status = expect_code(try_create(&s, pb::ServiceLevelPolicy { channels: vec![closed.name.clone()], ..policy("Closed", 1) }).await, Code::FailedPrecondition);
        assert_eq!(reason(&status), "REFERENCE_DELETED");

        let listed = s.service_levels().list_service_level_policies(pb::ListServiceLevelPoliciesRequest { show_deleted: true, ..Default::default() })
            .await.unwrap().into_inner();
        assert!(listed.service_level_policies.is_empty(), "nothing was written");
    }

    async fn a_priority_is_held_by_one_live_policy_at_most(s) {
        let first = create(&s, policy("First", 10)).await;
        let status = try_create(&s, policy("Second", 10)).await.unwrap_err();
        assert_priority_taken(&status, 10, &first.name);

        let second = create(&s, policy("Second", 20)).await;
        let status = update(&s, pb::ServiceLevelPolicy { priority: 10, ..second.clone() }, &["priority"]).await.unwrap_err();
        assert_priority_taken(&status, 10, &first.name);
        // Keeping its own priority is no conflict.
        let renamed = update(&s, pb::ServiceLevelPolicy { display_name: "Second (renamed)".into(), ..second.clone() }, &["display_name", "priority"])
            .await.unwrap().into_inner();
        assert_eq!(renamed.priority, 20);

        // A deleted policy holds no priority; undeleting it into a taken one is refused.
        delete(&s, &first.name).await;
        let third = create(&s, policy("Third", 10)).await;
        let status = undelete(&s, &first.name).await.unwrap_err();
        assert_priority_taken(&status, 10, &third.name);
        let still = s.service_levels().get_service_level_policy(pb::GetServiceLevelPolicyRequest { name: first.name.clone() })
            .await.unwrap().into_inner();
        assert!(still.delete_time.is_some(), "the refused undelete changed nothing");
        update(&s, pb::ServiceLevelPolicy { priority: 11, ..third.clone() }, &["priority"]).await.unwrap();
        let restored = undelete(&s, &first.name).await.unwrap().into_inner();
        assert_eq!((restored.priority, restored.delete_time), (10, None));
        assert_eq!(names(&s, listing("")).await, ["First", "Third", "Second (renamed)"]);
    }

    async fn concurrent_creates_of_one_priority_leave_one_and_refuse_the_rest(s) {
        let calls: Vec<_> = (0..8)
            .map(|i| {
                let mut client = s.service_levels();
                let request = pb::CreateServiceLevelPolicyRequest {
                    service_level_policy: Some(policy(&format!("Racer {i}"), 7)),
                    request_id: String::new(),
                };
                tokio::spawn(async move { client.create_service_level_policy(request).await })
            })
            .collect();
        let mut created = Vec::new();
        for call in calls {
            match call.await.unwrap() {
                Ok(response) => created.push(response.into_inner()),
                Err(status) => {
                    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                    assert_eq!(reason(&status), "PRIORITY_TAKEN");
                }
            }
        }
        assert_eq!(created.len(), 1, "{created:?}");
        let (_, holder, _) = {
            let status = try_create(&s, policy("Late", 7)).await.unwrap_err();
            precondition(&status)
        };
        assert_eq!(holder, created[0].name);
    }

    async fn a_retried_policy_create_is_answered_from_the_first(s) {
        let request = pb::CreateServiceLevelPolicyRequest {
            service_level_policy: Some(policy("Everything else", 100)),
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        let first = s.service_levels().create_service_level_policy(request.clone()).await.unwrap().into_inner();
        let second = s.service_levels().create_service_level_policy(request.clone()).await.unwrap().into_inner();
        assert_eq!(first, second, "a retry is not refused for the priority its first call took");
        let other = pb::CreateServiceLevelPolicyRequest { service_level_policy: Some(policy("Other", 101)), ..request };
        let status = expect_code(s.service_levels().create_service_level_policy(other).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["request_id"]);
    }

    async fn the_store_reads_live_active_policies_by_priority(s) {
        let hotline = create_channel(&s, channel("Hotline")).await;
        let everything = create(&s, policy("Everything else", 100)).await;
        let critical = create(&s, pb::ServiceLevelPolicy {
            severities: vec![complaint::Severity::Critical as i32],
            channels: vec![hotline.name.clone()],
            ..policy("Critical", 10)
        }).await;
        create(&s, pb::ServiceLevelPolicy { active: Some(false), ..policy("Inactive", 1) }).await;
        let gone = create(&s, policy("Gone", 2)).await;
        delete(&s, &gone.name).await;

        let store = Store::connect(&s.database_url().expect("the server's database"), SqliteSync::Normal)
            .await.expect("store connects");
        let tx = store.read().await.unwrap();
        let policies = crm::store::active_policies(&tx).await.unwrap();
        drop(tx);
        store.close().await;
        let found: Vec<String> = policies.iter().map(|p| p.resource_name()).collect();
        assert_eq!(found, [critical.name.clone(), everything.name.clone()]);

        let hotline_id = uuid::Uuid::parse_str(hotline.name.trim_start_matches("channels/")).unwrap();
        let other_channel = uuid::Uuid::now_v7();
        let choose = |severity, channel| {
            crm::domain::service_level::choose(&policies, severity, Category::Delivery, channel, Some(Tier::General))
                .map(|p| p.resource_name())
        };
        assert_eq!(choose(Severity::Critical, hotline_id), Some(critical.name.clone()));
        assert_eq!(choose(Severity::Critical, other_channel), Some(everything.name.clone()));
        assert_eq!(choose(Severity::Low, hotline_id), Some(everything.name));
    }
}

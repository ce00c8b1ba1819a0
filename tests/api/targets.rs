//! Time targets through the real server: the policy a complaint takes and
//! keeps, due times that a pause moves by exactly the pause, warnings
//! recorded by the sweep at the instants they were reached and pushed on
//! the event stream, reclassification, what breaches next, and two servers
//! on one database recording each level once. Every expected instant is
//! the received time plus a share of the target worked out by hand.

use std::time::Duration;

use crm::pb;
use crm::settings::Settings;
use prost_types::FieldMask;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::complaints::{create, kinds, setup, steps, triage_valid};
use crate::support::*;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const MICROS: i64 = 1_000_000;

fn seconds(n: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: n,
        nanos: 0,
    })
}

fn micros(t: &Option<prost_types::Timestamp>) -> i64 {
    let t = t.as_ref().expect("a timestamp");
    t.seconds * MICROS + i64::from(t.nanos) / 1000
}

fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(MICROS),
        nanos: (micros.rem_euclid(MICROS) * 1000) as i32,
    }
}

fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .expect("an instant")
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A policy with a resolution target, for the given severities (empty: any).
fn policy(
    display_name: &str,
    priority: i32,
    severities: &[pb::complaint::Severity],
    resolution_seconds: i64,
) -> pb::ServiceLevelPolicy {
    pb::ServiceLevelPolicy {
        display_name: display_name.into(),
        priority,
        severities: severities.iter().map(|s| *s as i32).collect(),
        resolution_target: seconds(resolution_seconds),
        ..Default::default()
    }
}

async fn create_policy(s: &TestServer, policy: pb::ServiceLevelPolicy) -> pb::ServiceLevelPolicy {
    s.service_levels()
        .create_service_level_policy(pb::CreateServiceLevelPolicyRequest {
            service_level_policy: Some(policy),
            request_id: String::new(),
        })
        .await
        .expect("policy created")
        .into_inner()
}

async fn get(s: &TestServer, name: &str) -> pb::Complaint {
    s.complaints()
        .get_complaint(pb::GetComplaintRequest { name: name.into() })
        .await
        .unwrap()
        .into_inner()
}

fn resolution(c: &pb::Complaint) -> pb::MilestoneTarget {
    c.time_targets
        .as_ref()
        .and_then(|t| t.resolution)
        .expect("a resolution target")
}

/// A complaint received `ago` seconds before the server's now.
async fn received_ago(s: &TestServer, ago: i64) -> pb::Complaint {
    let (c, h, _) = setup(s).await;
    let mut request = create(&c, &h);
    let now = s.services.clock.now().micros();
    request.complaint.as_mut().unwrap().received_time = Some(timestamp(now - ago * MICROS));
    s.complaints()
        .create_complaint(request)
        .await
        .unwrap()
        .into_inner()
}

async fn sweep(s: &TestServer) -> u64 {
    s.services
        .complaints
        .sweep_warnings(100, &CancellationToken::new())
        .await
        .expect("sweep")
}

fn advance(s: &TestServer, secs: i64) {
    s.services.clock.advance(Duration::from_secs(secs as u64));
}

/// The (level, reached at) of every warning step, from their decisions'
/// order, and the levels the complaint's last_warning went through.
fn warning_steps(steps: &[pb::ComplaintStep]) -> Vec<String> {
    kinds(steps)
        .into_iter()
        .filter(|k| k == "WARNING_RAISED" || k == "TARGET_BREACHED")
        .collect()
}

async fn list(s: &TestServer, filter: &str, order_by: &str) -> Vec<String> {
    s.complaints()
        .list_complaints(pb::ListComplaintsRequest {
            filter: filter.into(),
            order_by: order_by.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{filter} / {order_by}: {e:?}"))
        .into_inner()
        .complaints
        .into_iter()
        .map(|c| c.name)
        .collect()
}

db_tests! {
    async fn a_complaint_takes_the_first_active_matching_policy_and_keeps_its_promise(s) {
        use pb::complaint::Severity;
        let inactive = pb::ServiceLevelPolicy {
            active: Some(false),
            ..policy("Inactive", 1, &[], MINUTE)
        };
        create_policy(&s, inactive).await;
        let high = create_policy(&s, policy("High", 2, &[Severity::High], 4 * HOUR)).await;
        let rest = create_policy(&s, policy("Everything else", 3, &[], 48 * HOUR)).await;

        // The setup's complaint is HIGH.
        let (c, h, complaint) = setup(&s).await;
        let received = micros(&complaint.received_time);
        let targets = complaint.time_targets.clone().expect("targets");
        assert_eq!(targets.policy, high.name);
        assert_eq!(targets.calendar, "");
        assert_eq!((targets.yellow_percent, targets.orange_percent, targets.red_percent), (50, 75, 90));
        assert_eq!(targets.first_response, None);
        let r = resolution(&complaint);
        assert_eq!(r.target, seconds(4 * HOUR));
        assert_eq!(micros(&r.due_time), received + 4 * HOUR * MICROS);
        assert!(r.running && !r.breached);
        assert_eq!(r.warning_level, pb::WarningLevel::NoWarning as i32);
        assert_eq!(complaint.warning_level, pb::WarningLevel::NoWarning as i32);

        let mut low = create(&c, &h);
        low.complaint.as_mut().unwrap().severity = Severity::Low as i32;
        let low_complaint = s.complaints().create_complaint(low.clone()).await.unwrap().into_inner();
        assert_eq!(low_complaint.time_targets.as_ref().unwrap().policy, rest.name);
        assert_eq!(
            micros(&resolution(&low_complaint).due_time),
            micros(&low_complaint.received_time) + 48 * HOUR * MICROS
        );

        // Editing the policy later does not rewrite what was promised.
        s.service_levels()
            .update_service_level_policy(pb::UpdateServiceLevelPolicyRequest {
                service_level_policy: Some(pb::ServiceLevelPolicy {
                    name: high.name.clone(),
                    resolution_target: seconds(HOUR),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask { paths: vec!["resolution_target".into()] }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let kept = get(&s, &complaint.name).await;
        assert_eq!(micros(&resolution(&kept).due_time), received + 4 * HOUR * MICROS);

        // With no policy matching, no targets.
        s.service_levels()
            .delete_service_level_policy(pb::DeleteServiceLevelPolicyRequest {
                name: rest.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        let untargeted = s.complaints().create_complaint(low).await.unwrap().into_inner();
        assert_eq!(untargeted.time_targets, None);
        assert_eq!(untargeted.warning_level, pb::WarningLevel::NoWarning as i32);
    }

    async fn waiting_on_the_customer_moves_the_due_time_by_exactly_the_pause(s) {
        create_policy(&s, policy("Resolve in 4 h", 1, &[], 4 * HOUR)).await;
        let (_, _, complaint) = setup(&s).await;
        let received = micros(&complaint.received_time);
        let name = complaint.name.clone();
        s.complaints().triage_complaint(triage_valid(&name)).await.unwrap();
        assert_eq!(micros(&resolution(&get(&s, &name).await).due_time), received + 4 * HOUR * MICROS);

        advance(&s, HOUR);
        let paused = s
            .complaints()
            .wait_on_customer(pb::WaitOnCustomerRequest { name: name.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        let pause_start = micros(&paused.update_time);
        let r = resolution(&paused);
        assert_eq!((r.due_time, r.running, r.time_until_breach), (None, false, None));
        // While paused nothing is listed as due.
        let due_before = format!("resolution_due_time < \"{}\"", rfc3339(received + 100 * HOUR * MICROS));
        assert!(!list(&s, &due_before, "").await.contains(&name));

        advance(&s, 2 * HOUR);
        let resumed = s
            .complaints()
            .resume_complaint(pb::ResumeComplaintRequest { name: name.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        let pause = micros(&resumed.update_time) - pause_start;
        let r = resolution(&resumed);
        assert_eq!(micros(&r.due_time), received + 4 * HOUR * MICROS + pause);
        assert!(pause >= 2 * HOUR * MICROS, "{pause}");
        assert!(r.running);
        // Business time elapsed excludes the pause; it is read when the
        // answer is written, just after the resume.
        let elapsed = r.business_time_elapsed.unwrap();
        let elapsed = elapsed.seconds * MICROS + i64::from(elapsed.nanos) / 1000;
        let read_by = s.services.clock.now().micros();
        let resumed_at = micros(&resumed.update_time);
        assert!(
            (resumed_at - received - pause..=read_by - received - pause).contains(&elapsed),
            "{elapsed}"
        );
        assert!(list(&s, &due_before, "").await.contains(&name));
    }

    async fn a_severity_change_chooses_the_policy_again_and_passed_levels_are_recorded_at_their_instants(s) {
        use pb::complaint::Severity;
        let critical = create_policy(&s, policy("Critical", 1, &[Severity::Critical], 2 * HOUR)).await;
        create_policy(&s, policy("Everything else", 2, &[], 48 * HOUR)).await;
        let (_, _, complaint) = setup(&s).await;
        let received = micros(&complaint.received_time);
        advance(&s, 3 * HOUR);
        assert_eq!(sweep(&s).await, 0, "48 h: nothing reached in 3 h");

        let updated = s
            .complaints()
            .update_complaint(pb::UpdateComplaintRequest {
                complaint: Some(pb::Complaint {
                    name: complaint.name.clone(),
                    severity: Severity::Critical as i32,
                    ..Default::default()
                }),
                update_mask: Some(FieldMask { paths: vec!["severity".into()] }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.time_targets.as_ref().unwrap().policy, critical.name);
        let r = resolution(&updated);
        assert_eq!(micros(&r.due_time), received + 2 * HOUR * MICROS);
        assert!(r.breached, "read-time: already past the target");
        let history = steps(&s, &complaint.name).await;
        let last = history.last().unwrap();
        assert_eq!(kinds(std::slice::from_ref(last)), ["RECLASSIFIED"]);
        assert!(last.decision.contains(&critical.name), "{}", last.decision);

        assert_eq!(sweep(&s).await, 4);
        let history = steps(&s, &complaint.name).await;
        assert_eq!(
            warning_steps(&history),
            ["WARNING_RAISED", "WARNING_RAISED", "WARNING_RAISED", "TARGET_BREACHED"]
        );
        let swept = get(&s, &complaint.name).await;
        let warning = swept.time_targets.as_ref().unwrap().last_warning.unwrap();
        assert_eq!(warning.level, pb::WarningLevel::Breached as i32);
        assert_eq!(micros(&warning.reached_time), received + 2 * HOUR * MICROS);
        let r = resolution(&swept);
        assert_eq!(r.warning_level, pb::WarningLevel::Breached as i32);
        assert_eq!(micros(&r.warning_time), received + 2 * HOUR * MICROS);
        assert_eq!(swept.warning_level, pb::WarningLevel::Breached as i32);
        // Recorded once: a second sweep finds nothing.
        assert_eq!(sweep(&s).await, 0);
        assert!(list(&s, "warning_level = BREACHED", "").await.contains(&complaint.name));
    }

    async fn what_breaches_next_is_listed_by_due_time_and_warning_level(s) {
        create_policy(&s, policy("Resolve in 4 h", 1, &[], 4 * HOUR)).await;
        // Due in 1 h, 3 h and 2 h; a fourth waits on the customer.
        let first = received_ago(&s, 3 * HOUR).await;
        let third = received_ago(&s, HOUR).await;
        let second = received_ago(&s, 2 * HOUR).await;
        let waiting = received_ago(&s, 0).await;
        s.complaints().triage_complaint(triage_valid(&waiting.name)).await.unwrap();
        s.complaints()
            .wait_on_customer(pb::WaitOnCustomerRequest { name: waiting.name.clone(), ..Default::default() })
            .await
            .unwrap();
        // The setups' own complaints (received now) are due in 4 h: keep to these four.
        let ours = |names: Vec<String>| -> Vec<String> {
            names
                .into_iter()
                .filter(|n| [&first.name, &second.name, &third.name, &waiting.name].contains(&n))
                .collect()
        };
        assert_eq!(
            ours(list(&s, "", "resolution_due_time").await),
            [first.name.clone(), second.name.clone(), third.name.clone(), waiting.name.clone()]
        );
        let before = micros(&second.received_time) + 4 * HOUR * MICROS + MICROS;
        let soon = format!("resolution_due_time < \"{}\"", rfc3339(before));
        assert_eq!(ours(list(&s, &soon, "resolution_due_time").await), [first.name.clone(), second.name.clone()]);

        // 3 h of 4 is 75 %: ORANGE; 2 h is 50 %: YELLOW; 1 h nothing.
        assert_eq!(sweep(&s).await, 3);
        assert_eq!(ours(list(&s, "warning_level = ORANGE", "").await), std::slice::from_ref(&first.name));
        assert_eq!(ours(list(&s, "warning_level = YELLOW", "").await), std::slice::from_ref(&second.name));
        assert_eq!(
            ours(list(&s, "warning_level >= ORANGE", "").await),
            std::slice::from_ref(&first.name)
        );
        assert_eq!(
            ours(list(&s, "warning_level != NO_WARNING", "warning_level desc").await),
            [first.name.clone(), second.name.clone()]
        );
    }
}

/// The sweep runs in the background and each level reaches a subscriber
/// of StreamEvents as soon as the clock passes it.
#[tokio::test]
async fn warnings_arrive_on_the_event_stream_as_each_level_is_reached() {
    let every = Duration::from_millis(100);
    let sweeping = |settings: &mut Settings| {
        settings.warning_sweep_in_background = true;
        settings.warning_sweep_interval = every;
    };
    for s in TestServer::on_each_engine(sweeping).await {
        create_policy(&s, policy("Resolve in 10 min", 1, &[], 10 * MINUTE)).await;
        let (_, _, complaint) = setup(&s).await;
        let received = micros(&complaint.received_time);
        let mut stream = s
            .events()
            .stream_events(pb::StreamEventsRequest {
                position: Some(pb::stream_events_request::Position::Now(())),
                kinds: vec!["warning_raised".into(), "target_breached".into()],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut next = async || {
            let item = tokio::time::timeout(Duration::from_secs(10), stream.next())
                .await
                .expect("a warning within 10 s")
                .expect("the stream continues")
                .expect("an event");
            let event = item.event.unwrap();
            let Some(pb::event::ResourceSnapshot::Complaint(c)) = event.resource_snapshot else {
                panic!("a complaint snapshot");
            };
            let w = c.time_targets.unwrap().last_warning.unwrap();
            assert_eq!(
                (event.actor.as_str(), event.method.as_str()),
                ("crm", "crm/warning-sweep")
            );
            assert_eq!(event.resource, complaint.name);
            (
                event.kind,
                pb::WarningLevel::try_from(w.level).unwrap(),
                micros(&w.reached_time) - received,
            )
        };
        // 4 min of 10: nothing yet. At 6 min, yellow (reached at 5 min).
        advance(&s, 4 * MINUTE);
        tokio::time::sleep(every * 5).await;
        advance(&s, 2 * MINUTE);
        use pb::WarningLevel as L;
        assert_eq!(
            next().await,
            ("warning_raised".into(), L::Yellow, 5 * MINUTE * MICROS)
        );
        advance(&s, 2 * MINUTE);
        assert_eq!(
            next().await,
            ("warning_raised".into(), L::Orange, 450 * MICROS)
        );
        advance(&s, 3 * MINUTE);
        assert_eq!(
            next().await,
            ("warning_raised".into(), L::Red, 9 * MINUTE * MICROS)
        );
        assert_eq!(
            next().await,
            ("target_breached".into(), L::Breached, 10 * MINUTE * MICROS)
        );
        s.stop().await;
    }
}

/// Two servers on one PostgreSQL database sweeping at the same moments,
/// around the lease, still record each level of each complaint once.
#[tokio::test]
async fn two_servers_on_one_database_record_each_level_once() {
    let Some(a) = TestServer::postgres().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let b = TestServer::start_with(test_settings(a.database_url().unwrap())).await;
    create_policy(&a, policy("Resolve in 1 h", 1, &[], HOUR)).await;
    let mut names = Vec::new();
    for i in 0..12 {
        let server = if i % 2 == 0 { &a } else { &b };
        names.push(received_ago(server, 2 * HOUR).await.name);
    }
    let mut recorded = 0;
    let held = CancellationToken::new();
    for _ in 0..3 {
        let (x, y) = tokio::join!(
            a.services.complaints.sweep_warnings(2, &held),
            b.services.complaints.sweep_warnings(3, &held),
        );
        recorded += x.unwrap() + y.unwrap();
    }
    // The setups' own complaints were received now: 1 h away from yellow.
    assert_eq!(recorded, 12 * 4);
    for name in &names {
        assert_eq!(
            warning_steps(&steps(&a, name).await),
            [
                "WARNING_RAISED",
                "WARNING_RAISED",
                "WARNING_RAISED",
                "TARGET_BREACHED"
            ],
            "{name}"
        );
    }
    let events = crate::events::all_events(
        &a,
        "kind = \"warning_raised\" OR kind = \"target_breached\"",
    )
    .await;
    assert_eq!(events.len(), 12 * 4);
    b.stop().await;
    a.stop().await;
}

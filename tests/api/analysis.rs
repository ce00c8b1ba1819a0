//! AnalyzeComplaints against a data set whose every figure was worked out
//! by hand. One policy, around the clock: first response 1 h, resolution
//! 4 h, callback 2 h. B is the server's now when the test starts; ten
//! complaints are received in [B - 10 h, B) and handled "now" (just after
//! B), an eleventh exactly at B (outside), so each wall-clock time is its
//! received offset plus a few milliseconds:
//!
//! | complaint | category        | received | what happens                                         |
//! |-----------|-----------------|----------|------------------------------------------------------|
//! | d1        | DELIVERY        | B - 2 h  | contact (late), valid, resolved (on time), satisfied |
//! | d2        | DELIVERY        | B - 3 h  | valid, resolved, not satisfied, resolved again       |
//! | d3        | DELIVERY        | B - 5 h  | triaged invalid                                       |
//! | d4        | DELIVERY        | B - 6 h  | untouched (breached)                                  |
//! | p1        | PRODUCT_QUALITY | B - 30 m | contact (on time), valid, resolved, unreachable      |
//! | p2        | PRODUCT_QUALITY | B - 7 h  | valid, resolved late (root cause DESIGN), satisfied  |
//! | p3        | PRODUCT_QUALITY | B - 8 h  | valid, waits on the customer (breached)               |
//! | p4        | PRODUCT_QUALITY | B - 10 h | withdrawn (received exactly at the period's start)   |
//! | b1        | BILLING         | B - 4.5 h| valid, in progress (breached)                         |
//! | o1        | OTHER           | B - 15 m | untouched                                             |
//! | o2        | OTHER           | B        | outside the period: its end is excluded              |
//!
//! Open: d2, d4, p1, p3, b1, o1 = 6. Breached after the sweep (every open
//! one whose first response or resolution passed its target): d2 (no
//! contact in 3 h), d4, p3, b1 = 4.

use crm::pb;
use tokio_util::sync::CancellationToken;

use crate::complaints::{callback, create, resolve, setup, triage_valid};
use crate::support::*;

const MINUTE: i64 = 60 * 1_000_000;
const HOUR: i64 = 60 * MINUTE;

fn at(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

fn micros(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos) / 1000
}

fn duration_micros(d: &Option<prost_types::Duration>) -> Option<i64> {
    d.as_ref()
        .map(|d| d.seconds * 1_000_000 + i64::from(d.nanos) / 1000)
}

fn ratio(r: &Option<pb::Ratio>) -> (i64, i64) {
    let r = r.as_ref().expect("a ratio");
    assert_eq!(
        r.percent.is_some(),
        r.denominator != 0,
        "a percent exactly when the denominator is not 0: {r:?}"
    );
    (r.numerator, r.denominator)
}

struct Data {
    base: i64,
    complaints: Vec<(&'static str, pb::Complaint)>,
}

impl Data {
    fn get(&self, label: &str) -> &pb::Complaint {
        &self.complaints.iter().find(|(l, _)| *l == label).unwrap().1
    }
}

async fn seed(s: &TestServer) -> Data {
    use pb::complaint::Category as K;
    s.service_levels()
        .create_service_level_policy(pb::CreateServiceLevelPolicyRequest {
            service_level_policy: Some(pb::ServiceLevelPolicy {
                display_name: "Everything".into(),
                priority: 1,
                first_response_target: Some(prost_types::Duration {
                    seconds: 3600,
                    nanos: 0,
                }),
                resolution_target: Some(prost_types::Duration {
                    seconds: 4 * 3600,
                    nanos: 0,
                }),
                callback_target: Some(prost_types::Duration {
                    seconds: 2 * 3600,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    // B before the setup's own complaint, which is received after it.
    let base = s.services.clock.now().micros();
    let (customer, hotline, _) = setup(s).await;
    let plan: [(&str, K, i64); 11] = [
        ("d1", K::Delivery, 2 * HOUR),
        ("d2", K::Delivery, 3 * HOUR),
        ("d3", K::Delivery, 5 * HOUR),
        ("d4", K::Delivery, 6 * HOUR),
        ("p1", K::ProductQuality, 30 * MINUTE),
        ("p2", K::ProductQuality, 7 * HOUR),
        ("p3", K::ProductQuality, 8 * HOUR),
        ("p4", K::ProductQuality, 10 * HOUR),
        ("b1", K::Billing, 4 * HOUR + 30 * MINUTE),
        ("o1", K::Other, 15 * MINUTE),
        ("o2", K::Other, 0),
    ];
    let c = s.complaints();
    let mut complaints = Vec::new();
    for (label, category, ago) in plan {
        let mut request = create(&customer, &hotline);
        let body = request.complaint.as_mut().unwrap();
        body.category = category as i32;
        body.received_time = Some(at(base - ago));
        let complaint = c
            .clone()
            .create_complaint(request)
            .await
            .unwrap()
            .into_inner();
        complaints.push((label, complaint));
    }
    let data = Data { base, complaints };
    let name = |label: &str| data.get(label).name.clone();
    let mut c = c;
    let contact = |label: &str| pb::RecordCustomerContactRequest {
        name: name(label),
        channel: hotline.name.clone(),
        direction: pb::ContactDirection::Outbound as i32,
        contact_point_type: pb::contact_point::Type::Mobile as i32,
        contact_point_value: "+86 138 0000 0000".into(),
        summary: "called".into(),
        ..Default::default()
    };
    use pb::CallbackOutcome as O;
    // d1
    c.record_customer_contact(contact("d1")).await.unwrap();
    c.triage_complaint(triage_valid(&name("d1"))).await.unwrap();
    c.resolve_complaint(resolve(&name("d1"))).await.unwrap();
    c.record_callback(callback(&name("d1"), O::CallbackSatisfied))
        .await
        .unwrap();
    // d2
    c.triage_complaint(triage_valid(&name("d2"))).await.unwrap();
    c.resolve_complaint(resolve(&name("d2"))).await.unwrap();
    c.record_callback(callback(&name("d2"), O::CallbackNotSatisfied))
        .await
        .unwrap();
    c.resolve_complaint(resolve(&name("d2"))).await.unwrap();
    // d3
    c.triage_complaint(pb::TriageComplaintRequest {
        name: name("d3"),
        verdict: pb::validity::Verdict::Invalid as i32,
        invalid_reason: pb::InvalidReason::Duplicate as i32,
        explanation: "same as d1".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    // p1
    c.record_customer_contact(contact("p1")).await.unwrap();
    c.triage_complaint(triage_valid(&name("p1"))).await.unwrap();
    c.resolve_complaint(resolve(&name("p1"))).await.unwrap();
    c.record_callback(callback(&name("p1"), O::CallbackUnreachable))
        .await
        .unwrap();
    // p2
    c.triage_complaint(triage_valid(&name("p2"))).await.unwrap();
    let mut design = resolve(&name("p2"));
    design.root_cause.as_mut().unwrap().category = pb::root_cause::Category::Design as i32;
    c.resolve_complaint(design).await.unwrap();
    c.record_callback(callback(&name("p2"), O::CallbackSatisfied))
        .await
        .unwrap();
    // p3
    c.triage_complaint(triage_valid(&name("p3"))).await.unwrap();
    c.wait_on_customer(pb::WaitOnCustomerRequest {
        name: name("p3"),
        ..Default::default()
    })
    .await
    .unwrap();
    // p4
    c.withdraw_complaint(pb::WithdrawComplaintRequest {
        name: name("p4"),
        ..Default::default()
    })
    .await
    .unwrap();
    // b1
    c.triage_complaint(triage_valid(&name("b1"))).await.unwrap();
    s.services
        .complaints
        .sweep_warnings(100, &CancellationToken::new())
        .await
        .unwrap();
    // As they stand now.
    let mut fresh = Vec::new();
    for (label, complaint) in &data.complaints {
        let now = c
            .get_complaint(pb::GetComplaintRequest {
                name: complaint.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        fresh.push((*label, now));
    }
    Data {
        base,
        complaints: fresh,
    }
}

async fn analyze(
    s: &TestServer,
    (start, end): (i64, i64),
    group_by: pb::analyze_complaints_request::GroupBy,
    comparison: Option<(i64, i64)>,
) -> pb::AnalyzeComplaintsResponse {
    s.complaints()
        .analyze_complaints(pb::AnalyzeComplaintsRequest {
            start_time: Some(at(start)),
            end_time: Some(at(end)),
            group_by: group_by as i32,
            comparison_start_time: comparison.map(|c| at(c.0)),
            comparison_end_time: comparison.map(|c| at(c.1)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// Receipt to the first response, and to the latest resolution, of one
/// complaint, read from its own fields.
fn first_response_of(c: &pb::Complaint) -> i64 {
    micros(c.first_response_time.as_ref().unwrap()) - micros(c.received_time.as_ref().unwrap())
}

fn resolution_of(c: &pb::Complaint) -> i64 {
    micros(c.resolve_times.last().unwrap()) - micros(c.received_time.as_ref().unwrap())
}

db_tests! {
    async fn the_monthly_review_matches_the_figures_worked_out_by_hand(s) {
        use pb::analyze_complaints_request::GroupBy;
        let data = seed(&s).await;
        let b = data.base;
        let period = (b - 10 * HOUR, b);
        let answer = analyze(&s, period, GroupBy::Category, None).await;

        let all = answer.overall.unwrap();
        assert_eq!(all.complaints, 10, "o2 at the end is outside, p4 at the start inside");
        assert_eq!(ratio(&all.invalid_share), (1, 7));
        assert_eq!(ratio(&all.first_response_on_time), (1, 2));
        assert_eq!(ratio(&all.resolution_on_time), (3, 4));
        assert_eq!(ratio(&all.callback_on_time), (3, 3));
        assert_eq!(ratio(&all.reopen_rate), (1, 4));
        assert_eq!(ratio(&all.callback_rate), (3, 4));
        assert_eq!(ratio(&all.satisfied_at_first_callback), (2, 3));
        assert_eq!((all.open, all.breached), (6, 4));
        // First responses: p1 (30 min), d1 (2 h); n = 2: median rank 1, 90th rank 2.
        let fr = all.first_response_time.unwrap();
        assert_eq!(fr.count, 2);
        assert_eq!(duration_micros(&fr.median), Some(first_response_of(data.get("p1"))));
        assert_eq!(duration_micros(&fr.p90), Some(first_response_of(data.get("d1"))));
        // Latest resolutions: p1, d1, d2, p2; n = 4: median rank 2, 90th rank 4.
        let res = all.resolution_time.unwrap();
        assert_eq!(res.count, 4);
        assert_eq!(duration_micros(&res.median), Some(resolution_of(data.get("d1"))));
        assert_eq!(duration_micros(&res.p90), Some(resolution_of(data.get("p2"))));
        // Around the clock, business time is wall-clock time.
        assert_eq!(all.resolution_business_time, all.resolution_time);
        assert_eq!(all.first_response_business_time, all.first_response_time);

        // Pareto: a tie of 4 and 4 ordered by key, the cut exactly at 8 of 10.
        let groups: Vec<(String, i64, (i64, i64), bool)> = answer
            .groups
            .iter()
            .map(|g| {
                let f = g.figures.as_ref().unwrap();
                (g.key.clone(), f.complaints, ratio(&g.cumulative_share), g.vital_few)
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("DELIVERY".to_owned(), 4, (4, 10), true),
                ("PRODUCT_QUALITY".to_owned(), 4, (8, 10), true),
                ("BILLING".to_owned(), 1, (9, 10), false),
                ("OTHER".to_owned(), 1, (10, 10), false),
            ]
        );
        let figures = |key: &str| {
            answer.groups.iter().find(|g| g.key == key).unwrap().figures.unwrap()
        };
        let d = figures("DELIVERY");
        assert_eq!(ratio(&d.invalid_share), (1, 3));
        assert_eq!(ratio(&d.first_response_on_time), (0, 1));
        assert_eq!(ratio(&d.resolution_on_time), (2, 2));
        assert_eq!(ratio(&d.reopen_rate), (1, 2));
        assert_eq!(ratio(&d.satisfied_at_first_callback), (1, 2));
        assert_eq!((d.open, d.breached), (2, 2));
        let p = figures("PRODUCT_QUALITY");
        assert_eq!(ratio(&p.invalid_share), (0, 3));
        assert_eq!(ratio(&p.first_response_on_time), (1, 1));
        assert_eq!(ratio(&p.resolution_on_time), (1, 2));
        assert_eq!(ratio(&p.callback_rate), (1, 2));
        assert_eq!((p.open, p.breached), (2, 1));
        // A group with no resolved complaint: rates without a denominator.
        let billing = figures("BILLING");
        assert_eq!(ratio(&billing.reopen_rate), (0, 0));
        let res = billing.resolution_time.unwrap();
        assert_eq!((res.count, res.median, res.p90), (0, None, None));
        assert_eq!((billing.open, billing.breached), (1, 1));
        assert_eq!(ratio(&figures("OTHER").invalid_share), (0, 0));

        // The previous period of equal length is empty.
        assert_eq!(answer.comparison_start_time, Some(at(b - 20 * HOUR)));
        assert_eq!(answer.comparison_end_time, Some(at(b - 10 * HOUR)));
        assert_eq!(answer.comparison.unwrap().complaints, 0);
        let change = answer.change.unwrap();
        assert_eq!(change.complaints, 10);
        assert_eq!(change.invalid_share_points, None);

        // By root cause: the unresolved are one unspecified group.
        let by_cause = analyze(&s, period, GroupBy::RootCause, None).await;
        let causes: Vec<(String, bool, i64, bool)> = by_cause
            .groups
            .iter()
            .map(|g| (g.key.clone(), g.unspecified, g.figures.as_ref().unwrap().complaints, g.vital_few))
            .collect();
        assert_eq!(
            causes,
            [
                (String::new(), true, 6, true),
                ("MATERIAL_SUPPLIER".to_owned(), false, 3, true),
                ("DESIGN".to_owned(), false, 1, false),
            ]
        );

        // A named comparison: [B - 10 h, B - 6 h) holds p4, p3, p2 (d4 at
        // its end is outside).
        let named = analyze(&s, period, GroupBy::Unspecified, Some((b - 10 * HOUR, b - 6 * HOUR))).await;
        assert!(named.groups.is_empty());
        let comparison = named.comparison.unwrap();
        assert_eq!(comparison.complaints, 3);
        // p2 resolved late: 0 of 1 on time, against 3 of 4.
        assert_eq!(ratio(&comparison.resolution_on_time), (0, 1));
        assert_eq!(named.change.unwrap().resolution_on_time_points, Some(75.0));

        // An empty period is an answer.
        let empty = analyze(&s, (b + HOUR, b + 2 * HOUR), GroupBy::Category, None).await;
        let overall = empty.overall.unwrap();
        assert_eq!((overall.complaints, overall.open), (0, 0));
        assert_eq!(ratio(&overall.invalid_share), (0, 0));
        assert!(empty.groups.is_empty());
    }

    async fn a_bad_analysis_request_names_each_field(s) {
        let status = s
            .complaints()
            .analyze_complaints(pb::AnalyzeComplaintsRequest {
                start_time: Some(at(10 * HOUR)),
                end_time: Some(at(10 * HOUR)),
                filter: "colour = RED".into(),
                group_by: 99,
                comparison_start_time: Some(at(0)),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            violated_fields(&status),
            ["end_time", "comparison_end_time", "filter", "group_by"]
        );
    }
}

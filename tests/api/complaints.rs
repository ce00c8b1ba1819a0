//! ComplaintService through the real server: intake checks, every
//! transition allowed and refused, idempotent retries, stale etags, the
//! history (steps) beside the event log, lists, and the customer delete
//! that open complaints refuse.

use std::time::Duration;

use crm::pb;
use prost_types::FieldMask;
use tonic::Code;
use tonic_types::StatusExt;

use crate::events::all_events;
use crate::support::*;

/// A strategic customer with a mobile number, an active hotline, and a
/// complaint received from them.
pub async fn setup(s: &TestServer) -> (pb::Customer, pb::Channel, pb::Complaint) {
    let mut c = customer("Complaining Ltd");
    c.tier = pb::customer::Tier::Strategic as i32;
    c.geography = Some(pb::Geography {
        country: "CN".into(),
        sales_region: "EAST".into(),
        ..Default::default()
    });
    c.contact_points = vec![pb::ContactPoint {
        r#type: pb::contact_point::Type::Mobile as i32,
        value: "+86 138 0000 0000".into(),
        ..Default::default()
    }];
    let c = create_customer(s, c).await;
    let h = s
        .channels()
        .create_channel(pb::CreateChannelRequest {
            channel: Some(channel("Hotline")),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let complaint = s
        .complaints()
        .create_complaint(create(&c, &h))
        .await
        .unwrap()
        .into_inner();
    (c, h, complaint)
}

pub fn create(c: &pb::Customer, h: &pb::Channel) -> pb::CreateComplaintRequest {
    pb::CreateComplaintRequest {
        complaint: Some(pb::Complaint {
            customer: c.name.clone(),
            intake_channel: h.name.clone(),
            category: pb::complaint::Category::ProductQuality as i32,
            severity: pb::complaint::Severity::High as i32,
            subject: "Kettle leaks".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

pub fn triage_valid(name: &str) -> pb::TriageComplaintRequest {
    pb::TriageComplaintRequest {
        name: name.into(),
        verdict: pb::validity::Verdict::Valid as i32,
        handling_department: "Quality".into(),
        ..Default::default()
    }
}

pub fn resolve(name: &str) -> pb::ResolveComplaintRequest {
    pb::ResolveComplaintRequest {
        name: name.into(),
        remedy: Some(pb::Remedy {
            kind: pb::remedy::Kind::ExchangeReturn as i32,
            ..Default::default()
        }),
        root_cause: Some(pb::RootCause {
            category: pb::root_cause::Category::MaterialSupplier as i32,
            detail: "seal".into(),
        }),
        ..Default::default()
    }
}

pub fn callback(name: &str, outcome: pb::CallbackOutcome) -> pb::RecordCallbackRequest {
    pb::RecordCallbackRequest {
        name: name.into(),
        outcome: outcome as i32,
        ..Default::default()
    }
}

pub fn noted(name: &str) -> (String, String) {
    (name.to_owned(), String::new())
}

pub async fn steps(s: &TestServer, name: &str) -> Vec<pb::ComplaintStep> {
    let (mut all, mut token) = (Vec::new(), String::new());
    loop {
        let page = s
            .complaints()
            .list_complaint_steps(pb::ListComplaintStepsRequest {
                parent: name.into(),
                page_size: 2,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        all.extend(page.steps);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
}

pub fn kinds(steps: &[pb::ComplaintStep]) -> Vec<String> {
    steps
        .iter()
        .map(|s| {
            pb::complaint_step::Kind::try_from(s.kind)
                .unwrap()
                .as_str_name()
                .to_owned()
        })
        .collect()
}

fn state(c: &pb::Complaint) -> pb::complaint::State {
    pb::complaint::State::try_from(c.state).unwrap()
}

/// The PreconditionFailure subject of a refused transition.
fn refused_subject(status: &tonic::Status) -> String {
    let failure = status
        .get_details_precondition_failure()
        .expect("PreconditionFailure");
    failure.violations[0].subject.clone()
}

db_tests! {
    async fn a_complaint_points_at_one_of_its_customers_live_purchases(s) {
        let (c, h, _) = setup(&s).await;
        let other = create_customer(&s, customer("Someone else")).await;
        let bought = crate::purchases::record(&s, &c.name, crate::purchases::purchase("K-1", 100, 1)).await;
        let theirs = crate::purchases::record(&s, &other.name, crate::purchases::purchase("K-2", 50, 2)).await;
        let with = |purchase: &str| {
            let mut request = create(&c, &h);
            request.complaint.as_mut().unwrap().purchase = purchase.into();
            request
        };
        let ok = s.complaints().create_complaint(with(&bought.name)).await.unwrap().into_inner();
        assert_eq!(ok.purchase, bought.name);

        let bad = |status: tonic::Status| (status.code(), violations(&status));
        let not_a_name = s.complaints().create_complaint(with("order 42")).await.unwrap_err();
        assert_eq!(bad(not_a_name).1[0].0, "complaint.purchase");
        let not_theirs = s.complaints().create_complaint(with(&theirs.name)).await.unwrap_err();
        assert_eq!(
            bad(not_theirs),
            (Code::InvalidArgument, vec![("complaint.purchase".to_owned(), "must be a purchase of the complaint's customer".to_owned())])
        );
        let missing = format!("{}/purchases/01a24269-0000-7000-8000-000000000000", c.name);
        let nothing = s.complaints().create_complaint(with(&missing)).await.unwrap_err();
        assert_eq!(bad(nothing), (Code::InvalidArgument, vec![("complaint.purchase".to_owned(), "names no purchase".to_owned())]));
        s.purchases()
            .delete_purchase(pb::DeletePurchaseRequest { name: bought.name.clone(), ..Default::default() })
            .await
            .unwrap();
        let deleted = s.complaints().create_complaint(with(&bought.name)).await.unwrap_err();
        assert_eq!(bad(deleted), (Code::InvalidArgument, vec![("complaint.purchase".to_owned(), "is deleted".to_owned())]));
    }

    async fn a_complaint_goes_from_receipt_through_a_reopen_to_a_satisfied_close(s) {
        let (customer, _, c) = setup(&s).await;
        assert_eq!(state(&c), pb::complaint::State::Received);
        assert_eq!(c.customer_tier, pb::customer::Tier::Strategic as i32, "segment copied");
        assert_eq!(c.customer_sales_region, "EAST");
        assert!(c.received_time.is_some(), "received now by default");
        let mut api = s.complaints();
        let n = c.name.clone();
        let c = api.triage_complaint(triage_valid(&n)).await.unwrap().into_inner();
        assert_eq!((state(&c), c.handling_department.as_str()), (pb::complaint::State::InProgress, "Quality"));
        let c = api.assign_complaint(pb::AssignComplaintRequest {
            name: n.clone(),
            supplier: Some(pb::Supplier { display_name: "Seals Inc".into(), reference: "S-1".into() }),
            ..Default::default()
        }).await.unwrap().into_inner();
        assert_eq!(c.supplier.as_ref().unwrap().display_name, "Seals Inc");
        let c = api.record_customer_contact(pb::RecordCustomerContactRequest {
            name: n.clone(),
            channel: c.intake_channel.clone(),
            direction: pb::ContactDirection::Outbound as i32,
            contact_point_type: pb::contact_point::Type::Mobile as i32,
            contact_point_value: "+86 138 0000 0000".into(),
            summary: "apologised, exchange offered".into(),
            ..Default::default()
        }).await.unwrap().into_inner();
        assert!(c.first_response_time.is_some());
        let c = api.resolve_complaint(resolve(&n)).await.unwrap().into_inner();
        assert_eq!(state(&c), pb::complaint::State::Resolved);
        let mut unhappy = callback(&n, pb::CallbackOutcome::CallbackNotSatisfied);
        unhappy.satisfaction_level = pb::SatisfactionLevel::Dissatisfied as i32;
        let c = api.record_callback(unhappy).await.unwrap().into_inner();
        assert_eq!((state(&c), c.reopen_count), (pb::complaint::State::InProgress, 1), "reopened");
        let c = api.resolve_complaint(resolve(&n)).await.unwrap().into_inner();
        assert_eq!(c.resolve_times.len(), 2);
        let mut happy = callback(&n, pb::CallbackOutcome::CallbackSatisfied);
        happy.satisfaction_level = pb::SatisfactionLevel::VerySatisfied as i32;
        let c = api.record_callback(happy).await.unwrap().into_inner();
        assert_eq!(state(&c), pb::complaint::State::Closed);
        assert_eq!(c.closure_reason, pb::complaint::ClosureReason::Satisfied as i32);
        assert_eq!(c.callback_count, 2);
        assert!(c.close_time.is_some());

        let history = steps(&s, &n).await;
        assert_eq!(kinds(&history), [
            "RECEIVED", "TRIAGED", "ASSIGNED", "CUSTOMER_CONTACTED", "RESOLVED",
            "CALLBACK_RECORDED", "RESOLVED", "CALLBACK_RECORDED",
        ]);
        let numbers: Vec<i32> = history.iter().map(|s| s.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8]);
        use pb::complaint::State as S;
        let moves: Vec<(i32, i32)> = history.iter().map(|s| (s.state_before, s.state_after)).collect();
        assert_eq!(moves, [
            (0, S::Received as i32), (S::Received as i32, S::InProgress as i32),
            (S::InProgress as i32, S::InProgress as i32), (S::InProgress as i32, S::InProgress as i32),
            (S::InProgress as i32, S::Resolved as i32), (S::Resolved as i32, S::InProgress as i32),
            (S::InProgress as i32, S::Resolved as i32), (S::Resolved as i32, S::Closed as i32),
        ]);
        assert!(history[2].decision.contains("supplier Seals Inc"), "{}", history[2].decision);
        assert!(history[7].decision.contains("VERY_SATISFIED"), "{}", history[7].decision);

        let events = all_events(&s, &format!("resource = \"{n}\"")).await;
        let event_kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(event_kinds, [
            "created", "triaged", "assigned", "customer_contacted", "resolved",
            "callback_recorded", "resolved", "callback_recorded",
        ]);
        let Some(pb::event::ResourceSnapshot::Complaint(last)) = &events[7].resource_snapshot else {
            panic!("a complaint snapshot");
        };
        assert_eq!(last.state, S::Closed as i32);

        // The closed complaint takes no transition; the customer may now go.
        let status = expect_code(api.withdraw_complaint(pb::WithdrawComplaintRequest { name: n.clone(), ..Default::default() }).await, Code::FailedPrecondition);
        assert_eq!(refused_subject(&status), "state CLOSED");
        assert!(status.message().contains("WithdrawComplaint"), "{}", status.message());
        s.customers().delete_customer(pb::DeleteCustomerRequest { name: customer.name, ..Default::default() }).await.unwrap();
    }

    async fn invalid_withdrawn_and_unreachable_complaints_close_with_their_reasons(s) {
        let (customer, h, c) = setup(&s).await;
        let mut api = s.complaints();
        let status = expect_code(api.triage_complaint(pb::TriageComplaintRequest {
            name: c.name.clone(), verdict: pb::validity::Verdict::Invalid as i32, ..Default::default()
        }).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["invalid_reason", "explanation"]);
        let invalid = api.triage_complaint(pb::TriageComplaintRequest {
            name: c.name.clone(), verdict: pb::validity::Verdict::Invalid as i32,
            invalid_reason: pb::InvalidReason::OutsideWarranty as i32,
            explanation: "the warranty ended in 2024".into(), ..Default::default()
        }).await.unwrap().into_inner();
        assert_eq!(invalid.closure_reason, pb::complaint::ClosureReason::Invalid as i32);
        assert_eq!(invalid.validity.as_ref().unwrap().explanation, "the warranty ended in 2024");

        let second = api.create_complaint(create(&customer, &h)).await.unwrap().into_inner();
        let (name, note) = noted(&second.name);
        let withdrawn = api.withdraw_complaint(pb::WithdrawComplaintRequest { name, note, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(withdrawn.closure_reason, pb::complaint::ClosureReason::Withdrawn as i32);

        let third = api.create_complaint(create(&customer, &h)).await.unwrap().into_inner();
        let n = third.name.clone();
        api.triage_complaint(triage_valid(&n)).await.unwrap();
        api.resolve_complaint(resolve(&n)).await.unwrap();
        for attempt in 0..3 {
            let status = expect_code(api.close_complaint(pb::CloseComplaintRequest { name: n.clone(), ..Default::default() }).await, Code::FailedPrecondition);
            assert_eq!(refused_subject(&status), "state RESOLVED");
            assert!(status.message().contains(&format!("there were {attempt}")), "{}", status.message());
            let c = api.record_callback(callback(&n, pb::CallbackOutcome::CallbackUnreachable)).await.unwrap().into_inner();
            assert_eq!(state(&c), pb::complaint::State::Resolved);
        }
        let closed = api.close_complaint(pb::CloseComplaintRequest { name: n.clone(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(closed.closure_reason, pb::complaint::ClosureReason::Unreachable as i32);
        assert_eq!(closed.callback_count, 0, "unreachable attempts are not callbacks");
        assert_eq!(kinds(&steps(&s, &n).await).last().unwrap(), "CLOSED");
    }

    async fn every_transition_is_refused_from_a_state_that_does_not_allow_it(s) {
        let (_, _, c) = setup(&s).await;
        let n = c.name.clone();
        let mut api = s.complaints();
        let refused = |r: Result<tonic::Response<pb::Complaint>, tonic::Status>, state: &str, method: &str| {
            let status = expect_code(r, Code::FailedPrecondition);
            assert_eq!(reason(&status), "INVALID_STATE");
            assert_eq!(refused_subject(&status), format!("state {state}"));
            assert!(status.message().contains(method), "{}", status.message());
        };
        // From RECEIVED.
        refused(api.wait_on_customer(pb::WaitOnCustomerRequest { name: n.clone(), ..Default::default() }).await, "RECEIVED", "WaitOnCustomer");
        refused(api.resume_complaint(pb::ResumeComplaintRequest { name: n.clone(), ..Default::default() }).await, "RECEIVED", "ResumeComplaint");
        refused(api.resolve_complaint(resolve(&n)).await, "RECEIVED", "ResolveComplaint");
        refused(api.record_callback(callback(&n, pb::CallbackOutcome::CallbackSatisfied)).await, "RECEIVED", "RecordCallback");
        refused(api.close_complaint(pb::CloseComplaintRequest { name: n.clone(), ..Default::default() }).await, "RECEIVED", "CloseComplaint");
        // From RESOLVED, triage is refused.
        api.triage_complaint(triage_valid(&n)).await.unwrap();
        api.wait_on_customer(pb::WaitOnCustomerRequest { name: n.clone(), ..Default::default() }).await.unwrap();
        api.resume_complaint(pb::ResumeComplaintRequest { name: n.clone(), ..Default::default() }).await.unwrap();
        api.resolve_complaint(resolve(&n)).await.unwrap();
        refused(api.triage_complaint(triage_valid(&n)).await, "RESOLVED", "TriageComplaint");
        // From CLOSED, everything is refused, the steps stay as they were.
        api.withdraw_complaint(pb::WithdrawComplaintRequest { name: n.clone(), ..Default::default() }).await.unwrap();
        let before = steps(&s, &n).await.len();
        refused(api.assign_complaint(pb::AssignComplaintRequest { name: n.clone(), assignee: "li".into(), ..Default::default() }).await, "CLOSED", "AssignComplaint");
        refused(api.record_customer_contact(pb::RecordCustomerContactRequest {
            name: n.clone(), channel: c.intake_channel.clone(), direction: 1, contact_point_type: pb::contact_point::Type::Mobile as i32,
            contact_point_value: "+86 138 0000 0000".into(), summary: "hello".into(), ..Default::default()
        }).await, "CLOSED", "RecordCustomerContact");
        refused(api.withdraw_complaint(pb::WithdrawComplaintRequest { name: n.clone(), ..Default::default() }).await, "CLOSED", "WithdrawComplaint");
        refused(api.triage_complaint(triage_valid(&n)).await, "CLOSED", "TriageComplaint");
        assert_eq!(steps(&s, &n).await.len(), before, "a refusal writes no step");
    }

    async fn a_retried_transition_returns_its_first_result_and_appends_no_second_step(s) {
        let (customer, h, c) = setup(&s).await;
        let n = c.name.clone();
        let mut api = s.complaints();
        let id = || uuid::Uuid::new_v4().to_string();
        macro_rules! twice {
            ($method:ident, $request:expr) => {{
                let request = $request;
                let first = api.$method(request.clone()).await.unwrap().into_inner();
                let count = steps(&s, &first.name).await.len();
                let again = api.$method(request).await.unwrap().into_inner();
                assert_eq!(again, first, "{}", stringify!($method));
                assert_eq!(steps(&s, &first.name).await.len(), count, "{}", stringify!($method));
                first
            }};
        }
        twice!(triage_complaint, pb::TriageComplaintRequest { request_id: id(), ..triage_valid(&n) });
        twice!(assign_complaint, pb::AssignComplaintRequest { name: n.clone(), assignee: "wang".into(), request_id: id(), ..Default::default() });
        twice!(record_customer_contact, pb::RecordCustomerContactRequest {
            name: n.clone(), channel: h.name.clone(), direction: 2, contact_point_type: pb::contact_point::Type::Mobile as i32,
            contact_point_value: "+86 138 0000 0000".into(), summary: "called".into(), request_id: id(), ..Default::default()
        });
        twice!(wait_on_customer, pb::WaitOnCustomerRequest { name: n.clone(), request_id: id(), ..Default::default() });
        twice!(resume_complaint, pb::ResumeComplaintRequest { name: n.clone(), request_id: id(), ..Default::default() });
        twice!(resolve_complaint, pb::ResolveComplaintRequest { request_id: id(), ..resolve(&n) });
        for _ in 0..3 {
            twice!(record_callback, pb::RecordCallbackRequest { request_id: id(), ..callback(&n, pb::CallbackOutcome::CallbackUnreachable) });
        }
        twice!(close_complaint, pb::CloseComplaintRequest { name: n.clone(), request_id: id(), ..Default::default() });
        let other = api.create_complaint(create(&customer, &h)).await.unwrap().into_inner();
        twice!(withdraw_complaint, pb::WithdrawComplaintRequest { name: other.name.clone(), request_id: id(), ..Default::default() });
        let created = twice!(create_complaint, pb::CreateComplaintRequest { request_id: id(), ..create(&customer, &h) });
        assert_eq!(kinds(&steps(&s, &created.name).await), ["RECEIVED"]);
    }

    async fn a_stale_etag_on_a_transition_is_aborted_and_changes_nothing(s) {
        let (_, _, c) = setup(&s).await;
        let mut api = s.complaints();
        let triaged = api.triage_complaint(pb::TriageComplaintRequest { etag: c.etag.clone(), ..triage_valid(&c.name) }).await.unwrap().into_inner();
        let status = expect_code(api.wait_on_customer(pb::WaitOnCustomerRequest { name: c.name.clone(), etag: c.etag.clone(), ..Default::default() }).await, Code::Aborted);
        assert_eq!(reason(&status), "ETAG_MISMATCH");
        let read = api.get_complaint(pb::GetComplaintRequest { name: c.name.clone() }).await.unwrap().into_inner();
        assert_eq!(read, triaged);
        assert_eq!(steps(&s, &c.name).await.len(), 2);
    }

    async fn bad_intake_and_bad_transition_parts_are_named(s) {
        let (customer, h, c) = setup(&s).await;
        let mut api = s.complaints();
        let mut unknown = create(&customer, &h);
        let complaint = unknown.complaint.as_mut().unwrap();
        complaint.customer = format!("customers/{}", uuid::Uuid::now_v7());
        complaint.received_time = Some(prost_types::Timestamp { seconds: 4_000_000_000, nanos: 0 });
        let status = expect_code(api.create_complaint(unknown).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["complaint.customer", "complaint.received_time"]);

        let inactive = s.channels().update_channel(pb::UpdateChannelRequest {
            channel: Some(pb::Channel { name: h.name.clone(), active: Some(false), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["active".into()] }),
            request_id: String::new(),
        }).await.unwrap().into_inner();
        let status = expect_code(api.create_complaint(create(&customer, &inactive)).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["complaint.intake_channel"]);

        let mut letter = create(&customer, &h);
        letter.complaint.as_mut().unwrap().received_time = Some(prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 });
        // The channel is inactive now: the letter's back-entry is refused too,
        // and nothing was written by any refusal.
        expect_code(api.create_complaint(letter).await, Code::InvalidArgument);
        let listed = api.list_complaints(pb::ListComplaintsRequest::default()).await.unwrap().into_inner();
        assert_eq!(listed.complaints.len(), 1);

        api.triage_complaint(triage_valid(&c.name)).await.unwrap();
        let status = expect_code(api.resolve_complaint(pb::ResolveComplaintRequest { remedy: None, ..resolve(&c.name) }).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["remedy"]);
        let mut compensation = resolve(&c.name);
        compensation.remedy.as_mut().unwrap().kind = pb::remedy::Kind::Compensation as i32;
        let status = expect_code(api.resolve_complaint(compensation).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["remedy.amount_minor", "remedy.currency"]);
        let status = expect_code(api.record_customer_contact(pb::RecordCustomerContactRequest {
            name: c.name.clone(), channel: h.name.clone(), direction: 1, contact_point_type: pb::contact_point::Type::Email as i32,
            contact_point_value: "who@example.com".into(), summary: "hi".into(), ..Default::default()
        }).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["contact_point_value"]);
        let before = steps(&s, &c.name).await.len();
        let status = expect_code(api.record_customer_contact(pb::RecordCustomerContactRequest {
            name: c.name.clone(), channel: format!("channels/{}", uuid::Uuid::now_v7()), direction: 1,
            contact_point_type: pb::contact_point::Type::Mobile as i32,
            contact_point_value: "+86 138 0000 0000".into(), summary: "hi".into(), ..Default::default()
        }).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["channel"]);
        assert_eq!(steps(&s, &c.name).await.len(), before, "a refused contact writes no step");
        // The customer's number, written another way, is still theirs.
        api.record_customer_contact(pb::RecordCustomerContactRequest {
            name: c.name.clone(), channel: h.name.clone(), direction: 1,
            contact_point_type: pb::contact_point::Type::Mobile as i32,
            contact_point_value: "+8613800000000".into(), summary: "hi".into(), ..Default::default()
        }).await.expect("the same number in E.164");
        api.resolve_complaint(resolve(&c.name)).await.unwrap();
        let mut disagreeing = callback(&c.name, pb::CallbackOutcome::CallbackSatisfied);
        disagreeing.satisfaction_level = pb::SatisfactionLevel::Neutral as i32;
        let status = expect_code(api.record_callback(disagreeing).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["satisfaction_level"]);
    }

    async fn an_update_changes_descriptive_fields_and_a_reclassification_is_a_step(s) {
        let (customer, _, c) = setup(&s).await;
        let mut api = s.complaints();
        let update = |paths: &[&str], complaint: pb::Complaint| pb::UpdateComplaintRequest {
            complaint: Some(pb::Complaint { name: c.name.clone(), ..complaint }),
            update_mask: Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
            request_id: String::new(),
        };
        let renamed = api.update_complaint(update(&["subject"], pb::Complaint { subject: "Kettle leaks badly".into(), ..Default::default() })).await.unwrap().into_inner();
        assert_eq!(renamed.subject, "Kettle leaks badly");
        assert_eq!(kinds(&steps(&s, &c.name).await), ["RECEIVED"], "a subject is no step");
        api.update_complaint(update(&["category", "severity"], pb::Complaint {
            category: pb::complaint::Category::Delivery as i32, severity: pb::complaint::Severity::Critical as i32, ..Default::default()
        })).await.unwrap();
        let history = steps(&s, &c.name).await;
        assert_eq!(kinds(&history), ["RECEIVED", "RECLASSIFIED"]);
        assert_eq!(history[1].decision, "category PRODUCT_QUALITY -> DELIVERY; severity HIGH -> CRITICAL");

        let status = expect_code(api.update_complaint(update(&["state"], pb::Complaint { state: 5, ..Default::default() })).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["update_mask"]);
        let other = create_customer(&s, crate::support::customer("Someone Else")).await;
        let status = expect_code(api.update_complaint(update(&["customer"], pb::Complaint { customer: other.name, ..Default::default() })).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["complaint.customer"]);
        let _ = customer;
    }

    async fn lists_filter_by_state_segment_customer_and_labels(s) {
        let (customer, h, c) = setup(&s).await;
        let mut api = s.complaints();
        let plain = create_customer(&s, crate::support::customer("Plain Ltd")).await;
        let mut other = create(&plain, &h);
        other.complaint.as_mut().unwrap().labels = [("batch".to_string(), "b7".to_string())].into();
        let other = api.create_complaint(other).await.unwrap().into_inner();
        api.triage_complaint(triage_valid(&c.name)).await.unwrap();
        let names = |filter: &str| {
            let mut api = s.complaints();
            let filter = filter.to_owned();
            async move {
                api.list_complaints(pb::ListComplaintsRequest { filter, ..Default::default() }).await.unwrap().into_inner()
                    .complaints.into_iter().map(|c| c.name).collect::<Vec<_>>()
            }
        };
        assert_eq!(names("customer_tier = STRATEGIC").await, vec![c.name.clone()]);
        assert_eq!(names("state = RECEIVED").await, vec![other.name.clone()]);
        assert_eq!(names(&format!("customer = \"{}\"", customer.name)).await, vec![c.name.clone()]);
        assert_eq!(names("handling_department = \"Quality\" AND severity = HIGH AND validity = VALID").await, vec![c.name.clone()]);
        assert_eq!(names("labels.batch = \"b7\"").await, vec![other.name.clone()]);
        assert_eq!(names("customer_sales_region : \"eas\"").await, vec![c.name.clone()]);
        let status = expect_code(api.list_complaints(pb::ListComplaintsRequest { filter: "subject = \"x\"".into(), ..Default::default() }).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["filter"]);
        let ordered = api.list_complaints(pb::ListComplaintsRequest { order_by: "received_time".into(), page_size: 1, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(ordered.complaints[0].name, c.name);
        assert!(!ordered.next_page_token.is_empty());
    }

    async fn a_customer_with_open_complaints_cannot_be_deleted(s) {
        let (customer, h, c) = setup(&s).await;
        let delete = || pb::DeleteCustomerRequest { name: customer.name.clone(), ..Default::default() };
        let status = expect_code(s.customers().delete_customer(delete()).await, Code::FailedPrecondition);
        assert_eq!(reason(&status), "OPEN_COMPLAINTS");
        assert!(status.message().contains(&c.name), "{}", status.message());
        s.complaints().withdraw_complaint(pb::WithdrawComplaintRequest { name: c.name.clone(), ..Default::default() }).await.unwrap();
        s.customers().delete_customer(delete()).await.unwrap();
        let status = expect_code(s.complaints().create_complaint(create(&customer, &h)).await, Code::InvalidArgument);
        assert_eq!(violations(&status), [("complaint.customer".to_owned(), "is deleted".to_owned())]);
    }

    async fn steps_outlive_the_events_that_retention_removes(s) {
        let (_, _, c) = setup(&s).await;
        s.complaints().triage_complaint(triage_valid(&c.name)).await.unwrap();
        s.services.clock.advance(Duration::from_secs(31 * 24 * 3600));
        let cleaned = s.services.housekeeping().await.unwrap();
        assert!(cleaned.events > 0, "{cleaned:?}");
        assert!(all_events(&s, &format!("resource = \"{}\"", c.name)).await.is_empty());
        assert_eq!(kinds(&steps(&s, &c.name).await), ["RECEIVED", "TRIAGED"]);
    }
}

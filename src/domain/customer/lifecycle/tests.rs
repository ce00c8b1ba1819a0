//! Every stage and instant here was worked out by hand from the rule of
//! DOMAIN.md section 5 and the calendar.

use super::*;
use LifecycleStage::*;

fn at(text: &str) -> Timestamp {
    let t = DateTime::parse_from_rfc3339(text).unwrap();
    Timestamp(t.timestamp_micros())
}

fn days(n: i64) -> i64 {
    n * DAY_MICROS
}

const SECOND: i64 = 1_000_000;
const UTC: Tz = chrono_tz::UTC;

fn history(times: &[&str]) -> PurchaseHistory {
    let times: Vec<Timestamp> = times.iter().map(|t| at(t)).collect();
    PurchaseHistory::of(&times, UTC)
}

#[test]
fn a_customer_who_never_bought_is_a_prospect_until_a_purchase() {
    let never = history(&[]);
    let now = at("2026-12-04T10:00:00Z");
    assert_eq!(
        evaluate(&never, UTC, now),
        Lifecycle {
            stage: Prospect,
            next_change: None
        }
    );
}

#[test]
fn at_risk_from_exactly_180_days_and_lost_from_exactly_365() {
    let once = history(&["2026-01-10T12:00:00Z"]);
    let last = at("2026-01-10T12:00:00Z");
    let stage_at = |micros| stage(&once, UTC, last.plus_micros(micros));
    assert_eq!(stage_at(0), Active);
    assert_eq!(stage_at(days(180) - SECOND), Active, "179 days 23:59:59");
    assert_eq!(stage_at(days(180)), AtRisk, "180 days exactly");
    assert_eq!(stage_at(days(365) - SECOND), AtRisk, "364 days 23:59:59");
    assert_eq!(stage_at(days(365)), Lost, "365 days exactly");
    assert_eq!(stage_at(days(3650)), Lost);
    // 180 days after 2026-01-10T12:00Z is 2026-07-09T12:00Z; 365 days is
    // 2027-01-10T12:00Z (2026 is not a leap year).
    let active = evaluate(&once, UTC, last.plus_micros(days(3)));
    assert_eq!(active.next_change, Some(at("2026-07-09T12:00:00Z")));
    let at_risk = evaluate(&once, UTC, at("2026-07-09T12:00:00Z"));
    assert_eq!(at_risk.stage, AtRisk);
    assert_eq!(at_risk.next_change, Some(at("2027-01-10T12:00:00Z")));
    let lost = evaluate(&once, UTC, at("2027-01-10T12:00:00Z"));
    assert_eq!((lost.stage, lost.next_change), (Lost, None));
}

#[test]
fn a_purchase_a_little_ahead_of_the_clock_counts_as_today() {
    let once = history(&["2026-01-10T12:00:05Z"]);
    assert_eq!(stage(&once, UTC, at("2026-01-10T12:00:00Z")), Active);
}

#[test]
fn a_purchase_after_the_customer_was_lost_wins_them_back_until_180_days_pass() {
    // 2024-01-01 to 2025-03-01 is 425 days: lost when the second was made.
    let back = history(&["2024-01-01T09:00:00Z", "2025-03-01T09:00:00Z"]);
    assert!(back.won_back);
    let now = at("2025-03-10T09:00:00Z");
    assert_eq!(
        evaluate(&back, UTC, now),
        Lifecycle {
            stage: WonBack,
            next_change: Some(at("2025-08-28T09:00:00Z")),
        },
        "2025-03-01 + 180 days is 2025-08-28"
    );
    assert_eq!(stage(&back, UTC, at("2025-08-28T08:59:59Z")), WonBack);
    assert_eq!(stage(&back, UTC, at("2025-08-28T09:00:00Z")), AtRisk);
    // A later purchase keeps the run going: still won back, from it.
    let again = history(&[
        "2024-01-01T09:00:00Z",
        "2025-03-01T09:00:00Z",
        "2025-05-01T09:00:00Z",
    ]);
    assert_eq!(stage(&again, UTC, at("2025-10-01T09:00:00Z")), WonBack);
    // Exactly 365 days apart is lost too (2024 is a leap year: 2024-01-01
    // + 365 days is 2024-12-31).
    let edge = history(&["2024-01-01T09:00:00Z", "2024-12-31T09:00:00Z"]);
    assert_eq!(stage(&edge, UTC, at("2025-01-01T09:00:00Z")), WonBack);
    let short = history(&["2024-01-01T09:00:00Z", "2024-12-31T08:59:59Z"]);
    assert_eq!(stage(&short, UTC, at("2025-01-01T09:00:00Z")), Active);
}

#[test]
fn won_back_ends_when_the_customer_is_at_risk_again() {
    // Won back on 2025-03-01, then 200 days without a purchase (at risk),
    // then a purchase on 2025-09-17: active like anyone else.
    let later = history(&[
        "2024-01-01T09:00:00Z",
        "2025-03-01T09:00:00Z",
        "2025-09-17T09:00:00Z",
    ]);
    assert!(!later.won_back);
    assert_eq!(stage(&later, UTC, at("2025-09-20T09:00:00Z")), Active);
}

#[test]
fn loyal_counts_the_last_eight_quarters_across_a_year_boundary() {
    // Quarters 2024Q3, 2024Q4, 2025Q1, 2025Q2, 2025Q3 and 2026Q1; no gap
    // reaches 180 days (2025-08-15 to 2026-01-10 is 148).
    let loyal = history(&[
        "2024-09-20T10:00:00Z",
        "2024-12-15T10:00:00Z",
        "2025-02-15T10:00:00Z",
        "2025-05-15T10:00:00Z",
        "2025-08-15T10:00:00Z",
        "2026-01-10T10:00:00Z",
    ]);
    // On 2026-02-01 the window is 2024Q2..2026Q1: six quarters hold one.
    let now = at("2026-02-01T00:00:00Z");
    // From 2026-04-01 it is 2024Q3..2026Q2, still six; from 2026-07-01 it
    // is 2024Q4..2026Q3, five: active, before 2026-07-09 (180 days).
    assert_eq!(
        evaluate(&loyal, UTC, now),
        Lifecycle {
            stage: Loyal,
            next_change: Some(at("2026-07-01T00:00:00Z")),
        }
    );
    assert_eq!(stage(&loyal, UTC, at("2026-06-30T23:59:59Z")), Loyal);
    assert_eq!(
        evaluate(&loyal, UTC, at("2026-07-01T00:00:00Z")),
        Lifecycle {
            stage: Active,
            next_change: Some(at("2026-07-09T10:00:00Z")),
        }
    );
    // Five quarters is not enough: without 2024Q3 the customer is active.
    let five = history(&[
        "2024-12-15T10:00:00Z",
        "2025-02-15T10:00:00Z",
        "2025-05-15T10:00:00Z",
        "2025-08-15T10:00:00Z",
        "2026-01-10T10:00:00Z",
    ]);
    assert_eq!(stage(&five, UTC, now), Active);
}

#[test]
fn quarters_are_the_organisations_calendar_quarters() {
    let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
    let new_year_eve = at("2025-12-31T20:00:00Z");
    assert_eq!(quarter_of(new_year_eve, UTC), 2025 * 4 + 3);
    assert_eq!(
        quarter_of(new_year_eve, shanghai),
        2026 * 4,
        "04:00 on 1 January in Shanghai"
    );
    assert_eq!(quarter_of(at("2026-01-01T00:00:00Z"), UTC), 2026 * 4);
    assert_eq!(
        quarter_start(2026 * 4 + 2, shanghai),
        Some(at("2026-06-30T16:00:00Z"))
    );
}

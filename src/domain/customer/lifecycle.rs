//! The lifecycle stage (DOMAIN.md section 5 "Lifecycle"): derived from a
//! customer's purchases and the time, never typed in. Pure: the use cases
//! read the purchase times, this module says the stage and when it would
//! next change without a new purchase (the daily pass finds customers by
//! that instant).
//!
//! Choices where the practice is silent, part of the contract:
//! - only sales count: a return is not a purchase for lifecycle, and a
//!   deleted purchase does not count;
//! - "the last 8 quarters" are the calendar quarter holding `now` and the 7
//!   before it, in the organisation's time zone;
//! - won back lasts while the run of purchases that began with the purchase
//!   made after the customer was lost continues: a later purchase keeps it
//!   (d starts again from that purchase) until d reaches 180.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone};
use chrono_tz::Tz;

use super::{Customer, LifecycleStage};
use crate::domain::event;
use crate::domain::resource::{Next, Resource, Timestamp};
use crate::error::Error;

/// One day of 24 hours.
pub const DAY_MICROS: i64 = 86_400 * 1_000_000;
/// From this many whole days since the last purchase the customer is at risk.
pub const AT_RISK_DAYS: i64 = 180;
/// From this many whole days since the last purchase the customer is lost.
pub const LOST_DAYS: i64 = 365;
/// How many recent calendar quarters loyalty looks at.
pub const LOYALTY_WINDOW_QUARTERS: i32 = 8;
/// How many of them must hold a purchase for an active customer to be loyal.
pub const LOYAL_QUARTERS: usize = 6;

/// A calendar quarter in the organisation's zone: year × 4 + (quarter − 1).
pub type Quarter = i32;

/// What a customer's stage is derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurchaseHistory {
    /// The latest purchase; none if the customer never bought.
    pub last_purchase: Option<Timestamp>,
    /// The quarters with at least one purchase.
    pub quarters: BTreeSet<Quarter>,
    /// Whether the current run of purchases (none 180 days or more after
    /// the one before) began with a purchase made while the customer was
    /// lost (365 days or more after the one before).
    pub won_back: bool,
}

/// The stage now and the instant it would next change without a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub stage: LifecycleStage,
    /// None when nothing but a purchase can change it (prospect, lost).
    pub next_change: Option<Timestamp>,
}

impl PurchaseHistory {
    /// The history of the purchase times of a customer's live sales, in any
    /// order.
    pub fn of(times: &[Timestamp], zone: Tz) -> Self {
        let mut sorted = times.to_vec();
        sorted.sort_unstable();
        let mut won_back = false;
        for pair in sorted.windows(2) {
            let gap = whole_days(pair[0], pair[1]);
            if gap >= LOST_DAYS {
                won_back = true;
            } else if gap >= AT_RISK_DAYS {
                won_back = false;
            }
        }
        PurchaseHistory {
            last_purchase: sorted.last().copied(),
            quarters: sorted.iter().map(|t| quarter_of(*t, zone)).collect(),
            won_back,
        }
    }
}

/// The stage as of `now`.
pub fn stage(history: &PurchaseHistory, zone: Tz, now: Timestamp) -> LifecycleStage {
    let Some(last) = history.last_purchase else {
        return LifecycleStage::Prospect;
    };
    let d = whole_days(last, now);
    if d >= LOST_DAYS {
        LifecycleStage::Lost
    } else if d >= AT_RISK_DAYS {
        LifecycleStage::AtRisk
    } else if history.won_back {
        LifecycleStage::WonBack
    } else if recent_quarters(history, zone, now) >= LOYAL_QUARTERS {
        LifecycleStage::Loyal
    } else {
        LifecycleStage::Active
    }
}

/// The stage as of `now` and the earliest later instant at which it changes
/// if no purchase is made: 180 or 365 days after the last purchase, or for
/// a loyal customer the start of the quarter that leaves fewer than 6 of the
/// last 8 with a purchase.
pub fn evaluate(history: &PurchaseHistory, zone: Tz, now: Timestamp) -> Lifecycle {
    let current = stage(history, zone, now);
    let Some(last) = history.last_purchase else {
        return Lifecycle {
            stage: current,
            next_change: None,
        };
    };
    let at_risk = last.plus_micros(AT_RISK_DAYS * DAY_MICROS);
    let mut candidates = vec![at_risk, last.plus_micros(LOST_DAYS * DAY_MICROS)];
    if current == LifecycleStage::Loyal {
        let mut quarter = quarter_of(now, zone) + 1;
        while let Some(start) = quarter_start(quarter, zone).filter(|s| *s < at_risk) {
            candidates.push(start);
            quarter += 1;
        }
    }
    candidates.sort_unstable();
    let next_change = candidates
        .into_iter()
        .filter(|t| *t > now)
        .find(|t| stage(history, zone, *t) != current);
    Lifecycle {
        stage: current,
        next_change,
    }
}

/// The change of a live customer whose purchases or the time moved it to
/// `stage`: an `updated` event naming only `lifecycle_stage`.
pub fn follow(
    current: &Resource<Customer>,
    stage: LifecycleStage,
    _now: Timestamp,
) -> Result<Next<Customer>, Error> {
    let mut body = current.body.clone();
    body.lifecycle_stage = Some(stage);
    Ok(Next::changed(body, event::UPDATED))
}

/// Whole days of 24 hours from `from` to `to`; none before `from` (a
/// purchase a little in the future, within the allowed clock skew, is 0).
fn whole_days(from: Timestamp, to: Timestamp) -> i64 {
    (to.micros() - from.micros()).max(0) / DAY_MICROS
}

/// How many of the last 8 quarters (the one holding `now` and 7 before)
/// hold a purchase.
fn recent_quarters(history: &PurchaseHistory, zone: Tz, now: Timestamp) -> usize {
    let current = quarter_of(now, zone);
    history
        .quarters
        .range(current - (LOYALTY_WINDOW_QUARTERS - 1)..=current)
        .count()
}

/// The calendar quarter holding `t` in `zone`.
pub fn quarter_of(t: Timestamp, zone: Tz) -> Quarter {
    let local = DateTime::from_timestamp_micros(t.micros())
        .unwrap_or_default()
        .with_timezone(&zone);
    local.year() * 4 + (local.month0() / 3) as i32
}

/// The first instant of a quarter in `zone` (local midnight of its first
/// day, or the first instant after a gap a daylight-saving change leaves).
fn quarter_start(quarter: Quarter, zone: Tz) -> Option<Timestamp> {
    let date = NaiveDate::from_ymd_opt(
        quarter.div_euclid(4),
        quarter.rem_euclid(4) as u32 * 3 + 1,
        1,
    )?;
    (0..24).find_map(|hour| {
        let local = date.and_hms_opt(hour, 0, 0)?;
        let instant = zone.from_local_datetime(&local).earliest()?;
        Some(Timestamp(instant.timestamp_micros()))
    })
}

#[cfg(test)]
mod tests;

//! The customer summary (SummarizeCustomers): which customers, grouped by
//! which segment fields, and the net purchase value over a window in one
//! currency with each group's share of the total. The query is checked
//! here; the sums come from the store in parts it can add without overflow,
//! and are put together and shared out here, exactly.

use super::{CustomerKind, FILTER, LifecycleStage, Relationship, Tier, ValueGrade};
use crate::domain::ClosedEnum;
use crate::domain::filter::{self, Filter};
use crate::domain::input::{TimeInput, time};
use crate::domain::money::{Money, NANOS_PER_UNIT, check_currency_code};
use crate::domain::resource::Timestamp;
use crate::error::{Error, Violations};

/// The most groups one summary answers: beyond it the caller must narrow
/// the filter or group by fewer fields.
pub const MAX_GROUPS: usize = 10_000;

/// A field customers can be grouped by, named by its path in the
/// ListCustomers filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Dimension {
    Tier,
    Relationship,
    ValueGrade,
    LifecycleStage,
    SalesRegion,
    Country,
    Kind,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Tier,
        Dimension::Relationship,
        Dimension::ValueGrade,
        Dimension::LifecycleStage,
        Dimension::SalesRegion,
        Dimension::Country,
        Dimension::Kind,
    ];

    /// The field's path, as filters name it.
    pub fn path(self) -> &'static str {
        match self {
            Dimension::Tier => "tier",
            Dimension::Relationship => "relationship",
            Dimension::ValueGrade => "value_grade",
            Dimension::LifecycleStage => "lifecycle_stage",
            Dimension::SalesRegion => "geography.sales_region",
            Dimension::Country => "geography.country",
            Dimension::Kind => "kind",
        }
    }

    /// Whether the field holds free text rather than an enum's code.
    pub fn is_text(self) -> bool {
        matches!(self, Dimension::SalesRegion | Dimension::Country)
    }

    fn parse(path: &str) -> Result<Dimension, String> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.path() == path)
            .ok_or_else(|| {
                let known: Vec<&str> = Dimension::ALL.iter().map(|d| d.path()).collect();
                format!(
                    "unknown field {path:?}; customers group by {}",
                    known.join(", ")
                )
            })
    }
}

/// A summary request as received, unchecked.
#[derive(Debug, Clone, Default)]
pub struct SummaryInput {
    pub filter: String,
    pub group_by: Vec<String>,
    pub currency_code: String,
    pub start_time: Option<TimeInput>,
    pub end_time: Option<TimeInput>,
}

/// A checked summary request.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    pub filter: Option<Filter>,
    pub group_by: Vec<Dimension>,
    pub currency_code: String,
    /// Inclusive.
    pub start: Timestamp,
    /// Exclusive, after `start`.
    pub end: Timestamp,
}

impl SummaryQuery {
    /// Checks every field, reporting all bad ones at once.
    pub fn parse(input: SummaryInput) -> Result<SummaryQuery, Error> {
        let mut v = Violations::new();
        let filter = v.check(
            "filter",
            filter::parse(&input.filter, &FILTER).map_err(|e| e.message),
        );
        let mut group_by: Vec<Dimension> = Vec::with_capacity(input.group_by.len());
        for (i, path) in input.group_by.iter().enumerate() {
            let field = format!("group_by[{i}]");
            match v.check(&field, Dimension::parse(path)) {
                Some(d) if group_by.contains(&d) => v.add(field, format!("repeats {path}")),
                Some(d) => group_by.push(d),
                None => {}
            }
        }
        let currency_code = v.check("currency_code", check_currency_code(&input.currency_code));
        let start = time(&mut v, "start_time", input.start_time);
        let end = time(&mut v, "end_time", input.end_time);
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            v.add("end_time", "must be after start_time");
        }
        match (filter, currency_code, start, end) {
            (Some(filter), Some(currency_code), Some(start), Some(end)) if v.is_empty() => {
                Ok(SummaryQuery {
                    filter,
                    group_by,
                    currency_code,
                    start,
                    end,
                })
            }
            _ => Err(v.into_error()),
        }
    }
}

/// A stored value of a grouped field: an enum's code or a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Code(i32),
    Text(String),
}

/// The values of the grouped fields shared by a group's customers; a field
/// not grouped by, or not recorded, is None (or empty text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentKey {
    pub tier: Option<Tier>,
    pub relationship: Option<Relationship>,
    pub value_grade: Option<ValueGrade>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub sales_region: String,
    pub country: String,
    pub kind: Option<CustomerKind>,
}

impl SegmentKey {
    /// Sets one grouped field from its stored value.
    pub fn set(&mut self, dimension: Dimension, value: FieldValue) -> Result<(), Error> {
        fn code<E: ClosedEnum>(value: &FieldValue) -> Result<Option<E>, Error> {
            match value {
                FieldValue::Code(0) => Ok(None),
                FieldValue::Code(c) => E::from_code(*c)
                    .map(Some)
                    .ok_or_else(|| Error::internal(format!("stored code {c} is unknown"))),
                FieldValue::Text(_) => Err(Error::internal("text stored for an enum field")),
            }
        }
        let text = |value: FieldValue| match value {
            FieldValue::Text(t) => Ok(t),
            FieldValue::Code(_) => Err(Error::internal("a code stored for a text field")),
        };
        match dimension {
            Dimension::Tier => self.tier = code(&value)?,
            Dimension::Relationship => self.relationship = code(&value)?,
            Dimension::ValueGrade => self.value_grade = code(&value)?,
            Dimension::LifecycleStage => self.lifecycle_stage = code(&value)?,
            Dimension::Kind => self.kind = code(&value)?,
            Dimension::SalesRegion => self.sales_region = text(value)?,
            Dimension::Country => self.country = text(value)?,
        }
        Ok(())
    }
}

/// The divisor that splits an amount's units into a high and a low part, so
/// that a database adding 64-bit integers can sum billions of amounts
/// without overflow: each part of one amount is below 2^32.
pub const UNITS_SPLIT: i64 = 1 << 32;

/// A signed sum of amounts as the store adds them: `high * UNITS_SPLIT +
/// low` units plus `nanos` billionths, each part summed on its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValueParts {
    pub high: i64,
    pub low: i64,
    pub nanos: i64,
}

impl ValueParts {
    /// The exact sum in billionths of a unit.
    pub fn total_nanos(self) -> i128 {
        let units = i128::from(self.high) * i128::from(UNITS_SPLIT) + i128::from(self.low);
        units * i128::from(NANOS_PER_UNIT) + i128::from(self.nanos)
    }
}

/// One group's figures as the store sums them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentSums {
    pub key: SegmentKey,
    pub customers: i64,
    pub purchases: i64,
    pub excluded_purchases: i64,
    pub value: ValueParts,
}

/// A part of a whole amount.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub numerator: Money,
    pub denominator: Money,
    /// 100 × numerator / denominator.
    pub percent: f64,
}

/// One group of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub key: SegmentKey,
    pub customer_count: i64,
    pub purchase_count: i64,
    pub excluded_purchase_count: i64,
    pub net_value: Money,
    /// Absent when the total net value is zero or negative.
    pub share: Option<Share>,
}

/// The answer: every selected customer together, and the groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub total: Segment,
    pub groups: Vec<Segment>,
}

/// Puts the store's group sums together into the answer: exact net values
/// and each group's share of the total.
pub fn summarize(currency_code: &str, sums: Vec<SegmentSums>) -> Result<Summary, Error> {
    let nets: Vec<i128> = sums.iter().map(|s| s.value.total_nanos()).collect();
    let total_net: i128 = nets.iter().sum();
    let denominator = money(currency_code, total_net)?;
    let segment = |key, (customers, purchases, excluded), net: i128| {
        let net_value = money(currency_code, net)?;
        let share = (total_net > 0).then(|| Share {
            percent: net as f64 / total_net as f64 * 100.0,
            numerator: net_value.clone(),
            denominator: denominator.clone(),
        });
        Ok::<_, Error>(Segment {
            key,
            customer_count: customers,
            purchase_count: purchases,
            excluded_purchase_count: excluded,
            net_value,
            share,
        })
    };
    let counts = sums.iter().fold((0, 0, 0), |(c, p, e), s| {
        (c + s.customers, p + s.purchases, e + s.excluded_purchases)
    });
    let total = segment(SegmentKey::default(), counts, total_net)?;
    let groups = sums
        .into_iter()
        .zip(nets)
        .map(|(s, net)| {
            let counts = (s.customers, s.purchases, s.excluded_purchases);
            segment(s.key, counts, net)
        })
        .collect::<Result<_, _>>()?;
    Ok(Summary { total, groups })
}

/// An exact amount from billionths; one beyond Money's 64-bit units cannot
/// be answered.
fn money(currency_code: &str, nanos: i128) -> Result<Money, Error> {
    let per_unit = i128::from(NANOS_PER_UNIT);
    let units = i64::try_from(nanos / per_unit).map_err(|_| Error::LimitReached {
        reason: "VALUE_OUT_OF_RANGE",
        description: "the net value exceeds the range of Money.units".into(),
    })?;
    Ok(Money {
        currency_code: currency_code.to_owned(),
        units,
        // The remainder has the sign of the quotient and is below one unit.
        nanos: (nanos % per_unit) as i32,
    })
}

#[cfg(test)]
mod tests;

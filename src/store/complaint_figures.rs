//! The sums and percentiles of the complaint analysis, computed in the
//! database from the columns each complaint writes
//! (`Complaint::analysis_facts`): one GROUP BY for the counts, and per
//! series of durations one window-function query that keeps only the rows
//! at the nearest ranks ⌈p × n / 100⌉ of their group. No complaint is read
//! into memory; the same SQL runs on SQLite and PostgreSQL.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use super::complaints::{Column, Entity};
use super::{Tx, db_error, filter};
use crate::domain::ClosedEnum;
use crate::domain::complaint::analysis::{GroupBy, GroupSums, Percentiles, Sums, Times};
use crate::domain::complaint::{Complaint, State, targets::WarningLevel};
use crate::domain::filter::Filter;
use crate::domain::resource::Timestamp;
use crate::error::Error;

/// The counts, in the order of `Sums`' fields, as SQL over the columns.
fn sum_columns() -> Vec<(&'static str, String)> {
    let sum = |column: &str| format!(r#"COALESCE(SUM("{column}"), 0)"#);
    let closed = State::Closed.code();
    let breached = WarningLevel::Breached.code();
    vec![
        ("complaints", "COUNT(*)".to_owned()),
        ("triaged", sum("triaged")),
        ("invalid", sum("invalid")),
        ("first_response_reached", sum("first_response_reached")),
        ("first_response_on_time", sum("first_response_on_time")),
        ("resolution_reached", sum("resolution_reached")),
        ("resolution_on_time", sum("resolution_on_time")),
        ("callback_reached", sum("callback_reached")),
        ("callback_on_time", sum("callback_on_time")),
        ("resolved", sum("resolved")),
        ("reopened", sum("reopened")),
        ("called_back", sum("called_back")),
        ("first_callbacks", sum("first_callback_reached")),
        ("first_callbacks_satisfied", sum("first_callback_satisfied")),
        (
            "open",
            format!(r#"COALESCE(SUM(CASE WHEN "state" <> {closed} THEN 1 ELSE 0 END), 0)"#),
        ),
        (
            "breached",
            format!(
                r#"COALESCE(SUM(CASE WHEN "state" <> {closed} AND "warning_level" = {breached} THEN 1 ELSE 0 END), 0)"#
            ),
        ),
    ]
}

/// The duration series, in the order of `Times`' fields.
const SERIES: [&str; 4] = [
    "first_response_wall",
    "first_response_business",
    "resolution_wall",
    "resolution_business",
];

/// The complaints received in [start, end) that pass the filter.
fn selection(
    (start, end): (Timestamp, Timestamp),
    filter: Option<&Filter>,
) -> Result<sea_orm::Select<Entity>, Error> {
    let mut select = Entity::find()
        .filter(Column::DeleteTime.is_null())
        .filter(Column::ReceivedTime.gte(start.micros()))
        .filter(Column::ReceivedTime.lt(end.micros()));
    if let Some(tree) = filter {
        select = select.filter(filter::condition::<Complaint>(tree)?);
    }
    Ok(select)
}

/// The key expression of `group_by`, or a constant without grouping.
fn key_expr(group_by: Option<GroupBy>) -> String {
    match group_by {
        Some(g) => format!(r#""{}""#, g.field().0),
        None => "0".to_owned(),
    }
}

/// A group's key as the answer names it: a closed value's name or the
/// text; None for no value (code 0, empty text) and without grouping.
fn key_of(row: &sea_orm::QueryResult, group_by: Option<GroupBy>) -> Result<Option<String>, Error> {
    let Some(g) = group_by else {
        return Ok(None);
    };
    Ok(if g.field().1 {
        let text: String = row.try_get("", "k").map_err(db_error)?;
        (!text.is_empty()).then_some(text)
    } else {
        let code: i32 = row.try_get("", "k").map_err(db_error)?;
        g.key_of_code(code)
    })
}

/// The sums and percentiles of the complaints received in the period that
/// pass the filter, one entry per group (one in all without grouping).
pub async fn complaint_figures(
    tx: &Tx,
    period: (Timestamp, Timestamp),
    filter: Option<&Filter>,
    group_by: Option<GroupBy>,
) -> Result<Vec<GroupSums>, Error> {
    let key = key_expr(group_by);
    let mut counts = selection(period, filter)?
        .select_only()
        .column_as(Expr::cust(key.clone()), "k");
    for (alias, sql) in sum_columns() {
        counts = counts.column_as(Expr::cust(sql), alias);
    }
    if group_by.is_some() {
        counts = counts.group_by(Expr::cust(key.clone()));
    }
    let rows = tx
        .conn()
        .query_all(&counts.into_query())
        .await
        .map_err(db_error)?;
    let mut groups: BTreeMap<Option<String>, GroupSums> = BTreeMap::new();
    for row in &rows {
        let get = |alias: &str| -> Result<i64, Error> { row.try_get("", alias).map_err(db_error) };
        let sums = Sums {
            complaints: get("complaints")?,
            triaged: get("triaged")?,
            invalid: get("invalid")?,
            first_response_reached: get("first_response_reached")?,
            first_response_on_time: get("first_response_on_time")?,
            resolution_reached: get("resolution_reached")?,
            resolution_on_time: get("resolution_on_time")?,
            callback_reached: get("callback_reached")?,
            callback_on_time: get("callback_on_time")?,
            resolved: get("resolved")?,
            reopened: get("reopened")?,
            called_back: get("called_back")?,
            first_callbacks: get("first_callbacks")?,
            first_callbacks_satisfied: get("first_callbacks_satisfied")?,
            open: get("open")?,
            breached: get("breached")?,
        };
        if group_by.is_none() && sums.complaints == 0 {
            continue;
        }
        let key = key_of(row, group_by)?;
        // Two stored keys can name one group: 0 and an unknown code.
        let entry = groups.entry(key.clone()).or_insert(GroupSums {
            key,
            sums: Sums::default(),
            times: Times::default(),
        });
        add(&mut entry.sums, sums);
    }
    for (i, series) in SERIES.iter().enumerate() {
        for (key, percentiles) in percentiles(tx, period, filter, group_by, series).await? {
            if let Some(group) = groups.get_mut(&key) {
                let times = &mut group.times;
                *[
                    &mut times.first_response,
                    &mut times.first_response_business,
                    &mut times.resolution,
                    &mut times.resolution_business,
                ][i] = percentiles;
            }
        }
    }
    Ok(groups.into_values().collect())
}

fn add(to: &mut Sums, s: Sums) {
    to.complaints += s.complaints;
    to.triaged += s.triaged;
    to.invalid += s.invalid;
    to.first_response_reached += s.first_response_reached;
    to.first_response_on_time += s.first_response_on_time;
    to.resolution_reached += s.resolution_reached;
    to.resolution_on_time += s.resolution_on_time;
    to.callback_reached += s.callback_reached;
    to.callback_on_time += s.callback_on_time;
    to.resolved += s.resolved;
    to.reopened += s.reopened;
    to.called_back += s.called_back;
    to.first_callbacks += s.first_callbacks;
    to.first_callbacks_satisfied += s.first_callbacks_satisfied;
    to.open += s.open;
    to.breached += s.breached;
}

/// The nearest-rank median and 90th percentile of one series per group:
/// the rows are numbered within their group in value order and only those
/// at rank ⌈50n/100⌉ and ⌈90n/100⌉ leave the database.
async fn percentiles(
    tx: &Tx,
    period: (Timestamp, Timestamp),
    filter: Option<&Filter>,
    group_by: Option<GroupBy>,
    series: &str,
) -> Result<Vec<(Option<String>, Percentiles)>, Error> {
    let key = key_expr(group_by);
    let partition = match group_by {
        Some(_) => format!("PARTITION BY {key} "),
        None => String::new(),
    };
    let inner: SelectStatement = selection(period, filter)?
        .select_only()
        .column_as(Expr::cust(key.clone()), "k")
        .column_as(Expr::cust(format!(r#""{series}""#)), "v")
        .column_as(
            Expr::cust(format!(
                r#"ROW_NUMBER() OVER ({partition}ORDER BY "{series}")"#
            )),
            "rn",
        )
        .column_as(Expr::cust(format!("COUNT(*) OVER ({partition})")), "n")
        .filter(Expr::cust(format!(r#""{series}" IS NOT NULL"#)))
        .into_query();
    let outer = Query::select()
        .columns([
            Alias::new("k"),
            Alias::new("v"),
            Alias::new("rn"),
            Alias::new("n"),
        ])
        .from_subquery(inner, Alias::new("ranked"))
        .and_where(Expr::cust(
            "rn = (50 * n + 99) / 100 OR rn = (90 * n + 99) / 100",
        ))
        .to_owned();
    let rows = tx.conn().query_all(&outer).await.map_err(db_error)?;
    let mut found: BTreeMap<Option<String>, Percentiles> = BTreeMap::new();
    for row in &rows {
        let value: i64 = row.try_get("", "v").map_err(db_error)?;
        let rank: i64 = row.try_get("", "rn").map_err(db_error)?;
        let n: i64 = row.try_get("", "n").map_err(db_error)?;
        let entry = found.entry(key_of(row, group_by)?).or_default();
        entry.count = n;
        if rank == (50 * n + 99) / 100 {
            entry.median = Some(value);
        }
        if rank == (90 * n + 99) / 100 {
            entry.p90 = Some(value);
        }
    }
    Ok(found.into_iter().collect())
}

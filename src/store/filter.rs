//! Turns a parsed, validated filter tree into a query condition. Values are
//! always bound parameters: no filter text ever reaches SQL.

use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoIden, LikeExpr};
use sea_orm::{ColumnTrait, Condition, DynIden, EntityName, IdenStatic};

use super::resources::Table;
use super::{keys, labels};
use crate::domain::filter::{Filter, Op, Value};
use crate::domain::text::fold;
use crate::error::Error;

/// The condition for a resource table, labels included.
pub fn condition<T: Table>(filter: &Filter) -> Result<Condition, Error> {
    let labels = LabelsOf {
        table: T::Entity::default().table_name().to_owned().into_iden(),
        id: T::ID.as_str().to_owned().into_iden(),
    };
    build(
        filter,
        &Columns {
            plain: &T::column,
            folded: &T::folded,
        },
        Some(&labels),
    )
}

/// The condition for a table without labels, given its field -> column map.
/// Its text columns hold ASCII only (names, gRPC methods, actors from ASCII
/// metadata), so text matches fold them with SQL's `lower()`.
pub fn condition_on<C: ColumnTrait>(
    filter: &Filter,
    column: fn(&str) -> Option<C>,
) -> Result<Condition, Error> {
    build(
        filter,
        &Columns {
            plain: &column,
            folded: &|_| None,
        },
        None,
    )
}

/// Where a table keeps each field: as is, and folded for text matches.
struct Columns<'a, C> {
    plain: &'a dyn Fn(&str) -> Option<C>,
    folded: &'a dyn Fn(&str) -> Option<C>,
}

/// Where a table's labels are indexed: its name and id column.
struct LabelsOf {
    table: DynIden,
    id: DynIden,
}

fn build<C: ColumnTrait>(
    filter: &Filter,
    columns: &Columns<'_, C>,
    labels: Option<&LabelsOf>,
) -> Result<Condition, Error> {
    let label_query = |key: &str, value: Option<&str>| match labels {
        Some(of) => Ok(Expr::exists(labels::matching(
            of.table.clone(),
            of.id.clone(),
            key,
            value,
        ))),
        None => Err(Error::internal("label filter on a table without labels")),
    };
    Ok(match filter {
        Filter::And(parts) => parts.iter().try_fold(Condition::all(), |all, part| {
            Ok::<_, Error>(all.add(build(part, columns, labels)?))
        })?,
        Filter::Or(parts) => parts.iter().try_fold(Condition::any(), |any, part| {
            Ok::<_, Error>(any.add(build(part, columns, labels)?))
        })?,
        Filter::Not(inner) => build(inner, columns, labels)?.not(),
        Filter::Compare { field, op, value } => {
            let column = (columns.plain)(field)
                .ok_or_else(|| Error::internal(format!("no column for filter field {field}")))?;
            let expr = match op {
                Op::Has | Op::Prefix => text_match((columns.folded)(field), column, *op, value)?,
                _ => compare(column, *op, value),
            };
            Condition::all().add(expr)
        }
        Filter::Label { key, op, value } => {
            let exists = label_query(key, Some(value))?;
            match op {
                Op::Eq => Condition::all().add(exists),
                // `labels.k != "v"`: no label k with value v (absent counts).
                Op::Ne => Condition::all().add(exists).not(),
                _ => return Err(Error::internal("label filters take = or != only")),
            }
        }
        Filter::LabelPresent { key } => Condition::all().add(label_query(key, None)?),
        Filter::Key { field, op, value } => {
            let Some(of) = labels else {
                return Err(Error::internal("key filter on a table without a key index"));
            };
            let exists = Expr::exists(keys::matching(
                of.table.clone(),
                of.id.clone(),
                field,
                value,
            ));
            match op {
                Op::Eq => Condition::all().add(exists),
                // `field != "v"`: no key v (no points at all counts).
                Op::Ne => Condition::all().add(exists).not(),
                _ => return Err(Error::internal("key filters take = or != only")),
            }
        }
    })
}

fn compare<C: ColumnTrait>(column: C, op: Op, value: &Value) -> Expr {
    let bound: sea_orm::Value = match value {
        Value::Text(s) => s.clone().into(),
        Value::Integer(n) | Value::Timestamp(n) => (*n).into(),
        Value::Bool(b) => (*b).into(),
        Value::Enum(code) => (*code).into(),
    };
    match op {
        Op::Eq | Op::Has | Op::Prefix => column.eq(bound),
        Op::Ne => column.ne(bound),
        Op::Lt => column.lt(bound),
        Op::Le => column.lte(bound),
        Op::Gt => column.gt(bound),
        Op::Ge => column.gte(bound),
    }
}

/// `:` (substring) and prefix matches, case-insensitive: the pattern is
/// folded as the folded column was when the row was written; a table whose
/// text is ASCII only folds the column with `lower()` instead.
fn text_match<C: ColumnTrait>(
    folded: Option<C>,
    column: C,
    op: Op,
    value: &Value,
) -> Result<Expr, Error> {
    let Value::Text(text) = value else {
        return Err(Error::internal("text match on a non-text value"));
    };
    let escaped = escape_like(&fold(text));
    let pattern = if op == Op::Has {
        format!("%{escaped}%")
    } else {
        format!("{escaped}%")
    };
    let searched = match folded {
        Some(folded) => Expr::col(folded.as_column_ref()),
        None => Expr::expr(Func::lower(Expr::col(column.as_column_ref()))),
    };
    Ok(searched.like(LikeExpr::new(pattern).escape('\\')))
}

/// Escapes LIKE's wildcards so they match themselves.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}

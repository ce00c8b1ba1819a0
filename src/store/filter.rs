//! Turns a parsed, validated filter tree into a query condition. Values are
//! always bound parameters: no filter text ever reaches SQL.

use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoIden, LikeExpr};
use sea_orm::{ColumnTrait, Condition, DynIden, EntityName, IdenStatic};

use super::labels;
use super::resources::Table;
use crate::domain::filter::{Filter, Op, Value};
use crate::error::Error;

/// The condition for a resource table, labels included.
pub fn condition<T: Table>(filter: &Filter) -> Result<Condition, Error> {
    let labels = LabelsOf {
        table: T::Entity::default().table_name().to_owned().into_iden(),
        id: T::ID.as_str().to_owned().into_iden(),
    };
    build(filter, &T::column, Some(&labels))
}

/// The condition for a table without labels, given its field -> column map.
pub fn condition_on<C: ColumnTrait>(
    filter: &Filter,
    column: fn(&str) -> Option<C>,
) -> Result<Condition, Error> {
    build(filter, &column, None)
}

/// Where a table's labels are indexed: its name and id column.
struct LabelsOf {
    table: DynIden,
    id: DynIden,
}

fn build<C: ColumnTrait>(
    filter: &Filter,
    column: &dyn Fn(&str) -> Option<C>,
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
            Ok::<_, Error>(all.add(build(part, column, labels)?))
        })?,
        Filter::Or(parts) => parts.iter().try_fold(Condition::any(), |any, part| {
            Ok::<_, Error>(any.add(build(part, column, labels)?))
        })?,
        Filter::Not(inner) => build(inner, column, labels)?.not(),
        Filter::Compare { field, op, value } => {
            let column = column(field)
                .ok_or_else(|| Error::internal(format!("no column for filter field {field}")))?;
            Condition::all().add(compare(column, *op, value)?)
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
    })
}

fn compare<C: ColumnTrait>(column: C, op: Op, value: &Value) -> Result<Expr, Error> {
    let bound: sea_orm::Value = match value {
        Value::Text(s) => s.clone().into(),
        Value::Integer(n) | Value::Timestamp(n) => (*n).into(),
        Value::Bool(b) => (*b).into(),
        Value::Enum(code) => (*code).into(),
    };
    Ok(match op {
        Op::Eq => column.eq(bound),
        Op::Ne => column.ne(bound),
        Op::Lt => column.lt(bound),
        Op::Le => column.lte(bound),
        Op::Gt => column.gt(bound),
        Op::Ge => column.gte(bound),
        // Both text matches fold case on both sides, so SQLite (whose LIKE
        // ignores ASCII case) and PostgreSQL (whose LIKE does not) agree.
        Op::Has | Op::Prefix => {
            let Value::Text(text) = value else {
                return Err(Error::internal("text match on a non-text value"));
            };
            let escaped = escape_like(&text.to_lowercase());
            let pattern = if op == Op::Has {
                format!("%{escaped}%")
            } else {
                format!("{escaped}%")
            };
            Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
                .like(LikeExpr::new(pattern).escape('\\'))
        }
    })
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

//! Keyset paging: the order of a list and where its next page starts, over
//! sort keys of any column type the resources use (integers, timestamps as
//! integers, REAL, text) and nullable ones. Absent values sort last in both
//! directions on both engines; the id breaks ties, so the order is total.

use sea_orm::sea_query::{Expr, ExprTrait, NullOrdering};
use sea_orm::{ColumnTrait, Condition, EntityTrait, ModelTrait, Order, QueryOrder, Select, Value};

use crate::domain::listing::{Cursor, KeyValue};
use crate::error::Error;

/// Orders `select` by `keys` then `id`, all ascending or all descending;
/// nullable keys put NULL last either way.
pub fn order<E: EntityTrait>(
    mut select: Select<E>,
    keys: &[E::Column],
    id: E::Column,
    descending: bool,
) -> Select<E> {
    let direction = || if descending { Order::Desc } else { Order::Asc };
    for key in keys {
        select = if key.def().is_null() {
            select.order_by_with_nulls(*key, direction(), NullOrdering::Last)
        } else {
            select.order_by(*key, direction())
        };
    }
    select.order_by(id, direction())
}

/// The rows after `cursor` in the order of [`order`].
///
/// Without nullable keys this is one row-value comparison
/// `(k1, .., id) > (v1, .., last_id)`, which an index on the same columns
/// serves directly. With them it is the expanded form: some key is beyond
/// its value and all before it are equal, where "beyond" a value includes
/// NULL (last) and nothing is beyond NULL.
pub fn after<C: ColumnTrait>(
    keys: &[C],
    id: C,
    cursor: &Cursor,
    descending: bool,
) -> Result<Condition, Error> {
    if cursor.keys.len() != keys.len() {
        return Err(Error::invalid("page_token", "does not match order_by"));
    }
    let beyond = |column: C, value: Value| {
        if descending {
            column.lt(value)
        } else {
            column.gt(value)
        }
    };
    if !keys.iter().any(|key| key.def().is_null()) {
        let mut values = Vec::with_capacity(keys.len() + 1);
        for key in &cursor.keys {
            values.push(Expr::val(bound(key).ok_or_else(mismatch)?));
        }
        values.push(Expr::val(cursor.id));
        let columns = Expr::tuple(
            keys.iter()
                .chain([&id])
                .map(|c| Expr::col(c.as_column_ref())),
        );
        let values = Expr::tuple(values);
        return Ok(Condition::all().add(if descending {
            columns.lt(values)
        } else {
            columns.gt(values)
        }));
    }
    let mut any = Condition::any();
    let mut equal_so_far = Condition::all();
    for (key, value) in keys.iter().zip(&cursor.keys) {
        match bound(value) {
            Some(value) => {
                let mut past = Condition::any().add(beyond(*key, value.clone()));
                if key.def().is_null() {
                    past = past.add(key.is_null());
                }
                any = any.add(equal_so_far.clone().add(past));
                equal_so_far = equal_so_far.add(key.eq(value));
            }
            // Nothing sorts after NULL: only ties on this key go on.
            None => equal_so_far = equal_so_far.add(key.is_null()),
        }
    }
    Ok(any.add(equal_so_far.add(beyond(id, cursor.id.into()))))
}

fn mismatch() -> Error {
    Error::invalid("page_token", "does not match order_by")
}

/// The value a key compares with; None for an absent one.
fn bound(key: &KeyValue) -> Option<Value> {
    match key {
        KeyValue::Integer(n) => Some((*n).into()),
        KeyValue::Real(x) => Some((*x).into()),
        KeyValue::Text(s) => Some(s.clone().into()),
        KeyValue::Null => None,
    }
}

/// The cursor of `row`: its sort keys and id.
pub fn cursor_of<M: ModelTrait>(
    row: &M,
    keys: &[<M::Entity as EntityTrait>::Column],
    id: <M::Entity as EntityTrait>::Column,
) -> Result<Cursor, Error> {
    let keys = keys
        .iter()
        .map(|column| match row.get(*column) {
            Value::BigInt(Some(n)) => Ok(KeyValue::Integer(n)),
            Value::Int(Some(n)) => Ok(KeyValue::Integer(n.into())),
            // A page token holds JSON, which has no NaN or infinity; the
            // domain keeps such values out of sort keys.
            Value::Double(Some(x)) if x.is_finite() => Ok(KeyValue::Real(x)),
            Value::Float(Some(x)) if x.is_finite() => Ok(KeyValue::Real(x.into())),
            Value::String(Some(s)) => Ok(KeyValue::Text(s)),
            Value::BigInt(None)
            | Value::Int(None)
            | Value::Double(None)
            | Value::Float(None)
            | Value::String(None) => Ok(KeyValue::Null),
            other => Err(Error::internal(format!("cannot page on {other:?}"))),
        })
        .collect::<Result<_, _>>()?;
    let id = match row.get(id) {
        Value::Uuid(Some(id)) => id,
        other => return Err(Error::internal(format!("id column held {other:?}"))),
    };
    Ok(Cursor { keys, id })
}

#[cfg(test)]
mod tests {
    //! Pages through a table of scores and due times, with ties and gaps, on
    //! SQLite and (with CRM_TEST_POSTGRES_URL) PostgreSQL, and compares the
    //! concatenated pages with the order sorted here by hand.

    use std::cmp::Ordering;

    use sea_orm::entity::prelude::*;
    use sea_orm::{ConnectionTrait, Database, DatabaseConnection, QuerySelect, Schema, Set};

    use super::*;

    mod probe {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "keyset_probe")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub score: Option<f64>,
            pub due: Option<i64>,
            pub rank: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
    use probe::{Column, Entity, Model};

    /// 40 rows: scores among 4 values or absent, due times among 3 or
    /// absent, ranks with ties: every kind of tie and gap.
    fn rows() -> Vec<Model> {
        (0..40u8)
            .map(|i| Model {
                id: Uuid::from_bytes([i.wrapping_mul(37); 16]),
                score: [Some(2.5), None, Some(-1.0), Some(2.5), Some(10.25)][usize::from(i % 5)],
                due: [None, Some(1_000), Some(-5), None, Some(7)][usize::from(i % 5 + i / 20) % 5],
                rank: i64::from(i % 3),
            })
            .collect()
    }

    fn value_of(row: &Model, key: Column) -> (Option<f64>, bool) {
        match key {
            Column::Score => (row.score, true),
            Column::Due => (row.due.map(|d| d as f64), true),
            Column::Rank => (Some(row.rank as f64), false),
            Column::Id => unreachable!(),
        }
    }

    /// The expected order, by hand: each key ascending or descending with
    /// absent values last, then the id in the same direction.
    fn sorted(keys: &[Column], descending: bool) -> Vec<Uuid> {
        let mut rows = rows();
        rows.sort_by(|a, b| {
            for key in keys {
                let ((x, _), (y, _)) = (value_of(a, *key), value_of(b, *key));
                let order = match (x, y) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) if descending => y.total_cmp(&x),
                    (Some(x), Some(y)) => x.total_cmp(&y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
            if descending {
                b.id.cmp(&a.id)
            } else {
                a.id.cmp(&b.id)
            }
        });
        rows.into_iter().map(|row| row.id).collect()
    }

    async fn paged(db: &DatabaseConnection, keys: &[Column], descending: bool) -> Vec<Uuid> {
        let (mut seen, mut cursor) = (Vec::new(), None::<Cursor>);
        loop {
            let mut select = order(Entity::find(), keys, Column::Id, descending);
            if let Some(cursor) = &cursor {
                // Through the token's wire form, as a client would send it.
                let cursor: Cursor =
                    serde_json::from_slice(&serde_json::to_vec(cursor).unwrap()).unwrap();
                select = select.filter(after(keys, Column::Id, &cursor, descending).unwrap());
            }
            let page = select.limit(3).all(db).await.unwrap();
            let Some(last) = page.last() else {
                return seen;
            };
            cursor = Some(cursor_of(last, keys, Column::Id).unwrap());
            seen.extend(page.iter().map(|row| row.id));
            assert!(seen.len() <= 40, "paging does not end");
        }
    }

    async fn check(db: &DatabaseConnection) {
        let schema = Schema::new(db.get_database_backend());
        db.execute(&schema.create_table_from_entity(Entity))
            .await
            .unwrap();
        for row in rows() {
            probe::ActiveModel {
                id: Set(row.id),
                score: Set(row.score),
                due: Set(row.due),
                rank: Set(row.rank),
            }
            .insert(db)
            .await
            .unwrap();
        }
        let orders: [&[Column]; 5] = [
            &[Column::Score],
            &[Column::Due],
            &[Column::Rank],
            &[Column::Score, Column::Due],
            &[Column::Rank, Column::Due, Column::Score],
        ];
        for keys in orders {
            for descending in [false, true] {
                assert_eq!(
                    paged(db, keys, descending).await,
                    sorted(keys, descending),
                    "{:?} on {keys:?}, descending: {descending}",
                    db.get_database_backend()
                );
            }
        }
    }

    #[tokio::test]
    async fn pages_over_nullable_and_real_keys_follow_the_order_on_every_engine() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        check(&db).await;
        let Ok(admin_url) = std::env::var("CRM_TEST_POSTGRES_URL") else {
            eprintln!("PostgreSQL skipped: CRM_TEST_POSTGRES_URL is not set");
            return;
        };
        let name = format!("crm_test_{}", Uuid::now_v7().simple());
        let admin = Database::connect(&admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (base, query) = admin_url
            .split_once('?')
            .map_or((admin_url.as_str(), ""), |(b, q)| (b, q));
        let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
        let url = if query.is_empty() {
            format!("{root}/{name}")
        } else {
            format!("{root}/{name}?{query}")
        };
        let db = Database::connect(&url).await.unwrap();
        check(&db).await;
        db.close().await.ok();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
}

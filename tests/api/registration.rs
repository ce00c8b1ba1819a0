//! The places a resource is registered must agree: every filterable and
//! orderable field has a column, text columns compare by bytes on
//! PostgreSQL, every resource's events decode, and reflection offers every
//! served service. Adding a resource that forgets one fails here.

use crm::domain::channel::Channel;
use crm::domain::customer::Customer;
use crm::domain::filter::FieldType;
use crm::store::{Persisted, column_name};
use sea_orm::{ConnectionTrait, Database, Statement};

/// (column, is text) for every filterable and orderable field.
fn columns<T: Persisted>() -> Vec<(String, bool)> {
    let mut found = Vec::new();
    for field in T::FILTER.fields {
        let column = column_name::<T>(field.path).unwrap_or_else(|| {
            panic!(
                "{}: filter field {} has no column",
                T::COLLECTION.plural,
                field.path
            )
        });
        found.push((column.to_owned(), matches!(field.ty, FieldType::Text)));
    }
    for field in T::ORDERABLE.fields {
        assert!(
            column_name::<T>(field).is_some(),
            "{}: orderable field {field} has no column",
            T::COLLECTION.plural
        );
    }
    assert!(T::ORDERABLE.fields.contains(&T::ORDERABLE.default_field));
    found
}

#[test]
fn every_listed_field_of_every_resource_has_a_column() {
    assert!(!columns::<Customer>().is_empty());
    assert!(!columns::<Channel>().is_empty());
}

async fn text_collations<T: Persisted>(
    db: &sea_orm::DatabaseConnection,
    table: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (column, is_text) in columns::<T>() {
        if !is_text {
            continue;
        }
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT collation_name FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
                [table.into(), column.clone().into()],
            ))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{table}.{column} does not exist"));
        let collation: Option<String> = row.try_get("", "collation_name").unwrap();
        if collation.as_deref() != Some("C") {
            wrong.push(format!("{table}.{column}: {collation:?}"));
        }
    }
    wrong
}

#[tokio::test]
async fn text_that_lists_filter_on_compares_by_bytes_on_postgres() {
    let Some(server) = crate::support::TestServer::postgres().await else {
        eprintln!("skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = server.database_url().expect("a PostgreSQL test database");
    let db = Database::connect(&url).await.unwrap();
    let mut wrong = text_collations::<Customer>(&db, "customers").await;
    wrong.extend(text_collations::<Channel>(&db, "channels").await);
    db.close().await.ok();
    server.stop().await;
    assert!(wrong.is_empty(), "not COLLATE \"C\": {wrong:?}");
}

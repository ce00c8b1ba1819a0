//! What the lifecycle stage is derived from and when it is due again: the
//! times of a customer's live sales (through the purchases' parent index)
//! and the customers' `lifecycle_next_change_time`, a scheduling column
//! outside the customer's body, written only here and read by the daily
//! pass through a partial index holding the customers that have one.

use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use super::{Tx, customers, db_error, purchases};
use crate::domain::ClosedEnum;
use crate::domain::purchase::PurchaseKind;
use crate::domain::resource::Timestamp;
use crate::error::Error;

/// The purchase times of a customer's live sales (returns and deleted
/// purchases do not count), in no particular order.
pub async fn sale_times_of(tx: &Tx, customer: Uuid) -> Result<Vec<Timestamp>, Error> {
    use purchases::Column as P;
    let times: Vec<i64> = purchases::Entity::find()
        .select_only()
        .column(P::PurchaseTime)
        .filter(P::CustomerId.eq(customer))
        .filter(P::DeleteTime.is_null())
        .filter(P::Kind.eq(PurchaseKind::Sale.code()))
        .into_tuple()
        .all(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(times.into_iter().map(Timestamp).collect())
}

/// Records when the customer's stage would next change without a purchase.
pub async fn set_lifecycle_next_change(
    tx: &Tx,
    customer: Uuid,
    next: Option<Timestamp>,
) -> Result<(), Error> {
    use customers::Column as C;
    customers::Entity::update_many()
        .col_expr(
            C::LifecycleNextChangeTime,
            Expr::value(next.map(Timestamp::micros)),
        )
        .filter(C::Id.eq(customer))
        .exec(tx.conn())
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Up to `limit` live customers whose stage changes by `now`, the earliest
/// first, through the partial index: the cost follows the customers due.
pub async fn customers_with_lifecycle_due(
    tx: &Tx,
    now: Timestamp,
    limit: u64,
) -> Result<Vec<Uuid>, Error> {
    use customers::Column as C;
    customers::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::LifecycleNextChangeTime.is_not_null())
        .filter(C::LifecycleNextChangeTime.lte(now.micros()))
        .filter(C::DeleteTime.is_null())
        .order_by_asc(C::LifecycleNextChangeTime)
        .limit(limit)
        .into_tuple()
        .all(tx.conn())
        .await
        .map_err(db_error)
}

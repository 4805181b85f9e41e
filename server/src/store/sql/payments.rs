//! Payments: recorded and applied to the account's balance in one transaction; and the orders
//! of an account (to find the disconnects a payment cancels).

use super::network::{ACCOUNT_COLS, account};
use super::orders::{ORDER_COLS, summary};
use super::rows::millis;
use super::{Conn, Db};
use crate::store::{Account, NewPayment, OrderSummary, StoreError, StoreResult, UtilityId};
use fieldline_core::model::OrderType;
use sqlx::{AssertSqlSafe, Pool};
use uuid::Uuid;

/// Lowers the balance (and the past-due part, not below zero) by the amount, stamps the
/// account `as_of` the posting time, and records the payment. `NotFound` without the account,
/// `Conflict` when the reference was already posted to it.
pub(super) async fn post_payment(
    conn: &mut Conn,
    utility: UtilityId,
    payment: &NewPayment,
) -> StoreResult<Account> {
    if payment.amount_cents <= 0 {
        return Err(StoreError::Invalid("a payment must be positive".into()));
    }
    let row = sqlx::query(AssertSqlSafe(format!(
        "UPDATE accounts SET balance_cents = balance_cents - $1, \
         past_due_cents = CASE WHEN past_due_cents > $1 THEN past_due_cents - $1 ELSE 0 END, \
         as_of = $2 WHERE utility_id = $3 AND id = $4 RETURNING {ACCOUNT_COLS}"
    )))
    .bind(payment.amount_cents)
    .bind(millis(payment.posted_at))
    .bind(utility.0)
    .bind(payment.account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    sqlx::query(
        "INSERT INTO payments (utility_id, id, account_id, amount_cents, reference, posted_by, \
         posted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(utility.0)
    .bind(payment.id)
    .bind(payment.account_id)
    .bind(payment.amount_cents)
    .bind(payment.reference.as_deref())
    .bind(payment.posted_by)
    .bind(millis(payment.posted_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "payment with that reference"))?;
    account(&row)
}

/// The account's orders of one type, by number.
pub(super) async fn account_orders(
    pool: &Pool<Db>,
    utility: UtilityId,
    account_id: Uuid,
    order_type: OrderType,
) -> StoreResult<Vec<OrderSummary>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ORDER_COLS} FROM orders WHERE utility_id = $1 AND account_id = $2 \
         AND order_type = $3 ORDER BY number"
    )))
    .bind(utility.0)
    .bind(account_id)
    .bind(order_type.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(summary).collect()
}

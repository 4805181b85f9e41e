//! Blind re-reads: the order and its hidden values inserted in one transaction; the server's
//! latest comparison kept per order (a later reading replaces it).

use super::orders;
use super::rows::{DbRow, millis, small, time};
use super::{Conn, Db};
use crate::store::{
    HiddenRegister, NewOrder, OrderSummary, ReReadOutcome, StoreError, StoreResult, UtilityId,
};
use sqlx::{Pool, Row};
use uuid::Uuid;

/// Inserts the re-read order and its hidden values.
pub(super) async fn insert_re_read(
    conn: &mut Conn,
    utility: UtilityId,
    order: &NewOrder,
    hidden: &[HiddenRegister],
) -> StoreResult<OrderSummary> {
    let summary = orders::insert_orders(conn, utility, std::slice::from_ref(order))
        .await?
        .pop()
        .ok_or_else(|| StoreError::Invalid("order was not inserted".into()))?;
    for h in hidden {
        sqlx::query(
            "INSERT INTO re_read_values (utility_id, order_id, register, disputed, previous, \
             low_limit, high_limit) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(utility.0)
        .bind(order.id)
        .bind(i64::from(h.register))
        .bind(h.disputed.as_deref())
        .bind(h.previous.as_deref())
        .bind(h.low_limit)
        .bind(h.high_limit)
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::classify(e, "re-read register"))?;
    }
    Ok(summary)
}

fn hidden(row: &DbRow) -> StoreResult<HiddenRegister> {
    Ok(HiddenRegister {
        register: small(row, "register")?,
        disputed: row.try_get("disputed")?,
        previous: row.try_get("previous")?,
        low_limit: row.try_get("low_limit")?,
        high_limit: row.try_get("high_limit")?,
    })
}

/// The hidden values of a re-read, by register.
pub(super) async fn re_read_values(
    pool: &Pool<Db>,
    utility: UtilityId,
    order: Uuid,
) -> StoreResult<Vec<HiddenRegister>> {
    let rows = sqlx::query(
        "SELECT register, disputed, previous, low_limit, high_limit FROM re_read_values \
         WHERE utility_id = $1 AND order_id = $2 ORDER BY register",
    )
    .bind(utility.0)
    .bind(order)
    .fetch_all(pool)
    .await?;
    rows.iter().map(hidden).collect()
}

/// Records (or replaces) the comparison of a re-read.
pub(super) async fn record_re_read_outcome(
    conn: &mut Conn,
    utility: UtilityId,
    outcome: &ReReadOutcome,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO re_read_outcomes (utility_id, order_id, outcome, entry_id, detail, \
         judged_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (utility_id, order_id) DO UPDATE \
         SET outcome = excluded.outcome, entry_id = excluded.entry_id, \
         detail = excluded.detail, judged_at = excluded.judged_at",
    )
    .bind(utility.0)
    .bind(outcome.order_id)
    .bind(outcome.outcome.as_str())
    .bind(outcome.entry_id.as_str())
    .bind(outcome.detail.as_str())
    .bind(millis(outcome.judged_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "re-read outcome"))?;
    Ok(())
}

/// The comparison of a re-read, once judged.
pub(super) async fn re_read_outcome(
    pool: &Pool<Db>,
    utility: UtilityId,
    order: Uuid,
) -> StoreResult<Option<ReReadOutcome>> {
    let row = sqlx::query(
        "SELECT order_id, outcome, entry_id, detail, judged_at FROM re_read_outcomes \
         WHERE utility_id = $1 AND order_id = $2",
    )
    .bind(utility.0)
    .bind(order)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(ReReadOutcome {
            order_id: row.try_get("order_id")?,
            outcome: row.try_get("outcome")?,
            entry_id: row.try_get("entry_id")?,
            detail: row.try_get("detail")?,
            judged_at: time(&row, "judged_at")?,
        })
    })
    .transpose()
}

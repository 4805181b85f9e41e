//! Follow-up links. The link row is inserted first with `ON CONFLICT DO NOTHING`: when it
//! already exists (a repeated sync, or a concurrent one that committed first; on PostgreSQL
//! the second insert waits for the first transaction) nothing else is written, so each
//! `(origin order, entry, kind)` gets one order however often and however concurrently the
//! entry is synced. The link's foreign key to the new order is deferred to the commit.

use super::orders;
use super::rows::{DbRow, millis, time};
use super::{Conn, Db};
use crate::store::{
    FollowUpLink, NewOrder, OrderSummary, StoreError, StoreResult, UtilityId, follow_up_kind_name,
    parse_follow_up_kind,
};
use sqlx::{AssertSqlSafe, Pool, Row};
use uuid::Uuid;

const LINK_COLS: &str = "origin_order_id, origin_entry_id, kind, reason, order_id, created_at";

fn link(row: &DbRow) -> StoreResult<FollowUpLink> {
    let kind: String = row.try_get("kind")?;
    Ok(FollowUpLink {
        origin_order_id: row.try_get("origin_order_id")?,
        origin_entry_id: row.try_get("origin_entry_id")?,
        kind: parse_follow_up_kind(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("kind: unknown value {kind:?}")))?,
        reason: row.try_get("reason")?,
        order_id: row.try_get("order_id")?,
        created_at: time(row, "created_at")?,
    })
}

/// Inserts the link and, if it is new, the order; `None` (and nothing to commit) when the link
/// exists.
pub(super) async fn insert_follow_up(
    conn: &mut Conn,
    utility: UtilityId,
    new: &FollowUpLink,
    order: &NewOrder,
) -> StoreResult<Option<OrderSummary>> {
    if new.order_id != order.id {
        return Err(StoreError::Invalid(
            "a follow-up link must name the order it creates".into(),
        ));
    }
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO follow_ups (utility_id, {LINK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT DO NOTHING"
    )))
    .bind(utility.0)
    .bind(new.origin_order_id)
    .bind(new.origin_entry_id.as_str())
    .bind(follow_up_kind_name(new.kind))
    .bind(new.reason.as_str())
    .bind(new.order_id)
    .bind(millis(new.created_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "follow-up"))?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    let mut done = orders::insert_orders(conn, utility, std::slice::from_ref(order)).await?;
    Ok(done.pop())
}

/// The follow-ups created from an origin order's entries, oldest first.
pub(super) async fn follow_ups_of(
    pool: &Pool<Db>,
    utility: UtilityId,
    origin: Uuid,
) -> StoreResult<Vec<FollowUpLink>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {LINK_COLS} FROM follow_ups WHERE utility_id = $1 AND origin_order_id = $2 \
         ORDER BY created_at, origin_entry_id, kind"
    )))
    .bind(utility.0)
    .bind(origin)
    .fetch_all(pool)
    .await?;
    rows.iter().map(link).collect()
}

/// The link that created `order`, if it is a follow-up.
pub(super) async fn follow_up_origin(
    pool: &Pool<Db>,
    utility: UtilityId,
    order: Uuid,
) -> StoreResult<Option<FollowUpLink>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {LINK_COLS} FROM follow_ups WHERE utility_id = $1 AND order_id = $2"
    )))
    .bind(utility.0)
    .bind(order)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(link).transpose()
}

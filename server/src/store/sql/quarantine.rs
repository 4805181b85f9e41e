//! Quarantined changes: kept once each (a change quarantined again, by a retried sync, is a
//! no-op), listed newest first for the admin endpoint.

use super::rows::{DbRow, millis, time};
use super::{Conn, Db};
use crate::store::{Page, PageRequest, QuarantinedChange, StoreResult, UtilityId};
use sqlx::{Pool, Row};

const COLS: &str = "order_id, change_hash, change_bytes, code, message, rule, field, device_id, \
                    user_id, received_at";

fn quarantined(row: &DbRow) -> StoreResult<QuarantinedChange> {
    Ok(QuarantinedChange {
        order_id: row.try_get("order_id")?,
        change_hash: row.try_get("change_hash")?,
        bytes: row.try_get("change_bytes")?,
        code: row.try_get("code")?,
        message: row.try_get("message")?,
        rule: row.try_get("rule")?,
        field: row.try_get("field")?,
        device_id: row.try_get("device_id")?,
        user_id: row.try_get("user_id")?,
        received_at: time(row, "received_at")?,
    })
}

pub(super) async fn insert(
    conn: &mut Conn,
    utility: UtilityId,
    rows: &[QuarantinedChange],
) -> StoreResult<()> {
    for q in rows {
        sqlx::query(
            "INSERT INTO quarantined_changes (utility_id, order_id, change_hash, change_bytes, \
             code, message, rule, field, device_id, user_id, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (utility_id, order_id, change_hash) DO NOTHING",
        )
        .bind(utility.0)
        .bind(q.order_id)
        .bind(q.change_hash.as_str())
        .bind(q.bytes.as_slice())
        .bind(q.code.as_str())
        .bind(q.message.as_str())
        .bind(q.rule.as_deref())
        .bind(q.field.as_deref())
        .bind(q.device_id)
        .bind(q.user_id)
        .bind(millis(q.received_at))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn list(
    pool: &Pool<Db>,
    utility: UtilityId,
    page: PageRequest,
) -> StoreResult<Page<QuarantinedChange>> {
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM quarantined_changes WHERE utility_id = $1")
            .bind(utility.0)
            .fetch_one(pool)
            .await?;
    let sql = format!(
        "SELECT {COLS} FROM quarantined_changes WHERE utility_id = $1 \
         ORDER BY received_at DESC, order_id, change_hash LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(page.capped_limit())
        .bind(i64::from(page.offset))
        .fetch_all(pool)
        .await?;
    Ok(Page {
        items: rows.iter().map(quarantined).collect::<StoreResult<_>>()?,
        total,
    })
}

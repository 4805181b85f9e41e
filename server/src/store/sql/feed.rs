//! The change feed: positions handed out per utility, one entry per transaction that changed an
//! order, and the reads devices follow it with.
//!
//! Why a reader never sees position N+1 before N: a position is taken by
//! `UPDATE utilities SET feed_head = feed_head + k ... RETURNING`, inside the transaction that
//! writes the change, and that row lock is held until the transaction ends. A second writer's
//! `UPDATE` of the same row blocks until the first commits (it then reads the committed head and
//! continues after it) or rolls back (it then reuses the freed positions: no gap). So the
//! transaction holding N+1 can only commit after the one holding N committed, and PostgreSQL
//! makes a transaction visible (ProcArrayEndTransaction) before it releases its locks. A
//! statement whose snapshot shows N+1 therefore shows N too, and "position > cursor" never skips
//! a late commit. SQLite has one writer (`BEGIN IMMEDIATE`), so commits are in order anyway.
//! Every writer takes the counter before touching order rows, so writers of one utility lock in
//! the same order and never deadlock.

use super::rows::{DbRow, millis, time};
use super::{Conn, Db};
use crate::store::{FeedEntry, LoggedChange, StoreError, StoreResult, UtilityId};
use chrono::{DateTime, Utc};
use sqlx::{Pool, QueryBuilder, Row};
use uuid::Uuid;

/// Rows per multi-row `INSERT` of feed entries (6 columns).
const CHUNK: usize = 1_000;

/// One feed row to write: position, order, assignee before, assignee after.
pub(super) type NewFeedEntry = (i64, Uuid, Option<Uuid>, Option<Uuid>);

/// Takes `count` consecutive feed positions of the utility; returns the first. Locks the
/// utility's counter row until the transaction ends (see the module comment).
pub(super) async fn take_positions(
    conn: &mut Conn,
    utility: UtilityId,
    count: i64,
) -> StoreResult<i64> {
    let head: Option<i64> = sqlx::query_scalar(
        "UPDATE utilities SET feed_head = feed_head + $1 WHERE id = $2 RETURNING feed_head",
    )
    .bind(count)
    .bind(utility.0)
    .fetch_optional(&mut *conn)
    .await?;
    let head = head.ok_or_else(|| StoreError::Invalid("unknown utility".into()))?;
    Ok(head - count + 1)
}

/// Writes feed entries, [`CHUNK`] per statement.
pub(super) async fn insert_entries(
    conn: &mut Conn,
    utility: UtilityId,
    entries: &[NewFeedEntry],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    for chunk in entries.chunks(CHUNK) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO order_feed (utility_id, position, order_id, assignee_before, \
             assignee_after, created_at) ",
        );
        q.push_values(chunk, |mut b, &(position, order_id, before, after)| {
            b.push_bind(utility.0)
                .push_bind(position)
                .push_bind(order_id)
                .push_bind(before)
                .push_bind(after)
                .push_bind(millis(at));
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "feed entry"))?;
    }
    Ok(())
}

fn position(value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::Invalid(format!("feed position {value}")))
}

fn entry(row: &DbRow) -> StoreResult<FeedEntry> {
    let pos: i64 = row.try_get("position")?;
    Ok(FeedEntry {
        position: u64::try_from(pos)
            .map_err(|_| StoreError::Invalid(format!("feed position {pos}")))?,
        order_id: row.try_get("order_id")?,
        assignee_before: row.try_get("assignee_before")?,
        assignee_after: row.try_get("assignee_after")?,
        created_at: time(row, "created_at")?,
    })
}

const ENTRY_COLS: &str = "position, order_id, assignee_before, assignee_after, created_at";

pub(super) async fn feed_head(pool: &Pool<Db>, utility: UtilityId) -> StoreResult<u64> {
    let head: Option<i64> = sqlx::query_scalar("SELECT feed_head FROM utilities WHERE id = $1")
        .bind(utility.0)
        .fetch_optional(pool)
        .await?;
    let head = head.ok_or(StoreError::NotFound)?;
    u64::try_from(head).map_err(|_| StoreError::Invalid(format!("feed head {head}")))
}

pub(super) async fn feed_since(
    pool: &Pool<Db>,
    utility: UtilityId,
    after: u64,
    limit: u32,
) -> StoreResult<Vec<FeedEntry>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLS} FROM order_feed WHERE utility_id = $1 AND position > $2 \
         ORDER BY position LIMIT $3"
    )))
    .bind(utility.0)
    .bind(position(after)?)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry).collect()
}

pub(super) async fn feed_for_user(
    pool: &Pool<Db>,
    utility: UtilityId,
    user: Uuid,
    after: u64,
    up_to: u64,
    limit: u32,
) -> StoreResult<Vec<FeedEntry>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLS} FROM order_feed WHERE utility_id = $1 AND position > $2 \
         AND position <= $3 AND (assignee_before = $4 OR assignee_after = $4) \
         ORDER BY position LIMIT $5"
    )))
    .bind(utility.0)
    .bind(position(after)?)
    .bind(position(up_to)?)
    .bind(user)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry).collect()
}

pub(super) async fn order_changes_after(
    pool: &Pool<Db>,
    utility: UtilityId,
    order: Uuid,
    after: u64,
    up_to: u64,
) -> StoreResult<Vec<LoggedChange>> {
    let rows = sqlx::query(
        "SELECT change_hash, change_bytes FROM order_changes WHERE utility_id = $1 \
         AND order_id = $2 AND feed_position > $3 AND feed_position <= $4 ORDER BY position",
    )
    .bind(utility.0)
    .bind(order)
    .bind(position(after)?)
    .bind(position(up_to)?)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LoggedChange {
                hash: row.try_get("change_hash")?,
                bytes: row.try_get("change_bytes")?,
            })
        })
        .collect()
}

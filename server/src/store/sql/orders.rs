//! Queries for work orders: the projection and document row, office numbers, optimistic
//! version checks, and the change log appended in the same transaction.

use super::feed::{self, NewFeedEntry};
use super::rows::{DbRow, json, millis, opt_millis, opt_small, opt_time, time, to_json, wire};
use super::{Conn, Db};
use crate::store::{
    AssigneeFilter, ChangeRecord, NewChange, NewOrder, OrderFilter, OrderProjection, OrderSummary,
    OrderUpdate, Page, PageRequest, StoreError, StoreResult, StoredOrder, UploadedOrder, UtilityId,
};
use chrono::{DateTime, Utc};
use fieldline_core::model::{OrderType, Priority, Source};
use fieldline_core::status::Status;
use sqlx::{AssertSqlSafe, Pool, QueryBuilder, Row};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows per multi-row `INSERT` of changes (12 columns).
const CHUNK: usize = 500;
/// Rows per multi-row `INSERT` of orders (21 columns; documents are the bulk of the bytes).
const ORDER_CHUNK: usize = 100;

pub(super) const ORDER_COLS: &str = "utility_id, id, number, order_type, status, priority, source, \
     assignee_id, route_id, sequence, premise_id, account_id, meter_id, lat, lon, due_at, \
     created_at, updated_at, exceptions, version";
const CHANGE_COLS: &str = "utility_id, order_id, position, change_hash, change_bytes, actor, \
     user_id, device_id, device_time, received_at, summary";

pub(super) fn summary(row: &DbRow) -> StoreResult<OrderSummary> {
    Ok(OrderSummary {
        id: row.try_get("id")?,
        utility_id: UtilityId(row.try_get("utility_id")?),
        number: row.try_get("number")?,
        projection: OrderProjection {
            order_type: wire(row, "order_type", OrderType::parse)?,
            status: wire(row, "status", Status::parse)?,
            priority: wire(row, "priority", Priority::parse)?,
            source: wire(row, "source", Source::parse)?,
            assignee_id: row.try_get("assignee_id")?,
            route_id: row.try_get("route_id")?,
            sequence: opt_small(row, "sequence")?,
            premise_id: row.try_get("premise_id")?,
            account_id: row.try_get("account_id")?,
            meter_id: row.try_get("meter_id")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
            due_at: opt_time(row, "due_at")?,
            exceptions: json(row, "exceptions")?,
        },
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        version: row.try_get("version")?,
    })
}

fn change_record(row: &DbRow) -> StoreResult<ChangeRecord> {
    Ok(ChangeRecord {
        order_id: row.try_get("order_id")?,
        position: row.try_get("position")?,
        change: NewChange {
            hash: row.try_get("change_hash")?,
            bytes: row.try_get("change_bytes")?,
            actor: row.try_get("actor")?,
            user_id: row.try_get("user_id")?,
            device_id: row.try_get("device_id")?,
            device_time: opt_time(row, "device_time")?,
            received_at: time(row, "received_at")?,
            summary: row.try_get("summary")?,
        },
    })
}

/// Takes `count` office numbers from the utility's counter; returns the first. The counter
/// row's lock serializes concurrent inserts of one utility on PostgreSQL.
async fn reserve_numbers(conn: &mut Conn, utility: UtilityId, count: i64) -> StoreResult<i64> {
    let next: Option<i64> = sqlx::query_scalar(
        "UPDATE utilities SET next_order_number = next_order_number + $1 WHERE id = $2 \
         RETURNING next_order_number",
    )
    .bind(count)
    .bind(utility.0)
    .fetch_optional(&mut *conn)
    .await?;
    let next = next.ok_or_else(|| StoreError::Invalid("unknown utility".into()))?;
    Ok(next - count)
}

/// One change-log row to write: the order, its position in the order's log, the feed position
/// of the transaction appending it, the change.
type LogEntry<'a> = (Uuid, i64, i64, &'a NewChange);

/// Appends change-log rows, [`CHUNK`] per statement.
async fn append_changes(
    conn: &mut Conn,
    utility: UtilityId,
    entries: &[LogEntry<'_>],
) -> StoreResult<()> {
    for chunk in entries.chunks(CHUNK) {
        let mut q = QueryBuilder::<Db>::new(format!(
            "INSERT INTO order_changes ({CHANGE_COLS}, feed_position) "
        ));
        q.push_values(chunk, |mut b, &(order_id, position, feed_position, c)| {
            b.push_bind(utility.0)
                .push_bind(order_id)
                .push_bind(position)
                .push_bind(c.hash.as_str())
                .push_bind(c.bytes.as_slice())
                .push_bind(c.actor.as_str())
                .push_bind(c.user_id)
                .push_bind(c.device_id)
                .push_bind(opt_millis(c.device_time))
                .push_bind(millis(c.received_at))
                .push_bind(c.summary.as_str())
                .push_bind(feed_position);
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "order change"))?;
    }
    Ok(())
}

/// The log rows of `changes` appended to `order_id`'s log from `first_position` on, by the
/// transaction holding feed position `feed_position`.
fn log_entries(
    order_id: Uuid,
    first_position: i64,
    feed_position: i64,
    changes: &[NewChange],
) -> Vec<LogEntry<'_>> {
    (first_position..)
        .zip(changes)
        .map(|(position, c)| (order_id, position, feed_position, c))
        .collect()
}

/// Pushes the projection's values, in `ORDER_COLS` order from `order_type` to `due_at`.
fn push_projection(
    b: &mut sqlx::query_builder::Separated<'_, Db, &'static str>,
    p: &OrderProjection,
) {
    b.push_bind(p.order_type.as_str())
        .push_bind(p.status.as_str())
        .push_bind(p.priority.as_str())
        .push_bind(p.source.as_str())
        .push_bind(p.assignee_id)
        .push_bind(p.route_id)
        .push_bind(p.sequence.map(i64::from))
        .push_bind(p.premise_id)
        .push_bind(p.account_id)
        .push_bind(p.meter_id)
        .push_bind(p.lat)
        .push_bind(p.lon)
        .push_bind(opt_millis(p.due_at));
}

/// Inserts orders, each with a feed entry of its own; takes the feed positions first (the lock
/// order every writer follows, see `feed.rs`).
pub(super) async fn insert_orders(
    conn: &mut Conn,
    utility: UtilityId,
    orders: &[NewOrder],
) -> StoreResult<Vec<OrderSummary>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let count =
        i64::try_from(orders.len()).map_err(|_| StoreError::Invalid("too many orders".into()))?;
    let first_position = feed::take_positions(conn, utility, count).await?;
    insert_orders_at(conn, utility, orders, first_position).await
}

/// Inserts orders whose feed positions (`first_position`, +1, ...) the caller already took.
async fn insert_orders_at(
    conn: &mut Conn,
    utility: UtilityId,
    orders: &[NewOrder],
    first_position: i64,
) -> StoreResult<Vec<OrderSummary>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let count =
        i64::try_from(orders.len()).map_err(|_| StoreError::Invalid("too many orders".into()))?;
    let first = reserve_numbers(conn, utility, count).await?;
    let rows: Vec<(i64, &NewOrder, String)> = (first..)
        .zip(orders)
        .map(|(number, o)| Ok((number, o, to_json(&o.projection.exceptions, "exceptions")?)))
        .collect::<StoreResult<_>>()?;
    for chunk in rows.chunks(ORDER_CHUNK) {
        let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO orders ({ORDER_COLS}, doc) "));
        q.push_values(chunk, |mut b, (number, o, exceptions)| {
            b.push_bind(utility.0).push_bind(o.id).push_bind(*number);
            push_projection(&mut b, &o.projection);
            b.push_bind(millis(o.created_at))
                .push_bind(millis(o.created_at))
                .push_bind(exceptions.as_str())
                .push_bind(1_i64)
                .push_bind(o.doc.as_slice());
        });
        q.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "order"))?;
    }
    let log: Vec<LogEntry<'_>> = (first_position..)
        .zip(orders)
        .flat_map(|(feed_position, o)| log_entries(o.id, 0, feed_position, &o.changes))
        .collect();
    append_changes(conn, utility, &log).await?;
    let entries: Vec<NewFeedEntry> = (first_position..)
        .zip(orders)
        .map(|(position, o)| (position, o.id, None, o.projection.assignee_id))
        .collect();
    let created = orders
        .iter()
        .map(|o| o.created_at)
        .max()
        .unwrap_or_default();
    feed::insert_entries(conn, utility, &entries, created).await?;
    Ok(rows
        .into_iter()
        .map(|(number, o, _)| OrderSummary {
            id: o.id,
            utility_id: utility,
            number,
            projection: o.projection.clone(),
            // As stored: at millisecond precision, so it equals what a later read returns.
            created_at: truncated(o.created_at),
            updated_at: truncated(o.created_at),
            version: 1,
        })
        .collect())
}

/// Updates an order; when it appends changes, takes a feed position first (the lock order every
/// writer follows, see `feed.rs`) and writes the feed entry.
pub(super) async fn update_order(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    expected_version: i64,
    u: &OrderUpdate,
) -> StoreResult<OrderSummary> {
    let position = if u.changes.is_empty() {
        None
    } else {
        Some(feed::take_positions(conn, utility, 1).await?)
    };
    update_order_at(conn, utility, id, expected_version, u, position).await
}

/// An order row locked for an update at the version its writer expects, or why not.
pub(super) enum Locked {
    /// Locked at the expected version; the feed position the update takes (`None` when it
    /// appends no changes).
    At(Option<i64>),
    /// The version moved since the writer read the order.
    Moved,
}

/// For a writer that changes another record together with an order: takes the update's feed
/// position, then locks the order's row if its version is still `expected_version` (a no-op
/// write: PostgreSQL holds the row lock until the transaction ends, SQLite has one writer), so
/// the version cannot move before [`update_order_at`] writes it. `NotFound` without the order.
pub(super) async fn lock_version(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    expected_version: i64,
    u: &OrderUpdate,
) -> StoreResult<Locked> {
    let position = if u.changes.is_empty() {
        None
    } else {
        Some(feed::take_positions(conn, utility, 1).await?)
    };
    let locked = sqlx::query(
        "UPDATE orders SET version = version WHERE utility_id = $1 AND id = $2 AND version = $3",
    )
    .bind(utility.0)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    if locked.rows_affected() > 0 {
        return Ok(Locked::At(position));
    }
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT version FROM orders WHERE utility_id = $1 AND id = $2")
            .bind(utility.0)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    match exists {
        None => Err(StoreError::NotFound),
        Some(_) => Ok(Locked::Moved),
    }
}

/// Applies a batch of uploads in the caller's transaction: feed positions for all of them
/// first, then the stored rows the updates expect (read once for the batch), each update
/// (version-checked) or insert, and the batch's change-log and feed rows in multi-row
/// statements.
pub(super) async fn apply_uploads(
    conn: &mut Conn,
    utility: UtilityId,
    batch: &[UploadedOrder],
) -> StoreResult<Vec<OrderSummary>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let count =
        i64::try_from(batch.len()).map_err(|_| StoreError::Invalid("too many orders".into()))?;
    let first_position = feed::take_positions(conn, utility, count).await?;
    let updated: Vec<Uuid> = batch
        .iter()
        .filter_map(|item| match item {
            UploadedOrder::Update { id, .. } => Some(*id),
            UploadedOrder::Create(_) => None,
        })
        .collect();
    let current = current_rows(conn, utility, &updated).await?;
    let mut next_log = log_lengths(conn, utility, &updated).await?;
    let mut done = Vec::with_capacity(batch.len());
    let mut log = Vec::new();
    let mut entries: Vec<(DateTime<Utc>, NewFeedEntry)> = Vec::new();
    let mut writes = Vec::with_capacity(updated.len());
    for (position, item) in (first_position..).zip(batch) {
        match item {
            UploadedOrder::Update {
                id,
                expected_version,
                update,
            } => {
                let row = match current.get(id) {
                    None => return Err(StoreError::NotFound),
                    Some(row) if row.version != *expected_version => {
                        return Err(version_moved(row.version, *expected_version));
                    }
                    Some(row) => row,
                };
                writes.push((*id, *expected_version, update));
                let next = next_log.entry(*id).or_insert(0);
                log.extend(log_entries(*id, *next, position, &update.changes));
                *next += i64::try_from(update.changes.len())
                    .map_err(|_| StoreError::Invalid("too many changes".into()))?;
                // Read under the version the update checked, so this is the assignee it moved
                // from.
                let entry = (position, *id, row.assignee, update.projection.assignee_id);
                entries.push((update.updated_at, entry));
                done.push(OrderSummary {
                    id: *id,
                    utility_id: utility,
                    number: row.number,
                    projection: update.projection.clone(),
                    created_at: row.created_at,
                    updated_at: truncated(update.updated_at),
                    version: expected_version + 1,
                });
            }
            UploadedOrder::Create(order) => {
                let mut created =
                    insert_orders_at(conn, utility, std::slice::from_ref(order), position).await?;
                done.append(&mut created);
            }
        }
    }
    write_updates(conn, utility, &writes).await?;
    append_changes(conn, utility, &log).await?;
    // One statement per distinct time (a sync batch has one).
    entries.sort_by_key(|(at, (position, ..))| (*at, *position));
    for group in entries.chunk_by(|a, b| a.0 == b.0) {
        let rows: Vec<NewFeedEntry> = group.iter().map(|(_, entry)| *entry).collect();
        feed::insert_entries(conn, utility, &rows, group[0].0).await?;
    }
    Ok(done)
}

/// What a batch of updates needs from an order's stored row.
struct CurrentRow {
    version: i64,
    assignee: Option<Uuid>,
    number: i64,
    created_at: DateTime<Utc>,
}

/// Rows per `IN (...)` list of order ids.
const ID_CHUNK: usize = 500;

/// Pushes ` AND <col> IN ($n, ...)` for `ids`.
fn push_ids(q: &mut QueryBuilder<Db>, col: &str, ids: &[Uuid]) {
    q.push(format!(" AND {col} IN ("));
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

/// The version, assignee, number and creation time of the orders `ids` (those that exist).
async fn current_rows(
    conn: &mut Conn,
    utility: UtilityId,
    ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, CurrentRow>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT id, version, assignee_id, number, created_at FROM orders WHERE utility_id = ",
        );
        q.push_bind(utility.0);
        push_ids(&mut q, "id", chunk);
        for row in q.build().fetch_all(&mut *conn).await? {
            found.insert(
                row.try_get("id")?,
                CurrentRow {
                    version: row.try_get("version")?,
                    assignee: row.try_get("assignee_id")?,
                    number: row.try_get("number")?,
                    created_at: time(&row, "created_at")?,
                },
            );
        }
    }
    Ok(found)
}

/// The next log position of each of the orders `ids` that has logged changes.
async fn log_lengths(
    conn: &mut Conn,
    utility: UtilityId,
    ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, i64>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT order_id, MAX(position) + 1 AS next FROM order_changes WHERE utility_id = ",
        );
        q.push_bind(utility.0);
        push_ids(&mut q, "order_id", chunk);
        q.push(" GROUP BY order_id");
        for row in q.build().fetch_all(&mut *conn).await? {
            found.insert(row.try_get("order_id")?, row.try_get("next")?);
        }
    }
    Ok(found)
}

fn version_moved(current: i64, expected: i64) -> StoreError {
    StoreError::Conflict(format!(
        "order version is {current}, not the expected {expected}"
    ))
}

/// Rows per multi-row `UPDATE` of orders (18 values each).
const UPDATE_CHUNK: usize = 50;

/// One order update of a batch: the order, the version it must still have, its new state.
type Write<'a> = (Uuid, i64, &'a OrderUpdate);

/// Writes orders' new projections and documents, [`UPDATE_CHUNK`] per statement, each only if
/// its version is still the expected one. `Conflict` when any moved (or an order is named
/// twice): the caller's transaction then writes nothing.
async fn write_updates(
    conn: &mut Conn,
    utility: UtilityId,
    writes: &[Write<'_>],
) -> StoreResult<()> {
    for chunk in writes.chunks(UPDATE_CHUNK) {
        let rows = chunk
            .iter()
            .map(|(id, expected, u)| {
                Ok((
                    *id,
                    *expected,
                    *u,
                    to_json(&u.projection.exceptions, "exceptions")?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // VALUES columns are column1, column2, ... on both backends.
        let mut q = QueryBuilder::<Db>::new(
            "UPDATE orders SET order_type = v.column3, status = v.column4, priority = v.column5, \
             source = v.column6, assignee_id = v.column7, route_id = v.column8, \
             sequence = v.column9, premise_id = v.column10, account_id = v.column11, \
             meter_id = v.column12, lat = v.column13, lon = v.column14, due_at = v.column15, \
             exceptions = v.column16, doc = v.column17, updated_at = v.column18, \
             version = orders.version + 1 FROM (",
        );
        q.push_values(&rows, |mut b, (id, expected, u, exceptions)| {
            let p = &u.projection;
            b.push_bind(*id)
                .push_bind(*expected)
                .push_bind(p.order_type.as_str())
                .push_bind(p.status.as_str())
                .push_bind(p.priority.as_str())
                .push_bind(p.source.as_str())
                .push_bind(p.assignee_id)
                .push_bind(p.route_id)
                .push_bind(p.sequence.map(i64::from))
                .push_bind(p.premise_id)
                .push_bind(p.account_id)
                .push_bind(p.meter_id)
                .push_bind(p.lat)
                .push_bind(p.lon)
                .push_bind(opt_millis(p.due_at))
                .push_bind(exceptions.as_str())
                .push_bind(u.doc.as_slice())
                .push_bind(millis(u.updated_at));
        });
        q.push(") AS v WHERE orders.utility_id = ")
            .push_bind(utility.0)
            .push(" AND orders.id = v.column1 AND orders.version = v.column2");
        let done = q
            .build()
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "order"))?;
        if usize::try_from(done.rows_affected()).ok() != Some(chunk.len()) {
            return Err(StoreError::Conflict(
                "an order of the batch changed meanwhile".into(),
            ));
        }
    }
    Ok(())
}

/// Writes an order's new projection and document if its version is still `expected_version`.
/// `Conflict` when it moved, `NotFound` when there is no such order.
async fn write_update(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    expected_version: i64,
    u: &OrderUpdate,
) -> StoreResult<()> {
    let exceptions = to_json(&u.projection.exceptions, "exceptions")?;
    let p = &u.projection;
    let done = sqlx::query(
        "UPDATE orders SET order_type = $1, status = $2, priority = $3, source = $4, \
         assignee_id = $5, route_id = $6, sequence = $7, premise_id = $8, account_id = $9, \
         meter_id = $10, lat = $11, lon = $12, due_at = $13, exceptions = $14, doc = $15, \
         updated_at = $16, version = version + 1 \
         WHERE utility_id = $17 AND id = $18 AND version = $19",
    )
    .bind(p.order_type.as_str())
    .bind(p.status.as_str())
    .bind(p.priority.as_str())
    .bind(p.source.as_str())
    .bind(p.assignee_id)
    .bind(p.route_id)
    .bind(p.sequence.map(i64::from))
    .bind(p.premise_id)
    .bind(p.account_id)
    .bind(p.meter_id)
    .bind(p.lat)
    .bind(p.lon)
    .bind(opt_millis(p.due_at))
    .bind(exceptions.as_str())
    .bind(u.doc.as_slice())
    .bind(millis(u.updated_at))
    .bind(utility.0)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "order"))?;
    if done.rows_affected() == 0 {
        let current: Option<i64> =
            sqlx::query_scalar("SELECT version FROM orders WHERE utility_id = $1 AND id = $2")
                .bind(utility.0)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        return Err(match current {
            None => StoreError::NotFound,
            Some(v) => version_moved(v, expected_version),
        });
    }
    Ok(())
}

/// Updates an order with the feed position the caller took (`None`: no changes, no entry).
pub(super) async fn update_order_at(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    expected_version: i64,
    u: &OrderUpdate,
    feed_position: Option<i64>,
) -> StoreResult<OrderSummary> {
    // Read under the version the caller expects: if the UPDATE below succeeds, the row did not
    // change in between (versions only grow), so this is the assignee the change moved from.
    let before: Option<Option<Uuid>> = sqlx::query_scalar(
        "SELECT assignee_id FROM orders WHERE utility_id = $1 AND id = $2 AND version = $3",
    )
    .bind(utility.0)
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    write_update(conn, utility, id, expected_version, u).await?;
    let next_position: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM order_changes \
         WHERE utility_id = $1 AND order_id = $2",
    )
    .bind(utility.0)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if let Some(feed_position) = feed_position {
        let log = log_entries(id, next_position, feed_position, &u.changes);
        append_changes(conn, utility, &log).await?;
        let entry = (
            feed_position,
            id,
            before.flatten(),
            u.projection.assignee_id,
        );
        feed::insert_entries(conn, utility, &[entry], u.updated_at).await?;
    }
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE utility_id = $1 AND id = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    summary(&row)
}

/// A time at the precision the store keeps.
fn truncated(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(millis(t)).unwrap_or(t)
}

async fn get_order_where(
    pool: &Pool<Db>,
    utility: UtilityId,
    key_col: &str,
    bind: impl FnOnce(
        sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments>,
    ) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments>,
) -> StoreResult<StoredOrder> {
    let sql =
        format!("SELECT {ORDER_COLS}, doc FROM orders WHERE utility_id = $1 AND {key_col} = $2");
    let q = sqlx::query(AssertSqlSafe(sql)).bind(utility.0);
    let row = bind(q)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(StoredOrder {
        summary: summary(&row)?,
        doc: row.try_get("doc")?,
    })
}

pub(super) async fn get_order(
    pool: &Pool<Db>,
    utility: UtilityId,
    id: Uuid,
) -> StoreResult<StoredOrder> {
    get_order_where(pool, utility, "id", |q| q.bind(id)).await
}

/// The orders among `ids` that the utility holds, with their documents, in no particular order.
pub(super) async fn get_orders(
    pool: &Pool<Db>,
    utility: UtilityId,
    ids: &[Uuid],
) -> StoreResult<Vec<StoredOrder>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let mut q = QueryBuilder::<Db>::new(format!(
            "SELECT {ORDER_COLS}, doc FROM orders WHERE utility_id = "
        ));
        q.push_bind(utility.0);
        push_ids(&mut q, "id", chunk);
        for row in q.build().fetch_all(pool).await? {
            found.push(StoredOrder {
                summary: summary(&row)?,
                doc: row.try_get("doc")?,
            });
        }
    }
    Ok(found)
}

pub(super) async fn get_order_by_number(
    pool: &Pool<Db>,
    utility: UtilityId,
    number: i64,
) -> StoreResult<StoredOrder> {
    get_order_where(pool, utility, "number", |q| q.bind(number)).await
}

/// Appends ` AND ...` conditions for `filter` to a query that already has its utility clause.
fn push_filter(q: &mut QueryBuilder<Db>, filter: &OrderFilter) {
    if let Some(status) = filter.status {
        q.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(order_type) = filter.order_type {
        q.push(" AND order_type = ").push_bind(order_type.as_str());
    }
    match filter.assignee {
        Some(AssigneeFilter::User(user)) => {
            q.push(" AND assignee_id = ").push_bind(user);
        }
        Some(AssigneeFilter::Unassigned) => {
            q.push(" AND assignee_id IS NULL");
        }
        None => {}
    }
    if let Some(route) = filter.route_id {
        q.push(" AND route_id = ").push_bind(route);
    }
}

pub(super) async fn list_orders(
    pool: &Pool<Db>,
    utility: UtilityId,
    filter: &OrderFilter,
    page: PageRequest,
) -> StoreResult<Page<OrderSummary>> {
    let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM orders WHERE utility_id = ");
    count.push_bind(utility.0);
    push_filter(&mut count, filter);
    let total: i64 = count.build_query_scalar().fetch_one(pool).await?;

    let mut q = QueryBuilder::<Db>::new(format!(
        "SELECT {ORDER_COLS} FROM orders WHERE utility_id = "
    ));
    q.push_bind(utility.0);
    push_filter(&mut q, filter);
    q.push(if filter.route_id.is_some() {
        " ORDER BY sequence, number"
    } else {
        " ORDER BY number"
    });
    q.push(" LIMIT ")
        .push_bind(page.capped_limit())
        .push(" OFFSET ")
        .push_bind(i64::from(page.offset));
    let rows = q.build().fetch_all(pool).await?;
    Ok(Page {
        items: rows.iter().map(summary).collect::<StoreResult<_>>()?,
        total,
    })
}

pub(super) async fn order_history(
    pool: &Pool<Db>,
    utility: UtilityId,
    id: Uuid,
) -> StoreResult<Vec<ChangeRecord>> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT version FROM orders WHERE utility_id = $1 AND id = $2")
            .bind(utility.0)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    let sql = format!(
        "SELECT {CHANGE_COLS} FROM order_changes WHERE utility_id = $1 AND order_id = $2 \
         ORDER BY position"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(id)
        .fetch_all(pool)
        .await?;
    rows.iter().map(change_record).collect()
}

//! Devices and the automerge actors bound to them. An actor is bound to one device forever:
//! the binding decides who wrote a change, so it is never moved.

use super::rows::{DbRow, millis, opt_time, small, time};
use super::{Conn, Db};
use crate::store::{
    ActorBinding, Device, NewDevice, Registration, StoreError, StoreResult, UtilityId,
};
use chrono::{DateTime, Utc};
use sqlx::{Pool, Row};
use uuid::Uuid;

pub(super) const DEVICE_COLS: &str =
    "id, user_id, name, app_version, protocol_version, registered_at, last_sync_at, revoked_at";

pub(super) fn device(row: &DbRow) -> StoreResult<Device> {
    Ok(Device {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        app_version: row.try_get("app_version")?,
        protocol_version: small(row, "protocol_version")?,
        registered_at: time(row, "registered_at")?,
        last_sync_at: opt_time(row, "last_sync_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

fn binding(row: &DbRow) -> StoreResult<ActorBinding> {
    Ok(ActorBinding {
        actor: row.try_get("actor")?,
        device_id: row.try_get("device_id")?,
        user_id: row.try_get("user_id")?,
        bound_at: time(row, "bound_at")?,
    })
}

async fn device_owner(conn: &mut Conn, utility: UtilityId, id: Uuid) -> StoreResult<Option<Uuid>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM devices WHERE utility_id = $1 AND id = $2")
            .bind(utility.0)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

async fn actor_device(
    conn: &mut Conn,
    utility: UtilityId,
    actor: &str,
) -> StoreResult<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT device_id FROM device_actors WHERE utility_id = $1 AND actor = $2",
    )
    .bind(utility.0)
    .bind(actor)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Registers or updates the device and binds its actors. The caller commits only on
/// [`Registration::Registered`]. Inserts use `ON CONFLICT DO NOTHING` and are checked again
/// afterwards, so two concurrent registrations of one actor cannot both win.
pub(super) async fn register_device(
    conn: &mut Conn,
    utility: UtilityId,
    new: &NewDevice,
) -> StoreResult<Registration> {
    let protocol = i64::from(new.protocol_version);
    match device_owner(conn, utility, new.id).await? {
        Some(owner) if owner != new.user_id => return Ok(Registration::DeviceTaken),
        Some(_) => {
            sqlx::query(
                "UPDATE devices SET name = $1, app_version = $2, protocol_version = $3 \
                 WHERE utility_id = $4 AND id = $5",
            )
            .bind(new.name.as_str())
            .bind(new.app_version.as_str())
            .bind(protocol)
            .bind(utility.0)
            .bind(new.id)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO devices (utility_id, id, user_id, name, app_version, \
                 protocol_version, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (utility_id, id) DO NOTHING",
            )
            .bind(utility.0)
            .bind(new.id)
            .bind(new.user_id)
            .bind(new.name.as_str())
            .bind(new.app_version.as_str())
            .bind(protocol)
            .bind(millis(new.at))
            .execute(&mut *conn)
            .await
            .map_err(|e| StoreError::classify(e, "device"))?;
            if device_owner(conn, utility, new.id).await? != Some(new.user_id) {
                return Ok(Registration::DeviceTaken);
            }
        }
    }
    for actor in &new.actors {
        match actor_device(conn, utility, actor).await? {
            Some(device) if device != new.id => {
                return Ok(Registration::ActorTaken(actor.clone()));
            }
            Some(_) => {}
            None => {
                sqlx::query(
                    "INSERT INTO device_actors (utility_id, actor, device_id, user_id, bound_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (utility_id, actor) DO NOTHING",
                )
                .bind(utility.0)
                .bind(actor.as_str())
                .bind(new.id)
                .bind(new.user_id)
                .bind(millis(new.at))
                .execute(&mut *conn)
                .await
                .map_err(|e| StoreError::classify(e, "device actor"))?;
                if actor_device(conn, utility, actor).await? != Some(new.id) {
                    return Ok(Registration::ActorTaken(actor.clone()));
                }
            }
        }
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLS} FROM devices WHERE utility_id = $1 AND id = $2"
    )))
    .bind(utility.0)
    .bind(new.id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Registration::Registered(device(&row)?))
}

pub(super) async fn get_device(
    pool: &Pool<Db>,
    utility: UtilityId,
    id: Uuid,
) -> StoreResult<Device> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLS} FROM devices WHERE utility_id = $1 AND id = $2"
    )))
    .bind(utility.0)
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    device(&row)
}

pub(super) async fn device_actors(
    pool: &Pool<Db>,
    utility: UtilityId,
    device_id: Uuid,
) -> StoreResult<Vec<ActorBinding>> {
    let rows = sqlx::query(
        "SELECT actor, device_id, user_id, bound_at FROM device_actors \
         WHERE utility_id = $1 AND device_id = $2 ORDER BY bound_at, actor",
    )
    .bind(utility.0)
    .bind(device_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(binding).collect()
}

pub(super) async fn touch_device(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    app_version: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE devices SET last_sync_at = $1, app_version = $2 WHERE utility_id = $3 AND id = $4",
    )
    .bind(millis(at))
    .bind(app_version)
    .bind(utility.0)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

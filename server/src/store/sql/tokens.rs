//! Refresh tokens and device revocation. A refresh token is looked up by its hash alone (it names
//! no utility); every write carries the utility. Rotation is a conditional update of the old
//! token (`used_at IS NULL AND revoked_at IS NULL`) in the same transaction as the insert of the
//! next, so two concurrent uses of one token cannot both rotate it.

use super::devices::{DEVICE_COLS, device};
use super::rows::{DbRow, millis, opt_time, time};
use super::{Conn, Db};
use crate::store::{
    Device, NewRefreshToken, RefreshToken, Rotation, StoreError, StoreResult, UtilityId,
};
use chrono::{DateTime, Utc};
use sqlx::{Pool, Row};
use uuid::Uuid;

const TOKEN_COLS: &str = "token_hash, utility_id, family_id, user_id, device_id, created_at, \
                          expires_at, used_at, revoked_at";

fn token(row: &DbRow) -> StoreResult<RefreshToken> {
    Ok(RefreshToken {
        token_hash: row.try_get("token_hash")?,
        utility_id: UtilityId(row.try_get("utility_id")?),
        family_id: row.try_get("family_id")?,
        user_id: row.try_get("user_id")?,
        device_id: row.try_get("device_id")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
        used_at: opt_time(row, "used_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

pub(super) async fn list_devices(pool: &Pool<Db>, utility: UtilityId) -> StoreResult<Vec<Device>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLS} FROM devices WHERE utility_id = $1 ORDER BY registered_at, id"
    )))
    .bind(utility.0)
    .fetch_all(pool)
    .await?;
    rows.iter().map(device).collect()
}

/// Marks the device revoked (keeping the first revocation time) and revokes every refresh token
/// bound to it. Its actors, uploads and orders are untouched.
pub(super) async fn revoke_device(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<Device> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, $1) \
         WHERE utility_id = $2 AND id = $3 RETURNING {DEVICE_COLS}"
    )))
    .bind(millis(at))
    .bind(utility.0)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 \
         WHERE utility_id = $2 AND device_id = $3 AND revoked_at IS NULL",
    )
    .bind(millis(at))
    .bind(utility.0)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    device(&row)
}

/// Revokes the device's live tokens, then stores the first token of the new family.
pub(super) async fn start_refresh_family(
    conn: &mut Conn,
    utility: UtilityId,
    new: &NewRefreshToken,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 \
         WHERE utility_id = $2 AND device_id = $3 AND revoked_at IS NULL",
    )
    .bind(millis(new.created_at))
    .bind(utility.0)
    .bind(new.device_id)
    .execute(&mut *conn)
    .await?;
    insert_refresh_token(conn, utility, new).await
}

async fn insert_refresh_token(
    conn: &mut Conn,
    utility: UtilityId,
    new: &NewRefreshToken,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, utility_id, family_id, user_id, device_id, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new.token_hash.as_slice())
    .bind(utility.0)
    .bind(new.family_id)
    .bind(new.user_id)
    .bind(new.device_id)
    .bind(millis(new.created_at))
    .bind(millis(new.expires_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "refresh token"))?;
    Ok(())
}

pub(super) async fn find_refresh_token(
    pool: &Pool<Db>,
    token_hash: &[u8],
) -> StoreResult<Option<RefreshToken>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TOKEN_COLS} FROM refresh_tokens WHERE token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(token).transpose()
}

/// Marks `old_hash` used and stores `next`; [`Rotation::Stale`] (nothing written by this
/// function) when the old token was used or revoked meanwhile. The caller commits either way.
pub(super) async fn rotate_refresh_token(
    conn: &mut Conn,
    utility: UtilityId,
    old_hash: &[u8],
    next: &NewRefreshToken,
    at: DateTime<Utc>,
) -> StoreResult<Rotation> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE utility_id = $2 AND token_hash = $3 \
         AND family_id = $4 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(millis(at))
    .bind(utility.0)
    .bind(old_hash)
    .bind(next.family_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(Rotation::Stale);
    }
    insert_refresh_token(conn, utility, next).await?;
    Ok(Rotation::Rotated)
}

pub(super) async fn revoke_refresh_family(
    conn: &mut Conn,
    utility: UtilityId,
    family: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 \
         WHERE utility_id = $2 AND family_id = $3 AND revoked_at IS NULL",
    )
    .bind(millis(at))
    .bind(utility.0)
    .bind(family)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

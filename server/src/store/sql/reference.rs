//! Reference data versions: inserted, never updated; the current one is the highest version.

use super::rows::{DbRow, millis, small, time};
use super::{Conn, Db};
use crate::store::{StoreError, StoreResult, StoredReference, UtilityId};
use sqlx::{Pool, Row};

fn stored(row: &DbRow) -> StoreResult<StoredReference> {
    Ok(StoredReference {
        version: small(row, "version")?,
        data: row.try_get("data")?,
        created_by: row.try_get("created_by")?,
        created_at: time(row, "created_at")?,
    })
}

/// Inserts a version; `Conflict` when the utility has it already.
pub(super) async fn insert_reference_version(
    conn: &mut Conn,
    utility: UtilityId,
    new: &StoredReference,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO reference_versions (utility_id, version, data, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(utility.0)
    .bind(i64::from(new.version))
    .bind(new.data.as_str())
    .bind(new.created_by)
    .bind(millis(new.created_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "reference data version"))?;
    Ok(())
}

/// The highest version, or a given one.
pub(super) async fn reference_version(
    pool: &Pool<Db>,
    utility: UtilityId,
    version: Option<u32>,
) -> StoreResult<Option<StoredReference>> {
    let row = match version {
        Some(v) => {
            sqlx::query(
                "SELECT version, data, created_by, created_at FROM reference_versions \
                 WHERE utility_id = $1 AND version = $2",
            )
            .bind(utility.0)
            .bind(i64::from(v))
            .fetch_optional(pool)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT version, data, created_by, created_at FROM reference_versions \
                 WHERE utility_id = $1 ORDER BY version DESC LIMIT 1",
            )
            .bind(utility.0)
            .fetch_optional(pool)
            .await?
        }
    };
    row.as_ref().map(stored).transpose()
}

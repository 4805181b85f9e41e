//! Queries for utilities, users and signing keys.

use super::rows::{DbRow, millis, opt_time, time, wire};
use super::{Conn, Db};
use crate::store::{
    NewUser, NewUtility, SigningKey, StoreError, StoreResult, User, Utility, UtilityId,
};
use chrono::{DateTime, Utc};
use fieldline_core::model::Role;
use sqlx::{Pool, Row};
use uuid::Uuid;

const UTILITY_COLS: &str = "id, slug, name, created_at";
const USER_COLS: &str =
    "utility_id, id, username, display_name, role, password_hash, active, created_at";
const KEY_COLS: &str = "kid, algorithm, private_key, public_key, created_at, retired_at";

fn utility(row: &DbRow) -> StoreResult<Utility> {
    Ok(Utility {
        id: UtilityId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        created_at: time(row, "created_at")?,
    })
}

fn user(row: &DbRow) -> StoreResult<User> {
    Ok(User {
        id: row.try_get("id")?,
        utility_id: UtilityId(row.try_get("utility_id")?),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: wire(row, "role", Role::parse)?,
        password_hash: row.try_get("password_hash")?,
        active: row.try_get("active")?,
        created_at: time(row, "created_at")?,
    })
}

fn key(row: &DbRow) -> StoreResult<SigningKey> {
    Ok(SigningKey {
        kid: row.try_get("kid")?,
        algorithm: row.try_get("algorithm")?,
        private_key_der: row.try_get("private_key")?,
        public_key: row.try_get("public_key")?,
        created_at: time(row, "created_at")?,
        retired_at: opt_time(row, "retired_at")?,
    })
}

pub(super) async fn create_utility(conn: &mut Conn, new: &NewUtility) -> StoreResult<Utility> {
    let created = Utility {
        id: UtilityId::new_v4(),
        slug: new.slug.clone(),
        name: new.name.clone(),
        created_at: now_millis(),
    };
    sqlx::query("INSERT INTO utilities (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(created.id.0)
        .bind(&created.slug)
        .bind(&created.name)
        .bind(millis(created.created_at))
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::classify(e, "utility slug"))?;
    Ok(created)
}

pub(super) async fn get_utility(pool: &Pool<Db>, id: UtilityId) -> StoreResult<Utility> {
    let sql = format!("SELECT {UTILITY_COLS} FROM utilities WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(pool)
        .await?;
    utility(&row.ok_or(StoreError::NotFound)?)
}

pub(super) async fn get_utility_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Utility> {
    let sql = format!("SELECT {UTILITY_COLS} FROM utilities WHERE slug = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(slug)
        .fetch_optional(pool)
        .await?;
    utility(&row.ok_or(StoreError::NotFound)?)
}

pub(super) async fn list_utilities(pool: &Pool<Db>) -> StoreResult<Vec<Utility>> {
    let sql = format!("SELECT {UTILITY_COLS} FROM utilities ORDER BY slug");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?;
    rows.iter().map(utility).collect()
}

pub(super) async fn create_user(
    conn: &mut Conn,
    utility: UtilityId,
    new: &NewUser,
) -> StoreResult<User> {
    if new.username.trim().is_empty() {
        return Err(StoreError::Invalid("username is empty".into()));
    }
    let created = User {
        id: Uuid::new_v4(),
        utility_id: utility,
        username: new.username.clone(),
        display_name: new.display_name.clone(),
        role: new.role,
        password_hash: new.password_hash.clone(),
        active: true,
        created_at: now_millis(),
    };
    sqlx::query(
        "INSERT INTO users (utility_id, id, username, display_name, role, password_hash, \
         active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(utility.0)
    .bind(created.id)
    .bind(&created.username)
    .bind(&created.display_name)
    .bind(created.role.as_str())
    .bind(&created.password_hash)
    .bind(created.active)
    .bind(millis(created.created_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "username"))?;
    Ok(created)
}

pub(super) async fn find_users_by_username(
    pool: &Pool<Db>,
    username: &str,
    utility_slug: Option<&str>,
) -> StoreResult<Vec<User>> {
    let rows = match utility_slug {
        Some(slug) => {
            let sql = format!(
                "SELECT {} FROM users u JOIN utilities t ON t.id = u.utility_id \
                 WHERE u.username = $1 AND t.slug = $2",
                prefixed("u", USER_COLS)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .bind(slug)
                .fetch_all(pool)
                .await?
        }
        None => {
            let sql = format!("SELECT {USER_COLS} FROM users WHERE username = $1");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(username)
                .fetch_all(pool)
                .await?
        }
    };
    rows.iter().map(user).collect()
}

pub(super) async fn get_user(pool: &Pool<Db>, utility: UtilityId, id: Uuid) -> StoreResult<User> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE utility_id = $1 AND id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    user(&row.ok_or(StoreError::NotFound)?)
}

pub(super) async fn get_user_by_username(
    pool: &Pool<Db>,
    utility: UtilityId,
    username: &str,
) -> StoreResult<User> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE utility_id = $1 AND username = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(username)
        .fetch_optional(pool)
        .await?;
    user(&row.ok_or(StoreError::NotFound)?)
}

pub(super) async fn list_users(pool: &Pool<Db>, utility: UtilityId) -> StoreResult<Vec<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE utility_id = $1 ORDER BY username");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(utility.0)
        .fetch_all(pool)
        .await?;
    rows.iter().map(user).collect()
}

pub(super) async fn set_user_active(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    active: bool,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE users SET active = $1 WHERE utility_id = $2 AND id = $3")
        .bind(active)
        .bind(utility.0)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}

pub(super) async fn set_user_password_hash(
    conn: &mut Conn,
    utility: UtilityId,
    id: Uuid,
    hash: &str,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE utility_id = $2 AND id = $3")
        .bind(hash)
        .bind(utility.0)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    found(done.rows_affected())
}

pub(super) async fn insert_signing_key(conn: &mut Conn, k: &SigningKey) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, private_key, public_key, created_at, \
         retired_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&k.kid)
    .bind(&k.algorithm)
    .bind(&k.private_key_der)
    .bind(&k.public_key)
    .bind(millis(k.created_at))
    .bind(k.retired_at.map(millis))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::classify(e, "signing key id"))?;
    Ok(())
}

pub(super) async fn list_signing_keys(
    pool: &Pool<Db>,
    only_active: bool,
) -> StoreResult<Vec<SigningKey>> {
    let filter = if only_active {
        "WHERE retired_at IS NULL"
    } else {
        ""
    };
    let sql = format!("SELECT {KEY_COLS} FROM signing_keys {filter} ORDER BY created_at DESC, kid");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await?;
    rows.iter().map(key).collect()
}

pub(super) async fn retire_signing_key(
    conn: &mut Conn,
    kid: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let done =
        sqlx::query("UPDATE signing_keys SET retired_at = COALESCE(retired_at, $1) WHERE kid = $2")
            .bind(millis(at))
            .bind(kid)
            .execute(&mut *conn)
            .await?;
    found(done.rows_affected())
}

/// `NotFound` when an update touched no row.
pub(super) fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The current time at millisecond precision, so what a create returns equals what a get reads.
pub(super) fn now_millis() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::<Utc>::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// `a, b` with every column prefixed by a table alias: `u.a, u.b`.
fn prefixed(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

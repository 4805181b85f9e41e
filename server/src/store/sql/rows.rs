//! Reading stored values back into the store's types: times from Unix milliseconds, enums
//! from their wire names, JSON columns. A stored value that no longer parses is
//! [`StoreError::Invalid`], never a panic.

use super::Db;
use crate::store::types::{from_millis, to_millis};
use crate::store::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A row of the backend this copy of the query code is compiled for.
pub(super) type DbRow = <Db as sqlx::Database>::Row;

/// A NOT NULL time column.
pub(super) fn time(row: &DbRow, col: &str) -> StoreResult<DateTime<Utc>> {
    let ms: i64 = row.try_get(col)?;
    from_millis(ms).ok_or_else(|| StoreError::Invalid(format!("{col}: time out of range")))
}

/// A nullable time column.
pub(super) fn opt_time(row: &DbRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let ms: Option<i64> = row.try_get(col)?;
    ms.map(|ms| {
        from_millis(ms).ok_or_else(|| StoreError::Invalid(format!("{col}: time out of range")))
    })
    .transpose()
}

/// A time to bind.
pub(super) fn millis(t: DateTime<Utc>) -> i64 {
    to_millis(t)
}

/// An optional time to bind.
pub(super) fn opt_millis(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_millis)
}

/// A NOT NULL small unsigned integer column (dials, register numbers).
pub(super) fn small(row: &DbRow, col: &str) -> StoreResult<u32> {
    let v: i64 = row.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Invalid(format!("{col}: {v} out of range")))
}

/// A nullable small unsigned integer column.
pub(super) fn opt_small(row: &DbRow, col: &str) -> StoreResult<Option<u32>> {
    let v: Option<i64> = row.try_get(col)?;
    v.map(|v| u32::try_from(v).map_err(|_| StoreError::Invalid(format!("{col}: {v} out of range"))))
        .transpose()
}

/// A text column holding a wire name, parsed with `parse`.
pub(super) fn wire<T>(row: &DbRow, col: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    let s: String = row.try_get(col)?;
    parse(&s).ok_or_else(|| StoreError::Invalid(format!("{col}: unknown value {s:?}")))
}

/// A text column holding JSON.
pub(super) fn json<T: serde::de::DeserializeOwned>(row: &DbRow, col: &str) -> StoreResult<T> {
    let s: String = row.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Invalid(format!("{col}: {e}")))
}

/// A value to keep in a JSON text column.
pub(super) fn to_json<T: serde::Serialize>(value: &T, what: &str) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("{what}: {e}")))
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(super) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

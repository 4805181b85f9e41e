//! Installed seals and meters. A writer first upserts the number's row in `equipment_numbers`
//! (a row lock on PostgreSQL: a concurrent install of the same number waits for this commit and
//! then sees this install), then inserts its installs with `ON CONFLICT DO NOTHING` (a repeated
//! sync writes nothing), then reads the same numbers on other orders.

use super::rows::{DbRow, millis, time, wire};
use super::{Conn, Db};
use crate::store::{
    EquipmentKind, EquipmentPlace, Install, InstalledElsewhere, InstalledSeal, StoreError,
    StoreResult, UtilityId,
};
use chrono::{DateTime, Utc};
use fieldline_core::OrderType;
use sqlx::{Executor, Pool, Row};
use uuid::Uuid;

fn elsewhere(row: &DbRow) -> StoreResult<InstalledElsewhere> {
    let kind: String = row.try_get("kind")?;
    Ok(InstalledElsewhere {
        kind: EquipmentKind::parse(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("kind: unknown value {kind:?}")))?,
        number: row.try_get("number")?,
        order_id: row.try_get("order_id")?,
        order_number: row.try_get("order_number")?,
        entry_id: row.try_get("entry_id")?,
    })
}

/// Records `order`'s installs and returns the installs of the same numbers on other orders.
pub(super) async fn record_installs(
    conn: &mut Conn,
    utility: UtilityId,
    order: Uuid,
    installs: &[Install],
    at: DateTime<Utc>,
) -> StoreResult<Vec<InstalledElsewhere>> {
    let mut numbers: Vec<(EquipmentKind, &str)> = installs
        .iter()
        .map(|i| (i.kind, i.number.as_str()))
        .collect();
    // One lock order for every writer: no two installs of overlapping numbers deadlock.
    numbers.sort();
    numbers.dedup();
    for (kind, number) in &numbers {
        sqlx::query(
            "INSERT INTO equipment_numbers (utility_id, kind, number) VALUES ($1, $2, $3) \
             ON CONFLICT (utility_id, kind, number) DO UPDATE SET kind = excluded.kind",
        )
        .bind(utility.0)
        .bind(kind.as_str())
        .bind(*number)
        .execute(&mut *conn)
        .await?;
    }
    for install in installs {
        sqlx::query(
            "INSERT INTO installed_equipment \
             (utility_id, kind, number, order_id, entry_id, installed_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(utility.0)
        .bind(install.kind.as_str())
        .bind(install.number.as_str())
        .bind(order)
        .bind(install.entry_id.as_str())
        .bind(millis(at))
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::classify(e, "install"))?;
    }
    elsewhere_in(&mut *conn, utility, order, &numbers).await
}

/// The installs of `numbers` on orders other than `order`, by kind, number and order number.
pub(super) async fn installed_elsewhere(
    pool: &Pool<Db>,
    utility: UtilityId,
    order: Uuid,
    installs: &[Install],
) -> StoreResult<Vec<InstalledElsewhere>> {
    let mut numbers: Vec<(EquipmentKind, &str)> = installs
        .iter()
        .map(|i| (i.kind, i.number.as_str()))
        .collect();
    numbers.sort();
    numbers.dedup();
    elsewhere_in(pool, utility, order, &numbers).await
}

async fn elsewhere_in<'e, E>(
    executor: E,
    utility: UtilityId,
    order: Uuid,
    numbers: &[(EquipmentKind, &str)],
) -> StoreResult<Vec<InstalledElsewhere>>
where
    E: Executor<'e, Database = Db>,
{
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<String> = (0..numbers.len())
        .map(|i| format!("(e.kind = ${} AND e.number = ${})", 3 + 2 * i, 4 + 2 * i))
        .collect();
    let sql = format!(
        "SELECT e.kind, e.number, e.order_id, o.number AS order_number, e.entry_id \
         FROM installed_equipment e JOIN orders o \
         ON o.utility_id = e.utility_id AND o.id = e.order_id \
         WHERE e.utility_id = $1 AND e.order_id <> $2 AND ({}) \
         ORDER BY e.kind, e.number, o.number, e.entry_id",
        pairs.join(" OR ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(order);
    for (kind, number) in numbers {
        query = query.bind(kind.as_str()).bind(*number);
    }
    let rows = query.fetch_all(executor).await?;
    rows.iter().map(elsewhere).collect()
}

/// The seals installed by orders at `place` whose type is one of `types` (any type when empty),
/// newest install first (then the higher order number, then the entry id), at most `limit`.
pub(super) async fn seals_installed_at(
    pool: &Pool<Db>,
    utility: UtilityId,
    place: EquipmentPlace,
    types: &[OrderType],
    limit: u32,
) -> StoreResult<Vec<InstalledSeal>> {
    let (column, place_id) = match place {
        EquipmentPlace::Meter(id) => ("meter_id", id),
        EquipmentPlace::Premise(id) => ("premise_id", id),
    };
    let type_filter = if types.is_empty() {
        String::new()
    } else {
        let params: Vec<String> = (0..types.len()).map(|i| format!("${}", 4 + i)).collect();
        format!(" AND o.order_type IN ({})", params.join(", "))
    };
    let sql = format!(
        "SELECT e.number, e.order_id, o.number AS order_number, o.order_type, e.entry_id, \
         e.installed_at FROM orders o JOIN installed_equipment e \
         ON e.utility_id = o.utility_id AND e.order_id = o.id \
         WHERE o.utility_id = $1 AND o.{column} = $2 AND e.kind = $3{type_filter} \
         ORDER BY e.installed_at DESC, o.number DESC, e.entry_id DESC LIMIT {}",
        i64::from(limit)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(place_id)
        .bind(EquipmentKind::Seal.as_str());
    for order_type in types {
        query = query.bind(order_type.as_str());
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(InstalledSeal {
                number: row.try_get("number")?,
                order_id: row.try_get("order_id")?,
                order_number: row.try_get("order_number")?,
                order_type: wire(row, "order_type", OrderType::parse)?,
                entry_id: row.try_get("entry_id")?,
                installed_at: time(row, "installed_at")?,
            })
        })
        .collect()
}

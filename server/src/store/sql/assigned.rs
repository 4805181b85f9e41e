//! A field user's open orders of some types: what a sync refreshes before it answers (the
//! account snapshots of disconnects, see `orders::account_refresh`). Finished orders stay
//! assigned to their crew for good, so the query leaves them out rather than the caller.

use super::Db;
use super::orders::{ORDER_COLS, summary};
use crate::store::{OrderSummary, StoreResult, UtilityId};
use fieldline_core::model::OrderType;
use fieldline_core::status::Status;
use sqlx::{AssertSqlSafe, Pool};
use uuid::Uuid;

/// The orders assigned to `assignee` whose type is one of `types` and whose status is not
/// terminal, by number.
pub(super) async fn open_orders_of(
    pool: &Pool<Db>,
    utility: UtilityId,
    assignee: Uuid,
    types: &[OrderType],
) -> StoreResult<Vec<OrderSummary>> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let terminal: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_terminal())
        .map(|s| s.as_str())
        .collect();
    let type_params: Vec<String> = (0..types.len()).map(|i| format!("${}", i + 3)).collect();
    let status_params: Vec<String> = (0..terminal.len())
        .map(|i| format!("${}", i + 3 + types.len()))
        .collect();
    let sql = format!(
        "SELECT {ORDER_COLS} FROM orders WHERE utility_id = $1 AND assignee_id = $2 \
         AND order_type IN ({}) AND status NOT IN ({}) ORDER BY number",
        type_params.join(", "),
        status_params.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(utility.0)
        .bind(assignee);
    for t in types {
        query = query.bind(t.as_str());
    }
    for s in terminal {
        query = query.bind(s);
    }
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(summary).collect()
}

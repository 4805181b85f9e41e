//! Creating many prepared orders at once (demo data, billing imports): one user lookup for the
//! whole batch and one store transaction, instead of a round trip per order.

use super::{OrderError, build_order};
use crate::store::{OrderSummary, Store, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::OfficeData;
use std::collections::HashMap;
use uuid::Uuid;

/// An order whose office data is complete and whose route is resolved.
#[derive(Debug, Clone)]
pub struct PreparedOrder {
    /// The document id.
    pub id: Uuid,
    /// What the office asks for.
    pub office: OfficeData,
    /// Username of the field user to assign it to.
    pub assignee: Option<String>,
    /// The route's id, for route work.
    pub route_id: Option<Uuid>,
}

/// Creates `orders` as `by` (an office username) in one transaction.
pub async fn insert_prepared(
    store: &dyn Store,
    utility: UtilityId,
    by: &str,
    orders: &[PreparedOrder],
    now: DateTime<Utc>,
) -> Result<Vec<OrderSummary>, OrderError> {
    let users: HashMap<String, _> = store
        .list_users(utility)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    let creator = users
        .get(by)
        .ok_or_else(|| OrderError::invalid("created_by", format!("there is no user `{by}`")))?;
    let mut new = Vec::with_capacity(orders.len());
    for order in orders {
        let assignee = match &order.assignee {
            Some(name) => Some(users.get(name).ok_or_else(|| {
                OrderError::invalid(
                    "assignee",
                    format!("there is no user `{name}` in this utility"),
                )
            })?),
            None => None,
        };
        new.push(build_order(
            order.id,
            &order.office,
            assignee,
            creator,
            order.route_id,
            now,
        )?);
    }
    Ok(store.insert_orders(utility, &new).await?)
}

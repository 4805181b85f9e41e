//! The order service: glues the core's work order documents to the store. Office edits load the
//! document, apply the action through the core (which checks it against the derived status),
//! re-derive the projection and store document, projection and change log in one transaction,
//! retrying when another writer got there first.

pub mod account_refresh;
pub mod corrections;
mod create;
mod details;
pub mod equipment;
mod error;
pub mod exchanges;
pub mod follow_ups;
pub mod notices;
pub mod payments;
mod projection;
pub mod re_read;
pub mod seal_history;
mod seed;
#[cfg(test)]
mod tests;
pub mod timeline;

pub use create::{
    NewOrderRequest, account_snapshot, build_order, create_order, due_at_for, meter_snapshot,
    premise_snapshot,
};
pub use details::{OrderDetailsRequest, order_details};
pub use error::OrderError;
pub use projection::{project, project_with, projection_of, to_utc};
pub use seed::{PreparedOrder, insert_prepared};

use crate::store::{NewChange, OrderSummary, OrderUpdate, Store, StoredOrder, User, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::document::ChangeInfo;
use fieldline_core::document::automerge::ActorId;
use fieldline_core::{Derived, OfficeAction, OfficeData, OfficeEntry, Timestamp, WorkOrderDoc};
use serde::Serialize;
use std::sync::OnceLock;
use uuid::Uuid;

/// How often an office edit re-reads and retries when the order changed under it.
pub(crate) const MAX_ATTEMPTS: usize = 8;

/// The automerge actor this server process writes office changes as. One per process: two
/// processes never share an actor, and within a process the store's version check serialises
/// writes to one document, so an actor's sequence numbers never collide.
pub fn office_actor() -> ActorId {
    static ACTOR: OnceLock<ActorId> = OnceLock::new();
    ACTOR.get_or_init(ActorId::random).clone()
}

/// An order as the office API shows it: the row, the document's contents and what they derive.
#[derive(Debug, Clone, Serialize)]
pub struct OrderDetail {
    /// The row (number, projection, version).
    #[serde(flatten)]
    pub summary: OrderSummary,
    /// Username of the assignee.
    pub assignee: Option<String>,
    /// What the office asked for.
    pub office: OfficeData,
    /// The office's log (assignments, cancellations, notes).
    pub office_log: Vec<OfficeEntry>,
    /// Everything the crew recorded, as one timeline: each entry after every entry it had seen,
    /// concurrent entries by device time then entry id (see [`timeline`]).
    pub field: Vec<timeline::TimelineEntry>,
    /// Derived status, assignee and exceptions.
    pub derived: Derived,
}

/// Loads one order with its document read and derived.
pub async fn detail(
    store: &dyn Store,
    utility: UtilityId,
    id: Uuid,
) -> Result<OrderDetail, OrderError> {
    let stored = store.get_order(utility, id).await?;
    detail_of(store, utility, stored).await
}

/// The detail of an order as stored (just read, or just written without reading it back).
pub(crate) async fn detail_of(
    store: &dyn Store,
    utility: UtilityId,
    stored: StoredOrder,
) -> Result<OrderDetail, OrderError> {
    let doc = WorkOrderDoc::load(&stored.doc)?;
    let record = doc.record()?;
    let derived = fieldline_core::derive(&record);
    let field = timeline::load(
        store,
        utility,
        stored.summary.id,
        &record,
        &stored.summary.projection.exceptions,
    )
    .await?;
    Ok(OrderDetail {
        assignee: derived.assignee.clone(),
        summary: stored.summary,
        office: record.office,
        office_log: record.office_log,
        field,
        derived,
    })
}

/// Applies an office action to an order for `by` and stores the result. Refusals by the core
/// (cancel a completed order, assign a cancelled one) come back as [`OrderError::Refused`] and
/// write nothing.
pub async fn apply_office_action(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    id: Uuid,
    action: OfficeAction,
    now: DateTime<Utc>,
) -> Result<OrderDetail, OrderError> {
    apply_office_action_traced(store, utility, by, id, action, now)
        .await
        .map(|(detail, _)| detail)
}

/// The assignee of an order just before and just after a committed edit (the users to poke).
pub type AssigneeChange = (Option<Uuid>, Option<Uuid>);

/// [`apply_office_action`], also saying whose assignment the committed edit went from and to,
/// read from the very version it replaced (so a concurrent reassignment cannot hide a
/// revocation).
pub async fn apply_office_action_traced(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    id: Uuid,
    action: OfficeAction,
    now: DateTime<Utc>,
) -> Result<(OrderDetail, AssigneeChange), OrderError> {
    if let OfficeAction::Assign { assignee, .. } = &action {
        assignable_user(store, utility, assignee).await?;
    }
    let references = crate::reference::all_versions(store, utility).await?;
    for _ in 0..MAX_ATTEMPTS {
        let stored = store.get_order(utility, id).await?;
        let update = office_update(store, utility, by, &stored, &action, now, &references).await?;
        let assignees = (
            stored.summary.projection.assignee_id,
            update.projection.assignee_id,
        );
        match store
            .update_order(utility, id, stored.summary.version, &update)
            .await
        {
            // The detail of what was just stored, without reading it back.
            Ok(summary) => {
                let stored = StoredOrder {
                    summary,
                    doc: update.doc,
                };
                return Ok((detail_of(store, utility, stored).await?, assignees));
            }
            Err(crate::store::StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(OrderError::Busy)
}

/// The update that applies office action `action` to order `stored` for `by`: the new
/// document, its projection and the change-log rows, to be stored against `stored`'s version.
/// Shared by every write of an office action (alone, or with another record in the same
/// transaction, see [`corrections`]). Refusals by the core come back as
/// [`OrderError::Refused`].
pub(crate) async fn office_update(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    stored: &StoredOrder,
    action: &OfficeAction,
    now: DateTime<Utc>,
    references: &fieldline_core::reference::ReferenceSet,
) -> Result<OrderUpdate, OrderError> {
    let mut doc = WorkOrderDoc::load(&stored.doc)?;
    if let OfficeAction::Assign { assignee, .. } = action {
        re_read::check_assignee(&doc.office()?, assignee)?;
    }
    doc.set_actor(office_actor());
    let before = doc.heads();
    doc.apply_office_action(
        action.clone(),
        &by.username,
        Timestamp(now.timestamp_millis()),
    )?;
    let changes = office_changes(&doc.change_infos(&before), by, now);
    let projection = project_with(store, utility, &doc, references).await?;
    Ok(OrderUpdate {
        doc: doc.save(),
        projection,
        changes,
        updated_at: now,
    })
}

/// The active field user `username` of this utility, or why they cannot take work.
pub async fn assignable_user(
    store: &dyn Store,
    utility: UtilityId,
    username: &str,
) -> Result<User, OrderError> {
    let user = match store.get_user_by_username(utility, username).await {
        Ok(user) => user,
        Err(crate::store::StoreError::NotFound) => {
            return Err(OrderError::invalid(
                "assignee",
                format!("there is no user `{username}` in this utility"),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    if !user.active {
        return Err(OrderError::invalid(
            "assignee",
            format!("`{username}` is deactivated and cannot take work"),
        ));
    }
    if !user.role.is_field() {
        return Err(OrderError::invalid(
            "assignee",
            format!(
                "`{username}` is a {}: only a reader or inspector can be assigned field work",
                user.role
            ),
        ));
    }
    Ok(user)
}

/// Log rows for changes the office made through this server.
pub(crate) fn office_changes(
    infos: &[ChangeInfo],
    by: &User,
    now: DateTime<Utc>,
) -> Vec<NewChange> {
    infos
        .iter()
        .map(|info| NewChange {
            hash: info.hash.to_string(),
            bytes: info.bytes.clone(),
            actor: info.actor.clone(),
            user_id: Some(by.id),
            device_id: None,
            device_time: None,
            received_at: now,
            summary: info.message.clone().unwrap_or_default(),
        })
        .collect()
}

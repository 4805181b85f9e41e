//! Who may upload to an order (until the trust checks of every operation arrive): the field user
//! it is assigned to, or was assigned to when the work was done, or who created it in the field.

use super::SyncError;
use crate::orders::OrderError;
use crate::store::{Store, StoredOrder, User, UtilityId};
use fieldline_core::model::Source;
use fieldline_core::{OfficeAction, WorkOrderDoc};

/// Whether `user` may append to the order whose stored state is `stored` (loaded as `doc`).
pub async fn may_upload(
    store: &dyn Store,
    utility: UtilityId,
    user: &User,
    stored: &StoredOrder,
    doc: &WorkOrderDoc,
) -> Result<bool, SyncError> {
    // The common case, without reading the document: it is assigned to them now.
    if stored.summary.projection.assignee_id == Some(user.id) {
        return Ok(true);
    }
    let record = doc.record().map_err(OrderError::from)?;
    let was_assigned = record.office_log.iter().any(|entry| {
        matches!(&entry.action, OfficeAction::Assign { assignee, .. } if *assignee == user.username)
    });
    if was_assigned {
        return Ok(true);
    }
    if record.office.source == Source::FieldFound {
        // The device that found it created it: its first logged change is that user's.
        let history = store.order_history(utility, stored.summary.id).await?;
        return Ok(history.first().and_then(|c| c.change.user_id) == Some(user.id));
    }
    Ok(false)
}

//! Count and size limits of one sync request, checked on the decoded frame before any automerge
//! work, so a huge or hostile request costs the server almost nothing.

use super::SyncError;
use crate::config::SyncConfig;
use fieldline_core::sync::SyncRequest;

/// Longest order id accepted (ids are UUIDs; the slack is for formatting).
const MAX_ORDER_ID: usize = 64;
/// Longest device id or app version accepted.
const MAX_LABEL: usize = 64;

/// Refuses a request over `sync.max_orders`, `sync.max_changes` or `sync.max_change_bytes`.
pub fn check_counts(config: &SyncConfig, request: &SyncRequest) -> Result<(), SyncError> {
    let orders = request.uploads.len().max(request.holdings.len());
    if orders > config.max_orders {
        return Err(SyncError::TooLarge(format!(
            "the sync names {orders} orders; the limit is {} per sync (sync.max_orders): \
             sync in smaller batches",
            config.max_orders
        )));
    }
    let changes: usize = request.uploads.iter().map(|u| u.changes.len()).sum();
    if changes > config.max_changes {
        return Err(SyncError::TooLarge(format!(
            "the sync uploads {changes} changes; the limit is {} per sync (sync.max_changes): \
             sync in smaller batches",
            config.max_changes
        )));
    }
    if let Some(big) = request
        .uploads
        .iter()
        .flat_map(|u| u.changes.iter())
        .map(Vec::len)
        .find(|len| *len > config.max_change_bytes)
    {
        return Err(SyncError::TooLarge(format!(
            "a change of {big} bytes is over the limit of {} bytes per change \
             (sync.max_change_bytes)",
            config.max_change_bytes
        )));
    }
    let ids = request
        .uploads
        .iter()
        .map(|u| &u.order_id)
        .chain(request.holdings.iter().map(|h| &h.order_id));
    if ids.into_iter().any(|id| id.len() > MAX_ORDER_ID) {
        return Err(SyncError::Malformed(format!(
            "an order id is longer than {MAX_ORDER_ID} characters"
        )));
    }
    if request.device_id.len() > MAX_LABEL || request.app_version.len() > MAX_LABEL {
        return Err(SyncError::Malformed(format!(
            "the device id and app version must be at most {MAX_LABEL} characters"
        )));
    }
    Ok(())
}

//! Why a sync was refused as a whole. Refusals of single changes are not errors: they travel in
//! the answer's `rejected` list. The HTTP layer maps each variant to a status and a stable code.

use crate::orders::OrderError;
use crate::store::StoreError;

/// What a sync can answer instead of a [`SyncResponse`](fieldline_core::sync::SyncResponse).
/// Nothing was stored in any of these cases (except after `Store`/`Internal`, where the
/// transaction rolled back).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The app or its protocol is older than the server accepts (426 `update_required`).
    #[error("{0}")]
    UpdateRequired(String),
    /// Over a size or count limit; the message names the limit (413 `sync_too_large`).
    #[error("{0}")]
    TooLarge(String),
    /// Not a readable sync request (400 `invalid_sync_frame`).
    #[error("{0}")]
    Malformed(String),
    /// The device is not registered to the signed-in user (403 `device_not_registered`).
    #[error("{0}")]
    DeviceNotRegistered(String),
    /// An administrator revoked the device (403 `device_revoked`).
    #[error("an administrator revoked this device")]
    DeviceRevoked,
    /// The user no longer exists or was deactivated (401).
    #[error("this user no longer exists or was deactivated: sign in again")]
    UserInactive,
    /// The orders kept changing under the upload; the device retries (503).
    #[error("the orders are being changed by someone else: sync again")]
    Busy,
    /// The store failed (500).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored document or the order service failed (500).
    #[error(transparent)]
    Order(#[from] OrderError),
}

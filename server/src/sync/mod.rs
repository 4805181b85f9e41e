//! The server side of device sync: one request per route in the common case. A device sends
//! the changes the server has not acknowledged and its cursor into the utility's change feed;
//! the server checks the frame (version gate, size and count limits) before any automerge work,
//! merges the uploads in one transaction ([`upload`]) and answers with everything the device may
//! see since its cursor ([`answer`]).

mod access;
mod answer;
mod append;
mod error;
mod limits;
mod project;
#[cfg(test)]
mod tests;
mod trust;
mod upload;
mod version;

pub use error::SyncError;
pub use trust::after_merge_exceptions;
pub use version::compare_versions;

use crate::config::SyncConfig;
use crate::store::{Device, Store, StoreError, User, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::sync::wire::{self, FrameKind, WireError, WireLimits};
use fieldline_core::sync::{SyncRequest, SyncResponse};
use tracing::Instrument;
use uuid::Uuid;

/// How often a device's last sync time is written.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// One device's sync, once the request is read and the device recognised.
pub struct Session<'a> {
    /// The storage.
    pub store: &'a dyn Store,
    /// The user's utility.
    pub utility: UtilityId,
    /// The signed-in user.
    pub user: &'a User,
    /// Their registered device the request came from.
    pub device: &'a Device,
    /// Limits and paging.
    pub config: &'a SyncConfig,
    /// The server's receipt time.
    pub now: DateTime<Utc>,
    /// Every version of the utility's reference data: each field entry is judged under the
    /// version it recorded.
    pub references: fieldline_core::reference::ReferenceSet,
}

/// A sync done: the answer, and whom the uploads concern.
#[derive(Debug)]
pub struct Synced {
    /// The answer for the device.
    pub response: SyncResponse,
    /// The assignees (after the upload) of the orders the upload changed, to poke their other
    /// devices.
    pub changed_assignees: Vec<Option<Uuid>>,
}

/// Handles one sync frame from `user_id`: checks, decodes, applies, answers. Every refusal of
/// the whole request (old app, over a limit, unreadable, unknown device) happens before anything
/// is stored.
pub async fn handle_frame(
    store: &dyn Store,
    config: &SyncConfig,
    utility: UtilityId,
    user_id: Uuid,
    frame: &[u8],
    now: DateTime<Utc>,
) -> Result<Synced, SyncError> {
    let request = read_request(config, frame)?;
    limits::check_counts(config, &request)?;
    let user = match store.get_user(utility, user_id).await {
        Ok(user) if user.active => user,
        Ok(_) | Err(StoreError::NotFound) => return Err(SyncError::UserInactive),
        Err(other) => return Err(other.into()),
    };
    let device = registered_device(store, utility, &user, &request.device_id).await?;
    let references = crate::reference::all_versions(store, utility).await?;
    let session = Session {
        store,
        utility,
        user: &user,
        device: &device,
        config,
        now,
        references,
    };
    sync(&session, &request).await
}

/// Reads a frame: header first (an old protocol gets "update the app" even if its body format is
/// unknown), then the body within the size limits, then the app version.
fn read_request(config: &SyncConfig, frame: &[u8]) -> Result<SyncRequest, SyncError> {
    if frame.len() > config.max_frame_bytes {
        return Err(frame_too_large(config));
    }
    let (kind, protocol) = wire::peek(frame).map_err(|e| SyncError::Malformed(e.to_string()))?;
    if kind != FrameKind::Request {
        return Err(SyncError::Malformed(
            "expected a sync request frame".to_string(),
        ));
    }
    version::check_protocol(config, protocol)?;
    let limits = WireLimits {
        max_frame_bytes: config.max_frame_bytes,
        max_body_bytes: config.max_body_bytes,
    };
    let request = wire::decode_request(frame, &limits).map_err(|e| match e {
        WireError::TooLarge { limit } if limit == config.max_body_bytes => {
            SyncError::TooLarge(format!(
                "the sync message is larger than {limit} bytes once decompressed \
                 (sync.max_body_bytes): sync in smaller batches"
            ))
        }
        WireError::TooLarge { .. } => frame_too_large(config),
        other => SyncError::Malformed(other.to_string()),
    })?;
    version::check_app(config, &request.app_version)?;
    Ok(request)
}

fn frame_too_large(config: &SyncConfig) -> SyncError {
    SyncError::TooLarge(format!(
        "the sync frame is larger than {} bytes (sync.max_frame_bytes): sync in smaller batches",
        config.max_frame_bytes
    ))
}

/// The device the request names, if it is registered to `user`.
async fn registered_device(
    store: &dyn Store,
    utility: UtilityId,
    user: &User,
    device_id: &str,
) -> Result<Device, SyncError> {
    let not_registered = || {
        SyncError::DeviceNotRegistered(
            "this device is not registered to you: register it (POST /api/v1/devices) first"
                .to_string(),
        )
    };
    let id: Uuid = device_id.parse().map_err(|_| not_registered())?;
    match store.get_device(utility, id).await {
        Ok(device) if device.user_id == user.id && device.revoked_at.is_some() => {
            Err(SyncError::DeviceRevoked)
        }
        Ok(device) if device.user_id == user.id => Ok(device),
        Ok(_) | Err(StoreError::NotFound) => Err(not_registered()),
        Err(other) => Err(other.into()),
    }
}

/// Applies the uploads, builds the answer, records the sync.
pub async fn sync(s: &Session<'_>, request: &SyncRequest) -> Result<Synced, SyncError> {
    let span = tracing::info_span!("sync", device_id = %s.device.id);
    async {
        let uploaded = upload::apply(s, &request.uploads).await?;
        // Before the answer reads the feed: a snapshot refreshed now reaches the device in this
        // very answer (a crew told to sync before cutting can cut right after).
        crate::orders::account_refresh::refresh_for_sync(
            s.store,
            s.utility,
            s.user.id,
            &s.references,
            s.now,
        )
        .await?;
        let mut response = answer::answer(s, request.cursor, &request.holdings, &uploaded).await?;
        response.acked = uploaded.acked;
        response.rejected = uploaded.rejected;
        response.resets = uploaded.resets;
        // Recorded at most once a minute (and when the app changed): an idle sync stays a read.
        let stale = s
            .device
            .last_sync_at
            .is_none_or(|at| s.now - at > TOUCH_EVERY);
        if stale || s.device.app_version != request.app_version {
            s.store
                .touch_device(s.utility, s.device.id, &request.app_version, s.now)
                .await?;
        }
        Ok(Synced {
            response,
            changed_assignees: uploaded.changed_assignees,
        })
    }
    .instrument(span)
    .await
}

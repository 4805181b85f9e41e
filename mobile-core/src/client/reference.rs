//! The reference data on the device: kept in a file beside the store (written whole, then
//! renamed, so a crash leaves the old version or the new one), replaced during a sync when the
//! server's version differs from the one the device has.

use super::FieldClient;
use super::error::ClientError;
use crate::reference::ReferenceData;
use std::path::Path;

/// The reference data in `path`, or the core's default when there is none (or it does not
/// read: the next sync fetches it again).
pub(super) fn load(path: &Path) -> ReferenceData {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

impl FieldClient {
    /// Fetches the server's reference data when its version differs from the device's, keeps
    /// it in the store directory and uses it for every later action. Returns the version the
    /// device uses afterwards.
    pub(super) fn refresh_reference(&self, server: &str, token: &str) -> Result<u32, ClientError> {
        let have = self.reference().version;
        let Some(bytes) = self.http.reference(server, token, have)? else {
            return Ok(have);
        };
        let fresh: ReferenceData = serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::Protocol(format!("the server sent unreadable reference data: {e}"))
        })?;
        let tmp = self.reference_path.with_extension("json.tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &self.reference_path))
            .map_err(|e| ClientError::Storage(format!("cannot keep the reference data: {e}")))?;
        let version = fresh.version;
        *self
            .reference
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(version)
    }
}

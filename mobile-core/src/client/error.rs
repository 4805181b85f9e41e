//! The client's one error type: small and actionable, so the FFI maps it 1:1 to what an app can
//! do about it (retry later, sign in again, update the app, fix the input). Internal causes are
//! folded into a message here, at the one seam.

use crate::document::{ActionError, DocumentError};
use crate::outcome::Refusal;
use crate::sync::wire::WireError;

/// Why a client call did not succeed. Nothing a call wrote is half-written: each call that
/// writes is one transaction.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached (or did not answer in time). Work is kept; try again.
    #[error("network: {0}")]
    Network(String),
    /// The sign-in is missing or has expired. Work is kept; sign in again as the same user.
    #[error("sign in again: {0}")]
    Unauthorized(String),
    /// The server no longer accepts this app version. Work is kept; update the app.
    #[error("update the app: {0}")]
    UpdateRequired(String),
    /// The rules refused the action; nothing was written. Names the rule and the field to fix.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// No such order (or account) on this device.
    #[error("not found: {0}")]
    NotFound(String),
    /// The device's database failed.
    #[error("storage: {0}")]
    Storage(String),
    /// The server sent something this app cannot read, or refused what it sent.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl From<rusqlite::Error> for ClientError {
    fn from(err: rusqlite::Error) -> Self {
        ClientError::Storage(err.to_string())
    }
}

impl From<DocumentError> for ClientError {
    fn from(err: DocumentError) -> Self {
        ClientError::Storage(format!("a stored order document is unreadable: {err}"))
    }
}

impl From<ActionError> for ClientError {
    fn from(err: ActionError) -> Self {
        match err {
            ActionError::Refused(refusal) => ClientError::Refused(refusal),
            ActionError::Document(err) => err.into(),
        }
    }
}

impl From<WireError> for ClientError {
    fn from(err: WireError) -> Self {
        match err {
            WireError::Version { .. } => ClientError::UpdateRequired(err.to_string()),
            other => ClientError::Protocol(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for ClientError {
    fn from(err: serde_json::Error) -> Self {
        ClientError::Storage(format!("a stored value is unreadable: {err}"))
    }
}

//! What the order service can answer instead of an order. The HTTP layer maps these to status
//! codes; a refusal carries the core's rule and field so the office learns what to fix.

use crate::store::StoreError;
use fieldline_core::Refusal;
use fieldline_core::document::{ActionError, DocumentError};

/// Why an order operation did not happen. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// No such order (in this utility).
    #[error("no such order")]
    NotFound,
    /// The request names something invalid (an unknown premise, a user who cannot take work).
    #[error("{field}: {message}")]
    Invalid {
        /// The request field to fix.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The core's rules refused the action in the order's current state.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// The request contradicts what is stored now (a decision already made, a record changed
    /// since the crew saw it); retrying the same request cannot succeed.
    #[error("{field}: {message}")]
    Conflict {
        /// The request or record field concerned.
        field: String,
        /// What contradicts it.
        message: String,
    },
    /// The order kept changing under us; the client may retry.
    #[error("the order is being changed by someone else: try again")]
    Busy,
    /// A stored document could not be read (a server-side fault).
    #[error("stored document: {0}")]
    Document(#[from] DocumentError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl OrderError {
    /// A conflict with what is stored, about `field`.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        OrderError::Conflict {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// An invalid request field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        OrderError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for OrderError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => OrderError::NotFound,
            other => OrderError::Store(other),
        }
    }
}

impl From<ActionError> for OrderError {
    fn from(err: ActionError) -> Self {
        match err {
            ActionError::Refused(refusal) => OrderError::Refused(refusal),
            ActionError::Document(doc) => OrderError::Document(doc),
        }
    }
}

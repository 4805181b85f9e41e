//! Published reference data versions.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One published version of a utility's reference data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReference {
    /// The version (1, 2, ...), unique per utility.
    pub version: u32,
    /// The reference data as JSON (`fieldline_core::reference::ReferenceData`).
    pub data: String,
    /// The admin who published it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

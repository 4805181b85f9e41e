//! PLACEHOLDER written by the lead so the workspace compiles; the rules engineer replaces this
//! whole file with the real reference data (codes, policies).

use serde::{Deserialize, Serialize};

/// Versioned reference data (placeholder).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferenceData {
    /// Version of this reference data.
    pub version: u32,
}

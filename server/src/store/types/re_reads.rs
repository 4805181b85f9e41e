//! Blind re-reads: the values kept from the device, and the server's comparison.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// One register's values a blind re-read must not show the device.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HiddenRegister {
    /// Register number.
    pub register: u32,
    /// The read under dispute, as billed.
    pub disputed: Option<String>,
    /// The last read before it.
    pub previous: Option<String>,
    /// Low limit of the expected read.
    pub low_limit: Option<f64>,
    /// High limit of the expected read.
    pub high_limit: Option<f64>,
}

/// What the server concluded from a re-read's reading.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReReadOutcome {
    /// The re-read order.
    pub order_id: Uuid,
    /// `original_confirmed`, `original_misread` or `meter_problem`.
    pub outcome: String,
    /// The reading entry it was judged on.
    pub entry_id: String,
    /// Per register: what was read against what was disputed.
    pub detail: String,
    /// When the server judged it.
    pub judged_at: DateTime<Utc>,
}

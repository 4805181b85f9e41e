//! Follow-up links: which order a field entry's outcome created, keyed so it is created once.

use chrono::{DateTime, Utc};
use fieldline_core::FollowUpKind;
use serde::Serialize;
use uuid::Uuid;

/// A follow-up order and the field entry whose outcome called for it. `(origin_order_id,
/// origin_entry_id, kind)` is unique per utility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FollowUpLink {
    /// The order whose field work called for it.
    pub origin_order_id: Uuid,
    /// The field entry (in the origin's document) that proposed it.
    pub origin_entry_id: String,
    /// What kind of follow-up (`inspection`, `meter_test`, `utility_repair`, `re_read`).
    #[schema(value_type = String, example = "inspection")]
    pub kind: FollowUpKind,
    /// Why (`seal_mismatch`, `utility_side_leak`, `original_misread`...).
    pub reason: String,
    /// The follow-up order.
    pub order_id: Uuid,
    /// When the server created it.
    pub created_at: DateTime<Utc>,
}

/// The wire name of a follow-up kind (as stored).
pub fn follow_up_kind_name(kind: FollowUpKind) -> &'static str {
    match kind {
        FollowUpKind::Inspection => "inspection",
        FollowUpKind::MeterTest => "meter_test",
        FollowUpKind::UtilityRepair => "utility_repair",
        FollowUpKind::ReRead => "re_read",
    }
}

/// The follow-up kind with this wire name.
pub fn parse_follow_up_kind(name: &str) -> Option<FollowUpKind> {
    [
        FollowUpKind::Inspection,
        FollowUpKind::MeterTest,
        FollowUpKind::UtilityRepair,
        FollowUpKind::ReRead,
    ]
    .into_iter()
    .find(|k| follow_up_kind_name(*k) == name)
}

//! Quarantined changes: uploads the trusted merge refused, kept with the reason, the device and
//! the user (from the actor binding and the session, never from the change), and never merged.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One refused change, as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedChange {
    /// The order (document) it was uploaded for.
    pub order_id: Uuid,
    /// The automerge change hash, hex.
    pub change_hash: String,
    /// The raw change, kept for support and for replay by hand.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Stable reason code (`office_write`, `field_edit`, `schema`, `rule`, `actor_not_bound`...).
    pub code: String,
    /// What was wrong.
    pub message: String,
    /// The rule that refused it (for `rule`).
    pub rule: Option<String>,
    /// The field the rule or schema check named.
    pub field: Option<String>,
    /// The device that uploaded it.
    pub device_id: Uuid,
    /// The signed-in user of that device.
    pub user_id: Uuid,
    /// The server's receipt time.
    pub received_at: DateTime<Utc>,
}

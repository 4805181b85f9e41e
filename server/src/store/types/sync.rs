//! What sync keeps beside the orders: registered devices, the automerge actors bound to them,
//! the per-utility change feed devices follow with a cursor, and one sync batch to store.

use super::{NewOrder, OrderUpdate};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A handheld registered to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The device id the app chose.
    pub id: Uuid,
    /// The user it is registered to.
    pub user_id: Uuid,
    /// A name for people (`Truck 4 handheld`).
    pub name: String,
    /// The app version it last announced.
    pub app_version: String,
    /// The sync protocol version it last announced.
    pub protocol_version: u32,
    /// When it was first registered.
    pub registered_at: DateTime<Utc>,
    /// When it last synced.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When an admin revoked it: it may no longer sync or refresh its tokens.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A registration (or re-registration) of a device with the actors it writes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// The device id.
    pub id: Uuid,
    /// The signed-in user registering it.
    pub user_id: Uuid,
    /// A name for people.
    pub name: String,
    /// The app version.
    pub app_version: String,
    /// The sync protocol version.
    pub protocol_version: u32,
    /// Automerge actor ids (lowercase hex) to bind to the device.
    pub actors: Vec<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a registration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// Registered or updated; the actors are bound to it.
    Registered(Device),
    /// The device id is registered to another user: nothing was written.
    DeviceTaken,
    /// This actor is bound to another device: nothing was written.
    ActorTaken(String),
}

/// An automerge actor bound to a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorBinding {
    /// The actor id, lowercase hex.
    pub actor: String,
    /// The device it belongs to.
    pub device_id: Uuid,
    /// The device's user.
    pub user_id: Uuid,
    /// When it was bound.
    pub bound_at: DateTime<Utc>,
}

/// One entry of a utility's change feed: a transaction that changed an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// Position in the utility's feed: 1, 2, 3... with no gaps, visible in order.
    pub position: u64,
    /// The order that changed.
    pub order_id: Uuid,
    /// Its assignee before the change (`None` for a new order or an unassigned one).
    pub assignee_before: Option<Uuid>,
    /// Its assignee after the change.
    pub assignee_after: Option<Uuid>,
    /// When the change was stored.
    pub created_at: DateTime<Utc>,
}

/// A logged change as the feed ships it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedChange {
    /// The change hash, lowercase hex.
    pub hash: String,
    /// The raw change bytes.
    pub bytes: Vec<u8>,
}

/// One order of a sync batch.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadedOrder {
    /// New changes to a stored order, stored only if its version did not move.
    Update {
        /// The order.
        id: Uuid,
        /// The version the changes were merged into.
        expected_version: i64,
        /// The new state and the change-log rows.
        update: OrderUpdate,
    },
    /// An order a device created offline (field-found): the store gives it an office number.
    Create(NewOrder),
}

//! Work orders as the store keeps them: the automerge document bytes, the relational projection
//! the office lists and filters on, and the change log that is the audit trail.

use super::UtilityId;
use chrono::{DateTime, Utc};
use fieldline_core::model::{OrderType, Priority, Source};
use fieldline_core::status::{OrderException, Status};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The columns of an order derived from its document, written by the caller on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderProjection {
    /// The kind of work.
    pub order_type: OrderType,
    /// Derived status.
    pub status: Status,
    /// How urgent.
    pub priority: Priority,
    /// Where it came from.
    pub source: Source,
    /// The field user it is assigned to.
    pub assignee_id: Option<Uuid>,
    /// The route, for route work.
    pub route_id: Option<Uuid>,
    /// Walk sequence within the route.
    pub sequence: Option<u32>,
    /// The service address.
    pub premise_id: Option<Uuid>,
    /// The account.
    pub account_id: Option<Uuid>,
    /// The meter.
    pub meter_id: Option<Uuid>,
    /// Latitude of the work.
    pub lat: Option<f64>,
    /// Longitude of the work.
    pub lon: Option<f64>,
    /// Due time.
    pub due_at: Option<DateTime<Utc>>,
    /// Derived merge exceptions and rule flags.
    pub exceptions: Vec<OrderException>,
}

/// One order's row without its document: what lists show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The document id.
    pub id: Uuid,
    /// The utility it belongs to.
    pub utility_id: UtilityId,
    /// Office number, increasing per utility, assigned by the store.
    pub number: i64,
    /// The derived columns.
    pub projection: OrderProjection,
    /// When it was stored first.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: 1 on insert, +1 on every update.
    pub version: i64,
}

/// An order with its automerge document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOrder {
    /// The row.
    pub summary: OrderSummary,
    /// The saved automerge document.
    pub doc: Vec<u8>,
}

/// An automerge change to append to an order's change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChange {
    /// The change hash, lowercase hex.
    pub hash: String,
    /// The raw change bytes.
    pub bytes: Vec<u8>,
    /// The automerge actor, hex.
    pub actor: String,
    /// The user the server bound the change to.
    pub user_id: Option<Uuid>,
    /// The device it came from; `None` for office changes made on the server.
    pub device_id: Option<Uuid>,
    /// The time the device claimed (kept beside, never trusted).
    pub device_time: Option<DateTime<Utc>>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    /// A short human summary (`assigned to inspector1`).
    pub summary: String,
}

/// One entry of an order's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    /// The order.
    pub order_id: Uuid,
    /// 0-based position in the order's log.
    pub position: i64,
    /// What was appended.
    pub change: NewChange,
}

/// A new order: the document id, its first document and the changes that built it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// The document id.
    pub id: Uuid,
    /// The derived columns.
    pub projection: OrderProjection,
    /// The saved automerge document.
    pub doc: Vec<u8>,
    /// Changes to log (the document's history so far).
    pub changes: Vec<NewChange>,
    /// Creation time (also the first `updated_at`).
    pub created_at: DateTime<Utc>,
}

/// A new state of an existing order, stored only if its version did not move.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderUpdate {
    /// The saved automerge document after the changes.
    pub doc: Vec<u8>,
    /// The derived columns after the changes.
    pub projection: OrderProjection,
    /// The changes to append to the log.
    pub changes: Vec<NewChange>,
    /// When it happened.
    pub updated_at: DateTime<Utc>,
}

/// What became of a write checked against an order's version together with another record
/// (see [`Store::correct_meter_for_order`](crate::store::Store::correct_meter_for_order)).
#[derive(Debug, Clone, PartialEq)]
pub enum VersionedWrite {
    /// Everything was written in one transaction; the order as stored now.
    Stored(Box<OrderSummary>),
    /// The order's version moved since it was read (another decision, a sync): nothing at all
    /// was written. Re-read the order and decide again.
    OrderMoved,
}

/// Who an order list is filtered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeFilter {
    /// Assigned to this user.
    User(Uuid),
    /// Assigned to nobody.
    Unassigned,
}

/// Filters of an order list; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this type.
    pub order_type: Option<OrderType>,
    /// Only this assignee (or unassigned).
    pub assignee: Option<AssigneeFilter>,
    /// Only this route (then ordered by walk sequence).
    pub route_id: Option<Uuid>,
}

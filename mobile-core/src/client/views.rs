//! What the client hands a UI: plain data with serde (the CLI prints it as JSON, the FFI maps it
//! to records). Office data is shown as the crew may see it: limits hidden from readers stay
//! hidden here, though the rules on the device still check them.

use crate::model::{OfficeData, Role, Timestamp};
use crate::record::{FieldEntry, OfficeEntry, OrderRecord};
use crate::reference::Policy;
use crate::rules::display_limits;
use crate::status::{Derived, FollowUp, OrderException, Status};
use serde::Serialize;

/// The signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// The server's base URL.
    pub server_url: String,
    /// Sign-in name.
    pub username: String,
    /// The server's user id.
    pub user_id: String,
    /// Name to show.
    pub display_name: String,
    /// The user's role (`reader`, `inspector`...).
    pub role: String,
    /// The utility's slug.
    pub utility: String,
    /// This device's id for this account, as registered with the server.
    pub device_id: String,
}

/// One order in the route list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderSummary {
    /// 1-based place in walk order (the CLI accepts it instead of the id).
    pub position: u32,
    /// The order id.
    pub order_id: String,
    /// The kind of work (`cycle_read`...).
    pub order_type: String,
    /// Route code.
    pub route: Option<String>,
    /// Walk sequence within the route.
    pub sequence: Option<u32>,
    /// Due time.
    pub due_at: Option<Timestamp>,
    /// Street address.
    pub address: Option<String>,
    /// Derived status.
    pub status: Status,
    /// Derived exception codes.
    pub exceptions: Vec<String>,
    /// Changes on this device the server has not acknowledged.
    pub pending_changes: usize,
}

/// One register as the crew may see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegisterView {
    /// 1-based register number.
    pub number: u32,
    /// Unit (`CCF`).
    pub unit: String,
    /// Dials left of the decimal point.
    pub dials_left: u32,
    /// Dials right of the decimal point.
    pub dials_right: u32,
    /// The limits `(low, high)` to show, or `None` when hidden by policy or absent.
    pub limits: Option<(f64, f64)>,
}

/// One order in full, as the crew may see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderView {
    /// The order id.
    pub order_id: String,
    /// What the office asks for, with limits the crew may not see removed.
    pub office: OfficeData,
    /// The registers with the limits the crew may see.
    pub registers: Vec<RegisterView>,
    /// The office's log (assignments, cancellation, notes to the crew).
    pub office_log: Vec<OfficeEntry>,
    /// What was done in the field.
    pub field: Vec<FieldEntry>,
    /// Derived status.
    pub status: Status,
    /// Derived exceptions.
    pub exceptions: Vec<OrderException>,
    /// The current assignee.
    pub assignee: Option<String>,
    /// The order was taken from this user; it is dropped once its changes are acknowledged.
    pub revoked: bool,
    /// Changes on this device the server has not acknowledged.
    pub pending_changes: usize,
    /// Follow-up orders the field work calls for (the server creates each once).
    pub follow_ups: Vec<FollowUp>,
}

impl OrderView {
    pub(crate) fn build(
        record: OrderRecord,
        derived: Derived,
        display: (&Policy, Role),
        revoked: bool,
        pending_changes: usize,
    ) -> OrderView {
        let (policy, role) = display;
        let mut office = record.office;
        let mut registers = Vec::new();
        if let Some(meter) = office.meter.as_mut() {
            for register in &mut meter.registers {
                let limits = display_limits(register, policy, role);
                register.low_limit = limits.map(|(low, _)| low);
                register.high_limit = limits.map(|(_, high)| high);
                registers.push(RegisterView {
                    number: register.number,
                    unit: register.unit.clone(),
                    dials_left: register.dials_left,
                    dials_right: register.dials_right,
                    limits,
                });
            }
        }
        OrderView {
            order_id: record.order_id,
            office,
            registers,
            office_log: record.office_log,
            field: record.field,
            status: derived.status,
            exceptions: derived.exceptions,
            assignee: derived.assignee,
            follow_ups: derived.follow_ups,
            revoked,
            pending_changes,
        }
    }
}

/// A change set the server refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectionInfo {
    /// The order.
    pub order_id: String,
    /// Stable reason code.
    pub code: String,
    /// What happened.
    pub message: String,
    /// The refused change hashes, hex, comma-separated.
    pub changes: String,
    /// When the device learned of it.
    pub received_at: Timestamp,
}

/// Where the device stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientStatus {
    /// The signed-in account (`None`: nobody has signed in).
    pub account: Option<AccountInfo>,
    /// The stored sign-in is missing or was refused, or its access token expired with no refresh
    /// token to renew it: sync needs a new sign-in (work is kept).
    pub sign_in_needed: bool,
    /// When the stored access token expires (the server decides; this is its own word).
    pub token_expires_at: Option<Timestamp>,
    /// Orders held for this account.
    pub orders: usize,
    /// Changes the server has not acknowledged.
    pub pending_changes: usize,
    /// Orders with such changes.
    pub pending_orders: usize,
    /// Actions logged on this device for this account.
    pub actions_logged: u64,
    /// The last successful sync.
    pub last_sync_at: Option<Timestamp>,
    /// Why the last sync failed, if it did.
    pub last_error: Option<String>,
    /// The feed cursor.
    pub cursor: Option<u64>,
    /// Changes the server refused (until a reset replays them).
    pub rejections: Vec<RejectionInfo>,
    /// Other users of this device with unsynced work waiting for them to sign in again.
    pub waiting_users: Vec<String>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// HTTP round trips made.
    pub round_trips: u32,
    /// Changes uploaded.
    pub uploaded_changes: usize,
    /// Orders received whole.
    pub new_orders: usize,
    /// Changes received for held orders.
    pub received_changes: usize,
    /// Orders acknowledged by the server.
    pub acked_orders: usize,
    /// Orders taken from this user.
    pub revoked: Vec<String>,
    /// Revoked orders dropped from the device (their work acknowledged).
    pub dropped: Vec<String>,
    /// Rejections received.
    pub rejected: usize,
    /// The feed cursor now.
    pub cursor: u64,
    /// The orders that changed on this device.
    pub changed_orders: Vec<String>,
    /// Request bytes sent.
    pub bytes_sent: usize,
    /// Response bytes received.
    pub bytes_received: usize,
    /// The server still had more when the round-trip cap was reached: sync again.
    pub incomplete: bool,
    /// Some received changes lacked their dependencies (not applied): the next exchange sends
    /// `holdings` so the server answers by heads.
    pub reconcile_needed: bool,
}

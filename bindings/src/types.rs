//! Records and enums an app sees: the route list, one order in full, what a sync did, where the
//! device stands. Each is built from the core's view in ONE conversion here; times are Unix
//! milliseconds (`*_ms`), counts are `u64`, codes are the core's stable wire strings.

use fieldline_core::client as core;
use fieldline_core::model::{GeoPoint, GpsFix as CoreGpsFix};
use fieldline_core::outcome::{self, FollowUpKind as CoreFollowUpKind, Need as CoreNeed};
use fieldline_core::record::{self, OfficeEntry};
use fieldline_core::status::{FollowUp as CoreFollowUp, OrderException as CoreException, Status};

use crate::action::FieldAction;

/// Where an order is in its life, derived from its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderStatus {
    /// Nobody has it.
    Unassigned,
    /// Given to a field user.
    Assigned,
    /// The assignee's device has it.
    Received,
    /// On the way.
    EnRoute,
    /// At the premise.
    OnSite,
    /// Work under way.
    InProgress,
    /// Work paused.
    Paused,
    /// Done in the field.
    Completed,
    /// Could not be done.
    NotDone,
    /// Cancelled by the office.
    Cancelled,
    /// Reviewed by the office.
    Closed,
}

impl From<Status> for OrderStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Unassigned => OrderStatus::Unassigned,
            Status::Assigned => OrderStatus::Assigned,
            Status::Received => OrderStatus::Received,
            Status::EnRoute => OrderStatus::EnRoute,
            Status::OnSite => OrderStatus::OnSite,
            Status::InProgress => OrderStatus::InProgress,
            Status::Paused => OrderStatus::Paused,
            Status::Completed => OrderStatus::Completed,
            Status::NotDone => OrderStatus::NotDone,
            Status::Cancelled => OrderStatus::Cancelled,
            Status::Closed => OrderStatus::Closed,
        }
    }
}

/// What a refused action needs so it can be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Need {
    /// Re-key the value blind (do not show the first entry) and pass it as `confirmation`.
    BlindConfirmation,
    /// Attach a photo.
    Photo,
    /// Add a note.
    Note,
    /// Explicitly confirm (zero consumption).
    Confirmation,
}

impl From<CoreNeed> for Need {
    fn from(need: CoreNeed) -> Self {
        match need {
            CoreNeed::BlindConfirmation => Need::BlindConfirmation,
            CoreNeed::Photo => Need::Photo,
            CoreNeed::Note => Need::Note,
            CoreNeed::Confirmation => Need::Confirmation,
        }
    }
}

/// A GPS fix as the device reports it.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GpsFix {
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f64,
}

impl From<GpsFix> for CoreGpsFix {
    fn from(fix: GpsFix) -> Self {
        CoreGpsFix {
            point: GeoPoint {
                lat: fix.lat,
                lon: fix.lon,
            },
            accuracy_m: fix.accuracy_m,
        }
    }
}

impl From<CoreGpsFix> for GpsFix {
    fn from(fix: CoreGpsFix) -> Self {
        GpsFix {
            lat: fix.point.lat,
            lon: fix.point.lon,
            accuracy_m: fix.accuracy_m,
        }
    }
}

/// The user signed in on this device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserAccount {
    /// The server's base URL.
    pub server_url: String,
    /// Sign-in name.
    pub username: String,
    /// The server's user id.
    pub user_id: String,
    /// Name to show.
    pub display_name: String,
    /// Role (`reader`, `inspector`).
    pub role: String,
    /// The utility's slug.
    pub utility: String,
    /// This device's id for this user, as registered with the server.
    pub device_id: String,
}

impl From<core::AccountInfo> for UserAccount {
    fn from(a: core::AccountInfo) -> Self {
        UserAccount {
            server_url: a.server_url,
            username: a.username,
            user_id: a.user_id,
            display_name: a.display_name,
            role: a.role,
            utility: a.utility,
            device_id: a.device_id,
        }
    }
}

/// One order in the route list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderSummary {
    /// 1-based place in walk order.
    pub position: u32,
    /// The order id.
    pub order_id: String,
    /// The kind of work (`cycle_read`, `turn_on`...).
    pub order_type: String,
    /// Route code.
    pub route: Option<String>,
    /// Walk sequence within the route.
    pub sequence: Option<u32>,
    /// Due time.
    pub due_at_ms: Option<i64>,
    /// Street address.
    pub address: Option<String>,
    /// Derived status.
    pub status: OrderStatus,
    /// Derived exception codes.
    pub exceptions: Vec<String>,
    /// Changes on this device the server has not acknowledged.
    pub pending_changes: u64,
}

impl From<core::OrderSummary> for OrderSummary {
    fn from(o: core::OrderSummary) -> Self {
        OrderSummary {
            position: o.position,
            order_id: o.order_id,
            order_type: o.order_type,
            route: o.route,
            sequence: o.sequence,
            due_at_ms: o.due_at.map(|t| t.0),
            address: o.address,
            status: o.status.into(),
            exceptions: o.exceptions,
            pending_changes: count(o.pending_changes),
        }
    }
}

/// A hazard at the premise, to show before the crew arrives.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Hazard {
    /// What it is ("dog").
    pub description: String,
    /// `info`, `caution` or `danger`.
    pub level: String,
}

/// The service address.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Premise {
    /// Street address.
    pub address: String,
    /// Where the service is.
    pub lat: Option<f64>,
    /// Where the service is.
    pub lon: Option<f64>,
    /// Gate codes, dogs, keys.
    pub access_notes: Option<String>,
    /// Hazards.
    pub hazards: Vec<Hazard>,
}

/// The customer account, as the office knew it when it dispatched.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CustomerAccount {
    /// The number customers quote.
    pub number: String,
    /// Customer of record.
    pub customer_name: String,
    /// Billing status (`active`, `inactive`...).
    pub status: String,
    /// Balance owed, cents.
    pub balance_cents: i64,
    /// Past-due part, cents.
    pub past_due_cents: i64,
    /// A medical certificate is on file.
    pub medical_hold: bool,
    /// Life-support equipment is registered.
    pub life_support: bool,
    /// When the office took this snapshot.
    pub as_of_ms: i64,
}

/// The meter the order is about.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Meter {
    /// Serial number printed on the meter.
    pub serial: String,
    /// Size (`5/8"`).
    pub size: String,
    /// Where it is (`basement`).
    pub location_code: Option<String>,
}

/// One register, with the limits the user's role may see.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RegisterInfo {
    /// 1-based register number.
    pub number: u32,
    /// Unit (`CCF`).
    pub unit: String,
    /// Dials left of the decimal point.
    pub dials_left: u32,
    /// Dials right of the decimal point.
    pub dials_right: u32,
    /// Lowest expected reading, when the policy shows it to this role.
    pub low_limit: Option<f64>,
    /// Highest expected reading, when the policy shows it to this role.
    pub high_limit: Option<f64>,
}

/// One entry of the office's log: an assignment, a cancellation, a note to the crew.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OfficeNote {
    /// Entry id.
    pub id: String,
    /// What the office did (`assign`, `unassign`, `cancel`, `note`, `close`).
    pub action: String,
    /// The note's text, or the reason given, if any.
    pub text: Option<String>,
    /// The office user.
    pub by: String,
    /// When, by the office's clock.
    pub at_ms: i64,
}

impl From<OfficeEntry> for OfficeNote {
    fn from(e: OfficeEntry) -> Self {
        use fieldline_core::action::OfficeAction as A;
        let action = e.action.name().to_string();
        let text = match e.action {
            A::Assign { reason, .. } | A::Unassign { reason } => reason,
            A::Cancel { reason } => Some(reason),
            A::Note { text, .. } => Some(text),
            A::Close { note } => note,
        };
        OfficeNote {
            id: e.id,
            action,
            text,
            by: e.by,
            at_ms: e.at.0,
        }
    }
}

/// How a reading was judged.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReadingOutcome {
    /// 1-based register number.
    pub register: u32,
    /// The reading in register units.
    pub value: f64,
    /// Consumption since the previous actual read.
    pub consumption: Option<f64>,
    /// Consumption × multiplier.
    pub billed: Option<f64>,
    /// Validation class (`normal`, `high`, `zero`, `rollover`...).
    pub validation: String,
    /// A blind re-key matched.
    pub confirmed: bool,
}

/// Something the office should look at, raised by a rule (not a refusal).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Flag {
    /// Stable code (`high_read`, `off_site_capture`).
    pub code: String,
    /// The register concerned.
    pub register: Option<u32>,
    /// A short explanation.
    pub detail: Option<String>,
}

/// The kind of follow-up order an outcome calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FollowUpKind {
    /// An inspection (tamper, unauthorized use, seal mismatch).
    Inspection,
    /// A meter test or exchange.
    MeterTest,
    /// A repair crew for a utility-side leak.
    UtilityRepair,
    /// Another (blind) re-read.
    ReRead,
}

impl From<CoreFollowUpKind> for FollowUpKind {
    fn from(kind: CoreFollowUpKind) -> Self {
        match kind {
            CoreFollowUpKind::Inspection => FollowUpKind::Inspection,
            CoreFollowUpKind::MeterTest => FollowUpKind::MeterTest,
            CoreFollowUpKind::UtilityRepair => FollowUpKind::UtilityRepair,
            CoreFollowUpKind::ReRead => FollowUpKind::ReRead,
        }
    }
}

/// New work an accepted action calls for; the server creates the order once.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FollowUpProposal {
    /// What kind of order.
    pub kind: FollowUpKind,
    /// Why (`seal_mismatch`, `utility_side_leak`, `meter_test_recommended`).
    pub reason: String,
}

/// A follow-up order the order's field work calls for, with the entry that proposed it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FollowUp {
    /// What kind of order.
    pub kind: FollowUpKind,
    /// Why.
    pub reason: String,
    /// The field entry that proposed it.
    pub entry_id: String,
}

impl From<CoreFollowUp> for FollowUp {
    fn from(f: CoreFollowUp) -> Self {
        FollowUp {
            kind: f.kind.into(),
            reason: f.reason,
            entry_id: f.entry_id,
        }
    }
}

/// The flow a low-flow test measured, computed exactly from two keyed readings.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlowRate {
    /// The register read.
    pub register: u32,
    /// Volume between the readings, in register units × 10^-`decimals`.
    pub volume_units: i64,
    /// Decimals of `volume_units` (the register's dials right of the decimal).
    pub decimals: u32,
    /// Milliseconds between the readings.
    pub duration_ms: i64,
    /// Flow per minute, in thousandths of a register unit, rounded down.
    pub per_minute_milli: i64,
}

impl From<outcome::FlowRate> for FlowRate {
    fn from(f: outcome::FlowRate) -> Self {
        FlowRate {
            register: f.register,
            volume_units: f.volume_units,
            decimals: f.decimals,
            duration_ms: f.duration_ms,
            per_minute_milli: f.per_minute_milli,
        }
    }
}

/// One entry of the field record: what the crew did and what the rules concluded.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldEntry {
    /// Entry id.
    pub id: String,
    /// The action.
    pub action: FieldAction,
    /// Who.
    pub user: String,
    /// When, by the device clock.
    pub device_time_ms: i64,
    /// Where, if the device had a fix.
    pub gps: Option<GpsFix>,
    /// Per-register outcomes, for readings.
    pub readings: Vec<ReadingOutcome>,
    /// Flags for the office.
    pub flags: Vec<Flag>,
    /// New work this entry calls for (a meter test, a utility repair...).
    pub follow_ups: Vec<FollowUpProposal>,
    /// The flow a low-flow test measured.
    pub flow: Option<FlowRate>,
}

impl From<record::FieldEntry> for FieldEntry {
    fn from(e: record::FieldEntry) -> Self {
        let outcome::Assessment {
            readings,
            flags,
            follow_ups,
            flow,
        } = e.assessment;
        FieldEntry {
            id: e.id,
            action: e.action.into(),
            user: e.context.user,
            device_time_ms: e.context.device_time.0,
            gps: e.context.gps.map(GpsFix::from),
            readings: readings
                .into_iter()
                .map(|r| ReadingOutcome {
                    register: r.register,
                    value: r.value,
                    consumption: r.consumption,
                    billed: r.billed,
                    validation: r.validation.as_str().to_string(),
                    confirmed: r.confirmed,
                })
                .collect(),
            flags: flags
                .into_iter()
                .map(|f| Flag {
                    code: f.code,
                    register: f.register,
                    detail: f.detail,
                })
                .collect(),
            follow_ups: follow_ups
                .into_iter()
                .map(|p| FollowUpProposal {
                    kind: p.kind.into(),
                    reason: p.reason,
                })
                .collect(),
            flow: flow.map(FlowRate::from),
        }
    }
}

/// Something the office must review: a merge exception or a rule's flag.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderException {
    /// Stable code (`completed_after_cancel`, `high_read`).
    pub code: String,
    /// Ids of the entries involved.
    pub entries: Vec<String>,
    /// Register concerned, for reading flags.
    pub register: Option<u32>,
    /// A short explanation.
    pub detail: Option<String>,
}

impl From<CoreException> for OrderException {
    fn from(e: CoreException) -> Self {
        OrderException {
            code: e.code,
            entries: e.entries,
            register: e.register,
            detail: e.detail,
        }
    }
}

/// One order in full, as the signed-in user may see it: what the office asks, what was done,
/// and the derived status and exceptions.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderDetail {
    /// The order id.
    pub order_id: String,
    /// The kind of work (`cycle_read`...).
    pub order_type: String,
    /// Reason code (`move_in`, `non_payment`).
    pub reason: Option<String>,
    /// `low`, `normal`, `high`, `urgent` or `emergency`.
    pub priority: String,
    /// Route code.
    pub route: Option<String>,
    /// Walk sequence.
    pub sequence: Option<u32>,
    /// Due time.
    pub due_at_ms: Option<i64>,
    /// Appointment window start.
    pub appointment_start_ms: Option<i64>,
    /// Appointment window end.
    pub appointment_end_ms: Option<i64>,
    /// Instructions to the crew.
    pub instructions: Option<String>,
    /// The service address.
    pub premise: Option<Premise>,
    /// The customer account.
    pub account: Option<CustomerAccount>,
    /// The meter.
    pub meter: Option<Meter>,
    /// The meter's registers, with the limits this role may see.
    pub registers: Vec<RegisterInfo>,
    /// The office's log, oldest first.
    pub office_log: Vec<OfficeNote>,
    /// What was done in the field, oldest first.
    pub field: Vec<FieldEntry>,
    /// Derived status.
    pub status: OrderStatus,
    /// Derived exceptions.
    pub exceptions: Vec<OrderException>,
    /// Follow-up orders the field work calls for (the server creates each once).
    pub follow_ups: Vec<FollowUp>,
    /// The current assignee.
    pub assignee: Option<String>,
    /// The order was taken from this user; it leaves the device after the next sync.
    pub revoked: bool,
    /// Changes on this device the server has not acknowledged.
    pub pending_changes: u64,
}

impl From<core::OrderView> for OrderDetail {
    fn from(v: core::OrderView) -> Self {
        let office = v.office;
        OrderDetail {
            order_id: v.order_id,
            order_type: office.order_type.as_str().to_string(),
            reason: office.reason,
            priority: office.priority.as_str().to_string(),
            route: office.route,
            sequence: office.sequence,
            due_at_ms: office.due_at.map(|t| t.0),
            appointment_start_ms: office.appointment_start.map(|t| t.0),
            appointment_end_ms: office.appointment_end.map(|t| t.0),
            instructions: office.instructions,
            premise: office.premise.map(|p| Premise {
                address: p.address,
                lat: p.location.map(|l| l.lat),
                lon: p.location.map(|l| l.lon),
                access_notes: p.access_notes,
                hazards: p
                    .hazards
                    .into_iter()
                    .map(|h| Hazard {
                        description: h.description,
                        level: h.level,
                    })
                    .collect(),
            }),
            account: office.account.map(|a| CustomerAccount {
                number: a.number,
                customer_name: a.customer_name,
                status: a.status.as_str().to_string(),
                balance_cents: a.balance_cents,
                past_due_cents: a.past_due_cents,
                medical_hold: a.medical_hold,
                life_support: a.life_support,
                as_of_ms: a.as_of.0,
            }),
            meter: office.meter.map(|m| Meter {
                serial: m.serial,
                size: m.size,
                location_code: m.location_code,
            }),
            registers: v
                .registers
                .into_iter()
                .map(|r| RegisterInfo {
                    number: r.number,
                    unit: r.unit,
                    dials_left: r.dials_left,
                    dials_right: r.dials_right,
                    low_limit: r.limits.map(|(low, _)| low),
                    high_limit: r.limits.map(|(_, high)| high),
                })
                .collect(),
            office_log: v.office_log.into_iter().map(OfficeNote::from).collect(),
            field: v.field.into_iter().map(FieldEntry::from).collect(),
            status: v.status.into(),
            exceptions: v.exceptions.into_iter().map(OrderException::from).collect(),
            follow_ups: v.follow_ups.into_iter().map(FollowUp::from).collect(),
            assignee: v.assignee,
            revoked: v.revoked,
            pending_changes: count(v.pending_changes),
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// HTTP round trips made (1 in the common case).
    pub round_trips: u32,
    /// Changes uploaded.
    pub uploaded_changes: u64,
    /// Orders received whole.
    pub new_orders: u64,
    /// Changes received for orders already held.
    pub received_changes: u64,
    /// Orders whose changes the server acknowledged.
    pub acked_orders: u64,
    /// Orders taken from this user.
    pub revoked: Vec<String>,
    /// Revoked orders dropped from the device (their work acknowledged).
    pub dropped: Vec<String>,
    /// Change sets the server refused.
    pub rejected: u64,
    /// The orders that changed on this device.
    pub changed_orders: Vec<String>,
    /// The server had more: sync again.
    pub incomplete: bool,
}

impl From<core::SyncReport> for SyncReport {
    fn from(r: core::SyncReport) -> Self {
        SyncReport {
            round_trips: r.round_trips,
            uploaded_changes: count(r.uploaded_changes),
            new_orders: count(r.new_orders),
            received_changes: count(r.received_changes),
            acked_orders: count(r.acked_orders),
            revoked: r.revoked,
            dropped: r.dropped,
            rejected: count(r.rejected),
            changed_orders: r.changed_orders,
            incomplete: r.incomplete,
        }
    }
}

/// A change set the server refused.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Rejection {
    /// The order.
    pub order_id: String,
    /// Stable reason code.
    pub code: String,
    /// What happened.
    pub message: String,
    /// When the device learned of it.
    pub received_at_ms: i64,
}

/// Where the device stands for the signed-in user: pending work, last sync, sign-in.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceStatus {
    /// The signed-in user (`None`: nobody has signed in).
    pub account: Option<UserAccount>,
    /// Sync needs a new sign-in (work is kept).
    pub sign_in_needed: bool,
    /// When the access token expires.
    pub token_expires_at_ms: Option<i64>,
    /// Orders held.
    pub orders: u64,
    /// Changes the server has not acknowledged.
    pub pending_changes: u64,
    /// Orders with such changes.
    pub pending_orders: u64,
    /// The last successful sync.
    pub last_sync_at_ms: Option<i64>,
    /// Why the last sync failed, if it did.
    pub last_error: Option<String>,
    /// Change sets the server refused.
    pub rejections: Vec<Rejection>,
    /// Other users of this device with unsynced work waiting for them to sign in again.
    pub waiting_users: Vec<String>,
}

impl From<core::ClientStatus> for DeviceStatus {
    fn from(s: core::ClientStatus) -> Self {
        DeviceStatus {
            account: s.account.map(UserAccount::from),
            sign_in_needed: s.sign_in_needed,
            token_expires_at_ms: s.token_expires_at.map(|t| t.0),
            orders: count(s.orders),
            pending_changes: count(s.pending_changes),
            pending_orders: count(s.pending_orders),
            last_sync_at_ms: s.last_sync_at.map(|t| t.0),
            last_error: s.last_error,
            rejections: s
                .rejections
                .into_iter()
                .map(|r| Rejection {
                    order_id: r.order_id,
                    code: r.code,
                    message: r.message,
                    received_at_ms: r.received_at.0,
                })
                .collect(),
            waiting_users: s.waiting_users,
        }
    }
}

/// A count for the FFI (uniffi has no `usize`).
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

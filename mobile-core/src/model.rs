//! The domain model of DOMAIN.md as plain data: what an order is about (premise, account, meter,
//! registers), who works on it (roles) and the vocabulary both sides share (types, priorities).
//! These types cross every boundary (documents, API, FFI), so they are plain serde data.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch, UTC. The core never reads a clock: callers pass times in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds in one day.
    pub const DAY_MS: i64 = 86_400_000;

    /// Whole days from `earlier` to `self` (negative when `self` is earlier).
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / Self::DAY_MS as f64
    }
}

/// Declares a string-like enum with its wire names, used across documents, API and FFI.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses a wire name; `None` for anything else.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// What a user does in Fieldline (DOMAIN.md "People and roles").
    Role {
        /// Walks routes of meters on a handheld.
        Reader = "reader",
        /// Service orders on a handheld.
        Inspector = "inspector",
        /// Imports, routes and assigns work.
        Dispatcher = "dispatcher",
        /// Service levels, audits, governance.
        Supervisor = "supervisor",
        /// Users, devices, codes, keys.
        Admin = "admin",
    }
}

impl Role {
    /// Field roles work orders on a handheld and write the `field` section.
    pub fn is_field(self) -> bool {
        matches!(self, Role::Reader | Role::Inspector)
    }

    /// Office roles write the `office` section and see every order of their utility.
    pub fn is_office(self) -> bool {
        !self.is_field()
    }
}

wire_enum! {
    /// The kinds of work order (DOMAIN.md "Order types").
    OrderType {
        /// A route read of a meter's registers.
        CycleRead = "cycle_read",
        /// A blind re-read or verification read.
        ReRead = "re_read",
        /// Move-in, move-out/final or control read.
        SpecialRead = "special_read",
        /// Turn service on.
        TurnOn = "turn_on",
        /// Turn service off.
        TurnOff = "turn_off",
        /// Deliver a disconnect notice.
        DisconnectNotice = "disconnect_notice",
        /// Disconnect for non-payment.
        Disconnect = "disconnect",
        /// Reconnect after payment.
        Reconnect = "reconnect",
        /// High-bill / high-consumption investigation.
        HighBillInvestigation = "high_bill_investigation",
        /// Exchange a meter (old and new as one unit).
        MeterExchange = "meter_exchange",
        /// Tamper, bypass, theft, unauthorized use or condition inspection.
        Inspection = "inspection",
        /// Found in the field and created on the device.
        FieldFound = "field_found",
    }
}

wire_enum! {
    /// How urgent an order is; sets its due time and exception priority.
    Priority {
        /// Whenever convenient.
        Low = "low",
        /// The default.
        Normal = "normal",
        /// Sooner than normal.
        High = "high",
        /// Same day.
        Urgent = "urgent",
        /// Drop everything.
        Emergency = "emergency",
    }
}

wire_enum! {
    /// Where an order came from.
    Source {
        /// Generated from the billing read cycle.
        Cycle = "cycle",
        /// A customer called.
        CallCenter = "call_center",
        /// Billing flagged something.
        BillingException = "billing_exception",
        /// Created by a crew in the field.
        FieldFound = "field_found",
        /// A meter or endpoint raised an alarm.
        MeterAlarm = "meter_alarm",
    }
}

wire_enum! {
    /// The billing status of an account; drives `unauthorized_use`.
    AccountStatus {
        /// Billed service in place.
        Active = "active",
        /// No customer of record.
        Inactive = "inactive",
        /// Shut off and locked.
        Locked = "locked",
    }
}

wire_enum! {
    /// How a reading was obtained.
    ReadMethod {
        /// Typed by the reader.
        Keyed = "keyed",
        /// From a radio endpoint.
        Radio = "radio",
        /// From a touch probe.
        Probe = "probe",
        /// Keyed with a photo of the register.
        PhotoAssisted = "photo_assisted",
    }
}

/// A point on the earth, WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// A GPS fix as the device reported it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GpsFix {
    /// Where.
    pub point: GeoPoint,
    /// Horizontal accuracy in metres.
    pub accuracy_m: f64,
}

/// A hazard at a premise, shown to the crew before they arrive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    /// What it is ("dog", "steep steps").
    pub description: String,
    /// `info`, `caution` or `danger`.
    pub level: String,
}

/// The service address an order is about, as the office knew it when it dispatched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PremiseSnapshot {
    /// The premise's id in the office system.
    pub id: String,
    /// Street address.
    pub address: String,
    /// Where the service is.
    pub location: Option<GeoPoint>,
    /// Gate codes, dogs, keys.
    pub access_notes: Option<String>,
    /// Hazards with their alert level.
    pub hazards: Vec<Hazard>,
}

/// The account, with what disconnect eligibility needs, as of a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// The account's id in the office system.
    pub id: String,
    /// The account number customers quote.
    pub number: String,
    /// Customer of record.
    pub customer_name: String,
    /// Billing status.
    pub status: AccountStatus,
    /// Balance owed, in cents.
    pub balance_cents: i64,
    /// Past-due part of the balance, in cents.
    pub past_due_cents: i64,
    /// When a disconnect notice was last served.
    pub notice_served_at: Option<Timestamp>,
    /// A medical certificate is on file.
    pub medical_hold: bool,
    /// Life-support equipment is registered at the premise.
    pub life_support: bool,
    /// The customer is on a payment plan.
    pub payment_plan: bool,
    /// When the office took this snapshot.
    pub as_of: Timestamp,
}

/// One register of a meter: its dials, scale and what the office knows about its reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Register {
    /// 1-based register number on the meter.
    pub number: u32,
    /// Dials left of the decimal point.
    pub dials_left: u32,
    /// Dials right of the decimal point.
    pub dials_right: u32,
    /// Billed quantity = consumption × multiplier.
    pub multiplier: u32,
    /// Unit of the register (`CCF`, `kgal`, `m3`).
    pub unit: String,
    /// Previous actual reading, in register units.
    pub previous_read: Option<f64>,
    /// When the previous actual reading was taken.
    pub previous_read_at: Option<Timestamp>,
    /// Lowest expected reading for this read (register units), computed by billing from history.
    pub low_limit: Option<f64>,
    /// Highest expected reading for this read (register units), computed by billing from history.
    pub high_limit: Option<f64>,
}

impl Register {
    /// Full scale: the first value the dials cannot show (10^dials_left).
    pub fn full_scale(&self) -> f64 {
        10f64.powi(self.dials_left as i32)
    }
}

/// The meter an order is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterSnapshot {
    /// The meter's id in the office system.
    pub id: String,
    /// Serial / badge number printed on the meter.
    pub serial: String,
    /// Size (`5/8"`, `1"`).
    pub size: String,
    /// Where the meter is (`basement`, `curb box front`).
    pub location_code: Option<String>,
    /// Its registers, by number.
    pub registers: Vec<Register>,
}

/// What the office asks for: the `office` section's dispatch data (not the assignment log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeData {
    /// The kind of work.
    pub order_type: OrderType,
    /// Reason code (`move_in`, `non_payment`, `customer_request`...).
    pub reason: Option<String>,
    /// How urgent.
    pub priority: Priority,
    /// Where it came from.
    pub source: Source,
    /// Who created it (username).
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Due time.
    pub due_at: Option<Timestamp>,
    /// Appointment window start.
    pub appointment_start: Option<Timestamp>,
    /// Appointment window end.
    pub appointment_end: Option<Timestamp>,
    /// Route code for route work.
    pub route: Option<String>,
    /// Walk sequence within the route.
    pub sequence: Option<u32>,
    /// The service address.
    pub premise: Option<PremiseSnapshot>,
    /// The account and its eligibility facts.
    pub account: Option<AccountSnapshot>,
    /// The meter and its registers.
    pub meter: Option<MeterSnapshot>,
    /// Free-text instructions to the crew.
    pub instructions: Option<String>,
    /// What the order's type needs beyond the common envelope (original reader, recorded
    /// seal, checklist, stock). Absent in documents written before it existed.
    #[serde(default, skip_serializing_if = "OrderDetails::is_empty")]
    pub details: OrderDetails,
}

wire_enum! {
    /// Which special read an order is.
    SpecialReadKind {
        /// The new customer's opening read.
        MoveIn = "move_in",
        /// The leaving customer's final read.
        MoveOut = "move_out",
        /// A control read (checking a reading, no customer change).
        Control = "control",
    }
}

/// A checklist template an inspection must answer, by id and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistRef {
    /// Template id in the reference data.
    pub template: String,
    /// The version to answer.
    pub version: u32,
}

/// Order-type-specific dispatch data. Every field is optional: an order type reads the ones it
/// needs. What a device must not know (the disputed value of a blind re-read) is never here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderDetails {
    /// A supervisor's audit re-read: it must be done by another reader than the original.
    pub audit: bool,
    /// Username of the reader whose read is being checked (re-reads).
    pub original_reader: Option<String>,
    /// Which special read.
    pub special_read: Option<SpecialReadKind>,
    /// The seal or lock number recorded when service was shut off (reconnect, turn-on).
    pub recorded_seal: Option<String>,
    /// Seal numbers already used elsewhere, as the office knew when it dispatched.
    pub used_seals: Vec<String>,
    /// The service area (for weather moratoriums on disconnects).
    pub service_area: Option<String>,
    /// The checklist an inspection answers.
    pub checklist: Option<ChecklistRef>,
    /// Serials of meters issued for this order (meter exchange), besides the reference stock.
    pub issued_meters: Vec<String>,
}

impl OrderDetails {
    /// Nothing set: not written into documents, so older layouts stay as they were.
    pub fn is_empty(&self) -> bool {
        *self == OrderDetails::default()
    }
}

impl OfficeData {
    /// The same order with what a blind re-read must not reveal removed: previous reads,
    /// their dates and the limits of every register.
    pub fn blind(mut self) -> Self {
        if let Some(meter) = self.meter.as_mut() {
            for register in &mut meter.registers {
                register.previous_read = None;
                register.previous_read_at = None;
                register.low_limit = None;
                register.high_limit = None;
            }
        }
        self
    }

    /// The register with this number, if the order targets a meter that has it.
    pub fn register(&self, number: u32) -> Option<&Register> {
        self.meter
            .as_ref()
            .and_then(|m| m.registers.iter().find(|r| r.number == number))
    }
}

//! Typed data a crew captures on service orders (DOMAIN.md "Order types, captured data and
//! rules"): one [`Capture`] per step of the work, carried by `FieldAction::Capture`. Records and
//! enums only (no maps of strings), so the same types cross to Kotlin and Swift unchanged.

use crate::action::ReadingInput;
use crate::model::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a valve was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValvePosition {
    /// Water flows.
    On,
    /// Water is shut off.
    Off,
}

/// Where service was shut off for a disconnect or turn-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisconnectPoint {
    /// The angle valve (meter stop) at the meter.
    AngleValve,
    /// The curb stop on the service line.
    CurbStop,
}

/// What the crew did about a moving leak indicator at turn-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakResolution {
    /// Service was left off.
    LeftOff,
    /// Service was left on and the customer told of the leak.
    CustomerNotified,
}

/// The state of a seal found on a meter before reconnecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SealCondition {
    /// In place and unbroken.
    Intact,
    /// In place but cut or broken.
    Broken,
    /// Not there at all.
    Missing,
}

/// How a disconnect notice was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeMethod {
    /// Posted on the door.
    Posted,
    /// Handed to an adult at the premise (their name is required).
    HandedToAdult,
    /// The customer refused to take it.
    Refused,
}

/// Result of closing the house valve while the leak indicator moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseValveResult {
    /// The indicator stopped: the leak is inside the house.
    IndicatorStopped,
    /// It kept moving: the leak is on the service line.
    IndicatorStillMoving,
}

/// Which side of the meter a visible leak is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakSide {
    /// No visible leak.
    None,
    /// The utility's side (main, service, meter setting): the utility repairs it.
    Utility,
    /// The customer's side.
    Customer,
}

/// Condition of the meter as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterCondition {
    /// Working and undamaged.
    Good,
    /// Damaged (register, lid, body).
    Damaged,
    /// Not registering flow.
    Stopped,
    /// Leaking at the meter.
    Leaking,
}

/// What a high-bill investigation recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// Nothing to do.
    None,
    /// Read the meter again.
    ReRead,
    /// Test the meter's accuracy (creates a follow-up).
    MeterTest,
    /// Billing reviews an adjustment.
    AdjustmentReview,
    /// The utility repairs its side (creates a follow-up).
    UtilityRepair,
}

/// How serious a problem found in the field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemSeverity {
    /// Can wait for routine work.
    Low,
    /// Needs attention soon.
    Medium,
    /// Needs a crew today.
    High,
    /// Water running or a hazard to the public now.
    Critical,
}

/// One register reading at one instant, for the low-flow test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSample {
    /// The value exactly as keyed.
    pub value: String,
    /// When it was read (device clock).
    pub at: Timestamp,
}

/// What a high-bill investigation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// The leak indicator moved with every fixture off.
    pub leak_indicator_moving: bool,
    /// The house-valve test, when done.
    pub house_valve: Option<HouseValveResult>,
    /// The dye test showed a toilet leak, when done.
    pub dye_test_leak: Option<bool>,
    /// The premise has irrigation.
    pub irrigation: bool,
    /// Which side a visible leak is on.
    pub visible_leak: LeakSide,
    /// The meter as found.
    pub meter_condition: MeterCondition,
    /// Advice left with the customer.
    pub advice: Option<String>,
    /// What the investigator recommends.
    pub recommendation: Recommendation,
}

/// The meter taken out in an exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OldMeter {
    /// Serial as read off the meter; must be the order's meter.
    pub serial: String,
    /// Final reading of every register (checked by the cycle-read rules).
    pub readings: Vec<ReadingInput>,
}

/// The meter put in by an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMeter {
    /// Serial of the new meter; must differ from the old one and be in stock.
    pub serial: String,
    /// Initial reading of each register, as keyed (dials from the stock record).
    pub initial_readings: Vec<String>,
    /// Radio endpoint id, when one was fitted.
    pub radio_id: Option<String>,
}

/// One answer of an inspection checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistAnswer {
    /// The question's id in the template.
    pub question: String,
    /// The answer.
    pub answer: Answer,
}

/// An answer's value, of the kind the question asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Answer {
    /// Yes or no.
    YesNo(bool),
    /// One of the question's choices.
    Choice(String),
    /// Free text.
    Text(String),
}

/// A field of the office's meter record a reader may propose a correction to. The office
/// decides: a correction never changes the record by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterField {
    /// The serial / badge number (a photo of the badge is required).
    Serial,
    /// The meter's size (`5/8"`, `1"`).
    Size,
    /// Where the meter is (the record's location code).
    Location,
    /// The premise's access notes (gate code, key, dog).
    AccessNotes,
    /// How many registers the meter has.
    RegisterCount,
    /// Dials left of the decimal point of one register.
    DialsLeft,
    /// Dials right of the decimal point of one register.
    DialsRight,
    /// The multiplier of one register.
    Multiplier,
}

impl MeterField {
    /// Every field, in declaration order.
    pub const ALL: &'static [MeterField] = &[
        MeterField::Serial,
        MeterField::Size,
        MeterField::Location,
        MeterField::AccessNotes,
        MeterField::RegisterCount,
        MeterField::DialsLeft,
        MeterField::DialsRight,
        MeterField::Multiplier,
    ];

    /// The stable wire name (`dials_left`).
    pub fn as_str(self) -> &'static str {
        match self {
            MeterField::Serial => "serial",
            MeterField::Size => "size",
            MeterField::Location => "location",
            MeterField::AccessNotes => "access_notes",
            MeterField::RegisterCount => "register_count",
            MeterField::DialsLeft => "dials_left",
            MeterField::DialsRight => "dials_right",
            MeterField::Multiplier => "multiplier",
        }
    }

    /// The field belongs to one register (its correction names the register).
    pub fn per_register(self) -> bool {
        matches!(
            self,
            MeterField::DialsLeft | MeterField::DialsRight | MeterField::Multiplier
        )
    }

    /// The value is free text (a description), not an identifier or a number.
    pub fn is_text(self) -> bool {
        matches!(self, MeterField::Location | MeterField::AccessNotes)
    }
}

/// The value a reader found for one field of the meter record, where the record is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCorrection {
    /// Which field.
    pub field: MeterField,
    /// The register, for per-register fields (dials, multiplier); none otherwise.
    #[serde(default)]
    pub register: Option<u32>,
    /// The value as found on site, as keyed.
    pub value: String,
}

/// One step of service-order work. Each is its own field entry, checked by its type's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Capture {
    /// The meter's serial as read off the meter (must be the order's meter).
    MeterVerified {
        /// Serial / badge as read.
        serial: String,
    },
    /// A valve was operated.
    Valve {
        /// Where it was left.
        position: ValvePosition,
        /// Which valve (required when shutting off for a disconnect).
        point: Option<DisconnectPoint>,
    },
    /// The leak indicator was watched with service on.
    LeakCheck {
        /// The indicator moved with the fixtures off.
        indicator_moving: bool,
        /// What was done about it (required when it moved; policy says which).
        resolution: Option<LeakResolution>,
    },
    /// A seal or lock was removed (turn-on).
    SealRemoved {
        /// Its number.
        number: String,
    },
    /// A seal or lock was put on (turn-off, disconnect).
    SealInstalled {
        /// Its number (format-checked, unique).
        number: String,
    },
    /// The seal found before reconnecting.
    SealFound {
        /// Its number, if readable.
        number: Option<String>,
        /// Its state.
        condition: SealCondition,
    },
    /// Contact with the customer.
    Customer {
        /// The customer (or an adult) was there.
        present: bool,
        /// The customer was told what was done.
        notified: bool,
        /// A door hanger was left.
        door_hanger: bool,
    },
    /// A disconnect notice was delivered (the GPS fix and time start the notice period).
    NoticeDelivered {
        /// How.
        method: NoticeMethod,
        /// Who took it, when handed to an adult.
        recipient: Option<String>,
    },
    /// A medical claim was made on site: the disconnect is held.
    MedicalClaim {
        /// Who made it, if given.
        claimant: Option<String>,
    },
    /// Low-flow test: a register read at two instants, from which the flow per minute follows.
    LowFlowTest {
        /// The register read.
        register: u32,
        /// First reading.
        start: FlowSample,
        /// Second reading.
        end: FlowSample,
    },
    /// What a high-bill investigation found and recommends.
    Investigation(Findings),
    /// A meter exchange, old and new meter as one unit.
    Exchange {
        /// Why (an exchange reason code).
        reason: String,
        /// The meter taken out.
        old: OldMeter,
        /// The meter put in.
        new: NewMeter,
    },
    /// The answers of an inspection checklist.
    Checklist {
        /// Template id.
        template: String,
        /// Template version answered.
        version: u32,
        /// The answers.
        answers: Vec<ChecklistAnswer>,
    },
    /// The problem a crew found (field-found orders).
    Problem {
        /// Problem code from the reference data (`leak`, `damaged_box`...).
        code: String,
        /// How serious.
        severity: ProblemSeverity,
    },
    /// What the meter's radio endpoint (AMR/AMI module) reports, or the reader sees on it:
    /// codes from the reference data's endpoint flags (`tamper`, `low_battery`...).
    EndpointFlags {
        /// The endpoint flag codes, each once.
        flags: Vec<String>,
    },
    /// The office's meter record is wrong: the values found on site, for the office to accept
    /// (the record itself is not changed by the capture).
    MeterCorrection {
        /// One correction per field (per register for register fields).
        corrections: Vec<FieldCorrection>,
    },
    /// A meter at the premise that is not the order's meter (a second or replaced meter).
    MeterFound {
        /// Serial / badge as read off it.
        serial: String,
        /// Its register, as keyed.
        reading: String,
        /// Where it is (`rear wall, left of the door`).
        location: String,
    },
}

impl Capture {
    /// The stable step name (`meter_verified`, `seal_installed`...).
    pub fn step(&self) -> &'static str {
        match self {
            Capture::MeterVerified { .. } => "meter_verified",
            Capture::Valve { .. } => "valve",
            Capture::LeakCheck { .. } => "leak_check",
            Capture::SealRemoved { .. } => "seal_removed",
            Capture::SealInstalled { .. } => "seal_installed",
            Capture::SealFound { .. } => "seal_found",
            Capture::Customer { .. } => "customer",
            Capture::NoticeDelivered { .. } => "notice_delivered",
            Capture::MedicalClaim { .. } => "medical_claim",
            Capture::LowFlowTest { .. } => "low_flow_test",
            Capture::Investigation(_) => "investigation",
            Capture::Exchange { .. } => "exchange",
            Capture::Checklist { .. } => "checklist",
            Capture::Problem { .. } => "problem",
            Capture::EndpointFlags { .. } => "endpoint_flags",
            Capture::MeterCorrection { .. } => "meter_correction",
            Capture::MeterFound { .. } => "meter_found",
        }
    }
}
